//! The first HTTP server: one connection at a time, one request per
//! connection, every byte accounted for.
//!
//! The loop is the one every HTTP/1.1 server runs, written out in full:
//!
//! 1. accept a connection and set a read timeout on it;
//! 2. read into a **bounded** buffer and call [`parse_request`] after every
//!    read until it says the head is complete (never "read lines until an
//!    empty line": a line reader has no limit, and cannot tell a head that
//!    is still arriving from one that never will);
//! 3. decide the answer with [`plan`], a pure function of the head;
//! 4. read (and discard) a request body that was announced with
//!    `Content-Length`, so the bytes do not stay unread in the socket;
//! 5. write one response with a status line, `Content-Type`,
//!    `Content-Length`, `Date` and `Connection: close`, then close.
//!
//! **Why single-threaded, and why close after each response.** While this
//! server waits for one slow client, every other client waits too: that is
//! the point of the chapter's last section, and what chapter 5's thread pool
//! fixes. Keep-alive would make it worse: a browser keeps an idle connection
//! open for minutes, and a one-connection-at-a-time server would serve no
//! one else meanwhile. So every response says `Connection: close` and the
//! server closes (RFC 9112 §9.6); chapter 4 adds keep-alive together with
//! a thread for each connection, which makes it affordable, and chapter 5
//! bounds what those threads cost.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use super::date;
use super::framing::BodyKind;
use super::framing::{host_problem, request_body_kind};
use super::head::{HeadError, HeadLimits, Parsed, RequestHead, ResponseHead, parse_request};
use crate::ch01_sockets::tcp_echo::{accept_retrying, is_timeout};
use crate::trace::{self, Dir};

/// Longest wait for any single read or write (RFC 9110 leaves timeouts to
/// the server; 5 s is long for a person typing into `nc`, short enough that
/// a stalled client does not hold the only connection for long).
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest time a client may take to send a whole request (head and body),
/// however it spaces its bytes. Without a total deadline a client sending
/// one byte every 4 seconds would never hit [`READ_TIMEOUT`] ("slowloris").
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest request body this server reads (413 past it). `Hello, world`
/// takes no input at all, but a body that arrives must still be read or
/// refused, never left in the socket.
pub const MAX_BODY_BYTES: u64 = 64 * 1024;
/// After an error answer, how much unread input is drained before closing,
/// and for how long (see [`close_after_error`]).
pub const LINGER_BYTES: usize = 256 * 1024;
pub const LINGER_TIME: Duration = Duration::from_secs(1);

/// The text `GET /` answers with, as in the original tutorial.
pub const HELLO: &str = "Hello, world";
/// Methods that `/` allows (sent in `Allow` with 405, RFC 9110 §15.5.6).
pub const ALLOW: &str = "GET, HEAD, OPTIONS";
/// The methods RFC 9110 §9 defines, plus PATCH (RFC 5789): a method outside
/// this list is one the server does not recognise at all (501), a method in
/// it that `/` does not allow is 405.
pub const KNOWN_METHODS: [&str; 9] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH",
];

/// What the server may spend on one connection.
#[derive(Debug, Clone)]
pub struct Config {
    pub read_timeout: Duration,
    pub request_timeout: Duration,
    pub limits: HeadLimits,
    pub max_body: u64,
    /// No access-log line on stderr.
    pub quiet: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            read_timeout: READ_TIMEOUT,
            request_timeout: REQUEST_TIMEOUT,
            limits: HeadLimits::SERVER,
            max_body: MAX_BODY_BYTES,
            quiet: false,
        }
    }
}

/// A response this server sends: always small, always complete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// Send `Allow` (405 and OPTIONS answers).
    pub allow: bool,
    /// HEAD: the head says what GET would send, but no body follows
    /// (RFC 9110 §9.3.2).
    pub head_only: bool,
}

