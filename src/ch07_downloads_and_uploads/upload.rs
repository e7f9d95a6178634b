//! `ch07_upload`: a `PUT` streamed from disk.
//!
//! The body never sits in memory: with a `Content-Length` it goes from the
//! file to the socket with `sendfile(2)`, as chapter 6's server sends files
//! ([`crate::ch04_methods_and_routing::sendfile`]); with `--chunked` it goes
//! out in 64 KiB chunks.
//!
//! `Expect: 100-continue` (RFC 9110 §10.1.1) asks the server to look at
//! the head first. A server that will refuse the upload (too large, bad
//! name, no permission) answers at once with its final status, and we send
//! no body at all. A server that accepts it says `100 Continue`. A server
//! that ignores `Expect` (HTTP/1.0, or simply old) says nothing, so after
//! a bounded wait we send the body anyway, as the RFC tells clients to.
//!
//! A `307` or `308` answer (RFC 9110 §15.4.8, §15.4.9) asks for the same
//! method and body at another URL. The body is a file, so it can always be
//! sent again: the file is reopened and the `PUT` repeated there, at most
//! [`Config::max_redirects`] times, as `curl -L -T` does. Other redirects
//! (301, 302, 303) would turn a `PUT` into something else, so they are
//! reported, not followed.

use std::fs::File;
use std::io::{self, BufReader, Cursor, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::Path;
use std::time::Duration;

use crate::ch02_http_by_hand::head::{Headers, ResponseHead};
use crate::ch03_urls_and_clients::body::{BodyReader, response_body_kind, send_chunked};
use crate::ch03_urls_and_clients::client::{self, Config};
use crate::ch03_urls_and_clients::url::Url;
use crate::ch06_static_files::mime::content_type;
use crate::trace::{self, Dir};

/// How long to wait for `100 Continue` before sending the body anyway.
pub const DEFAULT_EXPECT_TIMEOUT: Duration = Duration::from_secs(1);

/// What to upload where.
#[derive(Debug, Clone)]
pub struct UploadOptions {
    pub url: Url,
    /// Send with the chunked coding instead of `Content-Length`.
    pub chunked: bool,
    /// Wait this long for `100 Continue`; `None` sends no `Expect`.
    pub expect_timeout: Option<Duration>,
    /// Chapter 3's client settings (timeouts, head limits, User-Agent).
    pub client: Config,
}

/// The server's final answer, and how much of the body it cost.
#[derive(Debug, Clone)]
pub struct UploadOutcome {
    /// The URL that gave this answer (after any 307/308).
    pub url: Url,
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
    pub body: Vec<u8>,
    /// Body bytes written to the socket (0 when refused after `Expect`).
    pub body_bytes_sent: u64,
}

/// Largest response body kept (the answer to an upload is a short note).
const MAX_ANSWER: u64 = 64 * 1024;

fn other(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

/// Uploads the file at `path` as `opts` says, following 307 and 308.
pub fn upload(path: &Path, opts: &UploadOptions) -> io::Result<UploadOutcome> {
    let mut chain = vec![opts.url.clone()];
    loop {
        let url = chain.last().cloned().unwrap_or_else(|| opts.url.clone());
        let outcome = upload_once(path, &url, opts)?;
        let location = outcome.headers.get("location");
        let (true, Some(location)) = (matches!(outcome.status, 307 | 308), location) else {
            return Ok(outcome);
        };
        if opts.client.max_redirects == 0 {
            return Ok(outcome);
        }
        let next = url
            .join(location)
            .map_err(|e| other(format!("bad redirect: Location `{location}`: {e}")))?;
        next.http_parts()
            .map_err(|e| other(format!("bad redirect to `{next}`: {e}")))?;
        let seen = chain.contains(&next);
        chain.push(next);
        let text: Vec<String> = chain.iter().map(Url::to_string).collect();
        if seen {
            return Err(other(format!("redirect loop: {}", text.join(" -> "))));
        }
        if chain.len() - 1 > opts.client.max_redirects {
            return Err(other(format!(
                "more than {} redirects: {}",
                opts.client.max_redirects,
                text.join(" -> ")
            )));
        }
    }
}

/// One `PUT` of the file at `path` to `url`, no redirects.
///
/// Chapter 3's client sends a request in one go and hides interim
/// responses; `Expect: 100-continue` needs the opposite (send the head,
/// *look at* what comes back, then decide), so this function drives the
/// exchange itself with the same pieces: chapter 3's URL, its `connect`
/// and its reader of one response head, and chapter 3's body framing.
fn upload_once(path: &Path, url: &Url, opts: &UploadOptions) -> io::Result<UploadOutcome> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let parts = url
        .http_parts()
        .map_err(|e| other(format!("cannot upload to {url}: {e}")))?;
    let mut stream =
        client::connect(&parts.connect_host, parts.port, &opts.client).map_err(into_io)?;
    let peer = stream.peer_addr()?;

    let mut fields = Headers::new();
    fields.append("Host", parts.host_header.clone());
    fields.append("User-Agent", opts.client.user_agent.clone());
    fields.append("Content-Type", content_type(path));
    if opts.chunked {
        fields.append("Transfer-Encoding", "chunked");
    } else {
        fields.append("Content-Length", len.to_string());
    }
    if opts.expect_timeout.is_some() {
        fields.append("Expect", "100-continue");
    }
    fields.append("Connection", "close");
    let mut head = format!("PUT {} HTTP/1.1\r\n", parts.target).into_bytes();
    fields.write_to(&mut head);
    head.extend_from_slice(b"\r\n");
    trace::head(Dir::Out, peer, &head);
    stream.write_all(&head)?;

    let mut inbuf = Vec::new();
    // Wait for `100 Continue`, a final answer, or the timeout.
    if let Some(wait) = opts.expect_timeout {
        stream.set_read_timeout(Some(wait))?;
        let early =
            client::read_one_head(&mut stream, &mut inbuf, &opts.client, peer).map_err(into_io);
        stream.set_read_timeout(Some(opts.client.read_timeout))?;
        match early {
            Ok(h) if (100..200).contains(&h.status) => {}
            // A final answer before the body: refused (or, rarely,
            // accepted without it). Send nothing more.
            Ok(h) => return finish(url, stream, inbuf, h, 0),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                trace::note(peer, "no 100 Continue in time; sending the body anyway");
            }
            Err(e) => return Err(e),
        }
    }

    // If the server answers and closes part-way (413 for a chunked body
    // over its limit), the write fails; its answer is still worth reading.
    let sent = send_body(&mut stream, &mut file, len, opts.chunked);
    let head = loop {
        match client::read_one_head(&mut stream, &mut inbuf, &opts.client, peer).map_err(into_io) {
            Ok(h) if (100..200).contains(&h.status) => continue,
            Ok(h) => break h,
            Err(e) => return Err(sent.err().unwrap_or(e)),
        }
    };
    trace::body(
        Dir::Out,
        peer,
        *sent.as_ref().unwrap_or(&0),
        if opts.chunked {
            "chunked"
        } else {
            "Content-Length"
        },
    );
    finish(url, stream, inbuf, head, sent.unwrap_or(0))
}

