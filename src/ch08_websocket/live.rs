//! The open WebSockets: how many there are, and how to close each one.
//!
//! An HTTP request ends by itself: the server stops accepting, lets the
//! requests in flight finish, and is done (chapter 5). A WebSocket does not
//! end by itself: it is open until one side closes it, and after the `101`
//! it runs on its own thread, out of the HTTP server's sight. So the server keeps a list of them, each
//! with a way to close it, and on shutdown asks every one to close with
//! 1001 *Going Away* (RFC 6455 §7.4.1) and waits, bounded, for them to
//! finish: the peer then learns that the
//! server left on purpose, instead of seeing a bare TCP close (1006).
//!
//! The same list is what [`HandshakeConfig::max_sockets`] counts: a
//! handshake takes its place in it (or gets `503`) under the list's lock,
//! so the count is exact however many handshakes arrive at once.
//!
//! Each entry's closer is supplied by the code that owns the connection:
//! [`handshake::accept`] sends a close frame ([`send_close`]); chapter 9's
//! chat replaces that with closing its member's outbox, so the messages
//! already queued go out first and the close frame comes last, from the one
//! thread that writes to that socket.
//!
//! [`HandshakeConfig::max_sockets`]: super::handshake::HandshakeConfig::max_sockets
//! [`handshake::accept`]: super::handshake::accept

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use super::close;
use super::writer::WsSender;
use crate::ch04_methods_and_routing::Service;
use crate::ch05_concurrency::cli::run_server_then;
use crate::ch05_concurrency::{ServerArgs, ShutdownHandle};

/// How long shutdown waits for the WebSockets to finish their closing
/// handshakes before the process exits anyway: a bound for the stuck, not
/// a wait for the well-behaved. A peer that never answers our close is
/// given up after [`Config::close_timeout`](super::Config) (2 s), then
/// TCP is closed with a linger of at most 1 s. So 4 s lets such a peer
/// end on its own.
pub const SHUTDOWN_WAIT: Duration = Duration::from_secs(4);

/// The reason sent with 1001 when the server shuts down.
pub const SHUTDOWN_REASON: &str = "server shutting down";

/// Asks one connection to close with a code and a reason. Must not block
/// for long: it is called for every connection, one after another.
pub type Closer = Box<dyn Fn(u16, &str) + Send + Sync>;

/// Something to do once, when shutdown begins, before any connection is
/// asked to close (chapter 9's chat closes its room to new members).
type Hook = Box<dyn FnOnce() + Send>;

/// The set of open long-lived connections.
pub struct LiveSockets {
    state: Mutex<State>,
    gone: Condvar,
}

struct State {
    next_id: u64,
    open: BTreeMap<u64, Arc<Closer>>,
    /// Set by [`LiveSockets::close_all`]: later registrations are closed at
    /// once.
    closing: Option<(u16, String)>,
    before_close: Vec<Hook>,
}

impl Default for LiveSockets {
    fn default() -> LiveSockets {
        LiveSockets {
            state: Mutex::new(State {
                next_id: 1,
                open: BTreeMap::new(),
                closing: None,
                before_close: Vec::new(),
            }),
            gone: Condvar::new(),
        }
    }
}

impl fmt::Debug for LiveSockets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.lock();
        f.debug_struct("LiveSockets")
            .field("open", &st.open.len())
            .field("closing", &st.closing)
            .finish()
    }
}

