//! `ch07_upload FILE URL [--chunked]`: a PUT streamed from disk, with
//! `Expect: 100-continue` (chapter 7).

use std::path::PathBuf;
use std::time::Duration;

use wirebook::ch03_urls_and_clients::client::Config;
use wirebook::ch03_urls_and_clients::url::Url;
use wirebook::ch07_downloads_and_uploads::upload::{DEFAULT_EXPECT_TIMEOUT, UploadOptions, upload};
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "ch07_upload",
        "Uploads FILE to URL with PUT, streamed from disk. Sends Expect: 100-continue,\n\
         so a server that refuses the upload (413, 400...) costs no body bytes.",
        "FILE URL [--chunked] [--no-expect] [--expect-timeout SECS] [--timeout SECS] [--max-redirects N] [--trace]",
    );
    args.describe("FILE                 the file to send");
    args.describe("URL                  an http:// URL, e.g. http://127.0.0.1:8888/uploads/NAME");
    args.describe("--chunked            Transfer-Encoding: chunked instead of Content-Length");
    args.describe("--no-expect          send the body at once, without Expect: 100-continue");
    args.describe("--expect-timeout S   how long to wait for 100 Continue (default 1)");
    args.describe("--timeout SECS       longest wait for any read or write (default 30)");
    args.describe(&format!(
        "--max-redirects N    follow at most N 307/308 redirects, resending the file (default {}; 0 = none)",
        wirebook::ch03_urls_and_clients::client::MAX_REDIRECTS
    ));
    args.describe("--trace              print the request and response heads");
    args.handle_help();
    let chunked = args.flag("--chunked");
    let no_expect = args.flag("--no-expect");
    let expect = args.duration("--expect-timeout", DEFAULT_EXPECT_TIMEOUT);
    let timeout = args.duration("--timeout", Duration::from_secs(30));
    let max_redirects: usize = args.parsed(
        "--max-redirects",
        wirebook::ch03_urls_and_clients::client::MAX_REDIRECTS,
    );
    if args.flag("--trace") {
        wirebook::trace::enable();
    }
    let file = PathBuf::from(args.positional("FILE"));
    let url = args.positional("URL");
    args.finish();
    let url = match Url::parse(&url) {
        Ok(u) if u.http_parts().is_ok() => u,
        Ok(u) => {
            let e = u.http_parts().unwrap_err();
            eprintln!("ch07_upload: error: cannot fetch `{u}`: {e}");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("ch07_upload: error: invalid URL: {e}");
            std::process::exit(2);
        }
    };
    let opts = UploadOptions {
        url,
        chunked,
        expect_timeout: (!no_expect).then_some(expect),
        client: Config {
            read_timeout: timeout,
            max_redirects,
            ..Config::default()
        },
    };
    match upload(&file, &opts) {
        Ok(o) => {
            eprintln!(
                "{} {} ({} body bytes sent)",
                o.status, o.reason, o.body_bytes_sent
            );
            if o.url != opts.url {
                eprintln!("(answered by {}, after a redirect)", o.url);
            }
            print!("{}", String::from_utf8_lossy(&o.body));
            if !(200..300).contains(&o.status) {
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("ch07_upload: error: {}: {e}", file.display());
            std::process::exit(1);
        }
    }
}
