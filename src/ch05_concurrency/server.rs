//! The HTTP server every later chapter serves through: chapter 4's
//! connection loop run on a hand-built [`ThreadPool`], with a connection
//! cap, timeouts that survive idle and slow clients, and a graceful
//! shutdown.
//!
//! # The design, and why
//!
//! * **A fixed pool of `threads` workers**: each serves one connection at
//!   a time, from its first request to its close ([`worker`](super::worker)),
//!   so `threads` is how many clients are served *at once*.
//! * **A connection cap**, `max_connections`, counts every open
//!   connection, served or queued. Past it the acceptor answers `503
//!   Service Unavailable` with `Retry-After` and closes, at once, without
//!   giving the connection a worker; idle connections then give their
//!   places up.
//! * **When connections wait for a worker** (the pool is saturated), a
//!   connection does not keep its worker while idle: it closes once it has
//!   been idle for a second, and a busy one after its fair share of time
//!   (100 ms) with `Connection: close`, so the client reconnects to the
//!   back of the queue. A head that has taken longer than a second by then
//!   gets `408`, and so does a body that arrives slower than
//!   [`MIN_BODY_RATE`](super::policy::MIN_BODY_RATE). So idle clients and
//!   slowloris clients (one byte a second) lose their worker exactly when
//!   someone else needs it ([`policy`](super::policy)).
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
//! [`POLL_INTERVAL`](super::policy::POLL_INTERVAL). `run` returns once every
//! connection is closed, or after `drain_timeout`.

use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::policy::{OpenGuard, Policy};
use super::pool::ThreadPool;
use super::worker::serve_pooled;
use crate::ch01_sockets::tcp_echo::accept_once;
use crate::ch02_http_by_hand::head::HeadLimits;
use crate::ch04_methods_and_routing::Service;
use crate::ch04_methods_and_routing::access_log::AccessLog;
use crate::ch04_methods_and_routing::conn::{
    Conn, ConnOptions, HEAD_TIMEOUT, IDLE_TIMEOUT, IO_TIMEOUT,
};

pub use super::cli::{ServerArgs, run_server, run_server_with};
pub use super::policy::PRESSURED_HEAD_TIMEOUT;
pub use super::signals::handle_signals;

/// Default number of worker threads: how many clients are served at once.
/// An idle worker costs only its stack pages.
pub const DEFAULT_THREADS: usize = 128;
/// Default cap on open connections (queued or being served): past it, 503.
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
        }
    }
}

impl Config {
    /// Chapter 4's limits for one connection.
    pub fn conn_options(&self) -> ConnOptions {
        ConnOptions {
            idle_timeout: self.idle_timeout,
            head_timeout: self.head_timeout,
            io_timeout: self.io_timeout,
            limits: self.limits,
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

/// What a running server hands to its [`Dispatch`].
pub struct Serving {
    pub pool: Arc<ThreadPool>,
    pub policy: Arc<Policy>,
    pub service: Arc<dyn Service>,
    pub config: Config,
}

/// What the server does with each connection it admitted under the cap:
/// [`Pooled`] queues it for a worker. `guard` holds the connection's place
/// and must live exactly as long as the connection.
pub trait Dispatch: Send + Sync {
    fn dispatch(&self, conn: Conn, guard: OpenGuard);
    /// Called once every connection is closed, before the pool is joined.
    fn stop(&self) {}
}

/// A worker of the pool for each connection, for its whole life.
pub struct Pooled {
    pool: Arc<ThreadPool>,
    policy: Arc<Policy>,
    service: Arc<dyn Service>,
}

impl Pooled {
    pub fn new(s: &Serving) -> Pooled {
        Pooled {
            pool: s.pool.clone(),
            policy: s.policy.clone(),
            service: s.service.clone(),
        }
    }
}

impl Dispatch for Pooled {
    fn dispatch(&self, conn: Conn, guard: OpenGuard) {
        let (service, policy) = (self.service.clone(), self.policy.clone());
        self.pool.execute(move || {
            serve_pooled(conn, &*service, &policy);
            drop(guard);
        });
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

    /// The listening socket (to set options that its connections inherit).
    pub fn listener(&self) -> &TcpListener {
        &self.listener
    }

    /// The address actually bound (the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.shutdown.clone()
    }

    /// Serves until shutdown, drains in-flight requests, returns. An error
    /// means the drain did not finish within `drain_timeout`. Unless
    /// `quiet`, says `shutting down; N connection(s) draining` on stderr
    /// when the shutdown begins, and `bye` once the drain is done.
    pub fn run(self, service: Arc<dyn Service>) -> io::Result<()> {
        self.run_with(service, |s| Box::new(Pooled::new(s)))
    }

    /// [`Server::run`], handing each admitted connection to the
    /// [`Dispatch`] that `make` builds.
    pub fn run_with(
        self,
        service: Arc<dyn Service>,
        make: impl FnOnce(&Serving) -> Box<dyn Dispatch>,
    ) -> io::Result<()> {
        let pool = Arc::new(ThreadPool::new(self.config.threads)?);
        let policy = Arc::new(Policy::new(
            self.config.conn_options(),
            self.config.pressured_head_timeout,
            AccessLog {
                quiet: self.config.quiet,
            },
            self.shutdown.clone(),
            pool.stats(),
        ));
        let serving = Serving {
            pool: pool.clone(),
            policy: policy.clone(),
            service,
            config: self.config.clone(),
        };
        let dispatcher = make(&serving);
        drop(serving);
        let io_timeout = self.config.io_timeout;
        let dispatch = |stream: TcpStream, peer: SocketAddr| {
            let Some(guard) = policy.admit(self.config.max_connections) else {
                return refuse(stream);
            };
            let conn = Conn::accepted(stream, peer, Instant::now(), io_timeout);
            dispatcher.dispatch(conn, guard);
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
        let quiet = self.config.quiet;
        if !quiet {
            eprintln!("shutting down; {} connection(s) draining", policy.open());
        }
        let deadline = Instant::now() + self.config.drain_timeout;
        if let Err(n) = policy.wait_all_closed(deadline) {
            // Leave the pool's threads running: they end with the process.
            std::mem::forget(pool);
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{n} connection(s) still open after the drain timeout"),
            ));
        }
        dispatcher.stop();
        drop(dispatcher);
        drop(policy);
        if let Ok(pool) = Arc::try_unwrap(pool) {
            pool.join();
        }
        if !quiet {
            eprintln!("bye");
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
