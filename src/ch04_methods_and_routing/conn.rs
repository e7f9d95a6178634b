//! One HTTP/1.1 connection, from its first byte to its close, on one
//! thread: read a head ([`super::reader`]), hand the request to a
//! [`Service`] ([`super::exchange`]), write the response
//! ([`super::send`]), and go round again while the connection stays open
//! (keep-alive). Pipelined requests are answered strictly in order,
//! because one loop does them one after another.
//!
//! Every read has a deadline (the idle timeout between requests, a total
//! deadline for a head once it started, a per-read timeout in bodies) and
//! every buffer a limit, so a client that stops talking, or talks one byte
//! a second, costs a bounded amount of time.
//!
//! [`serve`] runs [`serve_connection`] in a thread per connection.

use std::io::{self, BufRead, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::Service;
use super::access_log::{AccessLog, LogEntry};
use super::exchange::{Answer, answer};
use super::readbuf::ReadBuf;
use super::reader::{Ready, Refusal, Step, read_request};
use super::response::{Response, UpgradeFn, Upgraded};
use super::send::{ReplyTo, send_response, write_response};
use crate::ch01_sockets::tcp_echo::{accept_retrying, is_timeout};
use crate::ch02_http_by_hand::head::{HeadLimits, Version};
use crate::ch02_http_by_hand::server::close_after_error;
use crate::trace::{self, Dir};

/// How long a kept-alive connection may sit idle between requests.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole request head may take to arrive once its first byte
/// has: a *total* deadline, so trickling one byte a second does not reset
/// it (a per-read timeout alone is what slowloris defeats).
pub const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a single read of a body, or a single write, may block.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The limits one connection runs under.
#[derive(Debug, Clone)]
pub struct ConnOptions {
    pub idle_timeout: Duration,
    pub head_timeout: Duration,
    pub io_timeout: Duration,
    pub limits: HeadLimits,
}

impl Default for ConnOptions {
    fn default() -> Self {
        ConnOptions {
            idle_timeout: IDLE_TIMEOUT,
            head_timeout: HEAD_TIMEOUT,
            io_timeout: IO_TIMEOUT,
            limits: HeadLimits::SERVER,
        }
    }
}

/// What waiting for the next request head gave.
#[derive(Debug)]
pub enum HeadWait {
    /// A request, ready for its handler.
    Request(Box<Ready>),
    /// Answer with an error and close: a bad head, a head that took too
    /// long (408), or a client that closed inside one (400).
    Refuse(Refusal),
    /// The connection ended between requests (the client closed, or the
    /// idle timeout ran out): close quietly.
    Closed,
    /// The caller's `look_up_at` came before any of that.
    LookUp,
}

/// What comes after a response.
pub enum After {
    KeepAlive,
    /// Close; `linger` if input is left unread (see [`Conn::close`]).
    Close {
        linger: bool,
    },
    /// A `101` was sent: the connection belongs to another protocol now.
    Upgrade(UpgradeFn),
}

/// A connection: the socket, the bytes read and not yet used, and the
/// clocks its deadlines count from.
pub struct Conn {
    pub stream: TcpStream,
    pub peer: SocketAddr,
    pub buf: ReadBuf,
    /// When the connection became idle: accepted, or its last response sent.
    pub idle_since: Instant,
    /// When the head's total deadline started: its first byte, or, for a
    /// connection's first request, when it was accepted (time spent
    /// waiting for a thread counts).
    pub head_clock: Option<Instant>,
    /// The socket's read timeout as last set (to skip unchanged calls).
    pub read_timeout: Option<Duration>,
}

impl Conn {
    /// A connection accepted at `accepted`.
    pub fn accepted(
        stream: TcpStream,
        peer: SocketAddr,
        accepted: Instant,
        io_timeout: Duration,
    ) -> Conn {
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(io_timeout));
        trace::note(peer, "connection opened");
        Conn {
            stream,
            peer,
            buf: ReadBuf::new(),
            idle_since: accepted,
            head_clock: Some(accepted),
            read_timeout: None,
        }
    }

    /// Part of a request head has arrived (closing now would lose a
    /// request: it gets a 408 instead).
    pub fn head_started(&self) -> bool {
        !self.buf.is_empty()
    }

    /// When waiting for the next head ends: the head's total deadline once
    /// a head has started, else the idle timeout.
    pub fn deadline(&self, opts: &ConnOptions) -> Instant {
        match self.head_clock {
            Some(t) if self.head_started() => t + opts.head_timeout,
            _ => self.idle_since + opts.idle_timeout,
        }
    }

    /// Sets the read timeout, skipping the system call when unchanged.
    fn set_read_timeout(&mut self, d: Duration) {
        let d = d.max(Duration::from_millis(1));
        if self.read_timeout != Some(d) {
            let _ = self.stream.set_read_timeout(Some(d));
            self.read_timeout = Some(d);
        }
    }

    /// Reads until a request head is complete, refused, or its deadline
    /// passes, or until `look_up_at` if that comes first. Always looks at
    /// the socket once: a request that waited in a queue for longer than
    /// the idle timeout is still answered.
    pub fn read_head(&mut self, opts: &ConnOptions, look_up_at: Option<Instant>) -> HeadWait {
        let mut tried = false;
        loop {
            if let Some(w) = self.parse_buffered(&opts.limits) {
                return w;
            }
            let now = Instant::now();
            if self.head_started() {
                self.head_clock.get_or_insert(now);
            }
            let deadline = self.deadline(opts);
            if tried && now >= deadline {
                return match self.head_started() {
                    true => {
                        HeadWait::Refuse(Refusal::new(408, "the request head took too long", None))
                    }
                    false => HeadWait::Closed,
                };
            }
            let until = look_up_at.map_or(deadline, |t| t.min(deadline));
            if tried && now >= until {
                return HeadWait::LookUp;
            }
            tried = true;
            self.set_read_timeout(until.saturating_duration_since(now));
            match self.buf.read_from(&self.stream) {
                Ok(0) if self.head_started() => {
                    let why = "connection closed inside the head";
                    return HeadWait::Refuse(Refusal::new(400, why, None));
                }
                Ok(0) => return HeadWait::Closed,
                Ok(_) => {}
                Err(e) if is_timeout(&e) => {}
                Err(_) => return HeadWait::Closed,
            }
        }
    }

    /// The reader's step on what is buffered; `None`: need more.
    fn parse_buffered(&mut self, limits: &HeadLimits) -> Option<HeadWait> {
        if self.buf.is_empty() {
            return None;
        }
        match read_request(self.buf.data(), limits) {
            Step::NeedMore => None,
            Step::Refuse(r) => Some(HeadWait::Refuse(r)),
            Step::Request(ready, n) => {
                trace::head(Dir::In, self.peer, &self.buf.data()[..n]);
                self.buf.consume(n);
                Some(HeadWait::Request(ready))
            }
        }
    }

    /// Runs `service` on `ready`, its body read from this connection with
    /// [`BodySource`]'s per-read deadline.
    pub fn exchange(&mut self, ready: Ready, service: &dyn Service, opts: &ConnOptions) -> Answer {
        let (peer, read_timeout) = (self.peer, &mut self.read_timeout);
        let source = BodySource {
            stream: &self.stream,
            buf: &mut self.buf,
            io_timeout: opts.io_timeout,
            read_timeout,
        };
        let continue_to: Box<dyn Write + '_> = Box::new(&self.stream);
        let mut a = answer(service, ready, peer, Box::new(source), Some(continue_to));
        a.reply.keep_alive = Some(opts.idle_timeout);
        a
    }

    /// Writes the answer, logs it, and says what comes next.
    pub fn send(&mut self, mut a: Answer, log: &AccessLog) -> After {
        let (sent, result) = send_response(&mut &self.stream, &mut a.resp, &a.reply, self.peer);
        log.record(&LogEntry {
            peer: self.peer,
            method: &a.head.method,
            target: &a.head.target,
            version: a.reply.version,
            status: sent.status,
            body_bytes: sent.body_bytes,
            duration: a.started.elapsed(),
        });
        self.idle_since = Instant::now();
        self.head_clock = None;
        match (result, a.upgrade.take()) {
            (Err(_), _) => After::Close { linger: false },
            (Ok(_), Some(f)) => After::Upgrade(f),
            (Ok(()), None) if sent.close => After::Close {
                // Closing with input unread (a refused body, a request
                // pipelined after `Connection: close`) would send a reset
                // that can destroy the response in flight.
                linger: a.body_unread || !self.buf.is_empty(),
            },
            (Ok(_), None) => After::KeepAlive,
        }
    }

    /// Writes the error response of `r` (marked as the last) and logs it.
    pub fn send_refusal(&mut self, r: &Refusal, log: &AccessLog) {
        let started = Instant::now();
        let head = r.head.as_ref();
        let mut resp = Response::error(r.status, &r.detail);
        let to = ReplyTo {
            head_request: head.is_some_and(|h| h.method == "HEAD"),
            version: Version::Http11,
            close: true,
            keep_alive: None,
        };
        let sent = write_response(&mut &self.stream, &mut resp, &to, self.peer);
        let (method, target, version) = match head {
            Some(h) => (h.method.as_str(), h.target.as_str(), h.version),
            None => ("-", "-", Version::Http11),
        };
        log.record(&LogEntry {
            peer: self.peer,
            method,
            target,
            version,
            status: r.status,
            body_bytes: sent.map(|s| s.body_bytes).unwrap_or(0),
            duration: started.elapsed(),
        });
    }

    /// Closes the connection. With `linger`, chapter 2's lingering close:
    /// half-close, drain what the client still sends (bounded), then close,
    /// so that a reset does not destroy the last response before the
    /// client has read it (RFC 9112 §9.6).
    pub fn close(self, linger: bool) {
        trace::note(self.peer, "connection closed");
        if linger {
            let _ = close_after_error(self.stream);
        } else {
            let _ = self.stream.shutdown(Shutdown::Both);
        }
    }

    /// Hands the connection, and the bytes already read behind the `101`'s
    /// request, to `f` on a thread of its own.
    pub fn upgrade(mut self, f: UpgradeFn) {
        let leftover = self.buf.take_buffered();
        let (stream, peer) = (self.stream, self.peer);
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
    }
}

