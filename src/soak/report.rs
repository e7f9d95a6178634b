//! Running a soak from start to verdict: start the server, start the
//! load, sample, stop, SIGTERM, judge.

use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::sample::{self, Limits, Sample};
use super::ws::Ending;
use super::{Config, Stats, abuse, load, svg, ws};
use crate::testkit::{SIGTERM, Server};

/// How long the server may take to exit after SIGTERM (its drain timeout
/// is 10 s by default).
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(30);
/// Warm-up: the first fifth of the run, at least two samples, at most 2 min.
pub const MAX_WARMUP: Duration = Duration::from_secs(120);

/// Most connections of the warm-up: under the capstone's default
/// `--max-connections` (1024), which would answer more with 503.
pub const MAX_WARM_UP_CONNECTIONS: usize = 512;

/// glibc's per-thread cache of freed blocks (tcache: 64 sizes, 7 blocks
/// each, per thread) fills slowly and at random as requests of new sizes
/// come, one thread at a time: with 128 workers that is many MiB, climbing
/// for many minutes, and bounded. It says nothing about the server and
/// would hide (or fake) a leak, so the soak turns it off unless asked.
pub const NO_THREAD_CACHES: &str = "glibc.malloc.tcache_count=0";

/// The workers a server of these arguments will have, times two.
fn warm_up_connections(args: &[String]) -> usize {
    let threads = args
        .iter()
        .position(|a| a == "--threads")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(DEFAULT_SERVER_THREADS);
    (threads * 2).clamp(16, MAX_WARM_UP_CONNECTIONS)
}

/// The capstone's default `--threads`.
pub const DEFAULT_SERVER_THREADS: usize = 128;

/// What a soak saw, and its verdict.
#[derive(Debug)]
pub struct Report {
    pub samples: Vec<Sample>,
    pub warmup_s: f64,
    /// Per minute after warm-up, with standard errors: RSS KiB, fds, threads.
    pub slopes: [(f64, f64); 3],
    pub limits: Limits,
    pub requests: u64,
    pub messages: u64,
    pub abuse: u64,
    pub failed: u64,
    pub failures: Vec<String>,
    /// How each WebSocket client's connection ended at SIGTERM.
    pub endings: Vec<Ending>,
    /// Every condition that failed; empty means pass.
    pub problems: Vec<String>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }

    /// A human summary: figures, slopes against their limits, verdict.
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let last = self.samples.last();
        let _ = writeln!(
            s,
            "soak: {} samples, warm-up {:.0} s; {} requests, {} WebSocket messages, {} abusive connections, {} failures",
            self.samples.len(),
            self.warmup_s,
            self.requests,
            self.messages,
            self.abuse,
            self.failed
        );
        if let Some(l) = last {
            let _ = writeln!(
                s,
                "last sample: RSS {:.1} MiB, {} fds, {} threads",
                l.rss_kib as f64 / 1024.0,
                l.fds,
                l.threads
            );
        }
        let [r, f, t] = self.slopes;
        let _ = writeln!(
            s,
            "slopes after warm-up (least squares, ± standard error): RSS {:+.0} ± {:.0} KiB/min (allowed {:.0}), \
             fds {:+.2} ± {:.2}/min, threads {:+.2} ± {:.2}/min (allowed {:.2}); a leak is over the limit and > {} errors above 0",
            r.0,
            r.1,
            self.limits.rss_kib_per_min,
            f.0,
            f.1,
            t.0,
            t.1,
            self.limits.count_per_min,
            sample::SIGNIFICANCE
        );
        for f in &self.failures {
            let _ = writeln!(s, "  failure: {f}");
        }
        for p in &self.problems {
            let _ = writeln!(s, "FAIL: {p}");
        }
        let _ = writeln!(s, "soak: {}", if self.passed() { "PASS" } else { "FAIL" });
        s
    }
}

/// Starts the server as `cfg` says, with the soak's own root and uploads.
fn start_server(cfg: &Config) -> io::Result<Server> {
    let root = cfg.out_dir.join("root");
    let uploads = cfg.out_dir.join("uploads");
    let _ = std::fs::remove_dir_all(&uploads);
    std::fs::create_dir_all(&uploads)?;
    let mut cmd = Command::new(&cfg.server);
    if !cfg.allocator_caches && std::env::var_os("GLIBC_TUNABLES").is_none() {
        cmd.env("GLIBC_TUNABLES", NO_THREAD_CACHES);
    }
    cmd.args(&cfg.server_args)
        .arg("--root")
        .arg(&root)
        .arg("--uploads")
        .arg(&uploads)
        .args(["--addr", "127.0.0.1:0"]);
    Ok(Server::start_command(cmd))
}

