//! Chapter 10's checks over real sockets: chapter 5's server with its
//! connections parked between requests (`--event-loop`), in-process and
//! as the `ch05_server` binary. The attacks that chapter 5 survives with a
//! worker per connection are run against both designs.

use std::io::Write;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use wirebook::ch04_methods_and_routing::{Body, Request, Response, Service};
use wirebook::check::read_response;
use wirebook::testkit;

mod common;
use common::{Running, connect_to, get, quiet, slowloris_against, start};

/// Chapter 10's event loop, one loop.
fn on_one_loop(
    server: wirebook::ch05_concurrency::Server,
    service: Arc<dyn Service>,
) -> std::io::Result<()> {
    wirebook::ch10_event_loop::server::run(server, service, 1)
}

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
fn ch05_server_with_event_loops_passes_the_chapter_4_5_and_10_checks() {
    let server = start(&["--event-loop"]);
    wirebook::check::assert_chapter_passes("ch05", server.addr);
    wirebook::check::assert_chapter_passes("ch10", server.addr);
}

#[test]
fn fifty_slowloris_connections_do_not_starve_a_fresh_client_in_either_design() {
    // Parked in epoll, the attackers cost no worker; with a worker per
    // connection they hold workers until the pool is pressed, and then
    // lose them.
    slowloris_against(&["--threads", "8", "--event-loop", "--head-timeout", "2s"]);
    slowloris_against(&["--threads", "8"]);
}

#[test]
fn a_slow_reader_stalls_no_one_in_either_design() {
    // The blocking design's version of the slow reader is in
    // tests/ch05_concurrency.rs; here the binary, both ways.
    for args in [
        &["--threads", "4", "--event-loop"][..],
        &["--threads", "4"][..],
    ] {
        let server = start(args);
        let mut slow = connect_to(server.addr);
        // /notes is small; many pipelined requests make a large response
        // that the client does not read at first.
        let many = "GET /hello HTTP/1.1\r\nHost: t\r\n\r\n".repeat(20_000);
        let writer = {
            let mut w = slow.try_clone().unwrap();
            // Bounded: a server that stopped reading fails the write.
            w.set_write_timeout(Some(testkit::TEST_DEADLINE)).unwrap();
            thread::spawn(move || {
                let _ = w.write_all(many.as_bytes());
            })
        };
        for _ in 0..3 {
            let mut other = connect_to(server.addr);
            assert_eq!(get(&mut other, "/hello").body, b"Hello, world", "{args:?}");
        }
        let (mut got, mut carry) = (0, Vec::new());
        while got < 20_000 {
            let r = read_response(&mut slow, "GET", &mut carry)
                .unwrap_or_else(|f| panic!("{f} ({args:?})"));
            assert_eq!(r.body, b"Hello, world");
            got += 1;
        }
        writer.join().unwrap();
    }
}

#[test]
fn a_handler_that_blocks_does_not_stall_the_other_connections() {
    // The event loop serves requests on the thread that polls; a handler
    // that blocks there would stop every connection behind it, until the
    // watchdog gives the loop to another worker.
    let (service, entered_rx, release_tx) = slow_until_released();
    let srv = Running::start_with(quiet(), service, on_one_loop);
    // Connected and served before, so parked in epoll when /slow blocks.
    let mut other = srv.connect();
    assert_eq!(get(&mut other, "/fast").head.status, 200);
    // Quiet for a while: the watchdog goes to sleep, and /slow must wake
    // it. (The test holds either way; this makes it take that path.)
    thread::sleep(4 * wirebook::ch10_event_loop::parking::WATCH_INTERVAL);
    let mut busy = srv.connect();
    busy.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    entered_rx.recv_timeout(Duration::from_secs(5)).unwrap();
    for _ in 0..3 {
        let r = get(&mut other, "/fast");
        assert_eq!((r.head.status, r.body.as_slice()), (200, &b"done"[..]));
    }
    let mut fresh = srv.connect();
    assert_eq!(get(&mut fresh, "/fast").head.status, 200);
    release_tx.send(()).unwrap();
    let r = read_response(&mut busy, "GET", &mut Vec::new()).unwrap();
    assert_eq!(r.body, b"done");
    srv.stop().unwrap();
}

/// How many times each thread of process `pid` has gone to sleep (and
/// been woken) so far, by thread name.
#[cfg(target_os = "linux")]
fn sleeps_by_thread(pid: u32) -> std::collections::BTreeMap<String, u64> {
    let mut by_name = std::collections::BTreeMap::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let dir = task.unwrap().path();
        let (Ok(comm), Ok(status)) = (
            std::fs::read_to_string(dir.join("comm")),
            std::fs::read_to_string(dir.join("status")),
        ) else {
            continue; // the thread ended meanwhile
        };
        let line = status
            .lines()
            .find(|l| l.starts_with("voluntary_ctxt_switches:"))
            .unwrap();
        let n: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        *by_name.entry(comm.trim_end().to_string()).or_insert(0) += n;
    }
    by_name
}

#[test]
#[cfg(target_os = "linux")]
fn an_idle_server_does_not_wake_up_every_few_milliseconds() {
    use wirebook::ch05_concurrency::policy::POLL_INTERVAL;
    use wirebook::ch10_event_loop::parking::WATCH_INTERVAL;
    let server = start(&["--addr", "127.0.0.1:0", "--event-loop"]);
    let mut c = connect_to(server.addr);
    assert_eq!(get(&mut c, "/hello").head.status, 200);
    drop(c);
    // Let the close be handled and the last timed waits run out.
    thread::sleep(2 * POLL_INTERVAL);
    // Then watch it for 100 of the watchdog's intervals (five of the
    // loops' sweeps): waking to look would be 100 wake-ups of the
    // watchdog and ten of the loops. Idle, the watchdog waits for a loop
    // to serve, and the loops, with no connection parked, for one to be
    // parked.
    let window = 100 * WATCH_INTERVAL;
    let before = sleeps_by_thread(server.pid());
    thread::sleep(window);
    let after = sleeps_by_thread(server.pid());
    let woken: Vec<(String, u64)> = after
        .iter()
        .map(|(name, n)| (name.clone(), n - before.get(name).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let total: u64 = woken.iter().map(|(_, n)| n).sum();
    assert!(
        total <= 3,
        "an idle server's threads woke {total} times in {window:?}: {woken:?}"
    );
    // And it still serves.
    let mut c = connect_to(server.addr);
    assert_eq!(get(&mut c, "/hello").head.status, 200);
}

#[test]
fn a_client_reading_a_large_response_slowly_stalls_no_one_and_is_served_again() {
    // A response far larger than the socket buffers: the write blocks
    // until the client reads. The loop must not wait with it; and once
    // the download is done and the connection idle, it goes back to the
    // lot and is served from there.
    const BIG: usize = 32 << 20;
    let srv = Running::start_with(
        quiet(),
        |req: &mut Request<'_>| {
            if req.path == "/big" {
                Response::new(200).with(Body::Bytes(vec![7u8; BIG]))
            } else {
                Response::text(200, "done")
            }
        },
        on_one_loop,
    );
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
    // The condition under test: idle for longer than KEEP_THREAD_IDLE, so
    // the connection is parked again before its next request.
    thread::sleep(wirebook::ch10_event_loop::parking::KEEP_THREAD_IDLE * 2);
    assert_eq!(get(&mut slow, "/fast").body, b"done");
    srv.stop().unwrap();
}
