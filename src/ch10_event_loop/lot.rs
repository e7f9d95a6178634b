//! A parking lot: numbered slots for connections that wait to become
//! readable, and the [`Epoll`] set that watches their sockets.
//!
//! Chapter 5's HTTP event loop ([`parking`](super::parking)) and chapter
//! 8's WebSocket loop both park connections here. A connection's *token*
//! (what epoll hands back when its socket is ready) is its slot's number
//! and the slot's *generation*, a counter bumped each time the slot gets a
//! new occupant: an event that was already on its way for a connection
//! that has left can never be taken for the next one in the same slot.
//!
//! In a lot made with [`Lot::new`], sockets are watched one-shot
//! ([`Watch::Once`]), so a ready connection is handed to exactly one of the
//! threads that call [`Lot::wait`]. While it is out being served, its slot
//! stays reserved for it ([`Ticket`]): parking it again
//! ([`Lot::park_again`]) re-arms the same registration, one `epoll_ctl`.
//!
//! A lot with no connections in it has nothing to time out, so
//! [`Lot::wait`] then sleeps with no timeout at all, and the next
//! [`Lot::park`] wakes it: an idle server does not wake up to sweep
//! nothing. The wake-up goes through a socket pair watched by the same
//! epoll set (a byte written to one end makes the other readable);
//! [`Lot::wake_all`] uses it too, for a server that stops.
//!
//! A lot made with [`Lot::for_one_thread`] is for a single waiting thread
//! that serves each ready connection until it would block, then parks it
//! again or releases it, before it waits again. There a socket stays
//! watched while its connection is out ([`Watch::WhileReadable`]), and
//! parking it again is no system call at all.

use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use super::epoll::{Epoll, MAX_EVENTS, Ready, Watch};

/// The slot of a connection that was taken out of the lot to be served.
/// Give it back with [`Lot::park_again`] or [`Lot::release`].
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a ticket's slot stays reserved until it is parked again or released"]
pub struct Ticket(u64);

/// Connections of type `T` waiting for their sockets to become readable.
pub struct Lot<T> {
    epoll: Epoll,
    watch: Watch,
    slots: Mutex<Slots<T>>,
    /// Slots in use: connections parked, or out being served.
    occupied: AtomicUsize,
    /// Threads in a `wait` with no timeout (the lot was empty).
    sleepers: AtomicUsize,
    /// Set by [`Lot::wake_all`]: every `wait` returns at once.
    waking_all: AtomicBool,
    /// Written to wake a sleeper; `bell_rx` is in the epoll set.
    bell_tx: UnixStream,
    bell_rx: UnixStream,
}

/// The token of the wake-up socket: no slot has it (slots are numbered
/// from 0 and there are fewer than `u32::MAX` of them).
const BELL: u64 = u64::MAX;

struct Slots<T> {
    entries: Vec<Entry<T>>,
    free: Vec<usize>,
}

struct Entry<T> {
    generation: u32,
    /// `None` while the slot is free, or while its connection is out.
    parked: Option<T>,
}

fn token(index: usize, generation: u32) -> u64 {
    exercise!("ex_ch10_token", ch10_token::token(index, generation));
    (generation as u64) << 32 | index as u64
}

fn index_of(token: u64) -> (usize, u32) {
    exercise!("ex_ch10_token", ch10_token::index_of(token));
    ((token & 0xFFFF_FFFF) as usize, (token >> 32) as u32)
}

impl<T: AsFd> Lot<T> {
    /// An empty lot that several threads may wait on (fails where there
    /// is no epoll).
    pub fn new() -> io::Result<Lot<T>> {
        Lot::watching(Watch::Once)
    }

    /// An empty lot that only one thread waits on: see the module docs.
    pub fn for_one_thread() -> io::Result<Lot<T>> {
        Lot::watching(Watch::WhileReadable)
    }

    fn watching(watch: Watch) -> io::Result<Lot<T>> {
        let epoll = Epoll::new()?;
        let (bell_tx, bell_rx) = UnixStream::pair()?;
        bell_tx.set_nonblocking(true)?;
        bell_rx.set_nonblocking(true)?;
        // One-shot, whatever the lot's mode: each byte wakes one waiter.
        epoll.add(&bell_rx, BELL, Watch::Once)?;
        Ok(Lot {
            epoll,
            watch,
            slots: Mutex::new(Slots {
                entries: Vec::new(),
                free: Vec::new(),
            }),
            occupied: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            waking_all: AtomicBool::new(false),
            bell_tx,
            bell_rx,
        })
    }