/// The request body's view of the connection: the buffered bytes, then
/// reads that wait at most `io_timeout` each.
pub struct BodySource<'a> {
    pub stream: &'a TcpStream,
    pub buf: &'a mut ReadBuf,
    pub io_timeout: Duration,
    /// The socket's read timeout as last set.
    pub read_timeout: &'a mut Option<Duration>,
}

impl Read for BodySource<'_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl BufRead for BodySource<'_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.buf.is_empty() {
            if *self.read_timeout != Some(self.io_timeout) {
                self.stream.set_read_timeout(Some(self.io_timeout))?;
                *self.read_timeout = Some(self.io_timeout);
            }
            match self.buf.read_from(self.stream) {
                Err(e) if is_timeout(&e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "body read timed out",
                    ));
                }
                r => r?,
            };
        }
        Ok(self.buf.data())
    }

    fn consume(&mut self, n: usize) {
        self.buf.consume(n);
    }
}

/// `Read` in terms of `BufRead`: copy from what `fill_buf` has.
pub fn read_buffered(r: &mut impl BufRead, out: &mut [u8]) -> io::Result<usize> {
    let avail = r.fill_buf()?;
    let n = avail.len().min(out.len());
    out[..n].copy_from_slice(&avail[..n]);
    r.consume(n);
    Ok(n)
}

