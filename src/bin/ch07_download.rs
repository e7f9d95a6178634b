//! `ch07_download URL [-o FILE] [--continue]`: a download that is whole or
//! absent (chapter 7).

use std::path::PathBuf;
use std::time::Duration;

use wirebook::ch03_urls_and_clients::client::Config;
use wirebook::ch03_urls_and_clients::url::Url;
use wirebook::ch07_downloads_and_uploads::download::{DownloadOptions, download};
use wirebook::ch07_downloads_and_uploads::progress::format_bytes;
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "ch07_download",
        "Downloads URL to a file. The body streams to FILE.part and is renamed to FILE\n\
         only once complete and fsynced; a failed or interrupted download leaves FILE\n\
         untouched and FILE.part ready for --continue.",
        "URL [-o FILE] [--continue] [--timeout SECS] [--quiet] [--trace]",
    );
    args.describe("URL                  an http:// URL");
    args.describe("-o, --output FILE    where to save it (default: the URL's last segment)");
    args.describe("-c, --continue       resume FILE.part with Range + If-Range");
    args.describe("--timeout SECS       longest wait for any read or write (default 30)");
    args.describe("--quiet              no progress display");
    args.describe("--trace              print the request and response heads");
    args.handle_help();
    let output = args
        .value("--output")
        .or_else(|| args.value("-o"))
        .map(PathBuf::from);
    let resume = args.flag("--continue") | args.flag("-c");
    let timeout = args.duration("--timeout", Duration::from_secs(30));
    let quiet = args.flag("--quiet");
    if args.flag("--trace") {
        wirebook::trace::enable();
    }
    let url = args.positional("URL");
    args.finish();
    let url = match Url::parse(&url) {
        Ok(u) if u.http_parts().is_ok() => u,
        Ok(u) => {
            let e = u.http_parts().unwrap_err();
            eprintln!("ch07_download: error: cannot fetch `{u}`: {e}");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("ch07_download: error: invalid URL: {e}");
            std::process::exit(2);
        }
    };
    let opts = DownloadOptions {
        url,
        output,
        resume,
        client: Config {
            read_timeout: timeout,
            ..Config::default()
        },
        quiet,
    };
    match download(&opts) {
        Ok(s) => {
            let resumed = if s.resumed_from > 0 {
                format!(" (resumed at {})", format_bytes(s.resumed_from))
            } else {
                String::new()
            };
            eprintln!("saved {} ({} bytes){resumed}", s.path.display(), s.len);
        }
        Err(e) => {
            eprintln!("ch07_download: error: {e}");
            std::process::exit(1);
        }
    }
}
