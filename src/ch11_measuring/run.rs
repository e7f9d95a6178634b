//! The driver: for each round, each workload, each of its servers in turn
//! (the order reversed every other round), start the server pinned to CPU
//! 0, check that it answers correctly, warm it up, load it from CPU 1 while
//! reading its CPU time, and stop it.

use std::collections::BTreeSet;
use std::fs;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::idle::{self, Kind};
use super::plan::{self, BIG_BYTES, Load, SMALL_BYTES, Server, WS_PATH, Workload};
use super::procfs;
use super::report::{Report, Sample};
use super::summary::Summary;
use super::wsload::{self, Spec};
use crate::ch03_urls_and_clients::client;
use crate::rng::Rng;

/// How long a server may take to open its port.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a server may take to stop after SIGTERM before SIGKILL.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);
/// Load before the measured run, not counted.
pub const WARMUP: Duration = Duration::from_secs(1);
/// How long idle connections sit before the server's memory is read.
pub const SETTLE: Duration = Duration::from_secs(1);

/// Where things are and what to run.
#[derive(Debug, Clone)]
pub struct Options {
    pub duration: Duration,
    pub rounds: usize,
    /// `target/bench`: the report, the chart, logs and the files served.
    pub out: PathBuf,
    /// `target/release`: the book's binaries; examples below it.
    pub bin: PathBuf,
    /// `tests/peers`.
    pub peers: PathBuf,
    pub python: String,
    pub nginx: String,
    /// Workload ids to run; empty: all.
    pub only: Vec<String>,
    pub idle_sizes: Vec<usize>,
    /// The command line, for the report.
    pub command: String,
}

/// Why a server gave no figure.
enum Miss {
    /// Not for this run at all (a flag it rejects, a peer not installed).
    Skip(String),
    /// Not this time (a failed probe, a load run that failed).
    Fail(String),
}

struct Running {
    child: Child,
    port: u16,
}

unsafe extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

impl Running {
    /// SIGTERM to the server and its descendants (nginx's workers), then
    /// SIGKILL to whatever lingers. The server shares the driver's process
    /// group, so Ctrl-C on `make bench` stops it too.
    fn stop(mut self) {
        let tree = procfs::tree(self.child.id());
        let signal = |sig: i32| {
            for &pid in &tree {
                // SAFETY: kill(2) with plain integers, on our own children.
                unsafe { kill(pid as i32, sig) };
            }
        };
        signal(15);
        let until = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            thread::sleep(Duration::from_millis(20));
        }
        if self.child.try_wait().ok().flatten().is_none() {
            signal(9);
        }
        let _ = self.child.wait();
    }
}

fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// The command line of `server` on `port`, placeholders filled in.
fn command_of(opts: &Options, server: &Server, port: u16) -> Result<Vec<String>, String> {
    if let Some(workers) = server.command.strip_prefix("nginx ") {
        let dir = opts.out.join("nginx").join(port.to_string());
        fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let template = fs::read_to_string(opts.peers.join("nginx.conf"))
            .map_err(|e| format!("tests/peers/nginx.conf: {e}"))?;
        let conf = template
            .replace("{port}", &port.to_string())
            .replace("{root}", &abs(&opts.out.join("static")))
            .replace("{workers}", workers)
            .replace("{dir}", &abs(&dir));
        fs::write(dir.join("nginx.conf"), conf).map_err(|e| e.to_string())?;
        let d = abs(&dir);
        return Ok(vec![
            opts.nginx.clone(),
            "-p".into(),
            d.clone(),
            "-c".into(),
            format!("{d}/nginx.conf"),
            "-e".into(),
            "stderr".into(),
        ]);
    }
    let filled = server
        .command
        .replace("{bin}", &abs(&opts.bin))
        .replace("{examples}", &abs(&opts.bin.join("examples")))
        .replace("{peers}", &abs(&opts.peers))
        .replace("{python}", &opts.python)
        .replace("{port}", &port.to_string())
        .replace("{root}", &abs(&opts.out.join("static")));
    Ok(filled.split_whitespace().map(String::from).collect())
}

fn abs(p: &Path) -> String {
    fs::canonicalize(p)
        .unwrap_or_else(|_| p.to_path_buf())
        .display()
        .to_string()
}

