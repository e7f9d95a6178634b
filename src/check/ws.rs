//! The checker's own WebSocket client side (RFC 6455): the accept key
//! computed with the `sha1` and `base64` crates directly, a frame encoder
//! and a strict decoder of server frames, and a small client for the chat
//! checks. None of it calls chapter 8, whose accept key, frame codec and
//! UTF-8 validator a reader may be rewriting as exercises.

use std::io::Write;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use base64::Engine;
use sha1::{Digest, Sha1};

use super::{Failure, Target, connect, io_text, raw_command, read_response};
use crate::rng::Rng;

/// The GUID of RFC 6455 §1.3, appended to the key before hashing.
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// Largest frame or message the checker accepts from a server.
pub const MAX_MESSAGE: u64 = 16 * 1024 * 1024;

/// Most frames [`WebSocket::read_message`] reads while waiting for one
/// whole message: a server that only pings cannot keep a check waiting.
pub const MAX_FRAMES_PER_MESSAGE: usize = 10_000;

/// `base64(SHA-1(key + GUID))` (RFC 6455 §4.2.2, step 5.4).
pub fn accept_key(key: &str) -> String {
    let digest = Sha1::new()
        .chain_update(key.as_bytes())
        .chain_update(GUID.as_bytes())
        .finalize();
    base64::engine::general_purpose::STANDARD.encode(digest)
}

/// A fresh `Sec-WebSocket-Key`: 16 random bytes in base64 (§4.1).
pub fn new_key(rng: &mut Rng) -> String {
    base64::engine::general_purpose::STANDARD.encode(rng.bytes(16))
}

/// A frame's opcode (§5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpCode {
    Continuation,
    Text,
    Binary,
    Close,
    Ping,
    Pong,
}

impl OpCode {
    pub fn bits(self) -> u8 {
        match self {
            OpCode::Continuation => 0,
            OpCode::Text => 1,
            OpCode::Binary => 2,
            OpCode::Close => 8,
            OpCode::Ping => 9,
            OpCode::Pong => 10,
        }
    }

    fn from_bits(b: u8) -> Option<OpCode> {
        [
            OpCode::Continuation,
            OpCode::Text,
            OpCode::Binary,
            OpCode::Close,
            OpCode::Ping,
            OpCode::Pong,
        ]
        .into_iter()
        .find(|o| o.bits() == b)
    }

    pub fn name(self) -> &'static str {
        match self {
            OpCode::Continuation => "continuation",
            OpCode::Text => "text",
            OpCode::Binary => "binary",
            OpCode::Close => "close",
            OpCode::Ping => "ping",
            OpCode::Pong => "pong",
        }
    }

    pub fn is_control(self) -> bool {
        self.bits() >= 8
    }
}

/// A decoded frame, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: OpCode,
    pub payload: Vec<u8>,
}

/// Which side is decoding: the checker is always the client, which only
/// ever receives unmasked frames (§5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Client,
}

/// The outcome of [`decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A whole frame and the bytes it used.
    Frame(Frame, usize),
    /// Not enough bytes: at least this many are needed in all.
    NeedMore { at_least: usize },
}

