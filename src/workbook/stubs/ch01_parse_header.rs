//! Exercise ch01_parse_header: the 12-byte DNS header (RFC 1035 §4.1.1).
//! Reread chapters/01-sockets.md, "Untrusted bytes".
//! The reference is `parse_header` in src/ch01_sockets/dns.rs.

use crate::ch01_sockets::dns::{DnsError, Header};

/// Reads the header at the start of `msg`: six big-endian 16-bit fields,
/// in this order: ID, flags, QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT.
///
/// A message shorter than 12 bytes is `DnsError::Truncated { what:
/// "header", at: msg.len() }`. Never panic, whatever the bytes.
pub fn parse_header(msg: &[u8]) -> Result<Header, DnsError> {
    todo!("read the six fields of the header")
}
