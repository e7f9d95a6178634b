//! Message bodies: how an HTTP/1.1 message says where its body ends
//! (RFC 9112 §6), and a sans-I/O decoder for the chunked coding (§7.1).
//!
//! A byte stream has no message boundaries (chapter 1), so every HTTP
//! message must say how long its body is, in one of three ways:
//!
//! * `Content-Length: N`: exactly N bytes follow;
//! * `Transfer-Encoding: chunked`: a series of `SIZE CRLF DATA CRLF`
//!   chunks ending with a zero-size chunk and optional trailer fields;
//! * neither, in a response: the body runs until the server closes the
//!   connection (which is why such a connection cannot be reused).
//!
//! The client of this chapter reads response bodies with it; chapter 4's
//! server reads request bodies with the same code.

use std::io::{self, BufRead, Read, Write};

use crate::ch02_http_by_hand::head::{HeadLimits, Headers, parse_fields};

/// Longest chunk-size line, extensions included. Extensions are ignored,
/// but they still have to be read, so they need a limit.
pub const MAX_CHUNK_LINE: usize = 4096;
/// Most bytes of trailer fields after the last chunk.
pub const MAX_TRAILER_BYTES: usize = 8 * 1024;

// Where a body ends and the framing errors are chapter 2's: its server
// already had to tell a request's body from the next request.
pub use crate::ch02_http_by_hand::framing::{BodyKind, FramingError, content_length};

/// How a response body is delimited (RFC 9112 §6.3), given the request's
/// method and the response's status and fields.
///
/// This is the one framing decision of every client in the book: chapter
/// 3's `ch03_get`, chapter 7's download and upload all read a response body
/// through it, so they can never disagree on where a body ends.
///
/// * `Transfer-Encoding` overrides `Content-Length` (§6.3 rule 3): a
///   response with both is read as chunked. Such a response may be an
///   attempt at response splitting, so the connection must not be reused
///   afterwards; the book's client sends `Connection: close` on every
///   request and never reuses one.
/// * A transfer coding other than `chunked` (`gzip, chunked`, `gzip`) is
///   [`FramingError::UnsupportedEncoding`]: we decode none, and handing on
///   compressed bytes as if they were the body would be a silent lie. (We
///   never ask for one: a client that sends no `TE` field gets none from a
///   conforming server, RFC 9110 §10.1.4.)
pub fn response_body_kind(
    request_method: &str,
    status: u16,
    headers: &Headers,
) -> Result<BodyKind, FramingError> {
    // 1. HEAD responses, 1xx, 204 and 304 never have a body.
    if request_method.eq_ignore_ascii_case("HEAD")
        || (100..200).contains(&status)
        || status == 204
        || status == 304
    {
        return Ok(BodyKind::Empty);
    }
    // 3. Transfer-Encoding overrides Content-Length; chunked must be last,
    //    otherwise the body would run until close.
    if headers.contains("transfer-encoding") {
        if let Some(other) = headers
            .tokens("transfer-encoding")
            .find(|t| !t.eq_ignore_ascii_case("chunked"))
        {
            return Err(FramingError::UnsupportedEncoding(other.to_string()));
        }
        let codings = headers.tokens("transfer-encoding").count();
        return match codings {
            1 => Ok(BodyKind::Chunked),
            // `chunked, chunked`: §7 allows chunked once; an empty list
            // says nothing usable.
            _ => Err(FramingError::BadChunk("chunked must appear exactly once")),
        };
    }
    // 5. Content-Length.
    if let Some(n) = content_length(headers)? {
        return Ok(if n == 0 {
            BodyKind::Empty
        } else {
            BodyKind::Length(n)
        });
    }
    // 8. Otherwise, until close.
    Ok(BodyKind::UntilClose)
}

/// The body length a response announces, from [`response_body_kind`]'s
/// decision: `Some(n)` for a `Content-Length` body (0 for none), `None`
/// for a chunked or until-close body, whose length is known only at its end.
pub fn declared_length(kind: BodyKind) -> Option<u64> {
    match kind {
        BodyKind::Empty => Some(0),
        BodyKind::Length(n) => Some(n),
        BodyKind::Chunked | BodyKind::UntilClose => None,
    }
}

