//! Chapter 1 over real sockets on 127.0.0.1: the echo servers and clients as
//! the real binaries, and `ch01_lookup` against an in-process DNS responder
//! that answers correctly, wrongly, or not at all.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use wirebook::ch01_sockets::tcp_echo;
use wirebook::check::{self, Target};
use wirebook::rng::Rng;
use wirebook::testkit::{Server, run_client};

const TCP_SERVER: &str = env!("CARGO_BIN_EXE_ch01_tcp_echo_server");
const TCP_CLIENT: &str = env!("CARGO_BIN_EXE_ch01_tcp_echo_client");
const UDP_SERVER: &str = env!("CARGO_BIN_EXE_ch01_udp_echo_server");
const UDP_CLIENT: &str = env!("CARGO_BIN_EXE_ch01_udp_echo_client");
const LOOKUP: &str = env!("CARGO_BIN_EXE_ch01_lookup");

const CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Waits (polling, bounded) until the server's stderr contains `needle`.
fn wait_for_stderr(server: &Server, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let err = server.stderr_text();
        if err.contains(needle) || Instant::now() > deadline {
            return err;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

// ---------------------------------------------------------------- TCP echo

#[test]
fn reference_tcp_echo_server_passes_the_chapter_checks() {
    let server = Server::start(TCP_SERVER, &[]);
    check::assert_chapter_passes("ch01", server.addr);
}

#[test]
fn client_binary_echoes_random_binary_stdin() {
    let server = Server::start(TCP_SERVER, &[]);
    let mut rng = Rng::new();
    // 1 MiB of random bytes: NULs, invalid UTF-8, and about 4000 "lines".
    let input = rng.bytes(1 << 20);
    let addr = server.addr.to_string();
    let out = run_client(TCP_CLIENT, &["--addr", &addr], &input, CLIENT_TIMEOUT);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert!(
        out.stdout == input,
        "echo differs at byte {:?}",
        check::first_difference(&input, &out.stdout)
    );
}

#[test]
fn client_message_flag_prints_the_echo() {
    let server = Server::start(TCP_SERVER, &[]);
    let word = Rng::new().word(12);
    let addr = server.addr.to_string();
    let out = run_client(
        TCP_CLIENT,
        &["--addr", &addr, "--message", &word],
        b"",
        CLIENT_TIMEOUT,
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), word);
}

#[test]
fn a_large_payload_arrives_in_many_reads_and_comes_back_whole() {
    // A 4 KiB server buffer: 16 MiB cannot come back in fewer than 4096
    // server writes, and TCP is free to split or merge them on the way.
    let server = Server::start(TCP_SERVER, &["--buffer", "4096"]);
    let s = tcp_echo::connect(server.addr, Duration::from_secs(5)).unwrap();
    let payload = Rng::new().bytes(16 << 20);
    let (got, reads) = tcp_echo::roundtrip(&s, &payload).unwrap();
    assert!(got == payload, "echo of 16 MiB differs");
    assert!(reads > 1, "16 MiB came back in a single read?");
}

#[test]
fn threaded_server_serves_many_concurrent_clients() {
    const N: usize = 48;
    let server = Server::start(TCP_SERVER, &["--mode", "threaded"]);
    let barrier = Arc::new(Barrier::new(N));
    let addr = server.addr;
    let handles: Vec<_> = (0..N)
        .map(|_| {
            let barrier = barrier.clone();
            thread::spawn(move || {
                let s = tcp_echo::connect(addr, Duration::from_secs(5)).unwrap();
                // Everyone is connected before anyone speaks.
                barrier.wait();
                let mut rng = Rng::new();
                let n = rng.range(1, 200_000);
                let payload = rng.bytes(n);
                let (got, _) = tcp_echo::roundtrip(&s, &payload).unwrap();
                assert!(got == payload, "one client's echo differs");
            })
        })
        .collect();
    for h in handles {
        h.join().expect("client thread");
    }
}

#[test]
fn sequential_server_makes_the_second_client_wait_for_the_first() {
    let server = Server::start(TCP_SERVER, &["--mode", "sequential"]);
    let first = tcp_echo::connect(server.addr, Duration::from_secs(5)).unwrap();
    let (got, _) = tcp_echo::roundtrip(&first, b"first").unwrap();
    assert_eq!(got, b"first");
    // The second connect succeeds (the kernel completes the handshake and
    // queues the connection in the listen backlog), but nobody reads it.
    let mut second = TcpStream::connect(server.addr).unwrap();
    second.write_all(b"second").unwrap();
    second
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = [0u8; 16];
    let err = second
        .read(&mut buf)
        .expect_err("no echo while the first client is served");
    assert!(tcp_echo::is_timeout(&err), "{err}");
    // The chapter's check notices the same thing, within its timeout.
    let many = wirebook::ch01_sockets::checks()
        .into_iter()
        .find(|c| c.name == "serves_many_clients_at_once")
        .unwrap();
    let mut t = Target::new(server.addr);
    t.timeout = Duration::from_millis(300);
    let failure = (many.run)(&t).expect_err("a sequential server fails the check");
    assert!(
        failure.summary.contains("one client at a time"),
        "{failure}"
    );
    // Once the first client leaves, the second one is served.
    first.shutdown(Shutdown::Both).unwrap();
    drop(first);
    second
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    second.read_exact(&mut buf[..6]).unwrap();
    assert_eq!(&buf[..6], b"second");
}

#[test]
fn idle_client_is_disconnected_after_the_timeout() {
    let server = Server::start(TCP_SERVER, &["--timeout", "0.3", "--trace"]);
    let mut s = TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 1];
    // The server closes (0) or resets; either way, not our 5 s timeout.
    match s.read(&mut buf) {
        Ok(0) => {}
        Ok(n) => panic!("got {n} bytes from an echo server we sent nothing to"),
        Err(e) => assert!(!tcp_echo::is_timeout(&e), "server never disconnected us"),
    }
    assert!(started.elapsed() < Duration::from_secs(4));
    let err = wait_for_stderr(&server, "idle");
    assert!(err.contains("disconnecting"), "{err}");
}

