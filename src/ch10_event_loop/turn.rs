//! One parked connection's turn on an event loop, composed of chapter 4's
//! pieces and chapter 5's rules: read what has arrived without waiting,
//! run chapter 4's sans-I/O [`read_request`] step on it, serve every
//! request that is complete, and give the connection back to be parked as
//! soon as serving it would mean waiting for the client.
//!
//! A loop's thread must never wait for one client: every other connection
//! it watches would wait too. So whenever the next step *may* wait (body
//! bytes that have not arrived, a response larger than the socket takes
//! at once, a lingering close), the turn calls `hand_over` first: the
//! loop gives its other connections to another loop, and this thread
//! carries on as an ordinary worker of chapter 5 ([`keep_thread`]).

use std::io::{self, BufRead, Read};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::ch04_methods_and_routing::Service;
use crate::ch04_methods_and_routing::conn::{After, BodySource, Conn, HeadWait, read_buffered};
use crate::ch04_methods_and_routing::exchange::answer;
use crate::ch04_methods_and_routing::readbuf::ReadBuf;
use crate::ch04_methods_and_routing::reader::{Ready, Refusal, Step, read_request};
use crate::ch04_methods_and_routing::send::may_take_long;
use crate::ch05_concurrency::policy::{POLL_INTERVAL, Policy};
use crate::ch05_concurrency::worker::{
    RatedBody, apply_rules, end, end_waiting, next_head, serve_request,
};

/// How long a connection that left a loop for a thread of its own (it had
/// to wait for its client) keeps that thread once it is idle, before it is
/// parked again.
pub const KEEP_THREAD_IDLE: Duration = Duration::from_millis(100);

