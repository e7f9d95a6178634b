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
use std::time::{Duration, Instant};

use super::dns::{self, Answer, DnsError, QType};
use crate::rng::Rng;
use crate::trace::{self, Dir};

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

/// How patient [`query`] is.
#[derive(Debug, Clone, Copy)]
pub struct QueryOptions {
    /// How long to wait for an answer after each send.
    pub timeout: Duration,
    /// How many times to send again after the first try went unanswered.
    pub retries: u32,
}

impl Default for QueryOptions {
    /// glibc's defaults (`resolv.conf(5)`: `timeout:5`, `attempts:2`) are
    /// made for the Internet; one second and two retries is plenty for a
    /// server on the LAN or loopback and keeps the worst case at 3 s.
    fn default() -> Self {
        QueryOptions {
            timeout: Duration::from_secs(1),
            retries: 2,
        }
    }
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
                        "; ignored {wrong_id} answer(s) with the wrong query ID (RFC 5452 §9.1: a wrong ID may be a forgery)"
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
/// would have to guess to forge an answer (RFC 5452 §4, §9.2). A datagram
/// whose ID is not ours is ignored, not believed and not fatal, and we keep
/// waiting; a datagram with our ID that does not parse or does not answer
/// our question is an error at once. Each unanswered try is sent again, the
/// same bytes from the same port, up to `opts.retries` times.
pub fn query(
    server: SocketAddr,
    name: &str,
    qtype: QType,
    opts: &QueryOptions,
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
    let attempts = opts.retries.saturating_add(1);
    let (mut wrong_id, mut runts) = (0, 0);
    for attempt in 1..=attempts {
        trace::note(
            server,
            format!("query {name} {qtype}, try {attempt} of {attempts}"),
        );
        trace::hex(Dir::Out, server, "DNS query", &packet);
        socket.send(&packet)?;
        let deadline = Instant::now() + opts.timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                trace::note(server, format!("no answer within {:?}", opts.timeout));
                break;
            }
            socket.set_read_timeout(Some(left))?;
            let n = match socket.recv(&mut buf) {
                Ok(n) => n,
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut =>
                {
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            let reply = &buf[..n];
            trace::hex(Dir::In, server, "DNS answer", reply);
            if n < 2 {
                runts += 1;
                trace::note(server, "too short to carry an ID: ignored");
                continue;
            }
            let got_id = u16::from_be_bytes([reply[0], reply[1]]);
            if got_id != id {
                wrong_id += 1;
                trace::note(
                    server,
                    format!("ID 0x{got_id:04x} is not our 0x{id:04x}: ignored"),
                );
                continue;
            }
            let msg = dns::parse_message(reply)?;
            trace::note(server, dns::summary(&msg));
            return Ok(dns::answer_for(&msg, id, name, qtype)?);
        }
    }
    Err(LookupError::Timeout {
        attempts,
        timeout: opts.timeout,
        wrong_id,
        runts,
    })
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
            &QueryOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(err, LookupError::Dns(DnsError::BadName(_))),
            "{err}"
        );
    }
}
