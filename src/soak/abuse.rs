//! Clients that misbehave: slowloris trickles, resets in the middle of a
//! request or of a WebSocket frame, garbage bytes. Their answers are not
//! judged (a 400, a 408 or a close are all fine); what is judged is that
//! the server stays well for everybody else, and its memory and fds flat.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::http::IO_TIMEOUT;
use super::{Stats, nap};
use crate::ch08_websocket::frame::{self, OpCode};
use crate::rng::Rng;

/// A slowloris sends one byte of its head this often.
pub const TRICKLE_EVERY: Duration = Duration::from_millis(500);
/// And gives up on a server that lets it trickle this long (the capstone's
/// head timeout is 10 s).
pub const TRICKLE_MAX: Duration = Duration::from_secs(30);

/// Trickles a request head a byte at a time until the server hangs up.
pub fn slowloris(addr: SocketAddr, stats: Arc<Stats>) {
    let head = b"GET /hello HTTP/1.1\r\nHost: soak\r\nX-Slow: ".repeat(4);
    while !stats.stopped() {
        let Ok(mut s) = TcpStream::connect_timeout(&addr, IO_TIMEOUT) else {
            nap(&stats, Duration::from_secs(1));
            continue;
        };
        Stats::add(&stats.abuse, 1);
        let start = Instant::now();
        for b in head.iter().cycle() {
            if stats.stopped() || start.elapsed() > TRICKLE_MAX || s.write_all(&[*b]).is_err() {
                break;
            }
            nap(&stats, TRICKLE_EVERY);
        }
    }
}

unsafe extern "C" {
    fn setsockopt(fd: i32, level: i32, name: i32, value: *const i32, len: u32) -> i32;
}

/// Closes `s` with a TCP reset instead of a FIN: `SO_LINGER` with a zero
/// timeout (Linux: `SOL_SOCKET` 1, `SO_LINGER` 13; `struct linger` is two
/// ints). std has no stable API for it.
fn reset(s: TcpStream) {
    let linger: [i32; 2] = [1, 0];
    // SAFETY: a valid fd and a pointer to 8 readable bytes, as the length says.
    unsafe {
        setsockopt(s.as_raw_fd(), 1, 13, linger.as_ptr(), 8);
    }
    drop(s);
}

/// Resets connections mid-request (head or body), mid-WebSocket-handshake
/// and mid-frame, in turn.
pub fn resets(addr: SocketAddr, stats: Arc<Stats>) {
    let mut rng = Rng::new();
    let mut n = 0u64;
    while !stats.stopped() {
        n += 1;
        let Ok(mut s) = TcpStream::connect_timeout(&addr, IO_TIMEOUT) else {
            nap(&stats, Duration::from_secs(1));
            continue;
        };
        let _ = s.set_read_timeout(Some(IO_TIMEOUT));
        Stats::add(&stats.abuse, 1);
        let _ = match n % 3 {
            0 => s.write_all(b"GET /p1.txt HTTP/1.1\r\nHost: so"),
            1 => s.write_all(
                b"POST /echo HTTP/1.1\r\nHost: soak\r\nContent-Length: 100000\r\n\r\nabc",
            ),
            _ => mid_frame(&mut s, &mut rng),
        };
        reset(s);
        nap(&stats, Duration::from_millis(20));
    }
}

/// A WebSocket handshake to `/ws/echo`, then half a masked frame.
fn mid_frame(s: &mut TcpStream, rng: &mut Rng) -> std::io::Result<()> {
    s.write_all(
        b"GET /ws/echo HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    )?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 4096 {
        s.read_exact(&mut byte)?;
        head.push(byte[0]);
    }
    let len = rng.range(10, 70_000);
    let payload = rng.bytes(len);
    let mut wire = Vec::new();
    let key = [1, 2, 3, 4];
    frame::encode(true, OpCode::Binary, &payload, Some(key), &mut wire);
    s.write_all(&wire[..wire.len() / 2])
}

/// Random bytes, and a few well-known wrong protocols, then whatever the
/// server answers is read (or not) and the connection closed.
pub fn garbage(addr: SocketAddr, stats: Arc<Stats>) {
    let mut rng = Rng::new();
    let known: [&[u8]; 3] = [
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", // a TLS ClientHello
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",             // the HTTP/2 preface
        b"SSH-2.0-OpenSSH_9.6\r\n",
    ];
    let mut n = 0usize;
    while !stats.stopped() {
        n += 1;
        let Ok(mut s) = TcpStream::connect_timeout(&addr, IO_TIMEOUT) else {
            nap(&stats, Duration::from_secs(1));
            continue;
        };
        Stats::add(&stats.abuse, 1);
        let _ = s.set_read_timeout(Some(IO_TIMEOUT));
        let bytes = match n % 4 {
            3 => known[n / 4 % known.len()].to_vec(),
            _ => {
                let len = rng.range(1, 4096);
                rng.bytes(len)
            }
        };
        let _ = s.write_all(&bytes);
        // Done sending: the server sees the end at once instead of waiting
        // out its head timeout for the rest.
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut sink = [0u8; 4096];
        let _ = s.read(&mut sink);
        nap(&stats, Duration::from_millis(20));
    }
}
