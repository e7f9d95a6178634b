//! The checker itself, run as a reader runs it: against a deliberately
//! wrong server (one that answers `200 Hello, world` to everything), its
//! failures must say what is wrong, `--stage` and `--only` must pick the
//! right checks, and every `try:` line must replay the exchange when pasted
//! into bash.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::thread;

const CHECK: &str = env!("CARGO_BIN_EXE_check");

/// What a pasted `try:` line starts the checker with; the test runs the
/// binary cargo already built instead of a nested `cargo run`.
const CARGO_RUN: &str = "cargo run -q --bin check --";

/// A server that reads each request head (through its empty line, or
/// until the client stops sending) and answers `200 Hello, world`,
/// whatever was asked. It records how many bytes each request had.
struct WrongServer {
    addr: SocketAddr,
    sizes: Arc<Mutex<Vec<usize>>>,
}

fn wrong_server() -> WrongServer {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let seen = sizes.clone();
    thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            let seen = seen.clone();
            thread::spawn(move || {
                s.set_read_timeout(Some(std::time::Duration::from_secs(2)))
                    .ok();
                let mut got = Vec::new();
                let mut buf = [0u8; 8192];
                while !got.windows(4).any(|w| w == b"\r\n\r\n") && got.len() < 1 << 20 {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                seen.lock().unwrap().push(got.len());
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\
                      Connection: close\r\n\r\nHello, world",
                );
            });
        }
    });
    WrongServer { addr, sizes }
}

fn check(args: &[&str]) -> Output {
    Command::new(CHECK).args(args).output().unwrap()
}

fn text(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The `try:` command of the first failure in a report.
fn try_line(report: &str) -> String {
    let line = report
        .lines()
        .find_map(|l| l.trim_start().strip_prefix("try:"))
        .unwrap_or_else(|| panic!("no try: line in\n{report}"));
    line.trim().to_string()
}

/// Runs a `try:` line in bash, with the already built checker.
fn run_in_bash(cmd: &str) -> Output {
    assert!(cmd.contains(CARGO_RUN), "{cmd}");
    let cmd = cmd.replace(CARGO_RUN, CHECK);
    Command::new("bash").arg("-c").arg(&cmd).output().unwrap()
}

#[test]
fn a_pasted_try_line_replays_the_whole_request() {
    let server = wrong_server();
    let addr = server.addr.to_string();
    for (name, at_least) in [
        ("long_target_gets_414", 20_000),
        ("huge_head_gets_431", 64_000),
        ("unknown_version_gets_505", 20),
    ] {
        let out = check(&["ch02", "--addr", &addr, "--only", name]);
        let report = text(&out);
        assert_eq!(out.status.code(), Some(1), "{report}");
        assert!(report.contains(&format!("FAIL {name}")), "{report}");
        assert!(report.contains("got 200"), "{report}");
        let cmd = try_line(&report);
        assert!(
            cmd.len() < 400,
            "{name}: the try: line spells out its payload: {cmd}"
        );
        let sizes_before = server.sizes.lock().unwrap().clone();
        let replay = run_in_bash(&cmd);
        let answer = String::from_utf8_lossy(&replay.stdout);
        assert!(
            answer.starts_with("HTTP/1.1 200 OK"),
            "{name}: `{cmd}` printed {answer:?}, stderr {}",
            String::from_utf8_lossy(&replay.stderr)
        );
        // The server saw a request as long as the check's, not a cut copy.
        let sizes = server.sizes.lock().unwrap().clone();
        let replayed = sizes[sizes_before.len()..].to_vec();
        let checked = sizes_before.last().copied().unwrap_or(0);
        assert!(checked >= at_least, "{name}: {sizes_before:?}");
        assert!(
            replayed.contains(&checked),
            "{name}: {replayed:?} vs {checked}"
        );
    }
}

#[test]
fn several_accepted_answers_are_all_listed() {
    let server = wrong_server();
    let addr = server.addr.to_string();
    let out = check(&[
        "ch02",
        "--addr",
        &addr,
        "--only",
        "chunked_body_is_read_or_refused",
    ]);
    let report = text(&out);
    assert!(
        report.contains(r#"expected: "HTTP/1.1 405 …", "HTTP/1.1 411 …" or "HTTP/1.1 501 …""#),
        "{report}"
    );
}

#[test]
fn the_date_check_shows_an_imf_fixdate() {
    let server = wrong_server();
    let addr = server.addr.to_string();
    let out = check(&[
        "ch02",
        "--addr",
        &addr,
        "--only",
        "response_has_date_length_and_type",
    ]);
    let report = text(&out);
    assert!(report.contains("no Date field"), "{report}");
    let out = check(&[
        "ch04",
        "--addr",
        &addr,
        "--only",
        "every_response_has_a_date",
    ]);
    let report = text(&out);
    assert!(
        report.contains("expected: a Date like `Sun, 06 Nov 1994 08:49:37 GMT`"),
        "{report}"
    );
}

#[test]
fn stages_run_in_order_and_stop_at_the_first_failure() {
    let server = wrong_server();
    let addr = server.addr.to_string();
    let total = text(&check(&["ch02", "--list"])).lines().count();
    // Stage 1 (GET / says Hello, world) passes; stage 2 (Date) fails.
    let out = check(&["ch02", "--addr", &addr, "--stage", "5"]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains(&format!("ok   stage 1 of {total}: root_says_hello_world")),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "FAIL stage 2 of {total}: response_has_date_length_and_type"
        )),
        "{report}"
    );
    assert!(!report.contains("stage 3 of"), "{report}");
    assert!(
        report.contains(&format!("stage 1 of {total} passed; stage 2")),
        "{report}"
    );
    let out = check(&["ch02", "--addr", &addr, "--stage", "1"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out).contains(&format!("stage 1 of {total} passed; next: `--stage 2`")));
}