impl Reply {
    /// A plain-text answer.
    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.as_bytes().to_vec(),
            allow: false,
            head_only: false,
        }
    }

    /// An error answer whose body is the reason phrase.
    pub fn error(status: u16) -> Reply {
        let reason = super::head::reason_phrase(status);
        Reply::text(status, &format!("{status} {reason}\n"))
    }

    /// The bytes on the wire: head, then body (unless HEAD).
    pub fn to_bytes(&self, date: &str) -> Vec<u8> {
        let mut head = ResponseHead::new(self.status);
        // 204 has no content, so no type and no length (RFC 9110 §8.6:
        // a server MUST NOT send Content-Length with 204).
        if self.status != 204 {
            head.headers.append("Content-Type", self.content_type);
            head.headers
                .append("Content-Length", self.body.len().to_string());
        }
        head.headers.append("Date", date);
        if self.allow {
            head.headers.append("Allow", ALLOW);
        }
        head.headers.append("Connection", "close");
        let mut out = head.to_bytes();
        if !self.head_only {
            out.extend_from_slice(&self.body);
        }
        out
    }
}

/// What to do with a request whose head parsed: how many body bytes to read
/// first, and what to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Body bytes announced by `Content-Length` that must be read before the
    /// answer (0 if none). Only set when the body is within the limit.
    pub body_len: u64,
    pub reply: Reply,
    /// The answer refuses the request before its body was read: close
    /// without trusting what follows in the stream.
    pub refuse: bool,
}

/// The path of a request-target (RFC 9112 §3.2): origin-form `/p?q` gives
/// `/p`, absolute-form `http://host/p?q` (which a server MUST accept,
/// §3.2.2) gives `/p`; asterisk-form `*` gives `*`. `None` for a target that
/// is none of these (authority-form outside CONNECT, or junk).
pub fn target_path(target: &str) -> Option<&str> {
    if target == "*" {
        return Some("*");
    }
    let rest = if target.starts_with('/') {
        target
    } else {
        // absolute-form: scheme "://" authority path-abempty [ "?" query ]
        let (scheme, after) = target.split_once("://")?;
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return None;
        }
        match after.find(['/', '?']) {
            Some(i) if after.as_bytes()[i] == b'/' => &after[i..],
            // `http://host` or `http://host?q`: the path is empty, which
            // means `/` (RFC 9112 §3.2.1).
            _ => "/",
        }
    };
    Some(rest.split('?').next().unwrap_or(rest))
}

/// What is wrong with a request-target for this method, if anything (RFC
/// 9112 §3.2): it must be origin-form (`/p?q`) or absolute-form
/// (`http://host/p`); asterisk-form (`*`) only with OPTIONS, and
/// authority-form (`host:port`) only with CONNECT, which an origin server
/// refuses anyway. `GET a/b` is none of these: 400, not a 404.
pub fn target_problem(method: &str, target: &str) -> Option<&'static str> {
    match target_path(target) {
        None => Some("the request target is not /path, http://host/path or *"),
        Some("*") if method != "OPTIONS" => Some("* is a target for OPTIONS only"),
        Some(_) => None,
    }
}

