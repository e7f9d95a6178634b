//! How a failure speaks to the reader: the `try:` command that replays an
//! exchange, long dumps cut the same way everywhere, and OS errors said in
//! plain words.
//!
//! One scheme replays raw bytes: `printf` (a shell built-in, the same in
//! bash, dash and zsh) piped into this checker's own `--raw` mode, which
//! sends stdin to the server, half-closes, and prints the answer. No
//! netcat is needed, so no netcat flags differ between machines. Long runs
//! of one byte are generated in the command (`head -c N /dev/zero | tr`),
//! and a line repeated many times becomes a `for` loop, so the command
//! sends exactly the bytes of the check, never a truncated copy.

use std::io;
use std::time::Duration;

use super::Target;

/// Runs of one byte at least this long are generated, not spelled out.
const MIN_RUN: usize = 32;

/// Cuts `s` to `max` characters, marking the cut with `…` and the size of
/// the whole: every long dump in a report is cut by this one function.
pub fn cut(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        return s.to_string();
    }
    mark(s, max, &format!("{n} characters"))
}

/// The first `max` characters of `s`, then `…(ALL in all)`.
fn mark(s: &str, max: usize, all: &str) -> String {
    let head: String = s.chars().take(max).collect();
    format!("{head}…({all} in all)")
}

/// Bytes as a report shows them: quoted, escaped ([`escape`]), cut after
/// `max` characters with `…` and the size of the whole. Only a prefix is
/// escaped, so an 8 MiB payload costs no more than a short one.
///
/// [`escape`]: crate::trace::escape
pub fn dump(bytes: &[u8], max: usize) -> String {
    let shown = format!(
        "\"{}\"",
        crate::trace::escape(&bytes[..bytes.len().min(max)])
    );
    if bytes.len() <= max && shown.chars().count() <= max {
        return shown;
    }
    mark(&shown, max, &format!("{} bytes", bytes.len()))
}

/// `5 s`, `1.5 s`, `250 ms`: a timeout as a reader would say it.
pub fn seconds(d: Duration) -> String {
    // Rounded to the millisecond: `--timeout 0.3` is 299.999… ms as a float.
    let ms = (d.as_secs_f64() * 1000.0).round() as u64;
    if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// An I/O error in the reader's words: what it means for their server,
/// not the C library's name for it.
pub fn io_text(e: &io::Error, t: &Target) -> String {
    use io::ErrorKind::*;
    match e.kind() {
        WouldBlock | TimedOut => format!("no answer within {}", seconds(t.timeout)),
        ConnectionRefused => format!("nothing listening on {}: is your server running?", t.addr),
        ConnectionReset => {
            "the server reset the connection (it closed with unread data, or crashed)".into()
        }
        ConnectionAborted => "the connection was aborted".into(),
        BrokenPipe => "the server closed the connection while we were still sending".into(),
        UnexpectedEof => "the server closed the connection too early".into(),
        _ => e.to_string(),
    }
}

/// `printf` format text for `bytes`: escapes for CR, LF, `\`, `%`, `'`
/// and any byte outside printable ASCII.
fn printf_text(bytes: &[u8]) -> String {
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
    s
}

/// Shell commands that print `bytes`, one per element: `printf` for
/// literal text, `head -c | tr` for long runs of one byte.
fn print_commands(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut lit = 0;
    let mut i = 0;
    while i < bytes.len() {
        let run = bytes[i..].iter().take_while(|&&b| b == bytes[i]).count();
        if run < MIN_RUN {
            i += run;
            continue;
        }
        if lit < i {
            out.push(format!("printf '{}'", printf_text(&bytes[lit..i])));
        }
        out.push(match bytes[i] {
            0 => format!("head -c {run} /dev/zero"),
            b => format!("head -c {run} /dev/zero | tr '\\000' '\\{b:03o}'"),
        });
        i += run;
        lit = i;
    }
    if lit < bytes.len() || out.is_empty() {
        out.push(format!("printf '{}'", printf_text(&bytes[lit..])));
    }
    out
}

/// A shell command that writes exactly `bytes` to stdout, compact: each
/// run of identical lines is a `for` loop, each long run of one byte is
/// generated.
pub fn shell_bytes(bytes: &[u8]) -> String {
    let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    let mut plain: Vec<u8> = Vec::new();
    while i < lines.len() {
        let same = lines[i..].iter().take_while(|l| **l == lines[i]).count();
        if same >= 3 {
            if !plain.is_empty() {
                parts.extend(print_commands(&plain));
                plain.clear();
            }
            let body = print_commands(lines[i]).join("; ");
            parts.push(format!("for i in $(seq {same}); do {body}; done"));
        } else {
            for l in &lines[i..i + same] {
                plain.extend_from_slice(l);
            }
        }
        i += same;
    }
    if !plain.is_empty() || parts.is_empty() {
        parts.extend(print_commands(&plain));
    }
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("{{ {}; }}", parts.join("; "))
    }
}

