//! Exercise ch05_worker: the thread pool's worker loop.
//! Reread chapters/05-concurrency.md, "A thread pool, by hand", and the
//! module comment of src/ch05_concurrency/pool.rs.
//! The reference is `worker` in src/ch05_concurrency/pool.rs.

#[allow(unused_imports)]
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::AtomicUsize;
#[allow(unused_imports)]
use std::sync::atomic::Ordering;
use std::sync::{Mutex, mpsc};

/// What a worker runs.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// The loop each worker thread of the pool runs until the pool shuts down.
///
/// Again and again:
/// 1. say you are idle (`idle` + 1), take the next job from `receiver`, and
///    say you are not idle any more (`idle` − 1); the server reads these
///    counters to know whether it is saturated;
/// 2. if the channel is closed (and empty), return: the pool is shutting
///    down, and every job it queued has been taken;
/// 3. `queued` − 1 (the job is no longer waiting), *then* run the job.
///
/// Two things the pool's users rely on:
/// * the lock is held only while taking a job, never while running it, or
///   the workers would run one job at a time;
/// * a job that panics must not end the worker: it goes on to the next job
///   (`catch_unwind`).
pub fn worker(receiver: &Mutex<mpsc::Receiver<Job>>, idle: &AtomicUsize, queued: &AtomicUsize) {
    todo!("take jobs and run them until the channel closes")
}
