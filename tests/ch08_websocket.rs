//! Chapter 8 over real sockets: our server against an independent client
//! (tungstenite), our client against an independent server (tungstenite,
//! in-process), the chapter's checks, and bad input.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use tungstenite::Message as TMessage;
use wirebook::ch08_websocket::client::connect_with;
use wirebook::ch08_websocket::{Config, Message, WsError};
use wirebook::rng::Rng;
use wirebook::testkit::{SIGTERM, Server, TEST_DEADLINE, Watchdog, run_client};

const TIMEOUT: Duration = Duration::from_secs(5);

/// Cuts `ws` once the test's deadline passes (until the guard is dropped).
/// Our client answers the server's pings and the server answers ours, so
/// a read waiting for a lost message would otherwise never time out.
fn deadline(ws: &wirebook::ch08_websocket::WebSocket) -> Watchdog {
    let dog = Watchdog::new(&format!("a WebSocket to {}", ws.peer()), TEST_DEADLINE);
    dog.watch(ws.tcp());
    dog
}

/// A tungstenite echo server on a free port, serving `conns` connections,
/// each on its own thread. Returns the port and a handle that yields, per
/// connection, the close frame the client sent.
fn tungstenite_echo_server(conns: usize) -> (u16, thread::JoinHandle<Vec<Option<u16>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let h = thread::spawn(move || {
        let mut closes = Vec::new();
        for _ in 0..conns {
            let (s, _) = listener.accept().unwrap();
            s.set_read_timeout(Some(TIMEOUT)).unwrap();
            let mut ws = tungstenite::accept(s).expect("tungstenite accepts our handshake");
            let mut close_code = None;
            loop {
                match ws.read() {
                    Ok(m @ (TMessage::Text(_) | TMessage::Binary(_))) => ws.send(m).unwrap(),
                    Ok(TMessage::Close(c)) => close_code = c.map(|c| u16::from(c.code)),
                    Ok(_) => {}
                    Err(tungstenite::Error::ConnectionClosed) => break,
                    Err(e) => panic!("tungstenite server: {e}"),
                }
            }
            closes.push(close_code);
        }
        closes
    });
    (port, h)
}

#[test]
fn our_client_interoperates_with_tungstenite_server() {
    let (port, server) = tungstenite_echo_server(1);
    let url = format!("ws://127.0.0.1:{port}/ws");
    let (mut ws, proto) = connect_with(&url, &[], Config::default(), TIMEOUT).unwrap();
    let _dog = deadline(&ws);
    assert_eq!(proto, None);
    let mut rng = Rng::new();
    for len in [0, 1, 125, 126, 65535, 65536, 200_000] {
        let text = rng.word(len);
        ws.send_text(&text).unwrap();
        assert_eq!(
            ws.read_message().unwrap(),
            Some(Message::Text(text)),
            "len {len}"
        );
        let data = rng.bytes(len);
        ws.send_binary(&data).unwrap();
        assert_eq!(
            ws.read_message().unwrap(),
            Some(Message::Binary(data)),
            "len {len}"
        );
    }
    ws.ping(b"are you there").unwrap();
    ws.close(1000, "done").unwrap();
    assert!(
        matches!(ws.peer_close(), Some(Some((1000, _)))),
        "{:?}",
        ws.peer_close()
    );
    assert_eq!(server.join().unwrap(), vec![Some(1000)]);
}

#[test]
fn sender_clones_write_from_many_threads_while_one_reads() {
    let (port, server) = tungstenite_echo_server(1);
    let url = format!("ws://127.0.0.1:{port}/");
    let (mut ws, _) = connect_with(&url, &[], Config::default(), TIMEOUT).unwrap();
    let _dog = deadline(&ws);
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let tx = ws.sender();
            thread::spawn(move || {
                for i in 0..50 {
                    tx.send_text(&format!("{t}:{i}:{}", "x".repeat(i * 37)))
                        .unwrap();
                }
            })
        })
        .collect();
    let mut seen = [0usize; 4];
    for _ in 0..200 {
        let Some(Message::Text(t)) = ws.read_message().unwrap() else {
            panic!("expected text")
        };
        let mut parts = t.splitn(3, ':');
        let who: usize = parts.next().unwrap().parse().unwrap();
        let i: usize = parts.next().unwrap().parse().unwrap();
        assert_eq!(
            i, seen[who],
            "messages of one thread stay in order and whole"
        );
        assert_eq!(parts.next().unwrap().len(), i * 37);
        seen[who] += 1;
    }
    for w in writers {
        w.join().unwrap();
    }
    ws.close(1000, "").unwrap();
    assert_eq!(server.join().unwrap(), vec![Some(1000)]);
}

