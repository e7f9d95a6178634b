//! Where connections wait for their next request without a thread: parked
//! in [`epoll`](super::epoll), and served by an event loop that runs on a
//! worker of the pool.
//!
//! # Why
//!
//! A worker per connection (chapter 5's design, still used where there is
//! no epoll) pays twice for a keep-alive
//! connection. An idle one holds a worker while it says nothing. And a busy
//! one costs a *context switch per request*: its worker sleeps in `read`
//! until the next request arrives and the kernel has to switch to it, and
//! away from it again when it blocks in the next `read`. Measured with
//! `perf stat -e context-switches` under `wrk -c64`: one switch per
//! request, and about a third of the server's time per request.
//!
//! # How
//!
//! * A connection that has no complete request to work on is *parked*: its
//!   [`Conn`] (socket, buffered bytes, deadlines) goes into a slot of
//!   [`Parking`]'s lot ([`Lot`]), and its socket into epoll, one-shot, with
//!   the slot's number and generation as its token.
//! * An **event loop** waits in `epoll_wait` and, for each connection that
//!   became readable, takes it out of its slot and serves it *right there*:
//!   reads the request, runs the handler, writes the response, and parks
//!   the connection again. Under load `epoll_wait` returns many ready
//!   connections at once and never sleeps: no context switch per request,
//!   which is how nginx serves a keep-alive connection.
//! * The loop is a **job on the thread pool** (one per CPU this process may
//!   run on). A handler that blocks (a slow body, a big file to a slow
//!   client, a lock) would stop the loop and every connection behind it. So
//!   a **watchdog** looks every [`WATCH_INTERVAL`]: a loop that has been
//!   serving one connection for longer than [`STALL_AFTER`] is *retired*
//!   (it finishes that connection as an ordinary worker and then stops),
//!   the connections it had not reached go back to epoll, and a new loop
//!   starts on another worker. A slow handler costs the others a few
//!   milliseconds once, and a worker for as long as it is slow, as in the
//!   worker-per-connection design. When the connection code *knows* it is
//!   about to wait for its client (a body larger than one write to send,
//!   body bytes that have not arrived), it retires the loop itself
//!   (the `hand_over` of [`serve_turn`]), without waiting for the
//!   watchdog, and the thread keeps that connection while it stays busy
//!   ([`KEEP_THREAD_IDLE`]). A connection whose loop the watchdog retired
//!   is parked again as usual: the loop may only have been preempted.
//!   When no loop has served anything for a [`WATCH_INTERVAL`], the
//!   watchdog sleeps until one does: an idle server does not wake up 200
//!   times a second to look at nothing.
//! * The loops also **sweep** the parked connections every
//!   [`POLL_INTERVAL`]: one idle past its idle timeout is closed, one whose
//!   head started too long ago gets 408, and idle ones give their place up
//!   when the connection cap turns clients away or the server shuts down.
//!   A connection with bytes waiting in its socket is never closed as idle.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use std::os::fd::{AsFd, BorrowedFd};

use super::epoll::MAX_EVENTS;
use super::lot::{Lot, Ticket};
pub use super::turn::KEEP_THREAD_IDLE;
use super::turn::{input_waiting, keep_thread, serve_turn};
use crate::ch04_methods_and_routing::Service;
use crate::ch04_methods_and_routing::conn::Conn;
use crate::ch04_methods_and_routing::readbuf::ReadBuf;
use crate::ch04_methods_and_routing::reader::Refusal;
use crate::ch05_concurrency::policy::{POLL_INTERVAL, Policy};
use crate::ch05_concurrency::pool::ThreadPool;

/// How often the watchdog looks at the event loops.
pub const WATCH_INTERVAL: Duration = Duration::from_millis(5);
/// How long a loop may serve one connection before the watchdog starts
/// another loop on another worker. Far above a normal request (tens of
/// microseconds), so that the loop is replaced only when a handler really
/// blocks.
pub const STALL_AFTER: Duration = Duration::from_millis(5);
/// A parked connection, with whatever must live exactly as long as it (the
/// server's count of open connections).
pub struct Parked<G> {
    pub conn: Conn,
    pub guard: G,
}

impl<G> Parked<G> {
    pub fn new(conn: Conn, guard: G) -> Parked<G> {
        Parked { conn, guard }
    }
}

