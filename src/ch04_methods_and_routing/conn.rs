//! One HTTP/1.1 connection, from its first byte to its close: read a head,
//! check its framing, hand the request to a [`Service`], write the
//! response, and go round again while the connection stays open
//! (keep-alive; pipelined requests are answered strictly in order because
//! one loop does them one after another).
//!
//! Every read has a deadline (the idle timeout between requests, a total
//! deadline for a head once it started, a per-read timeout in bodies) and
//! every buffer a limit, so a client that stops talking, or talks one byte
//! a second, costs a bounded amount of time.
//!
//! Chapter 4's server runs this in a thread per connection ([`serve`]).
//! Chapter 5 runs the very same code from event loops
//! ([`Connection::serve`] with [`Wait::Park`]), or on a thread pool with
//! `--blocking` ([`serve_accepted`]), and tells it, via [`Supervisor`],
//! when to let go of a connection early (others are waiting for a thread,
//! or the server is shutting down) and asks to be told before it waits on
//! its client ([`Supervisor::may_block`]).

use std::fmt;
use std::io::{self, BufRead, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::framing::{Expectation, expectation, host_problem, request_body_kind, wants_keep_alive};
use super::parse::parse_request_head;
use super::request::{Request, RequestBody};
use super::response::{Response, UpgradeFn, Upgraded};
use super::send::{ReplyTo, Sent, may_take_long, write_response};
use super::{Method, Service};
use crate::ch01_sockets::tcp_echo::{accept_retrying, is_timeout};
use crate::ch02_http_by_hand::head::{HeadLimits, Parsed, RequestHead, Version};
use crate::ch02_http_by_hand::server::{close_after_error, target_problem};
use crate::ch03_urls_and_clients::body::BodyKind;
use crate::trace::{self, Dir};

/// How long a kept-alive connection may sit idle between requests.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole request head may take to arrive once its first byte
/// has: a *total* deadline, so trickling one byte a second does not reset
/// it (a per-read timeout alone is what slowloris defeats).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a single read of a body, or a single write, may block.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// When others wait for a thread, how long a busy keep-alive connection may
/// keep its worker before it is asked to reconnect (`Connection: close`):
/// long enough that reconnecting is rare, short enough that a queued client
/// does not wait long.
pub const FAIR_SHARE: Duration = Duration::from_millis(100);
/// When the server is saturated (or the cap turned a client away), how long
/// a head that has started may still take before it gets 408, and how long
/// an idle keep-alive connection may keep its worker (or its place).
pub const PRESSURED_HEAD_TIMEOUT: Duration = Duration::from_secs(1);
/// How often a connection waiting for a request looks up from its read to
/// ask the [`Supervisor`] whether it should give up its thread.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// How much of a body the handler did not read we are willing to read and
/// throw away to keep the connection; past this we close instead.
pub const MAX_DRAIN_BYTES: u64 = 64 * 1024;
/// While others wait for a thread, the slowest a request body may arrive
/// (after [`ConnOptions::pressured_head_timeout`] of grace) before the read
/// fails with 408: a "slow POST" must not hold a worker at will.
pub const MIN_BODY_RATE: u64 = 1024;
/// Initial size of a connection's read buffer (it grows up to the head
/// limit if a head needs it).
pub const READ_BUFFER: usize = 8 * 1024;

/// The limits one connection runs under.
#[derive(Debug, Clone)]
pub struct ConnOptions {
    pub idle_timeout: Duration,
    pub head_timeout: Duration,
    /// When the [`Supervisor`] says others are waiting: how long a head
    /// that has started to arrive may still take before we answer 408, and
    /// how long an idle connection may wait for its next request before it
    /// is closed.
    pub pressured_head_timeout: Duration,
    pub io_timeout: Duration,
    pub limits: HeadLimits,
    /// See [`FAIR_SHARE`].
    pub fair_share: Duration,
}

impl Default for ConnOptions {
    fn default() -> Self {
        ConnOptions {
            idle_timeout: IDLE_TIMEOUT,
            head_timeout: HEAD_TIMEOUT,
            pressured_head_timeout: PRESSURED_HEAD_TIMEOUT,
            io_timeout: IO_TIMEOUT,
            limits: HeadLimits::SERVER,
            fair_share: FAIR_SHARE,
        }
    }
}

/// One line of the access log.
#[derive(Debug, Clone)]
pub struct LogEntry<'a> {
    pub peer: SocketAddr,
    pub method: &'a str,
    pub target: &'a str,
    pub version: Version,
    pub status: u16,
    pub body_bytes: u64,
    pub duration: Duration,
}