/// State of the chunked decoder.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Reading `chunk-size [ext] CRLF`; the bytes of the line so far.
    SizeLine(Vec<u8>),
    /// Inside a chunk: this many data bytes left.
    Data(u64),
    /// After a chunk's data: expecting CRLF; how many of its 2 bytes seen.
    DataEnd(u8),
    /// After the last chunk: the trailer section so far.
    Trailers(Vec<u8>),
    Done,
}

/// A sans-I/O decoder for the chunked transfer coding (RFC 9112 §7.1).
///
/// Feed it bytes with [`ChunkedDecoder::decode`]; it copies body data into
/// the output buffer and tells how much input it used. It never reads past
/// the end of the body, so whatever follows (the next pipelined request) is
/// left for the caller. Chunk extensions are ignored; trailer fields are
/// parsed with chapter 2's field grammar and kept.
///
/// Framing is strict: CRLF, not a bare LF, ends every line, and the size
/// must be hex digits only. Lenient chunk parsing is a classic source of
/// request smuggling, where a proxy and a server disagree on where a body
/// ends.
#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    trailers: Headers,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkedDecoder {
    pub fn new() -> ChunkedDecoder {
        ChunkedDecoder {
            state: State::SizeLine(Vec::new()),
            trailers: Headers::new(),
        }
    }

    /// Whether the last chunk and the trailers have been read.
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// The trailer fields, once [`ChunkedDecoder::is_done`].
    pub fn trailers(&self) -> &Headers {
        &self.trailers
    }

    /// Decodes from `input` into `out`. Returns `(consumed, produced)`: how
    /// many input bytes were used and how many body bytes were written.
    /// Stops when `out` is full, the input runs out, or the body ends.
    pub fn decode(&mut self, input: &[u8], out: &mut [u8]) -> Result<(usize, usize), FramingError> {
        let mut i = 0;
        let mut o = 0;
        loop {
            match &mut self.state {
                State::Done => return Ok((i, o)),
                State::SizeLine(line) => {
                    let Some(&b) = input.get(i) else {
                        return Ok((i, o));
                    };
                    i += 1;
                    if b != b'\n' {
                        if line.len() >= MAX_CHUNK_LINE {
                            return Err(FramingError::BadChunk("chunk-size line too long"));
                        }
                        line.push(b);
                        continue;
                    }
                    let size = parse_size_line(line)?;
                    self.state = if size == 0 {
                        State::Trailers(Vec::new())
                    } else {
                        State::Data(size)
                    };
                }
                State::Data(left) => {
                    if i == input.len() || o == out.len() {
                        return Ok((i, o));
                    }
                    let n = (*left)
                        .min((input.len() - i) as u64)
                        .min((out.len() - o) as u64) as usize;
                    out[o..o + n].copy_from_slice(&input[i..i + n]);
                    i += n;
                    o += n;
                    *left -= n as u64;
                    if *left == 0 {
                        self.state = State::DataEnd(0);
                    }
                }
                State::DataEnd(seen) => {
                    let Some(&b) = input.get(i) else {
                        return Ok((i, o));
                    };
                    let want = if *seen == 0 { b'\r' } else { b'\n' };
                    if b != want {
                        return Err(FramingError::BadChunk("chunk data not followed by CRLF"));
                    }
                    i += 1;
                    if *seen == 0 {
                        *seen = 1;
                    } else {
                        self.state = State::SizeLine(Vec::new());
                    }
                }
                State::Trailers(buf) => {
                    let Some(&b) = input.get(i) else {
                        return Ok((i, o));
                    };
                    i += 1;
                    buf.push(b);
                    if buf.len() > MAX_TRAILER_BYTES {
                        return Err(FramingError::BadChunk("trailer section too large"));
                    }
                    if b == b'\n' {
                        // The section ends with an empty line: CRLF alone,
                        // or CRLF CRLF after the last field.
                        if buf == b"\r\n" || buf.ends_with(b"\r\n\r\n") {
                            let limits = HeadLimits {
                                max_head_bytes: MAX_TRAILER_BYTES,
                                max_target_bytes: 0,
                                max_fields: 64,
                            };
                            let mut trailers = Headers::new();
                            match parse_fields(buf, 0, &limits, &mut trailers) {
                                Ok(Some(_)) => {}
                                _ => return Err(FramingError::BadChunk("malformed trailer field")),
                            }
                            self.trailers = trailers;
                            self.state = State::Done;
                        } else if !buf.ends_with(b"\r\n") {
                            return Err(FramingError::BadChunk("bare LF in trailer section"));
                        }
                    }
                }
            }
        }
    }
}