/// Starts `server` on CPU 0 and waits for its port.
fn start(opts: &Options, server: &Server, log: &Path) -> Result<Running, Miss> {
    let port = free_port().map_err(Miss::Fail)?;
    let argv = command_of(opts, server, port).map_err(Miss::Skip)?;
    if !Path::new(&argv[0]).exists() && which(&argv[0]).is_none() {
        return Err(Miss::Skip(format!(
            "skipped: `{}` is not installed or not built",
            argv[0]
        )));
    }
    let log_file = fs::File::create(log).map_err(|e| Miss::Fail(e.to_string()))?;
    let err_file = log_file
        .try_clone()
        .map_err(|e| Miss::Fail(e.to_string()))?;
    let mut child = Command::new("taskset")
        .args(["-c", "0"])
        .args(&argv)
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(err_file)
        .spawn()
        .map_err(|e| Miss::Skip(format!("cannot run taskset {}: {e}", argv[0])))?;
    let until = Instant::now() + START_TIMEOUT;
    let addr = SocketAddrV4::new(Ipv4Addr::LOCALHOST, port);
    while Instant::now() < until {
        if let Ok(Some(status)) = child.try_wait() {
            let said = fs::read_to_string(log).unwrap_or_default();
            let first = said
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
                .to_string();
            let why = format!("exited with {status} at startup: {first}");
            // Exit code 2 is a rejected command line: that row is not
            // for this build of the server.
            return Err(if status.code() == Some(2) {
                Miss::Skip(format!("skipped: its binary rejects its flags ({first})"))
            } else {
                Miss::Skip(why)
            });
        }
        if TcpStream::connect_timeout(&addr.into(), Duration::from_millis(200)).is_ok() {
            return Ok(Running { child, port });
        }
        thread::sleep(Duration::from_millis(50));
    }
    Running { child, port }.stop();
    Err(Miss::Skip(format!(
        "did not open its port within {START_TIMEOUT:?}"
    )))
}

/// `program` on PATH (or in /usr/sbin, where nginx lives).
pub fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/usr/sbin", "/sbin"])
        .map(|d| Path::new(d).join(program))
        .find(|p| p.is_file())
}

