//! A WebSocket that waits without a thread: chapter 8's pieces composed
//! for an event loop.
//!
//! Chapter 8's [`WebSocket`] blocks: its thread sleeps in `read`. Here the
//! socket is non-blocking, and nothing in this file ever waits. The same
//! sans-I/O code decodes what arrived ([`Incoming`]: the frame codec, the
//! reassembler, UTF-8 checked as it comes, the limits and their close
//! codes), into the same [`ReadBuf`]; the frames we answer with are
//! encoded by the same [`frame::encode`]. What changes is only the I/O:
//!
//! * a read that would block ends the connection's *turn*
//!   ([`LoopSocket::turn`]) instead of sleeping;
//! * a write the peer cannot take now stays in `out`, and the connection
//!   then leaves the loop for a thread of its own ([`LoopSocket::into_thread`]),
//!   where chapter 8's blocking code finishes it;
//! * the timers a blocking reader gets from its read timeout (the idle
//!   ping, the close timeout) come from [`LoopSocket::tick`], which the
//!   loop calls now and then;
//! * between turns the connection keeps no read buffer: the loop lends
//!   one ([`LoopSocket::lend`], [`LoopSocket::give_back`]).

use std::io::{self, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

use crate::ch08_websocket::close::{self, close_tcp};
use crate::ch08_websocket::frame::{self, OpCode, Role};
use crate::ch08_websocket::incoming::{Incoming, Step};
use crate::ch08_websocket::message::{Event, Message, Violation};
use crate::ch08_websocket::readbuf::{KEEP_BUFFER, ReadBuf};
use crate::ch08_websocket::socket::{MAX_LINGER, PING_PAYLOAD};
use crate::ch08_websocket::writer::transfer_allowance;
use crate::ch08_websocket::{Config, WebSocket};
use crate::trace;

/// Reads in one turn, at most. A peer that sends without pause gets its
/// turn like the others, not the loop to itself.
pub const READS_PER_TURN: u32 = 4;

/// The write timeout when the configuration has none.
const DEFAULT_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// What the loop does with each message: the answer to send, if any.
/// It must not block: it runs on the loop's thread.
pub type Answer = dyn Fn(Message) -> Option<Message> + Send + Sync;

/// A WebSocket served by an event loop (see the module docs).
pub struct LoopSocket {
    tcp: TcpStream,
    peer: String,
    config: Config,
    inbuf: ReadBuf,
    incoming: Incoming,
    /// Encoded frames the socket has not taken yet.
    out: Vec<u8>,
    close_sent: bool,
    /// The connection is over: only closing TCP is left.
    done: bool,
    awaiting_pong: bool,
    last_heard: Instant,
    close_deadline: Option<Instant>,
}

/// After a turn or a tick: wait in the loop again, or leave it.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Park,
    /// Something must wait (a slow peer, closing TCP): a thread does it.
    Thread,
}

impl LoopSocket {
    /// A connection whose handshake is done; `leftover` are the bytes that
    /// came behind it.
    pub fn new(tcp: TcpStream, leftover: Vec<u8>, config: Config) -> io::Result<LoopSocket> {
        tcp.set_nonblocking(true)?;
        tcp.set_nodelay(true)?;
        let peer = tcp.peer_addr().map(|a| a.to_string()).unwrap_or_default();
        Ok(LoopSocket {
            tcp,
            peer,
            incoming: Incoming::new(Role::Server, &config),
            config,
            inbuf: ReadBuf::new(leftover),
            out: Vec::new(),
            close_sent: false,
            done: false,
            awaiting_pong: false,
            last_heard: Instant::now(),
            close_deadline: None,
        })
    }

    /// At the start of a turn: takes `spare` as the read buffer if it has
    /// none of its own.
    pub fn lend(&mut self, spare: &mut ReadBuf) {
        if self.inbuf.is_empty() && self.inbuf.capacity() == 0 {
            std::mem::swap(&mut self.inbuf, spare);
        }
    }

    /// At the end of a turn: gives the read buffer to `spare` unless it
    /// holds part of a frame (then it stays). One spare is enough, and not
    /// one the size of the largest message ever received.
    pub fn give_back(&mut self, spare: &mut ReadBuf) {
        if !self.inbuf.is_empty() {
            return;
        }
        if spare.capacity() == 0 && self.inbuf.capacity() <= KEEP_BUFFER {
            std::mem::swap(&mut self.inbuf, spare);
        }
        self.inbuf.free();
    }

    /// The memory its read buffer holds (0 for an idle connection).
    pub fn buffered_capacity(&self) -> usize {
        self.inbuf.capacity()
    }

