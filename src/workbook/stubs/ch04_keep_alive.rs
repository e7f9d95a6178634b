//! Exercise ch04_keep_alive: may the connection carry another request? (RFC 9112 §9.3)
//! Reread chapters/04-methods-and-routing.md, "One connection, many requests".
//! The reference is `wants_keep_alive` in src/ch04_methods_and_routing/framing.rs.

#[allow(unused_imports)]
use crate::ch02_http_by_hand::head::{RequestHead, Version};

/// Whether the client wants the connection kept open after this request.
///
/// * HTTP/1.1 keeps it, unless `Connection` lists the `close` option;
/// * HTTP/1.0 closes it, unless `Connection` lists `keep-alive` (and not
///   `close`); and an HTTP/1.0 request with `Transfer-Encoding` has broken
///   framing by definition (§6.1): answer it, then close.
///
/// `Connection` is a list of case-insensitive tokens, possibly over several
/// fields (`Connection: Upgrade, Close`): `head.headers.has_token(name,
/// token)` does that matching for you.
pub fn wants_keep_alive(head: &RequestHead) -> bool {
    todo!("keep {} {:?} open?", head.method, head.version)
}
