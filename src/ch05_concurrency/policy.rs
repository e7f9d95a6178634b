//! The rules a pooled server serves by, and the state they read: how many
//! connections are open, whether clients wait for a worker, whether the
//! server is shutting down.
//!
//! A worker per connection is fair only while there are workers to spare.
//! When connections wait for one (the pool is *saturated*), or the cap has
//! just turned a client away, a connection that holds a worker gives it up
//! as soon as it is idle for [`PRESSURED_HEAD_TIMEOUT`], after its
//! [`FAIR_SHARE`] when busy, and its head or body must keep moving
//! ([`MIN_BODY_RATE`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::pool::PoolStats;
use super::server::ShutdownHandle;
use crate::ch04_methods_and_routing::access_log::AccessLog;
use crate::ch04_methods_and_routing::conn::ConnOptions;

/// When others wait for a worker, how long a busy keep-alive connection
/// may keep its worker before it is asked to reconnect (`Connection:
/// close`): long enough that reconnecting is rare, short enough that a
/// queued client does not wait long.
pub const FAIR_SHARE: Duration = Duration::from_millis(100);
/// When the server is saturated (or the cap turned a client away), how long
/// a head that has started may still take before it gets 408, and how long
/// an idle keep-alive connection may keep its worker (or its place).
pub const PRESSURED_HEAD_TIMEOUT: Duration = Duration::from_secs(1);
/// How often a worker waiting for its client looks up from its read to
/// check the rules above and the shutdown flag.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// While others wait for a worker, the slowest a request body may arrive,
/// in bytes per second (after [`PRESSURED_HEAD_TIMEOUT`] of grace), before
/// the read fails with 408: a "slow POST" must not hold a worker at will.
pub const MIN_BODY_RATE: u64 = 1024;

/// Whether a request body has fallen behind `min_rate` bytes per second:
/// `received` bytes in `waited` (the time spent waiting for the client),
/// of which the first `grace` are free. Within the grace, never; after it,
/// when fewer than `min_rate` bytes arrived for each second past the grace.
/// The worker asks this only while others wait for a worker
/// ([`Policy::pressured`]), with [`MIN_BODY_RATE`] and the pressured head
/// timeout as the grace.
pub fn too_slow(received: u64, waited: Duration, grace: Duration, min_rate: u64) -> bool {
    exercise!(
        "ex_ch05_body_rate",
        ch05_body_rate::too_slow(received, waited, grace, min_rate)
    );
    let late = waited.saturating_sub(grace);
    // received / late < min_rate, in whole nanoseconds: no division, no
    // rounding. The left side fits in a u128; the right may not, and is
    // then larger than any body.
    let needed = u128::from(min_rate).saturating_mul(late.as_nanos());
    !late.is_zero() && u128::from(received) * 1_000_000_000 < needed
}

/// What the server's workers share.
pub struct Policy {
    pub opts: ConnOptions,
    pub pressured_head_timeout: Duration,
    pub log: AccessLog,
    shutdown: ShutdownHandle,
    stats: Arc<PoolStats>,
    /// Open connections, and a condvar to wait for them to fall to zero.
    open: Mutex<usize>,
    closed: Condvar,
    /// The cap turned a client away and no place has freed up since.
    full: AtomicBool,
}

impl Policy {
    pub fn new(
        opts: ConnOptions,
        pressured_head_timeout: Duration,
        log: AccessLog,
        shutdown: ShutdownHandle,
        stats: Arc<PoolStats>,
    ) -> Policy {
        Policy {
            opts,
            pressured_head_timeout,
            log,
            shutdown,
            stats,
            open: Mutex::new(0),
            closed: Condvar::new(),
            full: AtomicBool::new(false),
        }
    }

    pub fn shutting_down(&self) -> bool {
        self.shutdown.is_shutting_down()
    }

    /// The cap turned a client away and no place has freed up since.
    pub fn at_cap(&self) -> bool {
        self.full.load(Ordering::Relaxed)
    }

    /// Others wait: for a worker, or for a place under the cap.
    pub fn pressured(&self) -> bool {
        self.stats.saturated() || self.at_cap()
    }

    /// Counts a new connection in, unless `max` are open already.
    pub fn admit(self: &Arc<Self>, max: usize) -> Option<OpenGuard> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if *open >= max {
            self.full.store(true, Ordering::Relaxed);
            return None;
        }
        *open += 1;
        Some(OpenGuard(self.clone()))
    }

    /// Waits until no connection is open; `Err(n)` if `n` still are at
    /// `deadline`.
    pub fn wait_all_closed(&self, deadline: Instant) -> Result<(), usize> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        while *open > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(*open);
            }
            open = self
                .closed
                .wait_timeout(open, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        Ok(())
    }

    /// Open connections now.
    pub fn open(&self) -> usize {
        *self.open.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One open connection's place: counts it out when dropped, even by a panic.
pub struct OpenGuard(Arc<Policy>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        let p = &self.0;
        let mut open = p.open.lock().unwrap_or_else(|e| e.into_inner());
        *open -= 1;
        p.full.store(false, Ordering::Relaxed);
        if *open == 0 {
            p.closed.notify_all();
        }
    }
}
