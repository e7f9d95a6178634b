//! A blocking HTTP/1.1 client: what Python's `urllib.request.urlopen` does
//! in the original tutorial, with every step in sight.
//!
//! 1. parse the URL ([`super::url`]) and refuse what plain HTTP cannot
//!    fetch (`https://`, no host, `user:pass@`);
//! 2. resolve the host and connect, with a connect timeout;
//! 3. send the request head (and a body, from bytes or from any `Read`);
//! 4. read the response head with chapter 2's [`parse_response`] (the same
//!    grammar the server uses for requests, not a second parser);
//! 5. work out where the body ends ([`response_body_kind`]) and hand back a
//!    [`Response`] that *is* a reader of the body, so a caller can stream a
//!    large download to a file (chapter 7) instead of holding it in memory;
//! 6. follow redirects (301, 302, 303, 307, 308), at most
//!    [`MAX_REDIRECTS`] of them, resolving relative `Location`s.
//!
//! Each request uses its own connection and says `Connection: close`:
//! reusing connections (keep-alive, pooling) is a server-side topic in
//! chapter 5, and one request per connection keeps "where does this
//! response end" simple to see.

use std::fmt;
use std::io::{self, BufReader, Cursor, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::body::{BodyKind, BodyReader, FramingError, response_body_kind, send_chunked};
use super::url::{HttpUrlError, Url, UrlError};
use crate::ch01_sockets::tcp_echo::is_timeout;
use crate::ch02_http_by_hand::head::{HeadLimits, Headers, Parsed, ResponseHead, parse_response};
use crate::trace::{self, Dir};

/// Most redirects followed for one request. Browsers allow about 20, curl
/// 50; ten is plenty for real sites and stops a loop quickly.
pub const MAX_REDIRECTS: usize = 10;
/// Longest wait for a TCP connection to be set up.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for any single read or write once connected.
pub const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest body [`Response::into_bytes`] collects by default.
pub const MAX_BODY_IN_MEMORY: u64 = 64 * 1024 * 1024;

/// What the client may spend.
#[derive(Debug, Clone)]
pub struct Config {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    /// 0: return redirect responses as they are.
    pub max_redirects: usize,
    pub limits: HeadLimits,
    pub user_agent: String,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            connect_timeout: CONNECT_TIMEOUT,
            read_timeout: READ_TIMEOUT,
            max_redirects: MAX_REDIRECTS,
            limits: HeadLimits::CLIENT,
            user_agent: format!("wirebook/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Everything that can go wrong, each with a message a person can act on.
#[derive(Debug)]
pub enum Error {
    InvalidUrl(String, UrlError),
    /// Not fetchable over plain HTTP (`https://`, no host, userinfo).
    Unfetchable(String, HttpUrlError),
    UnknownHost(String, io::Error),
    /// Connecting failed (refused, unreachable) for every address.
    Connect(String, io::Error),
    /// No answer in time (`what`: "connect", "response head"...).
    Timeout(&'static str),
    /// The connection failed while sending or receiving.
    Io(io::Error),
    /// The bytes that came back are not an HTTP/1.x response.
    Malformed(String),
    /// More than the limit; the chain of URLs, ending with the one not followed.
    TooManyRedirects(usize, Vec<String>),
    /// A redirect back to a URL already visited with the same method.
    RedirectLoop(Vec<String>),
    /// A redirect with an unusable `Location`.
    BadRedirect(String),
    /// A 307/308 asks to repeat a body that was streamed from a reader.
    BodyNotReplayable,
    /// The body is sent in a transfer coding this client does not decode
    /// (`gzip, chunked`): failing beats printing compressed bytes.
    UnsupportedCoding(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidUrl(u, e) => write!(f, "invalid URL `{u}`: {e}"),
            Error::Unfetchable(u, e) => write!(f, "cannot fetch `{u}`: {e}"),
            Error::UnknownHost(h, e) => write!(f, "unknown host `{h}`: {e}"),
            Error::Connect(a, e) => write!(f, "cannot connect to {a}: {e}"),
            Error::Timeout(what) => write!(f, "timed out waiting for the {what}"),
            Error::Io(e) => write!(f, "connection failed: {e}"),
            Error::Malformed(why) => write!(f, "malformed response: {why}"),
            Error::TooManyRedirects(limit, chain) => {
                write!(f, "more than {limit} redirects: {}", chain.join(" -> "))
            }
            Error::RedirectLoop(chain) => write!(f, "redirect loop: {}", chain.join(" -> ")),
            Error::BadRedirect(why) => write!(f, "bad redirect: {why}"),
            Error::BodyNotReplayable => f.write_str(
                "the server asked to send the request body again (307/308), but it was streamed",
            ),
            Error::UnsupportedCoding(c) => write!(
                f,
                "the response body uses the transfer coding `{c}`, which this client does not decode"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<io::Error> for Error {
    fn from(e: io::Error) -> Error {
        if is_timeout(&e) {
            Error::Timeout("response")
        } else {
            Error::Io(e)
        }
    }
}

/// A request body.
pub enum Body {
    Empty,
    Bytes(Vec<u8>),
    /// Streamed from a reader: with a known length it goes out with
    /// `Content-Length`, otherwise chunked (RFC 9112 §7.1).
    Reader {
        reader: Box<dyn Read + Send>,
        len: Option<u64>,
    },
}

/// A request to send.
pub struct Request {
    pub method: String,
    pub url: Url,
    /// Extra fields; `Host`, `User-Agent`, `Accept` are added unless set.
    pub headers: Headers,
    pub body: Body,
}

impl Request {
    pub fn new(method: &str, url: Url) -> Request {
        Request {
            method: method.to_string(),
            url,
            headers: Headers::new(),
            body: Body::Empty,
        }
    }

    /// Parses `url` for a request.
    pub fn parse(method: &str, url: &str) -> Result<Request, Error> {
        let u = Url::parse(url).map_err(|e| Error::InvalidUrl(url.to_string(), e))?;
        Ok(Request::new(method, u))
    }
}

/// The connection a response body is read from: bytes already read past the
/// head, then the socket.
pub type Conn = BufReader<io::Chain<Cursor<Vec<u8>>, TcpStream>>;

/// A response whose head has been read. It implements `Read` over the body,
/// which is read from the socket only as the caller asks.
pub struct Response {
    /// The URL that answered (after redirects).
    pub url: Url,
    pub head: ResponseHead,
    /// Each redirect followed, oldest first: the URL and its 3xx head.
    pub history: Vec<(Url, ResponseHead)>,
    pub peer: SocketAddr,
    body: BodyReader<Conn>,
    traced_end: bool,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("url", &self.url.to_string())
            .field("status", &self.head.status)
            .field("body", &self.body.kind())
            .finish()
    }
}

impl Response {
    pub fn status(&self) -> u16 {
        self.head.status
    }

    pub fn headers(&self) -> &Headers {
        &self.head.headers
    }

    /// How the body is delimited.
    pub fn body_kind(&self) -> BodyKind {
        self.body.kind()
    }

    /// The body reader itself (trailers, bytes read so far).
    pub fn body(&self) -> &BodyReader<Conn> {
        &self.body
    }

    /// Reads the whole body into memory, refusing more than `limit` bytes.
    pub fn into_bytes_limited(mut self, limit: u64) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        (&mut self).take(limit + 1).read_to_end(&mut out)?;
        if out.len() as u64 > limit {
            return Err(Error::Malformed(format!("body larger than {limit} bytes")));
        }
        Ok(out)
    }

    /// [`Response::into_bytes_limited`] with [`MAX_BODY_IN_MEMORY`].
    pub fn into_bytes(self) -> Result<Vec<u8>, Error> {
        self.into_bytes_limited(MAX_BODY_IN_MEMORY)
    }
}

impl Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.body.read(buf).map_err(|e| {
            if is_timeout(&e) {
                io::Error::new(
                    io::ErrorKind::TimedOut,
                    "timed out reading the response body",
                )
            } else {
                e
            }
        })?;
        if n == 0 && !buf.is_empty() && !self.traced_end {
            self.traced_end = true;
            let framing = match self.body.kind() {
                BodyKind::Empty => "no body",
                BodyKind::Length(_) => "Content-Length",
                BodyKind::Chunked => "chunked",
                BodyKind::UntilClose => "until close",
            };
            trace::body(Dir::In, self.peer, self.body.bytes_read(), framing);
        }
        Ok(n)
    }
}

/// `GET url` with the default [`Config`], following redirects.
pub fn get(url: &str) -> Result<Response, Error> {
    request(Request::parse("GET", url)?, &Config::default())
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// Sends `req`, following redirects up to `cfg.max_redirects`.
///
/// Method rules (RFC 9110 §15.4): 303 turns any method but HEAD into GET
/// without a body; 301 and 302 turn POST into GET (what every browser does,
/// and what the RFC allows); 307 and 308 repeat the same method and body.
pub fn request(mut req: Request, cfg: &Config) -> Result<Response, Error> {
    let mut history: Vec<(Url, ResponseHead)> = Vec::new();
    let mut seen: Vec<(String, String)> = vec![(req.method.clone(), req.url.to_string())];
    // A Bytes body is kept so that a 307/308 can send it again.
    loop {
        let replay = match &req.body {
            Body::Bytes(b) => Some(b.clone()),
            _ => None,
        };
        let mut resp = send(&mut req, cfg)?;
        let location = resp.head.headers.get("location").map(str::to_string);
        let (true, Some(location)) = (
            is_redirect(resp.head.status) && cfg.max_redirects > 0,
            location,
        ) else {
            resp.history = history;
            return Ok(resp);
        };
        let next = resp.url.join(&location).map_err(|e| {
            Error::BadRedirect(format!("Location `{location}` is not a URL reference: {e}"))
        })?;
        let mut chain: Vec<String> = history.iter().map(|(u, _)| u.to_string()).collect();
        chain.push(resp.url.to_string());
        chain.push(next.to_string());
        next.http_parts()
            .map_err(|e| Error::BadRedirect(format!("to `{next}`: {e}")))?;
        if history.len() + 1 > cfg.max_redirects {
            return Err(Error::TooManyRedirects(cfg.max_redirects, chain));
        }
        let status = resp.head.status;
        let method = if (status == 303 && req.method != "HEAD")
            || ((status == 301 || status == 302) && req.method == "POST")
        {
            "GET".to_string()
        } else {
            req.method.clone()
        };
        let body = if method != req.method {
            for f in ["content-length", "transfer-encoding", "content-type"] {
                req.headers.remove(f);
            }
            Body::Empty
        } else {
            match (std::mem::replace(&mut req.body, Body::Empty), replay) {
                (Body::Empty, _) => Body::Empty,
                (Body::Bytes(_), Some(b)) => Body::Bytes(b),
                _ => return Err(Error::BodyNotReplayable),
            }
        };
        if !resp.url.same_origin(&next) {
            // Credentials meant for one origin must not leak to another.
            req.headers.remove("authorization");
            req.headers.remove("cookie");
        }
        let key = (method.clone(), next.to_string());
        if seen.contains(&key) {
            return Err(Error::RedirectLoop(chain));
        }
        seen.push(key);
        history.push((resp.url.clone(), resp.head.clone()));
        drop(resp); // closes the connection; its body is not needed
        req.method = method;
        req.url = next;
        req.body = body;
    }
}

/// Resolves and connects, trying each address in turn. The socket comes
/// with `cfg.read_timeout` on every read and write: no wait is unbounded.
pub fn connect(host: &str, port: u16, cfg: &Config) -> Result<TcpStream, Error> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| Error::UnknownHost(host.to_string(), e))?
        .collect();
    let mut last = None;
    for a in &addrs {
        match TcpStream::connect_timeout(a, cfg.connect_timeout) {
            Ok(s) => {
                s.set_read_timeout(Some(cfg.read_timeout))?;
                s.set_write_timeout(Some(cfg.read_timeout))?;
                return Ok(s);
            }
            Err(e) if is_timeout(&e) => last = Some(Error::Timeout("connection")),
            Err(e) => last = Some(Error::Connect(a.to_string(), e)),
        }
    }
    Err(last.unwrap_or_else(|| {
        Error::UnknownHost(
            host.to_string(),
            io::Error::other("the name has no addresses"),
        )
    }))
}

/// One exchange: connect, send `req`, read the response head. No redirects.
pub fn send(req: &mut Request, cfg: &Config) -> Result<Response, Error> {
    let url_text = req.url.to_string();
    let parts = req
        .url
        .http_parts()
        .map_err(|e| Error::Unfetchable(url_text.clone(), e))?;
    let mut stream = connect(&parts.connect_host, parts.port, cfg)?;
    let peer = stream.peer_addr()?;
    trace::note(peer, format!("connected for {url_text}"));

    let mut head = format!("{} {} HTTP/1.1\r\n", req.method, parts.target).into_bytes();
    let mut fields = Headers::new();
    if !req.headers.contains("host") {
        fields.append("Host", parts.host_header.clone());
    }
    if !req.headers.contains("user-agent") {
        fields.append("User-Agent", cfg.user_agent.clone());
    }
    if !req.headers.contains("accept") {
        fields.append("Accept", "*/*");
    }
    for (n, v) in req.headers.iter() {
        fields.append(n, v);
    }
    match &req.body {
        Body::Empty => {}
        Body::Bytes(b) => fields.set("Content-Length", b.len().to_string()),
        Body::Reader { len: Some(n), .. } => fields.set("Content-Length", n.to_string()),
        Body::Reader { len: None, .. } => fields.set("Transfer-Encoding", "chunked"),
    }
    fields.set("Connection", "close");
    fields.write_to(&mut head);
    head.extend_from_slice(b"\r\n");
    trace::head(Dir::Out, peer, &head);

    // A server may answer (413, 401) and close before reading the whole
    // body; then writing fails, but its answer is what the caller needs.
    let sent = write_request(&mut stream, &head, &mut req.body, peer);
    let resp = read_head(&mut stream, &req.method, cfg, peer);
    match (sent, resp) {
        (_, Ok((head, leftover, kind))) => Ok(Response {
            url: req.url.clone(),
            head,
            history: Vec::new(),
            peer,
            body: BodyReader::new(BufReader::new(Cursor::new(leftover).chain(stream)), kind),
            traced_end: false,
        }),
        (Err(e), Err(_)) => Err(e.into()),
        (Ok(()), Err(e)) => Err(e),
    }
}

fn write_request(
    stream: &mut TcpStream,
    head: &[u8],
    body: &mut Body,
    peer: SocketAddr,
) -> io::Result<()> {
    match body {
        Body::Empty => stream.write_all(head)?,
        Body::Bytes(b) => {
            // Head and a small body in one write: one packet, not two.
            stream.write_all(&[head, b.as_slice()].concat())?;
            trace::body(Dir::Out, peer, b.len() as u64, "Content-Length");
        }
        Body::Reader {
            reader,
            len: Some(n),
        } => {
            stream.write_all(head)?;
            let copied = io::copy(&mut reader.take(*n), stream)?;
            if copied != *n {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("the body reader ended after {copied} of {n} bytes"),
                ));
            }
            trace::body(Dir::Out, peer, copied, "Content-Length");
        }
        Body::Reader { reader, len: None } => {
            stream.write_all(head)?;
            let total = send_chunked(reader, &mut *stream, 16 * 1024)?;
            trace::body(Dir::Out, peer, total, "chunked");
        }
    }
    stream.flush()
}

