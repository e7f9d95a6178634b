//! The frame codec (RFC 6455 §5), free of I/O: bytes in, "need more /
//! a frame and how many bytes it used / a protocol error" out, so the tests
//! run on byte slices and the same code serves any socket.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-------+-+-------------+-------------------------------+
//! |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
//! |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
//! |N|V|V|V|       |S|             |   (if payload len==126/127)   |
//! | |1|2|3|       |K|             |                               |
//! +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
//! |     Extended payload length continued, if payload len == 127  |
//! + - - - - - - - - - - - - - - - +-------------------------------+
//! |                               |Masking-key, if MASK set to 1  |
//! +-------------------------------+-------------------------------+
//! | Masking-key (continued)       |          Payload Data         |
//! +-------------------------------- - - - - - - - - - - - - - - - +
//! ```

use std::fmt;

/// What a frame carries (§5.2, §11.8). 3–7 and 0xB–0xF are reserved: a
/// frame that uses one fails the connection.
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
    pub fn from_u8(b: u8) -> Option<OpCode> {
        Some(match b {
            0x0 => OpCode::Continuation,
            0x1 => OpCode::Text,
            0x2 => OpCode::Binary,
            0x8 => OpCode::Close,
            0x9 => OpCode::Ping,
            0xA => OpCode::Pong,
            _ => return None,
        })
    }

    pub fn as_u8(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }

    /// Control frames (close, ping, pong) have the high opcode bit set
    /// (§5.5): at most 125 bytes of payload, never fragmented, and allowed
    /// between the fragments of a message.
    pub fn is_control(self) -> bool {
        self.as_u8() & 0x8 != 0
    }

    pub fn name(self) -> &'static str {
        match self {
            OpCode::Continuation => "cont",
            OpCode::Text => "text",
            OpCode::Binary => "binary",
            OpCode::Close => "close",
            OpCode::Ping => "ping",
            OpCode::Pong => "pong",
        }
    }
}

/// Which end of the connection runs this code. Client-to-server frames
/// MUST be masked and server-to-client frames MUST NOT be (§5.1); each side
/// fails the connection when the other breaks that rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Server,
    Client,
}

/// Largest payload of a control frame (§5.5): its length fits in the 7 bits.
pub const MAX_CONTROL_PAYLOAD: usize = 125;

/// Largest frame header: 2 bytes, 8 of extended length, 4 of mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// Why the bytes can never be a valid frame. Each maps to the close code
/// that fails the connection (§7.4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// RSV1–3 set, but no extension was negotiated that gives them meaning.
    ReservedBits(u8),
    /// Opcode 3–7 or 0xB–0xF.
    ReservedOpcode(u8),
    /// A client frame without a mask (we are the server).
    Unmasked,
    /// A server frame with a mask (we are the client).
    Masked,
    /// A control frame with FIN clear.
    FragmentedControl,
    /// A control frame longer than 125 bytes.
    ControlTooLong(u64),
    /// A 64-bit length with the most significant bit set (§5.2).
    LengthTopBit,
    /// A payload larger than this endpoint accepts: 1009, decided from the
    /// header alone, before a byte of it is stored.
    TooBig { len: u64, limit: u64 },
}

impl ProtocolError {
    /// The close code that reports this error to the peer.
    pub fn close_code(&self) -> u16 {
        match self {
            ProtocolError::TooBig { .. } => super::close::MESSAGE_TOO_BIG,
            _ => super::close::PROTOCOL_ERROR,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::ReservedBits(b) => write!(f, "reserved bits {b:#05b} set"),
            ProtocolError::ReservedOpcode(op) => write!(f, "reserved opcode {op:#x}"),
            ProtocolError::Unmasked => f.write_str("client frame not masked"),
            ProtocolError::Masked => f.write_str("server frame masked"),
            ProtocolError::FragmentedControl => f.write_str("fragmented control frame"),
            ProtocolError::ControlTooLong(n) => write!(f, "control frame of {n} bytes (max 125)"),
            ProtocolError::LengthTopBit => f.write_str("64-bit length with the top bit set"),
            ProtocolError::TooBig { len, limit } => {
                write!(f, "frame of {len} bytes (limit {limit})")
            }
        }
    }
}

