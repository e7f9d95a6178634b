//! Chapter 6 over real sockets: `ch06_static` serving the book's `static/`
//! (the exercises' checks) and scratch directories built per test (escape
//! attempts, symlinks, ranges, validators, listings).

use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::Path;

use wirebook::check::{RawResponse, Target, connect, exchange, read_response};
use wirebook::rng::Rng;
use wirebook::testkit::{Server, TempDir};

const BIN: &str = env!("CARGO_BIN_EXE_ch06_static");

fn start(root: &Path, extra: &[&str]) -> Server {
    let mut args = vec![
        "--root",
        root.to_str().unwrap(),
        "--quiet",
        "--threads",
        "4",
    ];
    args.extend_from_slice(extra);
    Server::start(BIN, &args)
}

fn get(s: &Server, target: &str, headers: &str) -> RawResponse {
    request(s, "GET", target, headers)
}

fn request(s: &Server, method: &str, target: &str, headers: &str) -> RawResponse {
    let req =
        format!("{method} {target} HTTP/1.1\r\nHost: x\r\n{headers}Connection: close\r\n\r\n");
    exchange(&s.target(), req.as_bytes()).unwrap_or_else(|f| {
        panic!(
            "{method} {target}: {f}\ntry: curl -si --path-as-is '{}'",
            s.url(target)
        )
    })
}

/// A root with a few files, a secret beside it, a sibling directory whose
/// name starts with the root's, and symlinks pointing out and in.
struct Site {
    dir: TempDir,
    secret: String,
}

fn site() -> Site {
    let dir = TempDir::new("ch06");
    let secret = format!("SECRET-{}", Rng::new().word(24));
    let root = dir.join("static");
    fs::create_dir_all(root.join("docs")).unwrap();
    fs::create_dir_all(dir.join("static_evil")).unwrap();
    fs::write(dir.join("secret.txt"), &secret).unwrap();
    fs::write(dir.join("static_evil/secret.txt"), &secret).unwrap();
    fs::write(root.join("page.html"), "<p>page</p>").unwrap();
    fs::write(root.join("style.css"), "p{}").unwrap();
    fs::write(root.join("data.json"), "{}").unwrap();
    fs::write(root.join("image.png"), [0x89, b'P', b'N', b'G']).unwrap();
    fs::write(root.join("blob.weird-ext"), "?").unwrap();
    fs::write(root.join("docs/index.html"), "<h1>docs</h1>").unwrap();
    symlink(dir.join("secret.txt"), root.join("out-link")).unwrap();
    symlink(dir.join("static_evil"), root.join("evil-dir")).unwrap();
    symlink(root.join("page.html"), root.join("in-link")).unwrap();
    // A directory whose index.html is a symlink out of the root, and one
    // whose index.html is a directory.
    fs::create_dir_all(root.join("sneaky")).unwrap();
    symlink(dir.join("secret.txt"), root.join("sneaky/index.html")).unwrap();
    fs::create_dir_all(root.join("odd/index.html")).unwrap();
    Site { dir, secret }
}

#[test]
fn exercises_pass_against_the_book_static_directory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
    let s = start(&root, &[]);
    wirebook::check::assert_chapter_passes("ch06", s.addr);
}

