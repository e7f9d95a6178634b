//! WebSockets served by one event loop instead of a thread each.
//!
//! # Why
//!
//! Chapter 8 gives every WebSocket a thread that sleeps in `read` until
//! the next frame arrives. That is simple, and it costs a thread (a stack,
//! kernel state, a read buffer) for every connection that is merely open,
//! and a context switch for every message: the kernel wakes the thread
//! for the message and switches away when it blocks again.
//!
//! # How
//!
//! A connection that waits for its peer is *parked*: its socket is
//! non-blocking ([`LoopSocket`]), and it waits in the parking lot
//! ([`Lot`]: slots and an epoll set). One thread waits in `epoll_wait`;
//! when it returns ready connections, the loop gives each one a turn right
//! there: it decodes what has arrived with chapter 8's codec, the same
//! UTF-8 checks and limits, answers each message, and puts the connection
//! back. No thread sleeps per connection, and an idle one holds no read
//! buffer: the loop lends its one buffer to each connection for its turn.
//!
//! The loop's thread must never wait for one peer, or every other one
//! waits too. So everything that can wait leaves the loop: a peer that
//! reads too slowly to take an answer now, a connection that ends (closing
//! TCP lingers for the peer's last bytes) or fails. Such a connection
//! moves to a thread of its own ([`LoopSocket::into_thread`]), where
//! chapter 8's blocking code finishes it. The timers a blocking reader
//! gets from its read timeout (the idle ping, the close timeout) come from
//! a sweep of the parked connections every [`SWEEP_INTERVAL`]
//! ([`LoopSocket::tick`]); shutdown's close requests are served there too.
//!
//! Only answers that need no waiting fit here (the echo); a handler that
//! blocks, or reads messages at its own pace (the hello service, chapter
//! 9's chat), keeps chapter 8's thread. Without epoll (not Linux)
//! [`EventLoop::start`] fails, and the caller falls back to a thread each.

use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::epoll::MAX_EVENTS;
use super::lot::{Lot, Ticket};
use super::ws_conn::{Answer, LoopSocket, Next};
use crate::ch04_methods_and_routing::{Request, Response, Upgraded};
use crate::ch08_websocket::Config;
use crate::ch08_websocket::handshake::{self, HandshakeConfig};
use crate::ch08_websocket::live::{Live, send_close};
use crate::ch08_websocket::message::Message;
use crate::ch08_websocket::readbuf::ReadBuf;
use crate::ch08_websocket::service::serve_each;

/// How often the parked connections' timers are looked at: the idle ping,
/// the close timeout and shutdown's close fire up to this late.
pub const SWEEP_INTERVAL: Duration = Duration::from_millis(50);

/// A close that shutdown asked for, picked up by the next sweep.
type CloseRequest = Arc<Mutex<Option<(u16, String)>>>;

/// A connection, with its place among the server's open WebSockets (given
/// back when the connection is dropped).
struct Conn {
    sock: LoopSocket,
    live: Live,
    closing: CloseRequest,
}

impl AsFd for Conn {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.sock.as_fd()
    }
}

struct Inner {
    lot: Lot<Conn>,
    answer: Box<Answer>,
}

/// An event loop on a thread of its own, serving the WebSockets added to
/// it with `answer` (see the module docs). It runs until the process
/// exits.
pub struct EventLoop {
    inner: Arc<Inner>,
}

impl EventLoop {
    pub fn start(
        answer: impl Fn(Message) -> Option<Message> + Send + Sync + 'static,
    ) -> io::Result<EventLoop> {
        let inner = Arc::new(Inner {
            lot: Lot::new()?,
            answer: Box::new(answer),
        });
        let looping = inner.clone();
        thread::Builder::new()
            .name("ws-event-loop".into())
            .spawn(move || looping.run())?;
        Ok(EventLoop { inner })
    }

