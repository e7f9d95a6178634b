//! Chapter 10's WebSocket side over real sockets: `ch08_ws_echo
//! --event-loop` and `wirebook --event-loop` must behave exactly as the
//! thread-per-socket design does (chapter 8's checks, independent clients,
//! limits, shutdown), while idle connections hold no thread.
#![cfg(target_os = "linux")]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use tungstenite::Message as TMessage;
use wirebook::ch08_websocket::client::connect_with;
use wirebook::ch08_websocket::frame::{self, OpCode};
use wirebook::ch08_websocket::{Config, Message, WebSocket};
use wirebook::rng::Rng;
use wirebook::testkit::{Guarded, SIGTERM, Server, TEST_DEADLINE, Watchdog};

const TIMEOUT: Duration = Duration::from_secs(5);
const ECHO: &str = env!("CARGO_BIN_EXE_ch08_ws_echo");

fn loop_echo(extra: &[&str]) -> Server {
    let mut args = vec!["--quiet", "--event-loop"];
    args.extend_from_slice(extra);
    Server::start(ECHO, &args)
}

/// A WebSocket to `server`, cut after the test's deadline: chapter 8's
/// client answers the server's pings, so a lost message would otherwise be
/// waited for forever.
fn open(server: &Server, path: &str) -> Guarded<WebSocket> {
    let url = format!("ws://{}{path}", server.addr);
    let ws = connect_with(&url, &[], Config::default(), TIMEOUT)
        .unwrap_or_else(|e| panic!("cannot open {url}: {e}"))
        .0;
    let dog = Watchdog::new(&format!("a WebSocket to {url}"), TEST_DEADLINE);
    dog.watch(ws.tcp());
    dog.guarding(ws)
}

fn assert_no_panic(server: &Server) {
    let err = server.stderr_text();
    assert!(!err.contains("panicked"), "server stderr:\n{err}");
}

/// The server's thread count, from `/proc/PID/status`.
fn threads(server: &Server) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a Threads: line")
}

/// Opens a WebSocket by hand and returns the stream after the 101's head.
fn raw_open(addr: std::net::SocketAddr) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut got = Vec::new();
    let mut b = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut b).unwrap(), 1, "closed in the 101: {got:?}");
        got.push(b[0]);
    }
    s
}

#[test]
fn chapter_8_checks_pass_against_the_loop() {
    let server = loop_echo(&[]);
    wirebook::check::assert_chapter_passes("ch08", server.addr);
    wirebook::check::assert_chapter_passes("ch08", server.addr);
    assert_no_panic(&server);
}

#[test]
fn tungstenite_client_against_the_loop() {
    let server = loop_echo(&[]);
    let stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let url = format!("ws://{}/", server.addr);
    let (mut ws, _) = tungstenite::client(url.as_str(), stream).expect("handshake");
    let mut rng = Rng::new();
    for len in [0, 125, 126, 65536, 300_000] {
        let text = rng.word(len);
        ws.send(TMessage::text(text.clone())).unwrap();
        assert_eq!(ws.read().unwrap(), TMessage::text(text), "len {len}");
    }
    ws.send(TMessage::Ping(b"123".to_vec().into())).unwrap();
    assert_eq!(ws.read().unwrap(), TMessage::Pong(b"123".to_vec().into()));
    ws.close(None).unwrap();
    while ws.read().is_ok() {}
    assert_no_panic(&server);
}

#[test]
fn idle_websockets_hold_no_thread_and_are_all_served() {
    let server = loop_echo(&["--threads", "2"]);
    const N: usize = 200;
    let mut sockets: Vec<Guarded<WebSocket>> = (0..N).map(|_| open(&server, "/")).collect();
    for (i, s) in sockets.iter_mut().enumerate() {
        let m = format!("hello {i}");
        s.send_text(&m).unwrap();
        assert_eq!(s.read_message().unwrap(), Some(Message::Text(m)));
    }
    // Thread-per-socket would need N threads here; the loop needs one.
    let n = threads(&server);
    assert!(n < 40, "{n} threads for {N} idle WebSockets");
    for s in &mut sockets {
        s.close(1000, "").unwrap();
    }
}

