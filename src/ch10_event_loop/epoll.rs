//! `epoll(7)`, the three system calls the server needs, declared by hand.
//!
//! An epoll instance is a set of file descriptors the kernel watches for
//! us. We add a socket with the events we care about (readable) and a
//! 64-bit *token* of our choosing; `epoll_wait` then sleeps until one or
//! more of them are ready and hands back their tokens. One thread can thus
//! wait for a thousand idle connections at once, which is how nginx, Go's
//! runtime and every async runtime in Rust (through `mio`) wait for I/O.
//!
//! Where several threads wait on the same instance (chapter 5's event
//! loops), every socket is added *one-shot* (`EPOLLONESHOT`, [`Watch::Once`]):
//! once its readiness has been reported, the kernel stops watching it until
//! we [`rearm`] it. So a ready connection is handed to exactly one thread,
//! and it cannot be reported again while that thread is still serving it.
//! Where one thread waits (chapter 8's WebSocket loop), a socket can stay
//! watched ([`Watch::WhileReadable`], epoll's default "level-triggered"
//! mode): no re-arming, one system call less per message.
//!
//! Like `sendfile` in chapter 4, these are Linux system calls in the C
//! library that every Rust program on Linux links anyway, so we declare
//! them with `unsafe extern "C"` instead of adding a crate. On other
//! systems [`Epoll::new`] fails with `Unsupported` and the server falls
//! back to a worker per connection.
//!
//! [`rearm`]: Epoll::rearm

use std::io;
#[cfg(target_os = "linux")]
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// Ready sockets taken from one `epoll_wait`, at most.
pub const MAX_EVENTS: usize = 64;

/// What `epoll_wait` reports for one ready socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ready {
    /// The token the socket was registered with.
    pub token: u64,
}

/// How a socket is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    /// Reported by one `wait`, then no more until [`Epoll::rearm`]: for a
    /// set that several threads wait on.
    Once,
    /// Reported by every `wait` while it is readable: for a set that only
    /// one thread waits on, which serves a ready socket until it would
    /// block before it waits again (or it is reported again at once).
    WhileReadable,
}

/// An epoll instance. Closing it (drop) stops all watching.
pub struct Epoll {
    #[cfg(target_os = "linux")]
    fd: OwnedFd,
}

#[cfg(target_os = "linux")]
mod sys {
    /// `struct epoll_event`. On x86-64 the C declaration is packed (the
    /// 64-bit data follows the 32-bit mask with no padding); elsewhere it
    /// has natural alignment.
    #[repr(C)]
    #[cfg_attr(target_arch = "x86_64", repr(packed))]
    #[derive(Clone, Copy)]
    pub struct EpollEvent {
        pub events: u32,
        pub data: u64,
    }

    pub const EPOLL_CLOEXEC: i32 = 0o2000000;
    pub const EPOLL_CTL_ADD: i32 = 1;
    pub const EPOLL_CTL_DEL: i32 = 2;
    pub const EPOLL_CTL_MOD: i32 = 3;
    /// Readable (or end of stream, or an error: a read will not block).
    pub const EPOLLIN: u32 = 0x001;
    /// Report once, then stop watching until re-armed with `EPOLL_CTL_MOD`.
    pub const EPOLLONESHOT: u32 = 1 << 30;

    unsafe extern "C" {
        pub fn epoll_create1(flags: i32) -> i32;
        pub fn epoll_ctl(epfd: i32, op: i32, fd: i32, event: *mut EpollEvent) -> i32;
        pub fn epoll_wait(epfd: i32, events: *mut EpollEvent, maxevents: i32, timeout: i32) -> i32;
    }
}

/// `epoll_wait`'s timeout argument for a wait of `timeout`: whole
/// milliseconds, rounded *up*, so that a wait never ends before its
/// deadline (rounded down, a 0.5 ms deadline would become a busy loop of
/// 0 ms waits); at most `i32::MAX`; and `-1`, "no timeout", for
/// `Duration::MAX`.
pub fn timeout_ms(timeout: Duration) -> i32 {
    exercise!("ex_ch10_timeout", ch10_timeout::timeout_ms(timeout));
    if timeout == Duration::MAX {
        return -1;
    }
    let ms = timeout.as_nanos().div_ceil(1_000_000);
    i32::try_from(ms).unwrap_or(i32::MAX)
}