    /// One turn: decodes what has arrived, answers each message with
    /// `answer`, reads more until a read would block (at most
    /// [`READS_PER_TURN`] reads), then sends what it can.
    pub fn turn(&mut self, now: Instant, answer: &Answer) -> Next {
        let mut reads = 0;
        while !self.done {
            match self.incoming.next_frame(self.inbuf.data()) {
                Err(v) => self.fail(v),
                Ok(Step::Frame(f, used)) => {
                    self.inbuf.consume(used);
                    match self.incoming.assemble(f) {
                        Err(v) => self.fail(v),
                        Ok(event) => self.react(event, answer),
                    }
                }
                Ok(Step::NeedMore { frame_len }) => {
                    // After a read that left nothing to decode, most likely
                    // nothing more has arrived: epoll will say if it has.
                    if reads >= READS_PER_TURN || (reads > 0 && self.inbuf.is_empty()) {
                        break;
                    }
                    reads += 1;
                    if !self.read(frame_len, now) {
                        break;
                    }
                }
            }
        }
        self.flush();
        self.next()
    }

    /// Reads once. `false`: nothing more now (or the connection ended).
    fn read(&mut self, frame_len: Option<usize>, now: Instant) -> bool {
        self.inbuf.make_room(frame_len);
        loop {
            match self.inbuf.read_from(&mut self.tcp) {
                Ok(0) => {
                    trace::note(&self.peer, "peer closed the connection");
                    self.done = true;
                    return false;
                }
                Ok(_) => {
                    self.last_heard = now;
                    self.awaiting_pong = false;
                    return true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(_) => {
                    self.done = true;
                    return false;
                }
            }
        }
    }

    /// What a frame asks of us, as chapter 8's socket does it.
    fn react(&mut self, event: Event, answer: &Answer) {
        match event {
            Event::Fragment | Event::Pong(_) => {}
            Event::Message(m) => {
                if let Some(reply) = answer(m) {
                    self.send(&reply);
                }
            }
            Event::Ping(p) => self.queue(OpCode::Pong, &p),
            Event::Close(c) => {
                if !self.close_sent {
                    match c {
                        Some((code, _)) => self.send_close(code, ""),
                        None => self.queue(OpCode::Close, &[]),
                    }
                }
                self.done = true;
            }
        }
    }

    /// Sends a data message (queued if the socket cannot take it now).
    pub fn send(&mut self, m: &Message) {
        match m {
            Message::Text(t) => self.queue(OpCode::Text, t.as_bytes()),
            Message::Binary(b) => self.queue(OpCode::Binary, b),
        }
    }

    /// Starts the close handshake with `code` (no-op once started).
    pub fn send_close(&mut self, code: u16, reason: &str) {
        if !self.close_sent {
            self.queue(OpCode::Close, &close::payload(code, reason));
        }
    }

    /// Fails the connection (§7.1.7): the violation's close code, then
    /// TCP closed (by the thread the connection moves to).
    fn fail(&mut self, v: Violation) {
        trace::note(&self.peer, format!("failing the connection: {v}"));
        self.send_close(v.code, &v.reason);
        self.done = true;
    }

    fn queue(&mut self, opcode: OpCode, payload: &[u8]) {
        if self.close_sent {
            return; // nothing follows a close frame
        }
        if opcode == OpCode::Close {
            self.close_sent = true;
        }
        frame::encode(true, opcode, payload, None, &mut self.out);
        self.flush();
    }

    /// Writes what the socket takes now; the rest stays in `out`.
    fn flush(&mut self) {
        let mut sent = 0;
        while sent < self.out.len() {
            match (&self.tcp).write(&self.out[sent..]) {
                Ok(0) => break,
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    // The peer's framing is lost: nothing more can be sent.
                    self.done = true;
                    self.out.clear();
                    return;
                }
            }
        }
        self.out.drain(..sent);
        if self.out.is_empty() && self.out.capacity() > KEEP_BUFFER {
            self.out = Vec::new();
        }
    }

    fn next(&self) -> Next {
        if self.done || !self.out.is_empty() {
            Next::Thread
        } else {
            Next::Park
        }
    }

    /// The timers: after a ping interval of silence, a ping; after another,
    /// close with 1001; once our close frame is out, at most the close
    /// timeout for the answer. `closing`: shutdown asks for this close.
    pub fn tick(&mut self, now: Instant, closing: Option<(u16, String)>) -> Next {
        if let Some((code, reason)) = closing {
            self.send_close(code, &reason);
        }
        if self.close_sent {
            let deadline = *self
                .close_deadline
                .get_or_insert(now + self.config.close_timeout);
            if now >= deadline {
                trace::note(&self.peer, "no answer to our close frame in time; closing");
                self.done = true;
            }
        } else if let Some(interval) = self.config.ping_interval
            && now.saturating_duration_since(self.last_heard) >= interval
        {
            self.last_heard = now;
            if self.awaiting_pong {
                trace::note(&self.peer, "no answer to our ping; closing");
                self.send_close(close::GOING_AWAY, "idle timeout");
                self.done = true;
            } else {
                self.awaiting_pong = true;
                self.queue(OpCode::Ping, PING_PAYLOAD);
            }
        }
        self.next()
    }