#[test]
fn every_escape_attempt_is_refused_without_leaking_a_byte() {
    let site = site();
    let s = start(&site.dir.join("static"), &[]);
    let attempts = [
        "/../secret.txt",
        "/docs/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/.%2e/secret.txt",
        "/docs/..%2f..%2fsecret.txt",
        "/%252e%252e/secret.txt",
        "/%252e%252e%252fsecret.txt",
        "/..%5csecret.txt",
        "/..%5C..%5Csecret.txt",
        "/page.html%00.png",
        "/%00",
        "//secret.txt",
        "/%2f/secret.txt",
        "/../static_evil/secret.txt",
        "/%2e%2e/static_evil/secret.txt",
        "/out-link",
        "/evil-dir/secret.txt",
        "/evil-dir/",
        "/./page.html",
        "/docs/./index.html",
        "/%zz",
        "/sneaky/",
    ];
    for path in attempts {
        let r = get(&s, path, "");
        assert!(
            matches!(r.head.status, 400 | 403 | 404),
            "{path} answered {}; try: curl -si --path-as-is '{}'",
            r.head.status,
            s.url(path)
        );
        assert!(
            !String::from_utf8_lossy(&r.raw).contains(&site.secret),
            "{path} leaked the secret"
        );
    }
    // A raw backslash never reaches the file system either.
    let r = exchange(
        &s.target(),
        b"GET /..\\secret.txt HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .unwrap();
    assert!(matches!(r.head.status, 400 | 403 | 404));
    // The index.html symlink out of the root is refused as such: 403.
    assert_eq!(get(&s, "/sneaky/", "").head.status, 403);
    // An index.html that is a directory is no index: 404 (no listing).
    assert_eq!(get(&s, "/odd/", "").head.status, 404);
    // A symlink that stays inside the root is fine.
    assert_eq!(get(&s, "/in-link", "").body, b"<p>page</p>");
}

#[test]
fn content_types_follow_the_extension() {
    let site = site();
    let s = start(&site.dir.join("static"), &[]);
    for (path, ct) in [
        ("/page.html", "text/html; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/data.json", "application/json; charset=utf-8"),
        ("/image.png", "image/png"),
        ("/blob.weird-ext", "application/octet-stream"),
    ] {
        let r = get(&s, path, "");
        assert_eq!(r.head.headers.get("content-type"), Some(ct), "{path}");
    }
}

#[test]
fn directories_redirect_and_serve_their_index() {
    let site = site();
    let s = start(&site.dir.join("static"), &[]);
    let r = get(&s, "/docs?x=1", "");
    assert_eq!(r.head.status, 301);
    assert_eq!(r.head.headers.get("location"), Some("/docs/?x=1"));
    let r = get(&s, "/docs/", "");
    assert_eq!(
        (r.head.status, r.body.as_slice()),
        (200, &b"<h1>docs</h1>"[..])
    );
    // No index and no --listing: 404, never a listing.
    assert_eq!(get(&s, "/", "").head.status, 404);
}

#[test]
fn listing_escapes_every_name() {
    let site = site();
    let root = site.dir.join("static");
    fs::write(root.join("<img src=x onerror=alert(1)>.txt"), "x").unwrap();
    let s = start(&root, &["--listing"]);
    let r = get(&s, "/", "");
    assert_eq!(r.head.status, 200);
    let page = String::from_utf8(r.body).unwrap();
    assert!(!page.contains("<img"), "{page}");
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;.txt"),
        "{page}"
    );
    assert!(page.contains("page.html"));
}

#[test]
fn validators_give_304_and_412() {
    let site = site();
    let s = start(&site.dir.join("static"), &[]);
    let r = get(&s, "/page.html", "");
    let etag = r.head.headers.get("etag").unwrap().to_string();
    let lm = r.head.headers.get("last-modified").unwrap().to_string();
    for h in [
        format!("If-None-Match: {etag}\r\n"),
        format!("If-None-Match: \"x\", W/{etag}\r\n"),
        "If-None-Match: *\r\n".to_string(),
        format!("If-Modified-Since: {lm}\r\n"),
        format!("If-None-Match: {etag}\r\nIf-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n"),
    ] {
        let r = get(&s, "/page.html", &h);
        assert_eq!(r.head.status, 304, "{h}");
        assert!(r.body.is_empty());
        assert_eq!(r.head.headers.get("etag"), Some(etag.as_str()));
    }
    let r = get(
        &s,
        "/page.html",
        &format!("If-None-Match: \"nope\"\r\nIf-Modified-Since: {lm}\r\n"),
    );
    assert_eq!(
        r.head.status, 200,
        "If-None-Match must outrank If-Modified-Since"
    );
    assert_eq!(
        get(&s, "/page.html", "If-Match: \"nope\"\r\n").head.status,
        412
    );
    // After the file changes, the old ETag no longer matches.
    fs::write(site.dir.join("static/page.html"), "<p>changed page</p>").unwrap();
    assert_eq!(
        get(&s, "/page.html", &format!("If-None-Match: {etag}\r\n"))
            .head
            .status,
        200
    );
}

