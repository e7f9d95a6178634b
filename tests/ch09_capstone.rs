//! Chapter 9 over real sockets: the `wirebook` binary, every route, the
//! chat's order and its slow-client policy, many WebSockets beside HTTP,
//! and shutdown.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use wirebook::ch08_websocket::client::connect_with;
use wirebook::ch08_websocket::{Config, Message, WebSocket};
use wirebook::ch09_capstone::chat::MAX_MESSAGE_BYTES;
use wirebook::ch09_capstone::checks::{ChatClient, kind, str_of};
use wirebook::ch09_capstone::json::Value;
use wirebook::ch09_capstone::room::{
    CLOSE_GOING_AWAY, CLOSE_TOO_SLOW, MAX_TEXT_BYTES, QUEUE_CAPACITY,
};
use wirebook::check::{Target, assert_chapter_passes, exchange};
use wirebook::rng::Rng;
use wirebook::testkit::{SIGINT, Server, TEST_DEADLINE, TempDir, Watchdog};

const BIN: &str = env!("CARGO_BIN_EXE_wirebook");

fn static_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/static").to_string()
}

/// A server under test, and the deadline of the test: every WebSocket
/// opened through [`ws`] or [`join`] is cut when it passes. Chapter 8's
/// client answers the server's pings, so without it a message that never
/// comes would be waited for forever.
struct Run {
    dog: Watchdog,
    server: Server,
}

