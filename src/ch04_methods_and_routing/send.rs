//! Writing a [`Response`] to the wire: status line, `Date`, framing
//! (`Content-Length` or chunked), `Connection`, and the body.
//!
//! The handler never writes framing fields itself: the connection knows
//! things the handler does not (the request was `HEAD`, the client speaks
//! HTTP/1.0, the server is shutting down), and a wrong `Content-Length` is
//! not a cosmetic bug but a desynchronised connection.

use std::cell::RefCell;
use std::fmt::Display;
use std::io;
use std::time::{SystemTime, UNIX_EPOCH};

use super::response::{Body, Response};
use super::sendfile::{FileSink, PartialSend, read_range_into};
use crate::ch02_http_by_hand::date::format_http_date;
use crate::ch02_http_by_hand::head::{Version, reason_phrase};
use crate::ch03_urls_and_clients::body::ChunkedWriter;
use crate::trace::{self, Dir};

/// Bodies up to this size are copied behind the head and leave in one
/// `write`. With `TCP_NODELAY` set, two small writes would be two packets;
/// without it, Nagle's algorithm would hold the second one back until the
/// first is acknowledged, and a delayed ACK can make that 40 ms.
pub const ONE_WRITE_MAX: usize = 64 * 1024;

/// What the connection knows about the request a response answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyTo {
    /// The request was `HEAD`: send GET's fields, no body (RFC 9110 §9.3.2).
    pub head_request: bool,
    pub version: Version,
    /// The connection closes after this response (`Connection: close`).
    pub close: bool,
    /// How long the connection will wait for the next request: announced
    /// as `Keep-Alive: timeout=N` (whole seconds) on a response that keeps
    /// it open, so a client can stop reusing it before we close it. The
    /// field is a widespread convention from RFC 2068 §19.7.1, not part of
    /// RFC 9112; clients that do not know it ignore it.
    pub keep_alive: Option<std::time::Duration>,
}

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub status: u16,
    /// Body bytes written (0 for HEAD).
    pub body_bytes: u64,
    /// The connection must close now: `close` was asked for, or the body was
    /// delimited by closing (a stream to an HTTP/1.0 client).
    pub close: bool,
}

thread_local! {
    static DATE: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

/// The `Date` value for now. Formatting a date costs more than the rest of a
/// small response head, and it changes once a second, so each thread keeps
/// the last one.
pub fn http_date_now() -> String {
    DATE.with(|c| {
        let mut c = c.borrow_mut();
        refresh_date(&mut c);
        c.1.clone()
    })
}

fn refresh_date(cache: &mut (u64, String)) {
    let now = SystemTime::now();
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if cache.0 != secs {
        *cache = (secs, format_http_date(now));
    }
}

/// Whether a response with this status never has a body (RFC 9110 §6.4.1).
pub fn status_has_no_body(status: u16) -> bool {
    (100..200).contains(&status) || status == 204 || status == 304
}

/// How the body of a response is framed on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// No body at all (1xx, 204, 304) or a 101 whose framing is the new
    /// protocol's business.
    None,
    Length(u64),
    Chunked,
    /// HTTP/1.0 and a body of unknown length: it ends when we close.
    UntilClose,
}

