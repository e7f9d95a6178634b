//! The exercises' checks: black-box tests over a real socket, runnable
//! against the book's servers *and* against a server the reader wrote, in
//! any language.
//!
//! ```text
//! cargo run --bin check -- ch02 --addr 127.0.0.1:8888
//! ```
//!
//! Each chapter module exposes `checks()`, a list of [`Check`]s. A check
//! connects to [`Target::addr`], sends bytes, and compares what comes back.
//! A failing check returns a [`Failure`] that says what was sent, what was
//! expected, what came back, where the first wrong byte is, and a shell
//! command (`curl` or `nc`) that reproduces the exchange by hand. Where a
//! fixed answer could be hard-coded, checks use random inputs ([`crate::rng`]).
//!
//! `tests/chNN_*.rs` run the same checks against the reference binaries.

use std::fmt;
use std::io::{BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use crate::ch02_http_by_hand::head::{HeadLimits, Parsed, ResponseHead, parse_response};
use crate::ch03_urls_and_clients::body::{BodyKind, BodyReader, response_body_kind};
use crate::trace::escape;

/// The server under test.
#[derive(Debug, Clone)]
pub struct Target {
    pub addr: SocketAddr,
    /// How long any single read or write may take before the check fails.
    pub timeout: Duration,
}

/// Default per-operation timeout of a check: generous for a slow machine,
/// short enough that a hung server fails the check rather than the run.
pub const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

impl Target {
    pub fn new(addr: SocketAddr) -> Target {
        Target {
            addr,
            timeout: CHECK_TIMEOUT,
        }
    }

    /// `HOST:PORT` for use in commands and Host fields.
    pub fn authority(&self) -> String {
        self.addr.to_string()
    }

    /// `http://HOST:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// One behaviour to check.
#[derive(Clone)]
pub struct Check {
    /// Short name, named after the behaviour (`unknown_version_gets_505`).
    pub name: &'static str,
    /// One sentence: what a correct server does.
    pub about: &'static str,
    pub run: fn(&Target) -> Result<(), Failure>,
}

/// `check!(function, "about")`: a [`Check`] named after the function that
/// runs it, so the name in a report is the name to search the source for.
/// Every chapter's `checks.rs` builds its list with it.
macro_rules! check {
    ($f:ident, $about:expr) => {
        $crate::check::Check {
            name: stringify!($f),
            about: $about,
            run: $f,
        }
    };
}
pub(crate) use check;

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check").field("name", &self.name).finish()
    }
}

/// What went wrong, with everything a reader needs to reproduce it.
#[derive(Debug, Clone, Default)]
pub struct Failure {
    pub summary: String,
    pub sent: Option<Box<[u8]>>,
    pub expected: Option<Box<str>>,
    pub got: Option<Box<[u8]>>,
    /// Offset of the first byte of `got` that differs from what was expected.
    pub first_wrong: Option<u32>,
    /// A shell command that reproduces the exchange.
    pub repro: Option<Box<str>>,
}

impl Failure {
    pub fn new(summary: impl Into<String>) -> Failure {
        Failure {
            summary: summary.into(),
            ..Failure::default()
        }
    }

    pub fn sent(mut self, bytes: &[u8]) -> Failure {
        self.sent = Some(bytes.into());
        self
    }

    pub fn expected(mut self, what: impl Into<String>) -> Failure {
        self.expected = Some(what.into().into_boxed_str());
        self
    }

    pub fn got(mut self, bytes: &[u8]) -> Failure {
        self.got = Some(bytes.into());
        self
    }

    pub fn at(mut self, offset: usize) -> Failure {
        self.first_wrong = Some(offset.min(u32::MAX as usize) as u32);
        self
    }

    pub fn repro(mut self, cmd: impl Into<String>) -> Failure {
        self.repro = Some(cmd.into().into_boxed_str());
        self
    }

    /// A failure for bytes that should have equalled `expected`, pointing at
    /// the first difference.
    pub fn mismatch(summary: impl Into<String>, expected: &[u8], got: &[u8]) -> Failure {
        let at = first_difference(expected, got);
        Failure::new(summary)
            .expected(format!("\"{}\"", escape(expected)))
            .got(got)
            .at(at.unwrap_or(0))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary)?;
        if let Some(s) = &self.sent {
            writeln!(f, "    sent:     \"{}\"", clip(&escape(s), 600))?;
        }
        if let Some(e) = &self.expected {
            writeln!(f, "    expected: {}", clip(e, 600))?;
        }
        if let Some(g) = &self.got {
            let shown = escape(&g[..g.len().min(600)]);
            writeln!(
                f,
                "    got:      \"{}\"{}",
                shown,
                if g.len() > 600 { "…" } else { "" }
            )?;
            if let Some(at) = self.first_wrong.map(|a| a as usize) {
                if at <= 600 {
                    // Column of the offending byte in the escaped rendering.
                    let col = escape(&g[..at.min(g.len())]).chars().count();
                    writeln!(
                        f,
                        "               {}^ first wrong byte (offset {at})",
                        " ".repeat(col)
                    )?;
                } else {
                    writeln!(f, "    first wrong byte at offset {at}")?;
                }
            }
        }
        if let Some(r) = &self.repro {
            writeln!(f, "    try:      {r}")?;
        }
        Ok(())
    }
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max).collect::<String>())
    }
}