#[cfg(target_os = "linux")]
fn check(ret: i32) -> io::Result<i32> {
    exercise!("ex_ch10_check", ch10_check::check(ret));
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

#[cfg(target_os = "linux")]
impl Epoll {
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: no pointers; a new descriptor that we then own.
        let fd = check(unsafe { sys::epoll_create1(sys::EPOLL_CLOEXEC) })?;
        // SAFETY: `fd` was just returned to us and nothing else owns it.
        Ok(Epoll {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    fn ctl(&self, op: i32, fd: &impl AsRawFd, token: u64, watch: Watch) -> io::Result<()> {
        let events = match watch {
            Watch::Once => sys::EPOLLIN | sys::EPOLLONESHOT,
            Watch::WhileReadable => sys::EPOLLIN,
        };
        let mut ev = sys::EpollEvent {
            events,
            data: token,
        };
        // SAFETY: both descriptors are open (borrowed for the call); `ev`
        // is a valid epoll_event for the duration of the call.
        check(unsafe { sys::epoll_ctl(self.fd.as_raw_fd(), op, fd.as_raw_fd(), &mut ev) })?;
        Ok(())
    }

    /// Starts watching `fd` for "readable", reporting `token`.
    pub fn add(&self, fd: &impl AsRawFd, token: u64, watch: Watch) -> io::Result<()> {
        self.ctl(sys::EPOLL_CTL_ADD, fd, token, watch)
    }

    /// Watches `fd` again after its readiness was reported. If it is
    /// readable already (the client's next request arrived while we were
    /// busy), the next `wait` reports it at once: nothing is lost.
    pub fn rearm(&self, fd: &impl AsRawFd, token: u64) -> io::Result<()> {
        self.ctl(sys::EPOLL_CTL_MOD, fd, token, Watch::Once)
    }

    /// Stops watching `fd`. (Closing a socket does this by itself, unless
    /// a duplicate of its descriptor is still open.)
    pub fn remove(&self, fd: &impl AsRawFd) -> io::Result<()> {
        self.ctl(sys::EPOLL_CTL_DEL, fd, 0, Watch::Once)
    }

    /// Waits until at least one watched socket is ready, or `timeout`
    /// (`Duration::MAX`: no timeout); fills the start of `out` with what is
    /// ready (at most `out.len()`, and at most [`MAX_EVENTS`]) and returns
    /// how many. A signal interrupting the wait counts as a timeout.
    pub fn wait(&self, out: &mut [Ready], timeout: Duration) -> io::Result<usize> {
        let mut events = [sys::EpollEvent { events: 0, data: 0 }; MAX_EVENTS];
        let max = out.len().min(events.len());
        if max == 0 {
            // epoll_wait refuses 0; asking for 1 would lose the event.
            return Ok(0);
        }
        let ms = timeout_ms(timeout);
        // SAFETY: `events` has room for `max` entries.
        let n =
            unsafe { sys::epoll_wait(self.fd.as_raw_fd(), events.as_mut_ptr(), max as i32, ms) };
        let n = match check(n) {
            Ok(n) => n as usize,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => 0,
            Err(e) => return Err(e),
        };
        for (o, e) in out.iter_mut().zip(&events[..n]) {
            *o = Ready { token: e.data };
        }
        Ok(n)
    }
}

#[cfg(not(target_os = "linux"))]
impl Epoll {
    pub fn new() -> io::Result<Epoll> {
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            "epoll is Linux only",
        ))
    }
    pub fn add(&self, _fd: &impl std::os::fd::AsRawFd, _token: u64, _w: Watch) -> io::Result<()> {
        unreachable!("Epoll::new never succeeds here")
    }
    pub fn rearm(&self, _fd: &impl std::os::fd::AsRawFd, _token: u64) -> io::Result<()> {
        unreachable!("Epoll::new never succeeds here")
    }
    pub fn remove(&self, _fd: &impl std::os::fd::AsRawFd) -> io::Result<()> {
        unreachable!("Epoll::new never succeeds here")
    }
    pub fn wait(&self, _out: &mut [Ready], _t: Duration) -> io::Result<usize> {
        unreachable!("Epoll::new never succeeds here")
    }
}

#[cfg(all(test, target_os = "linux"))]
pub(crate) mod tests {
    use super::*;
    use std::io::Write;
    use std::net::{TcpListener, TcpStream};

    /// Two connected sockets on loopback: (client, server).
    pub(crate) fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let a = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (b, _) = l.accept().unwrap();
        (a, b)
    }

    #[test]
    fn reports_a_readable_socket_once_until_rearmed() {
        let ep = Epoll::new().unwrap();
        let (mut client, server) = pair();
        ep.add(&server, 7, Watch::Once).unwrap();
        let mut got = [Ready { token: 0 }; 8];
        assert_eq!(ep.wait(&mut got, Duration::ZERO).unwrap(), 0);
        client.write_all(b"x").unwrap();
        assert_eq!(ep.wait(&mut got, Duration::from_secs(5)).unwrap(), 1);
        assert_eq!(got[0], Ready { token: 7 });
        // One-shot: still readable, but not reported again...
        assert_eq!(ep.wait(&mut got, Duration::from_millis(1)).unwrap(), 0);
        // ... until re-armed, and then at once, because it is readable
        // (a wait with no room for it does not take it).
        ep.rearm(&server, 9).unwrap();
        assert_eq!(ep.wait(&mut [], Duration::ZERO).unwrap(), 0);
        assert_eq!(ep.wait(&mut got, Duration::from_secs(5)).unwrap(), 1);
        assert_eq!(got[0], Ready { token: 9 });
        ep.remove(&server).unwrap();
    }

    #[test]
    fn reports_a_socket_watched_while_readable_until_it_is_drained() {
        let ep = Epoll::new().unwrap();
        let (mut client, mut server) = pair();
        ep.add(&server, 3, Watch::WhileReadable).unwrap();
        let mut got = [Ready { token: 0 }; 8];
        assert_eq!(ep.wait(&mut got, Duration::ZERO).unwrap(), 0);
        client.write_all(b"xy").unwrap();
        // Reported by every wait while there is something to read...
        for _ in 0..2 {
            assert_eq!(ep.wait(&mut got, Duration::from_secs(5)).unwrap(), 1);
            assert_eq!(got[0], Ready { token: 3 });
        }
        // ... and no more once it is read, with no re-arming.
        let mut buf = [0u8; 8];
        assert_eq!(std::io::Read::read(&mut server, &mut buf).unwrap(), 2);
        assert_eq!(ep.wait(&mut got, Duration::from_millis(1)).unwrap(), 0);
        client.write_all(b"z").unwrap();
        assert_eq!(ep.wait(&mut got, Duration::from_secs(5)).unwrap(), 1);
    }
}
