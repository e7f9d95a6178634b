//! `check chNN --addr HOST:PORT`: runs a chapter's checks against a server,
//! yours or the book's. `check --raw` replays bytes from stdin, for the
//! `try:` lines of its own reports.

use std::io::Read;

use wirebook::check::{self, Target};
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "check",
        "Runs a chapter's black-box checks against a running server (yours or the book's).\n\
         Each failing check shows what was sent, what was expected, what came back,\n\
         the first wrong byte, and a command that reproduces it (curl, or\n\
         `printf … | cargo run -q --bin check -- --raw --addr …`).\n\
         \n\
         Work one check at a time with --only NAME (the names are in --list),\n\
         or stage by stage with --stage N: the first N checks in order, stopping\n\
         at the first failure.",
        "[CHAPTER] [--addr HOST:PORT] [--list | --only NAME | --stage N] [--timeout SECS]\n       \
         check --raw [--addr HOST:PORT] [--timeout SECS] < REQUEST",
    );
    args.describe(
        "CHAPTER              ch01 … ch09 (optional with --only, if one chapter has NAME)",
    );
    args.describe("--addr HOST:PORT     the server to check (default 127.0.0.1:8888)");
    args.describe("--list               list the chapter's checks without running them");
    args.describe("--only NAME          run only the check called NAME");
    args.describe(
        "--stage N            run the first N checks in order, stop at the first failure",
    );
    args.describe("--timeout SECS       per-operation timeout (default 5)");
    args.describe(
        "--raw                send stdin to the server, half-close, print the answer (no CHAPTER)",
    );
    args.handle_help();
    let addr = args.addr("127.0.0.1:8888");
    let timeout = args.duration("--timeout", check::CHECK_TIMEOUT);
    let mut target = Target::new(addr);
    target.timeout = timeout;
    if args.flag("--raw") {
        args.finish();
        raw(&target);
    }
    let list = args.flag("--list");
    let only: Option<String> = args.value("--only");
    let stage: Option<usize> = args.parsed_opt("--stage");
    // `--only NAME` alone finds the chapter, if only one has that check.
    let chapter = match (args.next_positional(), &only) {
        (Some(c), _) => c,
        (None, Some(name)) => match check::chapters_with(name).as_slice() {
            [one] => one.clone(),
            [] => args.fail(format!("no chapter has a check called `{name}`")),
            many => args.fail(format!(
                "`{name}` is a check of {}: name the chapter",
                many.join(", ")
            )),
        },
        (None, None) => args.positional("CHAPTER (ch01 … ch09)"),
    };
    let Some(mut checks) = check::chapter(&chapter) else {
        args.fail(format!(
            "unknown chapter `{chapter}` (expected ch01 … ch09)"
        ));
    };
    if [list, only.is_some(), stage.is_some()]
        .iter()
        .filter(|x| **x)
        .count()
        > 1
    {
        args.fail("--list, --only and --stage do not go together");
    }
    if let Some(name) = &only {
        match check::only(&checks, name) {
            Some(one) => checks = one,
            None => args.fail(format!(
                "{chapter} has no check called `{name}` (see `check {chapter} --list`)"
            )),
        }
    }
    if stage == Some(0) || stage.is_some_and(|n| n > checks.len()) {
        args.fail(format!("--stage takes 1 to {} for {chapter}", checks.len()));
    }
    args.finish();
    if list {
        let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0) + 2;
        for (i, c) in checks.iter().enumerate() {
            println!("{:>2}  {:width$}{}", i + 1, c.name, c.about);
        }
        return;
    }
    if checks.is_empty() {
        eprintln!("check: {chapter} has no checks yet");
        std::process::exit(1);
    }
    let mut out = std::io::stdout();
    let report = match stage {
        Some(n) => {
            println!("checking {chapter} against {addr}, stages 1 to {n}");
            check::run_stages(&checks, n, &target, &mut out)
        }
        None => {
            println!("checking {chapter} against {addr}");
            check::run(&checks, &target, &mut out)
        }
    };
    std::process::exit(if report.failed.is_empty() { 0 } else { 1 });
}

/// `--raw`: stdin to the server, the answer to stdout, and why it did not
/// end well (if it did not) to stderr with exit status 1.
fn raw(target: &Target) -> ! {
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin()
        .take(check::MAX_CHECK_BODY)
        .read_to_end(&mut input)
    {
        eprintln!("check: cannot read stdin: {e}");
        std::process::exit(1);
    }
    let mut out = Counting(std::io::stdout(), 0);
    match check::raw::replay(target, &input, &mut out) {
        Ok(()) => std::process::exit(0),
        Err(why) => {
            // On a terminal the answer may end mid-line: start a fresh one.
            let sep = if out.1 > 0 { "\n" } else { "" };
            eprintln!("{sep}check: {why}");
            std::process::exit(1);
        }
    }
}

/// A writer that counts what went through it.
struct Counting<W>(W, usize);

impl<W: std::io::Write> std::io::Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.0.write(buf)?;
        self.1 += n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