#[test]
fn range_edge_cases() {
    let site = site();
    let root = site.dir.join("static");
    let data = Rng::new().bytes(10_000);
    fs::write(root.join("r.bin"), &data).unwrap();
    fs::write(root.join("empty.bin"), "").unwrap();
    let s = start(&root, &[]);
    let cases: [(&str, u16, Option<&str>, &[u8]); 9] = [
        ("bytes=0-0", 206, Some("bytes 0-0/10000"), &data[..1]),
        (
            "bytes=9999-",
            206,
            Some("bytes 9999-9999/10000"),
            &data[9999..],
        ),
        (
            "bytes=-1",
            206,
            Some("bytes 9999-9999/10000"),
            &data[9999..],
        ),
        ("bytes=-20000", 206, Some("bytes 0-9999/10000"), &data[..]),
        (
            "bytes=5000-99999",
            206,
            Some("bytes 5000-9999/10000"),
            &data[5000..],
        ),
        ("bytes=0-1,5-9", 200, None, &data[..]),
        ("bytes=0-4,5-9", 206, Some("bytes 0-9/10000"), &data[..10]),
        ("bytes=5-1", 200, None, &data[..]),
        ("chunks=0-1", 200, None, &data[..]),
    ];
    for (range, status, cr, body) in cases {
        let r = get(&s, "/r.bin", &format!("Range: {range}\r\n"));
        assert_eq!(r.head.status, status, "{range}");
        assert_eq!(r.head.headers.get("content-range"), cr, "{range}");
        assert!(r.body == body, "{range}: wrong bytes");
    }
    for range in ["bytes=10000-", "bytes=-0", "bytes=20000-30000"] {
        let r = get(&s, "/r.bin", &format!("Range: {range}\r\n"));
        assert_eq!(r.head.status, 416, "{range}");
        assert_eq!(r.head.headers.get("content-range"), Some("bytes */10000"));
    }
    // If-Range with the exact Last-Modified date honours the range; a
    // stale ETag gets the whole file.
    let lm = get(&s, "/r.bin", "")
        .head
        .headers
        .get("last-modified")
        .unwrap()
        .to_string();
    let r = get(
        &s,
        "/r.bin",
        &format!("Range: bytes=0-9\r\nIf-Range: {lm}\r\n"),
    );
    assert_eq!(r.head.status, 206);
    let r = get(&s, "/r.bin", "Range: bytes=0-9\r\nIf-Range: \"stale\"\r\n");
    assert_eq!((r.head.status, r.body.len()), (200, 10_000));
    // An empty file has no ranges: the whole (empty) file.
    assert_eq!(
        get(&s, "/empty.bin", "Range: bytes=0-\r\n").head.status,
        200
    );
    // HEAD ignores Range and sends no body.
    let r = request(&s, "HEAD", "/r.bin", "Range: bytes=0-9\r\n");
    assert_eq!(r.head.status, 200);
    assert_eq!(r.head.headers.get("content-length"), Some("10000"));
    assert!(r.body.is_empty());
}