#[test]
fn a_client_that_does_not_read_its_echoes_delays_no_one_else() {
    // A client that sends 8 MiB without reading fills the socket buffers:
    // its echo cannot be written now, and must not hold up the loop (the
    // others' echoes) nor be lost or reordered (the connection moves to a
    // thread, which sends the queued bytes first).
    let server = loop_echo(&[]);
    let mut slow = open(&server, "/");
    let mut rng = Rng::new();
    let sent: Vec<Vec<u8>> = (0..32).map(|_| rng.bytes(256 * 1024)).collect();
    let writer = {
        let (tx, sent) = (slow.sender(), sent.clone());
        thread::spawn(move || {
            for m in &sent {
                tx.send_binary(m).unwrap();
            }
        })
    };
    let mut quick = open(&server, "/");
    for i in 0..50 {
        let m = format!("quick {i}");
        quick.send_text(&m).unwrap();
        assert_eq!(quick.read_message().unwrap(), Some(Message::Text(m)));
    }
    for (i, want) in sent.iter().enumerate() {
        match slow.read_message() {
            Ok(Some(Message::Binary(got))) => assert!(got == *want, "echo {i} differs"),
            other => panic!("echo {i}: {other:?}"),
        }
    }
    writer.join().unwrap();
    slow.close(1000, "").unwrap();
    quick.close(1000, "").unwrap();
    assert_no_panic(&server);
}

#[test]
fn messages_over_the_limit_get_1009_on_the_loop() {
    let server = loop_echo(&["--max-message", "1000"]);
    let mut ws = open(&server, "/");
    let tx = ws.sender();
    tx.send_frame(false, OpCode::Binary, &[1; 600]).unwrap();
    tx.send_frame(true, OpCode::Continuation, &[1; 600])
        .unwrap();
    assert_eq!(ws.read_message().unwrap(), None);
    assert_eq!(ws.peer_close_code(), Some(1009));
}

#[test]
fn the_loop_pings_a_silent_client_then_closes_with_1001() {
    let server = loop_echo(&["--ping-interval", "200ms"]);
    let mut s = raw_open(server.addr);
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert_eq!(got[0], 0x89, "{got:x?}");
    let ping_len = 2 + (got[1] & 0x7f) as usize;
    assert_eq!(
        &got[ping_len..ping_len + 4],
        &[0x88, 0x0e, 0x03, 0xe9],
        "{got:x?}"
    );
}

#[test]
fn sigterm_closes_parked_websockets_with_1001_even_if_the_peer_never_answers() {
    let server = loop_echo(&[]);
    let mut polite = open(&server, "/");
    let mut silent = raw_open(server.addr);
    // One echo each, so both are parked in the loop before the signal.
    polite.send_text("hi").unwrap();
    assert_eq!(
        polite.read_message().unwrap(),
        Some(Message::Text("hi".into()))
    );
    let mut hi = Vec::new();
    frame::encode(true, OpCode::Text, b"hi", Some([1, 2, 3, 4]), &mut hi);
    silent.write_all(&hi).unwrap();
    silent.read_exact(&mut [0u8; 4]).unwrap();
    server.signal(SIGTERM);
    assert_eq!(polite.read_message().unwrap(), None);
    assert_eq!(polite.peer_close_code(), Some(1001));
    let mut close = [0u8; 4];
    silent.read_exact(&mut close).unwrap();
    assert_eq!(&close, &[0x88, 0x16, 0x03, 0xe9], "a 1001 close frame");
    let (status, err) = server.wait_exit_with_stderr(Duration::from_secs(15));
    let status = status.expect("the server exits after SIGTERM");
    assert!(status.success(), "exit status {status}");
    assert!(!err.contains("did not finish closing"), "{err}");
}

