//! The production head parser: `httparse`, producing chapter 2's
//! [`RequestHead`].
//!
//! Chapter 2 wrote the grammar by hand to learn it. From here on the server
//! uses `httparse`, a parser that has been fuzzed for years and is fast
//! (it scans with SIMD where the CPU allows). The two must agree, and
//! `tests/ch04_methods_and_routing.rs` checks that they do on a corpus of
//! valid and invalid heads and on random input; where they differ on
//! purpose, `chapters/04-methods-and-routing.md` says why.
//!
//! The function has the same shape as chapter 2's [`parse_request`]: bytes
//! in, `Incomplete` / `Complete(head, n)` / an error that knows its status
//! code out. So the connection code does not care which parser it calls.
//!
//! [`parse_request`]: crate::ch02_http_by_hand::head::parse_request

use crate::ch02_http_by_hand::head::{
    HeadError, HeadLimits, Headers, Parsed, RequestHead, Version, field_text,
};

/// Parses a request head with `httparse`, enforcing `limits` the way
/// chapter 2's parser does (431 for a large head or too many fields, 414
/// for a long target, 505 for a version other than HTTP/1.x).
pub fn parse_request_head(
    buf: &[u8],
    limits: &HeadLimits,
) -> Result<Parsed<RequestHead>, HeadError> {
    // httparse writes the fields into a caller-supplied array; one more
    // slot than the limit tells "exactly at the limit" from "over it".
    let mut storage = [httparse::EMPTY_HEADER; 128];
    let mut heap;
    let slots: &mut [httparse::Header<'_>] = if limits.max_fields < storage.len() {
        &mut storage[..limits.max_fields + 1]
    } else {
        heap = vec![httparse::EMPTY_HEADER; limits.max_fields + 1];
        &mut heap
    };
    let mut req = httparse::Request::new(slots);
    let status = match req.parse(buf) {
        Ok(s) => s,
        Err(e) => return Err(map_error(e, buf, limits)),
    };
    match status {
        httparse::Status::Partial => {
            check_partial(buf, limits)?;
            Ok(Parsed::Incomplete)
        }
        httparse::Status::Complete(n) => {
            if n > limits.max_head_bytes {
                return Err(HeadError::HeadTooLarge);
            }
            let target = req.path.unwrap_or("");
            if target.len() > limits.max_target_bytes {
                return Err(HeadError::TargetTooLong);
            }
            // httparse lets UTF-8 through in the target; RFC 9112 §3.2 (and
            // chapter 2's parser) allow visible ASCII only.
            if !target.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
                return Err(HeadError::BadStartLine(
                    "request-target has a byte that is not visible ASCII",
                ));
            }
            if req.headers.len() > limits.max_fields {
                return Err(HeadError::TooManyFields);
            }
            let mut headers = Headers::new();
            for h in req.headers.iter() {
                headers.append(h.name, field_text(h.value));
            }
            let version = match req.version {
                Some(0) => Version::Http10,
                _ => Version::Http11,
            };
            Ok(Parsed::Complete(
                RequestHead {
                    method: req.method.unwrap_or("").to_string(),
                    target: target.to_string(),
                    version,
                    headers,
                },
                n,
            ))
        }
    }
}

/// What a partial head may already tell: it is too large, or its target is.
fn check_partial(buf: &[u8], limits: &HeadLimits) -> Result<(), HeadError> {
    let line_end = buf.iter().position(|&b| b == b'\n');
    if line_end.is_none() {
        // Still inside the request-line: is the target already too long?
        let mut parts = buf.splitn(3, |&b| b == b' ');
        let _method = parts.next();
        if let Some(target) = parts.next()
            && target.len() > limits.max_target_bytes
        {
            return Err(HeadError::TargetTooLong);
        }
    }
    if buf.len() > limits.max_head_bytes {
        return Err(HeadError::HeadTooLarge);
    }
    Ok(())
}

fn map_error(e: httparse::Error, buf: &[u8], limits: &HeadLimits) -> HeadError {
    match e {
        httparse::Error::TooManyHeaders => HeadError::TooManyFields,
        httparse::Error::Version => {
            // httparse knows only HTTP/1.0 and HTTP/1.1. A well-formed
            // `HTTP/2.0` is a version we do not speak (505); anything else
            // is a malformed request-line (400).
            if well_formed_version(buf) {
                HeadError::UnsupportedVersion
            } else {
                HeadError::BadStartLine("expected HTTP/x.y")
            }
        }
        httparse::Error::Token => HeadError::BadStartLine("method is not a token"),
        httparse::Error::HeaderName => HeadError::BadField("field name is not a token"),
        httparse::Error::HeaderValue => HeadError::BadField("control character in field value"),
        httparse::Error::NewLine => {
            // A long line that failed is reported by its length first, as
            // chapter 2 does.
            if buf.len() > limits.max_head_bytes {
                HeadError::HeadTooLarge
            } else {
                HeadError::BadStartLine("bad line ending")
            }
        }
        httparse::Error::Status => HeadError::BadStartLine("malformed request-line"),
    }
}

/// Whether the request-line is `METHOD SP TARGET SP HTTP/DIGIT.DIGIT`, that
/// is, well formed except for the version number.
fn well_formed_version(buf: &[u8]) -> bool {
    let start = buf
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(0);
    let line = &buf[start..];
    let end = line.iter().position(|&b| b == b'\n').unwrap_or(line.len());
    let line = line[..end].strip_suffix(b"\r").unwrap_or(&line[..end]);
    let parts: Vec<&[u8]> = line.split(|&b| b == b' ').collect();
    let [_, _, v] = parts[..] else {
        return false;
    };
    v.len() == 8
        && v.starts_with(b"HTTP/")
        && v[5].is_ascii_digit()
        && v[6] == b'.'
        && v[7].is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &[u8]) -> Result<Parsed<RequestHead>, HeadError> {
        parse_request_head(s, &HeadLimits::SERVER)
    }

    #[test]
    fn a_simple_head() {
        let Ok(Parsed::Complete(h, n)) = parse(b"GET /a?b HTTP/1.1\r\nHost: x\r\n\r\nrest") else {
            panic!()
        };
        assert_eq!(n, 30);
        assert_eq!(h.method, "GET");
        assert_eq!(h.target, "/a?b");
        assert_eq!(h.version, Version::Http11);
        assert_eq!(h.headers.get("host"), Some("x"));
    }

    #[test]
    fn errors_carry_their_status() {
        let st = |s: &[u8]| parse(s).unwrap_err().status();
        assert_eq!(st(b"GET / HTTP/2.0\r\n\r\n"), 505);
        assert_eq!(st(b"GET / FTP/1.0\r\n\r\n"), 400);
        assert_eq!(st(b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n"), 400);
        let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(5000));
        assert_eq!(st(long.as_bytes()), 414);
        let long = format!("GET /{}", "a".repeat(5000));
        assert_eq!(st(long.as_bytes()), 414);
        let big = format!("GET / HTTP/1.1\r\nA: {}\r\n\r\n", "a".repeat(9000));
        assert_eq!(st(big.as_bytes()), 431);
        let many: String = (0..101).map(|i| format!("F{i}: v\r\n")).collect();
        assert_eq!(st(format!("GET / HTTP/1.1\r\n{many}\r\n").as_bytes()), 431);
    }

    #[test]
    fn partial_heads_ask_for_more() {
        assert_eq!(parse(b"GET / HT"), Ok(Parsed::Incomplete));
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\nHost: x\r\n"),
            Ok(Parsed::Incomplete)
        );
    }
}