impl fmt::Display for LogEntry<'_> {
    /// `127.0.0.1:50312 "GET /hello HTTP/1.1" 200 12 0.084ms`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} \"{} {} {}\" {} {} {:.3}ms",
            self.peer,
            self.method,
            crate::trace::escape(self.target.as_bytes()),
            self.version,
            self.status,
            self.body_bytes,
            self.duration.as_secs_f64() * 1000.0
        )
    }
}

/// What a connection asks of whoever runs it.
pub trait Supervisor: Sync {
    /// The server is shutting down: finish the request in hand, then close.
    fn shutting_down(&self) -> bool {
        false
    }
    /// Other connections are waiting for a thread: do not hold this one
    /// open while it is idle.
    fn pressured(&self) -> bool {
        false
    }
    /// One request was answered.
    fn log(&self, entry: &LogEntry<'_>) {
        let _ = entry;
    }
    /// This thread is about to wait for the client for what may be long:
    /// send a large body, wait for body bytes that have not arrived, or
    /// linger for the last bytes of a client answered with an error.
    /// An event loop hands its other connections to another thread first
    /// (chapter 5's `parking`).
    fn may_block(&self) {}
}

/// A supervisor that only logs (chapter 4's thread per connection).
pub struct StderrLog {
    pub quiet: bool,
}

impl Supervisor for StderrLog {
    fn log(&self, entry: &LogEntry<'_>) {
        if !self.quiet {
            eprintln!("{entry}");
        }
    }
}