/// Serves one connection until it closes. Hands the socket to the
/// response's upgrade function, on a new thread, after a `101`.
pub fn serve_connection(
    stream: TcpStream,
    peer: SocketAddr,
    service: &dyn Service,
    opts: &ConnOptions,
    log: &AccessLog,
) {
    let mut conn = Conn::accepted(stream, peer, Instant::now(), opts.io_timeout);
    loop {
        let ready = match conn.read_head(opts, None) {
            HeadWait::Request(r) => r,
            HeadWait::Refuse(r) => {
                conn.send_refusal(&r, log);
                return conn.close(true);
            }
            HeadWait::Closed | HeadWait::LookUp => return conn.close(false),
        };
        let a = conn.exchange(*ready, service, opts);
        match conn.send(a, log) {
            After::KeepAlive => {}
            After::Close { linger } => return conn.close(linger),
            After::Upgrade(f) => return conn.upgrade(f),
        }
    }
}

/// Chapter 4's server: a thread for each connection, no limit on how many,
/// no shutdown. Enough to try the notes app; chapter 5 explains what is
/// wrong with it and replaces it.
pub fn serve(listener: TcpListener, service: Arc<dyn Service>, quiet: bool) -> io::Result<()> {
    let opts = Arc::new(ConnOptions::default());
    let log = AccessLog { quiet };
    loop {
        // Chapter 1's accept loop: reports an accept error and backs off.
        let (stream, peer) = accept_retrying(&listener);
        let service = service.clone();
        let opts = opts.clone();
        thread::spawn(move || serve_connection(stream, peer, &*service, &opts, &log));
    }
}
