//! A WebSocket connection over a byte stream, blocking: one thread reads,
//! messages come out of [`WebSocket::read_message`], pings are answered,
//! the close handshake is carried out, and a protocol error becomes the
//! right close frame before the TCP connection goes (RFC 6455 §5–§7).
//!
//! [`WebSocket`] is the *reading* half, and owns the connection. Writing
//! goes through its [`WsSender`], the writing half, which any number of
//! threads may clone and use at once (see [`super::writer`]). Both halves
//! use the same socket ([`SharedTcp`]): one file descriptor a connection.
//!
//! The thread that reads sleeps in `read` until bytes arrive. The socket's
//! read timeout is the ping interval: a read that times out means the peer
//! has been quiet that long, so we ping it; a second timeout in a row
//! means it is gone, and we close with 1001.
//!
//! Decoding is not done here: [`Incoming`] turns the bytes in a
//! [`ReadBuf`] into frames and messages, without I/O. This file only moves
//! bytes and reacts to what they meant. (A thread per connection is the
//! simple design; chapter 10 serves idle connections without one, from
//! the same sans-I/O pieces.)

use std::io::{self, IoSlice, Read, Write};
use std::net::TcpStream;
use std::ops::Deref;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::close;
use super::config::{Config, WsError};
use super::frame::{self, OpCode, Role};
use super::incoming::{Incoming, Step};
use super::message::{Event, Message, Violation};
use super::readbuf::ReadBuf;
use super::writer::WsSender;
use crate::trace::{self, Dir};

/// One TCP connection shared by the reading and the writing half, and by
/// whoever must shut it down. `read` and `write` take `&TcpStream`, so
/// both halves can use the same socket at once: the kernel keeps the two
/// directions apart. `TcpStream::try_clone` would give each half its own
/// file descriptor (`dup`), three a connection, and a server that holds
/// thousands of idle WebSockets would run out of them three times sooner.
#[derive(Debug, Clone)]
pub struct SharedTcp(Arc<TcpStream>);

impl SharedTcp {
    pub fn new(stream: TcpStream) -> SharedTcp {
        SharedTcp(Arc::new(stream))
    }
}

impl Deref for SharedTcp {
    type Target = TcpStream;
    fn deref(&self) -> &TcpStream {
        &self.0
    }
}

impl Read for SharedTcp {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        (&*self.0).read(buf)
    }
}

impl Write for SharedTcp {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        (&*self.0).write(buf)
    }
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        (&*self.0).write_vectored(bufs)
    }
    fn flush(&mut self) -> io::Result<()> {
        (&*self.0).flush()
    }
}

/// The reading half of a WebSocket connection (see the module docs).
pub struct WebSocket<S = SharedTcp> {
    stream: S,
    sender: WsSender<S>,
    role: Role,
    config: Config,
    inbuf: ReadBuf,
    incoming: Incoming,
    /// The peer's close frame, once received (`Some(None)`: it had no code).
    peer_close: Option<Option<(u16, String)>>,
    /// Set when the connection is over: `read_message` returns `Ok(None)`.
    done: bool,
    /// A ping went out because the peer was quiet, and nothing came since.
    awaiting_pong: bool,
    /// Once our close frame is out: when we stop waiting for the answer.
    close_deadline: Option<Instant>,
}

impl WebSocket<SharedTcp> {
    /// A WebSocket over a TCP connection whose handshake is done. `leftover`
    /// holds bytes read past the handshake: the first frame's bytes.
    pub fn from_tcp(
        stream: TcpStream,
        leftover: Vec<u8>,
        role: Role,
        config: Config,
    ) -> io::Result<WebSocket> {
        let incoming = Incoming::new(role, &config);
        WebSocket::resume(stream, ReadBuf::new(leftover), incoming, role, config)
    }