/// Bytes read from the connection and not yet used: the head being parsed,
/// then the body, then whatever the client pipelined behind it.
pub struct InBuf<'s> {
    stream: &'s TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl<'s> InBuf<'s> {
    pub fn new(stream: &'s TcpStream) -> InBuf<'s> {
        InBuf {
            stream,
            buf: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
        }
    }

    /// The buffered bytes.
    pub fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Reads once more from the socket, appending to what is buffered.
    pub fn read_more(&mut self) -> io::Result<usize> {
        self.make_room();
        loop {
            match (&*self.stream).read(&mut self.buf[self.end..]) {
                Ok(n) => {
                    self.end += n;
                    return Ok(n);
                }
                // Linux interrupts a read that has a timeout when the process
                // is stopped and continued, even without signal handlers
                // (signal(7)). Nothing happened to the connection: read again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Makes room at the end of the buffer for the next read: starts over
    /// when everything was used, moves unused bytes to the front, or grows.
    fn make_room(&mut self) {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
    }

    /// Reads what has already arrived, without waiting: `WouldBlock` when
    /// nothing has (chapter 5's server then parks the connection).
    pub fn read_now(&mut self) -> io::Result<usize> {
        self.make_room();
        let n = recv_now(self.stream, &mut self.buf[self.end..], false)?;
        self.end += n;
        Ok(n)
    }

    /// Takes what is buffered (for a protocol upgrade).
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let v = self.data().to_vec();
        self.start = self.end;
        v
    }
}

/// `recv(2)` with `MSG_DONTWAIT`: reads what has arrived, or fails with
/// `WouldBlock` at once, on a socket that otherwise stays blocking (its
/// body reads and writes keep their timeouts). With `peek` the bytes stay
/// in the socket. `Ok(0)` is the end of the stream, as for `read`.
#[cfg(target_os = "linux")]
pub fn recv_now(stream: &TcpStream, buf: &mut [u8], peek: bool) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    unsafe extern "C" {
        fn recv(fd: i32, buf: *mut u8, len: usize, flags: i32) -> isize;
    }
    const MSG_PEEK: i32 = 0x2;
    const MSG_DONTWAIT: i32 = 0x40;
    let flags = MSG_DONTWAIT | if peek { MSG_PEEK } else { 0 };
    loop {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes; the
        // descriptor is open for the duration of the borrow.
        let n = unsafe { recv(stream.as_raw_fd(), buf.as_mut_ptr(), buf.len(), flags) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Elsewhere: "nothing yet", and the caller reads the blocking way (the
/// server never parks a connection there: it has no epoll).
#[cfg(not(target_os = "linux"))]
pub fn recv_now(_stream: &TcpStream, _buf: &mut [u8], _peek: bool) -> io::Result<usize> {
    Err(io::ErrorKind::WouldBlock.into())
}

/// `Read` in terms of `BufRead`: copy from what `fill_buf` has.
fn read_buffered(r: &mut impl BufRead, out: &mut [u8]) -> io::Result<usize> {
    let avail = r.fill_buf()?;
    let n = avail.len().min(out.len());
    out[..n].copy_from_slice(&avail[..n]);
    r.consume(n);
    Ok(n)
}

impl Read for InBuf<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl BufRead for InBuf<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.is_empty() {
            self.read_more()?;
        }
        Ok(self.data())
    }

    fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }
}

/// The request body's view of the connection: the buffered bytes, and
/// reads with deadlines. A read waits at most `io_timeout` for the next
/// byte; it looks up every [`POLL_INTERVAL`] and, while the [`Supervisor`]
/// says others wait for a thread, fails with `TimedOut` once the body has
/// fallen behind [`MIN_BODY_RATE`]: the head's total deadline no longer
/// applies, and a per-read timeout alone is what a client sending one byte
/// every few seconds defeats. The rate counts only the time spent waiting
/// for the client, not the time the handler takes between reads.
struct BodySource<'b, 's, 't> {
    inbuf: &'b mut InBuf<'s>,
    timeout: &'b mut Timeout<'t>,
    sup: &'b dyn Supervisor,
    io_timeout: Duration,
    grace: Duration,
    /// Time spent blocked in reads of this body, and the bytes they got.
    waited: Duration,
    received: u64,
}

impl BodySource<'_, '_, '_> {
    fn too_slow(&self) -> bool {
        let late = self.waited.saturating_sub(self.grace);
        !late.is_zero()
            && self.sup.pressured()
            && (self.received as f64) < MIN_BODY_RATE as f64 * late.as_secs_f64()
    }
}

impl Read for BodySource<'_, '_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl BufRead for BodySource<'_, '_, '_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if !self.inbuf.is_empty() {
            return Ok(self.inbuf.data());
        }
        // Bytes that have arrived need no waiting: take them first, and
        // hand an event loop's other connections on only when this client
        // really has to be waited for.
        match self.inbuf.read_now() {
            Ok(n) => {
                self.received += n as u64;
                return Ok(self.inbuf.data());
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        self.sup.may_block();
        let waiting_since = Instant::now();
        while self.inbuf.is_empty() {
            if self.too_slow() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "body arriving too slowly while others wait",
                ));
            }
            let left = self.io_timeout.saturating_sub(waiting_since.elapsed());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "body read timed out",
                ));
            }
            self.timeout.set(left.min(POLL_INTERVAL));
            let t = Instant::now();
            let got = self.inbuf.read_more();
            self.waited += t.elapsed();
            match got {
                Ok(0) => break,
                Ok(n) => self.received += n as u64,
                Err(e) if is_timeout(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(self.inbuf.data())
    }

    fn consume(&mut self, n: usize) {
        self.inbuf.consume(n);
    }
}

/// Why no head was read.
enum NoHead {
    /// The connection ended between requests (client closed, idle timeout,
    /// shutdown, or it gave way to waiting connections): close quietly.
    Quiet,
    /// The head started but did not finish in time: 408.
    TooSlow,
    /// The client closed in the middle of a head: 400, if it still listens.
    Truncated,
    /// The head is malformed or over a limit.
    Bad(crate::ch02_http_by_hand::head::HeadError),
    /// Nothing more has arrived yet and the caller would rather not wait
    /// on this thread ([`Wait::Park`]); when the head's total deadline has
    /// started, this is when.
    Park(Option<Instant>),
}