impl LiveSockets {
    pub fn new() -> Arc<LiveSockets> {
        Arc::new(LiveSockets::default())
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a connection. Keep the returned guard for as long as the
    /// connection runs; dropping it removes the entry. If shutdown has begun,
    /// the closer is called at once (the connection should then wind down)
    /// and the guard still returned, so the caller's code path is the same.
    pub fn register(self: &Arc<LiveSockets>, closer: Closer) -> Live {
        self.try_register(usize::MAX, closer)
            .expect("usize::MAX connections")
    }

    /// [`LiveSockets::register`], unless `max` connections are open already
    /// (then `None`). Counting and adding happen under one lock: two
    /// handshakes racing for the last place cannot both get it.
    pub fn try_register(self: &Arc<LiveSockets>, max: usize, closer: Closer) -> Option<Live> {
        let closer = Arc::new(closer);
        let mut st = self.lock();
        if st.open.len() >= max {
            return None;
        }
        let id = st.next_id;
        st.next_id += 1;
        st.open.insert(id, closer.clone());
        let closing = st.closing.clone();
        drop(st);
        if let Some((code, reason)) = closing {
            closer(code, &reason);
        }
        Some(Live {
            set: self.clone(),
            id,
        })
    }

    /// Connections open now.
    pub fn len(&self) -> usize {
        self.lock().open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether [`LiveSockets::close_all`] has been called.
    pub fn is_closing(&self) -> bool {
        self.lock().closing.is_some()
    }

    /// Runs `f` once, when [`LiveSockets::close_all`] is first called and
    /// before any connection is asked to close.
    pub fn before_close(&self, f: impl FnOnce() + Send + 'static) {
        self.lock().before_close.push(Box::new(f));
    }

    /// Asks every connection to close with `code`, then waits up to `wait`
    /// for all of them to be gone. Returns how many are still open.
    pub fn close_all(&self, code: u16, reason: &str, wait: Duration) -> usize {
        let hooks = {
            let mut st = self.lock();
            st.closing = Some((code, reason.to_string()));
            std::mem::take(&mut st.before_close)
        };
        for hook in hooks {
            hook();
        }
        let closers: Vec<Arc<Closer>> = self.lock().open.values().cloned().collect();
        // Outside the lock: a closer may take the connection's own locks, and
        // a finishing connection needs ours to deregister.
        for c in closers {
            c(code, reason);
        }
        self.wait_empty(wait)
    }

    /// What shutdown does: [`LiveSockets::close_all`] with 1001 *Going
    /// Away*.
    pub fn going_away(&self, wait: Duration) -> usize {
        self.close_all(close::GOING_AWAY, SHUTDOWN_REASON, wait)
    }

    /// Waits up to `wait` for every connection to be gone; returns how many
    /// are still open.
    pub fn wait_empty(&self, wait: Duration) -> usize {
        let deadline = Instant::now() + wait;
        let mut st = self.lock();
        while !st.open.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            st = self
                .gone
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        st.open.len()
    }
}

/// One registered connection; dropping it deregisters.
pub struct Live {
    set: Arc<LiveSockets>,
    id: u64,
}

impl Live {
    /// Replaces this connection's closer ([`handshake::accept`] puts in
    /// [`send_close`] once the socket exists; the chat swaps that for "close
    /// the outbox" once the member has joined). If shutdown began in
    /// between, the new closer is called at once.
    ///
    /// [`handshake::accept`]: super::handshake::accept
    pub fn set_closer(&self, closer: Closer) {
        let closer = Arc::new(closer);
        let mut st = self.set.lock();
        st.open.insert(self.id, closer.clone());
        let closing = st.closing.clone();
        drop(st);
        if let Some((code, reason)) = closing {
            closer(code, &reason);
        }
    }
}

impl Drop for Live {
    fn drop(&mut self) {
        let mut st = self.set.lock();
        st.open.remove(&self.id);
        if st.open.is_empty() {
            self.set.gone.notify_all();
        }
    }
}

/// The plain closer: send a close frame, on a thread of its own: a write
/// to a peer that stopped reading can block until the write timeout, and
/// shutdown must not wait for each such peer in turn. The connection's
/// reader then sees the peer's answer and ends. A reader asleep in `read`
/// keeps the timeout it started with (the ping interval), so if the peer
/// has not answered within the close timeout, this thread shuts TCP down,
/// which wakes the reader.
pub fn send_close(sender: WsSender) -> Closer {
    Box::new(move |code, reason| {
        let (sender, reason) = (sender.clone(), reason.to_string());
        let _ = thread::Builder::new()
            .name("ws-close".into())
            .stack_size(64 * 1024)
            .spawn(move || {
                if sender.close(code, &reason).is_ok() {
                    thread::sleep(sender.close_timeout());
                }
                sender.shutdown();
            });
    })
}

/// Chapter 5's `run_server` for a server with WebSockets: binds, prints
/// `listening on http://ADDR`, serves `service` until SIGINT/SIGTERM; then,
/// while the HTTP server drains its requests, closes every socket in `live`
/// with 1001, and exits 0 once both are done (at most [`SHUTDOWN_WAIT`]
/// for the sockets).
///
/// The process must not exit before the close frames are out, and the HTTP
/// server cannot wait for them (after the `101` they are not its
/// connections any more): hence chapter 5's `run_server_then`, whose
/// `finish` runs after the drain and before the exit.
pub fn run_server(
    prog: &str,
    sa: ServerArgs,
    live: Arc<LiveSockets>,
    service: Arc<dyn Service>,
) -> ! {
    let (make, finish) = closing_on_shutdown(prog, live, service);
    run_server_then(prog, sa, make, finish)
}

/// The two halves of [`run_server`], for any runner with the shape of
/// chapter 5's `run_server_then`: `make` starts a thread that closes every
/// socket in `live` with 1001 once the server is told to shut down, and
/// `finish` waits for it (bounded).
pub fn closing_on_shutdown(
    prog: &str,
    live: Arc<LiveSockets>,
    service: Arc<dyn Service>,
) -> (
    impl FnOnce(ShutdownHandle) -> Arc<dyn Service>,
    impl FnOnce(),
) {
    let (closed_tx, closed_rx) = mpsc::channel();
    let make = move |handle: ShutdownHandle| -> Arc<dyn Service> {
        thread::spawn(move || {
            handle.wait();
            let _ = closed_tx.send(live.going_away(SHUTDOWN_WAIT));
        });
        service
    };
    let prog = prog.to_string();
    let finish = move || {
        // Bounded: the closing thread itself waits at most SHUTDOWN_WAIT.
        if let Ok(still_open) = closed_rx.recv_timeout(SHUTDOWN_WAIT * 2)
            && still_open > 0
        {
            eprintln!("{prog}: {still_open} WebSocket(s) did not finish closing in time");
        }
    };
    (make, finish)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::thread;

    #[test]
    fn close_all_calls_every_closer_and_waits_for_them() {
        let live = LiveSockets::new();
        let (tx, rx) = mpsc::channel::<(u16, String)>();
        let mut workers = Vec::new();
        for _ in 0..5 {
            let (stop_tx, stop_rx) = mpsc::channel::<()>();
            let tx = tx.clone();
            let guard = live.register(Box::new(move |code, reason| {
                tx.send((code, reason.to_string())).unwrap();
                let _ = stop_tx.send(());
            }));
            // A "connection" that runs until asked to close.
            workers.push(thread::spawn(move || {
                stop_rx.recv().unwrap();
                drop(guard);
            }));
        }
        assert_eq!(live.len(), 5);
        let left = live.close_all(1001, "bye", Duration::from_secs(10));
        assert_eq!(left, 0);
        let got: Vec<_> = rx.try_iter().collect();
        assert_eq!(got.len(), 5);
        assert!(got.iter().all(|(c, r)| *c == 1001 && r == "bye"));
        for w in workers {
            w.join().unwrap();
        }
    }

    #[test]
    fn a_connection_that_arrives_during_shutdown_is_closed_at_once() {
        let live = LiveSockets::new();
        assert_eq!(live.close_all(1001, "bye", Duration::ZERO), 0);
        let (tx, rx) = mpsc::channel();
        let guard = live.register(Box::new(move |code, _| tx.send(code).unwrap()));
        assert_eq!(rx.try_recv(), Ok(1001));
        assert!(live.is_closing());
        drop(guard);
        assert!(live.is_empty());
    }

    #[test]
    fn a_connection_that_ignores_the_close_is_reported_not_waited_for_forever() {
        let live = LiveSockets::new();
        let _stubborn = live.register(Box::new(|_, _| {}));
        let left = live.close_all(1001, "bye", Duration::from_millis(20));
        assert_eq!(left, 1);
    }

    #[test]
    fn the_cap_counts_every_open_connection_exactly() {
        let live = LiveSockets::new();
        let a = live.try_register(2, Box::new(|_, _| {})).unwrap();
        let _b = live.try_register(2, Box::new(|_, _| {})).unwrap();
        assert!(live.try_register(2, Box::new(|_, _| {})).is_none());
        drop(a);
        assert!(live.try_register(2, Box::new(|_, _| {})).is_some());
    }

    #[test]
    fn racing_registrations_never_overshoot_the_cap() {
        let live = LiveSockets::new();
        let (tx, rx) = mpsc::channel();
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (live, tx) = (live.clone(), tx.clone());
                thread::spawn(move || {
                    let guards: Vec<Live> = (0..50)
                        .filter_map(|_| live.try_register(10, Box::new(|_, _| {})))
                        .collect();
                    tx.send(guards).unwrap();
                })
            })
            .collect();
        drop(tx);
        let held: Vec<Vec<Live>> = rx.iter().collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(held.iter().map(Vec::len).sum::<usize>(), 10);
        assert_eq!(live.len(), 10);
    }

    #[test]
    fn hooks_run_once_before_the_closers() {
        let live = LiveSockets::new();
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        live.before_close(move || tx.send("hook").unwrap());
        let _g = live.register(Box::new(move |_, _| tx2.send("closer").unwrap()));
        live.going_away(Duration::ZERO);
        live.going_away(Duration::ZERO);
        assert_eq!(
            rx.try_iter().collect::<Vec<_>>(),
            ["hook", "closer", "closer"]
        );
    }

    #[test]
    fn set_closer_replaces_the_closer() {
        let live = LiveSockets::new();
        let (tx, rx) = mpsc::channel();
        let tx2 = tx.clone();
        let g = live.register(Box::new(move |_, _| tx.send("first").unwrap()));
        g.set_closer(Box::new(move |_, _| tx2.send("second").unwrap()));
        live.close_all(1001, "", Duration::ZERO);
        assert_eq!(rx.try_iter().collect::<Vec<_>>(), ["second"]);
    }
}
