//! The security review's regression tests (see
//! `chapters/appendix-limits-and-security.md`), over real sockets against
//! the capstone (`wirebook`) and chapter 6's `ch06_static`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use wirebook::ch07_downloads_and_uploads::receive::UPLOAD_POLICY;
use wirebook::ch09_capstone::checks::{ChatClient, kind, str_of};
use wirebook::ch09_capstone::site::PAGE_POLICY;
use wirebook::check::{RawResponse, Target, exchange};
use wirebook::rng::Rng;
use wirebook::testkit::{Server, TempDir};

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

#[test]
fn uploads_are_served_as_downloads_never_as_pages() {
    let up = TempDir::new("sec-up");
    let s = capstone(&["--uploads", up.path.to_str().unwrap()]);
    let page = b"<script>new WebSocket(`ws://${location.host}/ws/chat`)</script>";
    let name = format!("{}.html", Rng::new().word(10));
    let target = format!("/uploads/{name}");
    let r = request(&s, "PUT", &target, "", page);
    assert_eq!(r.head.status, 201);
    for method in ["GET", "HEAD"] {
        let r = request(&s, method, &target, "", b"");
        let h = &r.head.headers;
        assert_eq!(r.head.status, 200);
        assert_eq!(h.get("content-disposition"), Some("attachment"), "{method}");
        assert_eq!(h.get("x-content-type-options"), Some("nosniff"));
        assert_eq!(h.get("content-security-policy"), Some(UPLOAD_POLICY));
        assert!(UPLOAD_POLICY.contains("sandbox"));
    }
    assert_eq!(get(&s, &target).body, page);
}

#[test]
fn the_book_pages_carry_a_content_security_policy() {
    let s = capstone(&[]);
    for page in ["/", "/chat.html", "/small.html"] {
        let r = get(&s, page);
        assert_eq!(r.head.status, 200, "{page}");
        let h = &r.head.headers;
        assert_eq!(
            h.get("content-security-policy"),
            Some(PAGE_POLICY),
            "{page}"
        );
        assert_eq!(h.get("x-content-type-options"), Some("nosniff"), "{page}");
    }
    // No script from elsewhere, the uploads included; the page's own
    // WebSocket is `connect-src 'self'`.
    for part in [
        "default-src 'none'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(PAGE_POLICY.contains(part), "{part}");
    }
    assert!(!PAGE_POLICY.contains("script-src 'self'"));
    let r = get(&s, "/samples/hello.txt");
    assert_eq!(r.head.headers.get("content-security-policy"), None);
    assert_eq!(
        r.head.headers.get("x-content-type-options"),
        Some("nosniff")
    );
}

/// The status of a raw WebSocket handshake to `path` with `origin`.
fn handshake_status(s: &Server, path: &str, origin: Option<&str>) -> u16 {
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let origin = origin
        .map(|o| format!("Origin: {o}\r\n"))
        .unwrap_or_default();
    write!(
        c,
        "GET {path} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{origin}\r\n",
        s.addr
    )
    .unwrap();
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && c.read(&mut b).unwrap_or(0) == 1 {
        head.push(b[0]);
    }
    let text = String::from_utf8_lossy(&head);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

#[test]
fn the_chat_refuses_websockets_from_other_origins() {
    let s = capstone(&[]);
    let own = format!("http://{}", s.addr);
    assert_eq!(handshake_status(&s, "/ws/chat", Some(&own)), 101);
    for other in [
        "http://evil.example",
        &format!("http://{}.evil.example", s.addr.ip()),
        // A sandboxed page (an upload, see above) has an opaque origin.
        "null",
    ] {
        assert_eq!(
            handshake_status(&s, "/ws/chat", Some(other)),
            403,
            "{other}"
        );
    }
    // Not a browser (no Origin): let through; such a client could send any.
    assert_eq!(handshake_status(&s, "/ws/chat", None), 101);
}

#[test]
fn hostile_chat_text_is_relayed_as_text_and_the_page_renders_it_as_text() {
    let s = capstone(&[]);
    let t = Target::new(s.addr);
    // Within the 24-character limit.
    let nick = format!("<b onclick=f({})>", Rng::new().below(1000));
    let text = "</li><script>alert(document.cookie)</script>&amp;\"'";
    // The chat client pings instead of timing out, so bound the exchange.
    let (tx, rx) = std::sync::mpsc::channel();
    let n = nick.clone();
    std::thread::spawn(move || {
        let mut a = ChatClient::join(&t, &n).unwrap_or_else(|f| panic!("{f}"));
        a.say(text).unwrap();
        let said = a.wait_for(10, "its own message", |v| kind(v) == "say");
        let _ = tx.send(said.map(|v| {
            (
                str_of(&v, "text").to_string(),
                str_of(&v, "nick").to_string(),
            )
        }));
    });
    let (got_text, got_nick) = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("no answer from the chat in 30 s")
        .unwrap_or_else(|f| panic!("{f}"));
    // The server relays the exact characters inside a JSON string: it
    // neither strips nor HTML-escapes; the page decides how to show them.
    assert_eq!(got_text, text);
    assert_eq!(got_nick, nick);
    // ...and the page shows every network string with textContent. No
    // HTML sink may appear in its script (comments aside).
    let page = std::fs::read_to_string(format!("{}/chat.html", static_dir())).unwrap();
    let script = &page[page.find("<script>").unwrap()..];
    let code: String = script
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    for sink in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
        "new Function",
        "srcdoc",
    ] {
        assert!(!code.contains(sink), "chat.html uses {sink}");
    }
    assert!(code.contains(".textContent = text"));
}
