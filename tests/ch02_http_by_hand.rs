//! Chapter 2 over real sockets: the chapter's checks against `ch02_hello`,
//! plus the behaviours a check cannot see from outside in one exchange
//! (timeouts, the trace, the command line).

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use wirebook::check::{self, read_response};
use wirebook::rng::Rng;
use wirebook::testkit::{Server, run_client};

const BIN: &str = env!("CARGO_BIN_EXE_ch02_hello");

fn connect(server: &Server) -> TcpStream {
    let s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

#[test]
fn chapter_checks_pass_against_ch02_hello() {
    let server = Server::start(BIN, &["--quiet"]);
    check::assert_chapter_passes("ch02", server.addr);
}

#[test]
fn request_split_at_random_offsets_is_answered() {
    let server = Server::start(BIN, &["--quiet"]);
    let mut rng = Rng::new();
    let raw = format!(
        "GET /?{} HTTP/1.1\r\nHost: {}\r\nUser-Agent: wirebook-test\r\nAccept: */*\r\n\r\n",
        rng.word(10),
        server.addr
    );
    for _ in 0..10 {
        let mut s = connect(&server);
        let mut rest = raw.as_bytes();
        while !rest.is_empty() {
            let n = rng.range(1, rest.len().min(7));
            s.write_all(&rest[..n]).unwrap();
            rest = &rest[n..];
        }
        let resp = read_response(&mut s, "GET", &mut Vec::new())
            .unwrap_or_else(|f| panic!("{f}\ntry: curl -v {}", server.url("/")));
        assert_eq!(resp.head.status, 200);
        assert_eq!(resp.body, b"Hello, world");
    }
}

#[test]
fn body_is_read_before_the_answer() {
    let server = Server::start(BIN, &["--quiet"]);
    let mut rng = Rng::new();
    let body = rng.bytes(5000);
    let mut s = connect(&server);
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body[..2500]).unwrap();
    s.write_all(&body[2500..]).unwrap();
    let resp = read_response(&mut s, "POST", &mut Vec::new()).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(resp.head.status, 405);
    assert_eq!(resp.head.headers.get("allow"), Some("GET, HEAD, OPTIONS"));
    // The whole body was read: the server closes cleanly, no reset.
    let mut rest = Vec::new();
    s.read_to_end(&mut rest)
        .expect("a clean close, not a reset");
    assert!(rest.is_empty());
}

#[test]
fn expect_100_continue_gets_the_final_answer_at_once() {
    // curl -v -H 'Expect: 100-continue' -d @file http://127.0.0.1:8888/
    let server = Server::start(BIN, &["--quiet"]);
    let mut s = connect(&server);
    s.write_all(
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50000\r\nExpect: 100-continue\r\n\r\n",
    )
    .unwrap();
    // No body sent: the answer must not wait for it (nor for a timeout).
    let start = Instant::now();
    let resp = read_response(&mut s, "POST", &mut Vec::new()).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(resp.head.status, 405);
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn pipelined_second_request_is_not_lost_silently() {
    // The server answers one request per connection: the first gets its
    // answer with `Connection: close`, the second is not answered, and the
    // close is a clean FIN (so the client knows to retry), never a reset
    // that could destroy the first answer.
    let server = Server::start(BIN, &["--quiet"]);
    let mut s = connect(&server);
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut pending = Vec::new();
    let resp = read_response(&mut s, "GET", &mut pending).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(resp.head.status, 200);
    assert_eq!(resp.head.headers.get("connection"), Some("close"));
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).expect("a clean close");
    assert!(pending.is_empty() && rest.is_empty());
}

#[test]
fn silent_client_gets_408_within_the_deadline() {
    let server = Server::start(BIN, &["--quiet", "--read-timeout", "0.3"]);
    let start = Instant::now();
    let mut s = connect(&server);
    s.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
    let resp = read_response(&mut s, "GET", &mut Vec::new()).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(resp.head.status, 408);
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
    // And the server serves the next client.
    let resp = check::exchange(&server.target(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(resp.head.status, 200);
}

#[test]
fn trickling_client_hits_the_request_deadline() {
    // One byte every 100 ms never trips the 0.8 s read timeout, but the
    // 1.5 s deadline for the whole request does.
    let server = Server::start(
        BIN,
        &[
            "--quiet",
            "--read-timeout",
            "0.8",
            "--request-timeout",
            "1.5",
        ],
    );
    let start = Instant::now();
    let mut s = connect(&server);
    let mut got = Vec::new();
    for b in b"GET / HTTP/1.1\r\nX-Slow: ".iter().cycle() {
        if s.write_all(std::slice::from_ref(b)).is_err() {
            break;
        }
        // Stop trickling once the server answered.
        s.set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let mut buf = [0u8; 512];
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if got.ends_with(b"\n") || start.elapsed() > Duration::from_secs(5) {
            break;
        }
    }
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let _ = s.read_to_end(&mut got);
    assert!(
        got.starts_with(b"HTTP/1.1 408 "),
        "{}",
        wirebook::trace::escape(&got)
    );
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(1400) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[test]
fn client_that_half_closes_mid_head_gets_400() {
    let server = Server::start(BIN, &["--quiet"]);
    let mut s = connect(&server);
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    assert!(
        got.starts_with(b"HTTP/1.1 400 "),
        "{}",
        wirebook::trace::escape(&got)
    );
}

#[test]
fn trace_shows_both_heads() {
    let server = Server::start(BIN, &["--trace"]);
    let mut s = connect(&server);
    s.write_all(b"GET / HTTP/1.1\r\nHost: traced\r\n\r\n")
        .unwrap();
    let resp = read_response(&mut s, "GET", &mut Vec::new()).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(resp.head.status, 200);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let err = server.stderr_text();
        if err.contains("<< GET / HTTP/1.1\\r\\n")
            && err.contains("<< Host: traced\\r\\n")
            && err.contains(">> HTTP/1.1 200 OK\\r\\n")
            && err.contains(">> body: 12 bytes (Content-Length)")
        {
            break;
        }
        assert!(Instant::now() < deadline, "trace incomplete:\n{err}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn command_line_errors_exit_2() {
    let out = run_client(BIN, &["--bogus"], b"", Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown option `--bogus`"));
    let out = run_client(BIN, &["--read-timeout", "-1"], b"", Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(2));
    let out = run_client(BIN, &["--help"], b"", Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--request-timeout"));
}