/// `chunk-size [ chunk-ext ] CRLF`, given the line without its LF.
fn parse_size_line(line: &[u8]) -> Result<u64, FramingError> {
    exercise!(
        "ex_ch03_chunk_size_line",
        ch03_chunk_size_line::parse_size_line(line)
    );
    let Some(line) = line.strip_suffix(b"\r") else {
        return Err(FramingError::BadChunk("chunk-size line not ended by CRLF"));
    };
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 {
        return Err(FramingError::BadChunk("chunk-size is not hex"));
    }
    if digits > 15 {
        return Err(FramingError::BadChunk("chunk-size too large"));
    }
    let rest = &line[digits..];
    // What may follow the size: optional whitespace, then `;` extensions.
    let rest_trimmed: &[u8] = {
        let mut r = rest;
        while let [b' ' | b'\t', tail @ ..] = r {
            r = tail;
        }
        r
    };
    if !(rest_trimmed.is_empty() || rest_trimmed[0] == b';') {
        return Err(FramingError::BadChunk("junk after chunk-size"));
    }
    if rest_trimmed
        .iter()
        .any(|&b| (b < 0x20 && b != b'\t') || b == 0x7f)
    {
        return Err(FramingError::BadChunk(
            "control character in chunk extension",
        ));
    }
    // At most 15 hex digits: 60 bits, no overflow.
    Ok(line[..digits].iter().fold(0u64, |n, &b| {
        let d = (b as char).to_digit(16).unwrap_or(0);
        n << 4 | u64::from(d)
    }))
}

/// Reads one body from a buffered stream, stopping exactly at its end.
///
/// It wraps a `BufRead` (a `BufReader<TcpStream>`, or a byte slice in tests)
/// and implements `Read`, so a body can be copied to a file with
/// `io::copy` without knowing how it is framed. A connection that closes
/// before a `Length` or `Chunked` body is complete is an
/// `UnexpectedEof` error, never a silently short body.
pub struct BodyReader<R> {
    inner: R,
    kind: BodyKind,
    /// Bytes left of a `Length` body.
    left: u64,
    chunked: ChunkedDecoder,
    done: bool,
    read_so_far: u64,
}

impl<R: BufRead> BodyReader<R> {
    pub fn new(inner: R, kind: BodyKind) -> BodyReader<R> {
        BodyReader {
            inner,
            kind,
            left: match kind {
                BodyKind::Length(n) => n,
                _ => 0,
            },
            chunked: ChunkedDecoder::new(),
            done: kind == BodyKind::Empty || kind == BodyKind::Length(0),
            read_so_far: 0,
        }
    }

    pub fn kind(&self) -> BodyKind {
        self.kind
    }

    /// Whether the whole body has been read.
    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Body bytes delivered so far.
    pub fn bytes_read(&self) -> u64 {
        self.read_so_far
    }

    /// Trailer fields of a chunked body (empty otherwise).
    pub fn trailers(&self) -> &Headers {
        self.chunked.trailers()
    }

    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    fn read_inner(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        match self.kind {
            BodyKind::Empty => Ok(0),
            BodyKind::Length(_) => {
                let max = (buf.len() as u64).min(self.left) as usize;
                let n = self.inner.read(&mut buf[..max])?;
                if n == 0 {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("connection closed with {} body bytes missing", self.left),
                    ));
                }
                self.left -= n as u64;
                self.done = self.left == 0;
                Ok(n)
            }
            BodyKind::UntilClose => {
                let n = self.inner.read(buf)?;
                self.done = n == 0;
                Ok(n)
            }
            BodyKind::Chunked => loop {
                let input = self.inner.fill_buf()?;
                if input.is_empty() {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed inside a chunked body",
                    ));
                }
                let (used, produced) = self.chunked.decode(input, buf)?;
                self.inner.consume(used);
                if self.chunked.is_done() {
                    self.done = true;
                    return Ok(produced);
                }
                if produced > 0 {
                    return Ok(produced);
                }
            },
        }
    }
}

