//! The little HTTP/1.1 client the download and upload tools stand on: an
//! `http://` URL, a connection with timeouts, a request head out, a
//! response head in, and the body as a [`BodyReader`] so it can be copied
//! anywhere without knowing its framing.
//!
//! Everything here is chapter 2 and 3's code put to work: the head grammar
//! (`parse_response`), body framing (`response_body_kind`, `BodyReader`)
//! and percent-encoding. What this chapter adds is the discipline around
//! it: every read has a timeout, redirects are bounded, and a body that
//! ends early is an error, never a short file.

use std::io::{self, BufReader, Chain, Cursor, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::ch02_http_by_hand::head::{
    HeadLimits, Headers, Parsed, RequestHead, ResponseHead, Version, parse_response,
};
use crate::ch03_urls_and_clients::body::{BodyReader, response_body_kind};

/// An `http://` URL, split into what a request needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Host name or IP literal (an IPv6 literal keeps its brackets).
    pub host: String,
    pub port: u16,
    /// Path and query: the origin-form request-target (`/a/b?c`).
    pub target: String,
}

impl Url {
    /// Parses `http://host[:port][/path][?query]`. Fragments are dropped
    /// (they never go on the wire); `https` is refused (no TLS here).
    pub fn parse(s: &str) -> Result<Url, String> {
        let rest = match s.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => return Err(format!("unsupported scheme `{scheme}` (only http)")),
            None => return Err(format!("`{s}` is not an http:// URL")),
        };
        let rest = rest.split('#').next().unwrap_or("");
        let (authority, target) = match rest.find(['/', '?']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let target = if target.starts_with('?') {
            format!("/{target}")
        } else {
            target.to_string()
        };
        if authority.contains('@') {
            return Err("user:password@ in URLs is not supported".into());
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => (
                h,
                p.parse::<u16>()
                    .map_err(|_| format!("bad port `{p}` in `{s}`"))?,
            ),
            _ => (authority, 80),
        };
        if host.is_empty() {
            return Err(format!("no host in `{s}`"));
        }
        if target.bytes().any(|b| b <= b' ' || b == 0x7f) {
            return Err("spaces or control characters in the URL path".into());
        }
        Ok(Url {
            host: host.to_string(),
            port,
            target,
        })
    }

    /// The `Host` field value (RFC 9110 §7.2): the port only if not 80.
    pub fn authority(&self) -> String {
        if self.port == 80 {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Resolves a `Location` value against this URL (RFC 9110 §10.2.2): an
    /// absolute URL, an absolute path, or a path relative to this one.
    pub fn join(&self, location: &str) -> Result<Url, String> {
        if location.contains("://") {
            return Url::parse(location);
        }
        if let Some(rest) = location.strip_prefix("//") {
            return Url::parse(&format!("http://{rest}"));
        }
        let target = if location.starts_with('/') {
            location.to_string()
        } else {
            let path = self.target.split('?').next().unwrap_or("/");
            let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
            format!("{dir}{location}")
        };
        Ok(Url {
            target,
            ..self.clone()
        })
    }

    /// The last segment of the path (still encoded), if any.
    pub fn last_segment(&self) -> &str {
        let path = self.target.split('?').next().unwrap_or("");
        path.rsplit('/').next().unwrap_or("")
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "http://{}{}", self.authority(), self.target)
    }
}

/// Time limits of a client.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub connect: Duration,
    /// Longest wait for any one read or write.
    pub io: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            connect: Duration::from_secs(10),
            io: Duration::from_secs(30),
        }
    }
}

/// The reader a response body comes out of: bytes already buffered past
/// the head, then the socket.
pub type BodyStream = BodyReader<BufReader<Chain<Cursor<Vec<u8>>, TcpStream>>>;

/// One client connection.
pub struct Connection {
    stream: TcpStream,
    /// Bytes read but not yet consumed.
    buf: Vec<u8>,
}

