//! Exercise ch08_utf8_prefix: validating text that is still arriving (RFC 3629, RFC 6455 §8.1).
//! Reread chapters/08-websocket.md, "Messages: fragmentation (§5.4)".
//! The reference is `valid_utf8_prefix` in src/ch08_websocket/message.rs.

use crate::ch08_websocket::message::Violation;

/// How many leading bytes of `text` are known to be valid UTF-8, when more
/// bytes of the same message may follow.
///
/// * all valid: `Ok(text.len())`;
/// * valid, but the last character is cut short (its first bytes are
///   there, the rest may come in the next fragment): `Ok(where it starts)`;
/// * a byte sequence that no continuation can make valid: `Err` with close
///   code 1007, `Violation::new(1007, "...")`, at once.
///
/// Write the check by hand from RFC 3629 §4's table (no `std::str::from_utf8`):
///
/// ```text
/// 00-7F
/// C2-DF 80-BF
/// E0 A0-BF 80-BF | E1-EC 80-BF 80-BF | ED 80-9F 80-BF | EE-EF 80-BF 80-BF
/// F0 90-BF 80-BF 80-BF | F1-F3 80-BF 80-BF 80-BF | F4 80-8F 80-BF 80-BF
/// ```
///
/// So overlong forms (C0 80), surrogates (ED A0 80) and code points past
/// U+10FFFF (F4 90 80 80) are invalid, and the second byte already tells.
pub fn valid_utf8_prefix(text: &[u8]) -> Result<usize, Violation> {
    todo!("validate {} bytes", text.len())
}
