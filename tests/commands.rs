//! Every command in the book works when pasted.
//!
//! The test reads the shell blocks of `README.md` and `chapters/*.md`
//! (```` ```sh ````, `bash`, `shell`, and the `$ ` lines of `console`
//! blocks) and runs them in order, one file at a time, the way a reader
//! pastes them:
//!
//! * `cargo run [--release] [--bin X] -- ARGS` runs the binary that
//!   `cargo test` already built (never cargo itself). A server (see
//!   [`SERVERS`]) is started in the background on port 0 and waited for;
//!   the port the prose used (8888, 8765, or the `--addr` it gave) is then
//!   rewritten to the real one in every later command of the file.
//! * Every other line runs in `bash -c` (curl, `check`, `printf … >
//!   /dev/tcp/…`), bounded by [`COMMAND_TIMEOUT`], in a temporary directory
//!   that has `static/`, `Cargo.toml` and `README.md`; `/tmp/` in a command
//!   becomes that directory, so parallel runs never share a file.
//! * It must exit 0, unless [`EXPECTED`] says otherwise and why. `curl`
//!   runs with `--fail`, so an HTTP error status is exit 22: a command whose
//!   prose promises a 4xx says so in [`EXPECTED`].
//! * Lines that cannot run here (the whole test suite, benchmarks, a second
//!   terminal, a DNS server the reader does not have) are in [`SKIPPED`],
//!   each with its reason.
//!
//! A client that names no address of its own (the echo clients) gets
//! `--addr` of the server started before it: the address it would have used
//! by default. `check -- chNN` runs against a fresh start of the book's own
//! server for chapter NN ([`CHECK_SERVERS`]): the prose invites the reader
//! to check their own server, and the book's must pass first.
//!
//! The landing page (`static/index.html`) counts too: its
//! `<code class="cmd">` commands run against `make run`'s server.
//!
//! `WIREBOOK_COMMANDS_UNTYPED=1` also reads untyped and `text` blocks, for
//! finding commands that still hide there.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::Duration;

use wirebook::testkit::{Server, TempDir};

/// One pasted command, from start to exit.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Binaries that serve until stopped: started in the background, with the
/// port each uses when the command gives no `--addr`.
const SERVERS: &[(&str, u16)] = &[
    ("ch01_tcp_echo_server", 8888),
    ("ch01_udp_echo_server", 8888),
    ("ch02_hello", 8888),
    ("ch04_notes", 8888),
    ("ch05_server", 8888),
    ("ch06_static", 8888),
    ("ch08_ws_echo", 8765),
    ("ch08_ws_hello", 8765),
    ("wirebook", 8888),
];

/// Clients whose default address is the server's (`127.0.0.1:8888`).
const CLIENTS_WITH_DEFAULT_ADDR: &[&str] = &["ch01_tcp_echo_client", "ch01_udp_echo_client"];

/// The book's server that passes each chapter's checks.
const CHECK_SERVERS: &[(&str, &str, &[&str])] = &[
    ("ch01", "ch01_tcp_echo_server", &[]),
    ("ch02", "ch02_hello", &[]),
    ("ch03", "ch02_hello", &[]),
    ("ch04", "ch04_notes", &[]),
    ("ch05", "ch05_server", &[]),
    ("ch06", "ch06_static", &["--root", "static"]),
    (
        "ch07",
        "ch06_static",
        &["--root", "static", "--uploads", "/tmp/check-uploads"],
    ),
    ("ch08", "ch08_ws_echo", &[]),
    ("ch09", "wirebook", &[]),
    ("ch10", "ch05_server", &["--event-loop"]),
];

/// `make` targets that start a server, as the Makefile does.
const MAKE_SERVERS: &[(&str, &str, &[&str])] = &[
    ("make run", "wirebook", &["--uploads", "/tmp/uploads"]),
    ("make ch09", "wirebook", &["--uploads", "/tmp/uploads"]),
];

