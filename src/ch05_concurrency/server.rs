//! The HTTP server every later chapter serves through: chapter 4's
//! connection loop run on a hand-built [`ThreadPool`], with a connection
//! cap, timeouts that survive idle and slow clients, and a graceful
//! shutdown.
//!
//! # The design, and why
//!
//! A connection needs a thread only while it has a request to work on.
//! One that waits for its next request is *parked* in epoll
//! ([`parking`](super::parking)) and served, when it is readable, by an
//! event loop that runs on a worker of the pool; the first design (a
//! worker per connection for its whole life, `--blocking`) is kept to
//! compare against, and for systems without epoll. Either way:
//!
//! * **A fixed pool of `threads` workers** runs the event loops and
//!   whatever blocks (a slow handler, a slow body, a big file).
//! * **A connection cap**, `max_connections`, counts every open
//!   connection. Past it the acceptor answers `503 Service Unavailable`
//!   with `Retry-After` and closes, at once, without giving the connection
//!   a worker; idle connections then give their places up.
//! * **When connections wait for a worker** (the pool is saturated), a
//!   connection that holds a worker (all of them with `--blocking`; a
//!   parked one holds none) does not keep it while idle: it closes it once
//!   it has been idle for a second, and a busy one after its fair share of
//!   time (100 ms) with `Connection: close`, so the client reconnects to
//!   the back of the queue. And a head
//!   that has taken longer than a second by then gets `408`. So idle
//!   clients and slowloris clients (one byte a second) lose their worker
//!   exactly when someone else needs it.
//! * **Deadlines everywhere**: the idle timeout between requests, a *total*
//!   deadline for a head (a per-read timeout alone is reset by every
//!   trickled byte), and a per-operation timeout for bodies and writes.
//!
//! # Shutdown
//!
//! [`ShutdownHandle::shutdown`] (or SIGINT/SIGTERM after
//! [`handle_signals`]) sets a flag and connects to our own port to wake the
//! acceptor blocked in `accept`. The acceptor stops, takes the connections
//! the kernel already accepted on our behalf (the backlog) and closes the
//! listener. Workers finish the request in hand (answering with
//! `Connection: close`), serve requests already sent, and close idle
//! connections within
//! [`POLL_INTERVAL`](crate::ch04_methods_and_routing::conn::POLL_INTERVAL). `run` returns once every
//! connection is closed (then stops the event loops), or after
//! `drain_timeout`.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::pool::{PoolStats, ThreadPool};
use crate::ch01_sockets::tcp_echo::accept_once;
use crate::ch02_http_by_hand::head::HeadLimits;
use crate::ch04_methods_and_routing::Service;
pub use crate::ch04_methods_and_routing::conn::PRESSURED_HEAD_TIMEOUT;
use crate::ch04_methods_and_routing::conn::{
    ConnOptions, Connection, FAIR_SHARE, HEAD_TIMEOUT, IDLE_TIMEOUT, IO_TIMEOUT, LogEntry,
    Supervisor, serve_accepted,
};
use crate::ch10_event_loop::lot::Lot;
use crate::ch10_event_loop::parking::{Host, Parked, Parking};

pub use super::cli::{ServerArgs, run_server, run_server_with};
pub use super::signals::handle_signals;

/// Default number of worker threads: the event loops, plus whatever
/// blocks (with `--blocking`, each serves one connection at a time, so
/// this is how many clients are served *at once*); an idle worker costs
/// only its stack pages.
pub const DEFAULT_THREADS: usize = 128;
/// Default cap on open connections (parked, queued or being served): past
/// it, 503.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// How long in-flight requests get to finish after shutdown begins.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// What a 503 tells the client: try again in this many seconds.
pub const RETRY_AFTER_SECS: u32 = 1;
/// Length of the kernel's queue of connections not yet accepted. std uses
/// 128; a burst of 256 connecting clients (a benchmark, a page with many
/// resources) would overflow it and wait for SYN retransmission (1 s).
pub const LISTEN_BACKLOG: i32 = 1024;

unsafe extern "C" {
    /// `listen(2)`: called again on a listening socket, it only changes the
    /// backlog.
    fn listen(fd: i32, backlog: i32) -> i32;
}

