//! The long-lived connections a server must close when it shuts down.
//!
//! An HTTP request ends by itself: the server stops accepting, lets the
//! requests in flight finish, and is done (chapter 5). A WebSocket does not
//! end by itself: it is open until one side closes it, and after the upgrade
//! it runs on its own thread, out of the HTTP server's sight. So the
//! application keeps a list of them, each with a way to close it, and on
//! shutdown asks every one to close with 1001 *Going Away* (RFC 6455 §7.4.1)
//! and waits, bounded, for their threads to finish.
//!
//! Each entry's closer is supplied by the code that owns the connection: the
//! plain WebSocket endpoints send a close frame directly; the chat closes
//! its member's outbox, so the messages already queued go out first and the
//! close frame comes last, from the one thread that writes to that socket.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Asks one connection to close with a code and a reason. Must not block
/// for long: it is called for every connection, one after another.
pub type Closer = Box<dyn Fn(u16, &str) + Send + Sync>;

/// The set of open long-lived connections.
pub struct LiveSockets {
    state: Mutex<State>,
    gone: Condvar,
}

struct State {
    next_id: u64,
    open: BTreeMap<u64, Arc<Closer>>,
    /// Set by [`LiveSockets::close_all`]: later registrations are refused.
    closing: Option<(u16, String)>,
}

impl Default for LiveSockets {
    fn default() -> LiveSockets {
        LiveSockets {
            state: Mutex::new(State {
                next_id: 1,
                open: BTreeMap::new(),
                closing: None,
            }),
            gone: Condvar::new(),
        }
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
        let closer = Arc::new(closer);
        let mut st = self.lock();
        let id = st.next_id;
        st.next_id += 1;
        st.open.insert(id, closer.clone());
        let closing = st.closing.clone();
        drop(st);
        if let Some((code, reason)) = closing {
            closer(code, &reason);
        }
        Live {
            set: self.clone(),
            id,
        }
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

    /// Asks every connection to close with `code`, then waits up to `wait`
    /// for all of them to be gone. Returns how many are still open.
    pub fn close_all(&self, code: u16, reason: &str, wait: Duration) -> usize {
        let closers: Vec<Arc<Closer>> = {
            let mut st = self.lock();
            st.closing = Some((code, reason.to_string()));
            st.open.values().cloned().collect()
        };
        // Outside the lock: a closer may take the connection's own locks, and
        // a finishing connection needs ours to deregister.
        for c in closers {
            c(code, reason);
        }
        self.wait_empty(wait)
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
    /// Replaces this connection's closer (the chat swaps the plain "send a
    /// close frame" for "close the outbox" once the member has joined). If
    /// shutdown began in between, the new closer is called at once.
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