/// The files the HTTP workloads fetch, made once: `small.html` (1 KiB of
/// HTML) and `big.bin` (8 MiB of random bytes).
pub fn make_files(root: &Path) -> Result<(), String> {
    fs::create_dir_all(root).map_err(|e| e.to_string())?;
    let small = root.join("small.html");
    if fs::metadata(&small).map(|m| m.len() as usize).ok() != Some(SMALL_BYTES) {
        let head = "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>small</title></head><body><p>";
        let tail = "</p></body></html>\n";
        let filler = "lorem ipsum ".repeat(SMALL_BYTES / 12 + 1);
        let page = format!(
            "{head}{}{tail}",
            &filler[..SMALL_BYTES - head.len() - tail.len()]
        );
        fs::write(&small, page).map_err(|e| e.to_string())?;
    }
    let big = root.join("big.bin");
    if fs::metadata(&big).map(|m| m.len() as usize).ok() != Some(BIG_BYTES) {
        fs::write(&big, Rng::new().bytes(BIG_BYTES)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Does the server answer this workload correctly? A figure from a server
/// that answers wrongly would be worthless.
fn probe(w: &Workload, port: u16) -> Result<(), String> {
    match &w.load {
        Load::Wrk { path, .. } => {
            let url = format!("http://127.0.0.1:{port}{path}");
            let resp = client::get(&url).map_err(|e| format!("GET {path}: {e}"))?;
            let status = resp.status();
            let body = resp.into_bytes().map_err(|e| format!("GET {path}: {e}"))?;
            let ok = status == 200
                && match *path {
                    "/hello" => body == b"Hello, world",
                    "/small.html" => body.len() == SMALL_BYTES,
                    _ => body.len() == BIG_BYTES,
                };
            ok.then_some(())
                .ok_or_else(|| format!("GET {path} answered {status} with {} bytes", body.len()))
        }
        Load::Ws { .. } => {
            let spec = Spec {
                url: format!("ws://127.0.0.1:{port}{WS_PATH}"),
                connections: 1,
                message_bytes: 64,
                duration: Duration::from_millis(200),
            };
            match wsload::run(&spec) {
                Ok(s) if s.count > 0 && s.errors == 0 => Ok(()),
                Ok(s) => Err(format!(
                    "WebSocket echo: {} round trips, {} errors",
                    s.count, s.errors
                )),
                Err(e) => Err(format!("WebSocket echo: {e}")),
            }
        }
        Load::Idle { .. } => Ok(()),
    }
}

/// Runs a load generator pinned to CPU 1 and parses its summary line.
fn load(argv: &[String], limit: Duration) -> Result<Summary, String> {
    let child = Command::new("taskset")
        .args(["-c", "1"])
        .args(argv)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", argv[0]))?;
    let pid = child.id();
    let watchdog = thread::spawn(move || {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            thread::sleep(Duration::from_millis(100));
            if !Path::new(&format!("/proc/{pid}")).exists() {
                return;
            }
        }
        // SAFETY: kill(2) on the child we started (a zombie until waited).
        unsafe { kill(pid as i32, 9) };
    });
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    let _ = watchdog.join();
    let text = String::from_utf8_lossy(&out.stdout);
    Summary::find(&text).map_err(|e| {
        let err = String::from_utf8_lossy(&out.stderr);
        format!(
            "{} ({e}): {}",
            argv[0],
            err.lines().next().unwrap_or("no output")
        )
    })
}

/// The load generator's command line for `w`, lasting `secs`.
fn load_argv(opts: &Options, w: &Workload, port: u16, secs: u64) -> Vec<String> {
    match &w.load {
        Load::Wrk { connections, path } => {
            let script = abs(&opts.peers.join("wrk_report.lua"));
            let args = format!(
                "wrk -t1 -c{connections} -d{secs}s --timeout 5s --latency -s {script} http://127.0.0.1:{port}{path}"
            );
            args.split_whitespace().map(String::from).collect()
        }
        Load::Ws { connections, bytes } => vec![
            abs(&opts.bin.join("ch11_wsload")),
            format!("ws://127.0.0.1:{port}{WS_PATH}"),
            connections.to_string(),
            bytes.to_string(),
            secs.to_string(),
        ],
        Load::Idle { .. } => Vec::new(),
    }
}

/// Warm-up, then the measured run; CPU time is read around it.
fn measure_load(
    opts: &Options,
    w: &Workload,
    s: &Running,
    round: usize,
    server: &str,
) -> Result<Sample, String> {
    let warm = load_argv(opts, w, s.port, WARMUP.as_secs().max(1));
    load(&warm, WARMUP + Duration::from_secs(30))?;
    let pids = procfs::tree(s.child.id());
    let cpu_before = procfs::cpu_micros(&pids);
    let argv = load_argv(opts, w, s.port, opts.duration.as_secs());
    let sum = load(&argv, opts.duration + Duration::from_secs(30))?;
    let cpu = procfs::cpu_micros(&pids).saturating_sub(cpu_before);
    let value = if w.unit() == "MiB/s" {
        sum.mib_per_sec()
    } else {
        sum.per_sec()
    };
    Ok(Sample {
        round,
        workload: w.id.clone(),
        server: server.to_string(),
        value,
        p50_us: Some(sum.p50_us),
        p99_us: Some(sum.p99_us),
        errors: sum.errors,
        // Less than one clock tick in the whole run is no measurement.
        cpu_us: (sum.count > 0 && cpu > 0).then(|| cpu as f64 / sum.count as f64),
        detail: String::new(),
    })
}

/// Holds the idle connections and weighs the server before and after.
fn measure_idle(
    w: &Workload,
    s: &Running,
    round: usize,
    server: &str,
    n: usize,
    ws: bool,
) -> Result<Sample, String> {
    let pid = s.child.id();
    let before = procfs::rss_kib(&procfs::tree(pid));
    let kind = if ws {
        Kind::WebSocket {
            path: WS_PATH.into(),
        }
    } else {
        Kind::Http {
            path: "/hello".into(),
        }
    };
    let held = idle::hold(SocketAddrV4::new(Ipv4Addr::LOCALHOST, s.port), n, &kind);
    thread::sleep(SETTLE);
    let after = procfs::rss_kib(&procfs::tree(pid));
    // Only what the server still keeps open counts as held.
    let count = held.still_open();
    if count == 0 {
        return Err(format!(
            "no connection held: {}",
            held.first_error.unwrap_or_default()
        ));
    }
    let thousands = super::report::thousands;
    Ok(Sample {
        round,
        workload: w.id.clone(),
        server: server.to_string(),
        value: after.saturating_sub(before) as f64 / count as f64,
        p50_us: None,
        p99_us: None,
        errors: (n - count) as u64,
        cpu_us: None,
        detail: format!("{} of {}", thousands(count as f64), thousands(n as f64)),
    })
}

/// One server under one workload: start, probe, measure, stop.
fn measure(opts: &Options, w: &Workload, server: &Server, round: usize) -> Result<Sample, Miss> {
    let log = opts.out.join("logs").join(format!(
        "r{round}-{}-{}.log",
        w.id,
        server.name.replace(' ', "")
    ));
    let running = start(opts, server, &log)?;
    let result = probe(w, running.port).and_then(|()| match w.load {
        Load::Idle {
            connections,
            websocket,
        } => measure_idle(w, &running, round, server.name, connections, websocket),
        _ => measure_load(opts, w, &running, round, server.name),
    });
    running.stop();
    result.map_err(Miss::Fail)
}

/// Every round of every selected workload; the report of the whole run.
pub fn run(opts: &Options, machine: Vec<super::machine::Fact>) -> Result<Report, String> {
    if which("wrk").is_none() {
        return Err("wrk is not installed (apt-get install wrk, or `make bench` as root)".into());
    }
    if which("taskset").is_none() {
        return Err("taskset is not installed (apt-get install util-linux)".into());
    }
    // Scratch space of the last run goes first: logs and nginx's files.
    let _ = fs::remove_dir_all(opts.out.join("logs"));
    let _ = fs::remove_dir_all(opts.out.join("nginx"));
    fs::create_dir_all(opts.out.join("logs")).map_err(|e| e.to_string())?;
    make_files(&opts.out.join("static"))?;
    let workloads: Vec<Workload> = plan::workloads(&opts.idle_sizes)
        .into_iter()
        .filter(|w| opts.only.is_empty() || opts.only.contains(&w.id))
        .collect();
    let most_idle = workloads
        .iter()
        .filter_map(|w| match w.load {
            Load::Idle { connections, .. } => Some(connections),
            _ => None,
        })
        .max()
        .unwrap_or(0);
    let open_files = procfs::raise_open_files(most_idle as u64 + 4096);
    let mut report = Report {
        date: String::new(),
        command: opts.command.clone(),
        rounds: opts.rounds,
        duration_secs: opts.duration.as_secs(),
        machine,
        workloads: Vec::new(),
        samples: Vec::new(),
        notes: Vec::new(),
    };
    let mut skipped: BTreeSet<&str> = BTreeSet::new();
    if report
        .machine
        .iter()
        .any(|(k, v)| k == "Tornado" && v == "missing")
    {
        report.notes.push(format!(
            "tornado: skipped, `{} -c 'import tornado'` fails (pip install tornado)",
            opts.python
        ));
        skipped.insert("tornado");
    }
    for w in &workloads {
        if let Load::Idle { connections, .. } = w.load
            && connections as u64 + 1024 > open_files
        {
            report.notes.push(format!(
                "{}: skipped, it needs {} open files and this process may have {} \
                 (only root may raise the hard limit, and a container may forbid it)",
                w.id,
                super::report::thousands(connections as f64 + 1024.0),
                super::report::thousands(open_files as f64)
            ));
            continue;
        }
        report.workloads.push(w.clone());
    }
    for round in 1..=opts.rounds {
        for w in report.workloads.clone() {
            let mut order: Vec<&str> = w.servers.to_vec();
            if round % 2 == 0 {
                order.reverse();
            }
            for name in order {
                if skipped.contains(name) {
                    continue;
                }
                let server = plan::server(name).ok_or_else(|| format!("unknown server {name}"))?;
                eprint!("round {round}/{}  {:<12} {:<26} ", opts.rounds, w.id, name);
                match measure(opts, &w, server, round) {
                    Ok(s) => {
                        eprintln!(
                            "{} {}  p99 {}  errors {}",
                            super::report::thousands(s.value),
                            w.unit(),
                            super::report::latency(s.p99_us),
                            s.errors
                        );
                        report.samples.push(s);
                    }
                    Err(Miss::Skip(why)) => {
                        eprintln!("{why}");
                        report.notes.push(format!("{name}: {why}"));
                        skipped.insert(name);
                    }
                    Err(Miss::Fail(why)) => {
                        eprintln!("no figure: {why}");
                        report
                            .notes
                            .push(format!("round {round}, {}, {name}: no figure: {why}", w.id));
                    }
                }
            }
        }
    }
    Ok(report)
}

/// Writes `report.md` and `ratios.svg` into `out`.
pub fn write(report: &Report, out: &Path) -> Result<(PathBuf, PathBuf), String> {
    let md = out.join("report.md");
    let svg = out.join("ratios.svg");
    fs::write(&md, super::report::markdown(report))
        .map_err(|e| format!("{}: {e}", md.display()))?;
    let subtitle = format!(
        "{}; median of {} round{}, whiskers from the lowest to the highest round",
        report.date,
        report.rounds,
        if report.rounds == 1 { "" } else { "s" }
    );
    let chart = super::svg::ratio_chart(
        "The book's servers, each against its peer",
        &subtitle,
        &report.bars(),
    );
    fs::write(&svg, chart).map_err(|e| format!("{}: {e}", svg.display()))?;
    Ok((md, svg))
}
