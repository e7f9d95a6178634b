//! A WebSocket connection over a byte stream: frames read and decoded,
//! messages reassembled, pings answered, the close handshake carried out,
//! and protocol errors turned into the right close frame before the TCP
//! connection goes (RFC 6455 §5–§7).
//!
//! [`WebSocket`] is the *reading* side: one thread calls
//! [`WebSocket::read_message`] in a loop. Writing goes through a
//! [`WsSender`], a cheap clonable handle (an `Arc` around a mutex-protected
//! writer) that any number of threads may use at once: the mutex makes each
//! frame leave in one piece, never interleaved with another thread's. The
//! reader uses the same sender for pongs and close replies.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::close;
use super::frame::{self, Decoded, OpCode, Role};
use super::message::{Event, Message, Reassembler, Violation};
use crate::trace::{self, Dir};

/// Limits and timers of a connection.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest frame payload accepted; a larger declared length is refused
    /// from the header with 1009, before anything is allocated for it.
    /// A frame is also held to `max_message` ([`Config::frame_limit`]): a
    /// data frame larger than a whole message could never be accepted.
    pub max_frame: usize,
    /// Largest message (all fragments together); past it, 1009.
    pub max_message: usize,
    /// After this long without a byte from the peer, send a ping; after
    /// twice this long, give up on the peer (close 1001). `None`: wait
    /// forever (only for tests and trusted peers).
    pub ping_interval: Option<Duration>,
    /// How long one write may block, and how long sending one frame may
    /// take beyond the time its size needs at 128 kbit/s: a peer that stops
    /// reading, or reads a byte now and then, must not hold a writer, or
    /// the mutex, forever.
    pub write_timeout: Option<Duration>,
    /// How long to wait for the peer's answer to our close frame, and for
    /// the peer to close TCP after the close handshake.
    pub close_timeout: Duration,
}

impl Config {
    /// The payload length a frame header may declare: `max_frame`, but
    /// never more than `max_message` (the limit is checked before the
    /// payload is buffered), and never less than a control frame's 125.
    pub fn frame_limit(&self) -> u64 {
        self.max_frame.min(self.max_message).max(125) as u64
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_frame: 16 * 1024 * 1024,
            max_message: 16 * 1024 * 1024,
            ping_interval: Some(Duration::from_secs(30)),
            write_timeout: Some(Duration::from_secs(10)),
            close_timeout: Duration::from_secs(2),
        }
    }
}

/// Why reading or writing failed.
#[derive(Debug)]
pub enum WsError {
    /// The transport failed, or the peer closed TCP without a close frame
    /// (`UnexpectedEof`; reported locally as 1006).
    Io(io::Error),
    /// The peer broke the protocol; we sent this close code and closed.
    Failed(Violation),
    /// The peer did not answer our pings (or our close frame) in time.
    Timeout,
    /// The connection is closed (or closing, or an earlier write failed):
    /// no more frames.
    Closed,
}

impl WsError {
    /// The close code this error amounts to (1006 for a dropped connection).
    pub fn close_code(&self) -> u16 {
        match self {
            WsError::Failed(v) => v.code,
            WsError::Timeout => close::GOING_AWAY,
            WsError::Io(_) => close::ABNORMAL,
            WsError::Closed => close::NORMAL,
        }
    }
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WsError::Io(e) => write!(f, "connection failed: {e}"),
            WsError::Failed(v) => write!(f, "protocol error, closed with {v}"),
            WsError::Timeout => f.write_str("peer did not answer in time"),
            WsError::Closed => f.write_str("connection is closed"),
        }
    }
}

impl std::error::Error for WsError {}

impl From<io::Error> for WsError {
    fn from(e: io::Error) -> WsError {
        WsError::Io(e)
    }
}

/// The writing side, shared by every [`WsSender`] clone.
struct Out<S> {
    stream: S,
    role: Role,
    /// Reused for each frame: header and payload leave in one write.
    buf: Vec<u8>,
    /// A write failed, perhaps half-way through a frame: whatever we sent
    /// next would be read as the rest of it, so nothing more is sent.
    broken: bool,
    /// The socket is in non-blocking mode: the connection is parked in an
    /// [`EventLoop`](crate::ch10_event_loop::ws_loop::EventLoop), whose thread must never
    /// wait for a peer. A write that would block leaves the rest of the
    /// frame here, and later frames queue behind it, until the connection
    /// moves to a thread of its own, which sends them first.
    nonblocking: bool,
    pending: Vec<u8>,
}

struct Shared<S> {
    out: Mutex<Out<S>>,
    /// A close frame has been sent (set under `out`'s lock, read without it:
    /// the reader checks it at every frame and must not wait behind a
    /// writer blocked on a peer that does not read).
    close_sent: AtomicBool,
    /// A handle on the TCP socket, if there is one: to shut it down and
    /// change its read timeout from any thread.
    tcp: Option<TcpStream>,
    peer: String,
    /// How long the reader waits for the answer to a close frame.
    close_timeout: Duration,
    /// How long sending one frame may take ([`Config::write_timeout`]).
    write_timeout: Option<Duration>,
}

/// A clonable handle that sends frames on a connection, from any thread.
pub struct WsSender<S = TcpStream> {
    shared: Arc<Shared<S>>,
}

impl<S> Clone for WsSender<S> {
    fn clone(&self) -> Self {
        WsSender {
            shared: self.shared.clone(),
        }
    }
}

impl<S: Write> WsSender<S> {
    fn lock(&self) -> MutexGuard<'_, Out<S>> {
        // A thread that panicked while holding the lock left at most a
        // half-written frame; the connection is then broken anyway, and the
        // next write fails on its own.
        self.shared.out.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn send_text(&self, text: &str) -> Result<(), WsError> {
        self.send_frame(true, OpCode::Text, text.as_bytes())
    }

    pub fn send_binary(&self, data: &[u8]) -> Result<(), WsError> {
        self.send_frame(true, OpCode::Binary, data)
    }

    pub fn send(&self, msg: &Message) -> Result<(), WsError> {
        match msg {
            Message::Text(t) => self.send_text(t),
            Message::Binary(b) => self.send_binary(b),
        }
    }