#[test]
fn client_binary_sends_lines_and_prints_echoes() {
    let (port, server) = tungstenite_echo_server(1);
    let url = format!("ws://127.0.0.1:{port}/echo");
    let out = run_client(
        env!("CARGO_BIN_EXE_ch08_ws_client"),
        &[&url],
        "hello\nwörld\n".as_bytes(),
        Duration::from_secs(10),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "exit {:?}\nstderr:\n{stderr}",
        out.status
    );
    assert_eq!(stdout, "hello\nwörld\n", "stderr:\n{stderr}");
    assert_eq!(server.join().unwrap(), vec![Some(1000)]);
}

#[test]
fn client_binary_rejects_a_bad_url_with_exit_2_or_1() {
    let out = run_client(
        env!("CARGO_BIN_EXE_ch08_ws_client"),
        &[],
        b"",
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(2));
    let out = run_client(
        env!("CARGO_BIN_EXE_ch08_ws_client"),
        &["http://127.0.0.1:1/"],
        b"",
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a ws:// URL"));
}

/// A server that accepts one connection, answers the handshake with a
/// fixed 101, then does what `then` says with the raw socket.
fn raw_server(then: impl FnOnce(TcpStream) + Send + 'static) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        s.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut head = Vec::new();
        let mut b = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if s.read(&mut b).unwrap() == 0 {
                return;
            }
            head.push(b[0]);
        }
        let text = String::from_utf8_lossy(&head).to_string();
        let key = text
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .unwrap()
            .trim()
            .to_string();
        let accept = wirebook::ch08_websocket::accept_key(&key);
        write!(
            s,
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
        )
        .unwrap();
        then(s);
    });
    port
}

/// Reads what the client sends until it closes; returns the bytes.
fn read_all(mut s: TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    got
}

fn client_close_code(got: &[u8]) -> u16 {
    // The client's close frame: 0x88, masked length, key, masked code.
    assert!(got.len() >= 8, "no close frame from the client: {got:x?}");
    assert_eq!(got[0], 0x88, "{got:x?}");
    assert_eq!(got[1] & 0x80, 0x80, "client frames are masked");
    let key = &got[2..6];
    u16::from_be_bytes([got[6] ^ key[0], got[7] ^ key[1]])
}

#[test]
fn client_fails_a_masked_server_frame_with_1002() {
    let (tx, rx) = std::sync::mpsc::channel();
    let port = raw_server(move |mut s| {
        // A server frame must not be masked (§5.1).
        s.write_all(&[0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2])
            .unwrap();
        tx.send(read_all(s)).unwrap();
    });
    let url = format!("ws://127.0.0.1:{port}/");
    let (mut ws, _) = connect_with(&url, &[], Config::default(), TIMEOUT).unwrap();
    let _dog = deadline(&ws);
    match ws.read_message() {
        Err(WsError::Failed(v)) => assert_eq!(v.code, 1002),
        other => panic!("expected a 1002 failure, got {other:?}"),
    }
    let got = rx.recv_timeout(TIMEOUT).unwrap();
    assert_eq!(client_close_code(&got), 1002);
}

#[test]
fn client_reports_a_server_that_vanishes_mid_frame() {
    let port = raw_server(|mut s| {
        // Announces 100 bytes, sends 3, and goes.
        s.write_all(&[0x82, 100, 1, 2, 3]).unwrap();
    });
    let url = format!("ws://127.0.0.1:{port}/");
    let (mut ws, _) = connect_with(&url, &[], Config::default(), TIMEOUT).unwrap();
    let _dog = deadline(&ws);
    match ws.read_message() {
        Err(WsError::Io(e)) => {
            assert_eq!(e.kind(), ErrorKind::UnexpectedEof);
            assert!(e.to_string().contains("middle of a frame"), "{e}");
        }
        other => panic!("expected an EOF error, got {other:?}"),
    }
    assert!(matches!(ws.read_message(), Ok(None)));
}

#[test]
fn client_refuses_a_101_with_the_wrong_accept_key() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut b = [0u8; 1024];
        let _ = s.read(&mut b);
        let _ = s.write_all(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        );
    });
    let err = connect_with(
        &format!("ws://127.0.0.1:{port}/"),
        &[],
        Config::default(),
        TIMEOUT,
    )
    .err()
    .expect("must refuse");
    assert!(err.to_string().contains("Sec-WebSocket-Accept"), "{err}");
}

