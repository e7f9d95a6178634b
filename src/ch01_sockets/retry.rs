//! Request and reply over UDP: send, wait with a deadline, send again.
//!
//! UDP delivers a datagram once or not at all, and says nothing either way.
//! A program that expects a reply (an echo, a DNS answer) must therefore
//! decide for itself how long to wait and how often to try again. Both
//! UDP clients of this chapter do it with this one loop; what differs is
//! how they judge a datagram that arrives, which they pass in as `judge`.

use std::io;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use crate::trace::{self, Dir};

/// How patient a UDP client is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How long to wait for a reply after each send.
    pub timeout: Duration,
    /// How many times to send again after a try went unanswered.
    pub retries: u32,
}

impl Default for RetryPolicy {
    /// glibc's resolver waits 5 s and tries twice (`resolv.conf(5)`), which
    /// is made for the far side of the Internet. One second and two retries
    /// is plenty on a LAN or loopback and bounds the worst case at 3 s.
    fn default() -> Self {
        RetryPolicy {
            timeout: Duration::from_secs(1),
            retries: 2,
        }
    }
}

impl RetryPolicy {
    /// The first try plus the retries.
    pub fn attempts(&self) -> u32 {
        self.retries.saturating_add(1)
    }
}

/// What `judge` makes of one datagram.
pub enum Verdict<T, E> {
    /// The reply we waited for.
    Accept(T),
    /// A reply to us that is wrong: stop trying, report `E`.
    Fail(E),
    /// Not a reply to this request (a late duplicate, a forgery): keep
    /// waiting until the deadline. The string says why, for `--trace`.
    Ignore(&'static str),
}

/// Most bytes of a datagram shown by `--trace`: all of a plain DNS message,
/// the start of a big echo.
const TRACE_BYTES: usize = 512;

/// Sends `request` on the connected `socket` and hands each datagram that
/// comes back to `judge`, until it accepts or fails one. After each
/// `policy.timeout` without an accepted reply, the same bytes are sent
/// again, up to `policy.retries` times.
///
/// Returns `Ok(Some((reply, try_number)))`, or `Ok(None)` when every try went
/// unanswered. `buf` is the receive buffer: its size decides what a too
/// large datagram is cut to, so callers size it one byte larger than the
/// largest reply they accept, and can then tell a cut reply from a whole one.
pub fn exchange<T, E: From<io::Error>>(
    socket: &UdpSocket,
    request: &[u8],
    policy: &RetryPolicy,
    buf: &mut [u8],
    label: &str,
    mut judge: impl FnMut(&[u8]) -> Verdict<T, E>,
) -> Result<Option<(T, u32)>, E> {
    let peer = socket.peer_addr()?;
    let attempts = policy.attempts();
    for attempt in 1..=attempts {
        socket.send(request)?;
        trace::hex(
            Dir::Out,
            peer,
            &format!("{label}, try {attempt} of {attempts}"),
            &request[..request.len().min(TRACE_BYTES)],
        );
        let deadline = Instant::now() + policy.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                trace::note(peer, format!("no reply within {:?}", policy.timeout));
                break;
            }
            socket.set_read_timeout(Some(left))?;
            let n = match socket.recv(buf) {
                Ok(n) => n,
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut =>
                {
                    continue;
                }
                // ConnectionRefused here is an ICMP "port unreachable".
                Err(e) => return Err(e.into()),
            };
            let reply = &buf[..n];
            trace::hex(Dir::In, peer, "reply", &reply[..n.min(TRACE_BYTES)]);
            match judge(reply) {
                Verdict::Accept(t) => return Ok(Some((t, attempt))),
                Verdict::Fail(e) => return Err(e),
                Verdict::Ignore(why) => trace::note(peer, format!("ignored: {why}")),
            }
        }
    }
    Ok(None)
}
