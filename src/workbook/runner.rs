//! `cargo run --bin exercises`: lists the exercises, starts one, tests it
//! with only the tests that grade it, gives hints, resets a stub, and proves
//! the whole workbook sound (`verify`).
//!
//! The reader's progress is kept in `src/workbook/progress.txt`, and the
//! reader's code in `src/workbook/chNN_*.rs`; git ignores both, so a fresh
//! clone starts with a clean workbook.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::list::{ALL, Exercise, find};

/// The features of `verify`'s one build: every exercise, from its pristine stub.
const ALL_STUBS: &str = "workbook_all,workbook_pristine";

/// How the reader runs this program; printed in every suggestion.
pub const RUN: &str = "cargo run -q --bin exercises --";

const USAGE: &str = "\
usage: cargo run -q --bin exercises -- [COMMAND]

  (none) | list     every exercise, in book order, with its status
  start NAME        copy the stub to src/workbook/NAME.rs and switch it on
  test [NAME]       run the tests that grade it (NAME: the current one)
  hint [NAME]       a nudge
  solution [NAME]   where the reference is
  reset NAME        bring the stub back (your version is kept as NAME.rs.old)
  next              start the first exercise that does not pass yet
  verify            prove the workbook sound: stubs fail, references pass

NAME may be a unique part of a name: `test parse_request`.";

/// Runs one command line (without the program name); returns the exit code.
pub fn main(args: &[String]) -> i32 {
    // The crate this runner was built from; if it moved since, the current
    // directory (the runner is meant to be started from the crate's root).
    let built_in = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let root = if built_in.join("Cargo.toml").exists() {
        built_in
    } else {
        std::env::current_dir().unwrap_or(built_in)
    };
    let wb = Workbook { root };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        [] | ["list"] => Ok(wb.list()),
        ["start", name] => find(name).and_then(|e| wb.start(e)),
        ["test"] => wb.current().and_then(|e| wb.test(e)),
        ["test", name] => find(name).and_then(|e| wb.test(e)),
        ["hint"] => wb.current().map(|e| wb.hint(e)),
        ["hint", name] => find(name).map(|e| wb.hint(e)),
        ["solution"] => wb.current().map(|e| wb.solution(e)),
        ["solution", name] => find(name).map(|e| wb.solution(e)),
        ["reset", name] => find(name).and_then(|e| wb.reset(e)),
        ["next"] => wb.next(),
        ["verify"] => wb.verify(),
        ["help" | "-h" | "--help"] => {
            println!("{USAGE}");
            Ok(0)
        }
        _ => Err(format!("unknown command `{}`\n\n{USAGE}", args.join(" "))),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("exercises: {e}");
            2
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    NotStarted,
    Started,
    Failing,
    Passing,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::NotStarted => "  not started",
            Status::Started => "  started",
            Status::Failing => "✘ failing",
            Status::Passing => "✔ passing",
        }
    }
}

struct Workbook {
    root: PathBuf,
}

impl Workbook {
    fn progress_path(&self) -> PathBuf {
        self.root.join("src/workbook/progress.txt")
    }

