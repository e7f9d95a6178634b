//! Where a request's body ends, and whether the connection can be reused
//! after it (RFC 9112 §6, §9.3).
//!
//! This is the part of HTTP/1.1 that security depends on. If a front-end
//! proxy and this server disagree about where a body ends, the leftover
//! bytes become a second request that the proxy never saw: *request
//! smuggling*. So every ambiguous case is an error and closes the
//! connection, instead of a guess.
//!
//! Where the body ends and whether `Host` is valid are chapter 2's rules
//! ([`request_body_kind`], [`host_problem`]), re-exported here: chapter 2's
//! server refuses a chunked body with 411, this chapter's reads it.

pub use crate::ch02_http_by_hand::framing::{host_problem, request_body_kind};
use crate::ch02_http_by_hand::head::{RequestHead, Version};

/// Whether the client wants the connection kept open after this request
/// (RFC 9112 §9.3): HTTP/1.1 keeps it unless `Connection: close`; HTTP/1.0
/// closes it unless `Connection: keep-alive`. And an HTTP/1.0 request with
/// `Transfer-Encoding` has faulty framing by definition (§6.1): it is
/// answered, then the connection is closed.
pub fn wants_keep_alive(head: &RequestHead) -> bool {
    exercise!(
        "ex_ch04_keep_alive",
        ch04_keep_alive::wants_keep_alive(head)
    );
    let h = &head.headers;
    match head.version {
        Version::Http11 => !h.has_token("connection", "close"),
        Version::Http10 => {
            h.has_token("connection", "keep-alive")
                && !h.has_token("connection", "close")
                && !h.contains("transfer-encoding")
        }
    }
}

/// How a request's `Expect` field is answered (RFC 9110 §10.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectation {
    /// No `Expect` (or an HTTP/1.0 request, which must ignore it).
    None,
    /// `100-continue`: send `100 Continue` before reading the body.
    Continue,
    /// Anything else: 417 Expectation Failed.
    Unsupported,
}

pub fn expectation(head: &RequestHead) -> Expectation {
    if head.version == Version::Http10 {
        return Expectation::None;
    }
    match head.headers.get("expect") {
        None => Expectation::None,
        Some(v) if v.trim().eq_ignore_ascii_case("100-continue") => Expectation::Continue,
        Some(_) => Expectation::Unsupported,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch02_http_by_hand::framing::tests::head;

    #[test]
    fn keep_alive_defaults_by_version() {
        assert!(wants_keep_alive(&head("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
        assert!(!wants_keep_alive(&head(
            "GET / HTTP/1.1\r\nConnection: close\r\n\r\n"
        )));
        assert!(!wants_keep_alive(&head("GET / HTTP/1.0\r\n\r\n")));
        assert!(wants_keep_alive(&head(
            "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"
        )));
        assert!(!wants_keep_alive(&head(
            "POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
        )));
    }
}
