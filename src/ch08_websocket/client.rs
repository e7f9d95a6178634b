//! Connecting to a WebSocket server: `ws://host:port/path` → TCP → the
//! handshake (§4.1) → a [`WebSocket`] in the client role, which masks every
//! frame with a fresh key (§5.3).
//!
//! Only `ws://` is supported: `wss://` needs TLS, which this book leaves
//! out. A `ws://` URL has the same parts as an `http://` one (RFC 6455 §3),
//! so chapter 3's [`Url`] parses it.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::accept::new_key;
use super::config::Config;
use super::frame::Role;
use super::handshake::{check_response, client_request};
use super::socket::WebSocket;
use crate::ch02_http_by_hand::head::{HeadLimits, Parsed, parse_response};
use crate::ch03_urls_and_clients::url::{HttpParts, Url};
use crate::rng::Rng;
use crate::trace::{self, Dir};

/// The parts of a `ws://` URL a client needs: where to connect, the
/// `Host` field, and the resource (path and query) for the request line.
pub fn ws_parts(url: &str) -> Result<HttpParts, String> {
    let mut u = Url::parse(url).map_err(|e| e.to_string())?;
    match u.scheme.as_str() {
        "ws" => {}
        "wss" => return Err("wss:// needs TLS, which this book does not cover; use ws://".into()),
        s => return Err(format!("not a ws:// URL (scheme `{s}:`)")),
    }
    if u.fragment.is_some() {
        // §3: "Fragment identifiers are meaningless in the context of
        // WebSocket URIs and MUST NOT be used".
        return Err("a WebSocket URL may not have a fragment (#...)".into());
    }
    // Same authority, path and query rules as http://, default port 80.
    u.scheme = "http".into();
    u.http_parts().map_err(|e| e.to_string())
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// The client's default bound on connecting and on the handshake
/// (`ch08_ws_client --timeout`). After the handshake, reads are bounded by
/// [`Config::ping_interval`] instead.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects to `url` and completes the handshake, offering `protocols`.
/// Returns the WebSocket and the protocol the server chose. `timeout`
/// bounds connecting and the handshake.
pub fn connect_with(
    url: &str,
    protocols: &[&str],
    config: Config,
    timeout: Duration,
) -> io::Result<(WebSocket, Option<String>)> {
    let url = ws_parts(url).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let addr = (url.connect_host.as_str(), url.port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| invalid(format!("{} has no address", url.connect_host)))?;
    let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let key = new_key(&mut Rng::new());
    let request = client_request(&url.host_header, &url.target, &key, protocols);
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
        // A read with a timeout can return EINTR (a signal, or a stop and
        // continue of the process); it read nothing, so try again.
        let n = match stream.read(&mut chunk) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => r?,
        };
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
    fn ws_urls_have_http_parts() {
        let u = ws_parts("ws://127.0.0.1:8765/chat?room=1").unwrap();
        assert_eq!(
            (
                u.connect_host.as_str(),
                u.port,
                u.host_header.as_str(),
                u.target.as_str()
            ),
            ("127.0.0.1", 8765, "127.0.0.1:8765", "/chat?room=1")
        );
        let u = ws_parts("WS://localhost").unwrap();
        assert_eq!(
            (u.port, u.target.as_str(), u.host_header.as_str()),
            (80, "/", "localhost")
        );
        let u = ws_parts("ws://[::1]:9000?x").unwrap();
        assert_eq!(
            (u.connect_host.as_str(), u.host_header.as_str()),
            ("::1", "[::1]:9000")
        );
        for bad in [
            "http://x/",
            "wss://x/",
            "ws://",
            "ws://h:port/",
            "ws://h/#f",
            "x",
        ] {
            assert!(ws_parts(bad).is_err(), "{bad}");
        }
    }
}
