//! Requests as handlers see them: the parsed head, the path split from the
//! query, route captures, and a body that is read *on demand* from the
//! connection.
//!
//! The body is not read before the handler runs. That is what makes
//! `Expect: 100-continue` work (the `100 Continue` interim response is sent
//! when the handler first reads the body, so a handler that refuses an
//! upload costs the client no body bytes), and what lets chapter 7 stream a
//! large upload to disk instead of into memory.

use std::io::{self, BufRead, Read, Write};
use std::net::SocketAddr;

use super::method::Method;
use crate::ch02_http_by_hand::head::{Headers, RequestHead, Version};
use crate::ch03_urls_and_clients::body::{BodyKind, BodyReader};
use crate::ch03_urls_and_clients::percent::{DecodeError, parse_form, percent_decode_str};

/// Default largest body [`RequestBody::read_to_vec`] accepts (413 past it).
/// Handlers that stream (uploads) set their own with [`RequestBody::set_limit`].
pub const MAX_BODY_BYTES: u64 = 1024 * 1024;

/// The interim response that tells a client to go ahead with its body
/// (RFC 9110 §10.1.1, §15.2.1).
pub const CONTINUE_100: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Why a body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// Larger than the limit: answer 413.
    TooLarge { limit: u64 },
    /// The connection failed, closed early, or sent malformed chunks: answer
    /// 400 if possible and close.
    Io(io::Error),
}

impl BodyError {
    pub fn status(&self) -> u16 {
        match self {
            BodyError::TooLarge { .. } => 413,
            // The body did not arrive in time (RFC 9110 §15.5.9).
            BodyError::Io(e) if e.kind() == io::ErrorKind::TimedOut => 408,
            BodyError::Io(_) => 400,
        }
    }
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyError::TooLarge { limit } => write!(f, "body larger than {limit} bytes"),
            BodyError::Io(e) => write!(f, "reading the body: {e}"),
        }
    }
}

impl std::error::Error for BodyError {}

impl From<io::Error> for BodyError {
    fn from(e: io::Error) -> BodyError {
        if e.kind() == io::ErrorKind::FileTooLarge
            && let Some(inner) = e.get_ref().and_then(|i| i.downcast_ref::<LimitExceeded>())
        {
            return BodyError::TooLarge { limit: inner.0 };
        }
        BodyError::Io(e)
    }
}

#[derive(Debug)]
struct LimitExceeded(u64);

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "request body larger than {} bytes", self.0)
    }
}

impl std::error::Error for LimitExceeded {}

/// The body of one request, read lazily from the connection.
pub struct RequestBody<'c> {
    reader: BodyReader<Box<dyn BufRead + 'c>>,
    /// Where to send `100 Continue` before the first read, if the client
    /// asked for it and it has not been sent yet.
    continue_to: Option<Box<dyn Write + 'c>>,
    continue_sent: bool,
    limit: u64,
}

impl<'c> RequestBody<'c> {
    /// A body framed as `kind`, read from `reader`. If `continue_to` is
    /// given, `100 Continue` is written there before the first byte is read.
    pub fn new(
        reader: Box<dyn BufRead + 'c>,
        kind: BodyKind,
        continue_to: Option<Box<dyn Write + 'c>>,
    ) -> RequestBody<'c> {
        RequestBody {
            reader: BodyReader::new(reader, kind),
            continue_to,
            continue_sent: false,
            limit: MAX_BODY_BYTES,
        }
    }

    /// No body.
    pub fn empty() -> RequestBody<'static> {
        RequestBody::new(Box::new(&b""[..]), BodyKind::Empty, None)
    }

    /// How the body is framed.
    pub fn kind(&self) -> BodyKind {
        self.reader.kind()
    }

    /// The declared length, if framed by `Content-Length`.
    pub fn content_length(&self) -> Option<u64> {
        match self.reader.kind() {
            BodyKind::Empty => Some(0),
            BodyKind::Length(n) => Some(n),
            _ => None,
        }
    }

    /// Whether every byte of the body has been read.
    pub fn is_done(&self) -> bool {
        self.reader.is_done()
    }

    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.bytes_read()
    }

    /// Whether the client is still waiting for `100 Continue` (it asked, and
    /// no byte has been read). The server must then not wait for a body the
    /// client may never send.
    pub fn awaiting_continue(&self) -> bool {
        self.continue_to.is_some() && !self.continue_sent
    }

    /// Changes the largest body this reader delivers before failing.
    pub fn set_limit(&mut self, limit: u64) {
        self.limit = limit;
    }

    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Trailer fields of a chunked body, once it has been read.
    pub fn trailers(&self) -> &Headers {
        self.reader.trailers()
    }

    /// Reads the whole body into memory, up to the limit. A
    /// `Content-Length` over the limit fails at once, without reading (and
    /// without sending `100 Continue`).
    pub fn read_to_vec(&mut self) -> Result<Vec<u8>, BodyError> {
        if self.content_length().is_some_and(|n| n > self.limit) {
            return Err(BodyError::TooLarge { limit: self.limit });
        }
        let mut v = Vec::with_capacity(self.content_length().unwrap_or(0).min(self.limit) as usize);
        self.read_to_end(&mut v)?;
        Ok(v)
    }

    /// [`RequestBody::read_to_vec`] as UTF-8 text (invalid UTF-8 is an error).
    pub fn read_to_string_checked(&mut self) -> Result<String, BodyError> {
        let v = self.read_to_vec()?;
        String::from_utf8(v).map_err(|_| {
            BodyError::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                "body is not UTF-8",
            ))
        })
    }
}