    /// `current NAME` and `NAME passing|failing` lines.
    fn progress(&self) -> BTreeMap<String, String> {
        let text = fs::read_to_string(self.progress_path()).unwrap_or_default();
        text.lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(k, v)| (k.to_string(), v.trim().to_string()))
            .collect()
    }

    fn save(&self, key: &str, value: &str) {
        let mut p = self.progress();
        p.insert(key.to_string(), value.to_string());
        let text: String = p.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
        if let Err(e) = fs::write(self.progress_path(), text) {
            eprintln!("exercises: cannot save progress: {e}");
        }
    }

    fn status(&self, e: &Exercise) -> Status {
        if !self.root.join(e.file()).exists() {
            return Status::NotStarted;
        }
        match self.progress().get(e.name).map(String::as_str) {
            Some("passing") => Status::Passing,
            Some("failing") => Status::Failing,
            _ => Status::Started,
        }
    }

    fn current(&self) -> Result<&'static Exercise, String> {
        match self.progress().get("current") {
            Some(name) => find(name),
            None => Err(format!(
                "no exercise started yet: `{RUN} next` starts the first one"
            )),
        }
    }

    fn list(&self) -> i32 {
        println!("The workbook: rewrite a piece of each chapter; tests grade it.\n");
        let mut chapter = 0;
        let mut passing = 0;
        for e in ALL {
            if e.chapter() != chapter {
                chapter = e.chapter();
                println!("chapter {chapter}");
            }
            let s = self.status(e);
            passing += usize::from(s == Status::Passing);
            println!("  {:<13} {:<22} {}", s.label(), e.name, e.title);
        }
        println!("\n{passing} of {} passing.", ALL.len());
        println!("Next step: {RUN} next    (or: start NAME, test, hint, solution, reset NAME)");
        0
    }

    fn start(&self, e: &Exercise) -> Result<i32, String> {
        let path = self.root.join(e.file());
        let fresh = !path.exists();
        if fresh {
            fs::write(&path, e.stub).map_err(|err| format!("cannot write {}: {err}", e.file()))?;
        }
        self.save("current", e.name);
        println!("{}: {}\n", e.name, e.title);
        if fresh {
            println!(
                "  Write it in  {}  (a todo!() stub: its doc comment says what to do)",
                e.file()
            );
        } else {
            println!(
                "  Your file    {}  is kept (`reset {}` brings the stub back)",
                e.file(),
                e.name
            );
        }
        println!("  Reread       {}", e.reread);
        println!("  Test it      {RUN} test");
        println!(
            "\n  While it is switched on, the book's own code calls your version instead of {}.",
            e.reference.1.trim_start_matches("fn ")
        );
        Ok(0)
    }

    fn hint(&self, e: &Exercise) -> i32 {
        println!("{}: {}\n", e.name, e.title);
        for line in wrap(e.hint, 74) {
            println!("  {line}");
        }
        println!("\n  Reread {}", e.reread);
        0
    }

    fn solution(&self, e: &Exercise) -> i32 {
        let (file, item) = e.reference;
        let text = fs::read_to_string(self.root.join(file)).unwrap_or_default();
        let line = text
            .lines()
            .position(|l| l.contains(&format!("{item}(")))
            .map_or(String::new(), |i| format!(":{}", i + 1));
        println!("The reference for {} is `{item}` in {file}{line}.", e.name);
        println!(
            "The tests that grade it: src/workbook/graded/ch{:02}.rs, module {}.",
            e.chapter(),
            e.name
        );
        0
    }

    fn reset(&self, e: &Exercise) -> Result<i32, String> {
        let path = self.root.join(e.file());
        if let Ok(old) = fs::read_to_string(&path)
            && old != e.stub
        {
            let keep = self.root.join(format!("{}.old", e.file()));
            fs::write(&keep, old).map_err(|err| format!("cannot keep your version: {err}"))?;
            println!("Your version is in {}.old", e.file());
        }
        fs::write(&path, e.stub).map_err(|err| format!("cannot write {}: {err}", e.file()))?;
        self.save(e.name, "started");
        self.save("current", e.name);
        println!("{} is the stub again.", e.file());
        Ok(0)
    }

    fn next(&self) -> Result<i32, String> {
        // The first unfinished one after the current one, else from the start.
        let after = self
            .current()
            .ok()
            .and_then(|c| ALL.iter().position(|e| e.name == c.name));
        let skip = after.map_or(0, |i| i + 1);
        let unfinished = |e: &&Exercise| self.status(e) != Status::Passing;
        let next = ALL[skip..]
            .iter()
            .find(unfinished)
            .or_else(|| ALL.iter().find(unfinished));
        match next {
            Some(e) => self.start(e),
            None => {
                println!(
                    "All {} exercises pass. The checks grade whole servers: see each chapter's Exercises.",
                    ALL.len()
                );
                Ok(0)
            }
        }
    }

    fn test(&self, e: &Exercise) -> Result<i32, String> {
        if !self.root.join(e.file()).exists() {
            self.start(e)?;
            println!();
        }
        self.save("current", e.name);
        println!(
            "Testing {} (a build of the crate with your version switched in)…",
            e.name
        );
        let feature = format!("ex_{}", e.name);
        let run = cargo_test(&self.root, &feature, &[&filter(e)], None)?;
        let Some(results) = run.results() else {
            println!("\n✘ it does not compile:\n");
            print_errors(&run.stderr);
            println!("Fix {} and run `{RUN} test` again.", e.file());
            self.save(e.name, "failing");
            return Ok(1);
        };
        let failed: Vec<&TestResult> = results.iter().filter(|r| !r.ok).collect();
        for r in &results {
            let mark = if r.ok { "✔" } else { "✘" };
            println!("  {mark} {}", short_name(&r.name));
        }
        let todo = |r: &&TestResult| r.output.contains("not yet implemented");
        if !failed.is_empty() && failed.iter().all(todo) {
            println!(
                "\n✘ your function still says todo!(): write it in {}",
                e.file()
            );
        }
        for r in failed.iter().filter(|r| !todo(r)).take(3) {
            println!("\n✘ {}", short_name(&r.name));
            for line in explain(&r.output, e) {
                println!("    {line}");
            }
        }
        if results.is_empty() {
            return Err(format!("no graded test found for {}", e.name));
        }
        if failed.is_empty() {
            self.save(e.name, "passing");
            println!(
                "\n✔ {} passes: {} of {} tests.",
                e.name,
                results.len(),
                results.len()
            );
            if let Some(t) = chapter_tests(&self.root, e.chapter()) {
                println!(
                    "  The chapter's own tests on your version: cargo test --features {feature} --test {t}"
                );
            }
            println!("  Next: {RUN} next");
            Ok(0)
        } else {
            self.save(e.name, "failing");
            println!(
                "\n{} of {} passing. Reread {}.",
                results.len() - failed.len(),
                results.len(),
                e.reread
            );
            println!("  Stuck? {RUN} hint");
            Ok(1)
        }
    }

    fn verify(&self) -> Result<i32, String> {
        let t0 = Instant::now();
        let mut problems = self.verify_files();
        let graded = "workbook::graded::";
        println!(
            "verify 1/2: one build, every stub in; for each exercise, only its stub live: its graded tests must fail in it…"
        );
        let mut stub_results: Vec<TestResult> = Vec::new();
        for e in ALL {
            let run = cargo_test(&self.root, ALL_STUBS, &[&filter(e)], Some(e.name))?;
            let Some(results) = run.results() else {
                print_errors(&run.stderr);
                return Err("the stubs do not compile".into());
            };
            stub_results.extend(results);
            let mine: Vec<&TestResult> = stub_results
                .iter()
                .filter(|r| r.name.contains(&filter(e)))
                .collect();
            if mine.is_empty() {
                problems.push(format!("{}: no graded test", e.name));
            }
            let stub_file = format!("stubs/{}.rs", e.name);
            for r in mine {
                if r.ok {
                    problems.push(format!("{}: passes with the stub", r.name));
                } else if !r.output.contains(&stub_file) {
                    problems.push(format!("{}: fails, but not in {stub_file}", r.name));
                }
            }
        }
        println!(
            "verify 2/2: the same build, every switch falling through to the reference: every unit test must pass…"
        );
        let refs = cargo_test(&self.root, ALL_STUBS, &[], Some("none"))?;
        let Some(ref_results) = refs.results() else {
            print_errors(&refs.stderr);
            return Err("the references do not compile with the switches on".into());
        };
        for r in ref_results.iter().filter(|r| !r.ok) {
            problems.push(format!("{}: fails with the reference", r.name));
        }
        let graded_count = ref_results
            .iter()
            .filter(|r| r.name.contains(graded))
            .count();
        if graded_count != stub_results.len() {
            problems.push(format!(
                "{} graded tests with stubs, {graded_count} with references",
                stub_results.len()
            ));
        }
        let secs = t0.elapsed().as_secs_f64();
        if problems.is_empty() {
            println!(
                "verify: ok, {} exercises, {} graded tests fail with the stubs and pass with the references; \
                 {} unit tests pass with every switch on ({secs:.0} s)",
                ALL.len(),
                stub_results.len(),
                ref_results.len()
            );
            Ok(0)
        } else {
            for p in &problems {
                println!("  ✘ {p}");
            }
            println!("verify: {} problem(s) ({secs:.0} s)", problems.len());
            Ok(1)
        }
    }

    /// What needs no build: every stub is listed, every switch is in place,
    /// every chapter names its exercises.
    fn verify_files(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let stubs = fs::read_dir(self.root.join("src/workbook/stubs")).map(|d| {
            d.filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .to_str()
                        .and_then(|n| n.strip_suffix(".rs"))
                        .map(str::to_string)
                })
                .collect::<Vec<_>>()
        });
        for s in stubs.unwrap_or_default() {
            if !ALL.iter().any(|e| e.name == s) {
                problems.push(format!("stubs/{s}.rs is not in the list"));
            }
        }
        for e in ALL {
            let (file, _) = e.reference;
            let src = fs::read_to_string(self.root.join(file)).unwrap_or_default();
            if !src.contains(&format!("\"ex_{}\"", e.name)) {
                problems.push(format!(
                    "{}: no switch `exercise!(\"ex_{}\", …)` in {file}",
                    e.name, e.name
                ));
            }
            let chapter = chapter_file(&self.root, e.chapter());
            let text = chapter
                .as_ref()
                .and_then(|p| fs::read_to_string(p).ok())
                .unwrap_or_default();
            if !text.contains(&format!("start {}", e.name)) {
                problems.push(format!(
                    "{}: its chapter does not say `start {}`",
                    e.name, e.name
                ));
            }
        }
        problems
    }
}

