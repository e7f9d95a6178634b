//! The soak test: the capstone under every kind of load at once, for
//! minutes, watched from outside (`make soak`, `cargo run --release --bin
//! soak`).
//!
//! A benchmark asks "how fast"; a soak asks "does it stay well". It runs,
//! together and for the whole duration:
//!
//! * HTTP keep-alive clients and pipelining clients ([`load`]);
//! * uploads and downloads, some of them cut off mid-body;
//! * WebSocket echo clients and chat members ([`ws`]);
//! * slowloris trickles, clients that reset mid-request and mid-frame,
//!   garbage bytes ([`abuse`]);
//! * periodic reconnect storms.
//!
//! Every [`Config::sample_every`] it reads the server's memory, open file
//! descriptors and threads from `/proc/PID/` ([`sample`]), writes them to
//! `samples.csv` and draws them ([`svg`]). At the end it sends SIGTERM and
//! expects every open WebSocket to be closed with 1001 and the server to
//! exit 0.
//!
//! Pass means: no crash, no failed well-formed request, memory, fds and
//! threads flat after warm-up ([`sample::Limits`] says how flat), and the
//! clean shutdown. Every address is loopback: the server is started here.

pub mod abuse;
pub mod http;
pub mod load;
pub mod report;
pub mod sample;
pub mod svg;
pub mod ws;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How long and against what.
#[derive(Debug, Clone)]
pub struct Config {
    /// The server binary; it must take `--addr`, `--root`, `--uploads`.
    pub server: PathBuf,
    /// More arguments for it (`--event-loop`, `--quiet`...).
    pub server_args: Vec<String>,
    pub duration: Duration,
    pub sample_every: Duration,
    /// Where `samples.csv` and `soak.svg` go.
    pub out_dir: PathBuf,
    /// Clients of each steady kind (keep-alive, echo, chat...).
    pub clients: usize,
    /// Connections opened at once by a reconnect storm.
    pub storm_size: usize,
    /// Only these kinds of load ([`KINDS`]); all when empty. To find which
    /// load a growth comes from.
    pub only: Vec<String>,
    /// Keep glibc's per-thread malloc caches on in the server (off by
    /// default: see [`report::NO_THREAD_CACHES`]).
    pub allocator_caches: bool,
}

/// The kinds of load, as `--only` names them.
pub const KINDS: &[&str] = &[
    "keepalive",
    "pipelined",
    "transfers",
    "slowloris",
    "echo",
    "chat",
    "resets",
    "garbage",
    "storm",
];

impl Config {
    /// The defaults of `make soak`: 10 minutes, a sample every 10 s.
    pub fn new(server: impl Into<PathBuf>) -> Config {
        Config {
            server: server.into(),
            server_args: vec!["--quiet".into()],
            duration: Duration::from_secs(600),
            sample_every: Duration::from_secs(10),
            out_dir: PathBuf::from("target/soak"),
            clients: 3,
            storm_size: 64,
            only: Vec::new(),
            allocator_caches: false,
        }
    }

    /// Whether load of this kind runs.
    pub fn runs(&self, kind: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|k| k == kind)
    }
}

/// Most failures kept with their details; the rest are only counted.
pub const MAX_FAILURES_KEPT: usize = 100;

/// What the load generators count, shared by all their threads.
#[derive(Debug, Default)]
pub struct Stats {
    /// Well-formed HTTP requests answered correctly.
    pub requests: AtomicU64,
    /// WebSocket messages received as expected (echo and chat).
    pub messages: AtomicU64,
    /// Abusive connections made (slowloris, resets, garbage, cut-offs).
    pub abuse: AtomicU64,
    /// Well-formed requests or messages that failed.
    pub failed: AtomicU64,
    failures: Mutex<Vec<String>>,
    /// Set when the load must stop.
    pub stop: AtomicBool,
}

impl Stats {
    /// Records a failure: what was sent, and what went wrong.
    pub fn fail(&self, what: impl Into<String>) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        let mut f = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if f.len() < MAX_FAILURES_KEPT {
            f.push(what.into());
        }
    }

    pub fn failures(&self) -> Vec<String> {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

pub use report::{Report, run};

/// Sleeps up to `d`, waking early once the load is stopped.
pub fn nap(stats: &Arc<Stats>, d: Duration) {
    let end = std::time::Instant::now() + d;
    while !stats.stopped() {
        let now = std::time::Instant::now();
        if now >= end {
            return;
        }
        std::thread::sleep((end - now).min(Duration::from_millis(100)));
    }
}
