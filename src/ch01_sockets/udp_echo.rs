//! A UDP echo server and client: every datagram comes back as it was.
//!
//! UDP gives a program **datagrams**: one `send` is one `recv` on the other
//! side, whole or not at all. No connection, no order, no retransmission,
//! no flow control. So the client here does what TCP did for us in
//! [`super::tcp_echo`]: it waits with a timeout and sends again
//! ([`roundtrip`]).
//!
//! Sizes matter. A datagram has a 16-bit length, so its payload is at most
//! [`MAX_PAYLOAD_V4`] bytes over IPv4 (65 535 minus the 20-byte IP header
//! and the 8-byte UDP header) and [`MAX_PAYLOAD_V6`] over IPv6. Anything
//! larger than the path's MTU (1500 bytes on Ethernet, 64 KiB on loopback)
//! is fragmented by IP, and losing one fragment loses the whole datagram.
//! And a receive buffer smaller than the datagram **silently truncates** it:
//! `recv_from` returns the buffer's size and the rest is gone. The server
//! below receives into a buffer larger than any datagram so that never
//! happens to it, unless `--buffer` makes it smaller to show the effect.

use std::fmt;
use std::io;
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

use super::retry::{self, RetryPolicy, Verdict};
use crate::rng::Rng;
use crate::trace::{self, Dir};

/// Largest UDP payload over IPv4: 65 535 − 20 (IP header) − 8 (UDP header).
pub const MAX_PAYLOAD_V4: usize = 65_507;
/// Largest UDP payload over IPv6 without jumbograms: the IPv6 payload
/// length field (65 535) covers the 8-byte UDP header (RFC 8200 §3).
pub const MAX_PAYLOAD_V6: usize = 65_527;

/// The largest payload a datagram to `addr` can carry.
pub fn max_payload(addr: &SocketAddr) -> usize {
    match addr {
        SocketAddr::V4(_) => MAX_PAYLOAD_V4,
        SocketAddr::V6(_) => MAX_PAYLOAD_V6,
    }
}

/// The server's settings.
#[derive(Debug, Clone, Copy)]
pub struct UdpEchoConfig {
    /// Receive buffer size. The default, 65 536, is larger than any UDP
    /// payload, so nothing is ever truncated; set it lower to see truncation.
    pub buffer: usize,
    /// Percentage (0 to 100) of datagrams to drop on purpose, to watch the
    /// client's retries at work on a network that loses nothing.
    pub loss_percent: u32,
    /// Drop the first N datagrams (deterministic loss, for tests).
    pub drop_first: u64,
}

impl Default for UdpEchoConfig {
    fn default() -> Self {
        UdpEchoConfig {
            buffer: 65_536,
            loss_percent: 0,
            drop_first: 0,
        }
    }
}

/// Echoes datagrams forever. One loop serves every client: there are no
/// connections, each datagram carries its sender's address, and the answer
/// goes back to that address. An error with one datagram never stops it.
pub fn serve(socket: UdpSocket, cfg: UdpEchoConfig) -> io::Result<()> {
    let mut buf = vec![0u8; cfg.buffer.max(1)];
    let mut rng = Rng::new();
    let mut received: u64 = 0;
    loop {
        let (n, peer) = match socket.recv_from(&mut buf) {
            Ok(x) => x,
            // On some systems an ICMP error for an earlier send surfaces
            // here; it concerns that old peer, not this loop.
            Err(e) => {
                trace::note("udp", format!("recv_from: {e}"));
                continue;
            }
        };
        received += 1;
        let datagram = &buf[..n];
        trace::hex(Dir::In, peer, "datagram", &datagram[..n.min(64)]);
        if n == buf.len() {
            trace::note(
                peer,
                format!("filled the whole {n}-byte buffer: the datagram may have been truncated"),
            );
        }
        if received <= cfg.drop_first || rng.below(100) < cfg.loss_percent as u64 {
            trace::note(peer, "dropped on purpose (simulated loss)");
            continue;
        }
        match socket.send_to(datagram, peer) {
            Ok(_) => trace::frame(Dir::Out, peer, &format!("echoed {n} bytes")),
            Err(e) => trace::note(peer, format!("send_to: {e}")),
        }
    }
}

