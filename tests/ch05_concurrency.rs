//! Chapter 5's checks over real sockets: the server API in-process, and
//! the `ch05_server` binary.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use wirebook::ch04_methods_and_routing::{Body, Request, Response, Service, Upgraded};
use wirebook::ch05_concurrency::Config;
use wirebook::check::{Target, read_response};

mod common;
use common::{BIN, Running, connect_to, get, quiet, read_to_close, slowloris_against, start};

#[test]
fn a_panicking_handler_costs_one_500_and_the_worker_lives() {
    let srv = Running::start(
        Config {
            threads: 1,
            ..quiet()
        },
        |req: &mut Request<'_>| {
            if req.path == "/panic" {
                panic!("deliberate panic in a test handler");
            }
            Response::text(200, "fine")
        },
    );
    let mut s = srv.connect();
    assert_eq!(get(&mut s, "/panic").head.status, 500);
    // One worker only: if it had died, this would hang.
    let mut s = srv.connect();
    let r = get(&mut s, "/ok");
    assert_eq!((r.head.status, r.body.as_slice()), (200, &b"fine"[..]));
    srv.stop().unwrap();
}

#[test]
fn upgrade_hands_the_socket_to_its_own_thread() {
    let srv = Running::start(
        Config {
            threads: 1,
            ..quiet()
        },
        |req: &mut Request<'_>| {
            if req.path != "/up" {
                return Response::text(200, "plain");
            }
            let mut resp = Response::new(101)
                .header("Connection", "Upgrade")
                .header("Upgrade", "echo");
            resp.upgrade = Some(Box::new(|mut up: Upgraded| {
                let mut buf = up.leftover.clone();
                let mut b = [0u8; 64];
                while buf.len() < 5 {
                    let n = up.stream.read(&mut b).unwrap();
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&b[..n]);
                }
                up.stream.write_all(&buf).unwrap();
            }));
            resp
        },
    );
    let mut s = srv.connect();
    s.write_all(b"GET /up HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nhel")
        .unwrap();
    let r = read_response(&mut s, "GET", &mut Vec::new()).unwrap();
    assert_eq!(r.head.status, 101);
    assert_eq!(r.head.headers.get("upgrade"), Some("echo"));
    // The only worker is free again while the upgraded connection lives.
    let mut other = srv.connect();
    assert_eq!(get(&mut other, "/").head.status, 200);
    s.write_all(b"lo").unwrap();
    let mut echoed = [0u8; 5];
    s.read_exact(&mut echoed).unwrap();
    assert_eq!(&echoed, b"hello");
}

#[test]
fn statuses_without_bodies_and_bad_upgrades_keep_the_connection_sane() {
    let srv = Running::start(quiet(), |req: &mut Request<'_>| match req.path.as_str() {
        "/204" => Response::new(204).with_body("ignored"),
        "/101" => Response::new(101), // no upgrade handler: a bug
        "/stream" => Response::new(200).with(Body::Stream(Box::new(&b"streamed"[..]))),
        _ => Response::text(200, "ok"),
    });
    let mut s = srv.connect();
    let r = get(&mut s, "/204");
    assert_eq!(r.head.status, 204);
    assert!(r.body.is_empty() && !r.head.headers.contains("content-length"));
    // The ignored body was not sent: the next response parses.
    let r = get(&mut s, "/stream");
    assert_eq!(r.head.headers.get("transfer-encoding"), Some("chunked"));
    assert_eq!(r.body, b"streamed");
    write!(s, "HEAD /stream HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    let r = read_response(&mut s, "HEAD", &mut Vec::new()).unwrap();
    assert!(r.body.is_empty());
    assert_eq!(get(&mut s, "/").body, b"ok");
    let r = get(&mut s, "/101");
    assert_eq!(r.head.status, 500);
}

#[test]
fn files_go_out_whole_with_content_length() {
    let path = std::env::temp_dir().join(format!("wirebook-ch05-{}.bin", std::process::id()));
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let p2 = path.clone();
    let srv = Running::start(quiet(), move |_: &mut Request<'_>| {
        let file = std::fs::File::open(&p2).unwrap();
        Response::new(200).with(Body::File {
            file,
            offset: 10,
            len: 200_000,
        })
    });
    let mut s = srv.connect();
    let r = get(&mut s, "/f");
    assert_eq!(r.head.headers.get("content-length"), Some("200000"));
    assert_eq!(r.body, data[10..200_010]);
    // Keep-alive after a file.
    assert_eq!(get(&mut s, "/f").body.len(), 200_000);
    let _ = std::fs::remove_file(&path);
    let _ = Target::new(srv.addr);
}