/// Commands (matched by a fragment of their line, comment included) that
/// cannot run inside a test, and why.
const SKIPPED: &[(&str, &str)] = &[
    (
        "# terminal 2: type lines",
        "interactive: reads the keyboard until Ctrl-D",
    ),
    ("make test", "runs the whole suite, this test included"),
    ("cargo test", "the test suite runs it"),
    (
        "make bench",
        "a benchmark: minutes, and needs wrk and nginx",
    ),
    (
        "make book",
        "tests/book.rs builds the book and checks every link",
    ),
    ("make browser-deps", "installs packages with npm"),
    ("cargo build", "cargo test has built everything already"),
    ("taskset", "a benchmark run, pinned to CPUs"),
    (
        "wrk -t1",
        "a load generator: seconds of full load on a shared machine, measured by the next line",
    ),
    (
        "perf stat",
        "needs perf and the right to trace another process, beside a load",
    ),
    (
        "kill %1",
        "job numbers exist only in the reader's interactive shell; the test stops its servers itself",
    ),
    ("python3 echo.py", "a benchmark peer the reader writes"),
    (
        "make exercises",
        "the workbook loop edits src/; `exercises verify` in make test proves it",
    ),
    (
        "--bin exercises",
        "the workbook loop edits src/; `exercises verify` in make test proves it",
    ),
    ("$EDITOR", "opens the reader's editor"),
    (
        "! -name checks.rs",
        "scans the repository's src/, which the test's directory does not have",
    ),
    (
        "nosuch.invalid",
        "asks the system's resolver, which may wait for a network the test does not have",
    ),
    (
        "--server 127.0.0.1:53956",
        "needs the toy DNS server that tests/ch01_sockets.rs starts",
    ),
];

/// Commands that must fail the way the prose says, with this exit code.
const EXPECTED: &[(&str, i32, &str)] = &[
    (
        "--size 70000",
        1,
        "the UDP client refuses a payload no datagram can carry",
    ),
    (
        "ch01_udp_echo_client -- --size 200",
        1,
        "the echo comes back truncated by the server's 100-byte buffer",
    ),
    (
        "ch03_get -- https://",
        1,
        "the client refuses https:// (no TLS in this book)",
    ),
    (
        "ch03_get -- http://127.0.0.1:1/",
        1,
        "nothing listens on port 1: connection refused",
    ),
    (
        "ch03_get -- \"http://a b/\"",
        2,
        "a space in a URL is a bad command line",
    ),
    (
        "-X PATCH localhost:8888/notes/1",
        22,
        "405: the route has no PATCH handler",
    ),
    (
        "--path-as-is http://127.0.0.1:8888/../Cargo.toml",
        22,
        "400: a path that climbs out of the root",
    ),
    (
        "curl -m 2",
        28,
        "curl gives up after 2 s: the one thread is busy",
    ),
];

/// A command of the book and where it is.
#[derive(Debug, Clone)]
struct Pasted {
    file: String,
    line: usize,
    /// The line where its block starts: servers started in one block run
    /// side by side, so they need different ports.
    block: usize,
    /// The command, without its comment.
    text: String,
    /// The whole line, comment included (what [`SKIPPED`] matches).
    raw: String,
}

/// The commands of a Markdown file, in order.
fn extract(file: &str, md: &str, untyped: bool) -> Vec<Pasted> {
    let mut out = Vec::new();
    let mut block: Option<String> = None;
    let mut block_line = 0;
    let mut pending: Option<(usize, String)> = None;
    for (i, raw) in md.lines().enumerate() {
        let line = raw.trim_end();
        if let Some(info) = line.trim_start().strip_prefix("```") {
            block = match block {
                None => Some(info.trim().to_string()),
                Some(_) => None,
            };
            block_line = i + 1;
            continue;
        }
        let Some(info) = block.as_deref() else {
            continue;
        };
        let text = match (pending.take(), info) {
            (Some((n, mut prev)), _) => {
                prev.push(' ');
                prev.push_str(line.trim());
                Some((n, prev))
            }
            (None, "sh" | "bash" | "shell") => Some((i + 1, line.trim().to_string())),
            (None, "console") => line
                .strip_prefix("$ ")
                .map(|c| (i + 1, c.trim().to_string())),
            (None, "" | "text") if untyped && looks_like_a_command(line) => {
                Some((i + 1, line.trim().to_string()))
            }
            _ => None,
        };
        let Some((n, text)) = text else { continue };
        if let Some(head) = text.strip_suffix('\\') {
            pending = Some((n, head.trim_end().to_string()));
            continue;
        }
        let raw = text;
        let text = strip_comment(&raw);
        if !text.is_empty() {
            out.push(Pasted {
                file: file.to_string(),
                line: n,
                block: block_line,
                text,
                raw,
            });
        }
    }
    out
}

fn looks_like_a_command(line: &str) -> bool {
    let first = line.split_whitespace().next().unwrap_or("");
    let first = if first == "$" {
        line.split_whitespace().nth(1).unwrap_or("")
    } else {
        first
    };
    ["cargo", "curl", "make", "printf", "nc", "head", "mkdir"].contains(&first)
}