/// Appends one frame to `out`, masked with `mask` if given (§5.2). It
/// encodes whatever it is given, invalid frames included: checks send
/// those on purpose.
pub fn encode(fin: bool, opcode: OpCode, payload: &[u8], mask: Option<[u8; 4]>, out: &mut Vec<u8>) {
    out.push(if fin { 0x80 } else { 0 } | opcode.bits());
    let m = if mask.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n if n < 126 => out.push(m | n as u8),
        n if n <= 0xFFFF => {
            out.push(m | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(m | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
}

/// Decodes one frame sent by a server, strictly: no mask, no RSV bits, no
/// reserved opcode, control frames short and unfragmented, lengths in
/// their minimal form and at most `max` bytes.
pub fn decode(buf: &[u8], _role: Role, max: u64) -> Result<Decoded, String> {
    if buf.len() < 2 {
        return Ok(Decoded::NeedMore { at_least: 2 });
    }
    let (b0, b1) = (buf[0], buf[1]);
    if b0 & 0x70 != 0 {
        return Err(format!(
            "RSV bits set ({b0:#04x}) without an extension (§5.2)"
        ));
    }
    let opcode = OpCode::from_bits(b0 & 0x0F)
        .ok_or_else(|| format!("reserved opcode {:#x} (§5.2)", b0 & 0x0F))?;
    let fin = b0 & 0x80 != 0;
    if b1 & 0x80 != 0 {
        return Err("a masked frame from the server: servers MUST NOT mask (§5.1)".into());
    }
    let (len, head) = match b1 & 0x7F {
        126 if buf.len() < 4 => return Ok(Decoded::NeedMore { at_least: 4 }),
        127 if buf.len() < 10 => return Ok(Decoded::NeedMore { at_least: 10 }),
        126 => (u64::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
        127 => {
            let mut b = [0u8; 8];
            b.copy_from_slice(&buf[2..10]);
            (u64::from_be_bytes(b), 10)
        }
        n => (u64::from(n), 2),
    };
    if (head == 4 && len < 126) || (head == 10 && len <= 0xFFFF) {
        return Err(format!(
            "a length of {len} in a longer form than needed: the minimal form MUST be used (§5.2)"
        ));
    }
    if len >> 63 != 0 {
        return Err("a 64-bit length with its top bit set (§5.2)".into());
    }
    if opcode.is_control() && (len > 125 || !fin) {
        return Err(format!(
            "a {} frame of {len} bytes{}: control frames are at most 125 bytes, never fragmented (§5.5)",
            opcode.name(),
            if fin { "" } else { " with FIN clear" }
        ));
    }
    if len > max {
        return Err(format!(
            "a frame of {len} bytes, over the checker's limit of {max}"
        ));
    }
    let end = head + len as usize;
    if buf.len() < end {
        return Ok(Decoded::NeedMore { at_least: end });
    }
    let frame = Frame {
        fin,
        opcode,
        payload: buf[head..end].to_vec(),
    };
    Ok(Decoded::Frame(frame, end))
}

/// One line about a frame, for failure messages.
pub fn describe(fin: bool, opcode: OpCode, masked: bool, payload: &[u8]) -> String {
    let shown = super::cut(&crate::trace::escape(payload), 80);
    format!(
        "{} frame{}{}, {} bytes: \"{shown}\"",
        opcode.name(),
        if fin { "" } else { " (FIN clear)" },
        if masked { ", masked" } else { "" },
        payload.len()
    )
}

/// Close frame payloads (§5.5.1).
pub mod close {
    /// A close payload: the code in network order, then the UTF-8 reason.
    pub fn payload(code: u16, reason: &str) -> Vec<u8> {
        let mut p = code.to_be_bytes().to_vec();
        p.extend_from_slice(reason.as_bytes());
        p
    }
}

/// A whole message from the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Text(String),
    Binary(Vec<u8>),
}

/// The sending half of a [`WebSocket`]; clones share one connection and
/// may send from other threads.
#[derive(Clone)]
pub struct Sender {
    inner: Arc<Mutex<(TcpStream, Rng)>>,
}

impl Sender {
    /// Sends one masked frame.
    pub fn send_frame(&self, fin: bool, opcode: OpCode, payload: &[u8]) -> Result<(), Failure> {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let (stream, rng) = &mut *guard;
        let mut out = Vec::with_capacity(payload.len() + 14);
        encode(
            fin,
            opcode,
            payload,
            Some(rng.next_u32().to_ne_bytes()),
            &mut out,
        );
        stream.write_all(&out).map_err(|e| {
            Failure::new(format!(
                "could not send a {} frame: {}",
                opcode.name(),
                io_text(&e, &Target::of(stream))
            ))
        })
    }

    pub fn send_text(&self, text: &str) -> Result<(), Failure> {
        self.send_frame(true, OpCode::Text, text.as_bytes())
    }
}

/// A client WebSocket for the checks: it answers pings, reassembles
/// fragments, checks UTF-8 with the standard library, and fails on
/// anything a server must not send.
pub struct WebSocket {
    stream: TcpStream,
    buf: Vec<u8>,
    sender: Sender,
    partial: Option<(OpCode, Vec<u8>)>,
    peer_close: Option<(u16, String)>,
}

/// Opens a WebSocket to `path` on `t`, checking the 101 and its
/// Sec-WebSocket-Accept.
pub fn connect_to(t: &Target, path: &str) -> Result<WebSocket, Failure> {
    let key = new_key(&mut Rng::new());
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        t.authority()
    );
    let mut s = connect(t)?;
    let fail = |f: Failure| f.sent(req.as_bytes()).repro(raw_command(t, req.as_bytes()));
    s.write_all(req.as_bytes()).map_err(|e| {
        fail(Failure::new(format!(
            "could not send the handshake: {}",
            io_text(&e, t)
        )))
    })?;
    let mut pending = Vec::new();
    let resp = read_response(&mut s, "GET", &mut pending).map_err(fail)?;
    let h = &resp.head.headers;
    let want = accept_key(&key);
    let problem = if resp.head.status != 101 {
        Some(format!(
            "expected 101 Switching Protocols, got {}",
            resp.head.status
        ))
    } else if !h.has_token("upgrade", "websocket") || !h.has_token("connection", "upgrade") {
        Some("101 without `Upgrade: websocket` and `Connection: Upgrade`".into())
    } else if h.get("sec-websocket-accept") != Some(want.as_str()) {
        Some(format!(
            "wrong Sec-WebSocket-Accept for key {key}: expected {want}"
        ))
    } else {
        None
    };
    if let Some(p) = problem {
        return Err(fail(Failure::new(p).got(&resp.raw)));
    }
    let writer = s
        .try_clone()
        .map_err(|e| Failure::new(format!("cannot clone the socket: {e}")))?;
    Ok(WebSocket {
        stream: s,
        buf: pending,
        sender: Sender {
            inner: Arc::new(Mutex::new((writer, Rng::new()))),
        },
        partial: None,
        peer_close: None,
    })
}

impl WebSocket {
    pub fn sender(&self) -> Sender {
        self.sender.clone()
    }

    pub fn send_text(&self, text: &str) -> Result<(), Failure> {
        self.sender.send_text(text)
    }

    /// Sends a close frame with `code` and `reason`.
    pub fn close(&self, code: u16, reason: &str) -> Result<(), Failure> {
        self.sender
            .send_frame(true, OpCode::Close, &close::payload(code, reason))
    }

    /// The code and reason of the server's close frame, once received.
    pub fn peer_close(&self) -> Option<&(u16, String)> {
        self.peer_close.as_ref()
    }

    /// The next frame, strictly decoded; `Ok(None)` if TCP closed between
    /// frames.
    fn next_frame(&mut self) -> Result<Option<Frame>, Failure> {
        loop {
            match decode(&self.buf, Role::Client, MAX_MESSAGE) {
                Ok(Decoded::Frame(f, n)) => {
                    self.buf.drain(..n);
                    return Ok(Some(f));
                }
                Ok(Decoded::NeedMore { .. }) => {}
                Err(e) => {
                    return Err(
                        Failure::new(format!("the server sent an invalid frame: {e}"))
                            .got(&self.buf),
                    );
                }
            }
            match super::read_more(&mut self.stream, &mut self.buf) {
                Ok(0) if self.buf.is_empty() => return Ok(None),
                Ok(0) => {
                    return Err(
                        Failure::new("the server closed TCP in the middle of a frame")
                            .got(&self.buf),
                    );
                }
                Ok(_) => {}
                Err(e) => {
                    let t = Target::of(&self.stream);
                    return Err(Failure::new(format!(
                        "no message from the server: {}",
                        io_text(&e, &t)
                    )));
                }
            }
        }
    }

    /// The next whole message: `Ok(None)` once the server has closed
    /// (its close frame is in [`WebSocket::peer_close`]).
    pub fn read_message(&mut self) -> Result<Option<Message>, Failure> {
        for _ in 0..MAX_FRAMES_PER_MESSAGE {
            let Some(f) = self.next_frame()? else {
                return Ok(None);
            };
            let data = match (f.opcode, self.partial.take()) {
                (OpCode::Ping, p) => {
                    self.partial = p;
                    self.sender.send_frame(true, OpCode::Pong, &f.payload)?;
                    continue;
                }
                (OpCode::Pong, p) => {
                    self.partial = p;
                    continue;
                }
                (OpCode::Close, _) => {
                    let code = (f.payload.len() >= 2)
                        .then(|| u16::from_be_bytes([f.payload[0], f.payload[1]]));
                    let reason =
                        String::from_utf8_lossy(f.payload.get(2..).unwrap_or(b"")).into_owned();
                    self.peer_close = Some((code.unwrap_or(1005), reason));
                    let _ = self.close(code.unwrap_or(1000), "");
                    return Ok(None);
                }
                (OpCode::Text | OpCode::Binary, Some(_)) => {
                    return Err(Failure::new(
                        "a new message began inside a fragmented one (§5.4)",
                    ));
                }
                (OpCode::Continuation, None) => {
                    return Err(Failure::new(
                        "a continuation frame with nothing to continue (§5.4)",
                    ));
                }
                (OpCode::Continuation, Some((op, mut data))) => {
                    data.extend_from_slice(&f.payload);
                    (op, data)
                }
                (op, None) => (op, f.payload),
            };
            if data.1.len() as u64 > MAX_MESSAGE {
                return Err(Failure::new(format!("a message over {MAX_MESSAGE} bytes")));
            }
            if !f.fin {
                self.partial = Some(data);
                continue;
            }
            return match data {
                (OpCode::Text, bytes) => String::from_utf8(bytes)
                    .map(|s| Some(Message::Text(s)))
                    .map_err(|e| {
                        Failure::new("a text message that is not UTF-8 (§8.1)")
                            .got(e.as_bytes())
                            .at(e.utf8_error().valid_up_to())
                    }),
                (_, bytes) => Ok(Some(Message::Binary(bytes))),
            };
        }
        Err(Failure::new(format!(
            "{MAX_FRAMES_PER_MESSAGE} frames (pings, pongs, fragments) and no whole message"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_rfc_6455() {
        // The example of §1.3.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn frames_round_trip_at_every_length_form() {
        for len in [0, 1, 125, 126, 65535, 65536] {
            let payload = vec![7u8; len];
            let mut out = Vec::new();
            encode(true, OpCode::Binary, &payload, None, &mut out);
            for cut in [0, 1, out.len() - 1] {
                let d = decode(&out[..cut], Role::Client, MAX_MESSAGE);
                assert!(matches!(d, Ok(Decoded::NeedMore { .. })), "{len}: {d:?}");
            }
            let Ok(Decoded::Frame(f, n)) = decode(&out, Role::Client, MAX_MESSAGE) else {
                panic!("length {len}")
            };
            assert_eq!(
                (f.payload.len(), n, f.fin, f.opcode),
                (len, out.len(), true, OpCode::Binary)
            );
        }
    }

    #[test]
    fn a_masked_client_frame_unmasks() {
        let mut out = Vec::new();
        encode(
            true,
            OpCode::Text,
            b"Hello",
            Some([0x37, 0xfa, 0x21, 0x3d]),
            &mut out,
        );
        // §5.7: a masked "Hello".
        assert_eq!(
            out,
            [
                0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58
            ]
        );
    }

    #[test]
    fn what_a_server_must_not_send_is_refused() {
        for bad in [
            &[0x81u8, 0x81, 1, 2, 3, 4, 5][..],
            &[0xC1, 0x00],
            &[0x83, 0x00],
            &[0x09, 0x00],
            &[0x89, 0x7E, 0x00, 0x7E],
            &[0x82, 0x7E, 0x00, 0x05, 1, 2, 3, 4, 5],
            &[0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0],
        ] {
            assert!(decode(bad, Role::Client, MAX_MESSAGE).is_err(), "{bad:x?}");
        }
    }
}