/// How a connection waits for the next bytes of a request head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// In a blocking read, with deadlines (a thread per connection).
    Block,
    /// Not at all: read what has arrived and hand the connection back to be
    /// parked until it is readable again (chapter 5's epoll).
    Park,
    /// In a blocking read while the connection is busy, but once it has
    /// been idle this long, hand it back to be parked: a connection that
    /// has a thread (it needed one for a large response) keeps it for its
    /// next request instead of going through the event loop each time.
    BlockThenPark(Duration),
}

/// Sets the read timeout, skipping the system call when it is unchanged.
struct Timeout<'s> {
    stream: &'s TcpStream,
    current: Option<Duration>,
}

impl Timeout<'_> {
    fn set(&mut self, d: Duration) {
        let d = d.max(Duration::from_millis(1));
        if self.current != Some(d) {
            let _ = self.stream.set_read_timeout(Some(d));
            self.current = Some(d);
        }
    }
}

/// Reads the next request head.
///
/// `idle_since` is when the connection became idle (accepted, or the last
/// response sent). `head_clock` is when the head's total deadline started,
/// if before its first byte: for a connection's first request, the moment
/// it was accepted, so time spent waiting in the server's queue counts.
fn read_head(
    inbuf: &mut InBuf<'_>,
    timeout: &mut Timeout<'_>,
    opts: &ConnOptions,
    sup: &dyn Supervisor,
    idle_since: Instant,
    head_clock: Option<Instant>,
    wait: Wait,
) -> Result<(RequestHead, usize), NoHead> {
    let mut head_started = head_clock;
    // Whether we have tried to read at least once: bytes may be waiting in
    // the socket, so no verdict on a connection before looking.
    let mut tried = false;
    loop {
        if !inbuf.is_empty() {
            match parse_request_head(inbuf.data(), &opts.limits) {
                Ok(Parsed::Complete(h, n)) => return Ok((h, n)),
                Ok(Parsed::Incomplete) => {}
                Err(e) => return Err(NoHead::Bad(e)),
            }
        }
        let now = Instant::now();
        let remaining = if inbuf.is_empty() {
            // Idle between requests. Give the thread up if the server is
            // stopping, or if others wait for it and this connection has
            // been idle for the same grace a started head gets (closing an
            // idle connection races with a request already on its way;
            // the grace keeps that race to clients that really are idle).
            if tried
                && (sup.shutting_down()
                    || (now.duration_since(idle_since) >= opts.pressured_head_timeout
                        && sup.pressured()))
            {
                return Err(NoHead::Quiet);
            }
            let left = (idle_since + opts.idle_timeout).saturating_duration_since(now);
            // Even when the connection waited in the queue for longer than
            // the idle timeout, look first: its request may be waiting.
            if tried && left.is_zero() {
                return Err(NoHead::Quiet);
            }
            if let Wait::BlockThenPark(quiet) = wait {
                let park_in = (idle_since + quiet).saturating_duration_since(now);
                if tried && park_in.is_zero() {
                    return Err(NoHead::Park(head_started));
                }
                left.min(park_in)
            } else {
                left
            }
        } else {
            let t = *head_started.get_or_insert(now);
            if tried && sup.pressured() && now.duration_since(t) >= opts.pressured_head_timeout {
                return Err(NoHead::TooSlow);
            }
            let left = (t + opts.head_timeout).saturating_duration_since(now);
            if left.is_zero() {
                return Err(NoHead::TooSlow);
            }
            left
        };
        tried = true;
        let got = match wait {
            Wait::Park => inbuf.read_now(),
            Wait::Block | Wait::BlockThenPark(_) => {
                timeout.set(remaining.min(POLL_INTERVAL));
                inbuf.read_more()
            }
        };
        match got {
            Ok(0) => {
                return Err(if inbuf.is_empty() {
                    NoHead::Quiet
                } else {
                    NoHead::Truncated
                });
            }
            Ok(_) => {}
            Err(e) if wait == Wait::Park && e.kind() == io::ErrorKind::WouldBlock => {
                return Err(NoHead::Park(head_started));
            }
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return Err(NoHead::Quiet),
        }
    }
}