    /// [`WebSocket::from_tcp`] for a connection whose received bytes were
    /// being decoded elsewhere: `inbuf` holds the bytes not yet decoded,
    /// `incoming` the state of the message they continue.
    pub fn resume(
        stream: TcpStream,
        inbuf: ReadBuf,
        incoming: Incoming,
        role: Role,
        config: Config,
    ) -> io::Result<WebSocket> {
        stream.set_nonblocking(false)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(config.ping_interval)?;
        stream.set_write_timeout(config.write_timeout)?;
        let peer = stream
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| "?".into());
        let tcp = SharedTcp::new(stream);
        let sender = WsSender::new(tcp.clone(), Some(tcp.clone()), peer, role, &config);
        let mut ws = WebSocket::with_sender(tcp, sender, Vec::new(), role, config);
        ws.inbuf = inbuf;
        ws.incoming = incoming;
        Ok(ws)
    }

    /// The TCP socket it reads from.
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
        tcp: Option<SharedTcp>,
        peer: String,
        leftover: Vec<u8>,
        role: Role,
        config: Config,
    ) -> WebSocket<S> {
        let sender = WsSender::new(writer, tcp, peer, role, &config);
        WebSocket::with_sender(reader, sender, leftover, role, config)
    }

    fn with_sender(
        reader: S,
        sender: WsSender<S>,
        leftover: Vec<u8>,
        role: Role,
        config: Config,
    ) -> WebSocket<S> {
        WebSocket {
            stream: reader,
            sender,
            role,
            inbuf: ReadBuf::new(leftover),
            incoming: Incoming::new(role, &config),
            config,
            peer_close: None,
            done: false,
            awaiting_pong: false,
            close_deadline: None,
        }
    }

    /// The writing half, to keep or hand to other threads.
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
        self.sender.peer()
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

    /// Whether the connection is over (close handshake done or failed).
    pub fn is_done(&self) -> bool {
        self.done
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
        if let Some(tcp) = self.sender.tcp() {
            let _ = tcp.set_read_timeout(Some(self.config.close_timeout));
        }
        while self.read_message()?.is_some() {}
        Ok(())
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
            self.check_close_deadline()?;
            let frame = match self.incoming.next_frame(self.inbuf.data()) {
                Err(v) => return Err(self.fail(v)),
                Ok(Step::NeedMore { frame_len }) => {
                    self.fill(frame_len)?;
                    continue;
                }
                Ok(Step::Frame(f, used)) => {
                    self.inbuf.consume(used);
                    f
                }
            };
            if trace::enabled() {
                let masked = self.role == Role::Server;
                let summary = frame::describe(frame.fin, frame.opcode, masked, &frame.payload);
                trace::frame(Dir::In, self.peer(), &summary);
            }
            match self.incoming.assemble(frame) {
                Err(v) => return Err(self.fail(v)),
                Ok(Event::Message(m)) => return Ok(Some(m)),
                Ok(event) => {
                    if !self.react(event)? {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Once our close frame is out, waits for the answer only so long. The
    /// read timeout only fires on silence; a peer that keeps sending
    /// (pings, data) instead of answering is bounded by this deadline.
    fn check_close_deadline(&mut self) -> Result<(), WsError> {
        if !self.sender.is_closed() {
            return Ok(());
        }
        let close_timeout = self.config.close_timeout;
        let deadline = *self
            .close_deadline
            .get_or_insert_with(|| Instant::now() + close_timeout);
        if Instant::now() > deadline {
            trace::note(self.peer(), "no answer to our close frame in time; closing");
            self.finish();
            return Err(WsError::Timeout);
        }
        Ok(())
    }

    /// Reacts to a control frame or a fragment. `Ok(false)`: the peer
    /// closed, and the connection is over.
    fn react(&mut self, event: Event) -> Result<bool, WsError> {
        match event {
            Event::Fragment | Event::Pong(_) | Event::Message(_) => Ok(true),
            // Once our close is out, pings are not answered (§5.5.2 does
            // not require it and no frame may follow a close).
            Event::Ping(p) => match self.sender.pong(&p) {
                Ok(()) | Err(WsError::Closed) => Ok(true),
                Err(e) => {
                    self.finish();
                    Err(e)
                }
            },
            Event::Close(c) => {
                // §5.5.1: answer with a close frame, echoing the code.
                if !self.sender.is_closed() {
                    let _ = match &c {
                        Some((code, _)) => self.sender.close(*code, ""),
                        None => self.sender.send_frame(true, OpCode::Close, &[]),
                    };
                }
                self.peer_close = Some(c);
                self.finish();
                Ok(false)
            }
        }
    }

    /// Reads more bytes into the buffer: the whole frame of `frame_len`
    /// bytes if its header is in, else a chunk (see [`ReadBuf`]).
    fn fill(&mut self, frame_len: Option<usize>) -> Result<(), WsError> {
        self.inbuf.make_room(frame_len);
        loop {
            match self.inbuf.read_from(&mut self.stream) {
                Ok(0) => return self.peer_hung_up(),
                Ok(_) => {
                    self.awaiting_pong = false;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
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

    /// The peer closed TCP. After our close frame that is an answer; else
    /// the connection dropped (1006, reported as an unexpected EOF).
    fn peer_hung_up(&mut self) -> Result<(), WsError> {
        let mid_frame = !self.inbuf.is_empty();
        let closing = self.sender.is_closed();
        self.finish();
        if closing && !mid_frame {
            return Ok(());
        }
        let what = if mid_frame {
            "peer closed the connection in the middle of a frame"
        } else {
            "peer closed the connection without a close frame"
        };
        Err(WsError::Io(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            what,
        )))
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
        match self.sender.ping(PING_PAYLOAD) {
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

    /// Closes TCP, gently (see [`close::close_tcp`]), and frees the buffer.
    fn finish(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        if let Some(tcp) = self.sender.tcp() {
            close::close_tcp(tcp, self.config.close_timeout.min(MAX_LINGER));
        }
        self.inbuf.free();
    }
}

/// What our idle pings carry.
pub const PING_PAYLOAD: &[u8] = b"wirebook";

/// The longest a closing connection waits for the peer's last bytes.
pub const MAX_LINGER: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch08_websocket::readbuf::READ_CHUNK;
    use crate::rng::Rng;
    use std::sync::{Arc, Mutex};

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
                    ws.inbuf.capacity() <= 2 * largest + READ_CHUNK,
                    "{} > {largest}",
                    ws.inbuf.capacity()
                );
            }
            // The script ends without a close frame: 1006, reported as EOF.
            assert!(
                matches!(ws.read_message(), Err(WsError::Io(e)) if e.kind() == io::ErrorKind::UnexpectedEof)
            );
        }
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
}
