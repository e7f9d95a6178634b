//! WebSockets served by one event loop instead of a thread each.
//!
//! # Why
//!
//! A thread per WebSocket is the simple design, and the one the rest of
//! this chapter uses: the thread sleeps in `read` until the next frame
//! arrives. But every message then costs a *context switch*: the kernel
//! wakes that thread for the message and switches away from it when it
//! blocks again. With many connections exchanging small messages, that
//! switch is a large share of the server's time. Measured on the echo
//! server with 16 connections sending 64-byte messages (`perf stat -e
//! context-switches`): one switch per message, and about 11 µs of CPU per
//! round trip, the same as tungstenite's thread-per-connection echo.
//!
//! # How
//!
//! A connection that waits for its peer is *parked*: its socket is in
//! non-blocking mode, and it waits, with its [`WebSocket`], in chapter 5's
//! parking lot ([`Lot`]: slots and an epoll set). One thread waits in
//! `epoll_wait`; under load it returns many ready connections at once, and
//! the loop serves each one right there: [`WebSocket::read_message`] reads
//! what has arrived, decodes it with the same codec, the same UTF-8 checks
//! and limits as always, and stops with `WouldBlock` when it needs bytes
//! that have not arrived; the handler answers each message; the connection
//! goes back to its slot. No thread sleeps per connection, and no switch
//! per message. Only this thread waits on its lot, so the lot watches its
//! sockets level-triggered ([`Lot::for_one_thread`]): putting a connection
//! back is no system call.
//!
//! The loop's thread must never wait for one peer, or every other one
//! waits too. So everything that can wait leaves the loop: a peer that
//! reads too slowly to take an answer now (the rest is queued,
//! [`WebSocket::has_pending`]), a connection that ends (closing TCP lingers
//! for the peer's last bytes) or fails, and a handler that reports an
//! error. Such a connection moves to a thread of its own
//! ([`WebSocket::unpark`]), where the ordinary blocking code finishes it:
//! the queued bytes go first, within the write timeout (stretched for a
//! large queue, see [`WsSender`](super::socket::WsSender)). The timers a
//! blocking reader gets from its read timeout (the idle ping, the close
//! timeout) come from a sweep of the parked connections every
//! [`SWEEP_INTERVAL`] ([`WebSocket::tick`]); with none parked, the loop
//! sleeps until one is ([`Lot::wait`]).
//!
//! Only handlers that answer each message by itself fit here (the echo);
//! a handler that blocks, or reads messages at its own pace (the hello
//! service, chapter 9's chat), keeps its thread. Without epoll (not Linux)
//! [`EventLoop::start`] fails and the echo falls back to a thread per
//! connection.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::epoll::MAX_EVENTS;
use super::lot::{Lot, Ticket};
use crate::ch08_websocket::live::Live;
use crate::ch08_websocket::message::Message;
use crate::ch08_websocket::socket::{WebSocket, WsError};

/// How often the parked connections' timers are looked at: the idle ping
/// and the close timeout fire up to this late.
pub const SWEEP_INTERVAL: Duration = Duration::from_millis(50);

/// What a loop does with each message: answer it (or not) without
/// blocking for long. An error ends the connection.
pub type OnMessage = dyn Fn(&WebSocket, Message) -> Result<(), WsError> + Send + Sync;

/// A connection, with its place among the server's open WebSockets (given
/// back when the connection is dropped).
struct Conn {
    ws: WebSocket,
    live: Live,
}

impl AsFd for Conn {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.ws.tcp().as_fd()
    }
}

struct Inner {
    /// Where the parked connections wait (chapter 5's parking lot).
    lot: Lot<Conn>,
    on_message: Box<OnMessage>,
}

/// An event loop on a thread of its own, serving the WebSockets added to
/// it with `on_message` (see the module docs). It runs until the process
/// exits.
pub struct EventLoop {
    inner: Arc<Inner>,
}

/// After a turn: wait in the loop again, or move to a thread.
enum Next {
    Park,
    Thread,
}

impl EventLoop {
    pub fn start(
        on_message: impl Fn(&WebSocket, Message) -> Result<(), WsError> + Send + Sync + 'static,
    ) -> io::Result<EventLoop> {
        let inner = Arc::new(Inner {
            lot: Lot::for_one_thread()?,
            on_message: Box::new(on_message),
        });
        let looping = inner.clone();
        thread::Builder::new()
            .name("ws-event-loop".into())
            .spawn(move || looping.run())?;
        Ok(EventLoop { inner })
    }