#[test]
fn idle_client_pings_then_gives_up_on_a_silent_server() {
    let (tx, rx) = std::sync::mpsc::channel();
    let port = raw_server(move |s| tx.send(read_all(s)).unwrap());
    let config = Config {
        ping_interval: Some(Duration::from_millis(200)),
        ..Config::default()
    };
    let (mut ws, _) =
        connect_with(&format!("ws://127.0.0.1:{port}/"), &[], config, TIMEOUT).unwrap();
    let _dog = deadline(&ws);
    assert!(matches!(ws.read_message(), Err(WsError::Timeout)));
    let got = rx.recv_timeout(TIMEOUT).unwrap();
    // A masked ping (0x89) came first, then a close with 1001.
    assert_eq!(got[0], 0x89, "{got:x?}");
    let ping_len = 2 + 4 + (got[1] & 0x7f) as usize;
    assert_eq!(client_close_code(&got[ping_len..]), 1001);
}

/// The checks must be able to fail: a server that echoes correctly but
/// drops TCP on bad input instead of sending a close code (here a plain
/// tungstenite loop that stops at the first error) passes the echo checks
/// and fails the close-code ones.
#[test]
fn checks_tell_a_tcp_drop_from_a_close_code() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(s) = s else { return };
            thread::spawn(move || {
                let Ok(mut ws) = tungstenite::accept(s) else {
                    return;
                };
                while let Ok(m) = ws.read() {
                    if (m.is_text() || m.is_binary()) && ws.send(m).is_err() {
                        break;
                    }
                }
            });
        }
    });
    let checks = wirebook::check::chapter("ch08").unwrap();
    let mut out = Vec::new();
    let report = wirebook::check::run(&checks, &wirebook::check::Target::new(addr), &mut out);
    let text = String::from_utf8_lossy(&out);
    let failed: Vec<&str> = report.failed.iter().map(|(n, _)| n.as_str()).collect();
    for must_pass in [
        "handshake_answers_101",
        "text_echoed_at_every_length_boundary",
        "ping_gets_pong_with_the_same_payload",
    ] {
        assert!(!failed.contains(&must_pass), "{must_pass} failed:\n{text}");
    }
    for must_fail in [
        "unmasked_frame_gets_1002",
        "two_gib_frame_gets_1009",
        "invalid_utf8_gets_1007",
    ] {
        assert!(failed.contains(&must_fail), "{must_fail} passed:\n{text}");
    }
    assert!(text.contains("without a close frame"), "{text}");
}

fn echo_server() -> Server {
    Server::start(env!("CARGO_BIN_EXE_ch08_ws_echo"), &["--quiet"])
}

fn assert_no_panic(server: &Server) {
    let err = server.stderr_text();
    assert!(!err.contains("panicked"), "server stderr:\n{err}");
}

#[test]
fn checks_pass_against_the_echo_server() {
    let server = echo_server();
    wirebook::check::assert_chapter_passes("ch08", server.addr);
    // And it still serves after all that bad input.
    wirebook::check::assert_chapter_passes("ch08", server.addr);
    assert_no_panic(&server);
}

