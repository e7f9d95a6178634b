//! The chat page in a real browser: headless Chromium (Debian's `chromium`
//! package) driven by `tests/browser/chat.mjs` with `playwright-core`.
//!
//! Needs `node`, `/usr/bin/chromium` (or `$CHROMIUM`) and `make
//! browser-deps`. In CI (`CI` set) a missing piece is a failure; on a
//! developer's machine the test passes without running, so `cargo test`
//! works before the browser is installed, and `make test` says in its
//! summary that it did not run and what installs it.
//!
//! The script also checks reconnection: when it prints `RESTART-NOW`, this
//! test stops the server with SIGTERM (the pages get 1001), starts a new one
//! on the same address, and tells the script, which waits for both pages to
//! rejoin by themselves and talk again.
//!
//! It leaves a screenshot of the page in `target/chat.png`;
//! `make screenshot` copies it to `static/screenshot-chat.png` for the README.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use wirebook::testkit::{SIGTERM, Server, not_run};

/// The whole browser run (start Chromium, two pages, messages, a restart).
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

fn node_available() -> bool {
    Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// What is missing to run the browser test, if anything.
fn missing(browser_dir: &Path, chromium: &Path) -> Vec<String> {
    let mut m = Vec::new();
    if !node_available() {
        m.push("node (apt-get install nodejs npm)".to_string());
    }
    if !chromium.exists() {
        m.push(format!(
            "{} (apt-get install chromium, or set CHROMIUM)",
            chromium.display()
        ));
    }
    if !browser_dir.join("node_modules/playwright-core").is_dir() {
        m.push("playwright-core (make browser-deps)".to_string());
    }
    m
}

#[test]
fn chat_pages_talk_in_chromium_and_reconnect_after_a_restart() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    let chromium = PathBuf::from(std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into()));
    let missing = missing(&browser_dir, &chromium);
    if !missing.is_empty() {
        not_run(
            "chat_pages_talk_in_chromium_and_reconnect_after_a_restart",
            &format!(
                "the chat page in headless Chromium needs {}",
                missing.join(", ")
            ),
        );
        return;
    }

    let static_dir = root.join("static");
    let static_dir = static_dir.to_str().unwrap().to_string();
    let server_args = |addr: &str| -> Vec<String> {
        ["--root", &static_dir, "--quiet", "--addr", addr]
            .map(String::from)
            .to_vec()
    };
    let start = |addr: &str| {
        let args = server_args(addr);
        Server::start(
            env!("CARGO_BIN_EXE_wirebook"),
            &args.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    let mut server = Some(start("127.0.0.1:0"));
    let first = server.as_ref().unwrap();
    let (addr, base) = (first.addr.to_string(), first.url(""));
    let shot = root.join("target/chat.png");
    let _ = std::fs::create_dir_all(shot.parent().unwrap());
    let script = browser_dir.join("chat.mjs");
    let repro = format!(
        "by hand: cargo run -- --addr 127.0.0.1:8888, then node {} http://127.0.0.1:8888 \
         target/chat.png (and type `restarted` after restarting the server when it says RESTART-NOW)",
        script.display()
    );

    let mut node = Command::new("node")
        .arg(&script)
        .arg(&base)
        .arg(&shot)
        .current_dir(&browser_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    let lines = lines_of(node.stdout.take().unwrap());
    let errors = collect(node.stderr.take().unwrap());
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let mut stdout = String::new();
    let mut node_stdin = node.stdin.take();
    let outcome = loop {
        match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                stdout.push_str(&line);
                stdout.push('\n');
                if line == "RESTART-NOW" {
                    // Stop the server the way a person does, and start a new
                    // one on the same address.
                    let old = server.take().expect("a running server");
                    old.signal(SIGTERM);
                    let status = old.wait_exit(Duration::from_secs(10));
                    assert!(
                        status.is_some_and(|s| s.success()),
                        "the first server did not exit 0 on SIGTERM: {status:?}"
                    );
                    server = Some(start(&addr));
                    let stdin = node_stdin.as_mut().expect("node's stdin");
                    stdin
                        .write_all(b"restarted\n")
                        .expect("node reads its stdin");
                    stdin.flush().ok();
                }
            }
            Err(RecvTimeoutError::Disconnected) => break Ok(()),
            Err(RecvTimeoutError::Timeout) => break Err("timed out"),
        }
    };
    drop(node_stdin);
    if outcome.is_err() {
        let _ = node.kill();
    }
    let status = node.wait().expect("node exits");
    let stderr = errors.join().unwrap_or_default();
    assert!(
        outcome.is_ok() && status.success() && stdout.contains("browser chat test passed"),
        "the browser test failed ({outcome:?}, {status}).\nstdout:\n{stdout}\nstderr:\n{stderr}\n\
         server stderr:\n{}\n{repro}",
        server.as_ref().map(Server::stderr_text).unwrap_or_default()
    );
    eprint!("{stdout}");
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
}

/// The lines `r` produces, through a channel (closed at EOF).
fn lines_of(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });
    rx
}

/// Everything `r` produces, as text, once it ends.
fn collect(mut r: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut s = String::new();
        let _ = r.read_to_string(&mut s);
        s
    })
}