type Clients = (Vec<JoinHandle<()>>, Vec<JoinHandle<Ending>>);

/// Starts every kind of client that `cfg` runs.
fn start_load(addr: SocketAddr, cfg: &Config, stats: &Arc<Stats>, big: Arc<Vec<u8>>) -> Clients {
    let mut http = Vec::new();
    let mut wss = Vec::new();
    let mut go = |kind: &str, f: Box<dyn FnOnce() + Send>| {
        if cfg.runs(kind) {
            http.push(thread::spawn(f));
        }
    };
    for i in 0..cfg.clients {
        let (s1, s2, s3, s4, b) = (
            stats.clone(),
            stats.clone(),
            stats.clone(),
            stats.clone(),
            big.clone(),
        );
        go("keepalive", Box::new(move || load::keep_alive(addr, s1)));
        go("pipelined", Box::new(move || load::pipelined(addr, s2)));
        go(
            "transfers",
            Box::new(move || load::transfers(addr, s3, b, i)),
        );
        go("slowloris", Box::new(move || abuse::slowloris(addr, s4)));
    }
    let (s7, s8) = (stats.clone(), stats.clone());
    go("resets", Box::new(move || abuse::resets(addr, s7)));
    go("garbage", Box::new(move || abuse::garbage(addr, s8)));
    for i in 0..cfg.clients {
        let (s5, s6) = (stats.clone(), stats.clone());
        if cfg.runs("echo") {
            wss.push(thread::spawn(move || ws::echo(addr, s5)));
        }
        if cfg.runs("chat") {
            wss.push(thread::spawn(move || ws::chat(addr, s6, i)));
        }
    }
    (http, wss)
}

/// Runs a whole soak as `cfg` says; the samples go to
/// `cfg.out_dir/samples.csv` and `soak.svg` as they come.
pub fn run(cfg: &Config) -> io::Result<Report> {
    std::fs::create_dir_all(&cfg.out_dir)?;
    let big = Arc::new(load::write_root(&cfg.out_dir.join("root"))?);
    let server = start_server(cfg)?;
    let (addr, pid) = (server.addr, server.pid());
    println!(
        "soak: {} on {addr} (pid {pid}) for {:?}",
        cfg.server.display(),
        cfg.duration
    );
    let stats = Arc::new(Stats::default());
    // More connections than the server has workers, so that every worker
    // has served before the clock starts. Pools start workers on demand, so
    // /proc cannot tell how many there will be: twice the capstone's
    // default of 128 (or what --threads says).
    let warm = warm_up_connections(&cfg.server_args);
    load::warm_up(addr, &stats, warm, &big);
    println!(
        "soak: warmed up {warm} workers with {} requests",
        stats.requests.load(Ordering::Relaxed)
    );
    let (http, wss) = start_load(addr, cfg, &stats, big);
    let warmup = (cfg.duration / 5).max(cfg.sample_every * 2).min(MAX_WARMUP);
    let (samples, died) = watch(cfg, pid, addr, &stats, warmup);

    stats.stop.store(true, Ordering::Relaxed);
    for h in http {
        let _ = h.join();
    }
    server.signal(SIGTERM);
    let endings: Vec<Ending> = wss
        .into_iter()
        .map(|h| {
            h.join()
                .unwrap_or_else(|_| Ending::Other("client panicked".into()))
        })
        .collect();
    let (status, stderr) = server.wait_exit_with_stderr(EXIT_TIMEOUT);
    let after: Vec<Sample> = samples
        .iter()
        .filter(|s| s.t >= warmup.as_secs_f64())
        .copied()
        .collect();
    let window = after
        .last()
        .zip(after.first())
        .map_or(0.0, |(l, f)| (l.t - f.t) / 60.0);
    let mut report = Report {
        warmup_s: warmup.as_secs_f64(),
        slopes: sample::slopes(&after),
        limits: Limits::for_window(window),
        requests: stats.requests.load(Ordering::Relaxed),
        messages: stats.messages.load(Ordering::Relaxed),
        abuse: stats.abuse.load(Ordering::Relaxed),
        failed: stats.failed.load(Ordering::Relaxed),
        failures: stats.failures(),
        endings,
        problems: Vec::new(),
        samples,
    };
    judge(&mut report, &after, died, status.map(|s| s.code()), &stderr);
    Ok(report)
}