#[test]
fn clients_over_the_limit_are_disconnected_at_once() {
    let server = Server::start(TCP_SERVER, &["--max-clients", "1"]);
    let first = tcp_echo::connect(server.addr, Duration::from_secs(5)).unwrap();
    let (got, _) = tcp_echo::roundtrip(&first, b"one").unwrap();
    assert_eq!(got, b"one");
    let mut second = tcp_echo::connect(server.addr, Duration::from_secs(5)).unwrap();
    let mut buf = [0u8; 4];
    match second.read(&mut buf) {
        Ok(0) => {}
        Err(e) => assert!(!tcp_echo::is_timeout(&e), "second client not refused"),
        Ok(n) => panic!("second client got {n} bytes"),
    }
    // The first one is still served.
    let (got, _) = tcp_echo::roundtrip(&first, b"still here").unwrap();
    assert_eq!(got, b"still here");
}

#[test]
fn trace_shows_each_read_and_write() {
    let server = Server::start(TCP_SERVER, &["--trace"]);
    let s = tcp_echo::connect(server.addr, Duration::from_secs(5)).unwrap();
    tcp_echo::roundtrip(&s, b"hello").unwrap();
    let err = wait_for_stderr(&server, "wrote all 5 bytes back");
    assert!(err.contains("<< read (5 bytes)"), "{err}");
    assert!(err.contains("68 65 6c 6c 6f"), "{err}");
    assert!(err.contains("wrote all 5 bytes back"), "{err}");
    assert_eq!(
        server.stdout_text().lines().count(),
        1,
        "one `listening on` line"
    );
    assert!(
        server
            .stdout_text()
            .starts_with("listening on tcp://127.0.0.1:")
    );
}

