//! `ch07_upload`: a `PUT` streamed from disk.
//!
//! The body never sits in memory: with a `Content-Length` it is copied
//! from the file to the socket with `io::copy` (which is `sendfile(2)` on
//! Linux, as in chapter 6); with `--chunked` it goes out in 64 KiB chunks.
//!
//! `Expect: 100-continue` (RFC 9110 §10.1.1) asks the server to look at
//! the head first. A server that will refuse the upload (too large, bad
//! name, no permission) answers at once with its final status, and we send
//! no body at all. A server that accepts it says `100 Continue`. A server
//! that ignores `Expect` (HTTP/1.0, or simply old) says nothing, so after
//! a bounded wait we send the body anyway, as the RFC tells clients to.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::path::Path;
use std::time::Duration;

use super::client::{Connection, Timeouts, Url, request_head};
use crate::ch03_urls_and_clients::body::{LAST_CHUNK, encode_chunk};
use crate::ch06_static_files::mime::content_type;

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
    pub timeouts: Timeouts,
}

/// The server's final answer, and how much of the body it cost.
#[derive(Debug, Clone)]
pub struct UploadOutcome {
    pub status: u16,
    pub reason: String,
    pub body: Vec<u8>,
    /// Body bytes written to the socket (0 when refused after `Expect`).
    pub body_bytes_sent: u64,
}

/// Largest response body kept (the answer to an upload is a short note).
const MAX_ANSWER: u64 = 64 * 1024;

/// Uploads the file at `path` as `opts` says.
pub fn upload(path: &Path, opts: &UploadOptions) -> io::Result<UploadOutcome> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len();
    let mut conn = Connection::open(&opts.url, opts.timeouts)?;
    let mut extra: Vec<(&str, String)> = vec![("Content-Type", content_type(path))];
    if opts.chunked {
        extra.push(("Transfer-Encoding", "chunked".into()));
    } else {
        extra.push(("Content-Length", len.to_string()));
    }
    if opts.expect_timeout.is_some() {
        extra.push(("Expect", "100-continue".into()));
    }
    extra.push(("Connection", "close".into()));
    conn.send_head(&request_head("PUT", &opts.url, &extra))?;

    // Wait for `100 Continue`, a final answer, or the timeout.
    if let Some(wait) = opts.expect_timeout {
        conn.stream().set_read_timeout(Some(wait))?;
        let early = conn.read_head();
        conn.stream().set_read_timeout(Some(opts.timeouts.io))?;
        match early {
            Ok(h) if h.status == 100 => {}
            Ok(h) if (100..200).contains(&h.status) => {}
            // A final answer before the body: the upload is refused (or,
            // rarely, accepted without it); send nothing more.
            Ok(h) => {
                let mut body = Vec::new();
                if let Ok(r) = conn.into_body("PUT", &h) {
                    let _ = r.take(MAX_ANSWER).read_to_end(&mut body);
                }
                return Ok(UploadOutcome {
                    status: h.status,
                    reason: h.reason,
                    body,
                    body_bytes_sent: 0,
                });
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e),
        }
    }

    // Send the body. If the server answers and closes part-way (413 for a
    // chunked body over its limit), the write fails; its answer is still
    // worth reading.
    let sent = send_body(&mut conn, &mut file, len, opts.chunked);
    let sent_bytes = match &sent {
        Ok(n) => *n,
        Err(_) => 0,
    };
    let _ = conn.stream().flush();
    let head = match conn.read_final_head() {
        Ok(h) => h,
        Err(e) => return Err(sent.err().unwrap_or(e)),
    };
    let mut body = Vec::new();
    if let Ok(r) = conn.into_body("PUT", &head) {
        let _ = r.take(MAX_ANSWER).read_to_end(&mut body);
    }
    Ok(UploadOutcome {
        status: head.status,
        reason: head.reason,
        body,
        body_bytes_sent: sent_bytes,
    })
}

fn send_body(conn: &mut Connection, file: &mut File, len: u64, chunked: bool) -> io::Result<u64> {
    let stream = conn.stream();
    if !chunked {
        // File to socket: sendfile(2) on Linux. `take` guards against a
        // file that grew since we sent its length.
        let n = io::copy(&mut file.take(len), stream)?;
        if n != len {
            // The file shrank: the request cannot be completed honestly.
            let _ = stream.shutdown(Shutdown::Both);
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("file shrank while sending: {n} of {len} bytes"),
            ));
        }
        return Ok(n);
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut out = Vec::with_capacity(buf.len() + 32);
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        out.clear();
        encode_chunk(&buf[..n], &mut out);
        stream.write_all(&out)?;
        total += n as u64;
    }
    stream.write_all(LAST_CHUNK)?;
    Ok(total)
}