/// Index of the first byte where `a` and `b` differ (or where the shorter
/// one ends), `None` if they are equal.
pub fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    if a == b {
        return None;
    }
    Some(
        a.iter()
            .zip(b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len())),
    )
}

/// Sends `GET {path}` (with `extra` header lines, each ending in CRLF, and
/// `Connection: close`) and reads the response. Returns the request too,
/// for the failure report.
pub fn get(t: &Target, path: &str, extra: &str) -> (Vec<u8>, Result<RawResponse, Failure>) {
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\n{extra}Connection: close\r\n\r\n",
        t.authority()
    )
    .into_bytes();
    let r = exchange(t, &req);
    (req, r)
}

/// A shell command that sends `bytes` raw with `nc` and prints the answer.
pub fn nc_command(t: &Target, bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\\' => s.push_str("\\\\"),
            b'\'' => s.push_str("'\\''"),
            b'%' => s.push_str("%%"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\{b:03o}")),
        }
    }
    format!("printf '{}' | nc -q 2 {} {}", s, t.addr.ip(), t.addr.port())
}

/// Connects with the target's timeouts set.
pub fn connect(t: &Target) -> Result<TcpStream, Failure> {
    let s = TcpStream::connect_timeout(&t.addr, t.timeout)
        .map_err(|e| Failure::new(format!("cannot connect to {}: {e}", t.addr)))?;
    s.set_read_timeout(Some(t.timeout)).ok();
    s.set_write_timeout(Some(t.timeout)).ok();
    s.set_nodelay(true).ok();
    Ok(s)
}

/// A response as read off the wire.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub head: ResponseHead,
    pub body: Vec<u8>,
    /// Every byte of the response, head and body as framed on the wire.
    pub raw: Vec<u8>,
}

/// Largest body a check reads into memory.
pub const MAX_CHECK_BODY: u64 = 64 * 1024 * 1024;

/// Reads one response to a request with `method` from `stream`. `pending`
/// holds bytes already read past the previous response (pipelining);
/// what is read past this response is left in it.
pub fn read_response(
    stream: &mut TcpStream,
    method: &str,
    pending: &mut Vec<u8>,
) -> Result<RawResponse, Failure> {
    let mut buf = std::mem::take(pending);
    let mut chunk = [0u8; 8192];
    let (head, used) = loop {
        match parse_response(&buf, &HeadLimits::CLIENT) {
            Ok(Parsed::Complete(h, n)) => {
                // 1xx interim responses (100 Continue) come before the real one.
                if (100..200).contains(&h.status) && h.status != 101 {
                    buf.drain(..n);
                    continue;
                }
                break (h, n);
            }
            Ok(Parsed::Incomplete) => {}
            Err(e) => {
                return Err(Failure::new(format!("malformed response head: {e}")).got(&buf));
            }
        }
        match stream.read(&mut chunk) {
            Ok(0) if buf.is_empty() => {
                return Err(Failure::new("connection closed without a response"));
            }
            Ok(0) => {
                return Err(Failure::new("connection closed inside the response head").got(&buf));
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            // Linux may interrupt a read that has a timeout when the process
            // is stopped and continued (signal(7)); that is not an answer.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Failure::new(format!("no complete response head: {e}")).got(&buf));
            }
        }
    };
    let kind = if head.status == 101 {
        BodyKind::Empty
    } else {
        response_body_kind(method, head.status, &head.headers)
            .map_err(|e| Failure::new(format!("bad response framing: {e}")).got(&buf[..used]))?
    };
    let mut raw = buf[..used].to_vec();
    let rest = buf[used..].to_vec();
    let reader = BufReader::new(rest.as_slice().chain(&mut *stream));
    let mut body_reader = BodyReader::new(reader, kind);
    let mut body = Vec::new();
    (&mut body_reader)
        .take(MAX_CHECK_BODY)
        .read_to_end(&mut body)
        .map_err(|e| {
            Failure::new(format!("could not read the body ({kind:?}): {e}"))
                .got(&[raw.as_slice(), body.as_slice()].concat())
        })?;
    // Keep what was buffered past the end of this body for the next response.
    let reader = body_reader.into_inner();
    let leftover = reader.buffer().to_vec();
    let (rest_slice, _) = reader.into_inner().into_inner();
    pending.extend_from_slice(&leftover);
    pending.extend_from_slice(rest_slice);
    raw.extend_from_slice(&body);
    Ok(RawResponse { head, body, raw })
}

