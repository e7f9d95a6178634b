//! The exercises' checks: black-box tests over a real socket, runnable
//! against the book's servers *and* against a server the reader wrote, in
//! any language.
//!
//! ```text
//! cargo run --bin check -- ch02 --addr 127.0.0.1:8888
//! cargo run --bin check -- ch02 --stage 3      # the first 3 checks, in order
//! cargo run --bin check -- ch02 --only missing_host_gets_400
//! ```
//!
//! Each chapter module exposes `checks()`, a list of [`Check`]s. A check
//! connects to [`Target::addr`], sends bytes, and compares what comes back.
//! A failing check returns a [`Failure`] that says what was sent, what was
//! expected, what came back, where the first wrong byte is, and a shell
//! command that reproduces the exchange by hand: `curl`, or `printf … |
//! cargo run -q --bin check -- --raw --addr …` ([`raw_command`]). Where a
//! fixed answer could be hard-coded, checks use random inputs ([`crate::rng`]).
//!
//! The checker stands alone: a reader may be rewriting a chapter's parser
//! or codec as an exercise, and a half-written exercise must not break the
//! grader. So it reads responses with its own strict reader ([`wire`]),
//! dates with [`date`], WebSocket frames, accept keys and the chat with
//! [`ws`] and [`json`], and calls no chapter's code.
//!
//! `tests/chNN_*.rs` run the same checks against the reference binaries;
//! `tests/check.rs` runs the checker against a wrong server.

use std::fmt;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::Duration;

use crate::trace::escape;

pub mod date;
pub mod json;
pub mod raw;
pub mod repro;
pub mod wire;
pub mod ws;

pub use repro::{cut, dump, io_text, raw_command, seconds};
pub use wire::{Fields, Head};

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

    /// The target a connected stream talks to, with its read timeout: for
    /// error messages where only the stream is at hand.
    pub fn of(stream: &TcpStream) -> Target {
        Target {
            addr: stream
                .peer_addr()
                .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0))),
            timeout: stream
                .read_timeout()
                .ok()
                .flatten()
                .unwrap_or(CHECK_TIMEOUT),
        }
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