/// Decides the answer to a parsed request head. Pure: no I/O, so every rule
/// has a unit test, and the order of the rules is visible in one place.
pub fn plan(head: &RequestHead, max_body: u64) -> Plan {
    let refuse = |status: u16| Plan {
        body_len: 0,
        reply: Reply::error(status),
        refuse: true,
    };
    // RFC 9112 §3.2: an HTTP/1.1 request MUST have exactly one Host; any
    // request with several, or with one that is not `host[:port]`, is
    // invalid.
    if host_problem(head).is_some() {
        return refuse(400);
    }
    // How long is the body? (RFC 9112 §6: Transfer-Encoding and
    // Content-Length together, a coding we do not implement, a bad length:
    // see `request_body_kind`.)
    let body_len = match request_body_kind(head) {
        Err(e) => return refuse(e.status()),
        // Chunked request bodies are chapter 4's; this server asks for a
        // Content-Length instead.
        Ok(BodyKind::Chunked) => return refuse(411),
        Ok(BodyKind::Length(n)) if n > max_body => return refuse(413),
        Ok(BodyKind::Length(n)) => n,
        // A request has no "until close" body (§6.3 rule 7).
        Ok(BodyKind::Empty | BodyKind::UntilClose) => 0,
    };
    let answer = |reply: Reply| Plan {
        body_len,
        reply,
        refuse: false,
    };
    let method = head.method.as_str();
    if !KNOWN_METHODS.contains(&method) {
        return answer(Reply::error(501));
    }
    if method == "CONNECT" {
        // A tunnel request (authority-form target `host:443`), for proxies.
        // This is an origin server, so the method is not allowed here.
        return answer(Reply {
            allow: true,
            ..Reply::error(405)
        });
    }
    if target_problem(method, &head.target).is_some() {
        return answer(Reply::error(400));
    }
    let path = target_path(&head.target).unwrap_or("/");
    if path == "*" {
        // Asterisk-form (RFC 9112 §3.2.4): OPTIONS about the server itself.
        return answer(options_reply());
    }
    if path != "/" {
        return answer(Reply::error(404));
    }
    answer(match method {
        "GET" => Reply::text(200, HELLO),
        "HEAD" => Reply {
            head_only: true,
            ..Reply::text(200, HELLO)
        },
        "OPTIONS" => options_reply(),
        _ => Reply {
            allow: true,
            ..Reply::error(405)
        },
    })
}

fn options_reply() -> Reply {
    Reply {
        status: 204,
        content_type: "",
        body: Vec::new(),
        allow: true,
        head_only: false,
    }
}

/// How reading a request head ended.
#[derive(Debug)]
pub enum HeadRead {
    /// A head, the bytes read so far, and how many of them the head used.
    Head(RequestHead, Vec<u8>, usize),
    /// The client closed before sending anything: nothing to answer.
    Closed,
    /// The bytes can never be a valid head (400, 414, 431, 505).
    Invalid(HeadError, Vec<u8>),
    /// The client closed in the middle of a head (answered with 400).
    Truncated(Vec<u8>),
    /// The client was too slow (answered with 408).
    TimedOut(Vec<u8>),
}

/// Reads a request head: a bounded buffer, the parser after every read,
/// a timeout on each read and a deadline for the whole head.
///
/// The buffer never grows past `limits.max_head_bytes` plus one read: the
/// parser reports [`HeadError::HeadTooLarge`] as soon as the head is longer
/// than the limit, before any more is read.
pub fn read_head(
    stream: &mut impl Read,
    set_timeout: &mut dyn FnMut(Duration),
    cfg: &Config,
    deadline: Instant,
) -> HeadRead {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        match parse_request(&buf, &cfg.limits) {
            Ok(Parsed::Complete(head, used)) => return HeadRead::Head(head, buf, used),
            Err(e) => return HeadRead::Invalid(e, buf),
            Ok(Parsed::Incomplete) => {}
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return HeadRead::TimedOut(buf);
        }
        set_timeout(left.min(cfg.read_timeout));
        match stream.read(&mut chunk) {
            Ok(0) if buf.iter().all(|b| matches!(b, b'\r' | b'\n')) => return HeadRead::Closed,
            Ok(0) => return HeadRead::Truncated(buf),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => return HeadRead::TimedOut(buf),
            // A reset: the client is gone, there is no one to answer.
            Err(_) => return HeadRead::Closed,
        }
    }
}

/// Serves connections one after the other, forever. Errors on one
/// connection are logged and never stop the server.
pub fn serve(listener: TcpListener, cfg: &Config) -> io::Result<()> {
    loop {
        // Out of file descriptors, a connection reset before accept...: not
        // a reason to stop serving everyone else (chapter 1's helper backs
        // off and retries).
        let (stream, peer) = accept_retrying(&listener);
        if let Err(e) = handle_connection(stream, peer, cfg) {
            trace::note(peer, format!("connection error: {e}"));
        }
    }
}