    /// Wakes one thread waiting in [`Lot::wait`] (or the next one to
    /// wait). Each call wakes one: to wake `n` threads, call it `n` times.
    pub fn wake(&self) {
        // Non-blocking: if the socket is full, wake-ups are pending anyway.
        let _ = (&self.bell_tx).write(&[1]);
    }

    /// Wakes every thread waiting in [`Lot::wait`], now and from now on:
    /// `wait` returns at once (for a server that stops, whose threads
    /// need not be counted: one that is about to wait is woken too).
    pub fn wake_all(&self) {
        self.waking_all.store(true, Ordering::SeqCst);
        self.wake();
    }

    /// A slot was given up.
    fn vacated(&self) {
        self.occupied.fetch_sub(1, Ordering::SeqCst);
    }

    fn lock(&self) -> MutexGuard<'_, Slots<T>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Parks a connection that was never here. Gives it back if epoll
    /// will not watch its socket.
    pub fn park(&self, item: T) -> Result<(), T> {
        let mut slots = self.lock();
        let index = slots.free.pop().unwrap_or_else(|| {
            slots.entries.push(Entry {
                generation: 0,
                parked: None,
            });
            slots.entries.len() - 1
        });
        let entry = &mut slots.entries[index];
        entry.generation = entry.generation.wrapping_add(1);
        let token = token(index, entry.generation);
        // Registered while the lock is held: until the connection is in
        // its slot, nobody can take it (or close its socket) from under
        // the registration.
        if self.epoll.add(&item.as_fd(), token, self.watch).is_err() {
            slots.free.push(index);
            return Err(item);
        }
        entry.parked = Some(item);
        drop(slots);
        // The first connection in an empty lot: a waiter may be sleeping
        // with no timeout, and this connection's deadlines need its sweeps.
        // (SeqCst, with `wait`'s store to `sleepers` and load of
        // `occupied`: one of the two sees the other's store.)
        if self.occupied.fetch_add(1, Ordering::SeqCst) == 0
            && self.sleepers.load(Ordering::SeqCst) > 0
        {
            self.wake();
        }
        Ok(())
    }

