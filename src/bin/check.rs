//! `check chNN --addr HOST:PORT`: runs a chapter's checks against a server,
//! yours or the book's.

use wirebook::check::{self, Target};
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "check",
        "Runs a chapter's black-box checks against a running server (yours or the book's).\n\
         Each failing check shows what was sent, what was expected, what came back,\n\
         the first wrong byte, and a curl/nc command that reproduces it.",
        "CHAPTER [--addr HOST:PORT] [--list] [--timeout SECS]",
    );
    args.describe("CHAPTER              ch01 … ch09");
    args.describe("--addr HOST:PORT     the server to check (default 127.0.0.1:8888)");
    args.describe("--list               list the chapter's checks without running them");
    args.describe("--timeout SECS       per-operation timeout (default 5)");
    args.handle_help();
    let addr = args.addr("127.0.0.1:8888");
    let list = args.flag("--list");
    let timeout = args.duration("--timeout", check::CHECK_TIMEOUT);
    let chapter = args.positional("CHAPTER (ch01 … ch09)");
    let Some(checks) = check::chapter(&chapter) else {
        args.fail(format!(
            "unknown chapter `{chapter}` (expected ch01 … ch09)"
        ));
    };
    args.finish();
    if list {
        let width = checks.iter().map(|c| c.name.len()).max().unwrap_or(0) + 2;
        for c in &checks {
            println!("{:width$}{}", c.name, c.about);
        }
        return;
    }
    if checks.is_empty() {
        eprintln!("check: {chapter} has no checks yet");
        std::process::exit(1);
    }
    let mut target = Target::new(addr);
    target.timeout = timeout;
    println!("checking {chapter} against {addr}");
    let report = check::run(&checks, &target, &mut std::io::stdout());
    std::process::exit(if report.failed.is_empty() { 0 } else { 1 });
}