/// Reads a response head (skipping 1xx interim responses); returns it, the
/// bytes read past it, and how its body is delimited.
fn read_head(
    stream: &mut TcpStream,
    method: &str,
    cfg: &Config,
    peer: SocketAddr,
) -> Result<(ResponseHead, Vec<u8>, BodyKind), Error> {
    let mut buf = Vec::with_capacity(4096);
    loop {
        let head = read_one_head(stream, &mut buf, cfg, peer)?;
        if (100..200).contains(&head.status) && head.status != 101 {
            continue;
        }
        let kind = if head.status == 101 {
            BodyKind::Empty
        } else {
            response_body_kind(method, head.status, &head.headers).map_err(|e| match e {
                FramingError::UnsupportedEncoding(c) => Error::UnsupportedCoding(c),
                e => Error::Malformed(e.to_string()),
            })?
        };
        return Ok((head, buf, kind));
    }
}

/// Reads exactly one response head, an interim one (1xx) too, from what
/// `buf` holds and then from the socket; the bytes read past it stay in
/// `buf`. Chapter 7's upload uses it to see a `100 Continue` itself.
pub fn read_one_head(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    cfg: &Config,
    peer: SocketAddr,
) -> Result<ResponseHead, Error> {
    let mut chunk = [0u8; 8192];
    loop {
        match parse_response(buf, &cfg.limits) {
            Ok(Parsed::Complete(head, used)) => {
                trace::head(Dir::In, peer, &buf[..used]);
                buf.drain(..used);
                return Ok(head);
            }
            Ok(Parsed::Incomplete) => {}
            Err(e) => {
                return Err(Error::Malformed(format!(
                    "{e}; received \"{}\"",
                    trace::preview(buf, 80)
                )));
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) if buf.is_empty() => {
                return Err(Error::Malformed(
                    "the server closed the connection without answering".into(),
                ));
            }
            Ok(0) => {
                return Err(Error::Malformed(format!(
                    "the connection closed inside the response head: \"{}\"",
                    trace::preview(buf, 80)
                )));
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => return Err(Error::Timeout("response head")),
            Err(e) => return Err(Error::Io(e)),
        }
    }
}
