//! Starting the book's binaries from tests: spawn, wait for the one
//! `listening on …` line, learn the real port, and kill on drop.
//!
//! Tests never sleep to synchronise: they wait for that line (with a
//! timeout), which the server prints only after `bind` succeeded.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// How long a binary may take to print its `listening on` line.
pub const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A running server binary.
pub struct Server {
    child: Option<Child>,
    pub addr: SocketAddr,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// The thread collecting stderr: it ends when the server does.
    stderr_reader: Option<thread::JoinHandle<()>>,
}

impl Server {
    /// Starts `bin` with `args`, adding `--addr 127.0.0.1:0` unless `args`
    /// already has `--addr`, and waits for `listening on SCHEME://ADDR`.
    pub fn start(bin: &str, args: &[&str]) -> Server {
        let mut cmd = Command::new(bin);
        cmd.args(args);
        if !args
            .iter()
            .any(|a| *a == "--addr" || a.starts_with("--addr="))
        {
            cmd.args(["--addr", "127.0.0.1:0"]);
        }
        Server::start_command(cmd)
    }

    /// Starts a prepared command and waits for its `listening on` line.
    pub fn start_command(mut cmd: Command) -> Server {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        let out_buf = Arc::new(Mutex::new(Vec::new()));
        let err_buf = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        {
            let out_buf = out_buf.clone();
            thread::spawn(move || {
                let mut r = BufReader::new(stdout);
                let mut line = String::new();
                let mut sent = false;
                loop {
                    line.clear();
                    match r.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            out_buf.lock().unwrap().extend_from_slice(line.as_bytes());
                            if let (false, Some(rest)) =
                                (sent, line.trim_end().strip_prefix("listening on "))
                            {
                                let addr = rest.split("://").nth(1).unwrap_or(rest).to_string();
                                let _ = tx.send(addr);
                                sent = true;
                            }
                        }
                    }
                }
            });
        }
        let stderr_reader = {
            let err_buf = err_buf.clone();
            thread::spawn(move || {
                let mut r = stderr;
                let mut chunk = [0u8; 4096];
                while let Ok(n) = r.read(&mut chunk) {
                    if n == 0 {
                        break;
                    }
                    err_buf.lock().unwrap().extend_from_slice(&chunk[..n]);
                }
            })
        };
        let addr = match rx.recv_timeout(START_TIMEOUT) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "{cmd:?} did not print `listening on …` within {START_TIMEOUT:?}; stderr:\n{}",
                    String::from_utf8_lossy(&err_buf.lock().unwrap())
                );
            }
        };
        let addr: SocketAddr = addr
            .trim_end_matches('/')
            .parse()
            .unwrap_or_else(|e| panic!("bad address in `listening on {addr}`: {e}"));
        Server {
            child: Some(child),
            addr,
            stdout: out_buf,
            stderr: err_buf,
            stderr_reader: Some(stderr_reader),
        }
    }

    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// The check target for this server.
    pub fn target(&self) -> crate::check::Target {
        crate::check::Target::new(self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// What the server wrote to stderr so far (access log, trace).
    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned()
    }

    /// What the server wrote to stdout so far.
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    /// Sends `signal` (e.g. [`SIGTERM`]) to the server.
    pub fn signal(&self, signal: i32) {
        send_signal(self.pid(), signal);
    }

    /// Waits up to `timeout` for the server to exit; `None` if it did not
    /// (it is then killed).
    pub fn wait_exit(mut self, timeout: Duration) -> Option<ExitStatus> {
        self.exit(timeout)
    }

    /// [`Server::wait_exit`], and all the server wrote to stderr.
    pub fn wait_exit_with_stderr(mut self, timeout: Duration) -> (Option<ExitStatus>, String) {
        let status = self.exit(timeout);
        // The server is gone, so its stderr is closed: the reader ends.
        if let Some(r) = self.stderr_reader.take() {
            let _ = r.join();
        }
        (status, self.stderr_text())
    }

    fn exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let mut child = self.child.take().expect("running");
        let pid = child.id();
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        match rx.recv_timeout(timeout) {
            Ok(Ok(status)) => Some(status),
            _ => {
                send_signal(pid, SIGKILL);
                None
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

pub const SIGINT: i32 = 2;
pub const SIGKILL: i32 = 9;
pub const SIGTERM: i32 = 15;

unsafe extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
}

/// `kill(2)`: std has `Child::kill` (SIGKILL) but no way to send SIGTERM or
/// SIGINT, which is what a graceful-shutdown test needs.
pub fn send_signal(pid: u32, signal: i32) {
    // SAFETY: kill(2) takes plain integers and has no memory effects here.
    unsafe {
        kill(pid as i32, signal);
    }
}

/// Runs a client binary to completion with `stdin` as its input; panics if
/// it runs longer than `timeout`.
pub fn run_client(bin: &str, args: &[&str], stdin: &[u8], timeout: Duration) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
    let mut input = child.stdin.take().expect("piped stdin");
    let stdin = stdin.to_vec();
    thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(out)) => out,
        Ok(Err(e)) => panic!("waiting for {bin}: {e}"),
        Err(_) => {
            send_signal(pid, SIGKILL);
            panic!("{bin} {args:?} did not finish within {timeout:?}")
        }
    }
}

