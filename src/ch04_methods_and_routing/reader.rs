//! The request reader as a sans-I/O step: bytes in, and out comes "need
//! more", "a request whose head is the first `n` bytes", or "refuse it with
//! this status". No socket, no clock: the same step serves a blocking
//! connection, a test on a byte slice, and any other way of getting bytes.
//!
//! Every rule that can refuse a request before its handler runs is here,
//! in the order it applies: the head must parse within its limits
//! (400/414/431/505), the method must be known (501) and not `CONNECT`
//! (501: an origin server is no tunnel, RFC 9110 §9.3.6), the target must
//! be a path (400), `Host` must be right (400, RFC 9112 §3.2), the body's
//! framing must be unambiguous (400/501, RFC 9112 §6.3), and the only
//! expectation we meet is `100-continue` (417).

use super::Method;
use super::framing::{Expectation, expectation, host_problem, request_body_kind, wants_keep_alive};
use super::parse::parse_request_head;
use crate::ch02_http_by_hand::head::{HeadLimits, Parsed, RequestHead};
use crate::ch02_http_by_hand::server::target_problem;
use crate::ch03_urls_and_clients::body::BodyKind;

/// A request head that passed every check, ready for its handler.
#[derive(Debug)]
pub struct Ready {
    pub head: RequestHead,
    pub method: Method,
    /// Where the body ends (RFC 9112 §6.3).
    pub body: BodyKind,
    /// The client waits for `100 Continue` before it sends the body.
    pub expects_continue: bool,
    /// The client did not ask to close after this request.
    pub keep_alive: bool,
}

/// A request answered with an error before any handler sees it; the
/// connection closes after the answer.
#[derive(Debug)]
pub struct Refusal {
    pub status: u16,
    pub detail: String,
    /// The head, when it parsed (for the access log, and HEAD's rules).
    pub head: Option<RequestHead>,
}

impl Refusal {
    pub fn new(status: u16, detail: impl ToString, head: Option<RequestHead>) -> Refusal {
        Refusal {
            status,
            detail: detail.to_string(),
            head,
        }
    }
}

/// What the bytes so far make.
#[derive(Debug)]
pub enum Step {
    /// The head is not complete yet: read more, then call again.
    NeedMore,
    /// A request whose head is the first `n` bytes; its body (if any)
    /// follows them.
    Request(Box<Ready>, usize),
    /// Answer with an error and close.
    Refuse(Refusal),
}

/// One step of reading a request from `data`, the bytes buffered so far.
pub fn read_request(data: &[u8], limits: &HeadLimits) -> Step {
    match parse_request_head(data, limits) {
        Ok(Parsed::Incomplete) => Step::NeedMore,
        Err(e) => Step::Refuse(Refusal::new(e.status(), e, None)),
        Ok(Parsed::Complete(head, n)) => match check(head) {
            Ok(ready) => Step::Request(Box::new(ready), n),
            Err(refusal) => Step::Refuse(refusal),
        },
    }
}

/// The rules a parsed head must pass, in order.
fn check(head: RequestHead) -> Result<Ready, Refusal> {
    let Some(method) = Method::parse(&head.method) else {
        let why = format!("unknown method {}", head.method);
        return Err(Refusal::new(501, why, Some(head)));
    };
    if method == Method::Connect {
        return Err(Refusal::new(
            501,
            "CONNECT: this server is not a proxy",
            Some(head),
        ));
    }
    if let Some(why) = target_problem(&head.method, &head.target) {
        return Err(Refusal::new(400, why, Some(head)));
    }
    if let Some(why) = host_problem(&head) {
        return Err(Refusal::new(400, why, Some(head)));
    }
    let body = match request_body_kind(&head) {
        Ok(k) => k,
        Err(e) => return Err(Refusal::new(e.status(), e, Some(head))),
    };
    let expects_continue = match expectation(&head) {
        Expectation::Unsupported => {
            return Err(Refusal::new(
                417,
                "only 100-continue is supported",
                Some(head),
            ));
        }
        Expectation::Continue => body != BodyKind::Empty,
        Expectation::None => false,
    };
    let keep_alive = wants_keep_alive(&head);
    Ok(Ready {
        head,
        method,
        body,
        expects_continue,
        keep_alive,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(b: &[u8]) -> Step {
        read_request(b, &HeadLimits::SERVER)
    }

    fn refused(b: &[u8]) -> u16 {
        match step(b) {
            Step::Refuse(r) => r.status,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_head_split_anywhere_needs_more_until_its_last_byte() {
        let req = b"GET /a HTTP/1.1\r\nHost: t\r\n\r\nGET /b";
        let end = req.len() - 6;
        for i in 0..end {
            assert!(matches!(step(&req[..i]), Step::NeedMore), "{i}");
        }
        match step(req) {
            Step::Request(r, n) => {
                assert_eq!((r.head.target.as_str(), n), ("/a", end));
                assert!(r.keep_alive && r.body == BodyKind::Empty);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_rule_refuses_with_its_status() {
        assert_eq!(refused(b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n"), 501);
        assert_eq!(refused(b"CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n"), 501);
        assert_eq!(refused(b"GET a HTTP/1.1\r\nHost: t\r\n\r\n"), 400);
        assert_eq!(refused(b"GET / HTTP/1.1\r\n\r\n"), 400);
        assert_eq!(
            refused(b"POST / HTTP/1.1\r\nHost: t\r\nExpect: tea\r\nContent-Length: 1\r\n\r\n"),
            417
        );
        assert_eq!(refused(b"GET / HTTP/1.1\r\nHost t\r\n\r\n"), 400);
    }

    #[test]
    fn continue_is_expected_only_with_a_body() {
        let with =
            b"POST / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
        let without = b"GET / HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n\r\n";
        for (b, want) in [(&with[..], true), (&without[..], false)] {
            match step(b) {
                Step::Request(r, _) => assert_eq!(r.expects_continue, want),
                other => panic!("{other:?}"),
            }
        }
    }
}
