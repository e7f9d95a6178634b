//! Holding many idle connections, to weigh what a server spends on each.
//!
//! Each connection makes one request (or a WebSocket handshake), reads the
//! answer, and then says nothing: a kept-alive browser tab. The server's
//! resident memory with N of them, less its memory before, divided by N,
//! is its memory per idle connection.
//!
//! One source address can reach one server port from about 28,000
//! ephemeral ports (`/proc/sys/net/ipv4/ip_local_port_range`). The whole
//! of 127.0.0.0/8 is loopback, so connection *i* binds to 127.0.0.2 +
//! i / [`PER_SOURCE`] before it connects: 50,000 connections use three
//! source addresses. std's `TcpStream::connect` cannot choose a source
//! address, so `socket`, `bind` and `connect` come from the C library.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::FromRawFd;
use std::time::Duration;

use crate::ch02_http_by_hand::framing::content_length;
use crate::ch03_urls_and_clients::client::{Config as ClientConfig, read_one_head};
use crate::ch08_websocket::accept::new_key;
use crate::ch08_websocket::handshake::{check_response, client_request};
use crate::rng::Rng;

/// Connections per source address, well inside the ephemeral range.
pub const PER_SOURCE: usize = 20_000;
/// Most connections one holder keeps (source addresses 127.0.0.2 to .11).
pub const MAX_CONNECTIONS: usize = 200_000;
/// Longest wait to connect, and for one answer.
pub const IO_TIMEOUT: Duration = Duration::from_secs(2);
/// Failures in a row after which the holder stops: the server is full
/// (out of file descriptors, at its cap) or gone, and each further try
/// would only wait for its timeout.
pub const GIVE_UP_AFTER: usize = 10;

/// What each idle connection does before it goes quiet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `GET path` on a kept-alive connection.
    Http { path: String },
    /// The WebSocket handshake on `path`.
    WebSocket { path: String },
}

/// The connections held, and how many failed.
#[derive(Default)]
pub struct Held {
    pub streams: Vec<TcpStream>,
    pub failed: usize,
    pub first_error: Option<String>,
}

impl Held {
    /// How many of the held connections the server still keeps open. A
    /// server may close idle connections (chapter 5's does while others
    /// wait for a worker), and a connection it closed is not held: memory
    /// per connection is counted over these only.
    pub fn still_open(&self) -> usize {
        self.streams.iter().filter(|s| is_open(s)).count()
    }
}

/// Open unless the peer's FIN (or a reset) has arrived: a peek that
/// would block means nothing came, and nothing came means still open.
fn is_open(s: &TcpStream) -> bool {
    if s.set_nonblocking(true).is_err() {
        return false;
    }
    let mut byte = [0u8; 1];
    let open = match s.peek(&mut byte) {
        Ok(n) => n > 0,
        Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
    };
    let _ = s.set_nonblocking(false);
    open
}

/// The source address of connection `i`.
pub fn source_for(i: usize) -> Ipv4Addr {
    let n = 2 + (i / PER_SOURCE) as u32;
    Ipv4Addr::from(u32::from(Ipv4Addr::new(127, 0, 0, 0)) + n)
}

unsafe extern "C" {
    fn socket(domain: i32, ty: i32, protocol: i32) -> i32;
    fn bind(fd: i32, addr: *const SockAddrIn, len: u32) -> i32;
    fn connect(fd: i32, addr: *const SockAddrIn, len: u32) -> i32;
    fn setsockopt(fd: i32, level: i32, name: i32, value: *const i32, len: u32) -> i32;
    fn close(fd: i32) -> i32;
}

/// `struct sockaddr_in` (`netinet/in.h`): port and address in network order.
#[repr(C)]
struct SockAddrIn {
    family: u16,
    port: u16,
    addr: [u8; 4],
    zero: [u8; 8],
}

impl SockAddrIn {
    fn new(a: SocketAddrV4) -> SockAddrIn {
        SockAddrIn {
            family: 2, // AF_INET
            port: a.port().to_be(),
            addr: a.ip().octets(),
            zero: [0; 8],
        }
    }
}