/// One connection: one request, one response, close.
pub fn handle_connection(mut stream: TcpStream, peer: SocketAddr, cfg: &Config) -> io::Result<()> {
    trace::note(peer, "connection opened");
    stream.set_write_timeout(Some(cfg.read_timeout))?;
    stream.set_nodelay(true)?;
    let deadline = Instant::now() + cfg.request_timeout;
    let read = {
        let timeout_handle = stream.try_clone()?;
        let mut set = |d: Duration| {
            let _ = timeout_handle.set_read_timeout(Some(d.max(Duration::from_millis(1))));
        };
        read_head(&mut stream, &mut set, cfg, deadline)
    };
    let (head, buf, used) = match read {
        HeadRead::Head(h, buf, used) => (h, buf, used),
        HeadRead::Closed => {
            trace::note(peer, "closed by the client");
            return Ok(());
        }
        HeadRead::Invalid(e, buf) => {
            trace::head(Dir::In, peer, &buf[..buf.len().min(1024)]);
            trace::note(peer, format!("invalid head: {e}"));
            log(cfg, peer, &buf, e.status());
            send(&mut stream, peer, &Reply::error(e.status()))?;
            return close_after_error(stream);
        }
        HeadRead::Truncated(buf) => {
            trace::note(peer, "closed in the middle of the head");
            log(cfg, peer, &buf, 400);
            send(&mut stream, peer, &Reply::error(400))?;
            return close_after_error(stream);
        }
        HeadRead::TimedOut(buf) => {
            trace::note(peer, "timed out waiting for the head");
            log(cfg, peer, &buf, 408);
            return time_out(stream, peer);
        }
    };
    trace::head(Dir::In, peer, &buf[..used]);
    let p = plan(&head, cfg.max_body);
    log(cfg, peer, &buf[..used], p.reply.status);
    if p.refuse {
        send(&mut stream, peer, &p.reply)?;
        return close_after_error(stream);
    }
    let already = (buf.len() - used) as u64;
    if p.body_len > already && head.headers.has_token("expect", "100-continue") {
        // The client waits for `100 Continue` before sending its body
        // (RFC 9110 §10.1.1). Nothing here accepts a body, so the final
        // answer goes out at once instead, and the body is never sent; the
        // connection is closed after it, since the client may send the body
        // anyway.
        send(&mut stream, peer, &p.reply)?;
        return close_after_error(stream);
    }
    // Read the announced body (and discard it: `/` takes no input). The
    // bytes after the head in `buf` are its start.
    let mut left = p.body_len.saturating_sub(already);
    let mut chunk = [0u8; 4096];
    while left > 0 {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return time_out(stream, peer);
        }
        stream.set_read_timeout(Some(remaining.min(cfg.read_timeout)))?;
        let want = left.min(chunk.len() as u64) as usize;
        match stream.read(&mut chunk[..want]) {
            Ok(0) => return Ok(()), // gone before its body ended
            Ok(n) => left -= n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => return time_out(stream, peer),
            Err(e) => return Err(e),
        }
    }
    if p.body_len > 0 {
        trace::body(Dir::In, peer, p.body_len, "Content-Length");
    }
    send(&mut stream, peer, &p.reply)?;
    if already > p.body_len {
        // A pipelined request followed. We close after one response, so it
        // will not be answered: the client sees `Connection: close` and
        // retries it on a new connection (RFC 9112 §9.3.2).
        return close_after_error(stream);
    }
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

fn send(stream: &mut TcpStream, peer: SocketAddr, reply: &Reply) -> io::Result<()> {
    let bytes = reply.to_bytes(&date::now());
    let head_len = bytes.len() - if reply.head_only { 0 } else { reply.body.len() };
    trace::head(Dir::Out, peer, &bytes[..head_len]);
    if !reply.head_only && !reply.body.is_empty() {
        trace::body(Dir::Out, peer, reply.body.len() as u64, "Content-Length");
    }
    stream.write_all(&bytes)?;
    stream.flush()
}