    /// Sends a ping (at most 125 bytes of payload); the peer answers with a
    /// pong carrying the same bytes.
    pub fn ping(&self, payload: &[u8]) -> Result<(), WsError> {
        self.send_frame(true, OpCode::Ping, payload)
    }

    pub fn pong(&self, payload: &[u8]) -> Result<(), WsError> {
        self.send_frame(true, OpCode::Pong, payload)
    }

    /// Starts the close handshake: sends a close frame with `code` and
    /// `reason`. The reading side then waits for the peer's close frame;
    /// after this, nothing but control frames are read and no data is sent.
    pub fn close(&self, code: u16, reason: &str) -> Result<(), WsError> {
        self.send_frame(true, OpCode::Close, &close::payload(code, reason))?;
        if let Some(tcp) = &self.shared.tcp {
            // The reader may be blocked for a whole ping interval: from now
            // on it waits only as long as an answer to close may take.
            let _ = tcp.set_read_timeout(Some(self.shared.close_timeout));
        }
        Ok(())
    }

    /// Whether a close frame has been sent.
    pub fn is_closed(&self) -> bool {
        self.shared.close_sent.load(Ordering::Acquire)
    }

    /// Sends one frame as given: the building block of the methods above,
    /// public so that tests and checks can send fragments. Control frames
    /// longer than 125 bytes are refused here rather than sent broken.
    pub fn send_frame(&self, fin: bool, opcode: OpCode, payload: &[u8]) -> Result<(), WsError> {
        if opcode.is_control() && (payload.len() > frame::MAX_CONTROL_PAYLOAD || !fin) {
            return Err(WsError::Io(io::Error::new(
                io::ErrorKind::InvalidInput,
                "control frames are unfragmented and at most 125 bytes",
            )));
        }
        let mut out = self.lock();
        if out.broken || self.is_closed() {
            return Err(WsError::Closed);
        }
        let Out {
            stream,
            role,
            buf,
            broken,
            nonblocking,
            pending,
        } = &mut *out;
        let mask = match role {
            // RFC 6455 §5.3: a strong source of entropy, not `rng`.
            Role::Client => Some(crate::rng::mask_key()),
            Role::Server => None,
        };
        buf.clear();
        // A large unmasked payload goes out straight from the caller's
        // slice, behind the header, in one `writev`: no copy. Small frames
        // (and every masked one) are built in `buf` and leave in one write.
        let zero_copy = mask.is_none() && payload.len() >= ZERO_COPY_MIN;
        if zero_copy {
            frame::encode_header(fin, opcode, None, payload.len(), buf);
        } else {
            frame::encode(fin, opcode, payload, mask, buf);
        }
        if trace::enabled() {
            let summary = frame::describe(fin, opcode, mask.is_some(), payload);
            trace::frame(Dir::Out, &self.shared.peer, &summary);
        }
        if opcode == OpCode::Close {
            self.shared.close_sent.store(true, Ordering::Release);
        }
        let tail: &[u8] = if zero_copy { payload } else { &[] };
        let r = if *nonblocking {
            write_or_queue(stream, buf, tail, pending)
        } else {
            let mut stream = Deadline {
                inner: stream,
                until: self
                    .shared
                    .write_timeout
                    .map(|t| Instant::now() + t + transfer_allowance(buf.len() + tail.len())),
            };
            write_all_two(&mut stream, &mut &buf[..], &mut &tail[..]).and_then(|_| stream.flush())
        };
        if buf.capacity() > KEEP_BUFFER {
            // Do not keep a large message's buffer for the connection's life.
            *buf = Vec::new();
        }
        if r.is_err() {
            // The peer's framing is lost: end the connection (the reader
            // sees it end) instead of sending more into a broken stream.
            *broken = true;
            if let Some(t) = &self.shared.tcp {
                let _ = t.shutdown(Shutdown::Both);
            }
        }
        r.map_err(WsError::Io)
    }

    /// Whether bytes wait in the queue of a non-blocking socket (see
    /// [`WebSocket::park`]): the peer reads more slowly than we send.
    pub fn has_pending(&self) -> bool {
        !self.lock().pending.is_empty()
    }

    /// Puts the socket in non-blocking mode, or back in blocking mode, in
    /// which case the queued bytes are sent first (bounded by the write
    /// timeout, as any frame). Under the writers' lock, so that no writer
    /// meets a mode it does not expect.
    fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        let mut out = self.lock();
        if let Some(tcp) = &self.shared.tcp {
            tcp.set_nonblocking(on)?;
        } else if on {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "only a TCP WebSocket can be parked",
            ));
        }
        out.nonblocking = on;
        if on || out.pending.is_empty() || out.broken {
            return Ok(());
        }
        let pending = std::mem::take(&mut out.pending);
        let mut stream = Deadline {
            until: self
                .shared
                .write_timeout
                .map(|t| Instant::now() + t + transfer_allowance(pending.len())),
            inner: &mut out.stream,
        };
        let r = stream.write_all(&pending).and_then(|_| stream.flush());
        if r.is_err() {
            out.broken = true;
            if let Some(t) = &self.shared.tcp {
                let _ = t.shutdown(Shutdown::Both);
            }
        }
        r
    }

    /// Closes the TCP connection (both directions) at once, if there is one.
    pub fn shutdown(&self) {
        if let Some(t) = &self.shared.tcp {
            let _ = t.shutdown(Shutdown::Both);
        }
    }
}

/// The slowest sending rate a peer is allowed (128 kbit/s): a large frame
/// gets this much extra time to go out, on top of the write timeout, so an
/// honest slow link is not cut off while a peer that reads a byte now and
/// then still is.
const MIN_SEND_RATE: f64 = 16.0 * 1024.0;

fn transfer_allowance(len: usize) -> Duration {
    Duration::from_secs_f64(len as f64 / MIN_SEND_RATE)
}

/// A writer that gives up once `until` has passed. The socket's write
/// timeout bounds each blocking `write` call, but a peer that reads a byte
/// now and then lets every call make progress; this bounds the whole frame.
struct Deadline<'a, W> {
    inner: &'a mut W,
    until: Option<Instant>,
}

impl<W: Write> Deadline<'_, W> {
    fn check(&self) -> io::Result<()> {
        match self.until {
            Some(t) if Instant::now() >= t => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the peer reads too slowly: frame not sent within the write timeout",
            )),
            _ => Ok(()),
        }
    }
}