/// The server's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Worker threads (`--threads`).
    pub threads: usize,
    /// Open connections at most (`--max-connections`).
    pub max_connections: usize,
    /// Longest wait for the next request on a kept-alive connection
    /// (`--idle-timeout`).
    pub idle_timeout: Duration,
    /// Longest time for a whole request head once it has started.
    pub head_timeout: Duration,
    /// Longest time in-flight requests get after shutdown begins.
    pub drain_timeout: Duration,
    /// No access log (`--quiet`).
    pub quiet: bool,
    /// Longest single read of a body, or single write.
    pub io_timeout: Duration,
    /// Under pressure (a saturated pool, or the cap turned a client away):
    /// the deadline of a head that has started, and how long an idle
    /// connection keeps its place.
    pub pressured_head_timeout: Duration,
    pub limits: HeadLimits,
    /// A worker per connection for its whole life, no epoll (`--blocking`):
    /// this chapter's first design, kept to compare against.
    pub blocking: bool,
    /// Event loops (see [`parking`](super::parking)); 0: one for each CPU
    /// the process may run on. Never more than `threads`: loops are jobs
    /// of the pool, so with as many loops as workers a retired loop's
    /// replacement waits for a worker to come free.
    pub event_loops: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            threads: DEFAULT_THREADS,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            idle_timeout: IDLE_TIMEOUT,
            head_timeout: HEAD_TIMEOUT,
            drain_timeout: DRAIN_TIMEOUT,
            quiet: false,
            io_timeout: IO_TIMEOUT,
            pressured_head_timeout: PRESSURED_HEAD_TIMEOUT,
            limits: HeadLimits::SERVER,
            blocking: false,
            event_loops: 0,
        }
    }
}

impl Config {
    fn conn_options(&self) -> ConnOptions {
        ConnOptions {
            idle_timeout: self.idle_timeout,
            head_timeout: self.head_timeout,
            pressured_head_timeout: self.pressured_head_timeout,
            io_timeout: self.io_timeout,
            limits: self.limits,
            fair_share: FAIR_SHARE,
        }
    }
}

struct ShutdownState {
    flag: AtomicBool,
    started: Mutex<bool>,
    cv: Condvar,
    /// Where to connect to wake the acceptor.
    wake: SocketAddr,
}

/// Starts a server's shutdown from anywhere (a signal thread, a test, a
/// handler), and lets others wait for it.
#[derive(Clone)]
pub struct ShutdownHandle {
    state: Arc<ShutdownState>,
}

impl ShutdownHandle {
    /// Begins the shutdown (idempotent): stop accepting, drain, return from
    /// [`Server::run`].
    pub fn shutdown(&self) {
        if self.state.flag.swap(true, Ordering::SeqCst) {
            return;
        }
        *self.state.started.lock().unwrap_or_else(|p| p.into_inner()) = true;
        self.state.cv.notify_all();
        // Wake the acceptor blocked in accept(2): the connection we make is
        // accepted, seen to be after the flag, and closed.
        let _ = TcpStream::connect_timeout(&self.state.wake, Duration::from_secs(1));
    }

    pub fn is_shutting_down(&self) -> bool {
        self.state.flag.load(Ordering::SeqCst)
    }

