//! Sending a file to a socket without copying it through user space:
//! `sendfile(2)` (chapter 6 explains it; the response writer uses it).
//!
//! A read/write loop moves every byte twice: from the page cache into a
//! buffer of ours (`read`), then from that buffer into the socket
//! (`write`), with two system calls per buffer. `sendfile` asks the kernel
//! to move up to 2 GiB from the file's pages to the socket in one call.
//!
//! `std::io::copy` used `sendfile` for file → socket copies in early
//! versions; it no longer does (rust-lang/rust#108283 removed the
//! page-cache-sharing paths, because a write to the file *after* the copy
//! returned could still show up on the other side). For a static file
//! server that is the accepted trade-off (nginx's `sendfile on`), so we
//! call it ourselves. std offers no binding, so this file declares the one
//! libc function it needs, as `testkit` does for `kill(2)`.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::TcpStream;

/// Where a response is written: any `Write`, plus a way to send part of a
/// file. The default copies through a buffer; a TCP socket on Linux
/// overrides it with `sendfile(2)`.
pub trait FileSink: Write {
    /// Writes `len` bytes of `file` from `offset`; returns how many were
    /// written (fewer only if the file is shorter than that).
    fn send_file(&mut self, file: &mut File, offset: u64, len: u64) -> io::Result<u64> {
        copy_through_buffer(file, offset, len, self)
    }
}

impl FileSink for Vec<u8> {}

impl FileSink for &TcpStream {
    fn send_file(&mut self, file: &mut File, offset: u64, len: u64) -> io::Result<u64> {
        send_file_to_socket(self, file, offset, len)
    }
}

impl FileSink for TcpStream {
    fn send_file(&mut self, file: &mut File, offset: u64, len: u64) -> io::Result<u64> {
        send_file_to_socket(self, file, offset, len)
    }
}

/// The portable way: seek, then `io::copy` through a buffer.
pub fn copy_through_buffer<W: Write + ?Sized>(
    file: &mut File,
    offset: u64,
    len: u64,
    out: &mut W,
) -> io::Result<u64> {
    file.seek(SeekFrom::Start(offset))?;
    io::copy(&mut file.take(len), out)
}

#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
mod sys {
    unsafe extern "C" {
        /// `ssize_t sendfile(int out_fd, int in_fd, off_t *offset, size_t count);`
        /// (off_t is 64 bits on 64-bit Linux).
        pub fn sendfile(out_fd: i32, in_fd: i32, offset: *mut i64, count: usize) -> isize;
    }
}

/// Largest count one `sendfile` call accepts (Linux caps it just under 2 GiB).
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
const MAX_SENDFILE: u64 = 0x7fff_f000;

/// `sendfile(2)` in a loop until `len` bytes are sent or the file ends.
/// The file's own position is not used (an explicit offset is passed), so
/// several responses may share nothing but the descriptor safely.
///
/// A send timeout on the socket (`SO_SNDTIMEO`) makes `sendfile` fail with
/// `EAGAIN`, which comes back as a `WouldBlock` error, like a timed-out
/// `write`. Where there is no `sendfile`, or the kernel refuses it for
/// this pair of descriptors before anything was sent (`EINVAL`, `ENOSYS`),
/// the buffered copy is used.
pub fn send_file_to_socket(
    socket: &TcpStream,
    file: &mut File,
    offset: u64,
    len: u64,
) -> io::Result<u64> {
    #[cfg(all(target_os = "linux", target_pointer_width = "64"))]
    if let Some(sent) = sendfile_loop(socket, file, offset, len) {
        return sent;
    }
    let mut s = socket;
    copy_through_buffer(file, offset, len, &mut s)
}

/// An error after part of a file went out: how much did, for the access
/// log ([`PartialSend::sent_before`]). The error's kind is the cause's.
#[derive(Debug)]
pub struct PartialSend {
    pub sent: u64,
    pub cause: io::Error,
}

impl PartialSend {
    fn error(sent: u64, cause: io::Error) -> io::Error {
        io::Error::new(cause.kind(), PartialSend { sent, cause })
    }

    /// The bytes an error says went out before it (0 if it does not say).
    pub fn sent_before(e: &io::Error) -> u64 {
        e.get_ref()
            .and_then(|i| i.downcast_ref::<PartialSend>())
            .map_or(0, |p| p.sent)
    }
}

impl std::fmt::Display for PartialSend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (after {} bytes)", self.cause, self.sent)
    }
}

impl std::error::Error for PartialSend {}

/// The `sendfile` loop; `None` if the kernel refuses `sendfile` here
/// before anything was sent.
#[cfg(all(target_os = "linux", target_pointer_width = "64"))]
fn sendfile_loop(
    socket: &TcpStream,
    file: &mut File,
    offset: u64,
    len: u64,
) -> Option<io::Result<u64>> {
    use std::os::fd::AsRawFd;
    let (out_fd, in_fd) = (socket.as_raw_fd(), file.as_raw_fd());
    let mut pos = offset as i64;
    let mut sent = 0u64;
    while sent < len {
        let count = (len - sent).min(MAX_SENDFILE) as usize;
        // SAFETY: both descriptors are open for the duration of the call
        // (borrowed from live objects) and `pos` is a valid i64 we own.
        let n = unsafe { sys::sendfile(out_fd, in_fd, &mut pos, count) };
        if n < 0 {
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(4) => continue,                             // EINTR
                Some(22) | Some(38) if sent == 0 => return None, // EINVAL / ENOSYS
                _ => return Some(Err(PartialSend::error(sent, e))),
            }
        }
        if n == 0 {
            break; // the file ended early
        }
        sent += n as u64;
    }
    Some(Ok(sent))
}

/// Reads `len` bytes of `file` from `offset` into `out` (for small files,
/// which go out in the same write as the head). Positioned reads
/// (`pread(2)`): no `lseek` first.
pub fn read_range_into(
    file: &mut File,
    offset: u64,
    len: u64,
    out: &mut Vec<u8>,
) -> io::Result<u64> {
    use std::os::unix::fs::FileExt;
    let start = out.len();
    out.resize(start + len as usize, 0);
    let mut done = 0usize;
    while done < len as usize {
        match file.read_at(&mut out[start + done..], offset + done as u64) {
            Ok(0) => break, // the file is shorter than that
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                out.truncate(start);
                return Err(e);
            }
        }
    }
    out.truncate(start + done);
    Ok(done as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn sendfile_sends_exactly_the_range() {
        let t = crate::testkit::TempDir::new("sendfile");
        let path = t.join("f");
        let data = crate::rng::Rng::new().bytes(300_000);
        std::fs::write(&path, &data).unwrap();
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let reader = std::thread::spawn(move || {
            let mut c = TcpStream::connect(addr).unwrap();
            let mut v = Vec::new();
            c.read_to_end(&mut v).unwrap();
            v
        });
        let (s, _) = l.accept().unwrap();
        let mut f = File::open(&path).unwrap();
        assert_eq!((&s).send_file(&mut f, 1000, 200_000).unwrap(), 200_000);
        // Past the end: only what is there.
        assert_eq!((&s).send_file(&mut f, 299_990, 100).unwrap(), 10);
        drop(s);
        let got = reader.join().unwrap();
        assert!(got[..200_000] == data[1000..201_000]);
        assert!(got[200_000..] == data[299_990..]);
    }
}