/// The command without a trailing `# comment` (a `#` outside quotes,
/// after a space).
fn strip_comment(cmd: &str) -> String {
    let (mut single, mut double) = (false, false);
    let b = cmd.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\'' if !double => single = !single,
            b'"' if !single => double = !double,
            b'#' if !single && !double && (i == 0 || b[i - 1] == b' ') => {
                return cmd[..i].trim().to_string();
            }
            _ => {}
        }
    }
    cmd.trim().to_string()
}

/// Shell words with the byte offset where each ends (quotes removed; no
/// expansion, which is all a `cargo run` line needs).
fn words(cmd: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    let mut quote: Option<char> = None;
    for (i, c) in cmd.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.get_or_insert_default().push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                cur.get_or_insert_default();
            }
            (None, c) if c.is_whitespace() => {
                if let Some(w) = cur.take() {
                    out.push((w, i));
                }
            }
            (None, c) => cur.get_or_insert_default().push(c),
        }
    }
    if let Some(w) = cur {
        out.push((w, cmd.len()));
    }
    out
}

/// `cargo run [--release] [--bin X] [--] ARGS…`: the binary, its
/// arguments, and the text after the cargo part.
fn cargo_run(cmd: &str) -> Option<(String, Vec<String>, String)> {
    let w = words(cmd);
    if w.len() < 2 || w[0].0 != "cargo" || w[1].0 != "run" {
        return None;
    }
    let mut bin = "wirebook".to_string();
    let mut i = 2;
    let mut end = w[1].1;
    while i < w.len() {
        match w[i].0.as_str() {
            "--release" | "-q" | "--quiet" => {}
            "--bin" if i + 1 < w.len() => {
                i += 1;
                bin = w[i].0.clone();
            }
            "--" => {
                end = w[i].1;
                i += 1;
                break;
            }
            _ => break,
        }
        end = w[i].1;
        i += 1;
    }
    let args = w[i..].iter().map(|(s, _)| s.clone()).collect();
    Some((bin, args, cmd[end..].to_string()))
}

/// What one file's commands share: its servers, by the port the prose
/// used, and its directory.
struct Session {
    bins: PathBuf,
    tmp: TempDir,
    servers: HashMap<u16, Server>,
    /// The port of the last server started (for clients with no address).
    last: Option<u16>,
    /// Servers started for `check` lines.
    checked: Vec<Server>,
    /// Which binary, started at which line, holds each port.
    owners: HashMap<u16, (String, usize)>,
    /// The current command's line, and the line of its block.
    line: usize,
    block: usize,
}

impl Session {
    fn new(tag: &str) -> Session {
        let tmp = TempDir::new(tag);
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for name in ["static", "Cargo.toml", "README.md"] {
            std::os::unix::fs::symlink(root.join(name), tmp.join(name)).expect("symlink");
        }
        let bins = Path::new(env!("CARGO_BIN_EXE_wirebook"))
            .parent()
            .expect("the binaries' directory")
            .to_path_buf();
        Session {
            bins,
            tmp,
            servers: HashMap::new(),
            last: None,
            checked: Vec::new(),
            owners: HashMap::new(),
            line: 0,
            block: 0,
        }
    }

    /// The command as it runs here: this session's ports and directory.
    fn localize(&self, cmd: &str) -> String {
        let mut cmd = cmd.replace("/tmp/", &format!("{}/", self.tmp.path.display()));
        for (orig, server) in &self.servers {
            let real = server.addr.port();
            cmd = cmd.replace(&format!(":{orig}"), &format!(":{real}"));
            for host in ["127.0.0.1", "localhost"] {
                let tcp = format!("/dev/tcp/{host}/");
                cmd = cmd.replace(&format!("{tcp}{orig}"), &format!("{tcp}{real}"));
            }
        }
        cmd
    }

    fn start(&mut self, bin: &str, args: Vec<String>) -> Result<(), String> {
        let (orig, server) = self.spawn(bin, args)?;
        if let Some((other, line)) = self.owners.get(&orig)
            && *line >= self.block
        {
            return Err(format!(
                "port {orig} is already taken by {other}, started at line {line} of the same block"
            ));
        }
        self.servers.insert(orig, server);
        self.owners.insert(orig, (bin.to_string(), self.line));
        self.last = Some(orig);
        Ok(())
    }