#[test]
fn tungstenite_client_against_our_echo_server() {
    let server = echo_server();
    let stream = TcpStream::connect(server.addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    let url = format!("ws://{}/any/path?x=1", server.addr);
    let (mut ws, resp) = tungstenite::client(url.as_str(), stream).expect("handshake");
    assert_eq!(resp.status().as_u16(), 101);
    let mut rng = Rng::new();
    for len in [0, 1, 125, 126, 65535, 65536, 300_000] {
        let text = rng.word(len);
        ws.send(TMessage::text(text.clone())).unwrap();
        assert_eq!(ws.read().unwrap(), TMessage::text(text), "text len {len}");
        let data = rng.bytes(len);
        ws.send(TMessage::binary(data.clone())).unwrap();
        assert_eq!(
            ws.read().unwrap(),
            TMessage::binary(data),
            "binary len {len}"
        );
    }
    ws.send(TMessage::Ping(b"123".to_vec().into())).unwrap();
    assert_eq!(ws.read().unwrap(), TMessage::Pong(b"123".to_vec().into()));
    ws.close(None).unwrap();
    let mut echoed = None;
    loop {
        match ws.read() {
            Ok(TMessage::Close(c)) => echoed = Some(c),
            Ok(m) => panic!("unexpected {m:?}"),
            Err(tungstenite::Error::ConnectionClosed) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(
        echoed,
        Some(None),
        "an empty close is answered with an empty close"
    );
    assert_no_panic(&server);
}

#[test]
fn many_clients_at_once_each_get_their_own_echoes() {
    let server = echo_server();
    let addr = server.addr;
    let clients: Vec<_> = (0..8)
        .map(|i| {
            thread::spawn(move || {
                let url = format!("ws://{addr}/c{i}");
                let (mut ws, _) = connect_with(&url, &[], Config::default(), TIMEOUT).unwrap();
                let _dog = deadline(&ws);
                for j in 0..100 {
                    let m = format!("client {i} message {j}");
                    ws.send_text(&m).unwrap();
                    assert_eq!(ws.read_message().unwrap(), Some(Message::Text(m)));
                }
                ws.close(1000, "").unwrap();
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
}

#[test]
fn a_client_that_does_not_read_its_echoes_delays_no_one_else() {
    // Each connection has its own thread. A client that sends 8 MiB
    // without reading fills the socket buffers: its thread waits to write
    // its echo, and no one else waits with it; nothing is lost or
    // reordered.
    let server = echo_server();
    let url = format!("ws://{}/", server.addr);
    let (mut slow, _) = connect_with(&url, &[], Config::default(), TIMEOUT).unwrap();
    let _dog = deadline(&slow);
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
    let (mut quick, _) = connect_with(&url, &[], Config::default(), TIMEOUT).unwrap();
    let _dog = deadline(&quick);
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

/// Sends `handshake + extra` in one write and returns the connection and
/// whatever came back up to the end of the 101's head.
fn raw_open(addr: std::net::SocketAddr, extra: &[u8]) -> (TcpStream, Vec<u8>) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut req = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .into_bytes();
    req.extend_from_slice(extra);
    s.write_all(&req).unwrap();
    let mut got = Vec::new();
    let mut b = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut b).unwrap(), 1, "closed in the 101: {got:?}");
        got.push(b[0]);
    }
    (s, got)
}

#[test]
fn a_frame_sent_with_the_handshake_is_not_lost() {
    // A client should wait for the 101 (§4.1), but the bytes that arrive
    // behind the head are frames, and the server must not drop them.
    let server = echo_server();
    let mut f = Vec::new();
    wirebook::ch08_websocket::frame::encode(
        true,
        wirebook::ch08_websocket::OpCode::Text,
        b"early",
        Some([1, 2, 3, 4]),
        &mut f,
    );
    let (mut s, head) = raw_open(server.addr, &f);
    assert!(
        head.starts_with(b"HTTP/1.1 101 "),
        "{}",
        String::from_utf8_lossy(&head)
    );
    let mut echo = [0u8; 7];
    s.read_exact(&mut echo).unwrap();
    assert_eq!(&echo, b"\x81\x05early");
}

#[test]
fn a_client_that_vanishes_mid_frame_costs_the_server_nothing() {
    let server = echo_server();
    for _ in 0..20 {
        // Announces 1000 bytes, sends 10, disappears.
        let (s, _) = raw_open(
            server.addr,
            &[0x82, 0xFE, 0x03, 0xE8, 1, 2, 3, 4, 9, 9, 9, 9, 9, 9],
        );
        drop(s);
    }
    // Still serving, nothing panicked.
    let url = format!("ws://{}/", server.addr);
    let (mut ws, _) = connect_with(&url, &[], Config::default(), TIMEOUT).unwrap();
    let _dog = deadline(&ws);
    ws.send_text("still here").unwrap();
    assert_eq!(
        ws.read_message().unwrap(),
        Some(Message::Text("still here".into()))
    );
    ws.close(1000, "").unwrap();
    assert_no_panic(&server);
}

#[test]
fn hello_server_greets_logs_and_closes() {
    let server = Server::start(env!("CARGO_BIN_EXE_ch08_ws_hello"), &["--quiet"]);
    let url = format!("ws://{}/", server.addr);
    let name = Rng::new().word(8);
    let out = run_client(
        env!("CARGO_BIN_EXE_ch08_ws_client"),
        &[&url],
        format!("{name}\n").as_bytes(),
        Duration::from_secs(10),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}\n{stderr}", out.status);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("Hello {name}!\n")
    );
    assert!(stderr.contains("closed: 1000"), "{stderr}");
    // The server's log, written before and after the answer was sent.
    let want = format!("< {name}\n> Hello {name}!\n");
    let deadline = std::time::Instant::now() + TIMEOUT;
    while !server.stdout_text().contains(&want) {
        assert!(
            std::time::Instant::now() < deadline,
            "log: {:?}",
            server.stdout_text()
        );
        thread::yield_now();
    }
}

#[test]
fn hello_server_refuses_pages_from_other_origins() {
    let server = Server::start(env!("CARGO_BIN_EXE_ch08_ws_hello"), &["--quiet"]);
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {0}\r\nOrigin: http://evil.example\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        server.addr
    );
    let t = server.target();
    let resp = wirebook::check::exchange(&t, req.as_bytes()).unwrap();
    assert_eq!(resp.head.status, 403);
    let same = req.replace("http://evil.example", &format!("http://{}", server.addr));
    let resp = wirebook::check::exchange(&t, same.as_bytes()).unwrap();
    assert_eq!(resp.head.status, 101);
}

/// The usage line names no option the list below it does not describe,
/// and every option described is listed once.
fn assert_help_matches(help: &str) {
    let usage = help
        .lines()
        .find(|l| l.starts_with("Usage:"))
        .unwrap_or_else(|| panic!("no usage line:\n{help}"));
    let described: Vec<&str> = help
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| w.starts_with("--"))
        .collect();
    for word in usage.split(|c: char| c == '[' || c == ']' || c.is_whitespace()) {
        if word.starts_with("--") {
            assert!(
                described.contains(&word),
                "{word} is not described:\n{help}"
            );
        }
    }
    let mut unique = described.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), described.len(), "an option twice:\n{help}");
}