impl<G> AsFd for Parked<G> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.conn.stream.as_fd()
    }
}

/// The parked connections, and the loops.
pub struct Parking<G: Send + 'static> {
    lot: Lot<Parked<G>>,
    policy: Arc<Policy>,
    service: Arc<dyn Service>,
    /// Loops started and not yet retired.
    loops: Mutex<Vec<Arc<LoopState<G>>>>,
    /// How many loops to keep running.
    wanted: usize,
    /// When the next sweep is due (nanoseconds since `epoch`).
    next_sweep: AtomicU64,
    epoch: Instant,
    stop: AtomicBool,
    /// Set while the watchdog sleeps until a loop starts serving.
    watchdog_asleep: AtomicBool,
    /// "Stopped", and the watchdog's wake-up call (for a stop, a retired
    /// loop, or a loop that starts serving while it sleeps).
    stopped: (Mutex<bool>, Condvar),
}

/// One event loop, as the watchdog sees it.
struct LoopState<G> {
    /// Since when it has been serving one connection (nanoseconds since
    /// the epoch, plus one); 0 while it polls.
    busy_since: AtomicU64,
    /// When it last started serving one (same clock; 0: never).
    last_busy: AtomicU64,
    retired: AtomicBool,
    /// Ready connections it has taken from epoll and not yet served.
    pending: Mutex<Vec<(Ticket, Parked<G>)>>,
}

