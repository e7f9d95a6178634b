//! Exercise ch01_encode_name: a DNS name on the wire (RFC 1035 §3.1).
//! Reread chapters/01-sockets.md, "DNS: from a name to an address".
//! The reference is `encode_name` in src/ch01_sockets/dns.rs.

use crate::ch01_sockets::dns::DnsError;

/// Appends `name` to `out` in wire form: each label as one length octet and
/// its bytes, then the zero-length root label. `"example.com"` becomes
/// `07 e x a m p l e 03 c o m 00`. A trailing dot is allowed, and `"."` (or
/// `""`) is the root alone, `00`.
///
/// Refuse with `DnsError::BadName(why)` a name that
/// cannot go on the wire: an empty label (`a..b`), a label over 63 bytes,
/// a label with a byte that is not printable ASCII, or a name over 255
/// bytes once encoded (length octets and the final 0 included).
pub fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), DnsError> {
    todo!("encode {name:?} into out")
}