impl std::error::Error for ProtocolError {}

/// A frame header as decoded from the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub fin: bool,
    pub opcode: OpCode,
    pub mask: Option<[u8; 4]>,
    pub payload_len: u64,
    /// Bytes the header took (2 to 14).
    pub header_len: usize,
}

/// Parses a frame header from the start of `buf`. `Ok(None)`: more bytes
/// are needed. Every rule that can be decided from the first two bytes is
/// checked before waiting for the rest, so a bad frame fails at once.
/// `max_payload` bounds the declared length (→ 1009) so that a reader never
/// reserves memory for a length it will not accept.
pub fn parse_header(
    buf: &[u8],
    role: Role,
    max_payload: u64,
) -> Result<Option<Header>, ProtocolError> {
    let [b0, b1, ..] = *buf else {
        return Ok(None);
    };
    let fin = b0 & 0x80 != 0;
    let rsv = (b0 >> 4) & 0x7;
    if rsv != 0 {
        return Err(ProtocolError::ReservedBits(rsv));
    }
    let opcode = OpCode::from_u8(b0 & 0x0F).ok_or(ProtocolError::ReservedOpcode(b0 & 0x0F))?;
    if opcode.is_control() && !fin {
        return Err(ProtocolError::FragmentedControl);
    }
    let masked = b1 & 0x80 != 0;
    match (role, masked) {
        (Role::Server, false) => return Err(ProtocolError::Unmasked),
        (Role::Client, true) => return Err(ProtocolError::Masked),
        _ => {}
    }
    let len7 = b1 & 0x7F;
    if opcode.is_control() && len7 as usize > MAX_CONTROL_PAYLOAD {
        // 126 and 127 announce an extended length: already too long.
        return Err(ProtocolError::ControlTooLong(len7 as u64));
    }
    let (payload_len, mut pos) = match len7 {
        126 => {
            let Some(b) = buf.get(2..4) else {
                return Ok(None);
            };
            (u16::from_be_bytes([b[0], b[1]]) as u64, 4)
        }
        127 => {
            let Some(b) = buf.get(2..10) else {
                return Ok(None);
            };
            let n = u64::from_be_bytes(b.try_into().expect("8 bytes"));
            if n >> 63 != 0 {
                return Err(ProtocolError::LengthTopBit);
            }
            (n, 10)
        }
        n => (n as u64, 2),
    };
    if payload_len > max_payload {
        return Err(ProtocolError::TooBig {
            len: payload_len,
            limit: max_payload,
        });
    }
    let mask = if masked {
        let Some(k) = buf.get(pos..pos + 4) else {
            return Ok(None);
        };
        pos += 4;
        Some([k[0], k[1], k[2], k[3]])
    } else {
        None
    };
    Ok(Some(Header {
        fin,
        opcode,
        mask,
        payload_len,
        header_len: pos,
    }))
}

/// One frame, payload already unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: OpCode,
    pub payload: Vec<u8>,
}

impl Frame {
    pub fn new(opcode: OpCode, payload: impl Into<Vec<u8>>) -> Frame {
        Frame {
            fin: true,
            opcode,
            payload: payload.into(),
        }
    }

    /// Appends the frame as it goes on the wire (see [`encode`]).
    pub fn encode(&self, mask: Option<[u8; 4]>, out: &mut Vec<u8>) {
        encode(self.fin, self.opcode, &self.payload, mask, out);
    }
}

/// The outcome of [`decode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// Not a whole frame yet. `frame_len` is the whole frame's size once the
    /// header is complete, so a reader can read exactly that much.
    NeedMore { frame_len: Option<usize> },
    /// A frame, and how many bytes of the input it used.
    Frame(Frame, usize),
}

/// Decodes one frame from the start of `buf` and unmasks its payload.
pub fn decode(buf: &[u8], role: Role, max_payload: u64) -> Result<Decoded, ProtocolError> {
    let Some(h) = parse_header(buf, role, max_payload)? else {
        return Ok(Decoded::NeedMore { frame_len: None });
    };
    // payload_len <= max_payload, which the caller chose to fit in memory.
    let total = h.header_len + h.payload_len as usize;
    if buf.len() < total {
        return Ok(Decoded::NeedMore {
            frame_len: Some(total),
        });
    }
    let payload = match h.mask {
        Some(key) => masked_copy(&buf[h.header_len..total], key),
        None => buf[h.header_len..total].to_vec(),
    };
    Ok(Decoded::Frame(
        Frame {
            fin: h.fin,
            opcode: h.opcode,
            payload,
        },
        total,
    ))
}

