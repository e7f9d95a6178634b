//! Which requests chapter 2's rules accept before any body is read: the
//! `Host` field (RFC 9112 §3.2) and where the body ends (RFC 9112 §6).
//!
//! Getting the body's end wrong is what *request smuggling* exploits: if a
//! front-end proxy and this server disagree about where a body ends, the
//! leftover bytes become a second request that the proxy never saw. So
//! every ambiguous case is an error (and the connection is closed), never a
//! guess. Chapter 2's server answers a chunked body with 411 (it reads only
//! `Content-Length` bodies); chapter 4's server reads it, with the same
//! rules.

use std::io;

use super::head::{Headers, RequestHead, Version, is_valid_host};

/// Where a body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// No body at all (a GET without Content-Length, a 204, a HEAD response).
    Empty,
    /// Exactly this many bytes.
    Length(u64),
    /// The chunked transfer coding.
    Chunked,
    /// Until the peer closes the connection (responses only).
    UntilClose,
}

/// A framing error: the message cannot be delimited safely, so the
/// connection must be closed after answering (RFC 9112 §6.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FramingError {
    /// `Content-Length` is not a decimal number, or several differ (400).
    BadContentLength,
    /// Both `Transfer-Encoding` and `Content-Length` (400 for a request).
    BothLengthAndEncoding,
    /// A transfer coding other than `chunked` (501 for a request).
    UnsupportedEncoding(String),
    /// Malformed chunked data.
    BadChunk(&'static str),
}

impl FramingError {
    /// The status a server answers a request with this error with.
    pub fn status(&self) -> u16 {
        match self {
            FramingError::UnsupportedEncoding(_) => 501,
            _ => 400,
        }
    }
}

impl std::fmt::Display for FramingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FramingError::BadContentLength => f.write_str("invalid Content-Length"),
            FramingError::BothLengthAndEncoding => {
                f.write_str("both Transfer-Encoding and Content-Length")
            }
            FramingError::UnsupportedEncoding(e) => {
                write!(f, "unsupported transfer coding `{e}`")
            }
            FramingError::BadChunk(why) => write!(f, "malformed chunked body: {why}"),
        }
    }
}

impl std::error::Error for FramingError {}

impl From<FramingError> for io::Error {
    fn from(e: FramingError) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }
}

/// The value of `Content-Length`, if present (RFC 9110 §8.6).
///
/// `1*DIGIT`, nothing else: no sign, no spaces inside, no hex. Several
/// fields or a list (`5, 5`) are accepted only when every value is the same;
/// differing values are an error, because two parsers that each picked a
/// different one would disagree on where the next request starts.
pub fn content_length(headers: &Headers) -> Result<Option<u64>, FramingError> {
    exercise!(
        "ex_ch02_content_length",
        ch02_content_length::content_length(headers)
    );
    let mut found: Option<u64> = None;
    for v in headers.get_all("content-length") {
        for part in v.split(',') {
            let part = part.trim_matches([' ', '\t']);
            if part.is_empty() || part.len() > 19 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(FramingError::BadContentLength);
            }
            let n: u64 = part.parse().map_err(|_| FramingError::BadContentLength)?;
            match found {
                Some(prev) if prev != n => return Err(FramingError::BadContentLength),
                _ => found = Some(n),
            }
        }
    }
    Ok(found)
}

/// How the body of this request is delimited (RFC 9112 §6.3, rules 3–6).
///
/// * `Transfer-Encoding` and `Content-Length` together: 400 (a request that
///   has both is a smuggling attempt or a broken proxy; §6.1 lets a server
///   reject it, and we must then close);
/// * a `Transfer-Encoding` whose last coding is not `chunked`: 400 (§6.3
///   rule 4: the length cannot be determined);
/// * `chunked` more than once (`chunked, chunked`): 400 (§7 allows it once);
/// * any coding besides `chunked` (`gzip, chunked`): 501, we implement none;
/// * a malformed or ambiguous `Content-Length`: 400;
/// * neither field: no body (a request never runs "until close").
pub fn request_body_kind(head: &RequestHead) -> Result<BodyKind, FramingError> {
    let h = &head.headers;
    if h.contains("transfer-encoding") {
        if h.contains("content-length") {
            return Err(FramingError::BothLengthAndEncoding);
        }
        let codings: Vec<&str> = h.tokens("transfer-encoding").collect();
        match codings.last() {
            Some(last) if last.eq_ignore_ascii_case("chunked") => {}
            Some(last) if codings.len() == 1 => {
                return Err(FramingError::UnsupportedEncoding(last.to_string()));
            }
            _ => return Err(FramingError::BadChunk("chunked is not the final coding")),
        }
        // RFC 9112 §7: chunked is applied at most once. `chunked, chunked`
        // has no single reading, so it is as ambiguous as a missing one.
        if codings[..codings.len() - 1]
            .iter()
            .any(|c| c.eq_ignore_ascii_case("chunked"))
        {
            return Err(FramingError::BadChunk("chunked applied more than once"));
        }
        if let Some(other) = codings[..codings.len() - 1].first() {
            return Err(FramingError::UnsupportedEncoding(other.to_string()));
        }
        return Ok(BodyKind::Chunked);
    }
    Ok(match content_length(h)? {
        None | Some(0) => BodyKind::Empty,
        Some(n) => BodyKind::Length(n),
    })
}

