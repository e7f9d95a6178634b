//! Exercise ch10_token: the token epoll hands back for a parked connection.
//! Reread chapters/10-event-loop.md, "3. The parking lot", and the module
//! comment of src/ch10_event_loop/lot.rs (a slot's number and its generation).
//! The reference is `token` and `index_of` in src/ch10_event_loop/lot.rs.

/// The token that epoll stores with a socket and hands back when it is
/// ready: the connection's slot `index` in the lot *and* the slot's
/// `generation` (bumped each time the slot gets a new occupant), packed in
/// one `u64`. With the generation in it, an event that was already on its
/// way for a connection that has left can never be taken for the next
/// connection in the same slot.
///
/// Slots are numbered from 0, and there are fewer than `u32::MAX` of them.
/// `u64::MAX` is reserved (the lot's wake-up socket uses it): never return it.
pub fn token(index: usize, generation: u32) -> u64 {
    todo!("pack slot {index} and generation {generation}")
}

/// The inverse of [`token`]: `index_of(token(i, g)) == (i, g)`.
pub fn index_of(token: u64) -> (usize, u32) {
    todo!("unpack {token:#x}")
}