#[test]
fn the_capstone_serves_its_echo_from_the_loop_within_its_cap() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/static");
    let server = Server::start(
        env!("CARGO_BIN_EXE_wirebook"),
        &[
            "--root",
            root,
            "--quiet",
            "--event-loop",
            "--max-websockets",
            "2",
        ],
    );
    let mut a = open(&server, "/ws/echo");
    let _b = open(&server, "/ws/chat");
    let data = Rng::new().bytes(1 << 20);
    a.send_binary(&data).unwrap();
    assert!(a.read_message().unwrap() == Some(Message::Binary(data)));
    let url = format!("ws://{}/ws/echo", server.addr);
    let err = connect_with(&url, &[], Config::default(), TIMEOUT)
        .err()
        .expect("a third WebSocket is refused");
    assert!(err.to_string().contains("503"), "{err}");
    a.close(1000, "").unwrap();
    assert_no_panic(&server);
}

#[test]
fn the_capstone_on_the_event_loop_passes_chapters_9_and_10_and_exits_cleanly() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/static");
    let server = Server::start(
        env!("CARGO_BIN_EXE_wirebook"),
        &["--root", root, "--quiet", "--event-loop"],
    );
    wirebook::check::assert_chapter_passes("ch09", server.addr);
    wirebook::check::assert_chapter_passes("ch10", server.addr);
    let mut ws = open(&server, "/ws/echo");
    ws.send_text("still here").unwrap();
    assert!(ws.read_message().unwrap() == Some(Message::Text("still here".into())));
    server.signal(SIGTERM);
    let closed = ws.read_message();
    assert!(
        matches!(closed, Ok(None) | Err(_)),
        "the echo is closed on SIGTERM: {closed:?}"
    );
    assert_eq!(ws.peer_close_code(), Some(1001));
    let (status, err) = server.wait_exit_with_stderr(TIMEOUT);
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{err}");
}

#[test]
fn an_answer_that_panics_ends_only_its_own_connection() {
    use std::sync::Arc;
    use wirebook::ch05_concurrency::{Config as ServerConfig, Server as HttpServer};
    use wirebook::ch08_websocket::HandshakeConfig;
    use wirebook::ch10_event_loop::ws_loop::EventLoop;

    let ev = EventLoop::start(|m: Message| match &m {
        Message::Text(t) if t == "boom" => panic!("the answer panicked on purpose"),
        _ => Some(m),
    })
    .unwrap();
    let service = Arc::new(ev).service(HandshakeConfig::default());
    let config = ServerConfig {
        quiet: true,
        threads: 4,
        ..ServerConfig::default()
    };
    let server = HttpServer::bind("127.0.0.1:0".parse().unwrap(), config).unwrap();
    let addr = server.local_addr();
    let stop = server.shutdown_handle();
    let running = thread::spawn(move || server.run(Arc::new(service)));
    let open_at = |path: &str| {
        let url = format!("ws://{addr}{path}");
        let ws = connect_with(&url, &[], Config::default(), TIMEOUT)
            .unwrap()
            .0;
        let dog = Watchdog::new(&format!("a WebSocket to {url}"), TEST_DEADLINE);
        dog.watch(ws.tcp());
        dog.guarding(ws)
    };
    let mut victim = open_at("/");
    let mut other = open_at("/");
    victim.send_text("boom").unwrap();
    assert!(
        !matches!(victim.read_message(), Ok(Some(_))),
        "the connection whose answer panicked ends"
    );
    for i in 0..3 {
        let text = format!("still here {i}");
        other.send_text(&text).unwrap();
        assert!(other.read_message().unwrap() == Some(Message::Text(text)));
    }
    let mut late = open_at("/");
    late.send_text("new").unwrap();
    assert!(late.read_message().unwrap() == Some(Message::Text("new".into())));
    stop.shutdown();
    drop((other, late));
    let _ = running.join();
}
