//! A TCP echo server and client: every byte a client sends comes back.
//!
//! Echo is the smallest protocol there is (RFC 862), which leaves room to
//! look at what TCP actually gives a program:
//!
//! * a **byte stream**, not messages: one `write` of 10 bytes may arrive as
//!   two `read`s of 4 and 6, and two `write`s may arrive as one `read`. The
//!   server therefore never waits for "a message"; it echoes whatever one
//!   `read` returned. The client knows how many bytes it sent and reads
//!   until that many came back ([`roundtrip`]).
//! * `read` **may return less than asked**, and `write` may write less than
//!   given. `Write::write_all` is the loop that writes everything; the read
//!   side has no such loop because only the protocol knows when to stop.
//! * a connection can go quiet forever. Every read and write here has a
//!   timeout, and the server holds at most one buffer of
//!   [`EchoConfig::buffer`] bytes per client, however much the client sends:
//!   if the client does not read its echo, TCP's flow control makes the
//!   server's `write` wait, the server stops reading, and the client's own
//!   `write` waits in turn. Memory stays bounded without any code for it.
//!
//! Two ways to serve: [`Mode::Sequential`] (one client at a time: a second
//! client waits until the first leaves, which the chapter demonstrates) and
//! [`Mode::Threaded`] (a thread per client, with a limit on their number).

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use crate::trace::{self, Dir};

/// One client at a time, or a thread for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Sequential,
    Threaded,
}

impl FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Mode, String> {
        match s {
            "sequential" => Ok(Mode::Sequential),
            "threaded" => Ok(Mode::Threaded),
            _ => Err("expected sequential or threaded".to_string()),
        }
    }
}

/// The server's limits.
#[derive(Debug, Clone, Copy)]
pub struct EchoConfig {
    pub mode: Mode,
    /// A client that sends nothing (or reads nothing) for this long is
    /// disconnected. Without it one silent client would hold a thread, or
    /// in sequential mode the whole server, forever.
    pub timeout: Duration,
    /// Bytes read at a time: the most the server ever holds for one client.
    pub buffer: usize,
    /// Most clients served at once in threaded mode; one more is
    /// disconnected at once instead of costing another thread.
    pub max_clients: usize,
}

impl Default for EchoConfig {
    fn default() -> Self {
        EchoConfig {
            mode: Mode::Threaded,
            timeout: Duration::from_secs(30),
            // 64 KiB: with 16 KiB the server made four times the system
            // calls for big transfers and echoed 3 to 5 times fewer bytes a
            // second (measured with `--load`); 256 clients × 64 KiB is 16 MiB.
            buffer: 64 * 1024,
            max_clients: 256,
        }
    }
}

/// What happened on one connection, for the trace and for tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EchoStats {
    pub bytes: u64,
    pub reads: u64,
}

/// Hex-dumps small chunks and summarises big ones, so that `--trace` shows
/// the read boundaries without flooding the terminal.
fn trace_chunk(dir: Dir, peer: SocketAddr, verb: &str, bytes: &[u8]) {
    trace::payload(dir, peer, verb, bytes, 64);
}

/// Echoes everything `stream` sends back to it until the client closes its
/// side, an error, or a timeout. Returns what went through.
///
/// The loop is the whole protocol: read *some* bytes (`n` is whatever TCP
/// had, from 1 to `buf.len()`), write *all* of them back, repeat. `read`
/// returning 0 means the client shut down its sending side; we then shut
/// down ours so the client's read sees the end too.
pub fn echo_client(mut stream: TcpStream, cfg: &EchoConfig) -> io::Result<EchoStats> {
    let peer = stream.peer_addr()?;
    stream.set_read_timeout(Some(cfg.timeout))?;
    stream.set_write_timeout(Some(cfg.timeout))?;
    let mut buf = vec![0u8; cfg.buffer.max(1)];
    let mut stats = EchoStats::default();
    trace::note(peer, "connected");
    let result = loop {
        let n = match stream.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => break Err(e),
        };
        stats.reads += 1;
        stats.bytes += n as u64;
        trace_chunk(Dir::In, peer, "read", &buf[..n]);
        if let Err(e) = stream.write_all(&buf[..n]) {
            break Err(e);
        }
        trace::frame(Dir::Out, peer, &format!("wrote all {n} bytes back"));
    };
    match &result {
        Ok(()) => {
            trace::note(
                peer,
                format!(
                    "client closed after {} bytes in {} reads",
                    stats.bytes, stats.reads
                ),
            );
            let _ = stream.shutdown(Shutdown::Write);
        }
        Err(e) if is_timeout(e) => {
            trace::note(peer, format!("idle for {:?}: disconnecting", cfg.timeout))
        }
        Err(e) => trace::note(peer, format!("error: {e}")),
    }
    result.map(|()| stats)
}

/// A read or write timeout shows up as `WouldBlock` on Unix and `TimedOut`
/// on Windows.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// How long [`accept_retrying`] pauses after `accept` itself failed.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Accepts the next connection, however long that takes.
///
/// An error of `accept` itself (out of file descriptors, say) is no reason
/// to stop serving: it is reported and retried after [`ACCEPT_BACKOFF`].
/// The pause matters: the pending connection stays in the backlog, so an
/// immediate retry fails again at once and the loop would only spin the
/// CPU. An interrupted call (`EINTR`) is retried at once. Chapters 2 and 4
/// accept through this too.
pub fn accept_retrying(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        if let Some(conn) = accept_once(listener) {
            return conn;
        }
    }
}