#[test]
fn the_echo_server_documents_its_own_options() {
    let out = run_client(
        env!("CARGO_BIN_EXE_ch08_ws_echo"),
        &["--help"],
        b"",
        Duration::from_secs(10),
    );
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--max-message",
        "--ping-interval",
        "--max-sockets",
        "--event-loop",
    ] {
        assert!(help.contains(flag), "{flag} missing:\n{help}");
    }
}

#[test]
fn server_binaries_have_a_clear_command_line() {
    for bin in [
        env!("CARGO_BIN_EXE_ch08_ws_echo"),
        env!("CARGO_BIN_EXE_ch08_ws_hello"),
    ] {
        let out = run_client(bin, &["--help"], b"", Duration::from_secs(10));
        assert_eq!(out.status.code(), Some(0));
        let help = String::from_utf8_lossy(&out.stdout);
        assert_help_matches(&help);
        assert!(
            help.contains("--addr") && help.contains("--max-sockets"),
            "{help}"
        );
        let out = run_client(bin, &["--bogus"], b"", Duration::from_secs(10));
        assert_eq!(out.status.code(), Some(2));
    }
    // Values that parse but make no sense: exit 2, naming the flag.
    let bad: [(&str, &[&str]); 8] = [
        (env!("CARGO_BIN_EXE_ch08_ws_hello"), &["--max-sockets", "0"]),
        (
            env!("CARGO_BIN_EXE_ch08_ws_echo"),
            &["--ping-interval", "x"],
        ),
        (env!("CARGO_BIN_EXE_ch08_ws_echo"), &["--max-message", "0"]),
        (env!("CARGO_BIN_EXE_ch08_ws_echo"), &["--max-sockets", "0"]),
        (
            env!("CARGO_BIN_EXE_ch08_ws_client"),
            &["--timeout", "0", "ws://127.0.0.1:9/"],
        ),
        (
            env!("CARGO_BIN_EXE_ch08_ws_client"),
            &["--timeout", "-1", "ws://127.0.0.1:9/"],
        ),
        (
            env!("CARGO_BIN_EXE_ch08_ws_client"),
            &["--timeout", "inf", "ws://127.0.0.1:9/"],
        ),
        (
            env!("CARGO_BIN_EXE_ch08_ws_client"),
            &["--timeout", "1e20", "ws://127.0.0.1:9/"],
        ),
    ];
    for (bin, args) in bad {
        let out = run_client(bin, args, b"", Duration::from_secs(10));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(args[0]), "{args:?}: {err}");
    }
}