/// XORs `data` with the 4-byte masking key, repeated (§5.3). Masking and
/// unmasking are the same operation.
///
/// Byte by byte this is the hottest loop of a WebSocket server; here the key
/// is repeated into a 64-bit word and the data is XORed 8 bytes at a time
/// (the compiler turns the loop into SIMD). The tail shorter than 8 bytes
/// is done byte by byte; since 8 is a multiple of 4, the key's phase at the
/// tail is the same as at the start.
pub fn apply_mask(data: &mut [u8], key: [u8; 4]) {
    let word = key_word(key);
    let mut chunks = data.chunks_exact_mut(8);
    for c in &mut chunks {
        let v = u64::from_ne_bytes((&*c).try_into().expect("8 bytes")) ^ word;
        c.copy_from_slice(&v.to_ne_bytes());
    }
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}

/// The masking key repeated into a 64-bit word, to XOR 8 bytes at a time.
fn key_word(key: [u8; 4]) -> u64 {
    u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ])
}

/// A copy of `src` with the mask applied: copying and unmasking in one
/// pass over the bytes, where `to_vec` and then [`apply_mask`] would make
/// two (for a 64 KiB payload, about half the time).
pub fn masked_copy(src: &[u8], key: [u8; 4]) -> Vec<u8> {
    let word = key_word(key);
    let mut out = Vec::with_capacity(src.len());
    let mut chunks = src.chunks_exact(8);
    out.extend(
        chunks.by_ref().flat_map(|c| {
            (u64::from_ne_bytes(c.try_into().expect("8 bytes")) ^ word).to_ne_bytes()
        }),
    );
    let tail = chunks.remainder().iter().enumerate();
    out.extend(tail.map(|(i, b)| b ^ key[i & 3]));
    out
}