#[test]
fn pipelined_file_responses_stay_in_step() {
    // Large and small bodies, 304 and 206, on one connection: every
    // Content-Length must be exact or the next response is misread.
    let site = site();
    let root = site.dir.join("static");
    let big = Rng::new().bytes(300_000);
    fs::write(root.join("big.bin"), &big).unwrap();
    let s = start(&root, &[]);
    let etag = get(&s, "/page.html", "")
        .head
        .headers
        .get("etag")
        .unwrap()
        .to_string();
    let t = Target::new(s.addr);
    let mut c = connect(&t).unwrap();
    let reqs = format!(
        "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n\
         GET /page.html HTTP/1.1\r\nHost: x\r\nIf-None-Match: {etag}\r\n\r\n\
         GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=100000-\r\n\r\n\
         HEAD /big.bin HTTP/1.1\r\nHost: x\r\n\r\n\
         GET /page.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    );
    c.write_all(reqs.as_bytes()).unwrap();
    let mut pending = Vec::new();
    let mut next = |m: &str| read_response(&mut c, m, &mut pending).unwrap();
    let r = next("GET");
    assert!(r.head.status == 200 && r.body == big);
    assert_eq!(next("GET").head.status, 304);
    let r = next("GET");
    assert!(r.head.status == 206 && r.body == big[100_000..]);
    let r = next("HEAD");
    assert!(r.head.status == 200 && r.body.is_empty());
    assert_eq!(next("GET").body, b"<p>page</p>");
}

#[test]
fn bad_command_lines_exit_2_and_a_missing_root_exits_1() {
    let o =
        wirebook::testkit::run_client(BIN, &["--bogus"], b"", std::time::Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(2));
    let o = wirebook::testkit::run_client(
        BIN,
        &["--root", "/nonexistent/wirebook", "--addr", "127.0.0.1:0"],
        b"",
        std::time::Duration::from_secs(10),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot serve"));
}

/// Peak memory of the server while it serves a 1 GiB file (a measurement,
/// not a timed test; run with `cargo test --release --test ch06_static_files
/// -- --ignored --nocapture`). Prints the server's VmHWM before and after.
#[test]
#[ignore]
fn memory_stays_flat_serving_a_1gib_file() {
    let dir = TempDir::new("rss");
    let f = fs::File::create(dir.join("huge.bin")).unwrap();
    f.set_len(1 << 30).unwrap(); // sparse: reads as zeros
    drop(f);
    let s = start(&dir.path, &[]);
    let hwm = |pid: u32| {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        status
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    let _ = get(&s, "/page.html", "");
    let before = hwm(s.pid());
    let t = Target::new(s.addr);
    let mut c = connect(&t).unwrap();
    c.write_all(b"GET /huge.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut sink = [0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        match std::io::Read::read(&mut c, &mut sink) {
            Ok(0) => break,
            Ok(n) => total += n as u64,
            Err(e) => panic!("{e}"),
        }
    }
    let after = hwm(s.pid());
    println!("received {total} bytes; server peak RSS {before} KiB before, {after} KiB after");
    assert!(total > 1 << 30);
    assert!(
        after < before + 16 * 1024,
        "peak RSS grew by {} KiB",
        after - before
    );
}

#[test]
fn shutdown_finishes_a_download_in_progress() {
    let dir = TempDir::new("drain");
    let data = Rng::new().bytes(24 << 20);
    fs::write(dir.join("big.bin"), &data).unwrap();
    let s = start(&dir.path, &[]);
    let t = Target::new(s.addr);
    let mut c = connect(&t).unwrap();
    c.write_all(b"GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // Read a little, so the response is certainly under way...
    let mut first = [0u8; 4096];
    let n = std::io::Read::read(&mut c, &mut first).unwrap();
    assert!(n > 0);
    // ...then ask the server to stop, and read the rest.
    s.signal(wirebook::testkit::SIGTERM);
    let mut pending = first[..n].to_vec();
    let r = read_response(&mut c, "GET", &mut pending).unwrap();
    assert_eq!(r.head.status, 200);
    assert!(r.body == data, "the body was cut short by the shutdown");
    let status = s.wait_exit(std::time::Duration::from_secs(20));
    assert_eq!(status.and_then(|s| s.code()), Some(0));
}

#[test]
fn options_answers_with_the_real_allow() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("static");
    let s = start(&root, &[]);
    let r = request(&s, "OPTIONS", "/small.html", "");
    assert_eq!(r.head.status, 204);
    assert_eq!(r.head.headers.get("allow"), Some("GET, HEAD, OPTIONS"));
    // The server as a whole: nothing that every resource refuses.
    let r = request(&s, "OPTIONS", "*", "");
    assert_eq!(r.head.status, 204);
    let allow = r.head.headers.get("allow").unwrap_or("");
    assert_eq!(allow, "GET, HEAD, OPTIONS");
    let r = request(&s, "DELETE", "/small.html", "");
    assert_eq!(r.head.status, 405);
    assert_eq!(r.head.headers.get("allow"), Some("GET, HEAD, OPTIONS"));
    // With uploads and /hello in front (a router with a fallback).
    let up = TempDir::new("opt-up");
    let s = start(&root, &["--uploads", up.path.to_str().unwrap(), "--hello"]);
    let r = request(&s, "OPTIONS", "*", "");
    let allow = r.head.headers.get("allow").unwrap_or("").to_string();
    assert_eq!(allow, "GET, HEAD, PUT, OPTIONS");
    let r = request(&s, "OPTIONS", "/uploads/x.bin", "");
    assert_eq!(r.head.status, 204);
    assert_eq!(r.head.headers.get("allow"), Some("GET, HEAD, PUT, OPTIONS"));
}

#[test]
fn directory_redirects_say_how_long_they_may_be_cached() {
    let site = site();
    let s = start(&site.dir.join("static"), &[]);
    let r = get(&s, "/docs", "");
    assert_eq!(r.head.status, 301);
    assert_eq!(r.head.headers.get("cache-control"), Some("no-cache"));
    let r = get(&s, "/page.html", "");
    assert_eq!(r.head.headers.get("cache-control"), Some("no-cache"));
    assert!(r.head.headers.contains("etag") && r.head.headers.contains("last-modified"));
}

/// `mkfifo PATH` with the system's command (std has no binding).
fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "mkfifo {} failed", path.display());
}