/// A fresh directory under the system temp dir (canonical path), removed
/// with everything in it on drop. For tests that serve, upload or download
/// files.
pub struct TempDir {
    pub path: std::path::PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "wirebook-{tag}-{}-{}",
            std::process::id(),
            crate::rng::Rng::new().word(12)
        ));
        std::fs::create_dir_all(&p).unwrap_or_else(|e| panic!("cannot create {p:?}: {e}"));
        TempDir {
            path: p.canonicalize().expect("temp dir has a canonical path"),
        }
    }

    /// `self.path.join(rel)`.
    pub fn join(&self, rel: impl AsRef<std::path::Path>) -> std::path::PathBuf {
        self.path.join(rel)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The environment variable naming the directory where [`not_run`] records
/// tests that passed without running; `make test` sets it and prints what
/// the tests left there in its summary.
pub const NOT_RUN_DIR_VAR: &str = "WIREBOOK_NOT_RUN_DIR";

/// True under CI (`CI` set and not `false`/`0`): there a test whose tools
/// are missing must fail instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Records that `test` did not run, and why (`what` names the missing piece
/// and the command that installs it). Cargo hides a passing test's output,
/// so the note goes to stderr (seen with `--nocapture`) and, under
/// `make test`, to a file in `$WIREBOOK_NOT_RUN_DIR` that `make test`
/// prints at the end. Panics under CI, where nothing may be skipped.
pub fn not_run(test: &str, what: &str) {
    if in_ci() {
        panic!("{test} must run in CI, but: {what}");
    }
    let line = format!("NOT RUN {test}: {what}");
    eprintln!("{line}");
    if let Some(dir) = std::env::var_os(NOT_RUN_DIR_VAR) {
        let dir = std::path::PathBuf::from(dir);
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join(test), format!("{line}\n"));
    }
}

/// The longest a test that talks to a chatty peer may run before its
/// sockets are cut: generous for a loaded 2-core machine, short enough
/// that a lost message fails the test instead of hanging the run.
pub const TEST_DEADLINE: Duration = Duration::from_secs(30);

/// Bounds a test whose reads have no end of their own. A WebSocket client
/// that answers the server's pings (and whose pings the server answers)
/// never sees a read timeout: if the message it waits for was lost, it
/// waits forever. A `Watchdog` shuts down every socket given to
/// [`Watchdog::watch`] once its deadline passes, so each blocked read or
/// write returns at once with an error and the test fails, saying what it
/// was waiting for. Dropping the watchdog (the test ended) disarms it.
pub struct Watchdog {
    what: String,
    sockets: Arc<Mutex<Vec<TcpStream>>>,
    fired: Arc<AtomicBool>,
    disarm: Option<mpsc::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Watchdog {
    /// Arms a watchdog for `what` (said when it fires) that fires after
    /// `limit`.
    pub fn new(what: &str, limit: Duration) -> Watchdog {
        let sockets: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let fired = Arc::new(AtomicBool::new(false));
        let (disarm, rx) = mpsc::channel::<()>();
        let thread = {
            let (sockets, fired, what) = (sockets.clone(), fired.clone(), what.to_string());
            thread::spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                    let sockets = sockets.lock().unwrap_or_else(|e| e.into_inner());
                    fired.store(true, Ordering::SeqCst);
                    eprintln!(
                        "watchdog: {what} still running after {limit:?}: \
                         shutting down its {} sockets",
                        sockets.len()
                    );
                    for s in sockets.iter() {
                        let _ = s.shutdown(Shutdown::Both);
                    }
                }
            })
        };
        Watchdog {
            what: what.to_string(),
            sockets,
            fired,
            disarm: Some(disarm),
            thread: Some(thread),
        }
    }

    /// Cuts `socket` (a clone of it) when the deadline passes; at once if
    /// it already has.
    pub fn watch(&self, socket: &TcpStream) {
        let mut sockets = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        let clone = socket.try_clone().expect("clone a socket handle");
        if self.fired() {
            let _ = clone.shutdown(Shutdown::Both);
        }
        sockets.push(clone);
    }

    /// Whether the deadline passed.
    pub fn fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }

    /// Panics with `why` and, if the watchdog fired, says so: for a
    /// failure seen after the sockets were cut.
    pub fn fail(&self, why: impl std::fmt::Display) -> ! {
        if self.fired() {
            panic!("{why} ({} hit its deadline: something was lost)", self.what)
        }
        panic!("{why}")
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.disarm.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A value (a client, a socket) that carries its own [`Watchdog`]: its
/// deadline lasts as long as the value. Derefs to the value.
pub struct Guarded<T> {
    pub inner: T,
    _dog: Watchdog,
}

impl Watchdog {
    /// Ties this watchdog to `inner`: it is disarmed when `inner` is dropped.
    pub fn guarding<T>(self, inner: T) -> Guarded<T> {
        Guarded { inner, _dog: self }
    }
}

impl<T> std::ops::Deref for Guarded<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

impl<T> std::ops::DerefMut for Guarded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.inner
    }
}

/// Joins `thread`, waiting `limit` at most: `None` if it had not ended by
/// then (it is left running, detached). std's `join` has no timeout, so
/// a helper thread joins and reports through a channel.
pub fn join_within<T: Send + 'static>(
    thread: thread::JoinHandle<T>,
    limit: Duration,
) -> Option<thread::Result<T>> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(thread.join());
    });
    rx.recv_timeout(limit).ok()
}
