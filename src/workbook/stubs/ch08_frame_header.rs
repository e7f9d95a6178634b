//! Exercise ch08_frame_header: a frame header on the wire (RFC 6455 §5.2).
//! Reread chapters/08-websocket.md, "Frames (§5)" and "A codec without I/O".
//! The reference is `encode_header` in src/ch08_websocket/frame.rs.

use crate::ch08_websocket::frame::OpCode;

/// Appends a frame header to `out`:
///
/// ```text
/// byte 0: FIN (0x80) | RSV1-3 (0) | opcode (4 bits, `opcode.as_u8()`)
/// byte 1: MASK (0x80 if a key is given) | payload length, 7 bits
///   len < 126:          the length itself
///   len <= 65535:       126, then the length as 2 bytes, big-endian
///   longer:             127, then the length as 8 bytes, big-endian
/// then the 4-byte masking key, if any.
/// ```
///
/// §5.2: "the minimal number of bytes MUST be used to encode the length".
/// The payload itself is not written here.
pub fn encode_header(
    fin: bool,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    len: usize,
    out: &mut Vec<u8>,
) {
    todo!("write the header of a {len}-byte frame")
}
