//! `TCP_NOTSENT_LOWAT`: how many bytes may wait in a socket's send queue
//! *unsent* before `sendfile` (or `write`) blocks (Linux 3.12; see
//! `chapters/06-static-files.md` for the measurements that chose it).
//!
//! Set on the listening socket, it is inherited by every connection
//! accepted from it (the kernel clones the listener's TCP state into each
//! new socket), so one call covers the whole server. std has no API for
//! the option, so the one libc function is declared here.

use std::io;
use std::net::TcpListener;

/// Unsent bytes a socket may queue. Without a limit, a blocking `sendfile`
/// fills the whole send buffer (up to 4 MiB with autotuning) and most of it
/// sits there unsent. Each time the client reads and its acknowledgement
/// opens the window, the kernel transmits the waiting bytes *while
/// processing that acknowledgement*: on loopback, in the client's context,
/// on the client's CPU. With a short unsent queue, the acknowledgement only
/// wakes our thread, which transmits from our CPU. 16 KiB and 4 KiB both
/// fixed it on this chapter's benchmark; 128 KiB did not.
pub const NOTSENT_LOWAT: i32 = 16 * 1024;

#[cfg(target_os = "linux")]
mod sys {
    unsafe extern "C" {
        /// `int setsockopt(int fd, int level, int name, const void *value, socklen_t len);`
        pub fn setsockopt(fd: i32, level: i32, name: i32, value: *const i32, len: u32) -> i32;
    }
    /// `IPPROTO_TCP` and `TCP_NOTSENT_LOWAT` from `<netinet/tcp.h>`.
    pub const IPPROTO_TCP: i32 = 6;
    pub const TCP_NOTSENT_LOWAT: i32 = 25;
}

/// Sets [`NOTSENT_LOWAT`] on `listener`, and so on every connection it
/// accepts from now on. A kernel without the option refuses it; sending
/// works the same, only less evenly, so a caller may ignore the error.
#[cfg(target_os = "linux")]
pub fn limit_unsent(listener: &TcpListener) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: the descriptor is open and the value outlives the call.
    let r = unsafe {
        sys::setsockopt(
            listener.as_raw_fd(),
            sys::IPPROTO_TCP,
            sys::TCP_NOTSENT_LOWAT,
            &NOTSENT_LOWAT,
            std::mem::size_of::<i32>() as u32,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Elsewhere the option does not exist.
#[cfg(not(target_os = "linux"))]
pub fn limit_unsent(_listener: &TcpListener) -> io::Result<()> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::net::TcpStream;
    use std::os::fd::AsRawFd;

    #[test]
    fn accepted_connections_inherit_the_limit() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        limit_unsent(&l).unwrap();
        let _c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        unsafe extern "C" {
            fn getsockopt(fd: i32, level: i32, name: i32, value: *mut i32, len: *mut u32) -> i32;
        }
        let (mut v, mut n) = (0i32, 4u32);
        // SAFETY: the socket is open; `v` and `n` are ours and sized to match.
        let r = unsafe {
            getsockopt(
                s.as_raw_fd(),
                sys::IPPROTO_TCP,
                sys::TCP_NOTSENT_LOWAT,
                &mut v,
                &mut n,
            )
        };
        assert_eq!((r, v), (0, NOTSENT_LOWAT));
    }
}
