//! Helpers shared by the tests of chapter 5's server and of chapter 10's
//! event loop: the same server, in this process or as the `ch05_server`
//! binary, and the few ways the tests talk to it.
#![allow(dead_code)] // each test file uses its own subset

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use wirebook::ch04_methods_and_routing::Service;
use wirebook::ch05_concurrency::{Config, Server, ShutdownHandle};
use wirebook::check::{RawResponse, read_response};
use wirebook::testkit;

pub const BIN: &str = env!("CARGO_BIN_EXE_ch05_server");

/// How a bound server is run: chapter 5's `Server::run`, or chapter 10's
/// event loop.
pub type Design = fn(Server, Arc<dyn Service>) -> std::io::Result<()>;

/// A server running `service` in this process; shut down on drop.
pub struct Running {
    pub addr: SocketAddr,
    pub handle: ShutdownHandle,
    thread: Option<thread::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    /// Chapter 5's server, a worker per connection.
    pub fn start(config: Config, service: impl Service) -> Running {
        Running::start_with(config, service, |server, service| server.run(service))
    }

    /// The same server run as `design` says.
    pub fn start_with(config: Config, service: impl Service, design: Design) -> Running {
        let server = Server::bind("127.0.0.1:0".parse().unwrap(), config).unwrap();
        let addr = server.local_addr();
        let handle = server.shutdown_handle();
        let service: Arc<dyn Service> = Arc::new(service);
        let thread = Some(thread::spawn(move || design(server, service)));
        Running {
            addr,
            handle,
            thread,
        }
    }

    pub fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    }

    pub fn stop(mut self) -> std::io::Result<()> {
        self.handle.shutdown();
        let thread = self.thread.take().unwrap();
        testkit::join_within(thread, testkit::TEST_DEADLINE)
            .expect("the server stops within the test's deadline")
            .unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(t) = self.thread.take()
            && testkit::join_within(t, testkit::TEST_DEADLINE).is_none()
        {
            eprintln!("the in-process server did not stop within the test's deadline");
        }
    }
}

/// A small, quiet server: four workers, no access log.
pub fn quiet() -> Config {
    Config {
        quiet: true,
        threads: 4,
        ..Config::default()
    }
}

/// `GET path` on a kept-alive connection, and its response.
pub fn get(s: &mut TcpStream, path: &str) -> RawResponse {
    write!(s, "GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    read_response(s, "GET", &mut Vec::new()).unwrap_or_else(|f| panic!("{f}"))
}

/// The `ch05_server` binary, quiet, with `args`.
pub fn start(args: &[&str]) -> testkit::Server {
    let mut a = vec!["--quiet"];
    a.extend_from_slice(args);
    testkit::Server::start(BIN, &a)
}

pub fn connect_to(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(5))).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Reads until the peer closes; `Err` if it does not within the timeout.
pub fn read_to_close(s: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut got = Vec::new();
    let mut b = [0u8; 4096];
    loop {
        match s.read(&mut b) {
            Ok(0) => return Ok(got),
            Ok(n) => got.extend_from_slice(&b[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(got),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// 25 slowloris heads trickling a byte every 200 ms and 25 silent
/// connections against the binary started with `args`: a fresh client must
/// still be answered within 4 s, and the slow heads get 408 or a close.
pub fn slowloris_against(args: &[&str]) {
    // Fewer threads than attackers: the worst case for a blocking server.
    let server = start(args);
    let addr = server.addr;
    let mut attackers: Vec<TcpStream> = (0..50)
        .map(|i| {
            let mut s = connect_to(addr);
            if i % 2 == 0 {
                // Slowloris: a head that starts and never ends...
                s.write_all(b"GET /hello HTTP/1.1\r\nHost: t\r\nX-Slow: ")
                    .unwrap();
            }
            // ... and idle connections that never say anything.
            s
        })
        .collect();
    // Keep trickling a byte into each slow head while the fresh client asks.
    let stop = Arc::new(AtomicBool::new(false));
    let trickler = {
        let stop = stop.clone();
        let mut socks: Vec<TcpStream> = attackers
            .iter()
            .step_by(2)
            .map(|s| s.try_clone().unwrap())
            .collect();
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                for s in &mut socks {
                    let _ = s.write_all(b"a");
                }
                thread::sleep(Duration::from_millis(200)); // the attack's pace, not a synchronisation
            }
        })
    };
    let started = Instant::now();
    let mut fresh = connect_to(addr);
    let r = get(&mut fresh, "/hello");
    let took = started.elapsed();
    eprintln!("fresh client answered after {took:?} behind 50 attackers and 8 threads ({args:?})");
    assert_eq!(r.body, b"Hello, world");
    assert!(
        took < Duration::from_secs(4),
        "fresh client waited {took:?}"
    );
    stop.store(true, Ordering::Relaxed);
    trickler.join().unwrap();
    // The slow heads got 408 (or a close), not a worker forever.
    let got = read_to_close(&mut attackers[0]).unwrap();
    assert!(
        got.is_empty() || got.starts_with(b"HTTP/1.1 408"),
        "{got:?}"
    );
}