/// Sends `request` on a new connection and reads one response.
pub fn exchange(t: &Target, request: &[u8]) -> Result<RawResponse, Failure> {
    let method = request
        .split(|&b| b == b' ')
        .next()
        .map(|m| String::from_utf8_lossy(m).into_owned())
        .unwrap_or_default();
    let mut s = connect(t)?;
    s.write_all(request)
        .map_err(|e| Failure::new(format!("could not send the request: {e}")).sent(request))?;
    read_response(&mut s, &method, &mut Vec::new()).map_err(|f| {
        let f = f.sent(request);
        if f.repro.is_none() {
            f.repro(nc_command(t, request))
        } else {
            f
        }
    })
}

/// Sends `bytes` and reads until the server closes or the timeout passes;
/// for checks of what a server does with garbage.
pub fn send_and_read_all(t: &Target, bytes: &[u8]) -> Result<Vec<u8>, Failure> {
    let mut s = connect(t)?;
    s.write_all(bytes)
        .map_err(|e| Failure::new(format!("could not send: {e}")).sent(bytes))?;
    let _ = s.shutdown(Shutdown::Write);
    let mut got = Vec::new();
    match s.read_to_end(&mut got) {
        Ok(_) => Ok(got),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(got),
        Err(e) => Err(
            Failure::new(format!("server did not close the connection: {e}"))
                .sent(bytes)
                .got(&got)
                .repro(nc_command(t, bytes)),
        ),
    }
}

/// Fails unless `resp` has status `want`.
pub fn expect_status(
    resp: &RawResponse,
    want: u16,
    sent: &[u8],
    t: &Target,
) -> Result<(), Failure> {
    if resp.head.status == want {
        return Ok(());
    }
    let want_prefix = format!("HTTP/1.1 {want}");
    Err(Failure::mismatch(
        format!("expected status {want}, got {}", resp.head.status),
        want_prefix.as_bytes(),
        &resp.raw,
    )
    .sent(sent)
    .repro(nc_command(t, sent)))
}

/// Outcome of running a list of checks.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: usize,
    pub failed: Vec<(String, Failure)>,
}

/// Runs `checks` against `t`, printing one line per check (and the details
/// of each failure) to `out`, then the closing `N passed, N failed` line.
pub fn run(checks: &[Check], t: &Target, out: &mut dyn Write) -> Report {
    let mut report = Report::default();
    for c in checks {
        let result = std::panic::catch_unwind(|| (c.run)(t)).unwrap_or_else(|_| {
            Err(Failure::new(
                "the check itself panicked (a bug in wirebook)",
            ))
        });
        match result {
            Ok(()) => {
                report.passed += 1;
                let _ = writeln!(out, "ok   {}", c.name);
            }
            Err(f) => {
                let _ = writeln!(out, "FAIL {}: {}    ({})", c.name, f, c.about);
                report.failed.push((c.name.to_string(), f));
            }
        }
    }
    let _ = writeln!(
        out,
        "{} passed, {} failed",
        report.passed,
        report.failed.len()
    );
    report
}

/// The checks of chapter `name` (`ch01` … `ch09`).
pub fn chapter(name: &str) -> Option<Vec<Check>> {
    Some(match name {
        "ch01" => crate::ch01_sockets::checks(),
        "ch02" => crate::ch02_http_by_hand::checks(),
        "ch03" => crate::ch03_urls_and_clients::checks(),
        "ch04" => crate::ch04_methods_and_routing::checks(),
        "ch05" => crate::ch05_concurrency::checks(),
        "ch06" => crate::ch06_static_files::checks(),
        "ch07" => crate::ch07_downloads_and_uploads::checks(),
        "ch08" => crate::ch08_websocket::checks(),
        "ch09" => crate::ch09_capstone::checks(),
        "ch10" => crate::ch10_event_loop::checks(),
        _ => return None,
    })
}

/// Runs chapter `name`'s checks against `addr` and panics with the report if
/// any fails: what `tests/chNN_*.rs` call.
pub fn assert_chapter_passes(name: &str, addr: SocketAddr) {
    let checks = chapter(name).expect("known chapter");
    assert!(!checks.is_empty(), "{name} has no checks");
    let mut out = Vec::new();
    let report = run(&checks, &Target::new(addr), &mut out);
    let text = String::from_utf8_lossy(&out);
    assert!(report.failed.is_empty(), "{name} checks failed:\n{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_difference_points_at_the_byte() {
        assert_eq!(first_difference(b"abc", b"abc"), None);
        assert_eq!(first_difference(b"abc", b"abd"), Some(2));
        assert_eq!(first_difference(b"abc", b"ab"), Some(2));
    }

    #[test]
    fn failure_report_has_every_part() {
        let t = Target::new("127.0.0.1:8888".parse().unwrap());
        let f = Failure::mismatch(
            "wrong status",
            b"HTTP/1.1 200",
            b"HTTP/1.1 404 Not Found\r\n",
        )
        .sent(b"GET / HTTP/1.1\r\n\r\n")
        .repro(nc_command(&t, b"GET / HTTP/1.1\r\n\r\n"));
        let s = f.to_string();
        assert!(s.contains("sent:"), "{s}");
        assert!(s.contains("first wrong byte (offset 9)"), "{s}");
        assert!(s.contains("nc -q 2 127.0.0.1 8888"), "{s}");
    }
}