/// Writes the head for `resp` into `out`: the status line, the handler's
/// fields minus the ones only the connection may set, then `Date`, the
/// framing and `Connection`. Returns the framing and whether the
/// connection closes after this response.
fn write_head(resp: &Response, to: &ReplyTo, out: &mut Vec<u8>) -> (Framing, bool) {
    let upgrade = resp.status == 101;
    let mut close = to.close || resp.headers.has_token("connection", "close");
    let framing = if upgrade || status_has_no_body(resp.status) {
        Framing::None
    } else {
        match resp.body.len() {
            // A handler that answers HEAD itself, with no body, may say how
            // long GET's body would be (RFC 9110 §9.3.2); keep that.
            Some(0) if to.head_request => {
                match crate::ch03_urls_and_clients::body::content_length(&resp.headers) {
                    Ok(Some(n)) => Framing::Length(n),
                    _ => Framing::Length(0),
                }
            }
            Some(n) => Framing::Length(n),
            None if to.version == Version::Http11 => Framing::Chunked,
            None => Framing::UntilClose,
        }
    };
    if framing == Framing::UntilClose {
        close = true;
    }
    out.extend_from_slice(b"HTTP/1.1 ");
    push_decimal(out, u64::from(resp.status));
    out.push(b' ');
    out.extend_from_slice(reason_phrase(resp.status).as_bytes());
    out.extend_from_slice(b"\r\n");
    let mut has_date = false;
    for (name, value) in resp.headers.iter() {
        let framing_field = name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
            || (!upgrade && name.eq_ignore_ascii_case("connection"));
        if framing_field {
            continue;
        }
        has_date |= name.eq_ignore_ascii_case("date");
        field(out, name, value.as_bytes());
    }
    if !has_date {
        DATE.with(|c| {
            refresh_date(&mut c.borrow_mut());
            field(out, "Date", c.borrow().1.as_bytes());
        });
    }
    match framing {
        Framing::Length(n) => {
            out.extend_from_slice(b"Content-Length: ");
            push_decimal(out, n);
            out.extend_from_slice(b"\r\n");
        }
        Framing::Chunked => field(out, "Transfer-Encoding", b"chunked"),
        Framing::None | Framing::UntilClose => {}
    }
    if !upgrade {
        if close {
            field(out, "Connection", b"close");
        } else if to.version == Version::Http10 {
            field(out, "Connection", b"keep-alive");
        }
        if let (false, Some(t)) = (close, to.keep_alive) {
            out.extend_from_slice(b"Keep-Alive: timeout=");
            push_decimal(out, t.as_secs().max(1));
            out.extend_from_slice(b"\r\n");
        }
    }
    out.extend_from_slice(b"\r\n");
    (framing, close && !upgrade)
}

fn field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

/// Appends `n` in decimal, without the allocation of `n.to_string()`.
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// Whether sending `resp` may have to wait for the client: a body that
/// goes out at all (not for HEAD, 101, 1xx, 204 or 304) and is more than
/// one write's worth (a socket's buffer takes that much at once only if the
/// client keeps reading), or a stream of unknown length.
pub fn may_take_long(resp: &Response, to: &ReplyTo) -> bool {
    if to.head_request || resp.status == 101 || status_has_no_body(resp.status) {
        return false;
    }
    match &resp.body {
        Body::Empty => false,
        Body::Bytes(b) => b.len() > ONE_WRITE_MAX,
        Body::File { len, .. } => *len > ONE_WRITE_MAX as u64,
        Body::Stream(_) => true,
    }
}

/// A writer that counts the bytes it accepted, so that a response cut off
/// halfway is logged with what really went out.
struct Counted<'a, W> {
    inner: &'a mut W,
    bytes: u64,
}

impl<W: FileSink> io::Write for Counted<'_, W> {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(b)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: FileSink> FileSink for Counted<'_, W> {
    fn send_file(&mut self, file: &mut std::fs::File, offset: u64, len: u64) -> io::Result<u64> {
        match self.inner.send_file(file, offset, len) {
            Ok(n) => {
                self.bytes += n;
                Ok(n)
            }
            Err(e) => {
                self.bytes += PartialSend::sent_before(&e);
                Err(e)
            }
        }
    }
}

/// Writes `resp` (head and body) to `out`. A `Body::File` goes out with
/// [`FileSink::send_file`]: `sendfile(2)` when `out` is a TCP socket on
/// Linux (`io::copy` no longer does that by itself: see [`super::sendfile`]).
pub fn write_response<W: FileSink>(
    out: &mut W,
    resp: &mut Response,
    to: &ReplyTo,
    peer: impl Display,
) -> io::Result<Sent> {
    let (sent, result) = send_response(out, resp, to, peer);
    result.map(|()| sent)
}