/// How many characters of a dump (`sent:`, `expected:`, `got:`) a report
/// shows; [`cut`] marks the rest.
pub const DUMP_CHARS: usize = 600;

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary)?;
        if let Some(s) = &self.sent {
            writeln!(f, "    sent:     {}", dump(s, DUMP_CHARS))?;
        }
        if let Some(e) = &self.expected {
            writeln!(f, "    expected: {}", cut(e, DUMP_CHARS))?;
        }
        if let Some(g) = &self.got {
            writeln!(f, "    got:      {}", dump(g, DUMP_CHARS))?;
            if let Some(at) = self.first_wrong.map(|a| a as usize) {
                // Column of the offending byte in the escaped rendering
                // (one more for the opening quote).
                let col = escape(&g[..at.min(g.len()).min(DUMP_CHARS)])
                    .chars()
                    .count()
                    + 1;
                if at < DUMP_CHARS && col < DUMP_CHARS {
                    writeln!(
                        f,
                        "              {}^ first wrong byte (offset {at})",
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

/// The command that replays `bytes` against `t`: the name is older than
/// the command, which no longer needs netcat ([`raw_command`]).
pub fn nc_command(t: &Target, bytes: &[u8]) -> String {
    raw_command(t, bytes)
}

/// Connects with the target's timeouts set.
pub fn connect(t: &Target) -> Result<TcpStream, Failure> {
    let s = TcpStream::connect_timeout(&t.addr, t.timeout).map_err(|e| {
        use std::io::ErrorKind::*;
        Failure::new(match e.kind() {
            ConnectionRefused => io_text(&e, t),
            WouldBlock | TimedOut => format!(
                "cannot connect to {}: no connection within {} (is the server stuck, or its accept queue full?)",
                t.addr,
                seconds(t.timeout)
            ),
            _ => format!("cannot connect to {}: {}", t.addr, io_text(&e, t)),
        })
    })?;
    s.set_read_timeout(Some(t.timeout)).ok();
    s.set_write_timeout(Some(t.timeout)).ok();
    s.set_nodelay(true).ok();
    Ok(s)
}

/// A response as read off the wire by the checker's own reader
/// ([`wire`]), which no chapter's exercise can break.
#[derive(Debug, Clone)]
pub struct RawResponse {
    pub head: Head,
    /// The body, decoded from its framing (chunks joined).
    pub body: Vec<u8>,
    /// The head as received, then the decoded body: offsets into it are
    /// what a failure's `^ first wrong byte` points at.
    pub raw: Vec<u8>,
}

/// Largest body a check reads into memory.
pub const MAX_CHECK_BODY: u64 = 64 * 1024 * 1024;

/// Most 1xx interim responses (`100 Continue`) read before a final one.
pub const MAX_INTERIM: usize = 16;

/// Reads once more from `stream` into `buf`; `Ok(0)` at end of stream.
fn read_more(stream: &mut TcpStream, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match stream.read(&mut chunk) {
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                return Ok(n);
            }
            // Linux may interrupt a read that has a timeout when the process
            // is stopped and continued (signal(7)); that is not an answer.
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads one response head (skipping 1xx interim responses but 101):
/// the head, how many bytes of `buf` it used.
fn read_head(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(Head, usize), Failure> {
    let mut interim = 0;
    loop {
        match wire::parse_head(buf) {
            Ok(Some((h, n))) if (100..200).contains(&h.status) && h.status != 101 => {
                interim += 1;
                if interim > MAX_INTERIM {
                    return Err(Failure::new(format!(
                        "more than {MAX_INTERIM} interim (1xx) responses and no final one"
                    ))
                    .got(&buf[..n]));
                }
                buf.drain(..n);
                continue;
            }
            Ok(Some(found)) => return Ok(found),
            Ok(None) => {}
            Err(e) => {
                return Err(Failure::new(format!("malformed response head: {}", e.what))
                    .got(buf)
                    .at(e.at));
            }
        }
        match read_more(stream, buf) {
            Ok(0) if buf.is_empty() => {
                return Err(Failure::new(
                    "the server closed the connection without a response",
                ));
            }
            Ok(0) => {
                return Err(Failure::new(
                    "the server closed the connection inside the response head",
                )
                .got(buf));
            }
            Ok(_) => {}
            Err(e) => {
                let why = io_text(&e, &Target::of(stream));
                let f = if buf.is_empty() {
                    Failure::new(format!("no response: {why}"))
                } else {
                    Failure::new(format!("no complete response head: {why}")).got(buf)
                };
                return Err(f);
            }
        }
    }
}

/// Reads the body that `framing` announces from `rest` (bytes already read
/// past the head) and the stream; returns the body, leaves in `rest` what
/// follows it.
fn read_body(
    stream: &mut TcpStream,
    framing: wire::Framing,
    rest: &mut Vec<u8>,
) -> Result<Vec<u8>, (String, Vec<u8>)> {
    use wire::Framing;
    let t = Target::of(stream);
    let mut body = Vec::new();
    let mut decoder = wire::Chunked::default();
    loop {
        match framing {
            Framing::Empty => return Ok(body),
            Framing::Length(n) if n > MAX_CHECK_BODY => {
                return Err((
                    format!("Content-Length {n} is over the checker's limit of {MAX_CHECK_BODY}"),
                    body,
                ));
            }
            Framing::Length(n) if rest.len() as u64 >= n => {
                let after = rest.split_off(n as usize);
                return Ok(std::mem::replace(rest, after));
            }
            Framing::Chunked => {
                let used = decoder
                    .feed(rest, &mut body)
                    .map_err(|e| (format!("malformed chunked body: {e}"), body.clone()))?;
                rest.drain(..used);
                if decoder.is_done() {
                    return Ok(body);
                }
                // Chunk sizes, extensions and trailers count too: a server
                // that sends endless trailer lines is stopped here.
                if decoder.consumed() as u64 > 2 * MAX_CHECK_BODY {
                    return Err((format!("a chunked body over {MAX_CHECK_BODY} bytes"), body));
                }
            }
            Framing::Close if rest.len() as u64 > MAX_CHECK_BODY => {
                return Err((format!("a body over {MAX_CHECK_BODY} bytes"), body));
            }
            _ => {}
        }
        if body.len() as u64 > MAX_CHECK_BODY {
            return Err((format!("a body over {MAX_CHECK_BODY} bytes"), body));
        }
        match read_more(stream, rest) {
            Ok(0) if framing == Framing::Close => return Ok(std::mem::take(rest)),
            Ok(0) => {
                let partial = [body.as_slice(), rest.as_slice()].concat();
                let said = match framing {
                    Framing::Length(n) => format!(
                        "the server closed the connection after {} of the {n} body bytes its Content-Length announced",
                        rest.len()
                    ),
                    _ => "the server closed the connection before the last chunk (`0\\r\\n\\r\\n`)"
                        .into(),
                };
                return Err((said, partial));
            }
            Ok(_) => {}
            Err(e) => {
                let partial = [body.as_slice(), rest.as_slice()].concat();
                let why = io_text(&e, &t);
                let said = match framing {
                    Framing::Close => format!(
                        "no end of stream after a body without Content-Length or chunked framing: {why}"
                    ),
                    _ => format!("the body did not arrive whole: {why}"),
                };
                return Err((said, partial));
            }
        }
    }
}

/// Reads one response to a request with `method` from `stream`. `pending`
/// holds bytes already read past the previous response (pipelining);
/// what is read past this response is left in it.
pub fn read_response(
    stream: &mut TcpStream,
    method: &str,
    pending: &mut Vec<u8>,
) -> Result<RawResponse, Failure> {
    let mut buf = std::mem::take(pending);
    let (head, used) = read_head(stream, &mut buf)?;
    let framing = if head.status == 101 {
        wire::Framing::Empty
    } else {
        wire::framing(method, &head)
            .map_err(|e| Failure::new(format!("bad response framing: {e}")).got(&buf[..used]))?
    };
    let mut rest = buf.split_off(used);
    let mut raw = buf;
    let body = read_body(stream, framing, &mut rest).map_err(|(why, partial)| {
        Failure::new(why).got(&[raw.as_slice(), partial.as_slice()].concat())
    })?;
    *pending = rest;
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
    if let Err(e) = s.write_all(request) {
        // A server may answer a request it refuses (413, 431) and close
        // before reading all of it: if an answer came, it is what counts.
        let _ = s.shutdown(Shutdown::Write);
        return read_response(&mut s, &method, &mut Vec::new()).map_err(|_| {
            Failure::new(format!("could not send the request: {}", io_text(&e, t)))
                .sent(request)
                .repro(raw_command(t, request))
        });
    }
    read_response(&mut s, &method, &mut Vec::new()).map_err(|f| {
        let f = f.sent(request);
        if f.repro.is_none() {
            f.repro(raw_command(t, request))
        } else {
            f
        }
    })
}

/// Sends `bytes` and reads until the server closes or the timeout passes;
/// for checks of what a server does with garbage.
pub fn send_and_read_all(t: &Target, bytes: &[u8]) -> Result<Vec<u8>, Failure> {
    let mut s = connect(t)?;
    // A server may answer and close before reading everything: what it
    // says is what counts, not whether our write finished.
    let _ = s.write_all(bytes);
    let _ = s.shutdown(Shutdown::Write);
    let mut got = Vec::new();
    loop {
        match read_more(&mut s, &mut got) {
            Ok(0) => return Ok(got),
            Ok(_) if got.len() as u64 > MAX_CHECK_BODY => return Ok(got),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Ok(got),
            Err(e) => {
                let why = match e.kind() {
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                        format!("no end of stream within {}", seconds(t.timeout))
                    }
                    _ => io_text(&e, t),
                };
                return Err(Failure::new(format!(
                    "the server did not close the connection: {why}"
                ))
                .sent(bytes)
                .got(&got)
                .expected("an answer, then the end of the stream")
                .repro(raw_command(t, bytes)));
            }
        }
    }
}

/// Fails unless `resp` has status `want`.
pub fn expect_status(
    resp: &RawResponse,
    want: u16,
    sent: &[u8],
    t: &Target,
) -> Result<(), Failure> {
    expect_status_in(resp, &[want], sent, t)
}

/// `405, 411 or 501`: a list of statuses as a sentence.
pub fn statuses_text(want: &[u16]) -> String {
    let mut s = String::new();
    for (i, w) in want.iter().enumerate() {
        if i > 0 {
            s.push_str(if i + 1 == want.len() { " or " } else { ", " });
        }
        s.push_str(&w.to_string());
    }
    s
}

/// Fails unless `resp`'s status is one of `want`; the `expected:` line
/// lists them all.
pub fn expect_status_in(
    resp: &RawResponse,
    want: &[u16],
    sent: &[u8],
    t: &Target,
) -> Result<(), Failure> {
    if want.contains(&resp.head.status) {
        return Ok(());
    }
    // Compared with the server's own version, so that the caret points at
    // the status code (an HTTP/1.0 answer is allowed).
    let first = want.first().copied().unwrap_or(200);
    let want_prefix = format!("{} {first}", resp.head.version);
    let expected = want
        .iter()
        .map(|w| format!("\"HTTP/1.1 {w} …\""))
        .collect::<Vec<_>>();
    let f = Failure::mismatch(
        format!(
            "expected status {}, got {}",
            statuses_text(want),
            resp.head.status
        ),
        want_prefix.as_bytes(),
        &resp.raw,
    )
    .sent(sent)
    .repro(raw_command(t, sent));
    Err(f.expected(statuses_text_quoted(&expected)))
}

fn statuses_text_quoted(each: &[String]) -> String {
    let n = each.len();
    match n {
        0 => String::new(),
        1 => each[0].clone(),
        _ => format!("{} or {}", each[..n - 1].join(", "), each[n - 1]),
    }
}

/// Outcome of running a list of checks.
#[derive(Debug, Default)]
pub struct Report {
    pub passed: usize,
    pub failed: Vec<(String, Failure)>,
}

/// Runs one check, turning a panic inside it into a failure.
pub fn run_one(c: &Check, t: &Target) -> Result<(), Failure> {
    std::panic::catch_unwind(|| (c.run)(t)).unwrap_or_else(|_| {
        Err(Failure::new(
            "the check itself panicked (a bug in wirebook)",
        ))
    })
}

/// Runs `checks` against `t`, printing one line per check (and the details
/// of each failure) to `out`, then the closing `N passed, N failed` line.
pub fn run(checks: &[Check], t: &Target, out: &mut dyn Write) -> Report {
    let mut report = Report::default();
    for c in checks {
        match run_one(c, t) {
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

/// The check called `name` in `checks`, alone (`check --only NAME`).
pub fn only(checks: &[Check], name: &str) -> Option<Vec<Check>> {
    let c = checks.iter().find(|c| c.name == name)?;
    Some(vec![c.clone()])
}

/// Runs the first `stages` of `checks` in order, stopping at the first
/// failure, the way a staged course grades (`check --stage N`): each line
/// says `stage k of n`, where `n` is the number of checks in the chapter,
/// and the last line says how far the server got and what to run next.
pub fn run_stages(checks: &[Check], stages: usize, t: &Target, out: &mut dyn Write) -> Report {
    let n = checks.len();
    let stages = stages.min(n);
    let mut report = Report::default();
    for (i, c) in checks[..stages].iter().enumerate() {
        let k = i + 1;
        match run_one(c, t) {
            Ok(()) => {
                report.passed += 1;
                let _ = writeln!(out, "ok   stage {k} of {n}: {}", c.name);
            }
            Err(f) => {
                let _ = writeln!(
                    out,
                    "FAIL stage {k} of {n}: {}: {}    ({})",
                    c.name, f, c.about
                );
                report.failed.push((c.name.to_string(), f));
                let _ = writeln!(
                    out,
                    "stage {} of {n} passed; stage {k} ({}) failed: fix it and run `--stage {k}` again",
                    k - 1,
                    c.name
                );
                return report;
            }
        }
    }
    let next = if stages < n {
        format!("; next: `--stage {}`", stages + 1)
    } else {
        ": every stage passed".to_string()
    };
    let _ = writeln!(out, "stage {stages} of {n} passed{next}");
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

/// The chapters (`ch01` …) that have a check called `name`.
pub fn chapters_with(name: &str) -> Vec<String> {
    (1..=20)
        .map(|n| format!("ch{n:02}"))
        .filter(|ch| chapter(ch).is_some_and(|cs| cs.iter().any(|c| c.name == name)))
        .collect()
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
        assert!(
            s.contains("| cargo run -q --bin check -- --raw --addr 127.0.0.1:8888"),
            "{s}"
        );
        // The caret sits under the byte it names.
        let got = s.lines().find(|l| l.contains("got:")).unwrap();
        let caret = s.lines().find(|l| l.contains('^')).unwrap();
        let col = caret.find('^').unwrap();
        assert_eq!(&got[col..col + 1], "4", "{s}");
    }

    #[test]
    fn long_dumps_are_cut_with_a_mark() {
        let long = vec![b'a'; 5000];
        let s = Failure::new("x").sent(&long).got(&long).to_string();
        assert_eq!(s.matches("…(5000 bytes in all)").count(), 2, "{s}");
    }

    #[test]
    fn several_accepted_statuses_are_all_expected() {
        let t = Target::new("127.0.0.1:8888".parse().unwrap());
        let raw = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        let (head, _) = wire::parse_head(raw).unwrap().unwrap();
        let resp = RawResponse {
            head,
            body: Vec::new(),
            raw: raw.to_vec(),
        };
        let f =
            expect_status_in(&resp, &[405, 411, 501], b"POST / HTTP/1.1\r\n\r\n", &t).unwrap_err();
        assert_eq!(f.summary, "expected status 405, 411 or 501, got 200");
        let s = f.to_string();
        assert!(
            s.contains("expected: \"HTTP/1.1 405 …\", \"HTTP/1.1 411 …\" or \"HTTP/1.1 501 …\""),
            "{s}"
        );
    }

    /// A one-shot server that writes `answer` in pieces of `piece`
    /// bytes, then closes; returns a connected client stream.
    fn answering(answer: &'static [u8], piece: usize) -> TcpStream {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let t = Target::new(l.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            s.set_nodelay(true).unwrap();
            for p in answer.chunks(piece) {
                if s.write_all(p).is_err() {
                    return;
                }
            }
        });
        connect(&t).unwrap()
    }

    #[test]
    fn pipelined_responses_of_every_framing_are_read_in_turn() {
        let answer: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n\
            HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n\
            HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc\
            HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n\
            HTTP/1.1 200 OK\r\n\r\nuntil close";
        for piece in [1, 7, answer.len()] {
            let mut s = answering(answer, piece);
            let mut pending = Vec::new();
            let bodies: Vec<Vec<u8>> = (0..4)
                .map(|_| read_response(&mut s, "GET", &mut pending).unwrap().body)
                .collect();
            assert_eq!(
                bodies,
                [&b"hello"[..], b"abc", b"", b"until close"],
                "pieces of {piece}"
            );
        }
    }

    #[test]
    fn a_short_body_is_a_clear_failure() {
        let mut s = answering(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", 100);
        let f = read_response(&mut s, "GET", &mut Vec::new()).unwrap_err();
        assert!(f.summary.contains("after 3 of the 10 body bytes"), "{f}");
        let mut s = answering(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
            100,
        );
        let f = read_response(&mut s, "GET", &mut Vec::new()).unwrap_err();
        assert!(f.summary.contains("before the last chunk"), "{f}");
        let mut s = answering(b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", 100);
        let f = read_response(&mut s, "GET", &mut Vec::new()).unwrap_err();
        assert!(
            f.summary.contains("CRLF") && f.first_wrong == Some(15),
            "{f}"
        );
    }

    fn passing(_: &Target) -> Result<(), Failure> {
        Ok(())
    }

    fn failing(_: &Target) -> Result<(), Failure> {
        Err(Failure::new("wrong"))
    }

    fn panicking(_: &Target) -> Result<(), Failure> {
        panic!("a bug")
    }

    fn three() -> Vec<Check> {
        vec![
            check!(passing, "passes"),
            check!(failing, "fails"),
            check!(panicking, "panics"),
        ]
    }

    fn stages(n: usize) -> (Report, String) {
        let t = Target::new("127.0.0.1:9".parse().unwrap());
        let mut out = Vec::new();
        let r = run_stages(&three(), n, &t, &mut out);
        (r, String::from_utf8(out).unwrap())
    }

    #[test]
    fn stages_stop_at_the_first_failure() {
        let (r, out) = stages(3);
        assert_eq!((r.passed, r.failed.len()), (1, 1), "{out}");
        assert!(out.contains("ok   stage 1 of 3: passing"), "{out}");
        assert!(out.contains("FAIL stage 2 of 3: failing"), "{out}");
        assert!(!out.contains("panicking"), "{out}");
        assert!(
            out.ends_with(
                "stage 1 of 3 passed; stage 2 (failing) failed: fix it and run `--stage 2` again\n"
            ),
            "{out}"
        );
    }

    #[test]
    fn passed_stages_name_the_next_one() {
        let (r, out) = stages(1);
        assert_eq!((r.passed, r.failed.len()), (1, 0));
        assert!(
            out.ends_with("stage 1 of 3 passed; next: `--stage 2`\n"),
            "{out}"
        );
    }

    #[test]
    fn only_picks_one_check_by_name() {
        let picked = only(&three(), "failing").unwrap();
        assert_eq!(picked.len(), 1);
        assert_eq!(picked[0].name, "failing");
        assert!(only(&three(), "nope").is_none());
    }

    #[test]
    fn a_panicking_check_is_a_failure() {
        let t = Target::new("127.0.0.1:9".parse().unwrap());
        let f = run_one(&three()[2], &t).unwrap_err();
        assert!(f.summary.contains("panicked"));
    }
}
