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
//! A lot made with [`Lot::for_one_thread`] is for a single waiting thread
//! that serves each ready connection until it would block, then parks it
//! again or releases it, before it waits again. There a socket stays
//! watched while its connection is out ([`Watch::WhileReadable`]), and
//! parking it again is no system call at all.

use std::io;
use std::os::fd::AsFd;
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
}

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
    (generation as u64) << 32 | index as u64
}

fn index_of(token: u64) -> (usize, u32) {
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
        Ok(Lot {
            epoll: Epoll::new()?,
            watch,
            slots: Mutex::new(Slots {
                entries: Vec::new(),
                free: Vec::new(),
            }),
        })
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
        Ok(())
    }

    /// Waits until parked connections are readable, or `timeout`; takes up
    /// to `max` of them out of the lot, each with its ticket.
    pub fn wait(
        &self,
        out: &mut Vec<(Ticket, T)>,
        max: usize,
        timeout: Duration,
    ) -> io::Result<()> {
        let mut ready = [Ready { token: 0 }; MAX_EVENTS];
        let n = self
            .epoll
            .wait(&mut ready[..max.clamp(1, MAX_EVENTS)], timeout)?;
        if n == 0 {
            return Ok(());
        }
        let mut slots = self.lock();
        for r in &ready[..n] {
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
    }

    /// The connection closed while it was out (closing its socket took it
    /// out of epoll): its slot is free for the next one.
    pub fn vacate(&self, ticket: Ticket) {
        let (index, _) = index_of(ticket.0);
        self.lock().free.push(index);
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
                left.push(item);
            }
        }
        left
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use crate::ch05_concurrency::epoll::tests::pair;
    use std::io::Write;
    use std::net::TcpStream;

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
