//! The security review's regression tests (see
//! `chapters/appendix-limits-and-security.md`), over real sockets against
//! the capstone (`wirebook`) and chapter 6's `ch06_static`.

use wirebook::check::{RawResponse, Target, exchange};
use wirebook::rng::Rng;
use wirebook::testkit::Server;

const WIREBOOK: &str = env!("CARGO_BIN_EXE_wirebook");

fn static_dir() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/static").to_string()
}

fn capstone(extra: &[&str]) -> Server {
    let root = static_dir();
    let mut args = vec!["--root", root.as_str(), "--quiet"];
    args.extend_from_slice(extra);
    Server::start(WIREBOOK, &args)
}

fn request(s: &Server, method: &str, target: &str, fields: &str, body: &[u8]) -> RawResponse {
    let mut raw = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\n{fields}Content-Length: {}\r\nConnection: close\r\n\r\n",
        s.addr,
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    exchange(&Target::new(s.addr), &raw).unwrap_or_else(|f| {
        panic!(
            "{method} {target}: {f}\ntry: curl -si -X {method} {}",
            s.url(target)
        )
    })
}

fn get(s: &Server, target: &str) -> RawResponse {
    request(s, "GET", target, "", b"")
}

#[test]
fn options_star_lists_only_methods_some_resource_takes() {
    let s = capstone(&[]);
    let r = request(&s, "OPTIONS", "*", "", b"");
    assert_eq!(r.head.status, 204);
    let allow = r.head.headers.get("allow").unwrap_or("").to_string();
    for m in ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS"] {
        assert!(allow.split(", ").any(|x| x == m), "{m} missing: {allow}");
    }
    for m in ["TRACE", "PATCH", "CONNECT"] {
        assert!(!allow.contains(m), "{m} listed: {allow}");
        // ...and indeed no resource takes it.
        assert!(request(&s, m, "/notes", "", b"").head.status >= 400);
    }
    let r = request(&s, "OPTIONS", "/small.html", "", b"");
    assert_eq!(r.head.status, 204);
    assert_eq!(r.head.headers.get("allow"), Some("GET, HEAD, OPTIONS"));
}

#[test]
fn dynamic_responses_say_how_they_may_be_cached() {
    let s = capstone(&[]);
    let cc = |r: &RawResponse| r.head.headers.get("cache-control").map(str::to_string);
    assert_eq!(cc(&get(&s, "/hello")).as_deref(), Some("max-age=60"));
    let text = Rng::new().word(12);
    let r = request(&s, "POST", "/notes", "", text.as_bytes());
    assert_eq!(r.head.status, 201);
    assert_eq!(cc(&r).as_deref(), Some("no-store"));
    let loc = r.head.headers.get("location").unwrap().to_string();
    for target in ["/notes", loc.as_str(), "/notes/999999"] {
        assert_eq!(
            cc(&get(&s, target)).as_deref(),
            Some("no-store"),
            "{target}"
        );
    }
    let r = request(&s, "PUT", &loc, "", b"new");
    assert_eq!((r.head.status, cc(&r).as_deref()), (204, Some("no-store")));
    let r = request(&s, "POST", "/echo", "", b"x");
    assert_eq!(cc(&r).as_deref(), Some("no-store"));
    // Static files keep their validators and revalidate on each use.
    let r = get(&s, "/small.html");
    assert_eq!(cc(&r).as_deref(), Some("no-cache"));
    assert!(r.head.headers.contains("etag") && r.head.headers.contains("last-modified"));
}
