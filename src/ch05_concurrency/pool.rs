//! A thread pool built by hand: a fixed set of workers that take jobs from
//! one channel.
//!
//! This is the pool of the Rust book's last chapter, with the two things
//! its readers trip over fixed:
//!
//! * the lock around the receiver is held only while *taking* a job, never
//!   while running it (`let job = rx.lock().recv();` in one statement drops
//!   the guard before the job starts; `while let Ok(job) =
//!   rx.lock().unwrap().recv()` would keep it for the whole loop body and
//!   serialise every worker);
//! * a job that panics is caught with `catch_unwind`, so the worker thread
//!   survives and goes on to the next job (the server turns a panicking
//!   *handler* into a 500 before it gets this far; this is the last line of
//!   defence).
//!
//! Dropping the pool (or calling [`ThreadPool::join`]) closes the channel:
//! each worker finishes the jobs already queued, sees the channel empty and
//! closed, and exits; then the pool joins them.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};

type Job = Box<dyn FnOnce() + Send + 'static>;

/// Counters the server reads to know whether it is saturated.
#[derive(Debug, Default)]
pub struct PoolStats {
    /// Jobs submitted and not yet taken by a worker.
    queued: AtomicUsize,
    /// Workers waiting for a job.
    idle: AtomicUsize,
}

impl PoolStats {
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    pub fn idle(&self) -> usize {
        self.idle.load(Ordering::Relaxed)
    }

    /// More jobs wait than there are idle workers to take them.
    pub fn saturated(&self) -> bool {
        exercise!(
            "ex_ch05_saturated",
            ch05_saturated::saturated(self.queued(), self.idle())
        );
        self.queued() > self.idle()
    }
}

pub struct ThreadPool {
    sender: Option<mpsc::Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
    stats: Arc<PoolStats>,
}

/// Stack size of a worker. Handlers here are shallow; a small stack keeps
/// hundreds of mostly idle workers cheap (only touched pages use memory).
pub const WORKER_STACK: usize = 256 * 1024;

impl ThreadPool {
    /// Starts `size` workers (at least one).
    pub fn new(size: usize) -> std::io::Result<ThreadPool> {
        let size = size.max(1);
        let (sender, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        let stats = Arc::new(PoolStats::default());
        let mut workers = Vec::with_capacity(size);
        for i in 0..size {
            let receiver = receiver.clone();
            let stats = stats.clone();
            let handle = thread::Builder::new()
                .name(format!("worker-{i}"))
                .stack_size(WORKER_STACK)
                .spawn(move || worker(&receiver, &stats))?;
            workers.push(handle);
        }
        Ok(ThreadPool {
            sender: Some(sender),
            workers,
            stats,
        })
    }

    pub fn size(&self) -> usize {
        self.workers.len()
    }

    pub fn stats(&self) -> Arc<PoolStats> {
        self.stats.clone()
    }

    /// Queues `job` for the next free worker.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        self.stats.queued.fetch_add(1, Ordering::Relaxed);
        let sent = self
            .sender
            .as_ref()
            .expect("the sender lives until drop")
            .send(Box::new(job));
        if sent.is_err() {
            // Every worker is gone, which cannot happen while the pool lives.
            self.stats.queued.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Closes the queue, lets the workers finish every queued job, and
    /// waits for them.
    pub fn join(mut self) {
        self.shut_down();
    }

    fn shut_down(&mut self) {
        drop(self.sender.take());
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
    }
}

impl Drop for ThreadPool {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn worker(receiver: &Mutex<mpsc::Receiver<Job>>, stats: &PoolStats) {
    exercise!(
        "ex_ch05_worker",
        ch05_worker::worker(receiver, &stats.idle, &stats.queued)
    );
    loop {
        stats.idle.fetch_add(1, Ordering::Relaxed);
        // The guard is a temporary of this statement: the lock is released
        // before the job runs. (A poisoned lock is still usable: the
        // receiver inside cannot be left half-updated by a panic.)
        let next = receiver
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .recv();
        stats.idle.fetch_sub(1, Ordering::Relaxed);
        let Ok(job) = next else {
            return; // channel closed and empty: the pool is shutting down
        };
        stats.queued.fetch_sub(1, Ordering::Relaxed);
        if catch_unwind(AssertUnwindSafe(job)).is_err() {
            // The panic message was printed by the panic hook; the worker
            // lives on.
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc::channel;
    use std::time::Duration;

    #[test]
    fn runs_jobs_in_parallel() {
        // Two jobs that each wait for the other: only finishes if two
        // workers run at once (and the lock is not held while running).
        let pool = ThreadPool::new(2).unwrap();
        let (a_tx, a_rx) = channel();
        let (b_tx, b_rx) = channel();
        let (done_tx, done_rx) = channel();
        let d1 = done_tx.clone();
        pool.execute(move || {
            a_tx.send(()).unwrap();
            b_rx.recv_timeout(Duration::from_secs(5)).unwrap();
            d1.send(1).unwrap();
        });
        pool.execute(move || {
            b_tx.send(()).unwrap();
            a_rx.recv_timeout(Duration::from_secs(5)).unwrap();
            done_tx.send(2).unwrap();
        });
        let mut got: Vec<i32> = (0..2)
            .map(|_| done_rx.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        got.sort();
        assert_eq!(got, [1, 2]);
    }

    #[test]
    fn a_panicking_job_does_not_kill_its_worker() {
        let pool = ThreadPool::new(1).unwrap();
        pool.execute(|| panic!("deliberate panic in a test job"));
        let (tx, rx) = channel();
        pool.execute(move || tx.send(42).unwrap());
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)).unwrap(), 42);
    }

    #[test]
    fn join_finishes_queued_jobs() {
        let pool = ThreadPool::new(1).unwrap();
        let (tx, rx) = channel();
        for i in 0..10 {
            let tx = tx.clone();
            pool.execute(move || tx.send(i).unwrap());
        }
        pool.join();
        assert_eq!(rx.try_iter().count(), 10);
    }
}
