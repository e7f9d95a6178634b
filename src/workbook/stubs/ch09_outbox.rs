//! Exercise ch09_outbox: a chat member's bounded outbox.
//! Reread chapters/09-capstone.md, "Nobody waits for the slowest member", and
//! the module comment of src/ch09_capstone/room.rs.
//! The reference is `OutboxState`'s `push`, `close` and `take` in
//! src/ch09_capstone/room.rs.
//!
//! The room pushes every event into every member's outbox while it holds its
//! one lock, so a push must never wait; the member's writer thread empties
//! the outbox onto the socket. A member that stops reading must cost a
//! bounded amount of memory: when its outbox is full, the push is refused,
//! and the room evicts the member. (The `Outbox` around `st` holds the lock
//! and wakes the writer: here, only the rules.)

use std::sync::Arc;

#[allow(unused_imports)]
use crate::ch09_capstone::room::{Next, OutboxState, PushError};

/// Queues `text` at the back of `st.queue`, which holds at most `capacity`
/// texts:
/// * a close was asked for (`st.close` is `Some`): `Err(PushError::Closed)`,
///   whether or not there is room;
/// * `capacity` texts wait already: `Err(PushError::Full)`, and the queue
///   is unchanged;
/// * otherwise `Ok(())`.
pub fn push(st: &mut OutboxState, capacity: usize, text: Arc<str>) -> Result<(), PushError> {
    todo!("queue {text:?} (at most {capacity})")
}

/// Asks for a close with `code` and `reason`:
/// * with `drain`, the texts already queued are still sent first (the
///   server shutting down says goodbye after the last messages);
/// * without, they are dropped (a member evicted for being too slow gets
///   its close at once, not after the backlog it could not read);
/// * the first close wins: once a close was asked for, another changes
///   nothing, neither the code nor the queue.
pub fn close(st: &mut OutboxState, code: u16, reason: &str, drain: bool) {
    todo!("close with {code} {reason:?}, drain: {drain}")
}

/// What the writer does next: `Some(Next::Send(text))` with the oldest text
/// (taken out of the queue); when none is left and a close was asked for,
/// `Some(Next::Close(code, reason))`, every time it asks; otherwise `None`
/// (the writer waits for a push).
pub fn take(st: &mut OutboxState) -> Option<Next> {
    todo!("the next thing to send")
}