#[test]
fn server_pings_a_silent_client_then_closes_with_1001() {
    let server = Server::start(
        env!("CARGO_BIN_EXE_ch08_ws_echo"),
        &["--quiet", "--ping-interval", "200ms"],
    );
    let (mut s, _) = raw_open(server.addr, &[]);
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    // An unmasked ping from the server, then close 1001, then EOF.
    assert_eq!(got[0], 0x89, "{got:x?}");
    let ping_len = 2 + (got[1] & 0x7f) as usize;
    assert_eq!(
        &got[ping_len..ping_len + 4],
        &[0x88, 0x0e, 0x03, 0xe9],
        "{got:x?}"
    );
}

#[test]
fn sigterm_with_a_peer_that_never_answers_the_close_still_ends_it_in_time() {
    // The peer reads our 1001 and says nothing: the close timeout gives it
    // up and closes TCP, within shutdown's wait, so the server reports
    // nothing left open.
    let server = echo_server();
    let (mut s, _) = raw_open(server.addr, &[]);
    // One echo, so the connection's thread is reading before the signal.
    let mut hi = Vec::new();
    wirebook::ch08_websocket::frame::encode(
        true,
        wirebook::ch08_websocket::frame::OpCode::Text,
        b"hi",
        Some([1, 2, 3, 4]),
        &mut hi,
    );
    s.write_all(&hi).unwrap();
    let mut echo = [0u8; 4];
    s.read_exact(&mut echo).unwrap();
    server.signal(SIGTERM);
    let mut close = [0u8; 4];
    s.read_exact(&mut close).unwrap();
    assert_eq!(&close, &[0x88, 0x16, 0x03, 0xe9], "a 1001 close frame");
    let (status, err) = server.wait_exit_with_stderr(Duration::from_secs(15));
    let status = status.expect("the server exits after SIGTERM");
    assert!(status.success(), "exit status {status}");
    assert!(!err.contains("did not finish closing"), "{err}");
    drop(s);
}

#[test]
fn sigterm_closes_open_websockets_with_1001_and_exits_0() {
    // After the 101 a WebSocket is not the HTTP server's connection any
    // more: its drain does not see it. The server must still say goodbye
    // (1001 Going Away, RFC 6455 §7.4.1) before it exits, not just vanish.
    for bin in [
        env!("CARGO_BIN_EXE_ch08_ws_echo"),
        env!("CARGO_BIN_EXE_ch08_ws_hello"),
    ] {
        let server = Server::start(bin, &["--quiet"]);
        let url = format!("ws://{}/", server.addr);
        let (mut ws, _) = connect_with(&url, &[], Config::default(), TIMEOUT)
            .unwrap_or_else(|e| panic!("cannot open {url}: {e} (try: websocat {url})"));
        let _dog = deadline(&ws);
        if bin.ends_with("ch08_ws_echo") {
            // The connection is served (its handler runs) before the signal.
            let word = Rng::new().word(8);
            ws.send_text(&word).unwrap();
            assert_eq!(ws.read_message().unwrap(), Some(Message::Text(word)));
        }
        server.signal(SIGTERM);
        // Reading answers the server's close frame, as a client must.
        let end = ws.read_message();
        assert_eq!(
            ws.peer_close_code(),
            Some(1001),
            "{bin}: no close frame after SIGTERM (read: {end:?})"
        );
        assert!(matches!(end, Ok(None)), "{bin}: {end:?}");
        let status = server
            .wait_exit(Duration::from_secs(10))
            .unwrap_or_else(|| panic!("{bin} still running 10 s after SIGTERM"));
        assert!(status.success(), "{bin}: exit status {status}");
    }
}

#[test]
fn messages_over_the_limit_get_1009() {
    let server = Server::start(
        env!("CARGO_BIN_EXE_ch08_ws_echo"),
        &["--quiet", "--max-message", "1000"],
    );
    let url = format!("ws://{}/", server.addr);
    let (mut ws, _) = connect_with(&url, &[], Config::default(), TIMEOUT).unwrap();
    let _dog = deadline(&ws);
    ws.send_binary(&[7; 1000]).unwrap();
    assert_eq!(
        ws.read_message().unwrap(),
        Some(Message::Binary(vec![7; 1000]))
    );
    // 600 + 600 in two fragments: each frame fits, the message does not.
    let tx = ws.sender();
    tx.send_frame(false, wirebook::ch08_websocket::OpCode::Binary, &[1; 600])
        .unwrap();
    tx.send_frame(
        true,
        wirebook::ch08_websocket::OpCode::Continuation,
        &[1; 600],
    )
    .unwrap();
    assert_eq!(ws.read_message().unwrap(), None);
    assert!(
        matches!(ws.peer_close(), Some(Some((1009, _)))),
        "{:?}",
        ws.peer_close()
    );
}