impl Read for RequestBody<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.reader.is_done() || buf.is_empty() {
            return Ok(0);
        }
        if self.content_length().is_some_and(|n| n > self.limit) {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                LimitExceeded(self.limit),
            ));
        }
        if !self.continue_sent {
            if let Some(w) = self.continue_to.as_mut() {
                w.write_all(CONTINUE_100)?;
                w.flush()?;
            }
            self.continue_sent = true;
        }
        // Read at most one byte past the limit, to tell "exactly the limit"
        // from "over it".
        let room = (self.limit + 1).saturating_sub(self.reader.bytes_read());
        let max = (buf.len() as u64).min(room.max(1)) as usize;
        let n = self.reader.read(&mut buf[..max])?;
        if self.reader.bytes_read() > self.limit {
            return Err(io::Error::new(
                io::ErrorKind::FileTooLarge,
                LimitExceeded(self.limit),
            ));
        }
        Ok(n)
    }
}

/// One request, as a handler sees it.
pub struct Request<'c> {
    pub method: Method,
    /// The head as received (method spelling, raw target, version, fields).
    pub head: RequestHead,
    /// The path of the target, still percent-encoded (`/notes/a%20b`).
    /// For an absolute-form target (`http://host/p?q`) this is `/p`.
    pub path: String,
    /// The query without `?`, still encoded; empty if none.
    pub query: String,
    /// Captures of the route pattern (`/notes/{id}` → `id`), decoded.
    pub params: Vec<(String, String)>,
    pub peer: SocketAddr,
    pub body: RequestBody<'c>,
}

impl<'c> Request<'c> {
    /// Splits a request-target into (path, query). Origin-form `/p?q` and
    /// absolute-form `http://host:port/p?q` (RFC 9112 §3.2.2: a server MUST
    /// accept it) both give `("/p", "q")`; `*` gives `("*", "")`.
    /// A fragment (`#…`) never belongs in a target and is cut off.
    pub fn split_target(target: &str) -> (String, String) {
        let mut t = target;
        if let Some(i) = t.find('#') {
            t = &t[..i];
        }
        let scheme_is = |s: &str| {
            t.len() >= s.len() && t.as_bytes()[..s.len()].eq_ignore_ascii_case(s.as_bytes())
        };
        if scheme_is("http://") || scheme_is("https://") {
            let after_scheme = &t[t.find("://").unwrap() + 3..];
            t = match after_scheme.find(['/', '?']) {
                Some(i) => &after_scheme[i..],
                None => "/",
            };
        }
        let (p, q) = t.split_once('?').unwrap_or((t, ""));
        let p = if p.is_empty() { "/" } else { p };
        (p.to_string(), q.to_string())
    }

