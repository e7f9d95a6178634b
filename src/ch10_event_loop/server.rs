//! Chapter 5's server with its connections parked between requests: the
//! same acceptor, cap, policy, pool and drain, and a different answer to
//! "what happens to a connection once it is admitted" — it is parked in
//! epoll ([`Parking`]) instead of given a worker for its whole life.

use std::io;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::lot::Lot;
use super::parking::{Parked, Parking};
use crate::ch04_methods_and_routing::Service;
use crate::ch04_methods_and_routing::conn::Conn;
use crate::ch05_concurrency::policy::OpenGuard;
use crate::ch05_concurrency::server::{Dispatch, Pooled, Server, Serving};

/// Parked connections, the event loops that serve them, and the watchdog.
pub struct EventLoops {
    parking: Arc<Parking<OpenGuard>>,
    watchdog: Mutex<Option<JoinHandle<()>>>,
}

impl EventLoops {
    /// Starts `loops` event loops on the server's pool (0: one for each CPU
    /// the process may run on; never more than the pool's workers, since a
    /// retired loop's replacement needs a free worker). Where there is no
    /// epoll, chapter 5's [`Pooled`] instead.
    pub fn start(s: &Serving, loops: usize) -> Box<dyn Dispatch> {
        let Ok(lot) = Lot::new() else {
            return Box::new(Pooled::new(s));
        };
        let loops = match loops {
            // available_parallelism counts the CPUs this process may run
            // on (under `taskset -c 0`, one).
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let parking = Parking::new(
            lot,
            s.policy.clone(),
            s.service.clone(),
            loops.min(s.config.threads),
        );
        let watchdog = parking.start(&s.pool);
        Box::new(EventLoops {
            parking,
            watchdog: Mutex::new(Some(watchdog)),
        })
    }
}

impl Dispatch for EventLoops {
    fn dispatch(&self, conn: Conn, guard: OpenGuard) {
        self.parking.park(Parked::new(conn, guard));
    }

    fn stop(&self) {
        self.parking.stop();
        let w = self
            .watchdog
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(w) = w {
            let _ = w.join();
        }
    }
}

/// Runs `server` with its connections parked between requests, served by
/// `loops` event loops (0: one per CPU). Like [`Server::run`], returns
/// after the drain.
pub fn run(server: Server, service: Arc<dyn Service>, loops: usize) -> io::Result<()> {
    server.run_with(service, |s| EventLoops::start(s, loops))
}
