//! `--trace`: an annotated dump of the bytes on the wire, to stderr.
//!
//! Every server and client in the book takes `--trace`. Seeing the exact
//! bytes (where the CRLFs are, how long a body is, what a WebSocket frame
//! header looks like) teaches more than any diagram, so one module does it
//! for all chapters and each protocol layer calls the function that fits:
//!
//! * [`head`]: an HTTP head, line by line, with `\r\n` made visible;
//! * [`body`]: a body's size (bodies are summarised, not dumped);
//! * [`hex`]: a binary packet (a DNS query, a WebSocket frame header) as a
//!   hex dump with an ASCII column;
//! * [`frame`]: a one-line summary of a decoded frame (chapter 8);
//! * [`note`]: anything else worth saying (connection opened, closed...).
//!
//! Lines start with the peer's address and an arrow: `<<` for bytes that we
//! received, `>>` for bytes that we sent. Each call writes its lines under
//! one lock of stderr, so concurrent connections never interleave within a
//! block. When tracing is off every function returns at once.

use std::fmt::Display;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Turns tracing on for the whole process (binaries call this for `--trace`).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Whether tracing is on. Callers that would have to build a string only
/// for the trace check this first.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Which way the bytes went, seen from the program that traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Bytes we received.
    In,
    /// Bytes we sent.
    Out,
}

impl Dir {
    fn arrow(self) -> &'static str {
        match self {
            Dir::In => "<<",
            Dir::Out => ">>",
        }
    }
}

/// Makes one line of a protocol head readable: printable ASCII as is, `\r`
/// and `\n` as the escapes you would type, anything else as `\xNN`.
pub fn escape(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() + 8);
    for &b in bytes {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s
}

/// An HTTP head (or any CRLF-delimited text), one wire line per trace line.
pub fn head(dir: Dir, peer: impl Display, bytes: &[u8]) {
    if !enabled() {
        return;
    }
    let mut out = std::io::stderr().lock();
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        let _ = writeln!(out, "[{peer}] {} {}", dir.arrow(), escape(line));
    }
    let _ = writeln!(
        out,
        "[{peer}] {} (head: {} bytes)",
        dir.arrow(),
        bytes.len()
    );
}

/// A body, summarised by its size and how it was framed
/// (`"Content-Length"`, `"chunked"`, `"until close"`...).
pub fn body(dir: Dir, peer: impl Display, len: u64, framing: &str) {
    if !enabled() {
        return;
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "[{peer}] {} body: {len} bytes ({framing})",
        dir.arrow()
    );
}

/// A binary packet as a hex dump, 16 bytes a line, with an ASCII column.
pub fn hex(dir: Dir, peer: impl Display, label: &str, bytes: &[u8]) {
    if !enabled() {
        return;
    }
    let mut out = std::io::stderr().lock();
    let _ = writeln!(
        out,
        "[{peer}] {} {label} ({} bytes)",
        dir.arrow(),
        bytes.len()
    );
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let hexes: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if (0x20..0x7f).contains(&b) {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "[{peer}] {}   {:04x}  {:<47}  {}",
            dir.arrow(),
            i * 16,
            hexes.join(" "),
            ascii
        );
    }
}

/// One decoded frame or datagram, already summarised by the caller
/// (e.g. `FIN text masked len=5 "hello"`).
pub fn frame(dir: Dir, peer: impl Display, summary: &str) {
    if !enabled() {
        return;
    }
    let _ = writeln!(
        std::io::stderr().lock(),
        "[{peer}] {} {summary}",
        dir.arrow()
    );
}

/// A remark that is not bytes on the wire (`connection opened`, `timeout`).
pub fn note(peer: impl Display, msg: impl Display) {
    if !enabled() {
        return;
    }
    let _ = writeln!(std::io::stderr().lock(), "[{peer}] -- {msg}");
}

/// A payload that may be small or huge (an echo, a datagram): a [`hex`]
/// dump when it has at most `max_hex` bytes, otherwise one line with its
/// size and the start of it, so that a 16 MiB transfer does not flood the
/// terminal but the size of every read still shows.
pub fn payload(dir: Dir, peer: impl Display, label: &str, bytes: &[u8], max_hex: usize) {
    if !enabled() {
        return;
    }
    if bytes.len() <= max_hex {
        hex(dir, peer, label, bytes);
    } else {
        frame(
            dir,
            peer,
            &format!("{label} ({} bytes) \"{}\"", bytes.len(), preview(bytes, 24)),
        );
    }
}

/// Up to `max` bytes of a payload as an escaped preview, with `…` when cut.
pub fn preview(bytes: &[u8], max: usize) -> String {
    if bytes.len() <= max {
        escape(bytes)
    } else {
        format!("{}…", escape(&bytes[..max]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_shows_line_ends_and_controls() {
        assert_eq!(escape(b"GET / HTTP/1.1\r\n"), "GET / HTTP/1.1\\r\\n");
        assert_eq!(escape(&[0, 0x7f, b'a']), "\\x00\\x7fa");
    }

    #[test]
    fn preview_cuts_long_payloads() {
        assert_eq!(preview(b"abcdef", 3), "abc…");
        assert_eq!(preview(b"ab", 3), "ab");
    }
}