/// Writes an error response and reports it; the connection closes after.
fn reject(
    stream: &TcpStream,
    peer: SocketAddr,
    status: u16,
    detail: impl fmt::Display,
    head: Option<&RequestHead>,
    sup: &dyn Supervisor,
) {
    write_error(stream, peer, status, detail, head, sup);
    close_gently(stream, sup);
}

/// Writes an error response (marked as the last) and logs it.
fn write_error(
    stream: &TcpStream,
    peer: SocketAddr,
    status: u16,
    detail: impl fmt::Display,
    head: Option<&RequestHead>,
    sup: &dyn Supervisor,
) {
    let started = Instant::now();
    let mut resp = Response::error(status, detail);
    let to = ReplyTo {
        head_request: head.is_some_and(|h| h.method == "HEAD"),
        version: Version::Http11,
        close: true,
    };
    let sent = write_response(&mut &*stream, &mut resp, &to, peer);
    let (method, target, version) = match head {
        Some(h) => (h.method.as_str(), h.target.as_str(), h.version),
        None => ("-", "-", Version::Http11),
    };
    sup.log(&LogEntry {
        peer,
        method,
        target,
        version,
        status,
        body_bytes: sent.map(|s| s.body_bytes).unwrap_or(0),
        duration: started.elapsed(),
    });
}

/// Closes after a response while the client may still be sending (an error
/// answered early, a body the handler left unread): tell the client we are
/// done, and give its unread bytes a moment to arrive, so closing does not
/// turn into a reset that destroys the response before the client has read
/// it (RFC 9112 §9.6).
fn close_gently(stream: &TcpStream, sup: &dyn Supervisor) {
    if sup.pressured() {
        // Others are waiting for this thread: no courtesy for a client that
        // is probably the reason (a slowloris keeps sending while we linger).
        let _ = stream.shutdown(std::net::Shutdown::Both);
    } else if let Ok(s) = stream.try_clone() {
        // Chapter 2's lingering close: half-close, drain what the client
        // still sends (bounded), then close, so that a reset does not
        // destroy the error response before the client reads it. That
        // waits for the client: an event loop hands its other
        // connections on first.
        sup.may_block();
        let _ = close_after_error(s);
    }
}

/// What happened to one request.
enum Next {
    KeepGoing,
    Close,
    Upgrade(UpgradeFn),
    /// [`Wait::Park`]: no complete head yet; the head's deadline started
    /// then, if it has.
    Park(Option<Instant>),
}

/// Serves one connection until it closes. Hands the socket to the
/// response's upgrade function, on a new thread, after a `101`.
pub fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    service: &dyn Service,
    opts: &ConnOptions,
    sup: &dyn Supervisor,
) {
    serve_accepted(stream, peer, Instant::now(), service, opts, sup)
}

/// [`serve_connection`] for a connection accepted at `accepted` and perhaps
/// queued since: its first head's deadlines count from then.
pub fn serve_accepted(
    stream: TcpStream,
    peer: SocketAddr,
    accepted: Instant,
    service: &dyn Service,
    opts: &ConnOptions,
    sup: &dyn Supervisor,
) {
    let conn = Connection::accepted(stream, peer, accepted, opts);
    let parked = conn.serve(service, opts, sup, Wait::Block);
    debug_assert!(parked.is_none(), "a blocking connection never parks");
}

/// A connection between two turns on a thread: the socket, the bytes read
/// and not yet used, and the clocks its deadlines count from.
///
/// Chapter 4 serves a connection on one thread from its first byte to its
/// close ([`serve_accepted`]). Chapter 5's server keeps one of these, and
/// no thread, for each connection that waits for its next request, and
/// serves it with [`Connection::serve`] when epoll says it is readable.
pub struct Connection {
    stream: TcpStream,
    peer: SocketAddr,
    /// [`InBuf`]'s buffer, kept while the connection waits.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    idle_since: Instant,
    head_clock: Option<Instant>,
    read_timeout: Option<Duration>,
}

