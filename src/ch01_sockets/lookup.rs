//! Turning a name into addresses, two ways.
//!
//! * [`system`]: ask the operating system, through `ToSocketAddrs`. That is
//!   `getaddrinfo(3)`, which reads `/etc/hosts`, `/etc/resolv.conf`,
//!   `nsswitch.conf`... and is what every program should normally use.
//! * [`query`]: send one DNS query, built by hand by [`super::dns`], to a
//!   server we name, over UDP. This is what the system resolver does inside,
//!   minus caching, search domains and fallbacks; doing it by hand shows the
//!   datagram, the timeout and the retries that UDP leaves to us.

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::Duration;

use super::dns::{self, Answer, DnsError, QType};
use super::retry::{self, RetryPolicy, Verdict};
use crate::rng::Rng;
use crate::trace;

/// The system resolver's addresses for `name`, in its order, without
/// duplicates (getaddrinfo returns one entry per socket type).
pub fn system(name: &str) -> io::Result<Vec<IpAddr>> {
    // ToSocketAddrs wants a port; 0 is as good as any and is ignored here.
    let mut addrs: Vec<IpAddr> = Vec::new();
    for sa in (name, 0).to_socket_addrs()? {
        if !addrs.contains(&sa.ip()) {
            addrs.push(sa.ip());
        }
    }
    Ok(addrs)
}

/// Why [`query`] gave no addresses.
#[derive(Debug)]
pub enum LookupError {
    /// The name cannot be asked, or the answer was unusable.
    Dns(DnsError),
    /// A socket error (ICMP "port unreachable" shows up here as
    /// `ConnectionRefused` on a connected UDP socket).
    Io(io::Error),
    /// No usable answer after every try.
    Timeout {
        attempts: u32,
        timeout: Duration,
        /// Answers dropped because their ID was not ours.
        wrong_id: u32,
        /// Answers dropped because they were too short to carry an ID.
        runts: u32,
    },
}

impl fmt::Display for LookupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupError::Dns(e) => write!(f, "{e}"),
            LookupError::Io(e) if e.kind() == io::ErrorKind::ConnectionRefused => write!(
                f,
                "the server refused the query (ICMP port unreachable: nothing listens on that UDP port)"
            ),
            LookupError::Io(e) => write!(f, "{e}"),
            LookupError::Timeout {
                attempts,
                timeout,
                wrong_id,
                runts,
            } => {
                write!(
                    f,
                    "no answer after {attempts} tries of {:.1} s each",
                    timeout.as_secs_f64()
                )?;
                if *wrong_id > 0 {
                    write!(
                        f,
                        "; ignored {wrong_id} answer(s) with the wrong query ID (a wrong ID may be a forgery: RFC 5452 §3)"
                    )?;
                }
                if *runts > 0 {
                    write!(f, "; ignored {runts} datagram(s) too short to be DNS")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for LookupError {}

impl From<DnsError> for LookupError {
    fn from(e: DnsError) -> Self {
        LookupError::Dns(e)
    }
}

impl From<io::Error> for LookupError {
    fn from(e: io::Error) -> Self {
        LookupError::Io(e)
    }
}

/// Receive buffer for answers. A conforming server sends at most
/// [`dns::MAX_UDP_MESSAGE`] bytes to a query without EDNS; a larger buffer
/// lets us see (and reject or accept whole) a server that sends more,
/// instead of having the kernel silently cut the datagram.
const RECV_BUF: usize = 4096;

/// Asks `server` for the `qtype` records of `name` over UDP.
///
/// The query ID is random and the socket's source port is a fresh one
/// chosen by the kernel: together they are the 32 bits an off-path attacker
/// would have to guess to forge an answer (RFC 5452 §3, §9.2). A datagram
/// whose ID is not ours is ignored, not believed and not fatal, and we keep
/// waiting; a datagram with our ID that does not parse or does not answer
/// our question is an error at once. Each unanswered try is sent again, the
/// same bytes from the same port, up to `opts.retries` times.
pub fn query(
    server: SocketAddr,
    name: &str,
    qtype: QType,
    opts: &RetryPolicy,
) -> Result<Answer, LookupError> {
    let id = Rng::new().next_u32() as u16;
    let packet = dns::build_query(id, name, qtype)?;
    let local: SocketAddr = match server {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local)?;
    // A connected UDP socket only receives datagrams from `server`, and
    // reports an ICMP "port unreachable" as ConnectionRefused.
    socket.connect(server)?;
    let mut buf = vec![0u8; RECV_BUF];
    trace::note(server, format!("query {name} {qtype}, ID 0x{id:04x}"));
    let (mut wrong_id, mut runts) = (0, 0);
    let judge = |reply: &[u8]| {
        let Some(got) = reply.get(..2) else {
            runts += 1;
            return Verdict::Ignore("too short to carry an ID");
        };
        if u16::from_be_bytes([got[0], got[1]]) != id {
            wrong_id += 1;
            return Verdict::Ignore("not our query ID");
        }
        let msg = match dns::parse_message(reply) {
            Ok(m) => m,
            Err(e) => return Verdict::Fail(LookupError::Dns(e)),
        };
        trace::note(server, dns::summary(&msg));
        match dns::answer_for(&msg, id, name, qtype) {
            Ok(answer) => Verdict::Accept(answer),
            Err(e) => Verdict::Fail(LookupError::Dns(e)),
        }
    };
    match retry::exchange(&socket, &packet, opts, &mut buf, "DNS query", judge)? {
        Some((answer, _)) => Ok(answer),
        None => Err(LookupError::Timeout {
            attempts: opts.attempts(),
            timeout: opts.timeout,
            wrong_id,
            runts,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_resolver_knows_localhost_literals() {
        assert_eq!(
            system("127.0.0.1").unwrap(),
            vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]
        );
    }

    #[test]
    fn bad_names_fail_before_any_socket() {
        let err = query(
            "127.0.0.1:9".parse().unwrap(),
            "a..b",
            QType::A,
            &RetryPolicy::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, LookupError::Dns(DnsError::BadName(_))),
            "{err}"
        );
    }
}