/// The command that replays `bytes` against `t` and prints the answer:
/// `printf '…' | cargo run -q --bin check -- --raw --addr HOST:PORT`.
pub fn raw_command(t: &Target, bytes: &[u8]) -> String {
    format!(
        "{} | cargo run -q --bin check -- --raw --addr {}",
        shell_bytes(bytes),
        t.addr
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    /// What bash prints when it runs `shell_bytes(bytes)`.
    fn run_in_bash(bytes: &[u8]) -> Vec<u8> {
        let cmd = shell_bytes(bytes);
        let out = Command::new("bash").arg("-c").arg(&cmd).output().unwrap();
        assert!(out.status.success(), "{cmd}");
        out.stdout
    }

    #[test]
    fn shell_bytes_reproduce_every_byte() {
        let mut all: Vec<u8> = (0..=255).collect();
        all.extend_from_slice(b"it's 100%\r\n\\done");
        assert_eq!(run_in_bash(&all), all);
    }

    #[test]
    fn long_runs_and_repeated_lines_are_generated_not_spelled() {
        let mut req = b"GET /".to_vec();
        req.extend(std::iter::repeat_n(b'q', 20_000));
        req.extend_from_slice(b" HTTP/1.1\r\nHost: x\r\n");
        for _ in 0..64 {
            req.extend_from_slice(b"X-Filler: ");
            req.extend(std::iter::repeat_n(b'z', 1000));
            req.extend_from_slice(b"\r\n");
        }
        req.extend_from_slice(b"\r\n");
        let cmd = shell_bytes(&req);
        assert!(cmd.len() < 300, "{cmd}");
        assert!(cmd.contains("seq 64"), "{cmd}");
        assert_eq!(run_in_bash(&req), req);
        let zeros = vec![0u8; 100];
        assert_eq!(run_in_bash(&zeros), zeros);
        assert_eq!(run_in_bash(b""), b"");
    }

    #[test]
    fn cut_marks_the_cut_and_the_size() {
        assert_eq!(cut("abc", 3), "abc");
        assert_eq!(cut("abcdef", 3), "abc…(6 characters in all)");
        assert_eq!(dump(b"ab", 10), "\"ab\"");
        assert_eq!(dump(&[b'x'; 50], 10), "\"xxxxxxxxx…(50 bytes in all)");
        assert_eq!(dump(b"\r\n\r\n", 6), "\"\\r\\n\\…(4 bytes in all)");
    }

    #[test]
    fn os_errors_are_said_in_words() {
        let t = Target::new("127.0.0.1:9".parse().unwrap());
        let e = io::Error::from(io::ErrorKind::WouldBlock);
        assert_eq!(io_text(&e, &t), "no answer within 5 s");
        let e = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert!(io_text(&e, &t).contains("is your server running?"));
        assert_eq!(seconds(Duration::from_millis(250)), "250 ms");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(seconds(Duration::from_secs_f64(0.3)), "300 ms");
    }
}