impl<G: Send + 'static> Parking<G> {
    pub fn new(
        lot: Lot<Parked<G>>,
        policy: Arc<Policy>,
        service: Arc<dyn Service>,
        loops: usize,
    ) -> Arc<Self> {
        Arc::new(Parking {
            lot,
            policy,
            service,
            loops: Mutex::new(Vec::new()),
            wanted: loops.max(1),
            next_sweep: AtomicU64::new(0),
            epoch: Instant::now(),
            stop: AtomicBool::new(false),
            watchdog_asleep: AtomicBool::new(false),
            stopped: (Mutex::new(false), Condvar::new()),
        })
    }

    fn nanos(&self, t: Instant) -> u64 {
        t.saturating_duration_since(self.epoch).as_nanos() as u64 + 1
    }

    /// Parks a new connection until it is readable. (A connection epoll
    /// does not take is closed: it could never be served.)
    pub fn park(&self, p: Parked<G>) {
        let _ = self.lot.park(p);
    }

    /// Starts the loops and the watchdog.
    pub fn start(self: &Arc<Self>, pool: &Arc<ThreadPool>) -> thread::JoinHandle<()> {
        for _ in 0..self.wanted {
            self.start_loop(pool);
        }
        let me = self.clone();
        let pool = pool.clone();
        thread::Builder::new()
            .name("watchdog".into())
            .spawn(move || me.watchdog(&pool))
            .expect("cannot start the watchdog thread")
    }

    fn start_loop(self: &Arc<Self>, pool: &ThreadPool) {
        let state = Arc::new(LoopState {
            busy_since: AtomicU64::new(0),
            last_busy: AtomicU64::new(0),
            retired: AtomicBool::new(false),
            pending: Mutex::new(Vec::new()),
        });
        self.loops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(state.clone());
        let me = self.clone();
        pool.execute(move || me.event_loop(&state));
    }

    /// Retires a loop (once): the connections it took and has not reached
    /// go back to epoll, and the watchdog starts another loop. The loop's
    /// thread finishes the connection in hand as an ordinary worker.
    fn retire(&self, l: &Arc<LoopState<G>>) {
        if l.retired.swap(true, Ordering::SeqCst) {
            return;
        }
        self.loops
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|x| !Arc::ptr_eq(x, l));
        self.unload(l);
        // Hurry the watchdog, which keeps `wanted` loops running. (Not
        // under its lock: the watchdog itself retires loops while holding
        // it. It is awake anyway: the loop turned busy before retiring.)
        self.stopped.1.notify_all();
    }

    /// Wakes the watchdog. Under its lock: the watchdog holds it from its
    /// last look until it waits, so the call cannot fall in between.
    fn wake_watchdog(&self) {
        let (lock, cv) = &self.stopped;
        let _held = lock.lock().unwrap_or_else(|e| e.into_inner());
        cv.notify_all();
    }

    /// The loop starts serving (or closing) a connection: the watchdog
    /// must be watching.
    fn set_busy(&self, me: &LoopState<G>, now: Instant) {
        let t = self.nanos(now);
        me.last_busy.store(t, Ordering::Relaxed);
        // SeqCst, with the watchdog's store to `watchdog_asleep` and load
        // of `busy_since`: of the two, at least one sees the other's store.
        me.busy_since.store(t, Ordering::SeqCst);
        if self.watchdog_asleep.load(Ordering::SeqCst) {
            self.wake_watchdog();
        }
    }

    /// Stops the loops and the watchdog.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::SeqCst);
        let (lock, cv) = &self.stopped;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) = true;
        cv.notify_all();
        // Loops asleep on an empty lot wait with no timeout. Wake them all,
        // retired ones included (a busy loop notices at the end of its turn).
        self.lot.wake_all();
    }

    fn event_loop(&self, me: &Arc<LoopState<G>>) {
        self.run_loop(me);
        // This loop may have taken a wake-up meant for a running loop (a
        // connection parked in an empty lot): pass it on.
        self.lot.wake();
    }

    fn run_loop(&self, me: &Arc<LoopState<G>>) {
        let handed_over = AtomicBool::new(false);
        let hand_over = || {
            if !handed_over.swap(true, Ordering::Relaxed) {
                self.retire(me);
            }
        };
        let mut ready = Vec::with_capacity(MAX_EVENTS);
        // The read buffer this loop lends to each connection's turn.
        let mut lent = ReadBuf::new();
        while !self.stop.load(Ordering::Relaxed) && !me.retired.load(Ordering::Relaxed) {
            let now = Instant::now();
            let due = self.next_sweep.load(Ordering::Relaxed);
            let wait = Duration::from_nanos(due.saturating_sub(self.nanos(now))).min(POLL_INTERVAL);
            if self.lot.wait(&mut ready, MAX_EVENTS, wait).is_err() {
                thread::sleep(POLL_INTERVAL);
                continue;
            }
            if !ready.is_empty() {
                let mut pending = me.pending.lock().unwrap_or_else(|e| e.into_inner());
                // Served in the order epoll reported them: pop from the end.
                pending.extend(ready.drain(..).rev());
            }
            self.sweep_if_due(me);
            loop {
                if me.retired.load(Ordering::Relaxed) {
                    // Whatever this loop took after the retirement gave
                    // its connections back goes back too.
                    self.unload(me);
                    return;
                }
                let next = me.pending.lock().unwrap_or_else(|e| e.into_inner()).pop();
                let Some((ticket, Parked { conn, guard })) = next else {
                    break;
                };
                self.set_busy(me, Instant::now());
                let mut back =
                    serve_turn(conn, &*self.service, &self.policy, &hand_over, &mut lent);
                me.busy_since.store(0, Ordering::Relaxed);
                if handed_over.swap(false, Ordering::Relaxed) {
                    // This thread left the loop to wait for this client (a
                    // large response, a body). It keeps the connection
                    // while it is busy: a client downloading file after
                    // file does not go through a loop, and a new loop's
                    // retirement, for each one. (A loop the watchdog
                    // retired, perhaps only because it was preempted,
                    // parks its connection as usual.)
                    back = back.and_then(|c| keep_thread(c, &*self.service, &self.policy));
                }
                match back {
                    Some(conn) => {
                        let _ = self.lot.park_again(ticket, Parked { conn, guard });
                    }
                    None => {
                        // Closed (or handed to a protocol upgrade's thread).
                        self.lot.vacate(ticket);
                        drop(guard);
                    }
                }
                // If the watchdog retired this loop meanwhile, it took the
                // rest back to epoll and started another loop: this worker
                // is done with loops (checked at the top).
            }
        }
        // Stopping: put back what this loop took and did not serve.
        self.unload(me);
    }

    /// Sends a loop's unserved connections back to epoll.
    fn unload(&self, state: &LoopState<G>) {
        let rest = std::mem::take(&mut *state.pending.lock().unwrap_or_else(|e| e.into_inner()));
        for (ticket, p) in rest {
            let _ = self.lot.park_again(ticket, p);
        }
    }

    fn watchdog(self: &Arc<Self>, pool: &ThreadPool) {
        let (lock, cv) = &self.stopped;
        let mut stopped = lock.lock().unwrap_or_else(|e| e.into_inner());
        while !*stopped {
            if self.quiet() {
                // Nothing served for a while: sleep until a loop starts
                // serving (`set_busy`), a loop retires, or a stop. Look
                // once more after saying so: a loop that turned busy just
                // before may not have seen the flag.
                self.watchdog_asleep.store(true, Ordering::SeqCst);
                if self.quiet() {
                    stopped = cv.wait(stopped).unwrap_or_else(|e| e.into_inner());
                }
                self.watchdog_asleep.store(false, Ordering::SeqCst);
                continue;
            }
            stopped = cv
                .wait_timeout(stopped, WATCH_INTERVAL)
                .unwrap_or_else(|e| e.into_inner())
                .0;
            if *stopped {
                break;
            }
            let now = self.nanos(Instant::now());
            let stalled: Vec<Arc<LoopState<G>>> = self
                .loops
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .filter(|l| {
                    let since = l.busy_since.load(Ordering::Relaxed);
                    since != 0 && now.saturating_sub(since) > STALL_AFTER.as_nanos() as u64
                })
                .cloned()
                .collect();
            for l in &stalled {
                self.retire(l);
            }
            // Replace the loops retired here or by a hand-over.
            let running = self.loops.lock().unwrap_or_else(|e| e.into_inner()).len();
            for _ in running..self.wanted {
                self.start_loop(pool);
            }
        }
    }

    /// All loops running, none serving, and none has started serving
    /// within the last [`WATCH_INTERVAL`]. (Under a steady trickle of
    /// requests the watchdog keeps looking instead of being woken for each
    /// one.)
    fn quiet(&self) -> bool {
        let recent = self
            .nanos(Instant::now())
            .saturating_sub(WATCH_INTERVAL.as_nanos() as u64);
        let loops = self.loops.lock().unwrap_or_else(|e| e.into_inner());
        loops.len() >= self.wanted
            && loops.iter().all(|l| {
                l.busy_since.load(Ordering::SeqCst) == 0
                    && l.last_busy.load(Ordering::Relaxed) < recent
            })
    }

    fn sweep_if_due(&self, me: &LoopState<G>) {
        let now = Instant::now();
        let due = self.next_sweep.load(Ordering::Relaxed);
        let n = self.nanos(now);
        if n < due {
            return;
        }
        let next = n + POLL_INTERVAL.as_nanos() as u64;
        if self
            .next_sweep
            .compare_exchange(due, next, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return; // another loop is sweeping
        }
        self.sweep(now, me);
    }

    /// Closes the parked connections whose wait is over.
    fn sweep(&self, now: Instant, me: &LoopState<G>) {
        let shutting_down = self.policy.shutting_down();
        let at_cap = self.policy.at_cap();
        let grace = self.policy.pressured_head_timeout;
        let opts = &self.policy.opts;
        let ended = self.lot.sweep(|p| {
            let c = &p.conn;
            let idle = !c.head_started();
            let over = now >= c.deadline(opts)
                || (idle && shutting_down)
                || (idle && at_cap && now.duration_since(c.idle_since) >= grace);
            // A peek, only for the few whose time is up.
            over && !input_waiting(c)
        });
        if ended.is_empty() {
            return;
        }
        // A 408 lingers for the client's last bytes: the watchdog must see
        // this loop as busy, and replace it if that takes long.
        self.set_busy(me, now);
        for p in ended {
            expire(p.conn, &self.policy);
            drop(p.guard);
        }
        me.busy_since.store(0, Ordering::Relaxed);
    }
}

/// Ends a parked connection whose wait ran out, or that must give its
/// place up: 408 if a head has started, else a quiet close.
///
/// Without waiting for anything: a sweep expires many in a row, so the 408
/// is sent only if it fits into the socket's buffer at once, and there is
/// no lingering close (a client that trickled a head for ten seconds gets
/// no more courtesy).
fn expire(mut conn: Conn, p: &Policy) {
    if conn.head_started() && conn.stream.set_nonblocking(true).is_ok() {
        let r = Refusal::new(408, "the request head took too long", None);
        conn.send_refusal(&r, &p.log);
    }
    conn.close(false);
}