/// A TCP connection to `to` from `from` (port chosen by the kernel). On
/// Linux a blocking `connect` gives up after `SO_SNDTIMEO`.
pub fn connect_from(from: Ipv4Addr, to: SocketAddrV4, timeout: Duration) -> io::Result<TcpStream> {
    const SOCK_STREAM_CLOEXEC: i32 = 1 | 0o2_000_000;
    const SOL_SOCKET: i32 = 1;
    const SO_LINGER: i32 = 13;
    const SO_SNDTIMEO: i32 = 21;
    let len = size_of::<SockAddrIn>() as u32;
    let tv = [timeout.as_secs() as i64, timeout.subsec_micros() as i64];
    // Linger 0: closing sends RST and leaves no TIME_WAIT behind, so the
    // next run finds every source port free again.
    let linger = [1i32, 0i32];
    // SAFETY: plain system calls on a descriptor we own; the structs are
    // laid out as the C headers declare them.
    unsafe {
        let fd = socket(2, SOCK_STREAM_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let ok = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, tv.as_ptr().cast(), 16) == 0
            && setsockopt(fd, SOL_SOCKET, SO_LINGER, linger.as_ptr().cast(), 8) == 0
            && bind(fd, &SockAddrIn::new(SocketAddrV4::new(from, 0)), len) == 0
            && connect(fd, &SockAddrIn::new(to), len) == 0;
        if !ok {
            let e = io::Error::last_os_error();
            close(fd);
            return Err(e);
        }
        Ok(TcpStream::from_raw_fd(fd))
    }
}

/// Opens one connection and makes its one exchange.
fn open_one(i: usize, to: SocketAddrV4, kind: &Kind) -> Result<TcpStream, String> {
    let mut s = connect_from(source_for(i), to, IO_TIMEOUT).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let host = to.to_string();
    let key = new_key(&mut Rng::new());
    let request = match kind {
        Kind::Http { path } => format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes(),
        Kind::WebSocket { path } => client_request(&host, path, &key, &[]),
    };
    s.write_all(&request).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let head = read_one_head(
        &mut s,
        &mut buf,
        &ClientConfig::default(),
        SocketAddr::V4(to),
    )
    .map_err(|e| e.to_string())?;
    match kind {
        Kind::Http { .. } if head.status == 200 => {
            let len = content_length(&head.headers).ok().flatten().unwrap_or(0);
            let mut rest = (len as usize).saturating_sub(buf.len());
            let mut chunk = [0u8; 4096];
            while rest > 0 {
                let n = s
                    .read(&mut chunk[..rest.min(4096)])
                    .map_err(|e| e.to_string())?;
                if n == 0 {
                    return Err("closed before the body ended".into());
                }
                rest -= n;
            }
            Ok(s)
        }
        Kind::Http { .. } => Err(format!("answered {} {}", head.status, head.reason)),
        Kind::WebSocket { .. } => check_response(&head, &key, &[]).map(|_| s),
    }
}

/// Opens `n` connections to `to` one after another and keeps those that
/// were answered. Stops early after [`GIVE_UP_AFTER`] failures in a row;
/// the connections not tried count as failed.
pub fn hold(to: SocketAddrV4, n: usize, kind: &Kind) -> Held {
    let mut held = Held::default();
    let mut failed_in_a_row = 0;
    for i in 0..n.min(MAX_CONNECTIONS) {
        match open_one(i, to, kind) {
            Ok(s) => {
                held.streams.push(s);
                failed_in_a_row = 0;
            }
            Err(e) => {
                held.failed += 1;
                held.first_error.get_or_insert(e);
                failed_in_a_row += 1;
                if failed_in_a_row >= GIVE_UP_AFTER {
                    held.failed += n - i - 1;
                    break;
                }
            }
        }
    }
    held
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    #[test]
    fn a_connection_the_server_closed_is_not_still_open() {
        use std::io::Read;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let kept = TcpStream::connect(addr).unwrap();
        let (_kept_there, _) = listener.accept().unwrap();
        let mut closed = TcpStream::connect(addr).unwrap();
        drop(listener.accept().unwrap());
        // Wait for the FIN itself (bounded), not for time to pass.
        closed
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        assert_eq!(closed.read(&mut [0u8; 1]).unwrap(), 0);
        let held = Held {
            streams: vec![kept, closed],
            ..Held::default()
        };
        assert_eq!(held.still_open(), 1);
    }

    #[test]
    fn sources_change_every_per_source_connections() {
        assert_eq!(source_for(0), Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(source_for(PER_SOURCE - 1), Ipv4Addr::new(127, 0, 0, 2));
        assert_eq!(source_for(PER_SOURCE), Ipv4Addr::new(127, 0, 0, 3));
        assert_eq!(
            source_for(MAX_CONNECTIONS - 1),
            Ipv4Addr::new(127, 0, 0, 11)
        );
    }

    #[test]
    fn a_connection_comes_from_the_chosen_source() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let SocketAddr::V4(to) = listener.local_addr().unwrap() else {
            unreachable!()
        };
        let from = Ipv4Addr::new(127, 0, 0, 3);
        let s = connect_from(from, to, IO_TIMEOUT).unwrap();
        let (_, peer) = listener.accept().unwrap();
        assert_eq!(peer.ip(), from);
        assert_eq!(s.local_addr().unwrap(), peer);
    }
}