#[test]
fn websockets_beyond_the_cap_get_503_until_one_closes() {
    let server = Server::start(
        env!("CARGO_BIN_EXE_ch08_ws_echo"),
        &["--quiet", "--max-sockets", "2"],
    );
    let url = format!("ws://{}/", server.addr);
    let open = || connect_with(&url, &[], Config::default(), TIMEOUT);
    let (mut a, _) = open().unwrap();
    let (_b, _) = open().unwrap();
    let _dog = deadline(&a);
    let err = open().err().expect("a third WebSocket is refused");
    assert!(err.to_string().contains("503"), "{err}");
    a.close(1000, "").unwrap();
    // The server counts `a` out when its handler returns, just after the
    // close handshake: wait for that (bounded), then a new one is accepted.
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        match open() {
            Ok(_) => break,
            Err(e) if std::time::Instant::now() < deadline => {
                assert!(e.to_string().contains("503"), "{e}");
                thread::yield_now();
            }
            Err(e) => panic!("still refused after a close: {e}"),
        }
    }
}

#[test]
fn client_exits_when_the_server_closes_first() {
    // stdin stays open: the client must not wait for another line once the
    // hello server has answered and closed.
    use std::process::{Command, Stdio};
    let server = Server::start(env!("CARGO_BIN_EXE_ch08_ws_hello"), &["--quiet"]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ch08_ws_client"))
        .arg(format!("ws://{}/", server.addr))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"reader\n").unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    thread::spawn(move || tx.send(child.wait_with_output()));
    let out = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the client exited after the server's close")
        .unwrap();
    drop(stdin);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), "Hello reader!\n");
}

#[test]
fn trace_shows_each_frame_decoded() {
    let server = Server::start(env!("CARGO_BIN_EXE_ch08_ws_echo"), &["--trace"]);
    let url = format!("ws://{}/", server.addr);
    let out = run_client(
        env!("CARGO_BIN_EXE_ch08_ws_client"),
        &[&url, "--trace"],
        b"hello\n",
        Duration::from_secs(10),
    );
    assert!(out.status.success());
    let client = String::from_utf8_lossy(&out.stderr);
    assert!(
        client.contains(">> FIN text masked len=5 \"hello\""),
        "{client}"
    );
    assert!(client.contains("<< FIN text len=5 \"hello\""), "{client}");
    assert!(client.contains("<< FIN close len=2 code=1000"), "{client}");
    let deadline = std::time::Instant::now() + TIMEOUT;
    let want = ">> FIN close len=2 code=1000";
    while !server.stderr_text().contains(want) {
        assert!(
            std::time::Instant::now() < deadline,
            "{}",
            server.stderr_text()
        );
        thread::yield_now();
    }
    let trace = server.stderr_text();
    assert!(
        trace.contains("<< FIN text masked len=5 \"hello\""),
        "{trace}"
    );
    assert!(trace.contains("Sec-WebSocket-Accept: "), "{trace}");
}

/// Writes masked frames of `opcode` as fast as the server takes them, on a
/// thread, until `stop` is set or a write fails (the server hung up).
fn flood(
    mut s: TcpStream,
    opcode: wirebook::ch08_websocket::OpCode,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> thread::JoinHandle<()> {
    let mut frame = Vec::new();
    wirebook::ch08_websocket::frame::encode(true, opcode, b"busy", Some([9, 8, 7, 6]), &mut frame);
    let burst = frame.repeat(64);
    thread::spawn(move || {
        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
            if s.write_all(&burst).is_err() {
                return;
            }
        }
    })
}

