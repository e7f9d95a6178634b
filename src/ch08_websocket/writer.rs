//! The writing half of a WebSocket: [`WsSender`], a cheap clonable
//! handle (an `Arc` around a mutex-protected writer) that any number of
//! threads may use at once. The mutex makes each frame leave in one piece,
//! never interleaved with another thread's: a chat can broadcast to a
//! member from any thread while the member's own thread reads. The
//! reading half ([`WebSocket`](super::WebSocket)) uses the same sender for
//! pongs and close replies.
//!
//! Every write is bounded: by the socket's write timeout for each call,
//! and by a deadline for the whole frame ([`Config::write_timeout`]), so a
//! peer that stops reading cannot hold a writer, or the mutex, forever.
//! A write that fails half-way ends the connection: whatever followed
//! would be read by the peer as the rest of the broken frame.

use std::io::{self, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::close;
use super::config::{Config, WsError};
use super::frame::{self, OpCode, Role};
use super::message::Message;
use super::socket::SharedTcp;
use crate::trace::{self, Dir};

/// The writing side, shared by every [`WsSender`] clone.
struct Out<S> {
    stream: S,
    role: Role,
    /// Reused for each frame: header and payload leave in one write.
    buf: Vec<u8>,
    /// A write failed, perhaps half-way through a frame: whatever we sent
    /// next would be read as the rest of it, so nothing more is sent.
    broken: bool,
}

struct Shared<S> {
    out: Mutex<Out<S>>,
    /// A close frame has been sent (set under `out`'s lock, read without it:
    /// the reader checks it at every frame and must not wait behind a
    /// writer blocked on a peer that does not read).
    close_sent: AtomicBool,
    /// The TCP socket, if there is one: to shut it down and change its
    /// read timeout from any thread.
    tcp: Option<SharedTcp>,
    peer: String,
    /// How long the reader waits for the answer to a close frame.
    close_timeout: Duration,
    /// How long sending one frame may take ([`Config::write_timeout`]).
    write_timeout: Option<Duration>,
}

/// A clonable handle that sends frames on a connection, from any thread.
pub struct WsSender<S = SharedTcp> {
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
    /// The writing half over `writer`. `tcp`, if given, is the same TCP
    /// connection, to shut it down and to shorten the reader's timeout once
    /// a close frame is out.
    pub fn new(
        writer: S,
        tcp: Option<SharedTcp>,
        peer: String,
        role: Role,
        config: &Config,
    ) -> Self {
        WsSender {
            shared: Arc::new(Shared {
                out: Mutex::new(Out {
                    stream: writer,
                    role,
                    buf: Vec::new(),
                    broken: false,
                }),
                close_sent: AtomicBool::new(false),
                tcp,
                peer,
                close_timeout: config.close_timeout,
                write_timeout: config.write_timeout,
            }),
        }
    }

    /// The peer's address, as shown in traces.
    pub fn peer(&self) -> &str {
        &self.shared.peer
    }

    /// How long the peer has to answer our close frame
    /// ([`Config::close_timeout`]).
    pub fn close_timeout(&self) -> Duration {
        self.shared.close_timeout
    }

    /// The TCP connection, if the sender has a handle on it.
    pub fn tcp(&self) -> Option<&TcpStream> {
        self.shared.tcp.as_deref()
    }

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
        } = &mut *out;
        let mask = match role {
            // RFC 6455 §5.3: a fresh key from a strong source for every frame.
            Role::Client => Some(crate::rng::mask_key()),
            Role::Server => None,
        };
        // A large unmasked payload goes out straight from the caller's
        // slice, behind the header, in one `writev`: no copy. Small frames
        // (and every masked one) are built in `buf` and leave in one write.
        let zero_copy = mask.is_none() && payload.len() >= ZERO_COPY_MIN;
        buf.clear();
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
        let until = self
            .shared
            .write_timeout
            .map(|t| Instant::now() + t + transfer_allowance(buf.len() + tail.len()));
        let mut stream = Deadline {
            inner: stream,
            until,
        };
        let r =
            write_all_two(&mut stream, &mut &buf[..], &mut &tail[..]).and_then(|_| stream.flush());
        if buf.capacity() > KEEP_BUFFER {
            // Do not keep a large message's buffer for the connection's life.
            *buf = Vec::new();
        }
        if r.is_err() {
            // The peer's framing is lost: end the connection (the reader
            // sees it end) instead of sending more into a broken stream.
            *broken = true;
            self.shutdown();
        }
        r.map_err(WsError::Io)
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
pub const MIN_SEND_RATE: f64 = 16.0 * 1024.0;

/// How long `len` bytes may take to go out at [`MIN_SEND_RATE`].
pub fn transfer_allowance(len: usize) -> Duration {
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

/// A frame buffer that grew past this for a large message is given back
/// afterwards, so a connection does not keep its largest frame's memory.
const KEEP_BUFFER: usize = 256 * 1024;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::sync::{Arc, Mutex};

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
        let _unused = stream(usize::MAX);
        let tx = WsSender::new(
            stream(5),
            None,
            "test".into(),
            Role::Server,
            &Config::default(),
        );
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
            let config = Config {
                write_timeout: Some(Duration::from_millis(40)),
                ..Config::default()
            };
            let ws = WsSender::new(
                SlowReader(taken.clone()),
                None,
                "test".into(),
                Role::Server,
                &config,
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