impl<W: Write> Write for Deadline<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.check()?;
        self.inner.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.check()?;
        self.inner.write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Payloads from this size on are not copied into the frame buffer.
const ZERO_COPY_MIN: usize = 4096;

/// Writes `a` then `b` with vectored writes (`writev`), retrying after
/// partial writes, as `write_all` does for one slice. On an error, `a` and
/// `b` are what was not written.
fn write_all_two(w: &mut impl Write, a: &mut &[u8], b: &mut &[u8]) -> io::Result<()> {
    while !a.is_empty() || !b.is_empty() {
        let n = match w.write_vectored(&[io::IoSlice::new(a), io::IoSlice::new(b)]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let from_a = n.min(a.len());
        *a = &a[from_a..];
        *b = &b[n - from_a..];
    }
    Ok(())
}

/// The write of a non-blocking socket: as much of `a` then `b` as the
/// socket takes now; the rest goes to `pending`. Once something is
/// pending, everything queues behind it, so frames keep their order.
fn write_or_queue(
    w: &mut impl Write,
    mut a: &[u8],
    mut b: &[u8],
    pending: &mut Vec<u8>,
) -> io::Result<()> {
    if pending.is_empty() {
        match write_all_two(w, &mut a, &mut b) {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    pending.extend_from_slice(a);
    pending.extend_from_slice(b);
    Ok(())
}

/// The reading side of a WebSocket connection (see the module docs).
pub struct WebSocket<S = TcpStream> {
    stream: S,
    sender: WsSender<S>,
    role: Role,
    config: Config,
    /// Received bytes live in `buf[start..end]`; the rest is room to read.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    messages: Reassembler,
    /// The peer's close frame, once received (`Some(None)`: it had no code).
    peer_close: Option<Option<(u16, String)>>,
    /// Set when the connection is over: `read_message` returns `Ok(None)`.
    done: bool,
    /// A ping went out because the peer was quiet, and nothing came since.
    awaiting_pong: bool,
    /// Once our close frame is out: when we stop waiting for the answer.
    close_deadline: Option<Instant>,
    /// Payload bytes of the incomplete text frame at `start` already known
    /// to be valid UTF-8 (see `check_arriving_text`).
    text_checked: usize,
    /// Parked in an event loop ([`WebSocket::park`]): reads never block.
    parked: bool,
    /// Parked: reads since the loop last handed us a turn, when that was,
    /// and when a byte last came from the peer (for the idle ping).
    turn_reads: u32,
    turn_start: Instant,
    last_heard: Instant,
}

/// Parked: reads in one turn of the event loop, at most. A peer that sends
/// without pause gets its turn like the others, not the loop to itself.
const READS_PER_TURN: u32 = 4;

/// Bytes read from the socket at a time when no frame length is known.
const READ_CHUNK: usize = 16 * 1024;

/// A read or write buffer that grew past this for a large message is given
/// back afterwards; up to this size it is kept, so a stream of 64 KiB
/// messages does not reallocate for each one.
const KEEP_BUFFER: usize = 256 * 1024;

impl WebSocket<TcpStream> {
    /// A WebSocket over a TCP connection whose handshake is done. `leftover`
    /// holds bytes read past the handshake: the first frame's bytes.
    pub fn from_tcp(
        stream: TcpStream,
        leftover: Vec<u8>,
        role: Role,
        config: Config,
    ) -> io::Result<WebSocket<TcpStream>> {
        stream.set_nodelay(true)?;
        stream.set_read_timeout(config.ping_interval)?;
        stream.set_write_timeout(config.write_timeout)?;
        let writer = stream.try_clone()?;
        let control = stream.try_clone()?;
        let peer = stream
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| "?".into());
        Ok(WebSocket::from_parts(
            stream,
            writer,
            Some(control),
            peer,
            leftover,
            role,
            config,
        ))
    }
}

impl WebSocket<TcpStream> {
    /// The TCP socket it reads from (to watch it with epoll).
    pub fn tcp(&self) -> &TcpStream {
        &self.stream
    }
}

impl<S: Read + Write> WebSocket<S> {
    /// A WebSocket over any byte stream: `reader` is read, `writer` written
    /// (two handles on one connection, or two ends of anything). `tcp`, if
    /// given, is used to shut the connection down and to change timeouts.
    pub fn from_parts(
        reader: S,
        writer: S,
        tcp: Option<TcpStream>,
        peer: String,
        leftover: Vec<u8>,
        role: Role,
        config: Config,
    ) -> WebSocket<S> {
        let end = leftover.len();
        let mut buf = leftover;
        buf.resize(end.max(READ_CHUNK), 0);
        WebSocket {
            stream: reader,
            sender: WsSender {
                shared: Arc::new(Shared {
                    out: Mutex::new(Out {
                        stream: writer,
                        role,
                        buf: Vec::new(),
                        broken: false,
                        nonblocking: false,
                        pending: Vec::new(),
                    }),
                    close_sent: AtomicBool::new(false),
                    tcp,
                    peer,
                    close_timeout: config.close_timeout,
                    write_timeout: config.write_timeout,
                }),
            },
            role,
            messages: Reassembler::new(config.max_message),
            config,
            buf,
            start: 0,
            end,
            peer_close: None,
            done: false,
            awaiting_pong: false,
            close_deadline: None,
            text_checked: 0,
            parked: false,
            turn_reads: 0,
            turn_start: Instant::now(),
            last_heard: Instant::now(),
        }
    }

    /// A handle for writing, to keep or hand to other threads.
    pub fn sender(&self) -> WsSender<S> {
        self.sender.clone()
    }

    pub fn send_text(&self, text: &str) -> Result<(), WsError> {
        self.sender.send_text(text)
    }

    pub fn send_binary(&self, data: &[u8]) -> Result<(), WsError> {
        self.sender.send_binary(data)
    }

    pub fn send(&self, msg: &Message) -> Result<(), WsError> {
        self.sender.send(msg)
    }

    pub fn ping(&self, payload: &[u8]) -> Result<(), WsError> {
        self.sender.ping(payload)
    }

    /// The address of the peer, as shown in traces.
    pub fn peer(&self) -> &str {
        &self.sender.shared.peer
    }

    /// The close frame the peer sent, once it has: `Some(None)` if it
    /// carried no code.
    pub fn peer_close(&self) -> Option<&Option<(u16, String)>> {
        self.peer_close.as_ref()
    }

    /// The code of the peer's close frame, if it sent one with a code.
    pub fn peer_close_code(&self) -> Option<u16> {
        self.peer_close.as_ref()?.as_ref().map(|(c, _)| *c)
    }

    /// Closes the connection cleanly: sends a close frame with `code` and
    /// `reason`, reads (and drops) whatever the peer still sends until its
    /// close frame comes back, then closes TCP. Waits at most
    /// `config.close_timeout` for the answer.
    pub fn close(&mut self, code: u16, reason: &str) -> Result<(), WsError> {
        match self.sender.close(code, reason) {
            Ok(()) | Err(WsError::Closed) => {}
            Err(e) => {
                self.finish();
                return Err(e);
            }
        }
        self.set_read_timeout(Some(self.config.close_timeout));
        loop {
            match self.read_message() {
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                Err(e) => return Err(e),
            }
        }
    }

    /// Parks the connection for an event loop
    /// ([`EventLoop`](crate::ch10_event_loop::ws_loop::EventLoop)): from now on no read
    /// or write blocks. [`WebSocket::read_message`] returns
    /// `Err(WsError::Io(e))` with `e.kind() == WouldBlock` when it needs
    /// bytes that have not arrived; a write the peer cannot take now is
    /// queued ([`WsSender::has_pending`]); the wait of closing TCP is left
    /// to [`WebSocket::unpark`]; and silence is noticed by
    /// [`WebSocket::tick`] instead of a read timeout.
    pub fn park(&mut self) -> Result<(), WsError> {
        self.sender.set_nonblocking(true)?;
        self.parked = true;
        self.last_heard = Instant::now();
        Ok(())
    }

    /// Between an event loop's turns: gives its read buffer to `spare` if
    /// it holds no unread bytes (or frees it, if `spare` already has one or
    /// it is larger than `KEEP_BUFFER`).
    /// A loop serves one connection at a time, so it needs one buffer, not
    /// one per connection: lent at the start of a turn
    /// ([`WebSocket::borrow_buffer`]), given back at the end. An idle
    /// WebSocket then keeps no read buffer at all (16 KiB each, otherwise).
    pub fn return_buffer(&mut self, spare: &mut Vec<u8>) {
        if self.start != self.end {
            return; // part of a frame: it stays with its connection
        }
        if spare.is_empty() && self.buf.len() <= KEEP_BUFFER {
            std::mem::swap(&mut self.buf, spare);
        } else {
            // One spare is enough, and not one the size of the largest
            // message ever received.
            self.buf = Vec::new();
        }
        self.start = 0;
        self.end = 0;
    }

    /// At the start of a turn: takes `spare` as its read buffer if it has
    /// none (see [`WebSocket::return_buffer`]). With none to take, the
    /// next read allocates one.
    pub fn borrow_buffer(&mut self, spare: &mut Vec<u8>) {
        if self.buf.is_empty() {
            std::mem::swap(&mut self.buf, spare);
            self.start = 0;
            self.end = 0;
        }
    }

    /// Back to blocking mode, for a thread of its own: sends what is
    /// queued, and closes TCP if the connection ended while parked.
    pub fn unpark(&mut self) {
        if !self.parked {
            return;
        }
        self.parked = false;
        if self.sender.set_nonblocking(false).is_err() {
            self.finish();
        }
        if self.done {
            self.wind_down();
        }
    }

    /// Parked: the event loop gives the connection a turn, at `now`.
    pub fn begin_turn(&mut self, now: Instant) {
        self.turn_reads = 0;
        self.turn_start = now;
    }

    /// Parked: the timers a blocking reader gets from its read timeout.
    /// After a ping interval of silence, a ping; after another, close with
    /// 1001; once our close frame is out, at most the close timeout for
    /// the answer. The event loop calls this now and then.
    pub fn tick(&mut self, now: Instant) {
        if self.done || !self.parked {
            return;
        }
        if self.sender.is_closed() {
            let deadline = *self
                .close_deadline
                .get_or_insert(now + self.config.close_timeout);
            if now >= deadline {
                trace::note(self.peer(), "no answer to our close frame in time; closing");
                self.finish();
            }
            return;
        }
        if let Some(interval) = self.config.ping_interval
            && now.saturating_duration_since(self.last_heard) >= interval
        {
            self.last_heard = now;
            let _ = self.idle(io::ErrorKind::TimedOut.into());
        }
    }

    /// Whether the connection is over (close handshake done or failed).
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Whether written bytes wait for a parked socket to take them.
    pub fn has_pending(&self) -> bool {
        self.sender.has_pending()
    }

    fn set_read_timeout(&self, t: Option<Duration>) {
        if let Some(tcp) = &self.sender.shared.tcp {
            let _ = tcp.set_read_timeout(t);
        }
    }

    /// The next data message. `Ok(None)` once the connection is closed
    /// (close handshake done, or the connection already failed). Pings are
    /// answered, pongs noted, and a close frame from the peer is answered
    /// with the same code before `Ok(None)` is returned.
    ///
    /// On a protocol error the connection is *failed* (§7.1.7): a close
    /// frame with 1002, 1007 or 1009 goes out, TCP is closed, and the
    /// error is returned.
    pub fn read_message(&mut self) -> Result<Option<Message>, WsError> {
        loop {
            if self.done {
                return Ok(None);
            }
            if self.sender.is_closed() {
                // Waiting for the answer to our close frame. The read timeout
                // only fires on silence; a peer that keeps sending (pings,
                // data) instead of answering is bounded by this deadline.
                let close_timeout = self.config.close_timeout;
                let deadline = *self
                    .close_deadline
                    .get_or_insert_with(|| Instant::now() + close_timeout);
                if Instant::now() > deadline {
                    trace::note(self.peer(), "no answer to our close frame in time; closing");
                    self.finish();
                    return Err(WsError::Timeout);
                }
            }
            let decoded = frame::decode(
                &self.buf[self.start..self.end],
                self.role,
                self.config.frame_limit(),
            );
            let (f, used) = match decoded {
                Err(e) => return Err(self.fail(Violation::new(e.close_code(), e.to_string()))),
                Ok(Decoded::NeedMore { frame_len }) => {
                    if frame_len.is_some()
                        && let Err(v) = self.check_arriving_text()
                    {
                        return Err(self.fail(v));
                    }
                    self.fill(frame_len)?;
                    continue;
                }
                Ok(Decoded::Frame(f, used)) => (f, used),
            };
            self.start += used;
            self.text_checked = 0;
            if trace::enabled() {
                let masked = self.role == Role::Server;
                let summary = frame::describe(f.fin, f.opcode, masked, &f.payload);
                trace::frame(Dir::In, self.peer(), &summary);
            }
            match self.messages.push(f) {
                Err(v) => return Err(self.fail(v)),
                Ok(Event::Fragment) | Ok(Event::Pong(_)) => {}
                Ok(Event::Message(m)) => return Ok(Some(m)),
                Ok(Event::Ping(p)) => match self.sender.pong(&p) {
                    // Once our close is out, pings are not answered (§5.5.2
                    // does not require it and no frame may follow a close).
                    Ok(()) | Err(WsError::Closed) => {}
                    Err(e) => {
                        self.finish();
                        return Err(e);
                    }
                },
                Ok(Event::Close(c)) => {
                    // §5.5.1: answer with a close frame, echoing the code.
                    if !self.sender.is_closed() {
                        let _ = match &c {
                            Some((code, _)) => self.sender.close(*code, ""),
                            None => self.sender.send_frame(true, OpCode::Close, &[]),
                        };
                    }
                    self.peer_close = Some(c);
                    self.finish();
                    return Ok(None);
                }
            }
        }
    }

    /// Checks the part of a text frame that has arrived so far, so that
    /// invalid UTF-8 fails the connection (1007) as soon as it arrives, not
    /// once the whole frame (up to [`Config::frame_limit`]) is in: the
    /// frame-level twin
    /// of the reassembler's check across fragments. Only the bytes that
    /// arrived since the last look are unmasked (into a copy) and checked.
    fn check_arriving_text(&mut self) -> Result<(), Violation> {
        let pending = &self.buf[self.start..self.end];
        let Ok(Some(h)) = frame::parse_header(pending, self.role, self.config.frame_limit()) else {
            return Ok(());
        };
        let Some(tail) = self.messages.text_tail(h.opcode) else {
            return Ok(());
        };
        let arrived = &pending[h.header_len..];
        let done = self.text_checked;
        if arrived.len() <= done {
            return Ok(());
        }
        // At the frame's start, an earlier fragment's incomplete character
        // comes first.
        let mut text = if done == 0 { tail.to_vec() } else { Vec::new() };
        let carried = text.len();
        text.extend_from_slice(&arrived[done..]);
        if let Some(mut key) = h.mask {
            // Payload byte i is masked with key[i % 4]; this copy starts at `done`.
            key.rotate_left(done % 4);
            frame::apply_mask(&mut text[carried..], key);
        }
        let valid = super::message::valid_utf8_prefix(&text)?;
        self.text_checked = (done + valid).saturating_sub(carried);
        Ok(())
    }

    /// Reads more bytes into the buffer.
    ///
    /// Memory follows the bytes that actually arrived, not the length a
    /// header announced: the buffer grows by doubling, and only when its
    /// free room is nearly used up, up to the frame's size (at most
    /// [`Config::frame_limit`] plus a header, checked by the codec). A peer that
    /// announces 16 MiB and sends 14 bytes costs 16 KiB, not 16 MiB.
    fn fill(&mut self, frame_len: Option<usize>) -> Result<(), WsError> {
        let pending = self.end - self.start;
        if self.parked
            && (self.turn_reads >= READS_PER_TURN || (self.turn_reads > 0 && pending == 0))
        {
            // Parked, between frames after a read: most likely nothing more
            // has arrived, and if it has, epoll says so as soon as the loop
            // waits again. Saves a read that would find nothing.
            return Err(WsError::Io(io::ErrorKind::WouldBlock.into()));
        }
        // Room wanted from `start`: the whole frame, or at least a chunk.
        let target = frame_len.unwrap_or(0).max(pending + READ_CHUNK / 2);
        if self.start > 0 && (pending == 0 || self.buf.len() - self.start < target) {
            // Move what is buffered to the front.
            self.buf.copy_within(self.start..self.end, 0);
            self.start = 0;
            self.end = pending;
        }
        if self.buf.len() > KEEP_BUFFER && target <= READ_CHUNK {
            // A big message went through: give the memory back.
            self.buf.copy_within(self.start..self.end, 0);
            self.start = 0;
            self.end = pending;
            self.buf.truncate(READ_CHUNK);
            self.buf.shrink_to_fit();
        }
        if self.buf.len() - self.start < target && self.buf.len() - self.end < READ_CHUNK / 2 {
            let grown = (self.buf.len() * 2)
                .max(READ_CHUNK)
                .min(self.start + target);
            self.buf.resize(grown, 0);
        }
        loop {
            match self.stream.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    let mid_frame = self.end > self.start;
                    let closing = self.sender.is_closed();
                    self.finish();
                    if closing && !mid_frame {
                        // We sent close; the peer closed TCP instead of
                        // answering. Done all the same.
                        return Ok(());
                    }
                    let what = if mid_frame {
                        "peer closed the connection in the middle of a frame"
                    } else {
                        "peer closed the connection without a close frame"
                    };
                    return Err(WsError::Io(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        what,
                    )));
                }
                Ok(n) => {
                    self.end += n;
                    self.awaiting_pong = false;
                    if self.parked {
                        self.turn_reads += 1;
                        self.last_heard = self.turn_start;
                    }
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // Parked: nothing to read now; the loop waits for more.
                Err(e) if self.parked && e.kind() == io::ErrorKind::WouldBlock => {
                    return Err(WsError::Io(e));
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    return self.idle(e);
                }
                Err(e) => {
                    self.finish();
                    return Err(WsError::Io(e));
                }
            }
        }
    }

    /// The read timed out: the peer has been quiet for a ping interval.
    fn idle(&mut self, e: io::Error) -> Result<(), WsError> {
        if self.sender.is_closed() {
            // Waited long enough for the answer to our close frame.
            trace::note(self.peer(), "no answer to our close frame; closing");
            self.finish();
            return Err(WsError::Timeout);
        }
        if self.config.ping_interval.is_none() {
            self.finish();
            return Err(WsError::Io(e));
        }
        if self.awaiting_pong {
            trace::note(self.peer(), "no answer to our ping; closing");
            let _ = self.sender.close(close::GOING_AWAY, "idle timeout");
            self.finish();
            return Err(WsError::Timeout);
        }
        self.awaiting_pong = true;
        match self.sender.ping(b"wirebook") {
            Ok(()) => Ok(()),
            Err(e) => {
                self.finish();
                Err(e)
            }
        }
    }

    /// Fails the connection (§7.1.7): close frame with the violation's code,
    /// then TCP closed.
    fn fail(&mut self, v: Violation) -> WsError {
        trace::note(self.peer(), format!("failing the connection: {v}"));
        let _ = self.sender.close(v.code, &v.reason);
        self.finish();
        WsError::Failed(v)
    }

    /// Closes TCP. The writing side is shut first so the peer sees our close
    /// frame followed by FIN; then what the peer still sends is read and
    /// dropped for a moment (bounded in time and bytes: a deadline, since a
    /// peer that trickles a byte now and then never lets a read time out).
    /// Closing a socket with unread bytes makes the kernel send RST, which
    /// can destroy our close frame before the peer has read it.
    ///
    /// Parked, this waits: the event loop's thread must not, so the loop
    /// hands the connection to a thread, whose [`WebSocket::unpark`] does it.
    fn finish(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        if !self.parked {
            self.wind_down();
        }
    }

    fn wind_down(&mut self) {
        let Some(tcp) = &self.sender.shared.tcp else {
            return;
        };
        let _ = tcp.shutdown(Shutdown::Write);
        let linger = self.config.close_timeout.min(Duration::from_secs(1));
        let deadline = Instant::now() + linger;
        let mut sink = [0u8; 4096];
        let mut budget = 1024 * 1024;
        let mut reader = tcp;
        while budget > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || tcp.set_read_timeout(Some(left)).is_err() {
                break;
            }
            match reader.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => budget -= n.min(budget),
            }
        }
        let _ = tcp.shutdown(Shutdown::Both);
        self.buf = Vec::new();
        self.start = 0;
        self.end = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// A writer that takes at most 3 bytes a call, to exercise partial writes.
    struct Trickle(Vec<u8>);

    impl Write for Trickle {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(3);
            self.0.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A stream that delivers a script of bytes in random small pieces and
    /// records what is written.
    struct Script {
        input: Vec<u8>,
        pos: usize,
        rng: Rng,
        max_piece: usize,
        output: Arc<Mutex<Vec<u8>>>,
    }

    impl Read for Script {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let left = self.input.len() - self.pos;
            if left == 0 {
                return Ok(0);
            }
            let n = buf.len().min(left).min(self.rng.range(1, self.max_piece));
            buf[..n].copy_from_slice(&self.input[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    impl Write for Script {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.output.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn scripted(input: Vec<u8>, max_piece: usize) -> (WebSocket<Script>, Arc<Mutex<Vec<u8>>>) {
        let output = Arc::new(Mutex::new(Vec::new()));
        let stream = |input| Script {
            input,
            pos: 0,
            rng: Rng::new(),
            max_piece,
            output: output.clone(),
        };
        let ws = WebSocket::from_parts(
            stream(input),
            stream(Vec::new()),
            None,
            "test".into(),
            Vec::new(),
            Role::Server,
            Config::default(),
        );
        (ws, output)
    }

    /// `n` masked binary frames of random lengths up to 70,000 bytes, and
    /// the messages they carry.
    fn random_binary_frames(n: usize) -> (Vec<u8>, Vec<Message>) {
        let mut rng = Rng::new();
        let mut input = Vec::new();
        let mut sent = Vec::new();
        for _ in 0..n {
            let len = rng.range(0, 70_000);
            let data = rng.bytes(len);
            frame::encode(true, OpCode::Binary, &data, Some([9, 8, 7, 6]), &mut input);
            sent.push(Message::Binary(data));
        }
        (input, sent)
    }

    #[test]
    fn a_lent_read_buffer_serves_any_split_of_the_stream() {
        // A read buffer lent for each message and given back after it
        // (kept only while part of a frame is in it), on a blocking stream;
        // the parked way is the next test.
        let (input, sent) = random_binary_frames(40);
        let (mut ws, _) = scripted(input, 5000);
        let mut spare = Vec::new();
        ws.return_buffer(&mut spare);
        assert!(ws.buf.is_empty() && !spare.is_empty());
        for want in sent {
            ws.borrow_buffer(&mut spare);
            assert_eq!(ws.read_message().unwrap(), Some(want));
            ws.return_buffer(&mut spare);
            if ws.start == ws.end {
                assert!(ws.buf.is_empty(), "an idle connection keeps no buffer");
            }
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_parked_connection_with_a_lent_buffer_reads_any_split_of_the_stream() {
        // The event loop's way over real TCP: parked (non-blocking), a
        // buffer lent each turn and given back after it, epoll between
        // turns; the peer writes the frames in random pieces.
        use crate::ch10_event_loop::epoll::{Epoll, Ready, Watch};
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (server, _) = l.accept().unwrap();
        let (input, sent) = random_binary_frames(30);
        let writer = std::thread::spawn(move || {
            let mut rng = Rng::new();
            let mut rest = &input[..];
            while !rest.is_empty() {
                let n = rng.range(1, 9000).min(rest.len());
                client.write_all(&rest[..n]).unwrap();
                rest = &rest[n..];
            }
            client
        });
        let mut ws =
            WebSocket::from_tcp(server, Vec::new(), Role::Server, Config::default()).unwrap();
        ws.park().unwrap();
        let ep = Epoll::new().unwrap();
        ep.add(ws.tcp(), 1, Watch::WhileReadable).unwrap();
        let mut spare = Vec::new();
        ws.return_buffer(&mut spare);
        let mut got = Vec::new();
        while got.len() < sent.len() {
            let mut ready = [Ready { token: 0 }];
            assert_eq!(
                ep.wait(&mut ready, Duration::from_secs(5)).unwrap(),
                1,
                "stalled"
            );
            ws.begin_turn(Instant::now());
            ws.borrow_buffer(&mut spare);
            loop {
                match ws.read_message() {
                    Ok(Some(m)) => got.push(m),
                    Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                    other => panic!("{other:?}"),
                }
            }
            ws.return_buffer(&mut spare);
            if ws.start == ws.end {
                assert!(ws.buf.is_empty(), "an idle connection keeps no buffer");
            }
        }
        assert!(got == sent, "messages differ");
        drop(writer.join().unwrap());
    }

    #[test]
    fn messages_of_every_size_survive_any_split_of_the_stream() {
        let mut rng = Rng::new();
        let mut input = Vec::new();
        let mut sent = Vec::new();
        for i in 0..60 {
            let len = match i % 4 {
                0 => rng.range(0, 130),
                1 => rng.range(60_000, 70_000),
                2 => rng.range(300_000, 400_000),
                _ => rng.range(0, 20_000),
            };
            let data = rng.bytes(len);
            let key = rng.next_u32().to_ne_bytes();
            frame::encode(true, OpCode::Binary, &data, Some(key), &mut input);
            sent.push(data);
        }
        for max_piece in [7, 5000, 100_000] {
            let (mut ws, _) = scripted(input.clone(), max_piece);
            let mut largest = 0;
            for (i, want) in sent.iter().enumerate() {
                largest = largest.max(want.len() + frame::MAX_HEADER_LEN);
                let got = ws.read_message().unwrap().unwrap();
                assert_eq!(
                    got,
                    Message::Binary(want.clone()),
                    "message {i}, pieces of {max_piece}"
                );
                // Never much more than the largest frame so far needed.
                assert!(
                    ws.buf.len() <= largest + READ_CHUNK,
                    "{} > {largest}",
                    ws.buf.len()
                );
            }
            // The script ends without a close frame: 1006, reported as EOF.
            assert!(
                matches!(ws.read_message(), Err(WsError::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof)
            );
        }
    }

    #[test]
    fn a_big_announced_length_costs_only_what_arrived() {
        // 16 MiB announced (the limit), 100 bytes sent.
        let mut input = vec![0x82, 0xFF];
        input.extend_from_slice(&(16u64 << 20).to_be_bytes());
        input.extend_from_slice(&[1, 2, 3, 4]);
        input.extend_from_slice(&[0; 100]);
        let (mut ws, _) = scripted(input, 10);
        assert!(ws.read_message().is_err());
        let (mut ws, _) = scripted(Vec::new(), 10);
        // Drive `fill` by hand to see the buffer before the EOF drops it.
        ws.buf[..14].copy_from_slice(&[0x82, 0xFF, 0, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4]);
        ws.end = 14;
        let _ = ws.fill(Some(14 + (16 << 20)));
        assert!(ws.buf.capacity() <= 2 * READ_CHUNK, "{}", ws.buf.capacity());
    }

    #[test]
    fn invalid_utf8_fails_before_the_rest_of_a_long_frame_arrives() {
        // A text frame announcing 100 KB whose first bytes hold an invalid
        // sequence (ED A0 80, a surrogate), split after the ED: the rest
        // of the frame never comes. 1007 now, not after 100 KB (Autobahn
        // 6.4.3 and 6.4.4 call waiting for the frame "non-strict").
        for prefix in [&b"abc"[..], b"", "é€".as_bytes()] {
            let mut payload = prefix.to_vec();
            payload.extend_from_slice(b"\xed\xa0\x80 and then a lot more");
            let mut input = Vec::new();
            let key = [0x37, 0xfa, 0x21, 0x3d];
            frame::encode_header(true, OpCode::Text, Some(key), 100_000, &mut input);
            let start = input.len();
            input.extend_from_slice(&payload);
            frame::apply_mask(&mut input[start..], key);
            let (mut ws, out) = scripted(input, 3);
            match ws.read_message() {
                Err(WsError::Failed(v)) => assert_eq!(v.code, 1007, "{prefix:?}: {v}"),
                other => panic!("{prefix:?}: expected 1007, got {other:?}"),
            }
            assert_eq!(out.lock().unwrap()[..4], [0x88, 0x21, 0x03, 0xef]);
        }
        // The same check inside a fragmented message: the first fragment
        // ends with half a character, the next one is cut short.
        let mut input = Vec::new();
        frame::encode(
            false,
            OpCode::Text,
            b"ok \xed",
            Some([1, 2, 3, 4]),
            &mut input,
        );
        let mut rest = Vec::new();
        frame::encode(
            true,
            OpCode::Continuation,
            &[0xa0; 50],
            Some([5, 6, 7, 8]),
            &mut rest,
        );
        input.extend_from_slice(&rest[..rest.len() - 40]);
        let (mut ws, _) = scripted(input, 2);
        assert!(matches!(ws.read_message(), Err(WsError::Failed(v)) if v.code == 1007));
    }

    #[test]
    fn text_in_long_frames_survives_any_split_of_the_stream() {
        let mut rng = Rng::new();
        let mut input = Vec::new();
        let mut sent = Vec::new();
        for i in 0..40 {
            let len = [10, 200, 70_000, 300_000][i % 4];
            let text = rng.string_from("aé€😀z ", len);
            let key = rng.next_u32().to_ne_bytes();
            if i % 3 == 0 {
                // Three fragments, cut anywhere (inside characters too).
                let b = text.as_bytes();
                let (c1, c2) = (b.len() / 3 + 1, 2 * b.len() / 3 + 2);
                frame::encode(false, OpCode::Text, &b[..c1], Some(key), &mut input);
                frame::encode(
                    false,
                    OpCode::Continuation,
                    &b[c1..c2],
                    Some(key),
                    &mut input,
                );
                frame::encode(true, OpCode::Continuation, &b[c2..], Some(key), &mut input);
            } else {
                frame::encode(true, OpCode::Text, text.as_bytes(), Some(key), &mut input);
            }
            sent.push(text);
        }
        for max_piece in [7, 5000, 100_000] {
            let (mut ws, _) = scripted(input.clone(), max_piece);
            for (i, want) in sent.iter().enumerate() {
                assert_eq!(
                    ws.read_message().unwrap(),
                    Some(Message::Text(want.clone())),
                    "message {i}, pieces of {max_piece}"
                );
            }
        }
    }

    #[test]
    fn pings_are_answered_and_a_close_is_echoed() {
        let mut input = Vec::new();
        frame::encode(true, OpCode::Ping, b"abc", Some([1, 2, 3, 4]), &mut input);
        frame::encode(true, OpCode::Text, b"hi", Some([5, 6, 7, 8]), &mut input);
        frame::encode(
            true,
            OpCode::Close,
            &close::payload(4000, "bye"),
            Some([9, 9, 9, 9]),
            &mut input,
        );
        frame::encode(
            true,
            OpCode::Text,
            b"ignored",
            Some([1, 1, 1, 1]),
            &mut input,
        );
        let (mut ws, out) = scripted(input, 3);
        assert_eq!(ws.read_message().unwrap(), Some(Message::Text("hi".into())));
        assert_eq!(ws.read_message().unwrap(), None);
        assert_eq!(ws.read_message().unwrap(), None);
        assert_eq!(ws.peer_close(), Some(&Some((4000, "bye".to_string()))));
        assert_eq!(*out.lock().unwrap(), b"\x8a\x03abc\x88\x02\x0f\xa0");
        assert!(matches!(ws.send_text("late"), Err(WsError::Closed)));
    }

    #[test]
    fn garbage_ends_in_a_close_code_or_eof_never_a_panic() {
        let mut rng = Rng::new();
        for _ in 0..300 {
            let len = rng.range(0, 300);
            let (mut ws, out) = scripted(rng.bytes(len), 50);
            let mut messages = 0;
            let end = loop {
                match ws.read_message() {
                    Ok(Some(_)) => messages += 1,
                    other => break other,
                }
                assert!(messages < 1000);
            };
            let out = out.lock().unwrap();
            match end {
                Err(WsError::Failed(v)) => {
                    assert!([1002, 1007, 1009].contains(&v.code), "{v}");
                    // We wrote a close frame (0x88, length, code) with it.
                    let code = v.code.to_be_bytes();
                    assert!(
                        out.windows(4).any(|w| w[0] == 0x88 && w[2..] == code),
                        "{out:x?}"
                    );
                }
                Err(WsError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof),
                Ok(None) => {} // a valid close frame among the garbage
                other => panic!("{other:?}"),
            }
        }
    }

    /// A writer that takes `fail_at` bytes, then fails once with a timeout
    /// (a peer that stopped reading), then takes everything again (the
    /// peer read a little).
    struct StallsOnce {
        taken: Arc<Mutex<Vec<u8>>>,
        fail_at: usize,
        failed: bool,
    }

    impl Read for StallsOnce {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Ok(0)
        }
    }

    impl Write for StallsOnce {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut taken = self.taken.lock().unwrap();
            let room = self.fail_at.saturating_sub(taken.len());
            if room == 0 && !self.failed {
                self.failed = true;
                return Err(io::ErrorKind::TimedOut.into());
            }
            let n = if self.failed {
                buf.len()
            } else {
                buf.len().min(room)
            };
            taken.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_failed_write_ends_the_connection_rather_than_sending_half_a_frame() {
        // "hello world" is a 13-byte frame; 5 bytes go out, then the write
        // times out. Whatever is sent next would be read by the peer as
        // the rest of that frame: nothing may follow.
        let taken = Arc::new(Mutex::new(Vec::new()));
        let stream = |fail_at| StallsOnce {
            taken: taken.clone(),
            fail_at,
            failed: false,
        };
        let ws = WebSocket::from_parts(
            stream(usize::MAX),
            stream(5),
            None,
            "test".into(),
            Vec::new(),
            Role::Server,
            Config::default(),
        );
        let tx = ws.sender();
        assert!(matches!(tx.send_text("hello world"), Err(WsError::Io(_))));
        assert!(matches!(tx.send_text("next"), Err(WsError::Closed)));
        assert!(matches!(tx.pong(b"p"), Err(WsError::Closed)));
        assert!(matches!(tx.close(1000, ""), Err(WsError::Closed)));
        assert_eq!(*taken.lock().unwrap(), b"\x81\x0bhel");
    }

    /// A peer that reads one byte now and then: every write call makes
    /// progress, so the socket's write timeout never fires.
    struct SlowReader(Arc<Mutex<Vec<u8>>>);

    impl Read for SlowReader {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Ok(0)
        }
    }

    impl Write for SlowReader {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            std::thread::sleep(Duration::from_millis(2)); // the peer's pace
            self.0
                .lock()
                .unwrap()
                .extend_from_slice(&buf[..buf.len().min(1)]);
            Ok(buf.len().min(1))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_peer_that_reads_a_byte_now_and_then_cannot_stretch_a_write_forever() {
        // 2 ms a byte: 1000 bytes would take 2 s, 10 000 (zero-copy path)
        // 20 s. The write timeout (40 ms) plus the time the frame needs at
        // 16 KiB/s bound the whole frame.
        for len in [1000, 10_000] {
            let taken = Arc::new(Mutex::new(Vec::new()));
            let ws = WebSocket::from_parts(
                SlowReader(taken.clone()),
                SlowReader(taken.clone()),
                None,
                "test".into(),
                Vec::new(),
                Role::Server,
                Config {
                    write_timeout: Some(Duration::from_millis(40)),
                    ..Config::default()
                },
            );
            match ws.send_binary(&vec![7; len]) {
                Err(WsError::Io(e)) => assert_eq!(e.kind(), io::ErrorKind::TimedOut),
                other => panic!("len {len}: expected a timeout, got {other:?}"),
            }
            assert!(taken.lock().unwrap().len() < 500, "len {len}");
        }
    }

    #[test]
    fn vectored_write_survives_partial_writes() {
        let mut w = Trickle(Vec::new());
        write_all_two(&mut w, &mut &b"head"[..], &mut &b"and the payload"[..]).unwrap();
        assert_eq!(w.0, b"headand the payload");
        let mut w = Trickle(Vec::new());
        write_all_two(&mut w, &mut &b""[..], &mut &b"xy"[..]).unwrap();
        assert_eq!(w.0, b"xy");
    }
}