/// Why a UDP echo failed.
#[derive(Debug)]
pub enum UdpEchoError {
    /// The payload cannot fit in one datagram.
    TooBig {
        len: usize,
        max: usize,
    },
    /// The echo came back shorter: somewhere a buffer was too small.
    Truncated {
        sent: usize,
        got: usize,
    },
    /// No echo after every try.
    Timeout {
        attempts: u32,
        timeout: Duration,
    },
    Io(io::Error),
}

impl fmt::Display for UdpEchoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UdpEchoError::TooBig { len, max } => write!(
                f,
                "{len} bytes do not fit in one UDP datagram (at most {max} bytes of payload)"
            ),
            UdpEchoError::Truncated { sent, got } => write!(
                f,
                "echo truncated: sent {sent} bytes, got {got} back (the server's receive buffer is too small)"
            ),
            UdpEchoError::Timeout { attempts, timeout } => write!(
                f,
                "no echo after {attempts} tries of {:.1} s each (lost, or no server)",
                timeout.as_secs_f64()
            ),
            UdpEchoError::Io(e) if e.kind() == io::ErrorKind::ConnectionRefused => write!(
                f,
                "connection refused: ICMP port unreachable, nothing listens on that UDP port"
            ),
            UdpEchoError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for UdpEchoError {}

impl From<io::Error> for UdpEchoError {
    fn from(e: io::Error) -> Self {
        UdpEchoError::Io(e)
    }
}

/// A UDP socket on an ephemeral port of the right family, connected to
/// `server`: `send` goes there, `recv` only accepts datagrams from there,
/// and an ICMP "port unreachable" becomes `ConnectionRefused`.
pub fn connect(server: SocketAddr) -> io::Result<UdpSocket> {
    let local: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().expect("literal")
    } else {
        "[::]:0".parse().expect("literal")
    };
    let socket = UdpSocket::bind(local)?;
    socket.connect(server)?;
    Ok(socket)
}

/// Sends `payload` as one datagram on a connected `socket` and waits for the
/// same bytes to come back, sending again up to `policy.retries` times.
/// Returns the number of tries it took.
///
/// Echo has no request IDs, so a late echo of an *earlier* payload is told
/// apart only by its content: a datagram that is not our payload is ignored.
/// One that is a strict prefix of it is a truncated echo, an error. (DNS
/// carries an ID in every message for exactly this reason.)
pub fn roundtrip(
    socket: &UdpSocket,
    payload: &[u8],
    policy: &RetryPolicy,
) -> Result<u32, UdpEchoError> {
    let peer = socket.peer_addr()?;
    let max = max_payload(&peer);
    if payload.len() > max {
        return Err(UdpEchoError::TooBig {
            len: payload.len(),
            max,
        });
    }
    // One byte more than we sent: a longer datagram is not our echo, and
    // we can tell it from an exact fit.
    let mut buf = vec![0u8; payload.len() + 1];
    let judge = |got: &[u8]| {
        if got == payload {
            Verdict::Accept(())
        } else if got.len() < payload.len() && payload.starts_with(got) {
            Verdict::Fail(UdpEchoError::Truncated {
                sent: payload.len(),
                got: got.len(),
            })
        } else {
            Verdict::Ignore("not the echo of this payload (a late duplicate?)")
        }
    };
    match retry::exchange(socket, payload, policy, &mut buf, "datagram", judge)? {
        Some(((), tries)) => Ok(tries),
        None => Err(UdpEchoError::Timeout {
            attempts: policy.attempts(),
            timeout: policy.timeout,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread;

    fn start(cfg: UdpEchoConfig) -> SocketAddr {
        let s = UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = s.local_addr().unwrap();
        thread::spawn(move || serve(s, cfg));
        addr
    }

    #[test]
    fn a_datagram_comes_back_whole() {
        let addr = start(UdpEchoConfig::default());
        let s = connect(addr).unwrap();
        let payload = Rng::new().bytes(1000);
        assert_eq!(roundtrip(&s, &payload, &RetryPolicy::default()).unwrap(), 1);
    }

    #[test]
    fn oversize_payloads_are_refused_before_sending() {
        let s = connect("127.0.0.1:9".parse().unwrap()).unwrap();
        let err = roundtrip(&s, &vec![0; MAX_PAYLOAD_V4 + 1], &RetryPolicy::default());
        assert!(matches!(err, Err(UdpEchoError::TooBig { .. })));
    }
}