#[test]
fn an_answer_that_leaves_the_body_unread_is_not_destroyed_by_a_reset() {
    // RFC 9112 §9.6: closing a socket that still holds unread input sends
    // a TCP reset, and a reset can destroy the response before the client
    // has read it. Bodies past MAX_DRAIN_BYTES (or any body with
    // `Connection: close`) that the handler ignored must be drained first.
    let srv = Running::start(quiet(), |_: &mut Request<'_>| {
        Response::text(403, "not for you")
    });
    let n = 200_000;
    for close in ["", "Connection: close\r\n"] {
        let mut s = srv.connect();
        write!(
            s,
            "POST /x HTTP/1.1\r\nHost: t\r\n{close}Content-Length: {n}\r\n\r\n"
        )
        .unwrap();
        // The server may give up before the body is sent; that is its right.
        let _ = s.write_all(&vec![b'x'; n]);
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut got = Vec::new();
        let r = s.read_to_end(&mut got);
        assert!(
            r.is_ok() && got.starts_with(b"HTTP/1.1 403"),
            "{close:?}: {r:?} after {:?}\n\
             repro: head -c {n} /dev/zero | curl -i -H 'Expect:' {}--data-binary @- http://{}/x",
            String::from_utf8_lossy(&got),
            if close.is_empty() {
                ""
            } else {
                "-H 'Connection: close' "
            },
            srv.addr
        );
    }
}

// ---------------------------------------------------------------------
// The binary, over real sockets.

use std::io::ErrorKind;
use std::net::Shutdown;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

use wirebook::rng::Rng;
use wirebook::testkit::{self, SIGTERM};

fn echo(body: &str) -> String {
    format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

#[test]
fn ch05_server_passes_the_chapter_4_and_5_checks() {
    let server = start(&[]);
    wirebook::check::assert_chapter_passes("ch05", server.addr);
    wirebook::check::assert_chapter_passes("ch04", server.addr);
}

#[test]
fn one_slow_client_blocks_chapter_2s_server_but_not_the_pool() {
    // Chapter 2's server serves one connection at a time.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let cfg = wirebook::ch02_http_by_hand::server::Config {
            quiet: true,
            ..Default::default()
        };
        let _ = wirebook::ch02_http_by_hand::server::serve(listener, &cfg);
    });
    // The slow client: half a head, then nothing.
    let mut slow = connect_to(addr);
    slow.write_all(b"GET / HTTP/1.1\r\nHo").unwrap();
    let mut fresh = connect_to(addr);
    fresh
        .set_read_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    fresh
        .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut b = [0u8; 64];
    let err = fresh
        .read(&mut b)
        .expect_err("chapter 2's server answered a second client while the first one stalled?");
    assert!(matches!(
        err.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut
    ));
    // The slow client finishes: now the fresh one is served.
    slow.write_all(b"st: t\r\n\r\n").unwrap();
    assert!(
        read_to_close(&mut slow)
            .unwrap()
            .starts_with(b"HTTP/1.1 200")
    );
    fresh
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let r = read_response(&mut fresh, "GET", &mut Vec::new()).unwrap();
    assert_eq!(r.head.status, 200);

    // The same with the pool: the fresh client does not wait.
    let server = start(&[]);
    let mut slow = connect_to(server.addr);
    slow.write_all(b"GET /hello HTTP/1.1\r\nHo").unwrap();
    let mut fresh = connect_to(server.addr);
    fresh
        .set_read_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let r = get(&mut fresh, "/hello");
    assert_eq!(r.body, b"Hello, world");
}

