//! Exercise ch02_split_host_port: the authority's `host[:port]` (RFC 3986 §3.2.2, RFC 9110 §7.2).
//! Reread chapters/02-http-by-hand.md, "3. Limits and status codes" (the `Host` field).
//! The reference is `split_host_port` in src/ch02_http_by_hand/head.rs.

use crate::ch02_http_by_hand::head::HostPart;

/// Splits `host[:port]`, checks the host's grammar, and returns the host
/// and the port as text (empty when absent, or when the colon has nothing
/// after it). Whether the port is a good number is the caller's business.
///
/// * `[` IPv6 literal `]`, optionally followed by `:port`: `HostPart::Ipv6`
///   (`"[::1]:8080"`); anything else after the `]` is `None`, and so is a
///   literal that is not an IPv6 address.
/// * Otherwise a registered name (an IPv4 address is one too), possibly
///   empty, made of letters, digits, `-._~`, the sub-delims `!$&'()*+,;=`
///   and `%XX` escapes (two hex digits): `HostPart::Name("example.com")`.
///   The port is after the *last* colon; a colon left in the host makes it
///   invalid.
///
/// No userinfo (`user@host`), no path, no spaces: `None`. The chapter 2
/// server answers 400 to a `Host` this refuses, and chapter 3's URL parser
/// uses the same function, so that both read a host the same way.
pub fn split_host_port(value: &str) -> Option<(HostPart<'_>, &str)> {
    todo!("split {value:?}")
}