/// Answers 408 and closes at once. Unlike [`close_after_error`] it does not
/// wait for more input: this client has already had its time, and while a
/// single-threaded server waits, everybody else waits too.
fn time_out(mut stream: TcpStream, peer: SocketAddr) -> io::Result<()> {
    send(&mut stream, peer, &Reply::error(408))?;
    let _ = stream.shutdown(Shutdown::Both);
    Ok(())
}

/// Closes a connection whose input was not all read.
///
/// Closing a TCP socket that still has unread received bytes makes the
/// kernel send a reset (RFC 1122 §4.2.2.13), and a reset can destroy the
/// response we just wrote before the client reads it: the client sees
/// "connection reset" instead of our 400. So we first half-close (FIN, our
/// response is complete), then read and discard what the client still
/// sends, for at most [`LINGER_TIME`] and [`LINGER_BYTES`], then close.
pub fn close_after_error(mut stream: TcpStream) -> io::Result<()> {
    let _ = stream.shutdown(Shutdown::Write);
    let end = Instant::now() + LINGER_TIME;
    let mut drained = 0;
    let mut chunk = [0u8; 8192];
    while drained < LINGER_BYTES {
        let left = end.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
    Ok(())
}

/// One access-log line on stderr: peer, request line, status.
fn log(cfg: &Config, peer: SocketAddr, head: &[u8], status: u16) {
    if cfg.quiet {
        return;
    }
    let line_end = head
        .iter()
        .position(|&b| b == b'\r' || b == b'\n')
        .unwrap_or(head.len())
        .min(200);
    eprintln!("{peer} \"{}\" {status}", trace::escape(&head[..line_end]));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch02_http_by_hand::head::{Headers, Version};

    fn head(method: &str, target: &str, fields: &[(&str, &str)]) -> RequestHead {
        let mut headers = Headers::new();
        for (n, v) in fields {
            headers.append(*n, *v);
        }
        RequestHead {
            method: method.into(),
            target: target.into(),
            version: Version::Http11,
            headers,
        }
    }

    fn status(method: &str, target: &str, fields: &[(&str, &str)]) -> u16 {
        plan(&head(method, target, fields), MAX_BODY_BYTES)
            .reply
            .status
    }

    const H: (&str, &str) = ("Host", "x");

    #[test]
    fn root_says_hello_and_others_are_404() {
        let p = plan(&head("GET", "/", &[H]), MAX_BODY_BYTES);
        assert_eq!(
            (p.reply.status, p.reply.body.as_slice()),
            (200, HELLO.as_bytes())
        );
        assert_eq!(status("GET", "/?a=b", &[H]), 200);
        assert_eq!(status("GET", "http://x:8888/", &[H]), 200);
        assert_eq!(status("GET", "HTTP://x", &[H]), 200);
        assert_eq!(status("GET", "/index.html", &[H]), 404);
        assert_eq!(status("GET", "//", &[H]), 404);
    }

    #[test]
    fn method_rules() {
        assert_eq!(status("POST", "/", &[H]), 405);
        assert!(plan(&head("DELETE", "/", &[H]), 1).reply.allow);
        assert_eq!(status("BREW", "/", &[H]), 501);
        assert_eq!(status("get", "/", &[H]), 501, "methods are case-sensitive");
        assert_eq!(status("OPTIONS", "*", &[H]), 204);
        assert_eq!(status("CONNECT", "example.com:443", &[H]), 405);
        assert_eq!(status("GET", "example.com:443", &[H]), 400);
        assert_eq!(status("GET", "*", &[H]), 400);
        let p = plan(&head("HEAD", "/", &[H]), 1);
        assert!(p.reply.head_only);
        let wire = String::from_utf8(p.reply.to_bytes("D")).unwrap();
        assert!(
            wire.ends_with("\r\n\r\n") && wire.contains("Content-Length: 12\r\n"),
            "{wire}"
        );
    }

    #[test]
    fn host_rules() {
        assert_eq!(status("GET", "/", &[]), 400);
        assert_eq!(status("GET", "/", &[H, H]), 400);
        for bad in [
            "a b", "x/y", "a@b", "[::1", "[nope]", "x:8o", "x:80:80", "\u{e9}",
        ] {
            assert_eq!(status("GET", "/", &[("Host", bad)]), 400, "Host: {bad}");
        }
        for good in [
            "",
            "x",
            "x:",
            "x:8080",
            "127.0.0.1:1",
            "[::1]:80",
            "a-b.c_d~%41",
        ] {
            assert_eq!(status("GET", "/", &[("Host", good)]), 200, "Host: {good}");
        }
        let mut h10 = head("GET", "/", &[]);
        h10.version = Version::Http10;
        assert_eq!(plan(&h10, 1).reply.status, 200);
    }

    #[test]
    fn body_rules() {
        let p = plan(&head("POST", "/", &[H, ("Content-Length", "10")]), 100);
        assert_eq!((p.body_len, p.reply.status, p.refuse), (10, 405, false));
        assert_eq!(
            plan(&head("POST", "/", &[H, ("Content-Length", "101")]), 100)
                .reply
                .status,
            413
        );
        assert_eq!(status("POST", "/", &[H, ("Content-Length", "x")]), 400);
        assert_eq!(status("POST", "/", &[H, ("Content-Length", "1, 2")]), 400);
        assert_eq!(
            status("POST", "/", &[H, ("Transfer-Encoding", "chunked")]),
            411
        );
        assert_eq!(
            status("POST", "/", &[H, ("Transfer-Encoding", "gzip")]),
            501
        );
        assert_eq!(
            status("POST", "/", &[H, ("Transfer-Encoding", "chunked, gzip")]),
            400,
            "chunked not last: the length cannot be determined (RFC 9112 §6.3)"
        );
        assert_eq!(
            status(
                "POST",
                "/",
                &[H, ("Transfer-Encoding", "chunked"), ("Content-Length", "3")]
            ),
            400
        );
    }

    #[test]
    fn read_head_handles_every_split_and_times_out() {
        let raw = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nrest";
        // A reader that returns one byte per call.
        struct Trickle<'a>(&'a [u8]);
        impl Read for Trickle<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.split_first() {
                    None => Err(io::ErrorKind::WouldBlock.into()),
                    Some((b, rest)) => {
                        buf[0] = *b;
                        self.0 = rest;
                        Ok(1)
                    }
                }
            }
        }
        let cfg = Config::default();
        let far = Instant::now() + Duration::from_secs(60);
        match read_head(&mut Trickle(raw), &mut |_| {}, &cfg, far) {
            HeadRead::Head(h, buf, used) => {
                assert_eq!(h.target, "/");
                assert_eq!(used, buf.len());
            }
            other => panic!("{other:?}"),
        }
        // The head never completes: the read times out.
        match read_head(&mut Trickle(b"GET / HT"), &mut |_| {}, &cfg, far) {
            HeadRead::TimedOut(buf) => assert_eq!(buf, b"GET / HT"),
            other => panic!("{other:?}"),
        }
        // A closed connection mid-head is truncated; before any byte, closed.
        assert!(matches!(
            read_head(&mut &b"GET /"[..], &mut |_| {}, &cfg, far),
            HeadRead::Truncated(_)
        ));
        assert!(matches!(
            read_head(&mut &b""[..], &mut |_| {}, &cfg, far),
            HeadRead::Closed
        ));
    }

    #[test]
    fn target_paths() {
        assert_eq!(target_path("/a?b"), Some("/a"));
        assert_eq!(target_path("http://h:1/a/b?c"), Some("/a/b"));
        assert_eq!(target_path("http://h?c"), Some("/"));
        assert_eq!(target_path("h:443"), None);
        assert_eq!(target_path("ftp://h/"), None);
    }
}