#[test]
fn garbage_and_truncated_requests_get_an_answer_or_a_close_never_a_hang() {
    let server = start(&[]);
    let addr = server.addr;
    let seed = wirebook::rng::os_seed();
    let valid = b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
    let handles: Vec<_> = (0..4)
        .map(|k| {
            thread::spawn(move || {
                let mut rng = Rng::with_seed(seed + k);
                for _ in 0..40 {
                    let input = match rng.below(3) {
                        0 => {
                            let n = rng.range(1, 2000);
                            rng.bytes(n)
                        }
                        1 => valid[..rng.range(1, valid.len() - 1)].to_vec(),
                        _ => {
                            let mut v = valid.to_vec();
                            let i = rng.below(v.len() as u64) as usize;
                            v[i] = rng.below(256) as u8;
                            v
                        }
                    };
                    let mut s = connect_to(addr);
                    let _ = s.write_all(&input);
                    let _ = s.shutdown(Shutdown::Write);
                    let got = read_to_close(&mut s).unwrap_or_else(|e| {
                        panic!(
                            "server neither answered nor closed (seed {seed}): {e}; sent {:?}",
                            String::from_utf8_lossy(&input)
                        )
                    });
                    if !got.is_empty() {
                        assert!(got.starts_with(b"HTTP/1.1 "), "sent {input:?}, got {got:?}");
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut s = connect_to(addr);
    assert_eq!(get(&mut s, "/hello").head.status, 200);
}

#[test]
fn clients_vanishing_mid_request_or_mid_response_hurt_nobody() {
    let server = start(&["--threads", "4"]);
    let addr = server.addr;
    let big = "x".repeat(900 * 1024);
    for i in 0..12 {
        let mut s = connect_to(addr);
        match i % 3 {
            // Mid-body: promises 1000 bytes, sends 10, leaves.
            0 => {
                s.write_all(
                    b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n0123456789",
                )
                .unwrap();
            }
            // Mid-head.
            1 => s.write_all(b"GET /hello HTTP/1.1\r\nHost:").unwrap(),
            // Mid-response: asks for ~900 KiB back and never reads it.
            _ => s.write_all(echo(&big).as_bytes()).unwrap(),
        }
        drop(s);
    }
    // Four workers only: each of them must have let go of its dead client.
    let handles: Vec<_> = (0..8)
        .map(|_| {
            thread::spawn(move || {
                let mut s = connect_to(addr);
                get(&mut s, "/hello").head.status
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), 200);
    }
}

#[test]
fn two_hundred_keep_alive_connections_five_requests_each() {
    let server = start(&[]);
    let addr = server.addr;
    let ok = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..200)
        .map(|i| {
            let ok = ok.clone();
            thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    let mut s = connect_to(addr);
                    for j in 0..5 {
                        let body = format!("{i}/{j}");
                        s.write_all(echo(&body).as_bytes()).unwrap();
                        let r = read_response(&mut s, "POST", &mut Vec::new())
                            .unwrap_or_else(|f| panic!("connection {i} request {j}: {f}"));
                        assert_eq!(r.body, body.as_bytes());
                        ok.fetch_add(1, Ordering::Relaxed);
                        // Under load the server may ask to close (it has
                        // more connections than threads): reconnect, as
                        // every HTTP client does.
                        if r.head.headers.has_token("connection", "close") {
                            s = connect_to(addr);
                        }
                    }
                })
                .unwrap()
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(ok.load(Ordering::Relaxed), 1000);
}

#[test]
fn a_hundred_pipelined_requests_in_one_write_are_answered_in_order() {
    let server = start(&[]);
    let mut all = Vec::new();
    for i in 0..100 {
        if i % 10 == 9 {
            all.extend_from_slice(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n");
        } else {
            all.extend_from_slice(echo(&format!("request {i}")).as_bytes());
        }
    }
    let mut s = connect_to(server.addr);
    s.write_all(&all).unwrap();
    let mut pending = Vec::new();
    for i in 0..100 {
        let method = if i % 10 == 9 { "GET" } else { "POST" };
        let r = read_response(&mut s, method, &mut pending).unwrap_or_else(|f| panic!("{i}: {f}"));
        let want = if i % 10 == 9 {
            "Hello, world".to_string()
        } else {
            format!("request {i}")
        };
        assert_eq!(String::from_utf8_lossy(&r.body), want, "response {i}");
    }
}

#[test]
fn requests_written_in_random_pieces_are_answered_the_same() {
    let server = start(&[]);
    let mut rng = Rng::new();
    let bodies: Vec<String> = (0..30)
        .map(|i| format!("{i}:{}", rng.word(i % 7 + 1)))
        .collect();
    let wire: Vec<u8> = bodies.iter().flat_map(|b| echo(b).into_bytes()).collect();
    let mut s = connect_to(server.addr);
    let mut sent = 0;
    while sent < wire.len() {
        let n = rng.range(1, 40).min(wire.len() - sent);
        s.write_all(&wire[sent..sent + n]).unwrap();
        sent += n;
    }
    let mut pending = Vec::new();
    for b in &bodies {
        let r = read_response(&mut s, "POST", &mut pending).unwrap();
        assert_eq!(r.body, b.as_bytes());
    }
}

#[test]
fn fifty_slowloris_connections_do_not_starve_a_fresh_client() {
    // A worker per connection: the attackers hold workers until the pool
    // is pressed, and then lose them.
    slowloris_against(&["--threads", "8"]);
}

#[test]
fn slow_bodies_do_not_starve_a_fresh_client() {
    // "Slow POST": a head that arrives whole, then a body that barely moves.
    // The head's deadline does not apply any more; each body read has its
    // own (30 s) timeout, so without a rate a handful of such clients hold
    // every worker for as long as they like.
    let server = start(&["--threads", "2"]);
    let mut attackers: Vec<TcpStream> = (0..4)
        .map(|_| {
            let mut s = connect_to(server.addr);
            s.write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\nabc")
                .unwrap();
            s
        })
        .collect();
    let started = Instant::now();
    let mut fresh = connect_to(server.addr);
    fresh
        .set_read_timeout(Some(Duration::from_secs(8)))
        .unwrap();
    let r = get(&mut fresh, "/hello");
    let took = started.elapsed();
    assert_eq!(r.body, b"Hello, world");
    assert!(
        took < Duration::from_secs(6),
        "fresh client waited {took:?}"
    );
    // A slow body that was cut off got 408 (or only a close).
    let got = read_to_close(&mut attackers[0]).unwrap();
    assert!(
        got.is_empty() || got.starts_with(b"HTTP/1.1 408"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    attackers.clear();
}

#[test]
fn an_idle_connection_is_closed_after_the_idle_timeout() {
    let server = start(&["--idle-timeout", "300ms"]);
    let mut s = connect_to(server.addr);
    assert_eq!(get(&mut s, "/hello").head.status, 200);
    let rest = read_to_close(&mut s).expect("idle connection was not closed");
    assert!(rest.is_empty(), "{rest:?}");
    // A connection that never sends anything is closed too.
    let mut silent = connect_to(server.addr);
    assert!(read_to_close(&mut silent).unwrap().is_empty());
}

/// Opens `cap` kept-alive connections (one request each), then checks
/// that one more is answered 503 with `Retry-After`.
fn fill_the_cap(addr: SocketAddr, cap: usize) -> Vec<TcpStream> {
    let held: Vec<TcpStream> = (0..cap)
        .map(|_| {
            let mut s = connect_to(addr);
            assert_eq!(get(&mut s, "/hello").head.status, 200);
            s
        })
        .collect();
    let mut extra = connect_to(addr);
    let got = read_to_close(&mut extra).unwrap();
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 503 "), "{text}");
    assert!(text.contains("\r\nRetry-After: "), "{text}");
    held
}

#[test]
fn connections_over_the_cap_get_503_with_retry_after() {
    let server = start(&["--max-connections", "4", "--threads", "8"]);
    let mut held = fill_the_cap(server.addr, 4);
    // Once one closes, there is room again (the server notices the close
    // when its worker's read returns; retry until then, bounded).
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut s = connect_to(server.addr);
        s.write_all(b"GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        match read_response(&mut s, "GET", &mut Vec::new()) {
            Ok(r) if r.head.status == 200 => break,
            Ok(r) => assert_eq!(r.head.status, 503),
            Err(_) => {}
        }
        assert!(
            Instant::now() < deadline,
            "no room after a connection closed"
        );
        thread::yield_now();
    }
}

#[test]
fn idle_connections_make_room_when_the_cap_turns_clients_away() {
    // Idle keep-alive connections are the cheapest way to fill the cap;
    // once a client has been turned away, an idle one gives its place up
    // (as nginx does when it runs out of connections), so a retry gets in.
    let server = start(&["--max-connections", "2", "--idle-timeout", "30s"]);
    let mut held = fill_the_cap(server.addr, 2);
    // One of them gives its place up once idle for a second (the
    // pressured grace), noticed within a poll interval.
    let deadline = Instant::now() + Duration::from_secs(4);
    'wait: loop {
        for s in &mut held {
            s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            if let Ok(0) = s.read(&mut [0u8; 64]) {
                break 'wait;
            }
        }
        assert!(
            Instant::now() < deadline,
            "idle connections kept their places at the cap"
        );
    }
    let mut retry = connect_to(server.addr);
    assert_eq!(get(&mut retry, "/hello").head.status, 200);
}

/// A service that answers `done`; on `/slow` it first reports that it
/// entered and waits (at most 10 s) to be released.
fn slow_until_released() -> (impl Service, mpsc::Receiver<()>, mpsc::Sender<()>) {
    let (entered_tx, entered_rx) = mpsc::channel::<()>();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let entered_tx = Mutex::new(entered_tx);
    let release_rx = Mutex::new(release_rx);
    let service = move |req: &mut Request<'_>| {
        if req.path == "/slow" {
            entered_tx.lock().unwrap().send(()).unwrap();
            let _ = release_rx
                .lock()
                .unwrap()
                .recv_timeout(Duration::from_secs(10));
        }
        Response::text(200, "done")
    };
    (service, entered_rx, release_tx)
}

#[test]
fn shutdown_finishes_the_request_in_flight_and_closes_idle_connections() {
    let (service, entered_rx, release_tx) = slow_until_released();
    let srv = Running::start(quiet(), service);
    let addr = srv.addr;
    let mut idle = srv.connect();
    assert_eq!(get(&mut idle, "/fast").head.status, 200);
    let mut busy = srv.connect();
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    entered_rx.recv_timeout(Duration::from_secs(5)).unwrap();

    srv.handle.shutdown();
    // The idle keep-alive connection is closed...
    assert!(read_to_close(&mut idle).unwrap().is_empty());
    // ... while the request in flight is still being worked on; when it
    // finishes, its response arrives, marked as the last.
    release_tx.send(()).unwrap();
    let r = read_response(&mut busy, "GET", &mut Vec::new()).unwrap();
    assert_eq!((r.head.status, r.body.as_slice()), (200, &b"done"[..]));
    assert!(r.head.headers.has_token("connection", "close"));
    srv.stop().unwrap();
    assert!(
        TcpStream::connect(addr).is_err(),
        "still accepting after run returned"
    );
}

#[test]
fn a_client_reading_a_large_response_slowly_stalls_no_one_and_is_served_again() {
    // A response far larger than the socket buffers: the write blocks
    // until the client reads. It holds one worker, and only that one; once
    // the download is done the connection is served again.
    const BIG: usize = 32 << 20;
    let srv = Running::start(quiet(), |req: &mut Request<'_>| {
        if req.path == "/big" {
            Response::new(200).with(Body::Bytes(vec![7u8; BIG]))
        } else {
            Response::text(200, "done")
        }
    });
    let mut other = srv.connect();
    assert_eq!(get(&mut other, "/fast").head.status, 200);
    let mut slow = srv.connect();
    slow.write_all(b"GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    // Not reading `slow` yet: its response fills the buffers and blocks.
    for _ in 0..3 {
        assert_eq!(get(&mut other, "/fast").body, b"done");
    }
    let r = read_response(&mut slow, "GET", &mut Vec::new()).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(r.body.len(), BIG);
    assert_eq!(get(&mut slow, "/fast").body, b"done");
    srv.stop().unwrap();
}

#[test]
fn a_request_queued_longer_than_the_idle_timeout_is_still_answered() {
    // The idle timeout is for a client that says nothing. A client that
    // sent its request at once, and then waited in the queue because every
    // worker was busy, must get its answer, not a silent close.
    let (service, entered_rx, release_tx) = slow_until_released();
    let idle_timeout = Duration::from_millis(200);
    let srv = Running::start(
        Config {
            threads: 1,
            idle_timeout,
            ..quiet()
        },
        service,
    );
    let mut busy = srv.connect();
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    entered_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let mut queued = srv.connect();
    queued
        .write_all(b"GET /fast HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    // The condition under test: the queued request outlives the idle timeout.
    thread::sleep(idle_timeout * 2);
    release_tx.send(()).unwrap();
    assert_eq!(
        read_response(&mut busy, "GET", &mut Vec::new())
            .unwrap()
            .head
            .status,
        200
    );
    let r = read_response(&mut queued, "GET", &mut Vec::new())
        .unwrap_or_else(|f| panic!("the queued request was dropped: {f}"));
    assert_eq!((r.head.status, r.body.as_slice()), (200, &b"done"[..]));
}

#[test]
fn sigterm_under_load_loses_no_request_and_exits_0() {
    let server = start(&["--drain-timeout", "5"]);
    let addr = server.addr;
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let (progress_tx, progress_rx) = mpsc::channel::<()>();
    let handles: Vec<_> = (0..8)
        .map(|i| {
            let failures = failures.clone();
            let progress_tx = progress_tx.clone();
            thread::spawn(move || {
                let give_up = Instant::now() + Duration::from_secs(20);
                let mut ok = 0usize;
                let mut conn: Option<TcpStream> = None;
                loop {
                    if Instant::now() > give_up {
                        failures
                            .lock()
                            .unwrap()
                            .push("client gave up after 20 s".into());
                        return ok;
                    }
                    let mut s = match conn.take() {
                        Some(s) => s,
                        None => match TcpStream::connect(addr) {
                            Ok(s) => {
                                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                                s
                            }
                            Err(_) => return ok, // refused: the server is gone
                        },
                    };
                    let body = format!("{i}-{ok}");
                    if s.write_all(echo(&body).as_bytes()).is_err() {
                        continue; // closed under us before the request left: retry
                    }
                    match read_response(&mut s, "POST", &mut Vec::new()) {
                        Ok(r) if r.head.status == 200 && r.body == body.as_bytes() => {
                            ok += 1;
                            let _ = progress_tx.send(());
                            if !r.head.headers.has_token("connection", "close") {
                                conn = Some(s);
                            }
                        }
                        Ok(r) => failures.lock().unwrap().push(format!(
                            "status {} body {:?}",
                            r.head.status,
                            String::from_utf8_lossy(&r.body)
                        )),
                        // Closed (or reset) without a byte of response: the
                        // request was never taken (an idle keep-alive
                        // connection closed as it arrived, or a connection
                        // left in the backlog). RFC 9112 §9.3.1: retry.
                        // Anything else is a failure.
                        Err(f) if f.got.as_deref().is_none_or(|g| g.is_empty()) => {}
                        Err(f) => failures.lock().unwrap().push(f.summary),
                    }
                }
            })
        })
        .collect();
    drop(progress_tx);
    for _ in 0..200 {
        progress_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("no progress");
    }
    server.signal(SIGTERM);
    let total: usize = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("server did not exit");
    assert_eq!(status.code(), Some(0));
    let failures = failures.lock().unwrap();
    assert!(failures.is_empty(), "failed requests: {failures:?}");
    assert!(total >= 200);
}

#[test]
fn access_log_has_a_line_per_request_unless_quiet() {
    let server = testkit::Server::start(BIN, &[]);
    let mut s = connect_to(server.addr);
    get(&mut s, "/hello");
    get(&mut s, "/missing");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let log = server.stderr_text();
        if log.contains("\"GET /hello HTTP/1.1\" 200 12 ")
            && log.contains("\"GET /missing HTTP/1.1\" 404 ")
        {
            break;
        }
        assert!(Instant::now() < deadline, "access log incomplete:\n{log}");
        thread::yield_now();
    }
    // --quiet: run it to the end and read all it wrote to stderr.
    let mut child = std::process::Command::new(BIN)
        .args(["--quiet", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let addr: SocketAddr = line.trim().rsplit('/').next().unwrap().parse().unwrap();
    let mut s = connect_to(addr);
    get(&mut s, "/hello");
    drop(s);
    testkit::send_signal(child.id(), SIGTERM);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("GET /hello"), "--quiet still logged: {err}");
}

#[test]
fn bad_command_lines_exit_2() {
    for args in [
        &["--threads", "0"][..],
        &["--idle-timeout", "soon"],
        &["--idle-timeout", "0"],
        &["--idle-timeout", "inf"],
        &["--idle-timeout", "1e-10"],
        &["--head-timeout", "0.5ms"],
        &["--max-connections", "-1"],
        &["--max-connections", "0"],
        &["--bogus"],
    ] {
        let out = testkit::run_client(BIN, args, b"", Duration::from_secs(10));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = testkit::run_client(BIN, &["--help"], b"", Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--threads",
        "--max-connections",
        "--idle-timeout",
        "--quiet",
    ] {
        assert!(help.contains(flag), "{help}");
    }
}

#[test]
fn a_response_cut_off_mid_body_is_logged_with_the_bytes_that_went_out() {
    // A file far larger than the socket buffers, and a client that reads a
    // little and then goes away: the log must say what really went out,
    // neither 0 nor the whole file.
    const BIG: usize = 64 << 20;
    let dir = testkit::TempDir::new("cutoff");
    std::fs::write(dir.join("big.bin"), vec![7u8; BIG]).unwrap();
    let root = dir.join("").to_string_lossy().into_owned();
    let server = testkit::Server::start(
        env!("CARGO_BIN_EXE_ch06_static"),
        &["--root", &root, "--addr", "127.0.0.1:0"],
    );
    let mut s = connect_to(server.addr);
    s.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut got = vec![0u8; 256 * 1024];
    s.read_exact(&mut got).unwrap();
    // Close with unread data: a reset, and the server's next write fails.
    drop(s);
    let deadline = Instant::now() + Duration::from_secs(10);
    let sent: u64 = loop {
        let log = server.stderr_text();
        // Whole lines only: the last one may still be being written.
        let whole = &log[..log.rfind('\n').map_or(0, |i| i + 1)];
        if let Some(line) = whole
            .lines()
            .find(|l| l.contains("\"GET /big.bin HTTP/1.1\" 200 "))
        {
            let after = line.split("\" 200 ").nth(1).unwrap();
            break after.split(' ').next().unwrap().parse().unwrap();
        }
        assert!(Instant::now() < deadline, "no log line:\n{log}");
        thread::yield_now();
    };
    assert!(
        sent > 0 && sent < BIG as u64,
        "logged {sent} body bytes of {BIG}"
    );
}

#[test]
fn kept_alive_responses_announce_the_real_idle_timeout() {
    for design in [&[][..], &["--event-loop"][..]] {
        let mut args = vec!["--idle-timeout", "7s"];
        args.extend_from_slice(design);
        let server = start(&args);
        let mut s = connect_to(server.addr);
        let r = get(&mut s, "/hello");
        assert_eq!(
            r.head.headers.get("keep-alive"),
            Some("timeout=7"),
            "{design:?}"
        );
        s.write_all(b"GET /hello HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .unwrap();
        let r = read_response(&mut s, "GET", &mut Vec::new()).unwrap();
        assert_eq!(r.head.headers.get("keep-alive"), None, "{design:?}");
    }
}

#[test]
fn sigterm_says_how_many_connections_drain_and_bye() {
    let server = testkit::Server::start(BIN, &["--idle-timeout", "30s"]);
    let mut held = connect_to(server.addr);
    get(&mut held, "/hello");
    server.signal(SIGTERM);
    // The idle connection is closed by the drain.
    assert!(read_to_close(&mut held).unwrap().is_empty());
    let (status, err) = server.wait_exit_with_stderr(Duration::from_secs(10));
    assert_eq!(status.and_then(|s| s.code()), Some(0), "{err}");
    // The held connection drains; the acceptor's own wake-up connection
    // (the shutdown connects to the listening port) may still be counted.
    let draining = err
        .lines()
        .find_map(|l| l.strip_prefix("shutting down; "))
        .and_then(|l| l.strip_suffix(" connection(s) draining"))
        .and_then(|n| n.parse::<usize>().ok());
    assert!(matches!(draining, Some(1 | 2)), "{err}");
    assert_eq!(err.lines().last(), Some("bye"), "{err}");
}