    /// Serves an upgraded connection from now on; `live` is dropped when
    /// the connection ends. Bytes that came with the handshake are served
    /// at once, on the caller's thread.
    pub fn add(&self, up: Upgraded, live: Live, config: Config) {
        let sock = match LoopSocket::new(up.stream, up.leftover, config) {
            Ok(s) => s,
            Err(e) => return crate::trace::note(up.peer, format!("cannot park: {e}")),
        };
        let closing = CloseRequest::default();
        let request = closing.clone();
        live.set_closer(Box::new(move |code, reason| {
            let mut r = request.lock().unwrap_or_else(|p| p.into_inner());
            *r = Some((code, reason.to_string()));
        }));
        self.inner.add(Conn {
            sock,
            live,
            closing,
        });
    }

    /// A service that answers WebSocket handshakes as chapter 8's do
    /// ([`handshake::admit`]: the same checks, cap and 503) and serves the
    /// connections from this loop.
    pub fn service(
        self: Arc<EventLoop>,
        cfg: HandshakeConfig,
    ) -> impl Fn(&mut Request<'_>) -> Response + Send + Sync + 'static {
        move |req: &mut Request<'_>| {
            let (mut resp, live) = match handshake::admit(req, &cfg) {
                Ok(admitted) => admitted,
                Err(refusal) => return refusal,
            };
            let (event_loop, config) = (self.clone(), cfg.socket.clone());
            resp.upgrade = Some(Box::new(move |up: Upgraded| {
                event_loop.add(up, live, config)
            }));
            resp
        }
    }
}

impl Inner {
    fn add(self: &Arc<Inner>, mut conn: Conn) {
        if conn.sock.turn(Instant::now(), &*self.answer) == Next::Thread {
            return self.to_thread(conn);
        }
        // Parked, it keeps no read buffer (the loop lends one each turn).
        conn.sock.give_back(&mut ReadBuf::default());
        if let Err(conn) = self.lot.park(conn) {
            self.to_thread(conn);
        }
    }

    fn run(self: Arc<Inner>) {
        let mut ready: Vec<(Ticket, Conn)> = Vec::with_capacity(MAX_EVENTS);
        // The read buffer lent to each connection for its turn.
        let mut spare = ReadBuf::default();
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
    fn ready(self: &Arc<Inner>, ticket: Ticket, mut conn: Conn, now: Instant, spare: &mut ReadBuf) {
        conn.sock.lend(spare);
        // The answer is the application's code: if it panics, only this
        // connection ends (its socket closes, its place is given back);
        // the loop and every other parked WebSocket go on.
        let answer = &*self.answer;
        let turn = panic::catch_unwind(AssertUnwindSafe(|| conn.sock.turn(now, answer)));
        let Ok(next) = turn else {
            eprintln!("ws loop: the answer panicked; closing that connection");
            self.lot.release(ticket, &conn);
            return;
        };
        match next {
            Next::Park => {
                conn.sock.give_back(spare);
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

    /// The timers of every parked connection; those that now need to wait
    /// for something move to a thread.
    fn sweep(self: &Arc<Inner>, now: Instant) {
        let leaving = self.lot.sweep(|conn| {
            let closing = conn
                .closing
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            conn.sock.tick(now, closing) == Next::Thread
        });
        for conn in leaving {
            self.to_thread(conn);
        }
    }

    /// Finishes the connection on a thread of its own, with chapter 8's
    /// blocking code: queued bytes first, then messages until it ends,
    /// then TCP closed and its place among the open WebSockets given back.
    fn to_thread(self: &Arc<Inner>, conn: Conn) {
        let inner = self.clone();
        let spawned = thread::Builder::new()
            .name("ws-conn".into())
            .spawn(move || {
                let Conn { sock, live, .. } = conn;
                if let Some(mut ws) = sock.into_thread() {
                    // From now on shutdown closes it the blocking way.
                    live.set_closer(send_close(ws.sender()));
                    serve_each(&mut ws, |m| (inner.answer)(m));
                }
                drop(live);
            });
        if let Err(e) = spawned {
            // The connection (dropped with the closure) is cut off.
            eprintln!("ws-event-loop: no thread to finish a WebSocket: {e}");
        }
    }
}
