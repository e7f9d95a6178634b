//! `ch03_get URL`: the original tutorial's `urllib.request.urlopen` example
//! done properly. Prints the body to stdout.
//!
//! Exit codes: 0 the response came (status below 400); 1 network or
//! protocol error (unknown host, refused, timeout, malformed response,
//! https://, too many redirects); 2 bad command line or malformed URL;
//! 22 the server answered with a status of 400 or more (the body is still
//! printed; 22 is what `curl --fail` uses).

use std::io::{self, Read, Write};

use wirebook::ch03_urls_and_clients::client::{self, Config, Error, Request};
use wirebook::cli::Args;

const EXIT_ERROR: i32 = 1;
const EXIT_HTTP_ERROR: i32 = 22;

fn main() {
    let mut args = Args::from_env(
        "ch03_get",
        "Fetches an http:// URL with a hand-written HTTP/1.1 client and prints the body.\n\
         Follows redirects. Exit codes: 0 ok, 1 network/protocol error, 2 usage or\n\
         malformed URL, 22 HTTP status 400 or more (body still printed).",
        "[-i|--include] [--trace] [--max-redirects N] [--timeout SECS] URL",
    );
    args.describe("-i, --include        print the response head(s) before the body");
    args.describe("--trace              dump the bytes on the wire to stderr");
    args.describe(&format!(
        "--max-redirects N    follow at most N redirects (default {}; 0 = none)",
        client::MAX_REDIRECTS
    ));
    args.describe(
        "--timeout SECS       connect and read timeout (default: 10 to connect, 30 a read)",
    );
    args.handle_help();
    let include = args.flag("-i") | args.flag("--include");
    let trace = args.flag("--trace");
    let max_redirects: usize = args.parsed("--max-redirects", client::MAX_REDIRECTS);
    let timeout = args.duration_opt("--timeout");
    let url = args.positional("URL");
    args.finish();
    if trace {
        wirebook::trace::enable();
    }
    let mut cfg = Config {
        max_redirects,
        ..Config::default()
    };
    if let Some(s) = timeout {
        cfg.connect_timeout = s;
        cfg.read_timeout = s;
    }
    let req = match Request::parse("GET", &url) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ch03_get: error: {e}");
            std::process::exit(wirebook::cli::EXIT_USAGE);
        }
    };
    let mut resp = match client::request(req, &cfg) {
        Ok(r) => r,
        Err(e) => fail(&e),
    };
    let mut out = io::stdout().lock();
    if include {
        let mut heads = Vec::new();
        for (_, h) in &resp.history {
            heads.extend_from_slice(&h.to_bytes());
        }
        heads.extend_from_slice(&resp.head.to_bytes());
        if out.write_all(&heads).is_err() {
            std::process::exit(0);
        }
    }
    // Stream the body: a large download never sits in memory.
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match resp.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => fail(&Error::from(e)),
        };
        if let Err(e) = out.write_all(&buf[..n]) {
            if e.kind() == io::ErrorKind::BrokenPipe {
                std::process::exit(0); // `ch03_get URL | head` is fine
            }
            eprintln!("ch03_get: error: cannot write to stdout: {e}");
            std::process::exit(EXIT_ERROR);
        }
    }
    let _ = out.flush();
    if resp.status() >= 400 {
        eprintln!(
            "ch03_get: {} {} from {}",
            resp.status(),
            resp.head.reason,
            resp.url
        );
        std::process::exit(EXIT_HTTP_ERROR);
    }
}

fn fail(e: &Error) -> ! {
    let _ = io::stdout().flush();
    eprintln!("ch03_get: error: {e}");
    std::process::exit(EXIT_ERROR)
}