/// `text` in lines of at most `width` characters, broken at spaces.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().expect("one line at least");
        if !last.is_empty() && last.chars().count() + 1 + word.chars().count() > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// The name of chapter `n`'s socket tests (`ch02_http_by_hand`), if any.
fn chapter_tests(root: &Path, n: u32) -> Option<String> {
    let prefix = format!("ch{n:02}_");
    let mut names: Vec<String> = fs::read_dir(root.join("tests"))
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|f| f.starts_with(&prefix) && f.ends_with(".rs") && !f.contains("browser"))
        .map(|f| f.trim_end_matches(".rs").to_string())
        .collect();
    names.sort();
    names.into_iter().next()
}

fn chapter_file(root: &Path, n: u32) -> Option<PathBuf> {
    let prefix = format!("{n:02}-");
    fs::read_dir(root.join("chapters"))
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.starts_with(&prefix))
        })
}

/// The test-name filter that selects an exercise's graded tests.
fn filter(e: &Exercise) -> String {
    format!("graded::ch{:02}::{}::", e.chapter(), e.name)
}

fn short_name(test: &str) -> &str {
    test.rsplit("::").next().unwrap_or(test)
}

struct Run {
    stdout: String,
    stderr: String,
}

struct TestResult {
    name: String,
    ok: bool,
    /// What the test printed (its panic message), if it failed.
    output: String,
}