/// [`write_response`], saying what was sent even when it failed: then
/// `body_bytes` counts the body bytes the socket accepted before the error
/// (with a chunked body, its framing too), and `close` is set.
pub fn send_response<W: FileSink>(
    out: &mut W,
    resp: &mut Response,
    to: &ReplyTo,
    peer: impl Display,
) -> (Sent, io::Result<()>) {
    let mut counted = Counted {
        inner: out,
        bytes: 0,
    };
    let mut head_len = 0;
    match write_counted(&mut counted, resp, to, peer, &mut head_len) {
        Ok(sent) => (sent, Ok(())),
        Err(e) => {
            let sent = Sent {
                status: resp.status,
                body_bytes: counted.bytes.saturating_sub(head_len as u64),
                close: true,
            };
            (sent, Err(e))
        }
    }
}

fn write_counted<W: FileSink>(
    out: &mut W,
    resp: &mut Response,
    to: &ReplyTo,
    peer: impl Display,
    head_len: &mut usize,
) -> io::Result<Sent> {
    let mut buf = Vec::with_capacity(256);
    let (framing, close) = write_head(resp, to, &mut buf);
    *head_len = buf.len();
    let chunked = framing == Framing::Chunked;
    trace::head(Dir::Out, &peer, &buf);
    let send_body = !to.head_request && framing != Framing::None;
    let mut sent = Sent {
        status: resp.status,
        body_bytes: 0,
        close,
    };
    if !send_body {
        out.write_all(&buf)?;
        return Ok(sent);
    }
    match &mut resp.body {
        Body::Empty => out.write_all(&buf)?,
        Body::Bytes(b) if b.len() <= ONE_WRITE_MAX => {
            buf.extend_from_slice(b);
            out.write_all(&buf)?;
            sent.body_bytes = b.len() as u64;
        }
        Body::Bytes(b) => {
            out.write_all(&buf)?;
            out.write_all(b)?;
            sent.body_bytes = b.len() as u64;
        }
        Body::File { file, offset, len } => {
            // A small file goes out in the same write as the head (one
            // packet); a large one after it, with sendfile(2) (chapter 6).
            let n = if *len <= ONE_WRITE_MAX as u64 {
                let n = read_range_into(file, *offset, *len, &mut buf)?;
                out.write_all(&buf)?;
                n
            } else {
                out.write_all(&buf)?;
                out.send_file(file, *offset, *len)?
            };
            sent.body_bytes = n;
            if n < *len {
                // The file shrank under us. The head promised `len` bytes;
                // the only honest thing left is to close the connection.
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("file ended after {n} of {len} bytes"),
                ));
            }
        }
        Body::Stream(r) => {
            out.write_all(&buf)?;
            if chunked {
                let mut w = ChunkedWriter::new(&mut *out);
                sent.body_bytes = io::copy(r, &mut w)?;
                w.finish()?;
            } else {
                sent.body_bytes = io::copy(r, out)?;
            }
        }
    }
    trace::body(
        Dir::Out,
        &peer,
        sent.body_bytes,
        if chunked { "chunked" } else { "Content-Length" },
    );
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(mut resp: Response, to: ReplyTo) -> (String, Sent) {
        let mut out = Vec::new();
        let sent = write_response(&mut out, &mut resp, &to, "test").unwrap();
        (String::from_utf8(out).unwrap(), sent)
    }

    const GET11: ReplyTo = ReplyTo {
        head_request: false,
        version: Version::Http11,
        close: false,
        keep_alive: None,
    };

    #[test]
    fn keep_alive_announces_the_idle_timeout_only_when_the_connection_stays() {
        let to = ReplyTo {
            keep_alive: Some(std::time::Duration::from_millis(5_300)),
            ..GET11
        };
        let (w, _) = wire(Response::text(200, "hi"), to);
        assert!(w.contains("Keep-Alive: timeout=5\r\n"), "{w}");
        let closing = ReplyTo { close: true, ..to };
        let (w, _) = wire(Response::text(200, "hi"), closing);
        assert!(!w.contains("Keep-Alive"), "{w}");
        let (w, _) = wire(Response::text(200, "hi"), GET11);
        assert!(!w.contains("Keep-Alive"), "{w}");
    }

    #[test]
    fn only_a_large_body_that_really_goes_out_may_take_long() {
        let big = || Response::new(200).with(Body::Bytes(vec![b'x'; ONE_WRITE_MAX + 1]));
        let head = ReplyTo {
            head_request: true,
            ..GET11
        };
        assert!(may_take_long(&big(), &GET11));
        assert!(!may_take_long(&Response::text(200, "hi"), &GET11));
        // Only the head goes out: HEAD, and statuses without a body.
        assert!(!may_take_long(&big(), &head));
        for status in [204, 304] {
            let mut r = big();
            r.status = status;
            assert!(!may_take_long(&r, &GET11), "{status}");
        }
    }

    #[test]
    fn length_date_and_body_in_one_piece() {
        let (w, sent) = wire(
            Response::text(200, "hi").header("Content-Length", "99"),
            GET11,
        );
        assert!(w.starts_with("HTTP/1.1 200 OK\r\n"), "{w}");
        assert!(w.contains("\r\nDate: "), "{w}");
        assert!(w.contains("\r\nContent-Length: 2\r\n"), "{w}");
        assert!(!w.contains("99"), "{w}");
        assert!(w.ends_with("\r\n\r\nhi"), "{w}");
        assert_eq!(sent.body_bytes, 2);
        assert!(!sent.close);
    }

    #[test]
    fn head_gets_the_fields_without_the_body() {
        let to = ReplyTo {
            head_request: true,
            ..GET11
        };
        let (w, sent) = wire(Response::text(200, "hello"), to);
        assert!(w.contains("Content-Length: 5\r\n"), "{w}");
        assert!(w.ends_with("\r\n\r\n"), "{w}");
        assert_eq!(sent.body_bytes, 0);
    }

    #[test]
    fn streams_are_chunked_for_11_and_close_delimited_for_10() {
        let body = || Body::Stream(Box::new(&b"abc"[..]));
        let (w, _) = wire(Response::new(200).with(body()), GET11);
        assert!(w.contains("Transfer-Encoding: chunked\r\n"), "{w}");
        assert!(w.ends_with("\r\n\r\n3\r\nabc\r\n0\r\n\r\n"), "{w}");
        let to = ReplyTo {
            version: Version::Http10,
            ..GET11
        };
        let (w, sent) = wire(Response::new(200).with(body()), to);
        assert!(w.contains("Connection: close\r\n"), "{w}");
        assert!(w.ends_with("\r\n\r\nabc"), "{w}");
        assert!(sent.close);
    }

    #[test]
    fn a_head_handler_may_state_the_length() {
        let to = ReplyTo {
            head_request: true,
            ..GET11
        };
        let (w, _) = wire(Response::new(200).header("Content-Length", "1234"), to);
        assert!(w.contains("Content-Length: 1234\r\n"), "{w}");
        assert_eq!(w.matches("Content-Length").count(), 1, "{w}");
        // For GET the body decides.
        let (w, _) = wire(Response::new(200).header("Content-Length", "1234"), GET11);
        assert!(w.contains("Content-Length: 0\r\n"), "{w}");
    }

    #[test]
    fn no_body_statuses_have_no_framing() {
        let (w, _) = wire(Response::new(204), GET11);
        assert!(!w.contains("Content-Length"), "{w}");
        let to = ReplyTo {
            version: Version::Http10,
            ..GET11
        };
        let (w, _) = wire(Response::new(204), to);
        assert!(w.contains("Connection: keep-alive\r\n"), "{w}");
    }
}
