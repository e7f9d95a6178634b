//! What the bytes received so far amount to: frames decoded from a buffer
//! and fed to the [`Reassembler`], with text checked while a long frame is
//! still arriving (RFC 6455 §5.2, §5.6, §8.1).
//!
//! No I/O here: [`Incoming::next_frame`] looks at a slice of received
//! bytes and answers "need more", or "a frame, and this many bytes used",
//! or a violation with its close code; [`Incoming::assemble`] turns the
//! frame into an event. The blocking [`WebSocket`] calls them
//! between reads; any other way of getting bytes (tests feed slices) can
//! call them just the same.
//!
//! [`WebSocket`]: super::WebSocket

use super::config::Config;
use super::frame::{self, Decoded, Frame, Role};
use super::message::{Event, Reassembler, Violation, valid_utf8_prefix};

/// One step of [`Incoming::next_frame`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Not a whole frame yet. `frame_len`, once the header is in, is the
    /// size of the whole frame, so a reader knows how much room it needs.
    NeedMore { frame_len: Option<usize> },
    /// A whole frame, and how many bytes of the input it used.
    Frame(Frame, usize),
}

/// The receiving side of one connection, without the socket.
#[derive(Debug)]
pub struct Incoming {
    role: Role,
    frame_limit: u64,
    messages: Reassembler,
    /// Payload bytes of the incomplete text frame at the start of the
    /// input already known to be valid UTF-8.
    text_checked: usize,
}

impl Incoming {
    /// `role` is ours: a server reads masked frames, a client unmasked.
    pub fn new(role: Role, config: &Config) -> Incoming {
        Incoming {
            role,
            frame_limit: config.frame_limit(),
            messages: Reassembler::new(config.max_message),
            text_checked: 0,
        }
    }

    /// Decodes the frame at the start of `buf`. Between two calls the
    /// caller either keeps `buf`'s unused bytes in front (after
    /// `NeedMore`, with more bytes behind them) or drops the bytes used.
    pub fn next_frame(&mut self, buf: &[u8]) -> Result<Step, Violation> {
        match frame::decode(buf, self.role, self.frame_limit) {
            Err(e) => Err(Violation::new(e.close_code(), e.to_string())),
            Ok(Decoded::NeedMore { frame_len }) => {
                if frame_len.is_some() {
                    self.check_arriving_text(buf)?;
                }
                Ok(Step::NeedMore { frame_len })
            }
            Ok(Decoded::Frame(f, used)) => {
                self.text_checked = 0;
                Ok(Step::Frame(f, used))
            }
        }
    }

    /// Feeds a frame from [`Incoming::next_frame`] to the reassembler.
    pub fn assemble(&mut self, frame: Frame) -> Result<Event, Violation> {
        self.messages.push(frame)
    }

    /// Checks the part of a text frame that has arrived so far, so that
    /// invalid UTF-8 fails the connection (1007) as soon as it arrives,
    /// not once the whole frame (up to [`Config::frame_limit`]) is in: the
    /// frame-level twin of the reassembler's check across fragments. Only
    /// the bytes that arrived since the last look are unmasked (into a
    /// copy) and checked.
    fn check_arriving_text(&mut self, pending: &[u8]) -> Result<(), Violation> {
        let Ok(Some(h)) = frame::parse_header(pending, self.role, self.frame_limit) else {
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
        let valid = valid_utf8_prefix(&text)?;
        self.text_checked = (done + valid).saturating_sub(carried);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch08_websocket::frame::OpCode;
    use crate::ch08_websocket::message::Message;
    use crate::rng::Rng;

    fn all_events(input: &[u8], max_piece: usize) -> Result<Vec<Event>, Violation> {
        // Feeds `input` as if it arrived in pieces of at most `max_piece`.
        let mut rng = Rng::new();
        let mut inc = Incoming::new(Role::Server, &Config::default());
        let (mut buf, mut fed, mut events) = (Vec::new(), 0, Vec::new());
        loop {
            match inc.next_frame(&buf)? {
                Step::Frame(f, used) => {
                    buf.drain(..used);
                    events.push(inc.assemble(f)?);
                }
                Step::NeedMore { .. } if fed == input.len() => return Ok(events),
                Step::NeedMore { .. } => {
                    let n = rng.range(1, max_piece).min(input.len() - fed);
                    buf.extend_from_slice(&input[fed..fed + n]);
                    fed += n;
                }
            }
        }
    }

    #[test]
    fn a_fragmented_message_with_a_ping_between_survives_any_split() {
        let mut input = Vec::new();
        frame::encode(false, OpCode::Text, b"Hel", Some([1, 2, 3, 4]), &mut input);
        frame::encode(true, OpCode::Ping, b"p", Some([5, 6, 7, 8]), &mut input);
        frame::encode(true, OpCode::Continuation, b"lo", Some([9; 4]), &mut input);
        for piece in [2, 3, 50] {
            let events = all_events(&input, piece).unwrap();
            assert_eq!(
                events,
                [
                    Event::Fragment,
                    Event::Ping(b"p".to_vec()),
                    Event::Message(Message::Text("Hello".into()))
                ]
            );
        }
    }

    #[test]
    fn invalid_text_fails_before_its_long_frame_is_whole() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let mut input = Vec::new();
        frame::encode_header(true, OpCode::Text, Some(key), 100_000, &mut input);
        let start = input.len();
        input.extend_from_slice(b"abc\xed\xa0\x80 more");
        frame::apply_mask(&mut input[start..], key);
        let err = all_events(&input, 3).unwrap_err();
        assert_eq!(err.code, 1007);
    }

    #[test]
    fn a_header_over_the_limit_is_1009_and_an_unmasked_frame_1002() {
        let mut inc = Incoming::new(Role::Server, &Config::default());
        let mut big = vec![0x82, 0xFF];
        big.extend_from_slice(&(1u64 << 40).to_be_bytes());
        assert_eq!(inc.next_frame(&big).unwrap_err().code, 1009);
        assert_eq!(inc.next_frame(&[0x81, 0x01, b'x']).unwrap_err().code, 1002);
    }
}
