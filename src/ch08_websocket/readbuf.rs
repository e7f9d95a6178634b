//! The bytes received and not yet decoded, and how much room to read into.
//!
//! Memory follows the bytes that actually arrived, not the length a frame
//! header announced: the buffer grows by doubling, and only when its free
//! room is nearly used up, up to the frame's size (at most
//! [`Config::frame_limit`](super::Config::frame_limit) plus a header,
//! which the codec checks first). A peer that announces 16 MiB and sends
//! 14 bytes costs 16 KiB, not 16 MiB. After a large message the memory is
//! given back.

use std::io::{self, Read};

/// Bytes read from the socket at a time when no frame length is known.
pub const READ_CHUNK: usize = 16 * 1024;

/// A buffer that grew past this for a large message is shrunk back
/// afterwards; up to this size it is kept, so a stream of 64 KiB messages
/// does not reallocate for each one.
pub const KEEP_BUFFER: usize = 256 * 1024;

/// Received bytes live in `buf[start..end]`; the rest is room to read into.
#[derive(Debug, Default)]
pub struct ReadBuf {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl ReadBuf {
    /// A buffer holding `leftover` (bytes that came with the handshake).
    pub fn new(leftover: Vec<u8>) -> ReadBuf {
        let end = leftover.len();
        let mut buf = leftover;
        buf.resize(end.max(READ_CHUNK), 0);
        ReadBuf { buf, start: 0, end }
    }

    /// The bytes received and not yet used.
    pub fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Whether no received byte waits.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The memory it holds (what an idle connection costs here).
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Drops the first `n` bytes of [`ReadBuf::data`].
    pub fn consume(&mut self, n: usize) {
        self.start += n.min(self.end - self.start);
    }

    /// Gives all memory back (the connection is over).
    pub fn free(&mut self) {
        *self = ReadBuf::default();
    }

    /// Makes room for the next read: the whole frame of `frame_len` bytes
    /// if the header announced one, else at least half a chunk.
    pub fn make_room(&mut self, frame_len: Option<usize>) {
        let pending = self.end - self.start;
        let target = frame_len.unwrap_or(0).max(pending + READ_CHUNK / 2);
        if self.start > 0 && (pending == 0 || self.buf.len() - self.start < target) {
            self.compact();
        }
        if self.buf.len() > KEEP_BUFFER && target <= READ_CHUNK {
            // A big message went through: give the memory back.
            self.compact();
            self.buf.truncate(READ_CHUNK.max(self.end));
            self.buf.shrink_to_fit();
        }
        if self.buf.len() - self.start < target && self.buf.len() - self.end < READ_CHUNK / 2 {
            let grown = (self.buf.len() * 2)
                .max(READ_CHUNK)
                .min(self.start + target);
            self.buf.resize(grown, 0);
        }
    }

    /// Moves what is buffered to the front.
    fn compact(&mut self) {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
    }

    /// One `read` into the free room (call [`ReadBuf::make_room`] first).
    /// `Ok(0)` is the end of the stream.
    pub fn read_from(&mut self, r: &mut impl Read) -> io::Result<usize> {
        if self.end == self.buf.len() {
            self.make_room(None);
        }
        let n = r.read(&mut self.buf[self.end..])?;
        self.end += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_big_announced_length_costs_only_what_arrived() {
        let mut b = ReadBuf::new(vec![1; 14]);
        for _ in 0..4 {
            b.make_room(Some(14 + (16 << 20)));
            b.read_from(&mut &[0u8; 100][..]).unwrap();
        }
        assert!(b.capacity() <= 4 * READ_CHUNK, "{}", b.capacity());
    }

    #[test]
    fn memory_goes_back_after_a_large_message() {
        let mut b = ReadBuf::new(Vec::new());
        let big = vec![7u8; 1 << 20];
        let mut src = &big[..];
        while !src.is_empty() {
            b.make_room(Some(1 << 20));
            b.read_from(&mut src).unwrap();
        }
        assert_eq!(b.data().len(), 1 << 20);
        b.consume(1 << 20);
        b.make_room(None);
        assert!(b.capacity() <= KEEP_BUFFER, "{}", b.capacity());
        assert!(b.is_empty());
    }
}