    /// Starts a server on port 0: the port the prose meant, and the server.
    fn spawn(&self, bin: &str, mut args: Vec<String>) -> Result<(u16, Server), String> {
        let default = SERVERS.iter().find(|(b, _)| *b == bin).map(|(_, p)| *p);
        let mut orig = default.unwrap_or(8888);
        args.retain(|a| a != "&");
        if let Some(i) = args.iter().position(|a| a == "--addr") {
            let Some(v) = args.get(i + 1) else {
                return Err("--addr without a value".into());
            };
            orig = v
                .rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .unwrap_or(orig);
            args[i + 1] = "127.0.0.1:0".into();
        }
        let mut cmd = Command::new(self.bins.join(bin));
        cmd.args(&args).current_dir(&self.tmp.path);
        if !args.iter().any(|a| a == "--addr") {
            cmd.args(["--addr", "127.0.0.1:0"]);
        }
        let server =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Server::start_command(cmd)))
                .map_err(|_| format!("{bin} did not start"))?;
        Ok((orig, server))
    }

    /// `check CHAPTER …` against a fresh start of the book's server for
    /// that chapter, kept apart from the servers the prose started.
    fn check_line(&mut self, args: &[String]) -> Result<String, String> {
        let chapter = args.iter().find(|a| a.starts_with("ch")).cloned();
        let chapter = chapter.ok_or("check without a chapter")?;
        let (_, bin, server_args) = CHECK_SERVERS
            .iter()
            .find(|(c, _, _)| *c == chapter)
            .ok_or(format!("no server in CHECK_SERVERS for {chapter}"))?;
        let server_args = server_args.iter().map(|a| self.localize(a)).collect();
        let (_, server) = self.spawn(bin, server_args)?;
        let addr = server.addr;
        self.checked.push(server);
        let mut line = format!(
            "{} {chapter} --addr {addr}",
            self.bins.join("check").display()
        );
        let mut rest = args.iter().filter(|a| **a != chapter);
        while let Some(a) = rest.next() {
            if a == "--addr" {
                rest.next();
            } else {
                line.push_str(&format!(" '{a}'"));
            }
        }
        Ok(line)
    }

    /// Runs one pasted command; `Ok(note)` or `Err(what went wrong)`.
    fn run(&mut self, p: &Pasted) -> Result<String, String> {
        (self.line, self.block) = (p.line, p.block);
        if let Some((_, why)) = SKIPPED.iter().find(|(s, _)| p.raw.contains(s)) {
            return Ok(format!("skipped: {why}"));
        }
        if let Some((_, bin, args)) = MAKE_SERVERS.iter().find(|(m, _, _)| p.text == *m) {
            let args = args.iter().map(|a| self.localize(a)).collect();
            return self.start(bin, args).map(|_| format!("started {bin}"));
        }
        let text = self.localize(&p.text);
        let text = text.trim_end_matches('&').trim_end().to_string();
        let line = match cargo_run(&text) {
            Some((bin, args, _)) if SERVERS.iter().any(|(b, _)| *b == bin) => {
                return self.start(&bin, args).map(|_| format!("started {bin}"));
            }
            Some((bin, args, _)) if bin == "check" && !args.iter().any(|a| a == "--list") => {
                self.check_line(&args)?
            }
            Some((bin, args, rest)) => {
                let mut line = format!("{}{rest}", self.bins.join(&bin).display());
                let named = args
                    .iter()
                    .any(|a| a.starts_with("--addr") || a == "--list");
                if CLIENTS_WITH_DEFAULT_ADDR.contains(&bin.as_str()) && !named {
                    let port = self.last.and_then(|o| self.servers.get(&o));
                    if let Some(s) = port {
                        line = format!("{line} --addr {}", s.addr);
                    }
                }
                line
            }
            None => match text.strip_prefix("curl ") {
                Some(rest) => format!("curl --fail {rest}"),
                None => text,
            },
        };
        let expected = EXPECTED.iter().find(|(s, _, _)| p.text.contains(s));
        let want = expected.map_or(0, |(_, code, _)| *code);
        let out = Command::new("timeout")
            .args([
                "-k",
                "5",
                &COMMAND_TIMEOUT.as_secs().to_string(),
                "bash",
                "-c",
            ])
            .arg(&line)
            .current_dir(&self.tmp.path)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| format!("cannot run bash: {e}"))?;
        let code = out.status.code().unwrap_or(-1);
        if code == want {
            return Ok(match expected {
                Some((_, _, why)) => format!("exit {code}, as expected: {why}"),
                None => "ok".into(),
            });
        }
        let tail = |b: &[u8]| {
            let s = String::from_utf8_lossy(b);
            let s = s.trim_end();
            let start = s.len().saturating_sub(600);
            let start = (start..=s.len())
                .find(|&i| s.is_char_boundary(i))
                .unwrap_or(0);
            if start > 0 {
                format!("…{}", &s[start..])
            } else {
                s.to_string()
            }
        };
        let why = if code == 124 {
            format!("did not finish within {COMMAND_TIMEOUT:?}")
        } else {
            format!("exit {code}, expected {want}")
        };
        Err(format!(
            "{why}\n    ran: {line}\n    stdout: {}\n    stderr: {}",
            tail(&out.stdout),
            tail(&out.stderr)
        ))
    }
}

