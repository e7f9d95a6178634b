//! Exercise ch10_timeout: how long `epoll_wait` sleeps.
//! Reread chapters/10-event-loop.md, "2. epoll, declared by hand".
//! The reference is `timeout_ms` in src/ch10_event_loop/epoll.rs.

use std::time::Duration;

/// The `timeout` argument of `epoll_wait(2)` for a wait of `timeout`.
///
/// The kernel takes a C `int` of milliseconds: `0` returns at once, `-1`
/// waits with no timeout. So:
/// * `Duration::MAX` (the book's "no timeout") is `-1`;
/// * any other duration is a whole number of milliseconds, rounded **up**:
///   a wait must never end before its deadline. Rounded down, a deadline
///   0.5 ms away would become a wait of 0 ms, again and again: a busy loop.
///   `Duration::ZERO` is `0`, and only it;
/// * longer than `i32::MAX` milliseconds (about 24.8 days): `i32::MAX`,
///   the longest finite wait (the caller simply waits again).
pub fn timeout_ms(timeout: Duration) -> i32 {
    todo!("epoll_wait's timeout for {timeout:?}")
}