/// Samples every `cfg.sample_every` until the duration is over; a reconnect
/// storm follows every other sample. Returns the samples, and whether the
/// server died.
fn watch(
    cfg: &Config,
    pid: u32,
    addr: SocketAddr,
    stats: &Arc<Stats>,
    warmup: Duration,
) -> (Vec<Sample>, bool) {
    let start = Instant::now();
    let mut samples: Vec<Sample> = Vec::new();
    let (mut last_req, mut last_msg, mut last_t) = (0u64, 0u64, 0f64);
    let mut n = 0u32;
    while start.elapsed() < cfg.duration {
        n += 1;
        let due = cfg.sample_every * n;
        thread::sleep(due.min(cfg.duration).saturating_sub(start.elapsed()));
        let t = start.elapsed().as_secs_f64();
        let Some((rss_kib, fds, threads)) = sample::read_proc(pid) else {
            return (samples, true);
        };
        let (req, msg) = (
            stats.requests.load(Ordering::Relaxed),
            stats.messages.load(Ordering::Relaxed),
        );
        let dt = (t - last_t).max(1e-3);
        let s = Sample {
            t,
            rss_kib,
            fds,
            threads,
            requests_per_s: (req - last_req) as f64 / dt,
            messages_per_s: (msg - last_msg) as f64 / dt,
        };
        (last_req, last_msg, last_t) = (req, msg, t);
        println!(
            "t={t:>5.0}s rss={:.1}MiB fds={fds} threads={threads} req/s={:.0} msg/s={:.0} failures={}",
            rss_kib as f64 / 1024.0,
            s.requests_per_s,
            s.messages_per_s,
            stats.failed.load(Ordering::Relaxed)
        );
        samples.push(s);
        let _ = sample::write_csv(&cfg.out_dir.join("samples.csv"), &samples);
        let title = format!(
            "soak of {} ({} s)",
            cfg.server.display(),
            cfg.duration.as_secs()
        );
        let _ = std::fs::write(
            cfg.out_dir.join("soak.svg"),
            svg::chart(&title, &samples, warmup.as_secs_f64()),
        );
        if n.is_multiple_of(2)
            && cfg.runs("storm")
            && start.elapsed() + cfg.sample_every / 2 < cfg.duration
        {
            let (stats, size) = (stats.clone(), cfg.storm_size);
            thread::spawn(move || load::storm(addr, &stats, size));
        }
    }
    (samples, false)
}

/// Fills `report.problems` with every condition that failed.
fn judge(
    report: &mut Report,
    after: &[Sample],
    died: bool,
    exit: Option<Option<i32>>,
    stderr: &str,
) {
    let p = &mut report.problems;
    if died {
        p.push("the server died during the soak".into());
    }
    if report.failed > 0 {
        p.push(format!(
            "{} well-formed requests or messages failed",
            report.failed
        ));
    }
    let panics = stderr.matches("panicked at").count();
    if panics > 0 {
        p.push(format!("{panics} panics in the server's stderr"));
    }
    let [r, f, t] = report.slopes;
    let l = report.limits;
    if after.len() < 3 {
        p.push(format!(
            "only {} samples after warm-up: too few to judge flatness",
            after.len()
        ));
    } else {
        if sample::grows(r, l.rss_kib_per_min) {
            p.push(format!(
                "RSS grows {:.0} ± {:.0} KiB/min (allowed {:.0})",
                r.0, r.1, l.rss_kib_per_min
            ));
        }
        for (name, fit) in [("fds", f), ("threads", t)] {
            if sample::grows(fit, l.count_per_min) {
                p.push(format!(
                    "{name} grow {:.2} ± {:.2}/min (allowed {:.2})",
                    fit.0, fit.1, l.count_per_min
                ));
            }
        }
    }
    let bad: Vec<String> = report
        .endings
        .iter()
        .filter(|e| **e != Ending::Closed(1001))
        .map(|e| format!("{e:?}"))
        .collect();
    if !bad.is_empty() {
        p.push(format!(
            "WebSockets not closed with 1001 at SIGTERM: {}",
            bad.join(", ")
        ));
    }
    match exit {
        Some(Some(0)) => {}
        Some(code) => p.push(format!("the server exited with {code:?} after SIGTERM")),
        None => p.push(format!(
            "the server did not exit within {EXIT_TIMEOUT:?} of SIGTERM"
        )),
    }
}