#[test]
fn bad_command_lines_exit_2_and_help_exits_0() {
    for bin in [TCP_SERVER, TCP_CLIENT, UDP_SERVER, UDP_CLIENT, LOOKUP] {
        // (ch01_lookup needs its NAME first, or it complains about that.)
        let args: &[&str] = if bin == LOOKUP {
            &["example.test", "--bogus"]
        } else {
            &["--bogus"]
        };
        let out = run_client(bin, args, b"", CLIENT_TIMEOUT);
        assert_eq!(out.status.code(), Some(2), "{bin} --bogus");
        assert!(
            text(&out.stderr).contains("unknown option `--bogus`"),
            "{bin}"
        );
        let out = run_client(bin, &["--help"], b"", CLIENT_TIMEOUT);
        assert_eq!(out.status.code(), Some(0), "{bin} --help");
        let help = text(&out.stdout);
        assert!(
            help.contains("Usage:") && help.contains("--trace"),
            "{bin}: {help}"
        );
    }
    for (bin, args) in [
        (TCP_SERVER, &["--mode", "forked"][..]),
        (TCP_SERVER, &["--timeout", "0"]),
        (TCP_SERVER, &["--addr", "nonsense"]),
        (UDP_SERVER, &["--loss", "101"]),
        (UDP_CLIENT, &["--size", "x"]),
        (LOOKUP, &[]),
        (LOOKUP, &["x", "--type", "MX"]),
        (LOOKUP, &["x", "--server", "dns.example"]),
    ] {
        let out = run_client(bin, args, b"", CLIENT_TIMEOUT);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{bin} {args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn client_reports_a_refused_connection() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let out = run_client(
        TCP_CLIENT,
        &["--addr", &port, "--message", "x"],
        b"",
        CLIENT_TIMEOUT,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("cannot connect"),
        "{}",
        text(&out.stderr)
    );
}

// ---------------------------------------------------------------- UDP echo

fn udp_client(server: &Server, args: &[&str], stdin: &[u8]) -> std::process::Output {
    let addr = server.addr.to_string();
    let mut all = vec!["--addr", addr.as_str()];
    all.extend_from_slice(args);
    run_client(UDP_CLIENT, &all, stdin, CLIENT_TIMEOUT)
}

#[test]
fn udp_echo_round_trips_random_lines() {
    let server = Server::start(UDP_SERVER, &[]);
    assert!(
        server
            .stdout_text()
            .starts_with("listening on udp://127.0.0.1:")
    );
    let mut rng = Rng::new();
    let lines: Vec<String> = (0..20)
        .map(|_| {
            let n = rng.range(0, 300);
            rng.word(n)
        })
        .collect();
    let input = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    let out = udp_client(&server, &[], input.as_bytes());
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), input);
}

#[test]
fn udp_datagram_size_limit_is_65507_bytes_over_ipv4() {
    let server = Server::start(UDP_SERVER, &[]);
    let out = udp_client(&server, &["--size", "65507"], b"");
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "echoed 65507 bytes\n");
    let out = udp_client(&server, &["--size", "65508"], b"");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("do not fit in one UDP datagram"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn udp_server_with_a_small_buffer_truncates_datagrams() {
    let server = Server::start(UDP_SERVER, &["--buffer", "100", "--trace"]);
    let out = udp_client(&server, &["--size", "200"], b"");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("echo truncated: sent 200 bytes, got 100 back"),
        "{err}"
    );
    let log = wait_for_stderr(&server, "may have been truncated");
    assert!(log.contains("may have been truncated"), "{log}");
}