/// One try of [`accept_retrying`]: the connection, or `None` after an
/// error has been reported and waited out (at once for `EINTR`). For a
/// loop that must look at something else between tries (chapter 5's
/// server, whether it is shutting down).
pub fn accept_once(listener: &TcpListener) -> Option<(TcpStream, SocketAddr)> {
    match listener.accept() {
        Ok(conn) => Some(conn),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => None,
        Err(e) => {
            eprintln!("accept failed: {e}");
            thread::sleep(ACCEPT_BACKOFF);
            None
        }
    }
}

/// Accepts clients forever and echoes to each, as `cfg.mode` says.
///
/// Errors of one client never stop the server, and neither do errors of
/// `accept` itself ([`accept_retrying`]).
pub fn serve(listener: TcpListener, cfg: EchoConfig) -> io::Result<()> {
    let active = Arc::new(AtomicUsize::new(0));
    loop {
        let (stream, _) = accept_retrying(&listener);
        match cfg.mode {
            // The whole problem of sequential mode is this line: while it
            // runs, nobody else is accepted.
            Mode::Sequential => {
                let _ = echo_client(stream, &cfg);
            }
            Mode::Threaded => {
                if active.load(Ordering::SeqCst) >= cfg.max_clients {
                    if let Ok(peer) = stream.peer_addr() {
                        trace::note(peer, "too many clients: disconnecting");
                    }
                    continue;
                }
                active.fetch_add(1, Ordering::SeqCst);
                let counter = Arc::clone(&active);
                let spawned = thread::Builder::new()
                    .name("echo-client".to_string())
                    .spawn(move || {
                        let _ = echo_client(stream, &cfg);
                        counter.fetch_sub(1, Ordering::SeqCst);
                    });
                if let Err(e) = spawned {
                    // The closure (and its decrement) never ran.
                    active.fetch_sub(1, Ordering::SeqCst);
                    eprintln!("cannot start a thread: {e}");
                }
            }
        }
    }
}

/// Sends `payload` on `stream` and reads until as many bytes came back.
/// Returns the echo and how many `read` calls it took (more than one
/// whenever TCP split the bytes, which for large payloads is always).
///
/// Writing and reading happen **at the same time**, on two threads. A
/// client that wrote everything first and read afterwards would deadlock on
/// a large payload: the server's echo fills our receive buffer and its send
/// buffer, the server blocks in `write`, stops reading, our send buffer
/// fills, and our `write_all` blocks too, each side waiting for the other.
pub fn roundtrip(stream: &TcpStream, payload: &[u8]) -> io::Result<(Vec<u8>, u64)> {
    let peer = stream.peer_addr()?;
    thread::scope(|s| {
        let writer = s.spawn(|| {
            let mut w = stream;
            w.write_all(payload)?;
            trace_chunk(Dir::Out, peer, "sent", payload);
            Ok::<(), io::Error>(())
        });
        let mut got = Vec::with_capacity(payload.len());
        let mut buf = vec![0u8; 64 * 1024];
        let mut reads = 0;
        let mut r = stream;
        let read_result = loop {
            if got.len() >= payload.len() {
                break Ok(());
            }
            let want = (payload.len() - got.len()).min(buf.len());
            match r.read(&mut buf[..want]) {
                Ok(0) => {
                    break Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!(
                            "server closed the connection after echoing {} of {} bytes",
                            got.len(),
                            payload.len()
                        ),
                    ));
                }
                Ok(n) => {
                    reads += 1;
                    trace_chunk(Dir::In, peer, "received", &buf[..n]);
                    got.extend_from_slice(&buf[..n]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        if read_result.is_err() {
            // Unblock the writer if it is stuck on a server that stopped reading.
            let _ = stream.shutdown(Shutdown::Both);
        }
        let write_result = writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("writer thread panicked")));
        read_result?;
        write_result?;
        Ok((got, reads))
    })
}

/// The echo client's default timeout for the connect and each read and
/// write (`ch01_tcp_echo_client --timeout`): on loopback or a LAN an echo
/// comes back in well under a millisecond, so five seconds means "gone".
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Connects to an echo server with `timeout` on the connect and on every
/// read and write.
pub fn connect(addr: SocketAddr, timeout: Duration) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    Ok(stream)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(cfg: EchoConfig) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        thread::spawn(move || serve(l, cfg));
        addr
    }

    #[test]
    fn one_write_of_a_megabyte_takes_many_reads() {
        let addr = start(EchoConfig::default());
        let s = connect(addr, Duration::from_secs(5)).unwrap();
        let payload = crate::rng::Rng::new().bytes(1 << 20);
        let (got, reads) = roundtrip(&s, &payload).unwrap();
        assert!(got == payload, "echo differs");
        // The server reads at most 64 KiB at a time, so at least 16 echo
        // chunks crossed the wire; we read 64 KiB at most at a time.
        assert!(reads >= 16, "only {reads} reads for 1 MiB");
    }

    #[test]
    fn a_tiny_buffer_still_echoes_everything() {
        let addr = start(EchoConfig {
            buffer: 1,
            ..EchoConfig::default()
        });
        let s = connect(addr, Duration::from_secs(5)).unwrap();
        let (got, _) = roundtrip(&s, b"hello, byte stream").unwrap();
        assert_eq!(got, b"hello, byte stream");
    }

    #[test]
    fn mode_parses() {
        assert_eq!("threaded".parse::<Mode>(), Ok(Mode::Threaded));
        assert!("forked".parse::<Mode>().is_err());
    }
}
