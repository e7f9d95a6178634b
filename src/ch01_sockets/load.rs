//! A load generator for TCP echo servers: many connections, each sending a
//! message and waiting for its echo, again and again, for a fixed time.
//!
//! It measures what a reader's server (or the book's) does under load:
//! round trips per second, bytes echoed per second, and the latency of one
//! round trip (p50, p99, max, exact, from every sample). It checks every
//! echo too; a server that corrupts bytes under load fails the run.
//!
//! Each connection has two threads, one writing and one reading, for the
//! reason [`super::tcp_echo::roundtrip`] explains: a message larger than the
//! socket buffers would otherwise deadlock. Every connection is open before
//! the clock starts, so connection setup is not measured.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::tcp_echo;
use crate::rng::Rng;

/// The shape of the load.
#[derive(Debug, Clone, Copy)]
pub struct LoadConfig {
    pub connections: usize,
    /// Bytes in each message.
    pub size: usize,
    pub duration: Duration,
    /// Connect, read and write timeout on every socket.
    pub timeout: Duration,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub round_trips: u64,
    pub elapsed: Duration,
    pub size: usize,
    /// Latencies of every round trip, sorted.
    pub latencies: Vec<Duration>,
}

impl LoadReport {
    pub fn per_second(&self) -> f64 {
        self.round_trips as f64 / self.elapsed.as_secs_f64()
    }

    /// MiB echoed per second (each byte counted once, not there and back).
    pub fn mib_per_second(&self) -> f64 {
        self.round_trips as f64 * self.size as f64 / (1024.0 * 1024.0) / self.elapsed.as_secs_f64()
    }

    /// The `q` quantile (0.0 to 1.0) of the round-trip latency.
    pub fn quantile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let i = ((self.latencies.len() - 1) as f64 * q).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)]
    }
}

/// Runs the load against `addr` and returns what it measured, or the first
/// error of any connection (a refused connection, a timeout, a wrong echo).
pub fn run(addr: SocketAddr, cfg: &LoadConfig) -> io::Result<LoadReport> {
    let connections = cfg.connections.max(1);
    let mut streams = Vec::with_capacity(connections);
    for _ in 0..connections {
        let s = tcp_echo::connect(addr, cfg.timeout)?;
        s.set_nodelay(true)?;
        streams.push(s);
    }
    let start = Arc::new(Barrier::new(connections + 1));
    let mut workers = Vec::with_capacity(connections);
    for stream in streams {
        let start = Arc::clone(&start);
        let cfg = *cfg;
        workers.push(thread::spawn(move || one_connection(stream, &cfg, &start)));
    }
    start.wait();
    let began = Instant::now();
    let mut latencies = Vec::new();
    let mut first_error = None;
    for w in workers {
        match w.join() {
            Ok(Ok(mut l)) => latencies.append(&mut l),
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(_) => {
                first_error.get_or_insert(io::Error::other("a load thread panicked"));
            }
        }
    }
    let elapsed = began.elapsed();
    if let Some(e) = first_error {
        return Err(e);
    }
    latencies.sort_unstable();
    Ok(LoadReport {
        round_trips: latencies.len() as u64,
        elapsed,
        size: cfg.size,
        latencies,
    })
}

/// Round trips on one connection until the deadline; returns each latency.
fn one_connection(
    stream: TcpStream,
    cfg: &LoadConfig,
    start: &Barrier,
) -> io::Result<Vec<Duration>> {
    let message = Rng::new().bytes(cfg.size.max(1));
    let writer = stream.try_clone();
    // Wait at the barrier even on error, or the others would wait forever.
    start.wait();
    let mut writer = writer?;
    let (go, go_rx) = mpsc::channel::<()>();
    let to_write = message.clone();
    // The writer sends one message each time it is told to, and stops when
    // the channel closes.
    let writer_thread = thread::spawn(move || -> io::Result<()> {
        for () in go_rx {
            writer.write_all(&to_write)?;
        }
        Ok(())
    });
    let deadline = Instant::now() + cfg.duration;
    let mut latencies = Vec::new();
    let mut got = vec![0u8; message.len()];
    let mut reader = &stream;
    let result = loop {
        if Instant::now() >= deadline {
            break Ok(());
        }
        let t0 = Instant::now();
        if go.send(()).is_err() {
            break Err(io::Error::other("the writer thread stopped"));
        }
        if let Err(e) = reader.read_exact(&mut got) {
            break Err(e);
        }
        if got != message {
            break Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the echo differs from the message sent",
            ));
        }
        latencies.push(t0.elapsed());
    };
    drop(go);
    if result.is_err() {
        let _ = stream.shutdown(Shutdown::Both);
    }
    let written = writer_thread
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("writer thread panicked")));
    result?;
    written?;
    Ok(latencies)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch01_sockets::tcp_echo::{EchoConfig, serve};
    use std::net::TcpListener;

    #[test]
    fn a_short_run_measures_round_trips() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        thread::spawn(move || serve(l, EchoConfig::default()));
        let report = run(
            addr,
            &LoadConfig {
                connections: 4,
                size: 100_000,
                duration: Duration::from_millis(200),
                timeout: Duration::from_secs(5),
            },
        )
        .unwrap();
        assert!(report.round_trips > 0);
        assert!(report.quantile(0.99) >= report.quantile(0.5));
    }
}
