//! Exercise ch01_read_name: a name with compression pointers (RFC 1035 §4.1.4).
//! Reread chapters/01-sockets.md, "DNS: from a name to an address" and
//! "Untrusted bytes".
//! The reference is `read_name` in src/ch01_sockets/dns.rs.

use crate::ch01_sockets::dns::DnsError;

/// Reads the name that starts at offset `at` of `msg`. Returns it in dotted
/// text form (`"example.com"`; the root alone is `"."`) and the offset just
/// past the name *where it started*: after its 0 octet, or after the first
/// compression pointer (a pointer ends the name there).
///
/// A length octet whose top two bits are `11` is, with the next octet, a
/// 14-bit offset from the start of the message where the name goes on.
///
/// Errors, each for a hostile message rather than a panic or a hang:
/// * the message ends inside the name: `DnsError::Truncated { .. }`;
/// * top bits `01` or `10`: `DnsError::BadLabelType { .. }`;
/// * a pointer that does not point strictly before the labels being read
///   (a loop, even through several pointers): `DnsError::PointerLoop { .. }`;
/// * more than 255 bytes of name once decompressed: `DnsError::NameTooLong { .. }`.
///
/// A label byte that is not printable ASCII, or a dot or backslash inside a
/// label, is written as `\DDD` (three decimal digits), as `dig` does.
pub fn read_name(msg: &[u8], at: usize) -> Result<(String, usize), DnsError> {
    todo!("follow the labels and pointers from {at}")
}
