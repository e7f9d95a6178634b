//! Exercise ch05_body_rate: when is a request body arriving too slowly?
//! Reread chapters/05-concurrency.md, "Surviving idle and slow clients".
//! The reference is `too_slow` in src/ch05_concurrency/policy.rs.

use std::time::Duration;

/// Whether a request body has fallen behind the minimum rate.
///
/// `received` bytes of the body have arrived while the worker spent
/// `waited` waiting for the client (the time the handler spends is not
/// counted). The first `grace` of that wait is free: within it, the body is
/// never too slow, even if nothing arrived. After it, the body must keep up
/// `min_rate` bytes per second *of the time past the grace*: it is too slow
/// when fewer than `min_rate × (waited − grace)` bytes have arrived.
/// Exactly that many is fast enough.
///
/// The server asks this only while other clients wait for a worker, with
/// `MIN_BODY_RATE` (1024 bytes per second) and a grace of one second: a
/// client that sends one byte every few seconds must not hold a worker for
/// ever, and none of the inputs may make this panic or overflow.
pub fn too_slow(received: u64, waited: Duration, grace: Duration, min_rate: u64) -> bool {
    todo!("{received} bytes in {waited:?}, {grace:?} of grace, at least {min_rate} B/s: too slow?")
}