impl Connection {
    /// A connection accepted at `accepted`: its first head's deadlines count
    /// from then, so time spent waiting in a queue counts.
    pub fn accepted(
        stream: TcpStream,
        peer: SocketAddr,
        accepted: Instant,
        opts: &ConnOptions,
    ) -> Connection {
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(opts.io_timeout));
        trace::note(peer, "connection opened");
        Connection {
            stream,
            peer,
            buf: Vec::new(),
            start: 0,
            end: 0,
            idle_since: accepted,
            head_clock: Some(accepted),
            read_timeout: None,
        }
    }

    pub fn stream(&self) -> &TcpStream {
        &self.stream
    }

    pub fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Part of a request head has arrived (so closing it would lose a
    /// request: it gets a 408 instead).
    pub fn head_started(&self) -> bool {
        self.start < self.end
    }

    /// Since when the connection has been idle (accepted, or its last
    /// response sent).
    pub fn idle_since(&self) -> Instant {
        self.idle_since
    }

    /// When waiting for this connection ends: the idle timeout, or the
    /// head's total deadline once a head has started.
    pub fn deadline(&self, opts: &ConnOptions) -> Instant {
        match self.head_clock {
            Some(t) if self.head_started() => t + opts.head_timeout,
            _ => self.idle_since + opts.idle_timeout,
        }
    }

    /// Bytes, or the end of the stream, wait in the socket: the connection
    /// is not idle, whatever its clock says (a request that arrived while
    /// every thread was busy must be answered, not closed).
    pub fn input_waiting(&self) -> bool {
        recv_now(&self.stream, &mut [0u8; 1], true).is_ok()
    }

    /// Ends a connection whose wait ran out ([`Connection::deadline`]), or
    /// that must give its place up: 408 if a head has started, else a
    /// quiet close.
    ///
    /// Without waiting for anything: whoever expires connections does it
    /// for many in a row, so the 408 is sent only if it fits into the
    /// socket's buffer at once, and there is no lingering close (a client
    /// that trickled a head for ten seconds gets no more courtesy).
    pub fn expire(self, sup: &dyn Supervisor) {
        if self.head_started() && self.stream.set_nonblocking(true).is_ok() {
            write_error(
                &self.stream,
                self.peer,
                408,
                "the request head took too long",
                None,
                sup,
            );
            let _ = self.stream.shutdown(std::net::Shutdown::Both);
        }
        trace::note(self.peer, "connection closed");
    }

    /// Serves the requests that have arrived, one after another, until the
    /// connection closes (`None`) or, with [`Wait::Park`], until it would
    /// have to wait for more bytes: then it comes back, to be served again
    /// when it is readable. With [`Wait::Block`] it waits for them here, in
    /// blocking reads with deadlines, and never comes back; with
    /// [`Wait::BlockThenPark`] it comes back once it has been idle that long.
    pub fn serve(
        self,
        service: &dyn Service,
        opts: &ConnOptions,
        sup: &dyn Supervisor,
        wait: Wait,
    ) -> Option<Connection> {
        let Connection {
            stream,
            peer,
            mut buf,
            start,
            end,
            mut idle_since,
            mut head_clock,
            read_timeout,
        } = self;
        if buf.is_empty() {
            buf = vec![0; READ_BUFFER];
        }
        debug_assert!(start <= end && end <= buf.len());
        let mut inbuf = InBuf {
            stream: &stream,
            buf,
            start,
            end,
        };
        let mut timeout = Timeout {
            stream: &stream,
            current: read_timeout,
        };
        let turn_started = Instant::now();
        let upgrade = loop {
            match serve_one(
                &stream,
                peer,
                &mut inbuf,
                &mut timeout,
                service,
                opts,
                sup,
                (idle_since, head_clock, turn_started),
                wait,
            ) {
                Next::KeepGoing => {
                    idle_since = Instant::now();
                    head_clock = None;
                    // Nothing pipelined: the next request cannot have
                    // arrived before the client read this response, so
                    // do not even try to read; wait for epoll.
                    if wait == Wait::Park && inbuf.is_empty() {
                        break None;
                    }
                }
                Next::Park(started) => {
                    head_clock = started;
                    break None;
                }
                Next::Close => {
                    trace::note(peer, "connection closed");
                    return None;
                }
                Next::Upgrade(f) => break Some(f),
            }
        };
        let Some(f) = upgrade else {
            let current = timeout.current;
            let InBuf {
                mut buf,
                mut start,
                mut end,
                ..
            } = inbuf;
            if start == end && buf.len() > READ_BUFFER {
                // A big head grew it: do not keep that while idle.
                (buf, start, end) = (Vec::new(), 0, 0);
            }
            return Some(Connection {
                buf,
                start,
                end,
                idle_since,
                head_clock,
                read_timeout: current,
                stream,
                peer,
            });
        };
        let leftover = inbuf.take_buffered();
        trace::note(peer, "connection upgraded");
        let _ = stream.set_read_timeout(None);
        let _ = stream.set_write_timeout(None);
        let spawned = thread::Builder::new()
            .name("upgraded".into())
            .spawn(move || {
                f(Upgraded {
                    stream,
                    leftover,
                    peer,
                })
            });
        if let Err(e) = spawned {
            eprintln!("{peer}: cannot start a thread for the upgraded connection: {e}");
        }
        None
    }
}