impl std::ops::Deref for Run {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

fn start(extra: &[&str]) -> Run {
    let root = static_dir();
    let mut args = vec!["--root", root.as_str(), "--quiet"];
    args.extend_from_slice(extra);
    let server = Server::start(BIN, &args);
    let what = format!("a test of wirebook {}", extra.join(" "));
    Run {
        dog: Watchdog::new(what.trim_end(), TEST_DEADLINE),
        server,
    }
}

/// Joins the chat as `nick`, within the test's deadline.
fn join(run: &Run, nick: &str) -> ChatClient {
    let c = ChatClient::join(&run.target(), nick).unwrap_or_else(|f| run.dog.fail(f));
    run.dog.watch(c.ws.tcp());
    c
}

fn ws(run: &Run, path: &str) -> WebSocket {
    let server = &run.server;
    let url = format!("ws://{}{path}", server.addr);
    let cfg = Config {
        ping_interval: Some(Duration::from_secs(10)),
        ..Config::default()
    };
    let ws = connect_with(&url, &[], cfg, Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("cannot open {url}: {e} (try: websocat {url})"))
        .0;
    run.dog.watch(ws.tcp());
    ws
}

/// Reads until the server's close frame; returns its code.
fn close_code(ws: &mut WebSocket) -> Option<u16> {
    while let Ok(Some(_)) = ws.read_message() {}
    ws.peer_close_code()
}

fn request(server: &Server, raw: &str) -> wirebook::check::RawResponse {
    let t = Target::new(server.addr);
    exchange(&t, raw.as_bytes()).unwrap_or_else(|f| panic!("{f}"))
}

fn get(server: &Server, path: &str) -> wirebook::check::RawResponse {
    request(
        server,
        &format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
    )
}

#[test]
fn chapter_checks_pass() {
    let server = start(&[]);
    assert_chapter_passes("ch09", server.addr);
}

/// The capstone is the earlier chapters composed, so their checks hold
/// against it too. Not chapter 2's (they expect `GET /` to answer
/// `Hello, world`; here `/` is the landing page) nor chapter 8's (they
/// expect the WebSocket at `/`; here it is at `/ws/echo`).
#[test]
fn the_earlier_chapters_checks_pass_against_the_capstone() {
    let uploads = TempDir::new("ch09-checks");
    let server = start(&["--uploads", uploads.path.to_str().unwrap()]);
    for chapter in ["ch03", "ch04", "ch05", "ch06", "ch07"] {
        assert_chapter_passes(chapter, server.addr);
    }
}

#[test]
fn every_route_answers() {
    let uploads = TempDir::new("ch09-uploads");
    let server = start(&["--uploads", uploads.path.to_str().unwrap()]);
    let show = |path: &str| format!("curl -i {}", server.url(path));

    let r = get(&server, "/");
    assert_eq!(r.head.status, 200, "{}", show("/"));
    let body = String::from_utf8_lossy(&r.body);
    assert!(
        body.contains("/chat.html") && body.contains("Concurrency"),
        "{body}"
    );

    assert_eq!(
        get(&server, "/hello").body,
        b"Hello, world",
        "{}",
        show("/hello")
    );
    let r = request(
        &server,
        "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\n\0a\"b\n",
    );
    assert_eq!(r.body, b"\0a\"b\n");

    // Chapter 4's notes.
    let r = request(
        &server,
        "POST /notes HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\
         Connection: close\r\n\r\nbuy \"tea\"",
    );
    assert_eq!(r.head.status, 201, "{}", String::from_utf8_lossy(&r.raw));
    let loc = r
        .head
        .headers
        .get("location")
        .expect("Location")
        .to_string();
    assert_eq!(get(&server, &loc).body, b"buy \"tea\"");
    let list = String::from_utf8_lossy(&get(&server, "/notes").body).into_owned();
    assert!(list.contains(r#""text":"buy \"tea\"""#), "{list}");

    // Chapter 6's files, with HEAD, validators and path safety.
    let r = get(&server, "/chat.html");
    assert_eq!(r.head.status, 200);
    assert!(
        r.head
            .headers
            .get("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    let etag = r.head.headers.get("etag").expect("ETag").to_string();
    let r = request(
        &server,
        &format!(
            "GET /chat.html HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n"
        ),
    );
    assert_eq!(r.head.status, 304);
    let r = request(
        &server,
        "HEAD /small.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(r.head.status, 200);
    assert!(r.body.is_empty());
    assert_eq!(get(&server, "/no-such-file.txt").head.status, 404);
    for evil in ["/../Cargo.toml", "/%2e%2e/Cargo.toml", "/..%2fCargo.toml"] {
        let s = get(&server, evil).head.status;
        assert!(s == 400 || s == 404, "{evil} answered {s}");
    }
    assert_eq!(
        request(
            &server,
            "POST /chat.html HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        .head
        .status,
        405
    );

    // Chapter 7's uploads.
    let r = request(
        &server,
        "PUT /uploads/n.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc",
    );
    assert_eq!(r.head.status, 201, "{}", String::from_utf8_lossy(&r.raw));
    assert_eq!(get(&server, "/uploads/n.txt").body, b"abc");

    // Chapter 8's WebSockets.
    let mut echo = ws(&server, "/ws/echo");
    echo.send_text("ping \u{1F600}").unwrap();
    assert_eq!(
        echo.read_message().unwrap(),
        Some(Message::Text("ping \u{1F600}".into()))
    );
    echo.send_binary(&[0, 255, 1]).unwrap();
    assert_eq!(
        echo.read_message().unwrap(),
        Some(Message::Binary(vec![0, 255, 1]))
    );
    echo.close(1000, "").unwrap();
    let mut hello = ws(&server, "/ws/hello");
    hello.send_text("reader").unwrap();
    assert_eq!(
        hello.read_message().unwrap(),
        Some(Message::Text("Hello reader!".into()))
    );
    assert_eq!(close_code(&mut hello), Some(1000));
    // A plain GET on a WebSocket endpoint is not a handshake.
    let s = get(&server, "/ws/chat").head.status;
    assert!(
        s == 400 || s == 426,
        "GET /ws/chat without Upgrade answered {s}"
    );

    // The chat.
    let mut a = join(&server, "route-test");
    a.say("hi").unwrap();
    let m = a
        .wait_for(5, "own message", |v| kind(v) == "say")
        .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(str_of(&m, "text"), "hi");
}

#[test]
fn chat_broadcast_has_one_order_for_all_members() {
    // Everyone talks as fast as possible: no rate limit.
    let server = start(&["--chat-rate", "0"]);
    const MEMBERS: usize = 5;
    const EACH: usize = 40;
    let mut clients: Vec<ChatClient> = (0..MEMBERS)
        .map(|i| join(&server, &format!("m{i}")))
        .collect();
    // Everyone has seen everyone join before the talking starts.
    for c in &mut clients {
        let last = format!("m{}", MEMBERS - 1);
        c.wait_for(MEMBERS + 1, "the last join", |v| {
            kind(v) == "join" && str_of(v, "nick") == last
        })
        .unwrap_or_else(|f| panic!("{f}"));
    }
    // All talk at once, each from its own thread; each also reads on its
    // own thread.
    let readers: Vec<_> = clients
        .into_iter()
        .map(|mut c| {
            let sender = c.ws.sender();
            let nick = c.nick.clone();
            let talker = thread::spawn(move || {
                for k in 0..EACH {
                    let m = format!(r#"{{"type":"say","text":"{nick} {k}"}}"#);
                    sender.send_text(&m).unwrap();
                }
            });
            thread::spawn(move || {
                let mut seen = Vec::new();
                while seen.len() < MEMBERS * EACH {
                    let v = c.next_event().unwrap_or_else(|f| {
                        panic!(
                            "{} saw {} of {} says: {f}",
                            c.nick,
                            seen.len(),
                            MEMBERS * EACH
                        )
                    });
                    if kind(&v) == "say" {
                        seen.push((
                            seq(&v),
                            str_of(&v, "nick").to_string(),
                            str_of(&v, "text").to_string(),
                        ));
                    }
                }
                talker.join().expect("every say was sent");
                seen
            })
        })
        .collect();
    let seen: Vec<Vec<(u64, String, String)>> = readers
        .into_iter()
        .map(|r| {
            r.join()
                .unwrap_or_else(|_| server.dog.fail("a member did not see every say"))
        })
        .collect();
    for (i, s) in seen.iter().enumerate().skip(1) {
        assert!(s == &seen[0], "member {i} saw another order than member 0");
    }
    for w in seen[0].windows(2) {
        assert!(w[1].0 > w[0].0, "sequence numbers increase");
    }
    for i in 0..MEMBERS {
        let mine: Vec<&str> = seen[0]
            .iter()
            .filter(|(_, n, _)| *n == format!("m{i}"))
            .map(|(_, _, t)| t.as_str())
            .collect();
        let sent: Vec<String> = (0..EACH).map(|k| format!("m{i} {k}")).collect();
        assert_eq!(mine, sent, "m{i}'s messages arrive in the order sent");
    }
}

fn seq(v: &Value) -> u64 {
    match v.get("seq") {
        Some(Value::Number(n)) => *n as u64,
        _ => panic!("no seq in {v:?}"),
    }
}

#[test]
fn a_stuck_client_does_not_block_the_others_and_is_closed() {
    // The talker floods to fill the stuck member's buffers: no rate limit.
    let server = start(&["--chat-rate", "0"]);
    // `stuck` joins and then never reads.
    let mut stuck = join(&server, "stuck");
    let talker = join(&server, "talker");
    let bystander = join(&server, "bystander");
    let sender = talker.ws.sender();
    let text = "y".repeat(1900);
    let say = format!(r#"{{"type":"say","text":"{text}"}}"#);

    // The bystander reads everything on its own thread and reports each
    // say; it stops at the stuck member's departure.
    let (seen_tx, seen_rx) = mpsc::channel::<Option<String>>();
    let watch = |mut c: ChatClient, tx: mpsc::Sender<Option<String>>| {
        thread::spawn(move || {
            loop {
                let v = c.next_event().unwrap_or_else(|f| panic!("{}: {f}", c.nick));
                match kind(&v) {
                    // Each say is reported; nobody listening: stop.
                    "say" if tx.send(None).is_err() => return c,
                    "leave" if str_of(&v, "nick") == "stuck" => {
                        let _ = tx.send(Some(str_of(&v, "reason").to_string()));
                        return c;
                    }
                    _ => {}
                }
            }
        })
    };
    let bystander = watch(bystander, seen_tx);
    // The talker's own copies are read on another thread, and counted too.
    let (echo_tx, echo_rx) = mpsc::channel();
    let talker = watch(talker, echo_tx);

    // Talk with at most WINDOW messages in flight (as seen by the
    // bystander and by the talker itself), so that only `stuck` can fall
    // behind, however the machine schedules the readers: WINDOW is well
    // under the queue's capacity. Its socket buffers fill, then its bounded
    // queue, and the room cuts it off. Each step may take STALL at most;
    // the whole test is bounded by its watchdog.
    const WINDOW: usize = QUEUE_CAPACITY / 4;
    const STALL: Duration = Duration::from_secs(10);
    let (mut sent, mut seen, mut echoed) = (0usize, 0usize, 0usize);
    let reason = 'talk: loop {
        while sent - seen.min(echoed) < WINDOW {
            sender
                .send_text(&say)
                .unwrap_or_else(|e| server.dog.fail(e));
            sent += 1;
        }
        if echoed < seen {
            // The talker's reader has seen `stuck` leave (Some) and
            // stopped: it no longer limits the pace.
            match echo_rx.recv_timeout(STALL) {
                Ok(None) => echoed += 1,
                Ok(Some(_)) | Err(mpsc::RecvTimeoutError::Disconnected) => echoed = usize::MAX,
                Err(mpsc::RecvTimeoutError::Timeout) => server.dog.fail(format!(
                    "the talker stopped receiving its own messages ({echoed} of {sent})"
                )),
            }
            continue;
        }
        match seen_rx.recv_timeout(STALL) {
            Ok(None) => seen += 1,
            Ok(Some(reason)) => break 'talk reason,
            Err(_) => server.dog.fail(format!(
                "the stuck client was not cut off: {sent} sent, {seen} delivered to the bystander"
            )),
        }
    };
    assert_eq!(reason, "too slow");
    // The room goes on: the bystander receives every message ever sent,
    // those in flight at the eviction and the next one too.
    let mut bystander = bystander
        .join()
        .unwrap_or_else(|_| server.dog.fail("the bystander failed"));
    sender
        .send_text(r#"{"type":"say","text":"after the eviction"}"#)
        .unwrap_or_else(|e| server.dog.fail(e));
    loop {
        let v = bystander
            .next_event()
            .unwrap_or_else(|f| server.dog.fail(f));
        if kind(&v) == "say" {
            seen += 1;
            if str_of(&v, "text") == "after the eviction" {
                break;
            }
        }
    }
    assert_eq!(seen, sent + 1, "the bystander received every message");
    // `stuck` reads at last: what was in its socket buffers, then a 1008
    // close. It never gets the say that found its queue full, nor the
    // window sent after it had left, which the others received.
    let mut stuck_says = 0;
    loop {
        match stuck.ws.read_message() {
            Ok(Some(Message::Text(t))) if t.contains(r#""type":"say""#) => stuck_says += 1,
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => server
                .dog
                .fail(format!("stuck, after {stuck_says} messages: {e}")),
        }
    }
    assert_eq!(stuck.ws.peer_close_code(), Some(CLOSE_TOO_SLOW));
    assert!(
        stuck_says + WINDOW < sent,
        "stuck got {stuck_says} of {sent}: it did not fall behind"
    );
    drop(sender);
    drop(talker);
}

#[test]
fn the_chat_refuses_bad_input_clearly() {
    let server = start(&[]);
    // Not JSON, not a known message, saying before joining: an error each,
    // and the connection stays usable.
    let mut c = ws(&server, "/ws/chat");
    for bad in [
        "not json",
        r#"{"type":"dance"}"#,
        r#"{"type":"say","text":"hi"}"#,
    ] {
        c.send_text(bad).unwrap();
        match c.read_message().unwrap() {
            Some(Message::Text(t)) => assert!(t.contains(r#""type":"error""#), "{bad}: {t}"),
            other => panic!("{bad}: {other:?}"),
        }
    }
    // A message over the limit: 1009 (chapter 8 enforces the limit).
    let mut big = join(&server, "big");
    let huge = format!(
        r#"{{"type":"say","text":"{}"}}"#,
        "z".repeat(MAX_MESSAGE_BYTES)
    );
    big.ws.send_text(&huge).unwrap();
    assert_eq!(close_code(&mut big.ws), Some(1009));
    // A binary message: 1003.
    let mut bin = join(&server, "bin");
    bin.ws.send_binary(b"\x00").unwrap();
    assert_eq!(close_code(&mut bin.ws), Some(1003));
    // A text over the room's limit but under the frame limit: an error.
    let mut long = join(&server, "long");
    long.say(&"w".repeat(MAX_TEXT_BYTES + 1)).unwrap();
    let e = long
        .wait_for(10, "an error", |v| kind(v) == "error")
        .unwrap_or_else(|f| panic!("{f}"));
    assert!(str_of(&e, "error").contains("longer than"), "{e:?}");
}

#[test]
fn an_echo_frame_over_the_message_limit_is_refused_from_its_header() {
    // /ws/echo takes messages up to 16 MiB, as ch08_ws_echo does. A frame
    // header announcing 17 MiB gets 1009 at once: nothing of it is
    // buffered or waited for.
    let server = start(&[]);
    let mut ws = ws(&server, "/ws/echo");
    let mut header = vec![0x82, 0xFF];
    header.extend_from_slice(&(17u64 << 20).to_be_bytes());
    header.extend_from_slice(&[1, 2, 3, 4]);
    ws.tcp().write_all(&header).unwrap();
    assert_eq!(close_code(&mut ws), Some(1009));
}

#[test]
fn the_echo_takes_what_ch08_ws_echo_takes() {
    // 1 MiB and a message just under 16 MiB come back whole.
    let server = start(&[]);
    let mut ws = ws(&server, "/ws/echo");
    let mut rng = Rng::new();
    for len in [1 << 20, (16 << 20) - 100] {
        let data = rng.bytes(len);
        ws.send_binary(&data).unwrap();
        assert!(
            ws.read_message().unwrap() == Some(Message::Binary(data)),
            "{len} bytes"
        );
    }
}

#[test]
fn websockets_past_max_websockets_get_503_with_retry_after() {
    let server = start(&["--max-websockets", "3"]);
    let open: Vec<WebSocket> = ["/ws/echo", "/ws/chat", "/ws/echo"]
        .iter()
        .map(|p| ws(&server, p))
        .collect();
    let t = Target::new(server.addr);
    let req = format!(
        "GET /ws/echo HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    let resp = wirebook::check::exchange(&t, req.as_bytes()).unwrap();
    assert_eq!(resp.head.status, 503);
    assert!(resp.head.headers.get("Retry-After").is_some());
    assert!(
        String::from_utf8_lossy(&resp.body).contains("3 WebSockets are open"),
        "{:?}",
        String::from_utf8_lossy(&resp.body)
    );
    // One closes; its place is free again.
    let mut open = open;
    let mut first = open.remove(0);
    first.close(1000, "").unwrap();
    let again = (0..100).find_map(|_| {
        let resp = wirebook::check::exchange(&t, req.as_bytes()).unwrap();
        (resp.head.status == 101).then_some(()).or_else(|| {
            thread::sleep(Duration::from_millis(20));
            None
        })
    });
    assert!(again.is_some(), "the freed place was never given out");
}

#[test]
fn a_member_that_floods_is_told_to_slow_down() {
    let server = start(&[]);
    let mut a = join(&server, "flooder");
    for k in 0..100 {
        a.say(&format!("{k}")).unwrap();
    }
    let e = a
        .wait_for(200, "an error", |v| kind(v) == "error")
        .unwrap_or_else(|f| panic!("{f}"));
    assert!(str_of(&e, "error").starts_with("slow down"), "{e:?}");
}

#[test]
fn five_hundred_websockets_do_not_stop_http() {
    // Two HTTP workers only: upgraded connections must not use them.
    let server = start(&["--threads", "2"]);
    const N: usize = 500;
    let mut sockets: Vec<WebSocket> = (0..N).map(|_| ws(&server, "/ws/echo")).collect();
    // Every one is open and served at once: a message on each, all sent
    // before any answer is read.
    let mut rng = Rng::new();
    let words: Vec<String> = (0..N).map(|_| rng.word(8)).collect();
    for (s, w) in sockets.iter().zip(&words) {
        s.send_text(w).unwrap();
    }
    // Meanwhile, plain HTTP requests on new connections, several at a time.
    let http: Vec<_> = (0..8)
        .map(|_| {
            let addr = server.addr;
            thread::spawn(move || {
                for _ in 0..5 {
                    let mut s = TcpStream::connect(addr).unwrap();
                    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                    s.write_all(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                        .unwrap();
                    let mut got = Vec::new();
                    s.read_to_end(&mut got).unwrap_or_else(|e| {
                        panic!("no HTTP answer while {N} WebSockets are open: {e}")
                    });
                    assert!(
                        got.ends_with(b"Hello, world"),
                        "{}",
                        String::from_utf8_lossy(&got)
                    );
                }
            })
        })
        .collect();
    for h in http {
        h.join().unwrap();
    }
    for (s, w) in sockets.iter_mut().zip(&words) {
        assert_eq!(s.read_message().unwrap(), Some(Message::Text(w.clone())));
    }
    for s in &mut sockets {
        let _ = s.sender().close(1000, "");
    }
}

#[test]
fn ctrl_c_closes_every_websocket_with_1001_and_exits_0() {
    let server = start(&[]);
    let mut echoes: Vec<WebSocket> = (0..3).map(|_| ws(&server, "/ws/echo")).collect();
    for e in &mut echoes {
        e.send_text("x").unwrap();
        assert_eq!(e.read_message().unwrap(), Some(Message::Text("x".into())));
    }
    let a = join(&server, "a");
    let mut b = join(&server, "b");
    a.say("last words").unwrap();
    b.wait_for(5, "a's message", |v| str_of(v, "text") == "last words")
        .unwrap_or_else(|f| panic!("{f}"));
    let mut chats = vec![a.ws, b.ws];
    server.signal(SIGINT); // what Ctrl-C sends
    // Each client reads (and answers) the server's close frame.
    let readers: Vec<_> = echoes
        .into_iter()
        .chain(chats.drain(..))
        .map(|mut w| thread::spawn(move || close_code(&mut w)))
        .collect();
    for r in readers {
        assert_eq!(r.join().unwrap(), Some(CLOSE_GOING_AWAY));
    }
    let status = server
        .server
        .wait_exit(Duration::from_secs(10))
        .expect("the server exits after SIGINT");
    assert!(status.success(), "exit status {status}");
}

#[test]
fn a_bad_command_line_gets_a_clear_error_and_exit_2() {
    use wirebook::testkit::run_client;
    let t = Duration::from_secs(10);
    let out = run_client(
        BIN,
        &["--root", "/no/such/dir", "--addr", "127.0.0.1:0"],
        b"",
        t,
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/no/such/dir"), "{err}");
    let out = run_client(BIN, &["--bogus"], b"", t);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--bogus"));
    let out = run_client(BIN, &["--help"], b"", t);
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--root", "--uploads", "--max-websockets", "--event-loop"] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
    }
    assert!(help.contains("16 MiB on /ws/echo"), "{help}");
    assert!(
        help.lines().any(|l| l == "Usage: wirebook [OPTIONS]"),
        "{help}"
    );
    let out = run_client(BIN, &["--max-websockets", "0"], b"", t);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--max-websockets"));
}
