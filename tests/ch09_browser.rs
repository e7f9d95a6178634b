//! The chat page in a real browser: headless Chromium (Debian's `chromium`
//! package) driven by `tests/browser/chat.mjs` with `playwright-core`.
//!
//! Needs `node`, `/usr/bin/chromium` (or `$CHROMIUM`) and
//! `npm ci --prefix tests/browser`. In CI (`CI` set) a missing piece is a
//! failure; on a developer's machine the test says what is missing and
//! passes without running, so `cargo test` works before the browser is
//! installed.
//!
//! It leaves a screenshot of the page in `target/chat.png`;
//! `make screenshot` copies it to `static/screenshot-chat.png` for the README.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use wirebook::testkit::{Server, run_client};

/// The whole browser run (start Chromium, two pages, a message each way).
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

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
        m.push(format!(
            "playwright-core (npm ci --prefix {})",
            browser_dir.display()
        ));
    }
    m
}

#[test]
fn chat_message_from_one_page_shows_on_the_other() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    let chromium = PathBuf::from(std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into()));
    let missing = missing(&browser_dir, &chromium);
    if !missing.is_empty() {
        let what = missing.join(", ");
        if in_ci() {
            panic!("the browser test must run in CI, but these are missing: {what}");
        }
        eprintln!(
            "SKIPPED chat_message_from_one_page_shows_on_the_other: missing {what}. \
             Install them to run the chat page in headless Chromium."
        );
        return;
    }

    let static_dir = root.join("static");
    let server = Server::start(
        env!("CARGO_BIN_EXE_wirebook"),
        &["--root", static_dir.to_str().unwrap(), "--quiet"],
    );
    let shot = root.join("target/chat.png");
    let _ = std::fs::create_dir_all(shot.parent().unwrap());
    let base = server.url("");
    let script = browser_dir.join("chat.mjs");
    let out = run_client(
        "node",
        &[script.to_str().unwrap(), &base, shot.to_str().unwrap()],
        b"",
        BROWSER_TIMEOUT,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the browser test failed ({}).\nstdout:\n{stdout}\nstderr:\n{stderr}\nserver stderr:\n{}\n\
         By hand: cargo run -- --addr 127.0.0.1:8888, then node tests/browser/chat.mjs \
         http://127.0.0.1:8888 target/chat.png",
        out.status,
        server.stderr_text()
    );
    assert!(stdout.contains("browser chat test passed"), "{stdout}");
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
}