/// Chapter 3's errors as I/O errors, keeping "timed out" recognisable.
fn into_io(e: client::Error) -> io::Error {
    match e {
        client::Error::Io(e) => e,
        client::Error::Timeout(_) => io::Error::new(io::ErrorKind::TimedOut, e.to_string()),
        e => other(e.to_string()),
    }
}

/// Reads the (short) body of the final answer.
fn finish(
    url: &Url,
    stream: TcpStream,
    inbuf: Vec<u8>,
    head: ResponseHead,
    sent: u64,
) -> io::Result<UploadOutcome> {
    let mut body = Vec::new();
    if let Ok(kind) = response_body_kind("PUT", head.status, &head.headers) {
        let reader = BodyReader::new(BufReader::new(Cursor::new(inbuf).chain(stream)), kind);
        let _ = reader.take(MAX_ANSWER).read_to_end(&mut body);
    }
    Ok(UploadOutcome {
        url: url.clone(),
        status: head.status,
        reason: head.reason,
        headers: head.headers,
        body,
        body_bytes_sent: sent,
    })
}

fn send_body(stream: &mut TcpStream, file: &mut File, len: u64, chunked: bool) -> io::Result<u64> {
    if !chunked {
        // File to socket with sendfile(2), as chapter 6's server does.
        // A file that shrank since we sent its length cannot be sent
        // honestly: close.
        use crate::ch04_methods_and_routing::sendfile::FileSink;
        let n = stream.send_file(file, 0, len)?;
        if n != len {
            let _ = stream.shutdown(Shutdown::Both);
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("file shrank while sending: {n} of {len} bytes"),
            ));
        }
        return Ok(n);
    }
    // A 64 KiB chunk a read, from chapter 3's chunked writer.
    send_chunked(file, stream, 64 * 1024)
}