/// What is wrong with the `Host` field, if anything (RFC 9112 §3.2): an
/// HTTP/1.1 request MUST have exactly one; an HTTP/1.0 request may have none
/// but not two; and its value must be `host[:port]` ([`is_valid_host`]).
pub fn host_problem(head: &RequestHead) -> Option<&'static str> {
    match (head.version, head.headers.count("host")) {
        (Version::Http11, 0) => Some("HTTP/1.1 request without Host"),
        (_, 0) => None,
        (_, 1) if is_valid_host(head.headers.get("host").unwrap_or("")) => None,
        (_, 1) => Some("Host is not host[:port]"),
        _ => Some("more than one Host field"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ch02_http_by_hand::head::{HeadLimits, Parsed, parse_request};

    /// A request head from its text (chapter 4's framing tests use it too).
    pub(crate) fn head(s: &str) -> RequestHead {
        match parse_request(s.as_bytes(), &HeadLimits::SERVER) {
            Ok(Parsed::Complete(h, _)) => h,
            other => panic!("{other:?}"),
        }
    }

    fn kind(fields: &str) -> Result<BodyKind, u16> {
        request_body_kind(&head(&format!(
            "POST / HTTP/1.1\r\nHost: x\r\n{fields}\r\n"
        )))
        .map_err(|e| e.status())
    }

    #[test]
    fn framing_rules_of_rfc_9112_section_6() {
        assert_eq!(kind(""), Ok(BodyKind::Empty));
        assert_eq!(kind("Content-Length: 0\r\n"), Ok(BodyKind::Empty));
        assert_eq!(kind("Content-Length: 5\r\n"), Ok(BodyKind::Length(5)));
        assert_eq!(
            kind("Content-Length: 5\r\nContent-Length: 5\r\n"),
            Ok(BodyKind::Length(5))
        );
        assert_eq!(kind("Content-Length: 5\r\nContent-Length: 6\r\n"), Err(400));
        assert_eq!(kind("Content-Length: -5\r\n"), Err(400));
        assert_eq!(kind("Content-Length: 0x5\r\n"), Err(400));
        assert_eq!(
            kind("Transfer-Encoding: chunked\r\n"),
            Ok(BodyKind::Chunked)
        );
        assert_eq!(
            kind("Transfer-Encoding: CHUNKED\r\n"),
            Ok(BodyKind::Chunked)
        );
        assert_eq!(
            kind("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"),
            Err(400)
        );
        assert_eq!(kind("Transfer-Encoding: gzip\r\n"), Err(501));
        assert_eq!(kind("Transfer-Encoding: gzip, chunked\r\n"), Err(501));
        assert_eq!(kind("Transfer-Encoding: chunked, gzip\r\n"), Err(400));
        assert_eq!(kind("Transfer-Encoding: chunked, chunked\r\n"), Err(400));
        assert_eq!(
            kind("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"),
            Err(400)
        );
        assert_eq!(kind("Transfer-Encoding: \r\n"), Err(400));
    }

    #[test]
    fn host_is_required_once_in_http11() {
        assert!(host_problem(&head("GET / HTTP/1.1\r\n\r\n")).is_some());
        assert!(host_problem(&head("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n")).is_some());
        assert!(host_problem(&head("GET / HTTP/1.0\r\n\r\n")).is_none());
        assert!(host_problem(&head("GET / HTTP/1.1\r\nHost: a\r\n\r\n")).is_none());
        assert!(host_problem(&head("GET / HTTP/1.1\r\nHost: a b\r\n\r\n")).is_some());
        assert!(host_problem(&head("GET / HTTP/1.0\r\nHost: a/b\r\n\r\n")).is_some());
    }
}