impl Connection {
    /// Connects to `url`'s host with the timeouts set on the socket.
    pub fn open(url: &Url, t: Timeouts) -> io::Result<Connection> {
        let host = url.host.trim_start_matches('[').trim_end_matches(']');
        let mut last = io::Error::new(io::ErrorKind::NotFound, "host has no addresses");
        for addr in (host, url.port).to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, t.connect) {
                Ok(stream) => {
                    stream.set_read_timeout(Some(t.io))?;
                    stream.set_write_timeout(Some(t.io))?;
                    stream.set_nodelay(true)?;
                    return Ok(Connection {
                        stream,
                        buf: Vec::new(),
                    });
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    pub fn stream(&mut self) -> &mut TcpStream {
        &mut self.stream
    }

    /// Sends a request head.
    pub fn send_head(&mut self, head: &RequestHead) -> io::Result<()> {
        let bytes = head.to_bytes();
        crate::trace::head(crate::trace::Dir::Out, self.peer(), &bytes);
        self.stream.write_all(&bytes)
    }

    fn peer(&self) -> String {
        self.stream
            .peer_addr()
            .map(|a| a.to_string())
            .unwrap_or_default()
    }

    /// Reads one response head, interim (1xx) ones included.
    pub fn read_head(&mut self) -> io::Result<ResponseHead> {
        let mut chunk = [0u8; 8192];
        loop {
            match parse_response(&self.buf, &HeadLimits::CLIENT) {
                Ok(Parsed::Complete(head, n)) => {
                    crate::trace::head(crate::trace::Dir::In, self.peer(), &self.buf[..n]);
                    self.buf.drain(..n);
                    return Ok(head);
                }
                Ok(Parsed::Incomplete) => {}
                Err(e) => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("malformed response head: {e}"),
                    ));
                }
            }
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    if self.buf.is_empty() {
                        "connection closed without a response"
                    } else {
                        "connection closed inside the response head"
                    },
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Reads the final response head, skipping `1xx` interim responses.
    pub fn read_final_head(&mut self) -> io::Result<ResponseHead> {
        loop {
            let h = self.read_head()?;
            if !(100..200).contains(&h.status) || h.status == 101 {
                return Ok(h);
            }
        }
    }

    /// The body of the response to a `method` request with head `head`.
    pub fn into_body(self, method: &str, head: &ResponseHead) -> io::Result<BodyStream> {
        let kind = response_body_kind(method, head.status, &head.headers)?;
        let reader = BufReader::with_capacity(64 * 1024, Cursor::new(self.buf).chain(self.stream));
        Ok(BodyReader::new(reader, kind))
    }
}

/// A request head for `url` with `Host`, our `User-Agent`, and `extra`.
pub fn request_head(method: &str, url: &Url, extra: &[(&str, String)]) -> RequestHead {
    let mut headers = Headers::new();
    headers.append("Host", url.authority());
    headers.append(
        "User-Agent",
        concat!("wirebook/", env!("CARGO_PKG_VERSION")),
    );
    for (n, v) in extra {
        headers.append(*n, v.clone());
    }
    RequestHead {
        method: method.to_string(),
        target: url.target.clone(),
        version: Version::Http11,
        headers,
    }
}

/// Most redirects followed before giving up (browsers use about 20; a
/// loop is caught either way).
pub const MAX_REDIRECTS: usize = 10;

/// A response to a GET, head read, body ready to be read.
pub struct Fetched {
    /// The URL that finally answered (after redirects).
    pub url: Url,
    pub head: ResponseHead,
    pub body: BodyStream,
}

/// GETs `url` with the `extra` fields, following up to [`MAX_REDIRECTS`]
/// redirects (301, 302, 303, 307, 308 with a `Location`).
pub fn get(url: &Url, extra: &[(&str, String)], t: Timeouts) -> io::Result<Fetched> {
    let mut url = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        let mut conn = Connection::open(&url, t)?;
        let mut head = request_head("GET", &url, extra);
        head.headers.append("Connection", "close");
        conn.send_head(&head)?;
        let resp = conn.read_final_head()?;
        if matches!(resp.status, 301 | 302 | 303 | 307 | 308)
            && let Some(loc) = resp.headers.get("location")
        {
            url = url
                .join(loc)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            continue;
        }
        let body = conn.into_body("GET", &resp)?;
        return Ok(Fetched {
            url,
            head: resp,
            body,
        });
    }
    Err(io::Error::other(format!(
        "more than {MAX_REDIRECTS} redirects"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u = Url::parse("http://127.0.0.1:8080/a/b?x=1#frag").unwrap();
        assert_eq!(u.host, "127.0.0.1");
        assert_eq!(u.port, 8080);
        assert_eq!(u.target, "/a/b?x=1");
        assert_eq!(u.authority(), "127.0.0.1:8080");
        assert_eq!(u.last_segment(), "b");
        let u = Url::parse("HTTP://example.com?q").unwrap();
        assert_eq!((u.port, u.target.as_str()), (80, "/?q"));
        assert_eq!(Url::parse("http://[::1]:9/").unwrap().host, "[::1]");
        assert_eq!(Url::parse("http://[::1]/").unwrap().port, 80);
        assert!(Url::parse("https://example.com/").is_err());
        assert!(Url::parse("example.com/").is_err());
        assert!(Url::parse("http://h:99999/").is_err());
        assert!(Url::parse("http:///x").is_err());
        assert!(Url::parse("http://h/a b").is_err());
    }

    #[test]
    fn locations_resolve() {
        let u = Url::parse("http://h:1/a/b/c?q").unwrap();
        assert_eq!(u.join("/x").unwrap().to_string(), "http://h:1/x");
        assert_eq!(u.join("d").unwrap().to_string(), "http://h:1/a/b/d");
        assert_eq!(u.join("http://o/p").unwrap().to_string(), "http://o/p");
        assert_eq!(u.join("//o:2/p").unwrap().to_string(), "http://o:2/p");
    }
}