#[test]
fn a_peer_that_pings_instead_of_answering_our_close_is_cut_off() {
    // The hello server greets, then closes (1000) and waits for the answer.
    // This peer never answers: it keeps the line busy with pings, so the
    // server's read timeout never fires. The server must still give up
    // after its close timeout (2 s), not wait as long as the pings come.
    // (websocat ws://ADDR/ then flood pings: the server hangs up.)
    let server = Server::start(env!("CARGO_BIN_EXE_ch08_ws_hello"), &["--quiet"]);
    let mut name = Vec::new();
    wirebook::ch08_websocket::frame::encode(
        true,
        wirebook::ch08_websocket::OpCode::Text,
        b"pinger",
        Some([1, 2, 3, 4]),
        &mut name,
    );
    let (mut s, _) = raw_open(server.addr, &name);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flooder = flood(
        s.try_clone().unwrap(),
        wirebook::ch08_websocket::OpCode::Ping,
        stop.clone(),
    );
    s.set_read_timeout(Some(Duration::from_secs(8))).unwrap();
    let started = std::time::Instant::now();
    let mut got = Vec::new();
    let end = s.read_to_end(&mut got);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = flooder.join();
    assert!(
        end.is_ok()
            || end
                .as_ref()
                .is_err_and(|e| e.kind() == ErrorKind::ConnectionReset),
        "still connected after {:?}: {end:?}",
        started.elapsed()
    );
    assert!(
        got.starts_with(b"\x81\x0dHello pinger!\x88\x02\x03\xe8"),
        "{got:x?}"
    );
    assert_no_panic(&server);
}

#[test]
fn a_peer_that_trickles_after_our_close_does_not_hold_the_connection() {
    // After failing a connection (here: reserved opcode 0x3 → 1002) the
    // server shuts its sending side and reads what still arrives for a
    // moment, so that its close frame is not destroyed by an RST. That
    // moment must be bounded in time: a peer that trickles a byte every
    // 100 ms must not keep the socket (and its slot under --max-sockets).
    let server = Server::start(
        env!("CARGO_BIN_EXE_ch08_ws_echo"),
        &["--quiet", "--max-sockets", "1"],
    );
    let (mut s, _) = raw_open(server.addr, &[0x83, 0x80, 1, 2, 3, 4]);
    let mut close = [0u8; 4];
    s.read_exact(&mut close).unwrap();
    assert_eq!(close[0], 0x88, "{close:x?}");
    assert_eq!(close[2..], [0x03, 0xea], "1002 first");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let trickle = {
        let stop = stop.clone();
        thread::spawn(move || {
            for _ in 0..80 {
                if stop.load(std::sync::atomic::Ordering::Relaxed) || s.write_all(b"x").is_err() {
                    return;
                }
                thread::sleep(Duration::from_millis(100)); // the peer's pace, not a wait
            }
        })
    };
    // The one slot comes free once the server lets go of the trickler.
    let url = format!("ws://{}/", server.addr);
    let deadline = std::time::Instant::now() + TIMEOUT;
    let opened = loop {
        match connect_with(&url, &[], Config::default(), TIMEOUT) {
            Ok(ws) => break Some(ws),
            Err(e) if std::time::Instant::now() < deadline => {
                assert!(e.to_string().contains("503"), "{e}");
                thread::yield_now();
            }
            Err(_) => break None,
        }
    };
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    trickle.join().unwrap();
    assert!(
        opened.is_some(),
        "the trickling peer still holds the only WebSocket slot after {TIMEOUT:?}"
    );
    assert_no_panic(&server);
}

/// The file descriptors the process `pid` holds open now.
fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|d| d.count())
        .unwrap_or_else(|e| panic!("cannot list /proc/{pid}/fd: {e}"))
}

#[test]
fn an_idle_websocket_costs_the_server_one_file_descriptor() {
    // Both halves share the socket (`SharedTcp`) instead of each taking a
    // `try_clone` of it: N idle WebSockets hold N descriptors, not 3N,
    // with chapter 8's thread each and with chapter 10's loop alike.
    if !std::path::Path::new("/proc/self/fd").exists() {
        return wirebook::testkit::not_run("fd count", "no /proc on this system");
    }
    const N: usize = 40;
    for extra in [&[][..], &["--event-loop"][..]] {
        let mut args = vec!["--quiet"];
        args.extend_from_slice(extra);
        let server = Server::start(env!("CARGO_BIN_EXE_ch08_ws_echo"), &args);
        let url = format!("ws://{}/", server.addr);
        let before = open_fds(server.pid());
        let sockets: Vec<_> = (0..N)
            .map(|i| {
                let (mut ws, _) = connect_with(&url, &[], Config::default(), TIMEOUT).unwrap();
                // An echo back: the server has set the WebSocket up.
                let m = format!("hello {i}");
                ws.send_text(&m).unwrap();
                assert_eq!(ws.read_message().unwrap(), Some(Message::Text(m)));
                ws
            })
            .collect();
        let grown = open_fds(server.pid()) - before;
        assert!(
            (N..=N + 2).contains(&grown),
            "{args:?}: {N} idle WebSockets took {grown} file descriptors"
        );
        drop(sockets);
    }
}
