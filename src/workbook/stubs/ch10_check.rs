//! Exercise ch10_check: how a C system call says it failed.
//! Reread chapters/10-event-loop.md, "2. epoll, declared by hand".
//! The reference is `check` in src/ch10_event_loop/epoll.rs.

use std::io;

/// Turns the return value of a C library call such as `epoll_ctl` or
/// `epoll_wait` into a `Result`. By the C convention, a negative value (-1)
/// means the call failed and the reason is in `errno`, which
/// `io::Error::last_os_error()` reads (read it at once: the next call into
/// the C library may change it). Anything else is the call's result (a
/// descriptor, a count of events, 0).
///
/// Once this is right, `Epoll::add` of a socket it already watches says
/// "already exists" (`EEXIST`), and `Epoll::remove` of one it does not says
/// "not found" (`ENOENT`), each as an `io::Error` with the right kind.
pub fn check(ret: i32) -> io::Result<i32> {
    todo!("what does {ret} mean?")
}