impl Run {
    /// Each test's result, or `None` if nothing ran (a build error).
    fn results(&self) -> Option<Vec<TestResult>> {
        if !self.stdout.contains("running ") {
            return None;
        }
        let mut results: Vec<TestResult> = Vec::new();
        for line in self.stdout.lines() {
            let Some(rest) = line.strip_prefix("test ") else {
                continue;
            };
            let Some((name, outcome)) = rest.rsplit_once(" ... ") else {
                continue;
            };
            if outcome == "ok" || outcome == "FAILED" {
                results.push(TestResult {
                    name: name.to_string(),
                    ok: outcome == "ok",
                    output: String::new(),
                });
            }
        }
        // The failures' output: `---- NAME stdout ----` blocks.
        let mut current: Option<usize> = None;
        for line in self.stdout.lines() {
            if let Some(name) = line
                .strip_prefix("---- ")
                .and_then(|l| l.strip_suffix(" stdout ----"))
            {
                current = results.iter().position(|r| r.name == name);
                continue;
            }
            if line == "failures:" || line.starts_with("test result:") {
                current = None;
            }
            if let Some(i) = current {
                results[i].output.push_str(line);
                results[i].output.push('\n');
            }
        }
        Some(results)
    }
}

/// `cargo test --lib --features FEATURES -- FILTERS`, captured. Only the
/// library's unit tests: no binary is linked and nothing in `target/debug`
/// is overwritten, and the feature set gives the build its own artifacts, so
/// switching exercises never rebuilds the dependencies or the plain build.
///
/// `switch` sets `WIREBOOK_SWITCH` (see [`super::falls_through`]): `None`
/// leaves every switched-in exercise live, as the reader's builds want.
fn cargo_test(
    root: &Path,
    features: &str,
    filters: &[&str],
    switch: Option<&str>,
) -> Result<Run, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    match switch {
        Some(s) => cmd.env(super::SWITCH_ENV, s),
        None => cmd.env_remove(super::SWITCH_ENV),
    };
    let out = cmd
        .current_dir(root)
        .args(["test", "--lib", "--features", features, "--"])
        .args(filters)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    Ok(Run {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

/// The compiler's errors (not its warnings or progress lines), at most 60 lines.
fn print_errors(stderr: &str) {
    let mut shown = 0;
    let mut in_error = false;
    for line in stderr.lines() {
        if line.starts_with("error") {
            in_error = !line.starts_with("error: could not compile");
        } else if line.starts_with("warning") {
            in_error = false;
        }
        if in_error && shown < 60 {
            println!("{line}");
            shown += 1;
        }
    }
    if shown == 0 {
        println!(
            "{}",
            stderr
                .lines()
                .rev()
                .take(20)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// A failed test's output, told briefly: what was checked, what was
/// expected, what came back. A panic in the reader's file comes first;
/// otherwise the last panic (the failed assertion) tells.
fn explain(output: &str, e: &Exercise) -> Vec<String> {
    let lines: Vec<&str> = output
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE"))
        .collect();
    // Each panic: where, and the lines after it up to the next panic.
    let mut panics: Vec<(String, Vec<&str>)> = Vec::new();
    for l in &lines {
        if let Some((_, at)) = l.split_once("panicked at ") {
            panics.push((at.trim_end_matches(':').to_string(), Vec::new()));
        } else if let Some((_, body)) = panics.last_mut() {
            body.push(l);
        }
    }
    let mine_file = format!("workbook/{}.rs", e.name);
    if let Some((at, body)) = panics.iter().find(|(at, _)| at.contains(&mine_file)) {
        let message = body.first().copied().unwrap_or("");
        if message.starts_with("not yet implemented") {
            return vec![format!("your function still says todo!() ({at})")];
        }
        return vec![format!("your code panicked at {at}:"), message.to_string()];
    }
    let Some((at, body)) = panics.last() else {
        return lines.iter().take(5).map(|l| l.to_string()).collect();
    };
    let message = body.first().copied().unwrap_or("");
    let mut out = Vec::new();
    if let Some(what) = message.strip_prefix("assertion `left == right` failed: ") {
        out.push(format!("checking: {what}"));
    } else if message.starts_with("assertion `left == right` failed") {
        out.push("values differ".to_string());
    } else {
        out.push(message.to_string());
    }
    for l in body {
        if let Some(v) = l.strip_prefix(" right: ") {
            out.push(format!("expected: {v}"));
        }
    }
    for l in body {
        if let Some(v) = l.strip_prefix("  left: ") {
            out.push(format!("got:      {v}"));
        }
    }
    if !at.contains("src/workbook/graded/") {
        out.push(format!("(panicked at {at})"));
    }
    out
}
