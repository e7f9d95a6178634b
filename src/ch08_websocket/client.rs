//! Connecting to a WebSocket server: `ws://host:port/path` → TCP → the
//! handshake (§4.1) → a [`WebSocket`] in the client role, which masks every
//! frame with a fresh key (§5.3).
//!
//! Only `ws://` is supported: `wss://` needs TLS, which this book leaves
//! out. URLs are parsed here, minimally (scheme, host, optional port, path
//! and query); chapter 3's URL parser was not available to this chapter
//! when it was written.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::accept::new_key;
use super::frame::Role;
use super::handshake::{check_response, client_request};
use super::socket::{Config, WebSocket};
use crate::ch02_http_by_hand::head::{HeadLimits, Parsed, parse_response};
use crate::rng::Rng;
use crate::trace::{self, Dir};

/// The parts of a `ws://` URL a client needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsUrl {
    pub host: String,
    pub port: u16,
    /// Path and query, as sent in the request line (`/` if empty).
    pub resource: String,
}

impl WsUrl {
    /// Parses `ws://host[:port][/path][?query]` (RFC 6455 §3). A fragment
    /// is not allowed in a WebSocket URL; userinfo is not supported.
    pub fn parse(url: &str) -> Result<WsUrl, String> {
        let rest = match url.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("ws") => rest,
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("wss") => {
                return Err("wss:// (TLS) is not supported; use ws://".into());
            }
            _ => return Err(format!("not a ws:// URL: {url}")),
        };
        if rest.contains('#') {
            return Err("a WebSocket URL may not have a fragment (#...)".into());
        }
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, resource) = rest.split_at(split);
        if authority.contains('@') {
            return Err("user:password@ is not supported in ws:// URLs".into());
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6.split_once(']').ok_or("unclosed [ in host")?;
            (h.to_string(), after.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(format!("no host in {url}"));
        }
        let port = match port {
            None => 80,
            Some(p) => p.parse().map_err(|_| format!("bad port {p:?} in {url}"))?,
        };
        let resource = match resource {
            "" => "/".to_string(),
            r if r.starts_with('?') => format!("/{r}"),
            r => r.to_string(),
        };
        Ok(WsUrl {
            host,
            port,
            resource,
        })
    }

    /// The `Host` field: the port only when it is not the default 80.
    pub fn host_header(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Connects to `url` and completes the handshake, offering `protocols`.
/// Returns the WebSocket and the protocol the server chose. `timeout`
/// bounds connecting and the handshake.
pub fn connect_with(
    url: &str,
    protocols: &[&str],
    config: Config,
    timeout: Duration,
) -> io::Result<(WebSocket, Option<String>)> {
    let url = WsUrl::parse(url).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let addr = (url.host.as_str(), url.port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| invalid(format!("{} has no address", url.host)))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let key = new_key(&mut Rng::new());
    let request = client_request(&url.host_header(), &url.resource, &key, protocols);
    trace::head(Dir::Out, addr, &request);
    stream.write_all(&request)?;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let (head, used) = loop {
        match parse_response(&buf, &HeadLimits::CLIENT) {
            Ok(Parsed::Complete(head, used)) => break (head, used),
            Ok(Parsed::Incomplete) => {}
            Err(e) => return Err(invalid(format!("bad handshake response: {e}"))),
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(invalid("server closed the connection during the handshake"));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    trace::head(Dir::In, addr, &buf[..used]);
    let protocol = check_response(&head, &key, protocols).map_err(invalid)?;
    // Bytes behind the 101's head are already frames.
    let leftover = buf.split_off(used);
    let ws = WebSocket::from_tcp(stream, leftover, Role::Client, config)?;
    Ok((ws, protocol))
}

/// [`connect_with`] with no subprotocol, the default [`Config`], and a 10 s
/// timeout for the handshake.
pub fn connect(url: &str) -> io::Result<WebSocket> {
    connect_with(url, &[], Config::default(), Duration::from_secs(10)).map(|(ws, _)| ws)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ws_urls() {
        let u = WsUrl::parse("ws://127.0.0.1:8765/chat?room=1").unwrap();
        assert_eq!(
            u,
            WsUrl {
                host: "127.0.0.1".into(),
                port: 8765,
                resource: "/chat?room=1".into()
            }
        );
        assert_eq!(u.host_header(), "127.0.0.1:8765");
        let u = WsUrl::parse("WS://localhost").unwrap();
        assert_eq!((u.port, u.resource.as_str()), (80, "/"));
        assert_eq!(u.host_header(), "localhost");
        let u = WsUrl::parse("ws://[::1]:9000?x").unwrap();
        assert_eq!(
            (u.host.as_str(), u.port, u.resource.as_str()),
            ("::1", 9000, "/?x")
        );
        assert_eq!(u.host_header(), "[::1]:9000");
        for bad in [
            "http://x/",
            "wss://x/",
            "ws://",
            "ws://h:port/",
            "ws://h/#f",
            "x",
        ] {
            assert!(WsUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
