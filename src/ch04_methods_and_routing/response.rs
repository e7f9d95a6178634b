//! Responses as handlers build them. Writing them to the wire (status line,
//! `Date`, `Content-Length` or chunked, HEAD without a body, one write for a
//! small response) is the connection's job, so a handler cannot get framing
//! wrong.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::net::{SocketAddr, TcpStream};

use crate::ch02_http_by_hand::head::Headers;

/// What follows the head.
pub enum Body {
    /// No body (`Content-Length: 0`, or none at all for 1xx/204/304).
    Empty,
    /// A body in memory, sent with `Content-Length`.
    Bytes(Vec<u8>),
    /// `len` bytes of `file` starting at `offset`, sent with
    /// `Content-Length` and copied without passing through user space where
    /// the OS allows (`sendfile` on Linux, chapter 6).
    File { file: File, offset: u64, len: u64 },
    /// A body of unknown length, sent with the chunked coding (to HTTP/1.0
    /// clients: until close).
    Stream(Box<dyn Read + Send>),
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            Body::File { offset, len, .. } => write!(f, "File({offset}+{len})"),
            Body::Stream(_) => f.write_str("Stream"),
        }
    }
}

impl Body {
    /// The length if known in advance (`None` for a stream).
    pub fn len(&self) -> Option<u64> {
        match self {
            Body::Empty => Some(0),
            Body::Bytes(b) => Some(b.len() as u64),
            Body::File { len, .. } => Some(*len),
            Body::Stream(_) => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

/// A connection handed over after a `101 Switching Protocols` response
/// (chapter 8's WebSocket).
pub struct Upgraded {
    pub stream: TcpStream,
    /// Bytes that arrived after the request head and belong to the new
    /// protocol (a client may send its first frame right behind the head).
    pub leftover: Vec<u8>,
    pub peer: SocketAddr,
}

/// What runs on the connection after a 101 response was written. It gets
/// its own thread, so a long-lived WebSocket does not hold an HTTP worker.
pub type UpgradeFn = Box<dyn FnOnce(Upgraded) + Send>;

/// A response: status, header fields and a body.
///
/// The server adds `Date`, `Content-Length` / `Transfer-Encoding` and
/// `Connection` itself; a handler sets everything else.
pub struct Response {
    pub status: u16,
    pub headers: Headers,
    pub body: Body,
    /// For a 101 response: what takes the connection over.
    pub upgrade: Option<UpgradeFn>,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &self.body)
            .field("upgrade", &self.upgrade.is_some())
            .finish()
    }
}

impl Response {
    /// An empty response with this status.
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Headers::new(),
            body: Body::Empty,
            upgrade: None,
        }
    }

    /// `text/plain; charset=utf-8`.
    pub fn text(status: u16, text: impl Into<String>) -> Response {
        Response::new(status)
            .header("Content-Type", "text/plain; charset=utf-8")
            .with_body(text.into().into_bytes())
    }

    /// `text/html; charset=utf-8`.
    pub fn html(status: u16, html: impl Into<String>) -> Response {
        Response::new(status)
            .header("Content-Type", "text/html; charset=utf-8")
            .with_body(html.into().into_bytes())
    }

    /// `application/json` (the caller has written the JSON).
    pub fn json(status: u16, json: impl Into<String>) -> Response {
        Response::new(status)
            .header("Content-Type", "application/json")
            .with_body(json.into().into_bytes())
    }

    /// A plain-text error page: `404 Not Found` and a line of explanation.
    pub fn error(status: u16, detail: impl fmt::Display) -> Response {
        let reason = crate::ch02_http_by_hand::head::reason_phrase(status);
        Response::text(status, format!("{status} {reason}: {detail}\n"))
    }

    /// Adds a header field (builder style).
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Response {
        self.headers.append(name, value);
        self
    }

    /// Sets the body to bytes in memory.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = Body::Bytes(body.into());
        self
    }

    /// Sets the body.
    pub fn with(mut self, body: Body) -> Response {
        self.body = body;
        self
    }

    /// The body as bytes, for tests of handlers (`None` for a file or stream).
    pub fn body_bytes(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Empty => Some(&[]),
            Body::Bytes(b) => Some(b),
            _ => None,
        }
    }
}