    /// Waits until parked connections are readable, or `timeout`; takes up
    /// to `max` of them out of the lot, each with its ticket. While the lot
    /// is empty, waits with no timeout, until a connection is parked or
    /// [`Lot::wake`] is called. May return with nothing, having been woken
    /// (or at once, for `max` 0).
    pub fn wait(
        &self,
        out: &mut Vec<(Ticket, T)>,
        max: usize,
        timeout: Duration,
    ) -> io::Result<()> {
        if self.waking_all.load(Ordering::SeqCst) || max == 0 {
            return Ok(());
        }
        let mut ready = [Ready { token: 0 }; MAX_EVENTS];
        let ready = &mut ready[..max.min(MAX_EVENTS)];
        let mut asleep = false;
        if self.occupied.load(Ordering::SeqCst) == 0 {
            self.sleepers.fetch_add(1, Ordering::SeqCst);
            // Look again after saying so: see `park`.
            asleep = self.occupied.load(Ordering::SeqCst) == 0;
            if !asleep {
                self.sleepers.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let waited = self
            .epoll
            .wait(ready, if asleep { Duration::MAX } else { timeout });
        if asleep {
            self.sleepers.fetch_sub(1, Ordering::SeqCst);
        }
        let n = waited?;
        if n == 0 {
            return Ok(());
        }
        let mut slots = self.lock();
        for r in &ready[..n] {
            if r.token == BELL {
                // One byte, one waiter woken; the next byte wakes another.
                // After `wake_all` the byte stays: it wakes every waiter.
                if !self.waking_all.load(Ordering::SeqCst) {
                    let _ = (&self.bell_rx).read(&mut [0u8]);
                }
                let _ = self.epoll.rearm(&self.bell_rx, BELL);
                continue;
            }
            let (index, generation) = index_of(r.token);
            if let Some(e) = slots.entries.get_mut(index)
                && e.generation == generation
                && let Some(item) = e.parked.take()
            {
                out.push((Ticket(r.token), item));
            }
        }
        Ok(())
    }

    /// Parks a connection again in its reserved slot, watching its socket
    /// once more (in a one-shot lot). If epoll refuses, the slot is
    /// released and the connection given back.
    pub fn park_again(&self, ticket: Ticket, item: T) -> Result<(), T> {
        let mut slots = self.lock();
        let (index, _) = index_of(ticket.0);
        if self.watch == Watch::Once && self.epoll.rearm(&item.as_fd(), ticket.0).is_err() {
            let _ = self.epoll.remove(&item.as_fd());
            slots.free.push(index);
            self.vacated();
            return Err(item);
        }
        slots.entries[index].parked = Some(item);
        Ok(())
    }

    /// The connection leaves for good: epoll stops watching its socket
    /// and its slot is free for the next one.
    pub fn release(&self, ticket: Ticket, item: &T) {
        let _ = self.epoll.remove(&item.as_fd());
        let (index, _) = index_of(ticket.0);
        self.lock().free.push(index);
        self.vacated();
    }

    /// The connection left while it was out: closed (closing its socket
    /// took it out of epoll) or handed to a protocol upgrade (its socket
    /// stays registered, disarmed, until it is closed: a one-shot
    /// registration reports nothing until re-armed). Its slot is free for
    /// the next one.
    pub fn vacate(&self, ticket: Ticket) {
        let (index, _) = index_of(ticket.0);
        self.lock().free.push(index);
        self.vacated();
    }

    /// Looks at every parked connection (under the lot's lock: `leave`
    /// must not block) and takes out, for good, those for which `leave`
    /// says so.
    pub fn sweep(&self, mut leave: impl FnMut(&mut T) -> bool) -> Vec<T> {
        let mut left = Vec::new();
        let mut slots = self.lock();
        let Slots { entries, free } = &mut *slots;
        for (index, entry) in entries.iter_mut().enumerate() {
            if let Some(item) = &mut entry.parked
                && leave(item)
            {
                let item = entry.parked.take().expect("checked above");
                let _ = self.epoll.remove(&item.as_fd());
                free.push(index);
                self.vacated();
                left.push(item);
            }
        }
        left
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::ch10_event_loop::epoll::tests::pair;
    use std::io::Write;
    use std::net::TcpStream;
    use std::sync::{Arc, mpsc};
    use std::thread;

    #[test]
    fn a_ready_connection_is_taken_once_and_its_slot_is_reused_safely() {
        let lot = Lot::<TcpStream>::new().unwrap();
        let (mut c1, s1) = pair();
        lot.park(s1).unwrap();
        c1.write_all(b"x").unwrap();
        let mut out = Vec::new();
        lot.wait(&mut out, 8, Duration::from_secs(5)).unwrap();
        assert_eq!(out.len(), 1);
        let (ticket, s1) = out.pop().unwrap();
        // Out being served: not reported again, even though readable.
        lot.wait(&mut out, 8, Duration::from_millis(1)).unwrap();
        assert!(out.is_empty());
        // Back, and still readable: reported at once.
        lot.park_again(ticket, s1).unwrap();
        lot.wait(&mut out, 8, Duration::from_secs(5)).unwrap();
        let (ticket, s1) = out.pop().unwrap();
        let old = Ticket(ticket.0);
        lot.release(ticket, &s1);
        // The slot's next occupant has a new generation: the old token
        // would not find it.
        let (_c2, s2) = pair();
        lot.park(s2).unwrap();
        let (index, generation) = index_of(old.0);
        let slots = lot.lock();
        assert_eq!(slots.entries.len(), 1);
        assert_ne!(slots.entries[index].generation, generation);
    }

    #[test]
    fn a_lot_for_one_thread_keeps_watching_without_rearming() {
        let lot = Lot::<TcpStream>::for_one_thread().unwrap();
        let (mut c1, s1) = pair();
        lot.park(s1).unwrap();
        c1.write_all(b"x").unwrap();
        let mut out = Vec::new();
        lot.wait(&mut out, 8, Duration::from_secs(5)).unwrap();
        let (ticket, mut s1) = out.pop().unwrap();
        let mut buf = [0u8; 4];
        assert_eq!(std::io::Read::read(&mut s1, &mut buf).unwrap(), 1);
        lot.park_again(ticket, s1).unwrap();
        // Nothing to read: nothing reported; the next byte is, with no re-arm.
        lot.wait(&mut out, 8, Duration::from_millis(1)).unwrap();
        assert!(out.is_empty());
        c1.write_all(b"y").unwrap();
        lot.wait(&mut out, 8, Duration::from_secs(5)).unwrap();
        assert_eq!(out.len(), 1);
    }

    /// Runs `lot.wait` on another thread; its result (how many it took)
    /// comes back on the channel.
    fn waiting(lot: &Arc<Lot<TcpStream>>, timeout: Duration) -> mpsc::Receiver<usize> {
        let (tx, rx) = mpsc::channel();
        let lot = lot.clone();
        thread::spawn(move || {
            let mut out = Vec::new();
            lot.wait(&mut out, 8, timeout).unwrap();
            let _ = tx.send(out.len());
        });
        rx
    }

    #[test]
    fn an_empty_lot_waits_without_a_timeout_until_a_connection_is_parked() {
        let lot = Arc::new(Lot::<TcpStream>::new().unwrap());
        let done = waiting(&lot, Duration::from_millis(1));
        // With nothing to time out, the 1 ms timeout is not used: still
        // waiting long after it.
        assert!(done.recv_timeout(Duration::from_millis(200)).is_err());
        let (_c, s) = pair();
        lot.park(s).unwrap();
        // Woken by the parking (the connection has sent nothing).
        assert_eq!(done.recv_timeout(Duration::from_secs(5)), Ok(0));
        // Not empty any more: the timeout counts again.
        let done = waiting(&lot, Duration::from_millis(1));
        assert_eq!(done.recv_timeout(Duration::from_secs(5)), Ok(0));
    }

    #[test]
    fn each_wake_wakes_one_waiter() {
        let lot = Arc::new(Lot::<TcpStream>::new().unwrap());
        let a = waiting(&lot, Duration::from_millis(1));
        let b = waiting(&lot, Duration::from_millis(1));
        lot.wake();
        lot.wake();
        for done in [a, b] {
            assert_eq!(done.recv_timeout(Duration::from_secs(5)), Ok(0));
        }
    }

    #[test]
    fn wake_all_wakes_every_waiter_now_and_later() {
        let lot = Arc::new(Lot::<TcpStream>::new().unwrap());
        let waiters: Vec<_> = (0..3)
            .map(|_| waiting(&lot, Duration::from_millis(1)))
            .collect();
        lot.wake_all();
        for done in waiters {
            assert_eq!(done.recv_timeout(Duration::from_secs(5)), Ok(0));
        }
        let late = waiting(&lot, Duration::from_millis(1));
        assert_eq!(late.recv_timeout(Duration::from_secs(5)), Ok(0));
    }

    #[test]
    fn slots_of_closed_connections_are_reused() {
        let lot = Lot::<TcpStream>::new().unwrap();
        for _ in 0..5 {
            let (mut c, s) = pair();
            lot.park(s).unwrap();
            c.write_all(b"x").unwrap();
            let mut out = Vec::new();
            lot.wait(&mut out, 8, Duration::from_secs(5)).unwrap();
            let (ticket, s) = out.pop().unwrap();
            drop(s);
            lot.vacate(ticket);
        }
        assert_eq!(lot.lock().entries.len(), 1);
    }

    #[test]
    fn sweep_takes_out_what_it_is_asked_to() {
        let lot = Lot::<TcpStream>::new().unwrap();
        let pairs: Vec<_> = (0..4).map(|_| pair()).collect();
        let ports: Vec<u16> = pairs
            .iter()
            .map(|(_, s)| s.peer_addr().unwrap().port())
            .collect();
        let mut clients = Vec::new();
        for (c, s) in pairs {
            lot.park(s).unwrap();
            clients.push(c);
        }
        let left = lot.sweep(|s| s.peer_addr().unwrap().port() == ports[2]);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].peer_addr().unwrap().port(), ports[2]);
        assert_eq!(lot.sweep(|_| false).len(), 0);
        assert_eq!(lot.sweep(|_| true).len(), 3);
    }
}
