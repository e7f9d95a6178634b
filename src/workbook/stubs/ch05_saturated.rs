//! Exercise ch05_saturated: when is the pool under pressure?
//! Reread chapters/05-concurrency.md, "Surviving idle and slow clients".
//! The reference is `PoolStats::saturated` in src/ch05_concurrency/pool.rs.

/// Whether the pool is saturated, given how many jobs are `queued` (submitted,
/// not yet taken by a worker) and how many workers are `idle` (waiting for a
/// job): more jobs wait than there are idle workers to take them.
///
/// The server asks this to decide whether a connection that is merely
/// waiting (an idle keep-alive client, a slow body) may keep its worker, or
/// must give it up to someone who has a request ready. Get it wrong one
/// way, and slow clients starve everyone; the other way, and connections
/// are cut while workers sit idle.
pub fn saturated(queued: usize, idle: usize) -> bool {
    todo!("{queued} queued, {idle} idle: saturated?")
}