    /// A request built from a head (method must be known to the caller).
    pub fn new(
        method: Method,
        head: RequestHead,
        peer: SocketAddr,
        body: RequestBody<'c>,
    ) -> Request<'c> {
        let (path, query) = Request::split_target(&head.target);
        Request {
            method,
            head,
            path,
            query,
            params: Vec::new(),
            peer,
            body,
        }
    }

    /// A request with an in-memory body, for unit tests of handlers.
    pub fn for_test(
        method: Method,
        target: &str,
        headers: &[(&str, &str)],
        body: &'c [u8],
    ) -> Request<'c> {
        let mut h = Headers::new();
        for (n, v) in headers {
            h.append(*n, *v);
        }
        let kind = if body.is_empty() {
            BodyKind::Empty
        } else {
            BodyKind::Length(body.len() as u64)
        };
        let head = RequestHead {
            method: method.as_str().to_string(),
            target: target.to_string(),
            version: Version::Http11,
            headers: h,
        };
        Request::new(
            method,
            head,
            SocketAddr::from(([127, 0, 0, 1], 0)),
            RequestBody::new(Box::new(body), kind, None),
        )
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.headers.get(name)
    }

    pub fn headers(&self) -> &Headers {
        &self.head.headers
    }

    pub fn version(&self) -> Version {
        self.head.version
    }

    /// A route capture by name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path, percent-decoded once.
    pub fn decoded_path(&self) -> Result<String, DecodeError> {
        percent_decode_str(&self.path)
    }

    /// The query string's pairs, decoded.
    pub fn query_pairs(&self) -> Result<Vec<(String, String)>, DecodeError> {
        parse_form(&self.query)
    }

    /// Reads an `application/x-www-form-urlencoded` body (what an HTML form
    /// posts) and decodes its pairs, within the body's limit. A body that is
    /// not valid form encoding is a 400 ([`BodyError::Io`]).
    pub fn read_form(&mut self) -> Result<Vec<(String, String)>, BodyError> {
        let text = self.body.read_to_string_checked()?;
        parse_form(&text).map_err(|e| {
            BodyError::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("malformed form body: {e:?}"),
            ))
        })
    }

    /// The first query argument called `name`.
    pub fn query_arg(&self, name: &str) -> Option<String> {
        self.query_pairs()
            .ok()?
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_split_into_path_and_query() {
        let s = |t: &str| Request::split_target(t);
        assert_eq!(s("/a?b=1"), ("/a".into(), "b=1".into()));
        assert_eq!(s("http://h:8/x/y?q"), ("/x/y".into(), "q".into()));
        assert_eq!(s("HTTP://h"), ("/".into(), "".into()));
        assert_eq!(s("http://h?q"), ("/".into(), "q".into()));
        assert_eq!(s("/p#frag"), ("/p".into(), "".into()));
        assert_eq!(s("*"), ("*".into(), "".into()));
    }

    #[test]
    fn body_limit_is_enforced_while_reading() {
        let data = [b'x'; 100];
        let mut r = RequestBody::new(Box::new(&data[..]), BodyKind::Chunked, None);
        r.set_limit(10);
        // Not valid chunked data, but the limit test below uses Length.
        let _ = r.read_to_vec();
        let mut r = RequestBody::new(Box::new(&data[..]), BodyKind::Length(100), None);
        r.set_limit(10);
        assert!(matches!(
            r.read_to_vec(),
            Err(BodyError::TooLarge { limit: 10 })
        ));
        let mut r = RequestBody::new(Box::new(&data[..]), BodyKind::Length(100), None);
        r.set_limit(100);
        assert_eq!(r.read_to_vec().unwrap().len(), 100);
    }

    #[test]
    fn chunked_body_over_the_limit_is_413() {
        let mut wire = Vec::new();
        crate::ch03_urls_and_clients::body::encode_chunk(&[b'a'; 50], &mut wire);
        wire.extend_from_slice(crate::ch03_urls_and_clients::body::LAST_CHUNK);
        let mut r = RequestBody::new(Box::new(&wire[..]), BodyKind::Chunked, None);
        r.set_limit(49);
        assert!(matches!(
            r.read_to_vec(),
            Err(BodyError::TooLarge { limit: 49 })
        ));
        let mut r = RequestBody::new(Box::new(&wire[..]), BodyKind::Chunked, None);
        r.set_limit(50);
        assert_eq!(r.read_to_vec().unwrap(), vec![b'a'; 50]);
    }

    #[test]
    fn continue_is_sent_before_the_first_read_only() {
        let mut sent = Vec::new();
        {
            let mut r = RequestBody::new(
                Box::new(&b"abc"[..]),
                BodyKind::Length(3),
                Some(Box::new(&mut sent)),
            );
            assert!(r.awaiting_continue());
            assert_eq!(r.read_to_vec().unwrap(), b"abc");
            assert!(!r.awaiting_continue());
        }
        assert_eq!(sent, CONTINUE_100);
    }
}
