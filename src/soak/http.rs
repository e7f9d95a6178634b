//! The soak's HTTP/1.1 connection: requests written as bytes, responses
//! read with the book's own parsers (chapter 2's head, chapter 3's body
//! framing), so keep-alive and pipelining are exercised exactly as a
//! client would: many requests, one connection, answers in order.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use crate::ch02_http_by_hand::head::{HeadLimits, Parsed, ResponseHead, parse_response};
use crate::ch03_urls_and_clients::body::{BodyReader, response_body_kind};

/// Every read and write of the load generator gives up after this long:
/// a well-formed request unanswered for this long is a failure.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest response body the soak reads into memory.
pub const MAX_BODY: u64 = 8 * 1024 * 1024;

/// A response: its head and whole body.
#[derive(Debug)]
pub struct Reply {
    pub head: ResponseHead,
    pub body: Vec<u8>,
}

/// One client connection, opened again when the server ends it with
/// `Connection: close` (RFC 9112 §9.6: a server may, e.g. when all its
/// workers are busy; a client must then not send on it).
pub struct Conn {
    addr: SocketAddr,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// The last response said `Connection: close`.
    closing: bool,
}

fn connect(addr: SocketAddr) -> io::Result<(BufReader<TcpStream>, TcpStream)> {
    let s = TcpStream::connect_timeout(&addr, IO_TIMEOUT)?;
    s.set_read_timeout(Some(IO_TIMEOUT))?;
    s.set_write_timeout(Some(IO_TIMEOUT))?;
    s.set_nodelay(true)?;
    Ok((BufReader::new(s.try_clone()?), s))
}

impl Conn {
    pub fn open(addr: SocketAddr) -> io::Result<Conn> {
        let (reader, writer) = connect(addr)?;
        Ok(Conn {
            addr,
            reader,
            writer,
            closing: false,
        })
    }

    /// Sends `bytes`, on a new connection if the server closed the last.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        if self.closing {
            (self.reader, self.writer) = connect(self.addr)?;
            self.closing = false;
        }
        self.writer.write_all(bytes)
    }

    /// Whether the server said it closes the connection after the last
    /// response: requests pipelined behind it will not be answered.
    pub fn closing(&self) -> bool {
        self.closing
    }

    pub fn stream(&self) -> &TcpStream {
        &self.writer
    }

    /// Reads the next response to a request with `method`; interim 1xx
    /// answers are skipped.
    pub fn read_reply(&mut self, method: &str) -> io::Result<Reply> {
        loop {
            let head = self.read_head()?;
            if (100..200).contains(&head.status) && head.status != 101 {
                continue;
            }
            let kind = response_body_kind(method, head.status, &head.headers)
                .map_err(|e| invalid(e.to_string()))?;
            let mut body = Vec::new();
            BodyReader::new(&mut self.reader, kind)
                .take(MAX_BODY)
                .read_to_end(&mut body)?;
            self.closing = head.headers.has_token("connection", "close");
            return Ok(Reply { head, body });
        }
    }

    fn read_head(&mut self) -> io::Result<ResponseHead> {
        let mut head = Vec::new();
        loop {
            let avail = self.reader.fill_buf()?;
            if avail.is_empty() {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("closed after {} bytes of a response head", head.len()),
                ));
            }
            let (before, got) = (head.len(), avail.len());
            head.extend_from_slice(avail);
            match parse_response(&head, &HeadLimits::CLIENT) {
                Ok(Parsed::Complete(h, n)) => {
                    self.reader.consume(n - before);
                    return Ok(h);
                }
                Ok(Parsed::Incomplete) => self.reader.consume(got),
                Err(e) => return Err(invalid(format!("bad response head: {e}"))),
            }
        }
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

/// `METHOD target HTTP/1.1` with `Host`, the given fields and body.
pub fn request(method: &str, target: &str, fields: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("{method} {target} HTTP/1.1\r\nHost: soak\r\n");
    for (k, v) in fields {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" || method == "PUT" {
        out.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A short text of what was sent, for a failure report.
pub fn shown(bytes: &[u8]) -> String {
    let head_end = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(bytes.len(), |i| i + 4);
    let text = String::from_utf8_lossy(&bytes[..head_end.min(300)]).replace("\r\n", "\\r\\n");
    let body = bytes.len() - head_end;
    if body > 0 {
        format!("{text} + {body} body bytes")
    } else {
        text
    }
}