/// `recv(2)` with `MSG_DONTWAIT`: reads what has arrived, or fails with
/// `WouldBlock` at once, on a socket that otherwise stays blocking (its
/// body reads and writes keep their timeouts). With `peek` the bytes stay
/// in the socket. `Ok(0)` is the end of the stream, as for `read`. std has
/// no per-call flags, hence the declaration.
#[cfg(target_os = "linux")]
pub fn recv_now(stream: &TcpStream, buf: &mut [u8], peek: bool) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    unsafe extern "C" {
        fn recv(fd: i32, buf: *mut u8, len: usize, flags: i32) -> isize;
    }
    const MSG_PEEK: i32 = 0x2;
    const MSG_DONTWAIT: i32 = 0x40;
    let flags = MSG_DONTWAIT | if peek { MSG_PEEK } else { 0 };
    loop {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes; the
        // descriptor is open for the duration of the borrow.
        let n = unsafe { recv(stream.as_raw_fd(), buf.as_mut_ptr(), buf.len(), flags) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// Elsewhere: "nothing yet" (there is no epoll there either).
#[cfg(not(target_os = "linux"))]
pub fn recv_now(_stream: &TcpStream, _buf: &mut [u8], _peek: bool) -> io::Result<usize> {
    Err(io::ErrorKind::WouldBlock.into())
}

/// Reads into `conn`'s buffer what has arrived, without waiting.
fn read_now(conn: &mut Conn) -> io::Result<usize> {
    let n = recv_now(&conn.stream, conn.buf.spare(), false)?;
    conn.buf.filled(n);
    Ok(n)
}

/// Bytes, or the end of the stream, wait in the socket: the connection is
/// not idle, whatever its clock says.
pub fn input_waiting(conn: &Conn) -> bool {
    recv_now(&conn.stream, &mut [0u8; 1], true).is_ok()
}

/// Serves what `conn` has sent; `Some(conn)` to park it again, `None` when
/// it closed (or was upgraded). `hand_over` is called before anything that
/// may wait for the client.
///
/// `lent` is the loop's read buffer: an idle connection has none of its
/// own, so it borrows the loop's for its turn and gives it back if it
/// parks with nothing buffered. Only a connection parked with half a head
/// keeps a buffer.
pub fn serve_turn(
    mut conn: Conn,
    service: &dyn Service,
    p: &Policy,
    hand_over: &dyn Fn(),
    lent: &mut ReadBuf,
) -> Option<Conn> {
    if conn.buf.capacity() == 0 {
        conn.buf = std::mem::take(lent);
    }
    let back = serve_requests(conn, service, p, hand_over);
    back.map(|mut conn| {
        if conn.buf.is_empty() && lent.capacity() == 0 {
            *lent = std::mem::take(&mut conn.buf);
        }
        conn.buf.release();
        conn
    })
}

fn serve_requests(
    mut conn: Conn,
    service: &dyn Service,
    p: &Policy,
    hand_over: &dyn Fn(),
) -> Option<Conn> {
    let turn_started = Instant::now();
    loop {
        let eof = match read_now(&mut conn) {
            Ok(n) => n == 0,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => false,
            Err(_) => {
                conn.close(false);
                return None;
            }
        };
        let ready = match read_request(conn.buf.data(), &p.opts.limits) {
            Step::Request(ready, n) => {
                crate::trace::head(crate::trace::Dir::In, conn.peer, &conn.buf.data()[..n]);
                conn.buf.consume(n);
                ready
            }
            Step::Refuse(r) => return refuse(conn, r, p, hand_over),
            Step::NeedMore if eof && conn.head_started() => {
                let r = Refusal::new(400, "connection closed inside the head", None);
                return refuse(conn, r, p, hand_over);
            }
            Step::NeedMore if eof => {
                conn.close(false);
                return None;
            }
            Step::NeedMore => {
                if conn.head_started() {
                    conn.head_clock.get_or_insert_with(Instant::now);
                }
                return Some(conn);
            }
        };
        match serve_inline(&mut conn, *ready, service, p, turn_started, hand_over) {
            After::KeepAlive if conn.buf.is_empty() => {
                // Nothing pipelined: the next request cannot have arrived
                // before the client read this response; wait for epoll.
                return Some(conn);
            }
            After::KeepAlive => {}
            after => {
                if matches!(after, After::Close { linger: true }) {
                    hand_over();
                }
                end(conn, after, p);
                return None;
            }
        }
    }
}

/// Answers a refused request and closes. The lingering close waits for
/// the client (unless others wait: then there is none), so hand over first.
fn refuse(conn: Conn, r: Refusal, p: &Policy, hand_over: &dyn Fn()) -> Option<Conn> {
    if !p.pressured() {
        hand_over();
    }
    end_waiting(conn, HeadWait::Refuse(r), p);
    None
}

/// One request served on the loop's thread: its body read from what has
/// arrived, handing over before waiting for more.
fn serve_inline(
    conn: &mut Conn,
    ready: Ready,
    service: &dyn Service,
    p: &Policy,
    turn_started: Instant,
    hand_over: &dyn Fn(),
) -> After {
    let peer = conn.peer;
    let mut a = {
        let body = LoopBody {
            inner: RatedBody::new(
                BodySource {
                    stream: &conn.stream,
                    buf: &mut conn.buf,
                    io_timeout: POLL_INTERVAL,
                    read_timeout: &mut conn.read_timeout,
                },
                p,
            ),
            hand_over,
        };
        answer(
            service,
            ready,
            peer,
            Box::new(body),
            Some(Box::new(&conn.stream)),
        )
    };
    apply_rules(conn, &mut a, p, turn_started);
    if may_take_long(&a.resp, &a.reply) {
        hand_over();
    }
    conn.send(a, &p.log)
}

/// A body read on a loop: bytes that have arrived are taken at once; only
/// when the client really has to be waited for does the loop hand over,
/// and the wait becomes chapter 5's [`RatedBody`].
struct LoopBody<'a, 'p, 'h> {
    inner: RatedBody<'a, 'p>,
    hand_over: &'h dyn Fn(),
}

impl Read for LoopBody<'_, '_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl BufRead for LoopBody<'_, '_, '_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        let src = self.inner.source();
        if src.buf.is_empty() {
            match recv_now(src.stream, src.buf.spare(), false) {
                Ok(n) => src.buf.filled(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => (self.hand_over)(),
                Err(e) => return Err(e),
            }
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.inner.consume(n);
    }
}

/// After a hand-over, this thread serves the connection as chapter 5's
/// worker does, while it stays busy: a client downloading file after file
/// does not go through a loop for each one. Once it has been idle for
/// [`KEEP_THREAD_IDLE`], it is given back to be parked.
pub fn keep_thread(mut conn: Conn, service: &dyn Service, p: &Policy) -> Option<Conn> {
    let turn_started = Instant::now();
    loop {
        let until = conn.idle_since + KEEP_THREAD_IDLE;
        match next_head(&mut conn, p, Some(until)) {
            HeadWait::Request(r) => match serve_request(&mut conn, *r, service, p, turn_started) {
                After::KeepAlive => {}
                after => {
                    end(conn, after, p);
                    return None;
                }
            },
            HeadWait::LookUp => {
                conn.buf.release();
                return Some(conn);
            }
            other => {
                end_waiting(conn, other, p);
                return None;
            }
        }
    }
}