#[test]
fn only_runs_one_check_and_refuses_unknown_names() {
    let server = wrong_server();
    let addr = server.addr.to_string();
    let out = check(&["ch02", "--addr", &addr, "--only", "root_says_hello_world"]);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    assert!(report.contains("1 passed, 0 failed"), "{report}");
    // The chapter may be left out when only one has the check.
    let out = check(&["--addr", &addr, "--only", "root_says_hello_world"]);
    assert!(text(&out).contains("checking ch02"), "{}", text(&out));
    let out = check(&["--only", "oversized_body_gets_413"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ch02, ch04: name the chapter"));
    let out = check(&["ch02", "--only", "no_such_check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no check called `no_such_check`"));
    let out = check(&["ch02", "--stage", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let out = check(&["ch02", "--only", "root_says_hello_world", "--stage", "2"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn nothing_listening_is_said_plainly() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    drop(l);
    let out = check(&["ch02", "--addr", &addr, "--only", "root_says_hello_world"]);
    let report = text(&out);
    assert!(
        report.contains(&format!(
            "nothing listening on {addr}: is your server running?"
        )),
        "{report}"
    );
    let mut raw = Command::new(CHECK)
        .args(["--raw", "--addr", &addr])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    raw.stdin
        .take()
        .unwrap()
        .write_all(b"GET / HTTP/1.1\r\n\r\n")
        .unwrap();
    let out = raw.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is your server running?"));
}

#[test]
fn a_server_that_never_closes_is_a_timeout_in_words() {
    // Accepts, reads, and never answers nor closes.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap().to_string();
    thread::spawn(move || {
        let mut held = Vec::new();
        for s in l.incoming().flatten() {
            held.push(s);
        }
    });
    let out = check(&[
        "ch02",
        "--addr",
        &addr,
        "--timeout",
        "0.3",
        "--only",
        "root_says_hello_world",
    ]);
    let report = text(&out);
    assert!(report.contains("no answer within 300 ms"), "{report}");
    assert!(!report.contains("os error"), "{report}");
}

/// Chapter paths the checker may name: the chapters' lists of checks, one
/// chapter's check helpers reused by the next, a plain data type, and
/// chapter 8's client behind `ChatClient::join`, which the chapter's tests
/// (never the checks) use.
const ALLOWED: &[&str] = &[
    "::checks",
    "crate::ch09_capstone::json::Value",
    "crate::ch08_websocket::WebSocket",
    "crate::ch08_websocket::Message",
    "crate::ch08_websocket::{Config, client::connect_with}",
];

#[test]
fn the_checker_calls_no_chapter_code() {
    // A reader may be rewriting any chapter's parser or codec as an
    // exercise; a half-written one must not break the grader. So the
    // checker and every chapter's checks.rs reach chapter code only
    // through the paths above.
    let root = env!("CARGO_MANIFEST_DIR");
    let mut files = vec![format!("{root}/src/check.rs")];
    for dir in ["src/check", "src"] {
        for e in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            let p = e.unwrap().path();
            if dir == "src/check" && p.extension().is_some_and(|x| x == "rs") {
                files.push(p.display().to_string());
            } else if p.join("checks.rs").exists() {
                files.push(p.join("checks.rs").display().to_string());
            }
        }
    }
    let mut bad = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (i, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            // `crate::chNN_…` up to the next space or bracket: a path into
            // a chapter.
            let chapter_path = code.match_indices("crate::ch").any(|(at, _)| {
                let rest = &code[at..];
                let digits = rest.as_bytes().get(9..11).unwrap_or(b"");
                let path = rest.split([' ', '(', ';', ',']).next().unwrap_or("");
                digits.iter().all(u8::is_ascii_digit)
                    && !ALLOWED
                        .iter()
                        .any(|ok| path.contains(ok) || rest.starts_with(ok))
            });
            let is_check_file = f.ends_with("/checks.rs");
            if chapter_path || (is_check_file && code.contains("use super::")) {
                bad.push(format!("{f}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "the checker must not call chapter code (use crate::check's reader, \
         ws, json, date, or compute the answer independently):\n{}",
        bad.join("\n")
    );
}
