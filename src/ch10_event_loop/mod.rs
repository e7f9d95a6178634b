//! Chapter 10: beyond blocking, the event loop that Tornado and nginx are
//! built on (`chapters/10-event-loop.md`).
//!
//! * [`epoll`]: the Linux readiness API, declared by hand (std has none).
//! * [`lot`]: the parking lot, where a connection waits without a thread.
//! * [`parking`]: HTTP connections parked between requests, served by
//!   event loops on chapter 5's pool.
//! * [`ws_loop`]: chapter 8's WebSockets served by one event loop.

pub mod epoll;
pub mod lot;
// pub mod parking;
pub mod ws_loop;
