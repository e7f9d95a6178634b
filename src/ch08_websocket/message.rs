//! From frames to messages (RFC 6455 §5.4, §5.6): fragments reassembled,
//! control frames let through between them, text checked as UTF-8 while it
//! arrives, and a limit on the size of a whole message.

use std::fmt;

use super::close;
use super::frame::{Frame, OpCode};

/// A data message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Text(String),
    Binary(Vec<u8>),
}

impl Message {
    pub fn len(&self) -> usize {
        match self {
            Message::Text(s) => s.len(),
            Message::Binary(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `"text"` or `"binary"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Message::Text(_) => "text",
            Message::Binary(_) => "binary",
        }
    }
}

/// What one frame amounts to once reassembly has seen it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A fragment was stored; the message is not complete yet.
    Fragment,
    Message(Message),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// The peer's close frame, already validated.
    Close(Option<(u16, String)>),
}

/// A reason to fail the connection, with the close code to send (§7.1.7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub code: u16,
    pub reason: String,
}

impl Violation {
    pub fn new(code: u16, reason: impl Into<String>) -> Violation {
        Violation {
            code,
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.reason, self.code)
    }
}

impl std::error::Error for Violation {}

/// Reassembles the frames of one direction of a connection.
#[derive(Debug)]
pub struct Reassembler {
    /// The type of the message being reassembled, if one is.
    current: Option<OpCode>,
    buf: Vec<u8>,
    /// How much of `buf` is known to be valid UTF-8 (text only): bytes past
    /// it are at most an incomplete character split by a fragment boundary.
    utf8_checked: usize,
    max_message: usize,
}

impl Reassembler {
    pub fn new(max_message: usize) -> Reassembler {
        Reassembler {
            current: None,
            buf: Vec::new(),
            utf8_checked: 0,
            max_message,
        }
    }

    /// Whether a fragmented message has started and not finished.
    pub fn in_message(&self) -> bool {
        self.current.is_some()
    }

    /// If a frame with `opcode` would carry text: the bytes it continues,
    /// i.e. the end of the text so far that is not yet known to be valid
    /// (at most an incomplete character; empty for a new message). `None`
    /// if such a frame is not text. Lets a reader check a text frame's
    /// bytes while they arrive, before the frame is whole.
    pub fn text_tail(&self, opcode: OpCode) -> Option<&[u8]> {
        match (opcode, self.current) {
            (OpCode::Text, None) => Some(&[]),
            (OpCode::Continuation, Some(OpCode::Text)) => Some(&self.buf[self.utf8_checked..]),
            _ => None,
        }
    }

    /// Feeds one frame (already checked by the frame codec).
    pub fn push(&mut self, frame: Frame) -> Result<Event, Violation> {
        let proto = |why: &str| Err(Violation::new(close::PROTOCOL_ERROR, why));
        match frame.opcode {
            OpCode::Ping => Ok(Event::Ping(frame.payload)),
            OpCode::Pong => Ok(Event::Pong(frame.payload)),
            OpCode::Close => match close::parse_payload(&frame.payload) {
                Ok(c) => Ok(Event::Close(c)),
                Err(e) => Err(Violation::new(e.close_code(), e.to_string())),
            },
            OpCode::Text | OpCode::Binary if self.current.is_some() => {
                proto("new data frame inside a fragmented message")
            }
            OpCode::Continuation if self.current.is_none() => {
                proto("continuation frame with no message to continue")
            }
            OpCode::Text | OpCode::Binary if frame.fin => {
                // The common case, a message in one frame: no copy.
                self.check_size(frame.payload.len())?;
                finish(frame.opcode, frame.payload)
            }
            OpCode::Text | OpCode::Binary => {
                self.check_size(frame.payload.len())?;
                self.current = Some(frame.opcode);
                self.buf = frame.payload;
                self.utf8_checked = 0;
                self.check_utf8_so_far()?;
                Ok(Event::Fragment)
            }
            OpCode::Continuation => {
                self.check_size(self.buf.len() + frame.payload.len())?;
                self.buf.extend_from_slice(&frame.payload);
                self.check_utf8_so_far()?;
                if !frame.fin {
                    return Ok(Event::Fragment);
                }
                let opcode = self.current.take().expect("in a message");
                finish(opcode, std::mem::take(&mut self.buf))
            }
        }
    }

    fn check_size(&self, len: usize) -> Result<(), Violation> {
        if len > self.max_message {
            return Err(Violation::new(
                close::MESSAGE_TOO_BIG,
                format!("message larger than {} bytes", self.max_message),
            ));
        }
        Ok(())
    }

    /// Validates the text received so far, from where the last check
    /// stopped: invalid bytes fail at once (1007), without waiting for the
    /// last fragment; an incomplete character at the end waits for the next.
    fn check_utf8_so_far(&mut self) -> Result<(), Violation> {
        if self.current != Some(OpCode::Text) {
            return Ok(());
        }
        self.utf8_checked += valid_utf8_prefix(&self.buf[self.utf8_checked..])?;
        Ok(())
    }
}

/// How many leading bytes of `text` (text that may continue) are known to
/// be valid UTF-8. An invalid sequence is a violation (1007) at once; an
/// incomplete character at the end is not, yet: the next bytes may
/// complete it.
pub fn valid_utf8_prefix(text: &[u8]) -> Result<usize, Violation> {
    exercise!(
        "ex_ch08_utf8_prefix",
        ch08_utf8_prefix::valid_utf8_prefix(text)
    );
    match std::str::from_utf8(text) {
        Ok(_) => Ok(text.len()),
        Err(e) if e.error_len().is_none() => Ok(e.valid_up_to()),
        Err(_) => Err(invalid_utf8()),
    }
}

fn invalid_utf8() -> Violation {
    Violation::new(close::INVALID_PAYLOAD, "text message is not valid UTF-8")
}

fn finish(opcode: OpCode, payload: Vec<u8>) -> Result<Event, Violation> {
    Ok(Event::Message(match opcode {
        OpCode::Text => Message::Text(String::from_utf8(payload).map_err(|_| invalid_utf8())?),
        _ => Message::Binary(payload),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frag(fin: bool, opcode: OpCode, payload: &[u8]) -> Frame {
        Frame {
            fin,
            opcode,
            payload: payload.to_vec(),
        }
    }

    #[test]
    fn fragments_with_control_frames_between() {
        let mut r = Reassembler::new(1000);
        assert_eq!(
            r.push(frag(false, OpCode::Text, b"Hel")),
            Ok(Event::Fragment)
        );
        assert_eq!(
            r.push(frag(true, OpCode::Ping, b"p")),
            Ok(Event::Ping(b"p".to_vec()))
        );
        assert_eq!(
            r.push(frag(false, OpCode::Continuation, b"l")),
            Ok(Event::Fragment)
        );
        assert_eq!(
            r.push(frag(true, OpCode::Continuation, b"o")),
            Ok(Event::Message(Message::Text("Hello".into())))
        );
        assert!(!r.in_message());
        assert_eq!(
            r.push(frag(true, OpCode::Binary, &[1, 2])),
            Ok(Event::Message(Message::Binary(vec![1, 2])))
        );
    }

    #[test]
    fn continuation_errors_are_1002() {
        let mut r = Reassembler::new(1000);
        assert_eq!(
            r.push(frag(true, OpCode::Continuation, b"x"))
                .unwrap_err()
                .code,
            1002
        );
        let mut r = Reassembler::new(1000);
        r.push(frag(false, OpCode::Binary, b"x")).unwrap();
        assert_eq!(
            r.push(frag(true, OpCode::Text, b"y")).unwrap_err().code,
            1002
        );
    }

    #[test]
    fn utf8_split_at_every_byte_offset() {
        let text = "aé€😀 mixed: ü日本語🎉z";
        let bytes = text.as_bytes();
        for cut in 0..=bytes.len() {
            for cut2 in cut..=bytes.len() {
                let mut r = Reassembler::new(1000);
                r.push(frag(false, OpCode::Text, &bytes[..cut])).unwrap();
                r.push(frag(false, OpCode::Continuation, &bytes[cut..cut2]))
                    .unwrap();
                assert_eq!(
                    r.push(frag(true, OpCode::Continuation, &bytes[cut2..])),
                    Ok(Event::Message(Message::Text(text.into()))),
                    "cuts at {cut}, {cut2}"
                );
            }
        }
    }

    #[test]
    fn invalid_utf8_fails_fast_with_1007() {
        // The invalid byte is in the first fragment: no need to wait.
        let mut r = Reassembler::new(1000);
        assert_eq!(
            r.push(frag(false, OpCode::Text, b"ok\xff"))
                .unwrap_err()
                .code,
            1007
        );
        // A character cut at the end is fine until the message ends there.
        let mut r = Reassembler::new(1000);
        r.push(frag(false, OpCode::Text, "€".as_bytes().get(..2).unwrap()))
            .unwrap();
        assert_eq!(
            r.push(frag(true, OpCode::Continuation, b""))
                .unwrap_err()
                .code,
            1007
        );
        // Overlong encodings and surrogates are not UTF-8 either.
        for bad in [&b"\xc0\xaf"[..], b"\xed\xa0\x80", b"\xf4\x90\x80\x80"] {
            let mut r = Reassembler::new(1000);
            assert_eq!(
                r.push(frag(true, OpCode::Text, bad)).unwrap_err().code,
                1007
            );
        }
        // Binary messages are not checked.
        let mut r = Reassembler::new(1000);
        assert!(r.push(frag(true, OpCode::Binary, b"\xff")).is_ok());
    }

    #[test]
    fn message_size_limit_is_1009() {
        let mut r = Reassembler::new(10);
        r.push(frag(false, OpCode::Binary, &[0; 6])).unwrap();
        assert_eq!(
            r.push(frag(true, OpCode::Continuation, &[0; 5]))
                .unwrap_err()
                .code,
            1009
        );
        let mut r = Reassembler::new(10);
        assert!(r.push(frag(true, OpCode::Binary, &[0; 10])).is_ok());
        assert_eq!(
            r.push(frag(true, OpCode::Binary, &[0; 11]))
                .unwrap_err()
                .code,
            1009
        );
    }

    #[test]
    fn close_payload_is_validated() {
        let mut r = Reassembler::new(10);
        assert_eq!(
            r.push(frag(true, OpCode::Close, b"\x03\xe8")),
            Ok(Event::Close(Some((1000, String::new()))))
        );
        assert_eq!(
            r.push(frag(true, OpCode::Close, b"\x13\x88"))
                .unwrap_err()
                .code,
            1002
        );
    }
}