    /// Serves `ws` from now on; `live` is dropped when the connection
    /// ends. Bytes that came with the handshake are served at once, on the
    /// caller's thread.
    pub fn add(&self, ws: WebSocket, live: Live) {
        self.inner.add(Conn { ws, live });
    }
}

impl Inner {
    fn add(self: &Arc<Inner>, mut conn: Conn) {
        if conn.ws.park().is_err() {
            return self.to_thread(conn);
        }
        conn.ws.begin_turn(Instant::now());
        if let Next::Thread = self.serve(&mut conn) {
            return self.to_thread(conn);
        }
        // Parked, it keeps no read buffer (the loop lends one each turn).
        conn.ws.return_buffer(&mut Vec::new());
        if let Err(conn) = self.lot.park(conn) {
            self.to_thread(conn);
        }
    }

    fn run(self: Arc<Inner>) {
        let mut ready: Vec<(Ticket, Conn)> = Vec::with_capacity(MAX_EVENTS);
        // The read buffer lent to each connection for its turn.
        let mut spare = Vec::new();
        let mut next_sweep = Instant::now() + SWEEP_INTERVAL;
        loop {
            let timeout = next_sweep.saturating_duration_since(Instant::now());
            if let Err(e) = self.lot.wait(&mut ready, MAX_EVENTS, timeout) {
                // Not expected (EBADF, EFAULT, EINVAL): say so, and do not spin.
                eprintln!("ws-event-loop: epoll_wait failed: {e}");
                thread::sleep(SWEEP_INTERVAL);
            }
            let now = Instant::now();
            for (ticket, conn) in ready.drain(..) {
                self.ready(ticket, conn, now, &mut spare);
            }
            if now >= next_sweep {
                self.sweep(now);
                next_sweep = now + SWEEP_INTERVAL;
            }
        }
    }

    /// A parked connection became readable: its turn, with the loop's
    /// read buffer.
    fn ready(self: &Arc<Inner>, ticket: Ticket, mut conn: Conn, now: Instant, spare: &mut Vec<u8>) {
        conn.ws.begin_turn(now);
        conn.ws.borrow_buffer(spare);
        match self.serve(&mut conn) {
            Next::Park => {
                conn.ws.return_buffer(spare);
                if let Err(conn) = self.lot.park_again(ticket, conn) {
                    self.to_thread(conn);
                }
            }
            Next::Thread => {
                self.lot.release(ticket, &conn);
                self.to_thread(conn);
            }
        }
    }

    /// Serves the messages that have arrived, until one more would mean
    /// waiting.
    fn serve(&self, conn: &mut Conn) -> Next {
        loop {
            match conn.ws.read_message() {
                Ok(Some(m)) => {
                    if (self.on_message)(&conn.ws, m).is_err() || conn.ws.has_pending() {
                        return Next::Thread;
                    }
                }
                Err(WsError::Io(e)) if e.kind() == io::ErrorKind::WouldBlock => break,
                // Closed or failed: a thread closes TCP.
                Ok(None) | Err(_) => return Next::Thread,
            }
        }
        if conn.ws.has_pending() {
            Next::Thread
        } else {
            Next::Park
        }
    }

    /// The timers of every parked connection; those that now need to wait
    /// for something move to a thread.
    fn sweep(self: &Arc<Inner>, now: Instant) {
        let leaving = self.lot.sweep(|conn| {
            conn.ws.tick(now);
            conn.ws.is_done() || conn.ws.has_pending()
        });
        for conn in leaving {
            self.to_thread(conn);
        }
    }

    /// Finishes the connection on a thread of its own, with the blocking
    /// code: queued bytes first, then messages until it ends, then TCP
    /// closed and its place among the open WebSockets given back.
    fn to_thread(self: &Arc<Inner>, conn: Conn) {
        let inner = self.clone();
        let spawned = thread::Builder::new()
            .name("ws-conn".into())
            .spawn(move || {
                let Conn { mut ws, live } = conn;
                ws.unpark();
                crate::ch08_websocket::service::serve_each(&mut ws, &*inner.on_message);
                drop(live);
            });
        if let Err(e) = spawned {
            // The connection (dropped with the closure) is cut off.
            eprintln!("ws-event-loop: no thread to finish a WebSocket: {e}");
        }
    }
}