#[test]
fn a_fifo_or_socket_under_the_root_is_refused_without_hanging_a_worker() {
    let dir = TempDir::new("fifo");
    let root = dir.join("root");
    fs::create_dir_all(&root).unwrap();
    fs::write(root.join("ok.txt"), "ok").unwrap();
    mkfifo(&root.join("pipe"));
    // Opening a FIFO for reading blocks until a writer comes, unless
    // O_NONBLOCK: with one worker, a hang would stall every request after.
    let _sock = std::os::unix::net::UnixListener::bind(root.join("sock")).unwrap();
    let s = start(&root, &["--threads", "1"]);
    for _ in 0..3 {
        assert_eq!(get(&s, "/pipe", "").head.status, 403);
        // A socket cannot be opened at all (ENXIO): nothing there to serve.
        assert_eq!(get(&s, "/sock", "").head.status, 404);
        assert_eq!(get(&s, "/ok.txt", "").body, b"ok");
    }
    // A symlink to a device outside the root is refused as outside.
    symlink("/dev/zero", root.join("zero")).unwrap();
    assert_eq!(get(&s, "/zero", "").head.status, 403);
}

#[test]
fn a_device_node_under_the_root_is_refused() {
    let dir = TempDir::new("dev");
    let root = dir.join("root");
    fs::create_dir_all(&root).unwrap();
    // A character device like /dev/zero (1, 5): needs CAP_MKNOD, which CI
    // containers usually have as root; without it the test says so.
    let made = std::process::Command::new("mknod")
        .arg(root.join("zero"))
        .args(["c", "1", "5"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("a_device_node_under_the_root_is_refused: mknod not permitted; not run");
        return;
    }
    let s = start(&root, &["--threads", "1"]);
    let r = get(&s, "/zero", "");
    assert_eq!(r.head.status, 403);
    assert!(r.body.len() < 1000, "served bytes of the device");
}

#[test]
fn very_long_names_are_404_or_414_never_500() {
    let site = site();
    let s = start(&site.dir.join("static"), &[]);
    let mut rng = Rng::new();
    // One segment over NAME_MAX (255): ENAMETOOLONG from the kernel.
    for len in [256, 1000, rng.range(300, 3000)] {
        let r = get(&s, &format!("/{}", rng.word(len)), "");
        assert_eq!(r.head.status, 404, "segment of {len}");
    }
    // Many segments: a deep path that fits the target limit.
    let deep = format!("/{}", vec!["d"; 1500].join("/"));
    assert_eq!(get(&s, &deep, "").head.status, 404);
    // Past the request-target limit: 414 before any file system call.
    let huge = format!("/{}", rng.word(9000));
    let r = exchange(
        &s.target(),
        format!("GET {huge} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
    )
    .unwrap();
    assert_eq!(r.head.status, 414);
}

#[test]
fn swapping_a_directory_for_a_symlink_during_requests_never_leaks() {
    // The race a check-then-open server loses: the path is checked while
    // `flip` is a directory, then opened after it became a symlink out.
    let site = site();
    let root = site.dir.join("static");
    fs::create_dir_all(root.join("flip-real")).unwrap();
    fs::write(root.join("flip-real/secret.txt"), "inside").unwrap();
    let s = start(&root, &["--threads", "4"]);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flipper = {
        let (root, out, stop) = (root.clone(), site.dir.join("static_evil"), stop.clone());
        std::thread::spawn(move || {
            let flip = root.join("flip");
            let tmp = root.join("flip.tmp");
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = fs::remove_file(&tmp);
                let _ = symlink(root.join("flip-real"), &tmp);
                let _ = fs::rename(&tmp, &flip); // atomically: inside
                let _ = fs::remove_file(&tmp);
                let _ = symlink(&out, &tmp);
                let _ = fs::rename(&tmp, &flip); // atomically: outside
            }
        })
    };
    for _ in 0..400 {
        let r = get(&s, "/flip/secret.txt", "");
        assert!(
            !String::from_utf8_lossy(&r.raw).contains(&site.secret),
            "leaked through the race"
        );
        assert!(
            matches!(r.head.status, 200 | 403 | 404),
            "{}",
            r.head.status
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    flipper.join().unwrap();
}