#[test]
fn udp_client_retries_after_lost_datagrams() {
    let server = Server::start(UDP_SERVER, &["--drop-first", "2"]);
    let out = udp_client(
        &server,
        &[
            "--message",
            "are you there",
            "--timeout",
            "0.2",
            "--retries",
            "3",
        ],
        b"",
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "are you there\n");
    assert!(
        text(&out.stderr).contains("echo after 3 tries"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn udp_client_gives_up_after_its_retries() {
    // A socket that receives and never answers: every datagram is "lost".
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap().to_string();
    let started = Instant::now();
    let out = run_client(
        UDP_CLIENT,
        &[
            "--addr",
            &addr,
            "--message",
            "x",
            "--timeout",
            "0.2",
            "--retries",
            "2",
        ],
        b"",
        CLIENT_TIMEOUT,
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("no echo after 3 tries"),
        "{}",
        text(&out.stderr)
    );
    assert!(started.elapsed() >= Duration::from_millis(600));
    let mut buf = [0u8; 8];
    silent
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    for _ in 0..3 {
        assert_eq!(silent.recv(&mut buf).unwrap(), 1, "three tries arrived");
    }
}

// -------------------------------------------------------------- DNS lookup

/// An in-process DNS server on 127.0.0.1 whose answers a test scripts:
/// `answer(query, n)` gets the nth query (from 0) and returns the datagrams
/// to send back (none: the query is "lost").
struct Responder {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    queries: Arc<Mutex<Vec<Vec<u8>>>>,
    handle: Option<thread::JoinHandle<()>>,
}

type Script = dyn Fn(&[u8], usize) -> Vec<Vec<u8>> + Send + 'static;

impl Responder {
    fn start(answer: impl Fn(&[u8], usize) -> Vec<Vec<u8>> + Send + 'static) -> Responder {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = socket.local_addr().unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let queries = Arc::new(Mutex::new(Vec::new()));
        let answer: Box<Script> = Box::new(answer);
        let handle = {
            let stop = stop.clone();
            let queries = queries.clone();
            thread::spawn(move || {
                let mut buf = [0u8; 1024];
                while !stop.load(Ordering::SeqCst) {
                    let Ok((n, peer)) = socket.recv_from(&mut buf) else {
                        continue;
                    };
                    let q = buf[..n].to_vec();
                    let count = {
                        let mut qs = queries.lock().unwrap();
                        qs.push(q.clone());
                        qs.len() - 1
                    };
                    for reply in answer(&q, count) {
                        let _ = socket.send_to(&reply, peer);
                    }
                }
            })
        };
        Responder {
            addr,
            stop,
            queries,
            handle: Some(handle),
        }
    }

    fn query_count(&self) -> usize {
        self.queries.lock().unwrap().len()
    }

    fn lookup(&self, args: &[&str]) -> std::process::Output {
        let server = self.addr.to_string();
        let mut all = vec!["--server", server.as_str(), "--timeout", "0.3"];
        all.extend_from_slice(args);
        run_client(LOOKUP, &all, b"", CLIENT_TIMEOUT)
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// The answer's header for `query`: same ID, QR + RD + RA, `rcode`, one
/// question, `ancount` answers; then the question copied from the query
/// (it starts at offset 12, where compression pointers can reach it).
fn reply_head(query: &[u8], rcode: u8, ancount: u16) -> Vec<u8> {
    let mut m = vec![query[0], query[1], 0x81, 0x80 | rcode, 0, 1];
    m.extend_from_slice(&ancount.to_be_bytes());
    m.extend_from_slice(&[0, 0, 0, 0]);
    m.extend_from_slice(&query[12..]);
    m
}

/// A record whose owner is the compression pointer `owner` (an offset),
/// type `rtype`, class IN, TTL 60, with `data`.
fn record(owner: u16, rtype: u16, data: &[u8]) -> Vec<u8> {
    let mut r = (0xc000 | owner).to_be_bytes().to_vec();
    r.extend_from_slice(&rtype.to_be_bytes());
    r.extend_from_slice(&[0, 1, 0, 0, 0, 60]);
    r.extend_from_slice(&(data.len() as u16).to_be_bytes());
    r.extend_from_slice(data);
    r
}

fn failure_text(out: &std::process::Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected a clean failure (exit 1, never a panic's 101); stderr: {}",
        text(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "no addresses on failure");
    text(&out.stderr)
}

#[test]
fn lookup_reads_a_records_behind_compression_pointers() {
    let mut rng = Rng::new();
    let ips: Vec<[u8; 4]> = (0..3)
        .map(|_| {
            [
                10,
                rng.below(256) as u8,
                rng.below(256) as u8,
                rng.range(1, 254) as u8,
            ]
        })
        .collect();
    let answer_ips = ips.clone();
    let dns = Responder::start(move |q, _| {
        let mut m = reply_head(q, 0, answer_ips.len() as u16);
        for ip in &answer_ips {
            m.extend_from_slice(&record(12, 1, ip));
        }
        vec![m]
    });
    let out = dns.lookup(&["host.wirebook.test"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let want: String = ips
        .iter()
        .map(|ip| format!("{}.{}.{}.{}\n", ip[0], ip[1], ip[2], ip[3]))
        .collect();
    assert_eq!(text(&out.stdout), want);
    // What was sent is a well-formed query for the name, type A, RD set.
    let q = dns.queries.lock().unwrap()[0].clone();
    assert_eq!(&q[2..6], &[0x01, 0x00, 0, 1]);
    assert!(q.ends_with(b"\x04host\x08wirebook\x04test\x00\x00\x01\x00\x01"));
}

#[test]
fn lookup_follows_a_cname_to_aaaa_records() {
    let dns = Responder::start(|q, _| {
        // www.wirebook.test CNAME wirebook.test (a pointer into the
        // question, past "www"), then wirebook.test AAAA 2001:db8::42.
        let mut m = reply_head(q, 0, 2);
        m.extend_from_slice(&record(12, 5, &[0xc0, 16]));
        let ip: std::net::Ipv6Addr = "2001:db8::42".parse().unwrap();
        m.extend_from_slice(&record(16, 28, &ip.octets()));
        vec![m]
    });
    let out = dns.lookup(&["www.wirebook.test", "--type", "AAAA"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "2001:db8::42\n");
    assert!(text(&out.stderr).contains("alias of wirebook.test"));
    let q = dns.queries.lock().unwrap()[0].clone();
    assert!(q.ends_with(&[0, 28, 0, 1]), "QTYPE AAAA");
}

#[test]
fn lookup_rcode_errors_are_named() {
    let dns = Responder::start(|q, n| vec![reply_head(q, if n == 0 { 3 } else { 2 }, 0)]);
    let err = failure_text(&dns.lookup(&["missing.wirebook.test"]));
    assert!(err.contains("NXDOMAIN"), "{err}");
    let err = failure_text(&dns.lookup(&["missing.wirebook.test"]));
    assert!(err.contains("SERVFAIL"), "{err}");
}

#[test]
fn lookup_truncated_answers_are_errors() {
    let dns = Responder::start(|q, n| {
        let mut m = reply_head(q, 0, 1);
        m.extend_from_slice(&record(12, 1, &[127, 0, 0, 1]));
        // Cut after the ID at different places: in the header, in the
        // question, in the record.
        let cut = [5, 20, m.len() - 2][n % 3];
        m.truncate(cut);
        vec![m]
    });
    for _ in 0..3 {
        let err = failure_text(&dns.lookup(&["cut.wirebook.test"]));
        assert!(
            err.contains("malformed answer: message ends inside"),
            "{err}"
        );
    }
}

#[test]
fn lookup_pointer_loops_are_errors() {
    let dns = Responder::start(|q, _| {
        let mut m = reply_head(q, 0, 1);
        let at = m.len() as u16;
        // The record's owner name is a pointer to itself.
        m.extend_from_slice(&record(at, 1, &[127, 0, 0, 1]));
        vec![m]
    });
    let err = failure_text(&dns.lookup(&["loop.wirebook.test"]));
    assert!(err.contains("does not point backwards (a loop)"), "{err}");
}

#[test]
fn lookup_ignores_wrong_ids_and_fails_after_its_retries() {
    let dns = Responder::start(|q, _| {
        let mut m = reply_head(q, 0, 1);
        m[1] ^= 0x5a;
        m.extend_from_slice(&record(12, 1, &[6, 6, 6, 6]));
        vec![m]
    });
    let err = failure_text(&dns.lookup(&["spoofed.wirebook.test", "--retries", "1"]));
    assert!(err.contains("no answer after 2 tries"), "{err}");
    assert!(err.contains("2 answer(s) with the wrong query ID"), "{err}");
    assert_eq!(dns.query_count(), 2);
}

#[test]
fn lookup_takes_the_right_answer_after_a_forged_one() {
    let dns = Responder::start(|q, _| {
        let mut forged = reply_head(q, 0, 1);
        forged[0] ^= 0xff;
        forged.extend_from_slice(&record(12, 1, &[6, 6, 6, 6]));
        let mut real = reply_head(q, 0, 1);
        real.extend_from_slice(&record(12, 1, &[127, 0, 0, 7]));
        vec![forged, real]
    });
    let out = dns.lookup(&["race.wirebook.test", "--trace"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "127.0.0.7\n");
    let trace = text(&out.stderr);
    assert!(trace.contains(">> DNS query"), "{trace}");
    assert!(trace.contains("ignored: not our query ID"), "{trace}");
}

#[test]
fn lookup_without_an_answer_times_out_after_its_retries() {
    let dns = Responder::start(|_, _| Vec::new());
    let started = Instant::now();
    let out = dns.lookup(&["silent.wirebook.test", "--timeout", "0.2", "--retries", "2"]);
    let err = failure_text(&out);
    assert!(err.contains("no answer after 3 tries of 0.2 s"), "{err}");
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert_eq!(dns.query_count(), 3);
    // Every try is the same query: same ID, same bytes.
    let qs = dns.queries.lock().unwrap();
    assert!(qs.iter().all(|q| *q == qs[0]));
}

#[test]
fn lookup_retries_after_a_lost_query() {
    let dns = Responder::start(|q, n| {
        if n == 0 {
            return Vec::new();
        }
        let mut m = reply_head(q, 0, 1);
        m.extend_from_slice(&record(12, 1, &[127, 0, 0, 9]));
        vec![m]
    });
    let out = dns.lookup(&["lossy.wirebook.test", "--timeout", "0.2"]);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "127.0.0.9\n");
    assert_eq!(dns.query_count(), 2);
}

#[test]
fn lookup_query_ids_are_random() {
    let answered = Arc::new(AtomicUsize::new(0));
    let a = answered.clone();
    let dns = Responder::start(move |q, _| {
        a.fetch_add(1, Ordering::SeqCst);
        vec![reply_head(q, 3, 0)]
    });
    for _ in 0..3 {
        failure_text(&dns.lookup(&["id.wirebook.test"]));
    }
    let qs = dns.queries.lock().unwrap();
    let ids: Vec<&[u8]> = qs.iter().map(|q| &q[..2]).collect();
    assert!(
        !(ids[0] == ids[1] && ids[1] == ids[2]),
        "three queries, one ID: {ids:?}"
    );
    assert_eq!(answered.load(Ordering::SeqCst), 3);
}

#[test]
fn lookup_survives_random_garbage_with_our_id() {
    let dns = Responder::start(|q, _| {
        let mut rng = Rng::new();
        let n = rng.range(2, 200);
        let mut m = rng.bytes(n);
        m[..2].copy_from_slice(&q[..2]);
        vec![m]
    });
    for _ in 0..8 {
        failure_text(&dns.lookup(&["garbage.wirebook.test"]));
    }
}

#[test]
fn lookup_reports_a_server_that_is_not_there() {
    // A port that was free a moment ago: the kernel answers with ICMP
    // port unreachable, which a connected UDP socket sees as "refused".
    let addr = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let out = run_client(
        LOOKUP,
        &[
            "x.wirebook.test",
            "--server",
            &addr,
            "--timeout",
            "0.3",
            "--retries",
            "1",
        ],
        b"",
        CLIENT_TIMEOUT,
    );
    let err = failure_text(&out);
    assert!(
        err.contains("port unreachable") || err.contains("no answer after"),
        "{err}"
    );
}

#[test]
fn lookup_uses_the_system_resolver_without_server() {
    let out = run_client(LOOKUP, &["127.0.0.1"], b"", CLIENT_TIMEOUT);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "127.0.0.1\n");
    let out = run_client(LOOKUP, &["localhost"], b"", CLIENT_TIMEOUT);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let got = text(&out.stdout);
    assert!(got.contains("127.0.0.1") || got.contains("::1"), "{got}");
    let out = run_client(
        LOOKUP,
        &["127.0.0.1", "--type", "AAAA"],
        b"",
        CLIENT_TIMEOUT,
    );
    assert!(failure_text(&out).contains("no AAAA addresses"));
}