/// The Markdown files whose commands are checked.
fn book_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    let mut chapters: Vec<PathBuf> = std::fs::read_dir(root.join("chapters"))
        .expect("chapters/")
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    chapters.sort();
    files.extend(chapters);
    files.push(root.join("static/index.html"));
    files
}

/// The landing page's commands (`<code class="cmd">…</code>`), after a
/// `make run`, as a reader would paste them with the server running.
fn landing_commands(file: &str, html: &str) -> Vec<Pasted> {
    let pasted = |line: usize, text: &str| Pasted {
        file: file.to_string(),
        line,
        block: 0,
        text: text.to_string(),
        raw: text.to_string(),
    };
    let mut out = vec![pasted(0, "make run")];
    let open = "<code class=\"cmd\">";
    for (i, line) in html.lines().enumerate() {
        let mut rest = line;
        while let Some(start) = rest.find(open) {
            rest = &rest[start + open.len()..];
            let Some(end) = rest.find("</code>") else {
                break;
            };
            let cmd = rest[..end]
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&amp;", "&");
            out.push(pasted(i + 1, &cmd));
            rest = &rest[end..];
        }
    }
    out
}

/// Runs one file's commands in order; the report and the failures.
fn run_file(path: &Path, untyped: bool) -> (String, Vec<String>) {
    let name = path
        .strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap_or(path)
        .display()
        .to_string()
        .trim_start_matches('/')
        .to_string();
    let text = std::fs::read_to_string(path).expect("a readable file");
    let cmds = if name.ends_with(".html") {
        landing_commands(&name, &text)
    } else {
        extract(&name, &text, untyped)
    };
    let mut session = Session::new("commands");
    let mut report = String::new();
    let mut failures = Vec::new();
    for p in &cmds {
        match session.run(p) {
            Ok(note) => report.push_str(&format!("{}:{}: {} ({note})\n", p.file, p.line, p.text)),
            Err(e) => {
                let f = format!("{}:{}: {}\n    {e}", p.file, p.line, p.text);
                report.push_str(&format!("FAILED {f}\n"));
                failures.push(f);
            }
        }
    }
    (report, failures)
}

#[test]
fn every_command_in_the_readme_and_the_chapters_works_when_pasted() {
    let untyped = std::env::var_os("WIREBOOK_COMMANDS_UNTYPED").is_some();
    let runs: Vec<_> = book_files()
        .into_iter()
        .map(|f| thread::spawn(move || run_file(&f, untyped)))
        .collect();
    let mut failures = Vec::new();
    let mut total = 0;
    for r in runs {
        let (report, f) = r.join().expect("a file's run panicked");
        total += report.lines().filter(|l| !l.starts_with(' ')).count();
        eprint!("{report}");
        failures.extend(f);
    }
    assert!(total > 0, "no commands found: are the blocks tagged ```sh?");
    assert!(
        failures.is_empty(),
        "{} of {total} commands fail as pasted:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_extractor_reads_sh_and_console_blocks_only() {
    let md = "text\n```sh\ncurl -s x # c\ncargo run --bin a -- \\\n  --b 1\n```\n\
              ```console\n$ make test\noutput\n```\n```text\ncurl no\n```\n";
    let got: Vec<String> = extract("f", md, false)
        .into_iter()
        .map(|p| p.text)
        .collect();
    assert_eq!(
        got,
        ["curl -s x", "cargo run --bin a -- --b 1", "make test"]
    );
    let (bin, args, rest) = cargo_run("cargo run --release --bin x -- --addr 'a b' | wc").unwrap();
    assert_eq!((bin.as_str(), args.len()), ("x", 4));
    assert_eq!(rest, " --addr 'a b' | wc");
    assert_eq!(cargo_run("cargo run --release").unwrap().0, "wirebook");
    assert_eq!(strip_comment("printf 'a # b' # c"), "printf 'a # b'");
}
