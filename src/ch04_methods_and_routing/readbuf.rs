//! The bytes read from a connection and not yet used: the head being
//! parsed, then the body, then whatever the client pipelined behind it.
//!
//! The buffer does no I/O of its own choosing: [`ReadBuf::read_from`]
//! reads once from whatever it is given, and [`ReadBuf::spare`] /
//! [`ReadBuf::filled`] let a caller read into it any other way.

use std::io::{self, Read};

/// Initial size of a connection's read buffer (it grows up to the head
/// limit if a head needs it).
pub const READ_BUFFER: usize = 8 * 1024;

/// A growable buffer with a consumed front and a filled back.
#[derive(Debug, Default)]
pub struct ReadBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuf {
    /// An empty buffer that allocates nothing until the first read.
    pub fn new() -> ReadBuf {
        ReadBuf::default()
    }

    /// A buffer holding `bytes`, as if they had been read.
    pub fn from_vec(bytes: Vec<u8>) -> ReadBuf {
        let end = bytes.len();
        ReadBuf {
            buf: bytes,
            start: 0,
            end,
        }
    }

    /// The bytes read and not yet consumed.
    pub fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Marks the first `n` buffered bytes as used.
    pub fn consume(&mut self, n: usize) {
        self.start = (self.start + n).min(self.end);
    }

    /// Room at the end to read into: starts over when everything was used,
    /// moves unused bytes to the front, or grows.
    pub fn spare(&mut self) -> &mut [u8] {
        if self.buf.is_empty() {
            self.buf = vec![0; READ_BUFFER];
        }
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                self.buf.resize(self.buf.len() * 2, 0);
            }
        }
        &mut self.buf[self.end..]
    }

    /// Records that `n` bytes were written into [`ReadBuf::spare`].
    pub fn filled(&mut self, n: usize) {
        self.end = (self.end + n).min(self.buf.len());
    }

    /// Reads once from `r`, appending to what is buffered. `Ok(0)` is the
    /// end of the stream.
    pub fn read_from(&mut self, mut r: impl Read) -> io::Result<usize> {
        loop {
            match r.read(self.spare()) {
                Ok(n) => {
                    self.filled(n);
                    return Ok(n);
                }
                // Linux interrupts a read that has a timeout when the process
                // is stopped and continued, even without signal handlers
                // (signal(7)). Nothing happened to the connection: read again.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Takes what is buffered (for a protocol upgrade).
    pub fn take_buffered(&mut self) -> Vec<u8> {
        let v = self.data().to_vec();
        self.start = self.end;
        v
    }

    /// Gives the memory back when nothing is buffered (an idle connection
    /// need not keep a buffer a large head grew, or any at all).
    pub fn release(&mut self) {
        if self.is_empty() {
            *self = ReadBuf::new();
        }
    }

    /// Bytes of memory held.
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_consumes_and_compacts() {
        let mut b = ReadBuf::new();
        let data = vec![7u8; READ_BUFFER + 10];
        let mut src = &data[..];
        while !src.is_empty() {
            b.read_from(&mut src).unwrap();
        }
        assert_eq!(b.data().len(), READ_BUFFER + 10);
        b.consume(READ_BUFFER);
        assert_eq!(b.data(), &[7u8; 10]);
        assert_eq!(b.read_from(&b"xy"[..]).unwrap(), 2);
        assert_eq!(&b.data()[10..], b"xy");
        b.consume(12);
        b.release();
        assert_eq!(b.capacity(), 0);
    }
}