impl<R: BufRead> Read for BodyReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.read_inner(buf)?;
        self.read_so_far += n as u64;
        Ok(n)
    }
}

/// Encodes `data` as one chunk (`SIZE CRLF DATA CRLF`); an empty `data`
/// would end the body, so it gives nothing.
pub fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    if data.is_empty() {
        return;
    }
    out.extend_from_slice(format!("{:X}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// The last chunk with no trailers: `0 CRLF CRLF`.
pub const LAST_CHUNK: &[u8] = b"0\r\n\r\n";

/// Writes everything given to it as chunks of the chunked transfer coding
/// (RFC 9112 §7.1); [`ChunkedWriter::finish`] writes the last chunk. For a
/// body whose length is not known when the head is sent: the client's
/// streamed request bodies here, chapter 4's streamed responses and
/// chapter 7's chunked uploads.
pub struct ChunkedWriter<W: Write> {
    inner: W,
    scratch: Vec<u8>,
}

impl<W: Write> ChunkedWriter<W> {
    pub fn new(inner: W) -> ChunkedWriter<W> {
        ChunkedWriter {
            inner,
            scratch: Vec::new(),
        }
    }

    /// Writes the zero-size last chunk (no trailers) and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.inner.write_all(LAST_CHUNK)?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}

impl<W: Write> Write for ChunkedWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if data.is_empty() {
            // An empty chunk would end the body.
            return Ok(0);
        }
        self.scratch.clear();
        encode_chunk(data, &mut self.scratch);
        self.inner.write_all(&self.scratch)?;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Sends all of `reader` as a chunked body, then the last chunk; returns
/// the body's length. Each read of up to `chunk_size` bytes becomes one
/// chunk: larger chunks mean less framing and fewer system calls (the
/// client uses 16 KiB, chapter 7's upload 64 KiB).
pub fn send_chunked<R: Read + ?Sized, W: Write>(
    reader: &mut R,
    out: W,
    chunk_size: usize,
) -> io::Result<u64> {
    let mut buf = vec![0u8; chunk_size];
    let mut w = ChunkedWriter::new(out);
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        w.write_all(&buf[..n])?;
        total += n as u64;
    }
    w.finish()?;
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    fn decode_all(input: &[u8]) -> Result<(Vec<u8>, usize), FramingError> {
        let mut d = ChunkedDecoder::new();
        let mut out = vec![0; input.len()];
        let (used, produced) = d.decode(input, &mut out)?;
        assert!(d.is_done(), "not done");
        out.truncate(produced);
        Ok((out, used))
    }

    #[test]
    fn rfc_style_example_with_extension_and_trailer() {
        let body = b"4;name=value\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nNEXT";
        let mut d = ChunkedDecoder::new();
        let mut out = [0u8; 64];
        let (used, n) = d.decode(body, &mut out).unwrap();
        assert_eq!(&out[..n], b"Wikipedia in\r\n\r\nchunks.");
        assert_eq!(&body[used..], b"NEXT");
        assert_eq!(d.trailers().get("expires"), Some("never"));
    }

    #[test]
    fn split_at_every_byte_gives_the_same_body() {
        let body = b"3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX: y\r\n\r\n";
        let (whole, _) = decode_all(body).unwrap();
        for split in 0..body.len() {
            let mut d = ChunkedDecoder::new();
            let mut out = vec![0; 64];
            let (u1, p1) = d.decode(&body[..split], &mut out).unwrap();
            assert_eq!(u1, split);
            let (u2, p2) = d.decode(&body[split..], &mut out[p1..]).unwrap();
            assert_eq!(u1 + u2, body.len());
            assert!(d.is_done());
            assert_eq!(&out[..p1 + p2], &whole[..], "split at {split}");
        }
    }

    #[test]
    fn malformed_chunks_are_errors() {
        for bad in [
            &b"x\r\n"[..],
            b"3\nabc\r\n0\r\n\r\n",
            b"3\r\nabcX\r\n",
            b"3 junk\r\n",
            b"fffffffffffffffff\r\n",
            b"-1\r\n",
            b"0\r\nBad Trailer\r\n\r\n",
        ] {
            let mut d = ChunkedDecoder::new();
            let mut out = [0u8; 64];
            assert!(
                d.decode(bad, &mut out).is_err(),
                "{}",
                crate::trace::escape(bad)
            );
        }
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng::new();
        for _ in 0..2000 {
            let n = rng.range(0, 64);
            let mut input = rng.bytes(n);
            // Bias towards almost-valid input.
            if rng.below(2) == 0 && !input.is_empty() {
                input[0] = b"0123456789abcdef"[rng.below(16) as usize];
            }
            let mut d = ChunkedDecoder::new();
            let mut out = [0u8; 32];
            let _ = d.decode(&input, &mut out);
        }
    }

    #[test]
    fn content_length_rules() {
        let mut h = Headers::new();
        assert_eq!(content_length(&h), Ok(None));
        h.append("Content-Length", "5");
        assert_eq!(content_length(&h), Ok(Some(5)));
        h.append("Content-Length", "5, 5");
        assert_eq!(content_length(&h), Ok(Some(5)));
        h.append("Content-Length", "6");
        assert!(content_length(&h).is_err());
        for bad in ["", "+5", "-1", "0x10", "1 2", "99999999999999999999"] {
            let mut h = Headers::new();
            h.append("Content-Length", bad);
            assert!(content_length(&h).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn response_framing_decision() {
        let kind = |fields: &[(&str, &str)]| {
            let mut h = Headers::new();
            for (n, v) in fields {
                h.append(*n, *v);
            }
            response_body_kind("GET", 200, &h)
        };
        // Chunked wins over Content-Length (RFC 9112 §6.3 rule 3).
        assert_eq!(
            kind(&[("Content-Length", "3"), ("Transfer-Encoding", "chunked")]),
            Ok(BodyKind::Chunked)
        );
        assert_eq!(
            kind(&[("Transfer-Encoding", "gzip, chunked")]),
            Err(FramingError::UnsupportedEncoding("gzip".into()))
        );
        assert_eq!(
            kind(&[("Transfer-Encoding", "gzip")]),
            Err(FramingError::UnsupportedEncoding("gzip".into()))
        );
        assert!(kind(&[("Transfer-Encoding", "chunked, chunked")]).is_err());
        assert_eq!(kind(&[("Content-Length", "7")]), Ok(BodyKind::Length(7)));
        assert_eq!(kind(&[]), Ok(BodyKind::UntilClose));
        assert_eq!(declared_length(BodyKind::Chunked), None);
        assert_eq!(declared_length(BodyKind::Length(7)), Some(7));
    }

    #[test]
    fn body_reader_stops_at_the_end_of_the_body() {
        let data = b"5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
        let mut r = BodyReader::new(&data[..], BodyKind::Chunked);
        let mut s = Vec::new();
        r.read_to_end(&mut s).unwrap();
        assert_eq!(s, b"hello");
        assert_eq!(r.into_inner(), b"GET / HTTP/1.1\r\n");

        let mut r = BodyReader::new(&b"abc"[..], BodyKind::Length(5));
        let mut s = Vec::new();
        let e = r.read_to_end(&mut s).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn encode_then_decode() {
        let mut rng = Rng::new();
        let data = rng.bytes(1000);
        let mut wire = Vec::new();
        for c in data.chunks(rng.range(1, 300)) {
            encode_chunk(c, &mut wire);
        }
        wire.extend_from_slice(LAST_CHUNK);
        assert_eq!(decode_all(&wire).unwrap().0, data);
    }
    #[test]
    fn send_chunked_frames_each_read_as_one_chunk() {
        let mut rng = Rng::new();
        let len = rng.range(1, 5000);
        let data = rng.bytes(len);
        let size = rng.range(1, 700);
        let mut wire = Vec::new();
        let n = send_chunked(&mut &data[..], &mut wire, size).unwrap();
        assert_eq!(n, data.len() as u64);
        assert_eq!(decode_all(&wire).unwrap().0, data);
        // A slice reads `size` bytes at a time, so the first chunk is `size` long.
        let first = format!("{:X}\r\n", size.min(data.len()));
        assert!(wire.starts_with(first.as_bytes()), "{first:?}");
        assert!(wire.ends_with(LAST_CHUNK));
    }
}