    /// Finishes the connection on the calling thread, which may block (the
    /// loop hands it to a thread of its own): the queued bytes go out
    /// first, within the write timeout. A connection still open goes on
    /// as chapter 8's blocking [`WebSocket`], returned; one that is over,
    /// or closing, has its TCP connection closed, and `None` comes back.
    pub fn into_thread(mut self) -> Option<WebSocket> {
        let sent = self.flush_blocking();
        let open = sent.is_ok() && !self.done && !self.close_sent;
        if !open {
            // Closing and not done: the linger is the wait for the peer's
            // answer to our close frame.
            let linger = if self.close_sent && !self.done {
                self.config.close_timeout
            } else {
                self.config.close_timeout.min(MAX_LINGER)
            };
            close_tcp(&self.tcp, linger);
            return None;
        }
        let LoopSocket {
            tcp,
            inbuf,
            incoming,
            config,
            ..
        } = self;
        WebSocket::resume(tcp, inbuf, incoming, Role::Server, config).ok()
    }

    /// Sends `out` in blocking mode. Each `write` is bounded by the write
    /// timeout, and the whole by a deadline: the write timeout plus the
    /// time the bytes need at chapter 8's slowest allowed rate
    /// ([`transfer_allowance`]), so a peer that reads a byte now and then
    /// cannot stretch it (chapter 8's writer does the same for each frame).
    fn flush_blocking(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        self.tcp.set_nonblocking(false)?;
        let timeout = self.config.write_timeout.unwrap_or(DEFAULT_WRITE_TIMEOUT);
        self.tcp.set_write_timeout(Some(timeout))?;
        let deadline = Instant::now() + timeout + transfer_allowance(self.out.len());
        let out = std::mem::take(&mut self.out);
        let mut rest = &out[..];
        while !rest.is_empty() {
            if Instant::now() >= deadline {
                return Err(io::ErrorKind::TimedOut.into());
            }
            match (&self.tcp).write(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => rest = &rest[n..],
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Whether the connection is over.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// The socket, to read from it or shut it down.
    pub fn tcp(&self) -> &TcpStream {
        &self.tcp
    }
}

impl AsFd for LoopSocket {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.tcp.as_fd()
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::ch10_event_loop::epoll::{Epoll, Ready, Watch};
    use crate::rng::Rng;
    use std::io::Read;
    use std::sync::mpsc;

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
    fn a_parked_socket_with_a_lent_buffer_reads_any_split_of_the_stream() {
        // Non-blocking, a buffer lent each turn and given back after it,
        // epoll between turns; the peer writes the frames in random pieces.
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
        let mut sock = LoopSocket::new(server, Vec::new(), Config::default()).unwrap();
        let ep = Epoll::new().unwrap();
        ep.add(sock.tcp(), 1, Watch::WhileReadable).unwrap();
        let mut spare = ReadBuf::default();
        sock.give_back(&mut spare);
        let (tx, rx) = mpsc::channel();
        let keep = move |m: Message| {
            tx.send(m).unwrap();
            None
        };
        let mut got = Vec::new();
        while got.len() < sent.len() {
            let mut ready = [Ready { token: 0 }];
            let n = ep.wait(&mut ready, Duration::from_secs(5)).unwrap();
            assert_eq!(n, 1, "stalled");
            sock.lend(&mut spare);
            assert_eq!(sock.turn(Instant::now(), &keep), Next::Park);
            sock.give_back(&mut spare);
            got.extend(rx.try_iter());
        }
        assert!(got == sent, "messages differ");
        drop(writer.join().unwrap());
        // Idle between turns: no read buffer of its own.
        assert_eq!(sock.buffered_capacity(), 0);
    }

    #[test]
    fn pings_close_and_violations_get_the_answers_chapter_8_gives() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (server, _) = l.accept().unwrap();
        let mut input = Vec::new();
        frame::encode(true, OpCode::Ping, b"abc", Some([1, 2, 3, 4]), &mut input);
        frame::encode(true, OpCode::Text, b"hi", Some([5, 6, 7, 8]), &mut input);
        frame::encode(
            true,
            OpCode::Close,
            &close::payload(4000, "bye"),
            Some([9; 4]),
            &mut input,
        );
        client.write_all(&input).unwrap();
        let mut sock = LoopSocket::new(server, Vec::new(), Config::default()).unwrap();
        let echo = |m: Message| Some(m);
        while !sock.is_done() {
            sock.turn(Instant::now(), &echo);
        }
        assert!(sock.into_thread().is_none());
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"\x8a\x03abc\x81\x02hi\x88\x02\x0f\xa0");
    }
}
