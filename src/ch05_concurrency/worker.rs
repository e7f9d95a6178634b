//! Chapter 4's connection loop on a worker of the pool, under the
//! server's [`Policy`]: the same pieces ([`Conn::read_head`],
//! [`answer`],
//! [`Conn::send`]), with the waits cut into [`POLL_INTERVAL`]s so that the
//! worker can look up and apply the rules between them.

use std::io::{self, BufRead, Read};
use std::time::{Duration, Instant};

use super::policy::{FAIR_SHARE, MIN_BODY_RATE, POLL_INTERVAL, Policy, too_slow};
use crate::ch04_methods_and_routing::Service;
use crate::ch04_methods_and_routing::conn::{After, BodySource, Conn, HeadWait, read_buffered};
use crate::ch04_methods_and_routing::exchange::{Answer, answer};
use crate::ch04_methods_and_routing::reader::{Ready, Refusal};

/// Serves one connection until it closes (or is upgraded).
pub fn serve_pooled(mut conn: Conn, service: &dyn Service, p: &Policy) {
    let turn_started = Instant::now();
    loop {
        let ready = match next_head(&mut conn, p, None) {
            HeadWait::Request(r) => r,
            other => return end_waiting(conn, other, p),
        };
        match serve_request(&mut conn, *ready, service, p, turn_started) {
            After::KeepAlive => {}
            after => return end(conn, after, p),
        }
    }
}

/// Waits for the next request head, looking up every [`POLL_INTERVAL`]:
/// a shutdown, or others waiting while this connection idles, closes it;
/// a head still incomplete under pressure after its grace gets 408.
/// `until`: give the connection back ([`HeadWait::LookUp`]) then.
pub fn next_head(conn: &mut Conn, p: &Policy, until: Option<Instant>) -> HeadWait {
    loop {
        let look = Instant::now() + POLL_INTERVAL;
        let look = until.map_or(look, |u| u.min(look));
        match conn.read_head(&p.opts, Some(look)) {
            HeadWait::LookUp => {}
            w => return w,
        }
        let now = Instant::now();
        if until.is_some_and(|u| now >= u) {
            return HeadWait::LookUp;
        }
        let grace_over = |since: Instant| now.duration_since(since) >= p.pressured_head_timeout;
        if conn.head_started() {
            let started = conn.head_clock.unwrap_or(now);
            if p.pressured() && grace_over(started) {
                let why = "the request head took too long";
                return HeadWait::Refuse(Refusal::new(408, why, None));
            }
        } else if p.shutting_down() || (p.pressured() && grace_over(conn.idle_since)) {
            // Closing an idle connection races with a request already on
            // its way; the grace keeps that race to clients really idle.
            return HeadWait::Closed;
        }
    }
}

/// Serves one request under the rules: its body must keep moving
/// ([`RatedBody`]), and [`apply_rules`] decides whether the connection
/// closes after it.
pub fn serve_request(
    conn: &mut Conn,
    ready: Ready,
    service: &dyn Service,
    p: &Policy,
    turn_started: Instant,
) -> After {
    let peer = conn.peer;
    let mut a = {
        let body = RatedBody::new(
            BodySource {
                stream: &conn.stream,
                buf: &mut conn.buf,
                io_timeout: POLL_INTERVAL,
                read_timeout: &mut conn.read_timeout,
            },
            p,
        );
        answer(
            service,
            ready,
            peer,
            Box::new(body),
            Some(Box::new(&conn.stream)),
        )
    };
    apply_rules(conn, &mut a, p, turn_started);
    conn.send(a, &p.log)
}

/// The rules for the connection after an answer: it closes if the server
/// is shutting down, or if others wait and it has had its [`FAIR_SHARE`]
/// since `turn_started` (unless its next request is already here); if it
/// stays open, the response announces the idle timeout.
pub fn apply_rules(conn: &Conn, a: &mut Answer, p: &Policy, turn_started: Instant) {
    a.reply.keep_alive = Some(p.opts.idle_timeout);
    let fair_share_over = turn_started.elapsed() >= FAIR_SHARE;
    if p.shutting_down() || (conn.buf.is_empty() && fair_share_over && p.pressured()) {
        a.reply.close = true;
    }
}

/// Ends a connection after a wait for a head that gave no request.
pub fn end_waiting(mut conn: Conn, w: HeadWait, p: &Policy) {
    match w {
        HeadWait::Refuse(r) => {
            conn.send_refusal(&r, &p.log);
            conn.close(!p.pressured());
        }
        HeadWait::Request(_) | HeadWait::Closed | HeadWait::LookUp => conn.close(false),
    }
}

/// Ends a connection after a response. No lingering while others wait
/// for this worker: the client is probably why they wait.
pub fn end(conn: Conn, after: After, p: &Policy) {
    match after {
        After::Close { linger } => conn.close(linger && !p.pressured()),
        After::Upgrade(f) => conn.upgrade(f),
        After::KeepAlive => conn.close(false),
    }
}

/// Chapter 4's body source, read in [`POLL_INTERVAL`] steps: the whole
/// wait for the next byte is still bounded by the connection's IO timeout,
/// and while others wait for a worker, a body that has fallen behind
/// [`MIN_BODY_RATE`] fails with `TimedOut` (a per-read timeout alone is
/// what a client sending one byte every few seconds defeats). The rate
/// counts only the time spent waiting for the client, not the handler's.
pub struct RatedBody<'a, 'p> {
    inner: BodySource<'a>,
    p: &'p Policy,
    waited: Duration,
    received: u64,
}

impl<'a, 'p> RatedBody<'a, 'p> {
    pub fn new(inner: BodySource<'a>, p: &'p Policy) -> Self {
        RatedBody {
            inner,
            p,
            waited: Duration::ZERO,
            received: 0,
        }
    }

    /// The body source it reads from.
    pub fn source(&mut self) -> &mut BodySource<'a> {
        &mut self.inner
    }

    fn too_slow(&self) -> bool {
        let grace = self.p.pressured_head_timeout;
        too_slow(self.received, self.waited, grace, MIN_BODY_RATE) && self.p.pressured()
    }

    /// Waits for body bytes; their count (0: the end of the stream).
    fn wait(&mut self) -> io::Result<usize> {
        let since = Instant::now();
        loop {
            let left = self.p.opts.io_timeout.saturating_sub(since.elapsed());
            if left.is_zero() {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "body read timed out",
                ));
            }
            if self.too_slow() {
                let why = "body arriving too slowly while others wait";
                return Err(io::Error::new(io::ErrorKind::TimedOut, why));
            }
            self.inner.io_timeout = left.min(POLL_INTERVAL);
            let t = Instant::now();
            let got = self.inner.fill_buf().map(|d| d.len());
            self.waited += t.elapsed();
            match got {
                Ok(n) => {
                    self.received += n as u64;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
                Err(e) => return Err(e),
            }
        }
    }
}

impl Read for RatedBody<'_, '_> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        read_buffered(self, out)
    }
}

impl BufRead for RatedBody<'_, '_> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.inner.buf.is_empty() {
            self.wait()?;
        }
        Ok(self.inner.buf.data())
    }

    fn consume(&mut self, n: usize) {
        self.inner.buf.consume(n);
    }
}