    /// Blocks until the shutdown begins.
    pub fn wait(&self) {
        let mut started = self.state.started.lock().unwrap_or_else(|p| p.into_inner());
        while !*started {
            started = self
                .state
                .cv
                .wait(started)
                .unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// A bound, not yet running, server.
pub struct Server {
    listener: TcpListener,
    addr: SocketAddr,
    config: Config,
    shutdown: ShutdownHandle,
}

/// What the workers share.
struct Shared {
    shutdown: ShutdownHandle,
    stats: Arc<PoolStats>,
    quiet: bool,
    /// Open connections (parked, queued or being served), and a condvar to wait for
    /// it to fall to zero during the drain.
    open: Mutex<usize>,
    closed: Condvar,
    /// The cap turned a client away and no place has freed up since: the
    /// open connections should not sit idle on their places.
    full: AtomicBool,
}

impl Supervisor for Shared {
    fn shutting_down(&self) -> bool {
        self.shutdown.is_shutting_down()
    }

    fn pressured(&self) -> bool {
        self.stats.saturated() || self.full.load(Ordering::Relaxed)
    }

    fn log(&self, entry: &LogEntry<'_>) {
        if !self.quiet {
            eprintln!("{entry}");
        }
    }
}

impl Host for Shared {
    fn at_cap(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }
}

/// Decrements the open count when a connection ends, even by a panic.
struct OpenGuard(Arc<Shared>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        let mut open = self.0.open.lock().unwrap_or_else(|p| p.into_inner());
        *open -= 1;
        self.0.full.store(false, Ordering::Relaxed);
        if *open == 0 {
            self.0.closed.notify_all();
        }
    }
}

fn loopback_for(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

impl Server {
    /// Binds `addr` (port 0: any free port).
    pub fn bind(addr: SocketAddr, config: Config) -> io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        // SAFETY: listen(2) on a socket we own; failure leaves the old backlog.
        unsafe {
            listen(listener.as_raw_fd(), LISTEN_BACKLOG);
        }
        let addr = listener.local_addr()?;
        let shutdown = ShutdownHandle {
            state: Arc::new(ShutdownState {
                flag: AtomicBool::new(false),
                started: Mutex::new(false),
                cv: Condvar::new(),
                wake: loopback_for(addr),
            }),
        };
        Ok(Server {
            listener,
            addr,
            config,
            shutdown,
        })
    }

    /// The address actually bound (the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Serves until shutdown, drains in-flight requests, returns. An error
    /// means the drain did not finish within `drain_timeout`.
    pub fn run(self, service: Arc<dyn Service>) -> io::Result<()> {
        let pool = Arc::new(ThreadPool::new(self.config.threads)?);
        let shared = Arc::new(Shared {
            shutdown: self.shutdown.clone(),
            stats: pool.stats(),
            quiet: self.config.quiet,
            open: Mutex::new(0),
            closed: Condvar::new(),
            full: AtomicBool::new(false),
        });
        let opts = Arc::new(self.config.conn_options());
        // Parked connections and their event loops (see `parking`); or, with
        // `--blocking` or without epoll, a worker per connection.
        let lot = if self.config.blocking {
            None
        } else {
            Lot::new().ok()
        };
        let parking = lot.map(|lot| {
            let loops = match self.config.event_loops {
                // available_parallelism counts the CPUs this process may
                // run on (under `taskset -c 0`, one).
                0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
                n => n,
            };
            let parking = Parking::new(
                lot,
                shared.clone(),
                service.clone(),
                opts.clone(),
                loops.min(self.config.threads),
            );
            let watchdog = parking.start(&pool);
            (parking, watchdog)
        });
        let dispatch = |stream: TcpStream, peer: SocketAddr| {
            {
                let mut open = shared.open.lock().unwrap_or_else(|p| p.into_inner());
                if *open >= self.config.max_connections {
                    shared.full.store(true, Ordering::Relaxed);
                    drop(open);
                    refuse(stream);
                    return;
                }
                *open += 1;
            }
            let guard = OpenGuard(shared.clone());
            let accepted = Instant::now();
            if let Some((parking, _)) = &parking {
                let conn = Connection::accepted(stream, peer, accepted, &opts);
                parking.park(Parked::new(conn, guard));
                return;
            }
            let service = service.clone();
            let opts = opts.clone();
            pool.execute(move || {
                serve_accepted(stream, peer, accepted, &*service, &opts, &*guard.0);
                drop(guard);
            });
        };

        loop {
            // Chapter 1's accept, one try at a time: an error (EMFILE, out
            // of descriptors) is reported and backed off from, and between
            // tries we look at the shutdown flag.
            if let Some((stream, peer)) = accept_once(&self.listener) {
                dispatch(stream, peer);
            }
            if self.shutdown.is_shutting_down() {
                break;
            }
        }

        // The kernel completed handshakes for connections still in the
        // backlog; their clients think they are connected. Serve them too.
        if self.listener.set_nonblocking(true).is_ok() {
            while let Ok((stream, peer)) = self.listener.accept() {
                let _ = stream.set_nonblocking(false);
                dispatch(stream, peer);
            }
        }
        drop(self.listener);

        let deadline = Instant::now() + self.config.drain_timeout;
        let mut open = shared.open.lock().unwrap_or_else(|p| p.into_inner());
        while *open > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                let n = *open;
                drop(open);
                // Leave the pool's threads running: they end with the process.
                std::mem::forget(pool);
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{n} connection(s) still open after the drain timeout"),
                ));
            }
            open = shared
                .closed
                .wait_timeout(open, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        drop(open);
        if let Some((parking, watchdog)) = parking {
            parking.stop();
            let _ = watchdog.join();
        }
        if let Ok(pool) = Arc::try_unwrap(pool) {
            pool.join();
        }
        Ok(())
    }
}

/// Answers a connection over the cap with 503 and closes it, without
/// blocking the acceptor: the response is one small write into an empty
/// socket buffer.
fn refuse(stream: TcpStream) {
    let _ = stream.set_nonblocking(true);
    let msg = format!(
        "HTTP/1.1 503 Service Unavailable\r\nRetry-After: {RETRY_AFTER_SECS}\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Length: 33\r\n\
         Connection: close\r\n\r\n503 Service Unavailable: too busy\n"
    );
    let _ = (&stream).write_all(msg.as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
    // Read what has already arrived, so that closing with unread data does
    // not send a reset that could destroy the 503 in flight.
    let mut sink = [0u8; 4096];
    while let Ok(n) = (&stream).read(&mut sink) {
        if n == 0 {
            break;
        }
    }
}