/// Appends a frame header: FIN, opcode, the mask bit, the length in the
/// shortest of the 7/16/64-bit forms (§5.2: "the minimal number of bytes
/// MUST be used"), and the key.
pub fn encode_header(
    fin: bool,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    len: usize,
    out: &mut Vec<u8>,
) {
    exercise!(
        "ex_ch08_frame_header",
        ch08_frame_header::encode_header(fin, opcode, mask, len, out)
    );
    out.push(if fin { 0x80 } else { 0 } | opcode.as_u8());
    let m = if mask.is_some() { 0x80 } else { 0 };
    if len < 126 {
        out.push(m | len as u8);
    } else if len <= u16::MAX as usize {
        out.push(m | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(m | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    if let Some(k) = mask {
        out.extend_from_slice(&k);
    }
}

/// Appends a whole frame, header then payload (masked with `mask` if
/// given: clients must, servers must not).
pub fn encode(fin: bool, opcode: OpCode, payload: &[u8], mask: Option<[u8; 4]>, out: &mut Vec<u8>) {
    out.reserve(MAX_HEADER_LEN + payload.len());
    encode_header(fin, opcode, mask, payload.len(), out);
    let start = out.len();
    out.extend_from_slice(payload);
    if let Some(k) = mask {
        apply_mask(&mut out[start..], k);
    }
}

/// One line for `--trace`: `FIN text masked len=5 "hello"`.
pub fn describe(fin: bool, opcode: OpCode, masked: bool, payload: &[u8]) -> String {
    let mut s = format!(
        "{} {}{} len={}",
        if fin { "FIN" } else { "---" },
        opcode.name(),
        if masked { " masked" } else { "" },
        payload.len()
    );
    if opcode == OpCode::Close && payload.len() >= 2 {
        let code = u16::from_be_bytes([payload[0], payload[1]]);
        s.push_str(&format!(
            " code={code} \"{}\"",
            crate::trace::preview(&payload[2..], 40)
        ));
    } else if !payload.is_empty() {
        s.push_str(&format!(" \"{}\"", crate::trace::preview(payload, 40)));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    const BIG: u64 = 1 << 20;

    fn roundtrip(role_of_sender: Role, opcode: OpCode, payload: &[u8]) {
        let mask = match role_of_sender {
            Role::Client => Some([0x37, 0xfa, 0x21, 0x3d]),
            Role::Server => None,
        };
        let mut wire = Vec::new();
        encode(true, opcode, payload, mask, &mut wire);
        let receiver = match role_of_sender {
            Role::Client => Role::Server,
            Role::Server => Role::Client,
        };
        // Every strict prefix needs more; the whole thing is one frame.
        for cut in [0, 1, wire.len() / 2, wire.len() - 1] {
            if cut < wire.len() {
                assert!(
                    matches!(
                        decode(&wire[..cut], receiver, BIG),
                        Ok(Decoded::NeedMore { .. })
                    ),
                    "len {} cut {cut}",
                    payload.len()
                );
            }
        }
        wire.extend_from_slice(b"next");
        match decode(&wire, receiver, BIG).unwrap() {
            Decoded::Frame(f, used) => {
                assert_eq!(used, wire.len() - 4);
                assert!(f.fin);
                assert_eq!(f.opcode, opcode);
                assert_eq!(f.payload, payload);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rfc_examples() {
        // §5.7: a single-frame unmasked text message "Hello"...
        let unmasked = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
        let mut out = Vec::new();
        encode(true, OpCode::Text, b"Hello", None, &mut out);
        assert_eq!(out, unmasked);
        // ...and the same masked with key 37 fa 21 3d.
        let masked = [
            0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
        ];
        out.clear();
        encode(
            true,
            OpCode::Text,
            b"Hello",
            Some([0x37, 0xfa, 0x21, 0x3d]),
            &mut out,
        );
        assert_eq!(out, masked);
        assert_eq!(
            decode(&masked, Role::Server, BIG).unwrap(),
            Decoded::Frame(Frame::new(OpCode::Text, &b"Hello"[..]), 11)
        );
        // A fragmented unmasked text message: "Hel" then "lo".
        let first = [0x01, 0x03, 0x48, 0x65, 0x6c];
        let Decoded::Frame(f, 5) = decode(&first, Role::Client, BIG).unwrap() else {
            panic!()
        };
        assert!(!f.fin && f.opcode == OpCode::Text && f.payload == b"Hel");
        // 256 bytes binary in a single unmasked frame: 16-bit length.
        out.clear();
        encode(true, OpCode::Binary, &[0u8; 256], None, &mut out);
        assert_eq!(out[..4], [0x82, 0x7E, 0x01, 0x00]);
        // 64 KiB: 64-bit length.
        out.clear();
        encode(true, OpCode::Binary, &[0u8; 65536], None, &mut out);
        assert_eq!(
            out[..10],
            [0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00]
        );
    }

    #[test]
    fn every_length_boundary_round_trips() {
        let mut rng = Rng::new();
        for len in [0, 1, 125, 126, 127, 65535, 65536, 65537] {
            let payload = rng.bytes(len);
            roundtrip(Role::Client, OpCode::Binary, &payload);
            roundtrip(Role::Server, OpCode::Binary, &payload);
        }
    }

    #[test]
    fn lengths_use_the_shortest_form() {
        for (len, header) in [(0, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)] {
            let mut out = Vec::new();
            encode_header(true, OpCode::Binary, None, len, &mut out);
            assert_eq!(out.len(), header, "len {len}");
            let h = parse_header(&out, Role::Client, BIG).unwrap().unwrap();
            assert_eq!(h.payload_len, len as u64);
            assert_eq!(h.header_len, header);
        }
    }

    #[test]
    fn masking_matches_the_byte_by_byte_definition() {
        let mut rng = Rng::new();
        for len in 0..40 {
            let data = rng.bytes(len);
            let key = [rng.next_u32() as u8, 1, 0xff, 0x80];
            let mut fast = data.clone();
            apply_mask(&mut fast, key);
            let slow: Vec<u8> = data
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[i % 4])
                .collect();
            assert_eq!(fast, slow, "len {len}");
            assert_eq!(masked_copy(&data, key), slow, "len {len}");
            apply_mask(&mut fast, key);
            assert_eq!(fast, data, "masking twice restores the data");
        }
    }

    fn err(bytes: &[u8], role: Role) -> ProtocolError {
        match decode(bytes, role, BIG) {
            Err(e) => e,
            other => panic!("{bytes:x?}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn each_protocol_error() {
        let k = [0, 0, 0, 0];
        for rsv in [0x40u8, 0x20, 0x10, 0x70] {
            assert_eq!(
                err(&[0x81 | rsv, 0x80], Role::Server),
                ProtocolError::ReservedBits(rsv >> 4)
            );
        }
        for op in [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF] {
            assert_eq!(
                err(&[0x80 | op, 0x80], Role::Server),
                ProtocolError::ReservedOpcode(op)
            );
        }
        assert_eq!(err(&[0x81, 0x00], Role::Server), ProtocolError::Unmasked);
        assert_eq!(err(&[0x81, 0x80], Role::Client), ProtocolError::Masked);
        assert_eq!(
            err(&[0x09, 0x80], Role::Server),
            ProtocolError::FragmentedControl
        );
        assert_eq!(
            err(&[0x89, 0x80 | 126, 0, 126], Role::Server),
            ProtocolError::ControlTooLong(126)
        );
        let mut top = vec![0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0];
        top.extend_from_slice(&k);
        assert_eq!(err(&top, Role::Server), ProtocolError::LengthTopBit);
        // 2 GiB declared: refused from the header, nothing allocated.
        let mut huge = vec![0x82, 0xFF, 0, 0, 0, 0, 0x80, 0, 0, 0];
        huge.extend_from_slice(&k);
        let e = err(&huge, Role::Server);
        assert_eq!(
            e,
            ProtocolError::TooBig {
                len: 1 << 31,
                limit: BIG
            }
        );
        assert_eq!(e.close_code(), 1009);
        assert_eq!(ProtocolError::Unmasked.close_code(), 1002);
    }

    #[test]
    fn errors_are_found_before_the_rest_arrives() {
        // Two bytes are enough to reject a reserved opcode, even though the
        // header announces a 64-bit length that has not arrived.
        assert!(decode(&[0x83, 0xFF], Role::Server, BIG).is_err());
        // A valid start needs more.
        assert_eq!(
            decode(&[0x82, 0xFF, 0], Role::Server, BIG),
            Ok(Decoded::NeedMore { frame_len: None })
        );
        assert_eq!(
            decode(&[0x82, 0x85, 1, 2, 3, 4, 0], Role::Server, BIG),
            Ok(Decoded::NeedMore {
                frame_len: Some(11)
            })
        );
    }

    #[test]
    fn random_bytes_never_panic_and_never_overrun() {
        let mut rng = Rng::new();
        for _ in 0..20_000 {
            let len = rng.range(0, 40);
            let mut bytes = rng.bytes(len);
            // Bias towards plausible headers so that deeper paths run too.
            if len > 1 && rng.below(2) == 0 {
                bytes[0] = 0x80 | [0, 1, 2, 8, 9, 10][rng.below(6) as usize];
                bytes[1] = (bytes[1] & 0x7f) | if rng.below(2) == 0 { 0x80 } else { 0 };
            }
            for role in [Role::Server, Role::Client] {
                match decode(&bytes, role, 30) {
                    Ok(Decoded::Frame(f, used)) => {
                        assert!(used <= bytes.len());
                        assert!(f.payload.len() <= 30);
                    }
                    Ok(Decoded::NeedMore { frame_len }) => {
                        assert!(
                            frame_len.is_none_or(|n| n > bytes.len() && n <= 30 + MAX_HEADER_LEN)
                        );
                    }
                    Err(_) => {}
                }
            }
        }
    }

    #[test]
    fn trace_line_describes_the_frame() {
        assert_eq!(
            describe(true, OpCode::Text, true, b"hello"),
            "FIN text masked len=5 \"hello\""
        );
        assert_eq!(
            describe(true, OpCode::Close, false, b"\x03\xe8bye"),
            "FIN close len=5 code=1000 \"bye\""
        );
    }
}