#[allow(clippy::too_many_arguments)]
fn serve_one(
    stream: &TcpStream,
    peer: SocketAddr,
    inbuf: &mut InBuf<'_>,
    timeout: &mut Timeout<'_>,
    service: &dyn Service,
    opts: &ConnOptions,
    sup: &dyn Supervisor,
    (idle_since, head_clock, turn_started): (Instant, Option<Instant>, Instant),
    wait: Wait,
) -> Next {
    let (head, n) = match read_head(inbuf, timeout, opts, sup, idle_since, head_clock, wait) {
        Ok(h) => h,
        Err(NoHead::Park(started)) => return Next::Park(started),
        Err(NoHead::Quiet) => return Next::Close,
        Err(NoHead::TooSlow) => {
            reject(
                stream,
                peer,
                408,
                "the request head took too long",
                None,
                sup,
            );
            return Next::Close;
        }
        Err(NoHead::Truncated) => {
            reject(
                stream,
                peer,
                400,
                "connection closed inside the head",
                None,
                sup,
            );
            return Next::Close;
        }
        Err(NoHead::Bad(e)) => {
            reject(stream, peer, e.status(), &e, None, sup);
            return Next::Close;
        }
    };
    trace::head(Dir::In, peer, &inbuf.data()[..n]);
    inbuf.consume(n);
    let started = Instant::now();

    let Some(method) = Method::parse(&head.method) else {
        reject(
            stream,
            peer,
            501,
            format_args!("unknown method {}", head.method),
            Some(&head),
            sup,
        );
        return Next::Close;
    };
    if method == Method::Connect {
        // A tunnel request, for proxies (RFC 9110 §9.3.6); an origin server
        // supports it for no resource at all.
        reject(
            stream,
            peer,
            501,
            "CONNECT: this server is not a proxy",
            Some(&head),
            sup,
        );
        return Next::Close;
    }
    if let Some(why) = target_problem(&head.method, &head.target) {
        reject(stream, peer, 400, why, Some(&head), sup);
        return Next::Close;
    }
    if let Some(why) = host_problem(&head) {
        reject(stream, peer, 400, why, Some(&head), sup);
        return Next::Close;
    }
    let kind = match request_body_kind(&head) {
        Ok(k) => k,
        Err(e) => {
            reject(stream, peer, e.status(), &e, Some(&head), sup);
            return Next::Close;
        }
    };
    let expect = expectation(&head);
    if expect == Expectation::Unsupported {
        reject(
            stream,
            peer,
            417,
            "only 100-continue is supported",
            Some(&head),
            sup,
        );
        return Next::Close;
    }
    let mut close = !wants_keep_alive(&head) || sup.shutting_down();
    let head_request = method == Method::Head;
    let version = head.version;

    // Run the handler. The request borrows the buffer and the socket; the
    // block ends the borrow so the loop can use both again.
    let (mut resp, head, body_unread) = {
        let continue_to: Option<Box<dyn Write + '_>> = (expect == Expectation::Continue
            && kind != BodyKind::Empty)
            .then(|| Box::new(stream) as Box<dyn Write + '_>);
        let source = BodySource {
            inbuf: &mut *inbuf,
            timeout: &mut *timeout,
            sup,
            io_timeout: opts.io_timeout,
            grace: opts.pressured_head_timeout,
            waited: Duration::ZERO,
            received: 0,
        };
        let body = RequestBody::new(Box::new(source), kind, continue_to);
        let mut req = Request::new(method, head, peer, body);
        let resp = match catch_unwind(AssertUnwindSafe(|| service.call(&mut req))) {
            Ok(r) => r,
            Err(_) => {
                close = true;
                Response::error(500, "the handler failed")
            }
        };
        if !req.body.is_done() {
            if req.body.awaiting_continue() {
                // The client is waiting for our go-ahead, which will not
                // come; it may or may not send the body anyway, so the
                // connection cannot be reused (RFC 9110 §10.1.1).
                close = true;
            } else if !close {
                let mut rest = (&mut req.body).take(MAX_DRAIN_BYTES);
                let drained = io::copy(&mut rest, &mut io::sink());
                if drained.is_err() || !req.body.is_done() {
                    close = true;
                }
            }
        }
        if kind != BodyKind::Empty {
            trace::body(Dir::In, peer, req.body.bytes_read(), body_framing(kind));
        }
        (resp, req.head, !req.body.is_done())
    };
    // Shutdown may have begun while the handler ran.
    if sup.shutting_down() {
        close = true;
    }
    // Others wait for a thread: after its fair share, a connection gives its
    // worker up (unless the client already sent its next request) and the
    // client reconnects, to the back of the queue.
    if inbuf.is_empty() && turn_started.elapsed() >= opts.fair_share && sup.pressured() {
        close = true;
    }
    let upgrade = if resp.status == 101 {
        let f = resp.upgrade.take();
        if f.is_none() {
            // A 101 with nothing to take the connection over is a bug in
            // the handler; the client would wait for a protocol that never
            // starts.
            resp = Response::error(500, "101 response without an upgrade handler");
            close = true;
        }
        f
    } else {
        None
    };
    let to = ReplyTo {
        head_request,
        version,
        close,
    };
    if may_take_long(&resp, &to) {
        sup.may_block();
    }
    let result = write_response(&mut &*stream, &mut resp, &to, peer);
    let sent = match &result {
        Ok(s) => *s,
        Err(_) => Sent {
            status: resp.status,
            body_bytes: 0,
            close: true,
        },
    };
    sup.log(&LogEntry {
        peer,
        method: &head.method,
        target: &head.target,
        version,
        status: sent.status,
        body_bytes: sent.body_bytes,
        duration: started.elapsed(),
    });
    if result.is_err() {
        return Next::Close;
    }
    if let Some(f) = upgrade {
        return Next::Upgrade(f);
    }
    if sent.close {
        if body_unread || !inbuf.is_empty() {
            // Closing with input unread (a refused body, a pipelined
            // request after `Connection: close`) would send a reset that
            // can destroy the response in flight: linger instead.
            close_gently(stream, sup);
        }
        Next::Close
    } else {
        Next::KeepGoing
    }
}

fn body_framing(kind: BodyKind) -> &'static str {
    match kind {
        BodyKind::Chunked => "chunked",
        _ => "Content-Length",
    }
}

/// Chapter 4's server: a thread for each connection, no limit on how many,
/// no shutdown. Enough to try the notes app; chapter 5 explains what is
/// wrong with it and replaces it.
pub fn serve(listener: TcpListener, service: Arc<dyn Service>, quiet: bool) -> io::Result<()> {
    let opts = Arc::new(ConnOptions::default());
    loop {
        // Chapter 1's accept loop: reports an accept error and backs off.
        let (stream, peer) = accept_retrying(&listener);
        let service = service.clone();
        let opts = opts.clone();
        thread::spawn(move || {
            serve_connection(stream, peer, &*service, &opts, &StderrLog { quiet });
        });
    }
}
