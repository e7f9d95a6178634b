//! Chapter 7 over real sockets: downloads against scripted servers that
//! misbehave on purpose (die mid-body, stall, ignore ranges), and uploads
//! against `ch06_static --uploads`.

use std::fs;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use wirebook::rng::Rng;
use wirebook::testkit::{SIGINT, TempDir, run_client, send_signal};

const DOWNLOAD: &str = env!("CARGO_BIN_EXE_ch07_download");
const TIMEOUT: Duration = Duration::from_secs(20);

/// Reads one request head (up to the empty line) from `s`.
fn read_request_head(s: &mut TcpStream) -> String {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let mut b = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(1) => buf.push(b[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// A server on 127.0.0.1 that answers its connections one after another
/// with `script(connection_index, request_head, stream)`. The request
/// heads it saw come back on the returned channel.
fn scripted_server(
    script: impl Fn(usize, &str, &mut TcpStream) + Send + 'static,
) -> (String, mpsc::Receiver<String>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for (i, conn) in l.incoming().enumerate() {
            let Ok(mut s) = conn else { break };
            let head = read_request_head(&mut s);
            let _ = tx.send(head.clone());
            script(i, &head, &mut s);
        }
    });
    (format!("http://{addr}"), rx)
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn curl_hint(url: &str, out: &str) -> String {
    format!("try: cargo run --bin ch07_download -- {url} -o {out}")
}

#[test]
fn download_whose_server_dies_mid_body_leaves_no_file() {
    let data = Rng::new().bytes(100_000);
    let sent = data.clone();
    let (base, _rx) = scripted_server(move |_, _, s| {
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: \"v1\"\r\n\r\n",
            sent.len()
        );
        let _ = s.write_all(&sent[..40_000]);
        // ...and the server dies.
    });
    let t = TempDir::new("dl");
    let out = t.join("file.bin");
    let url = format!("{base}/file.bin");
    let o = run_client(
        DOWNLOAD,
        &[&url, "-o", out.to_str().unwrap(), "--quiet"],
        b"",
        TIMEOUT,
    );
    assert!(!o.status.success(), "{}", curl_hint(&url, "file.bin"));
    assert!(!out.exists(), "a half file was left under the target name");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("interrupted after"), "{err}");
    // The partial bytes are kept beside it, for --continue.
    assert_eq!(fs::read(t.join("file.bin.part")).unwrap(), data[..40_000]);
}

#[test]
fn resume_after_an_interruption_gives_identical_bytes() {
    let data = Rng::new().bytes(300_000);
    let cut = Rng::new().range(1, 299_999);
    let d = data.clone();
    let (base, rx) = scripted_server(move |i, head, s| {
        if i == 0 {
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: \"v1\"\r\n\r\n",
                d.len()
            );
            let _ = s.write_all(&d[..cut]);
            return;
        }
        // The second attempt must ask for the rest, guarded by If-Range.
        let range = header(head, "range").unwrap_or("");
        let from: usize = range
            .strip_prefix("bytes=")
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|n| n.parse().ok())
            .unwrap_or(usize::MAX);
        if header(head, "if-range") == Some("\"v1\"") && from < d.len() {
            let _ = write!(
                s,
                "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{}\r\nETag: \"v1\"\r\n\r\n",
                d.len() - from,
                d.len() - 1,
                d.len()
            );
            let _ = s.write_all(&d[from..]);
        } else {
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let t = TempDir::new("dl");
    let out = t.join("f.bin");
    let url = format!("{base}/f.bin");
    let args = [url.as_str(), "-o", out.to_str().unwrap(), "--quiet"];
    let o = run_client(DOWNLOAD, &args, b"", TIMEOUT);
    assert!(!o.status.success());
    assert!(!out.exists());
    let mut resume_args = args.to_vec();
    resume_args.push("--continue");
    let o = run_client(DOWNLOAD, &resume_args, b"", TIMEOUT);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let _first = rx.recv_timeout(TIMEOUT).unwrap();
    let second = rx.recv_timeout(TIMEOUT).unwrap();
    assert_eq!(
        header(&second, "range"),
        Some(format!("bytes={cut}-").as_str()),
        "{second}"
    );
    assert!(
        fs::read(&out).unwrap() == data,
        "resumed file differs from the original"
    );
    assert!(!t.join("f.bin.part").exists());
    assert!(!t.join("f.bin.part.validator").exists());
}

/// A partial download as an interrupted run leaves it: `f.bin.part` with
/// `have` bytes of `data`, and the validator it was fetched under.
fn partial(t: &TempDir, data: &[u8], have: usize, validator: Option<&str>) -> String {
    fs::write(t.join("f.bin.part"), &data[..have]).unwrap();
    if let Some(v) = validator {
        fs::write(t.join("f.bin.part.validator"), v).unwrap();
    }
    t.join("f.bin").to_str().unwrap().to_string()
}

#[test]
fn resume_refuses_a_wrong_range_and_finishes_a_complete_part() {
    let data = Rng::new().bytes(5000);
    let have = 2000;
    // Each connection gets the answer for one case, in order.
    let d = data.clone();
    let (base, rx) = scripted_server(move |i, _head, s| {
        let answer = match i {
            // A 206 from the wrong place: refused, nothing renamed.
            0 => format!(
                "HTTP/1.1 206 Partial Content\r\nContent-Length: 10\r\n\
                 Content-Range: bytes 10-19/{}\r\n\r\n0123456789",
                d.len()
            ),
            // A 206 without Content-Range: refused.
            1 => "HTTP/1.1 206 Partial Content\r\nContent-Length: 3\r\n\r\nabc".to_string(),
            // 416 saying the part file is the whole file: it is complete.
            2 => format!(
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{have}\r\n\
                 Content-Length: 0\r\n\r\n"
            ),
            // No validator was saved: a plain GET, answered whole.
            _ => format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", d.len()),
        };
        let _ = s.write_all(answer.as_bytes());
        if i >= 3 {
            let _ = s.write_all(&d);
        }
    });
    let url = format!("{base}/f.bin");
    let run = |out: &str| {
        run_client(
            DOWNLOAD,
            &[&url, "-o", out, "--continue", "--quiet"],
            b"",
            TIMEOUT,
        )
    };

    for case in ["wrong start", "no Content-Range"] {
        let t = TempDir::new("dl-range");
        let out = partial(&t, &data, have, Some("\"v1\""));
        let o = run(&out);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{case}: {err}");
        assert!(
            !t.join("f.bin").exists(),
            "{case}: a file under the target name"
        );
        assert!(
            t.join("f.bin.part").exists(),
            "{case}: the part file was lost"
        );
        let head = rx.recv_timeout(TIMEOUT).unwrap();
        assert_eq!(header(&head, "range"), Some("bytes=2000-"), "{head}");
    }

    // 416 with the part's own length: renamed into place, as it is.
    let t = TempDir::new("dl-416");
    let out = partial(&t, &data[..have], have, Some("\"v1\""));
    let o = run(&out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(fs::read(t.join("f.bin")).unwrap(), &data[..have]);
    assert!(!t.join("f.bin.part").exists() && !t.join("f.bin.part.validator").exists());
    let _ = rx.recv_timeout(TIMEOUT).unwrap();

    // A part without a validator cannot be resumed safely: start over.
    let t = TempDir::new("dl-novalidator");
    let out = partial(&t, &data, have, None);
    let o = run(&out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let head = rx.recv_timeout(TIMEOUT).unwrap();
    assert_eq!(header(&head, "range"), None, "{head}");
    assert!(fs::read(t.join("f.bin")).unwrap() == data);
}

#[test]
fn a_weak_etag_is_not_used_for_if_range() {
    // RFC 9110 §13.1.5: If-Range needs a strong validator; with a weak
    // ETag the client falls back to Last-Modified.
    let data = Rng::new().bytes(4000);
    let lm = "Tue, 01 Dec 2026 10:00:00 GMT";
    let d = data.clone();
    let (base, rx) = scripted_server(move |i, _head, s| {
        if i == 0 {
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: W/\"weak\"\r\n\
                 Last-Modified: {lm}\r\n\r\n",
                d.len()
            );
            let _ = s.write_all(&d[..1000]); // and the connection drops
        } else {
            let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", d.len());
            let _ = s.write_all(&d);
        }
    });
    let t = TempDir::new("dl-weak");
    let out = t.join("f.bin");
    let url = format!("{base}/f.bin");
    let args = [url.as_str(), "-o", out.to_str().unwrap(), "--quiet"];
    assert!(!run_client(DOWNLOAD, &args, b"", TIMEOUT).status.success());
    let mut resume = args.to_vec();
    resume.push("--continue");
    let o = run_client(DOWNLOAD, &resume, b"", TIMEOUT);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let _ = rx.recv_timeout(TIMEOUT).unwrap();
    let second = rx.recv_timeout(TIMEOUT).unwrap();
    assert_eq!(header(&second, "if-range"), Some(lm), "{second}");
    assert!(fs::read(&out).unwrap() == data);
}

#[test]
fn resume_falls_back_to_a_full_download_when_the_server_sends_200() {
    let data = Rng::new().bytes(50_000);
    let d = data.clone();
    let (base, rx) = scripted_server(move |_, _, s| {
        // The file changed: If-Range does not match, so the whole new file.
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nETag: \"v2\"\r\n\r\n",
            d.len()
        );
        let _ = s.write_all(&d);
    });
    let t = TempDir::new("dl");
    let out = t.join("f.bin");
    fs::write(t.join("f.bin.part"), b"stale bytes of an old version").unwrap();
    fs::write(t.join("f.bin.part.validator"), "\"v1\"").unwrap();
    let url = format!("{base}/f.bin");
    let o = run_client(
        DOWNLOAD,
        &[&url, "-o", out.to_str().unwrap(), "--continue", "--quiet"],
        b"",
        TIMEOUT,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let req = rx.recv_timeout(TIMEOUT).unwrap();
    assert_eq!(header(&req, "if-range"), Some("\"v1\""), "{req}");
    assert!(fs::read(&out).unwrap() == data);
}

#[test]
fn chunked_and_close_delimited_bodies_download_whole() {
    let data = Rng::new().bytes(70_000);
    let d = data.clone();
    let (base, _rx) = scripted_server(move |i, _, s| {
        if i == 0 {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
            for part in d.chunks(10_000) {
                let _ = write!(s, "{:x}\r\n", part.len());
                let _ = s.write_all(part);
                let _ = s.write_all(b"\r\n");
            }
            let _ = s.write_all(b"0\r\n\r\n");
        } else {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let _ = s.write_all(&d);
        }
    });
    let t = TempDir::new("dl");
    for name in ["chunked.bin", "close.bin"] {
        let out = t.join(name);
        let url = format!("{base}/{name}");
        let o = run_client(DOWNLOAD, &[&url, "-o", out.to_str().unwrap()], b"", TIMEOUT);
        assert!(
            o.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(fs::read(&out).unwrap() == data, "{name} differs");
        // stderr is not a terminal here: plain progress lines, no \r.
        assert!(!String::from_utf8_lossy(&o.stderr).contains('\r'));
    }
}

#[test]
fn a_chunked_body_with_content_length_downloads_as_chunked() {
    // Chapter 3's framing decision, shared: chunked wins (RFC 9112 §6.3).
    let data = Rng::new().bytes(30_000);
    let d = data.clone();
    let (base, _rx) = scripted_server(move |_, _, s| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        for part in d.chunks(7_000) {
            let _ = write!(s, "{:x}\r\n", part.len());
            let _ = s.write_all(part);
            let _ = s.write_all(b"\r\n");
        }
        let _ = s.write_all(b"0\r\n\r\n");
    });
    let t = TempDir::new("dl");
    let out = t.join("both.bin");
    let url = format!("{base}/both.bin");
    let o = run_client(DOWNLOAD, &[&url, "-o", out.to_str().unwrap()], b"", TIMEOUT);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(fs::read(&out).unwrap() == data);
}

#[test]
fn chunked_body_cut_short_is_an_error() {
    let (base, _rx) = scripted_server(move |_, _, s| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n400\r\nonly a few bytes",
        );
    });
    let t = TempDir::new("dl");
    let out = t.join("c.bin");
    let url = format!("{base}/c.bin");
    let o = run_client(
        DOWNLOAD,
        &[&url, "-o", out.to_str().unwrap(), "--quiet"],
        b"",
        TIMEOUT,
    );
    assert!(!o.status.success());
    assert!(!out.exists());
}

#[test]
fn redirects_are_followed_and_error_statuses_leave_nothing() {
    let (base, _rx) = scripted_server(move |i, _, s| {
        let _ = match i {
            0 => s.write_all(
                b"HTTP/1.1 302 Found\r\nLocation: /real.txt\r\nContent-Length: 0\r\n\r\n",
            ),
            1 => s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
            _ => s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope"),
        };
    });
    let t = TempDir::new("dl");
    let out = t.join("r.txt");
    let o = run_client(
        DOWNLOAD,
        &[&format!("{base}/moved"), "-o", out.to_str().unwrap()],
        b"",
        TIMEOUT,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(fs::read(&out).unwrap(), b"hello");
    let out = t.join("missing.txt");
    let o = run_client(
        DOWNLOAD,
        &[&format!("{base}/missing"), "-o", out.to_str().unwrap()],
        b"",
        TIMEOUT,
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("404"));
    assert!(!out.exists() && !t.join("missing.txt.part").exists());
}

#[test]
fn stalled_server_times_out_without_a_file() {
    let (hold_tx, hold_rx) = mpsc::channel::<()>();
    let hold = std::sync::Mutex::new(hold_rx);
    let (base, _rx) = scripted_server(move |_, _, s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        // Stall until the test ends.
        let _ = hold.lock().unwrap().recv();
    });
    let t = TempDir::new("dl");
    let out = t.join("s.bin");
    let o = run_client(
        DOWNLOAD,
        &[
            &format!("{base}/s"),
            "-o",
            out.to_str().unwrap(),
            "--timeout",
            "0.5",
            "--quiet",
        ],
        b"",
        TIMEOUT,
    );
    drop(hold_tx);
    assert!(!o.status.success());
    assert!(!out.exists());
}

#[test]
fn ctrl_c_leaves_nothing_under_the_target_name() {
    let (hold_tx, hold_rx) = mpsc::channel::<()>();
    let hold = std::sync::Mutex::new(hold_rx);
    let (sent_tx, sent_rx) = mpsc::channel::<()>();
    let (base, _rx) = scripted_server(move |_, _, s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n");
        let _ = s.write_all(&[7u8; 100_000]);
        let _ = sent_tx.send(());
        let _ = hold.lock().unwrap().recv();
    });
    let t = TempDir::new("dl");
    let out = t.join("i.bin");
    let mut child = Command::new(DOWNLOAD)
        .args([&format!("{base}/i"), "-o", out.to_str().unwrap(), "--quiet"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    sent_rx.recv_timeout(TIMEOUT).expect("client connected");
    send_signal(child.id(), SIGINT);
    let status = child.wait().unwrap();
    drop(hold_tx);
    assert!(!status.success());
    assert!(!out.exists(), "Ctrl-C left a file under the target name");
}

#[test]
fn bad_command_lines_exit_2() {
    for args in [
        &["ftp://x/y"][..],
        &[][..],
        &["http://127.0.0.1:1/x", "--bogus"][..],
        // Too long for a Duration (this one used to panic), too short to be
        // anything but zero.
        &["http://127.0.0.1:1/x", "--timeout", "1e300"][..],
        &["http://127.0.0.1:1/x", "--timeout", "1e-10"][..],
    ] {
        let o = run_client(DOWNLOAD, args, b"", TIMEOUT);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
    }
    for args in [
        &["Cargo.toml", "http://127.0.0.1:1/x", "--timeout", "1e300"][..],
        &[
            "Cargo.toml",
            "http://127.0.0.1:1/x",
            "--expect-timeout",
            "0",
        ][..],
    ] {
        let o = run_client(UPLOAD, args, b"", TIMEOUT);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("timeout"), "{args:?}: {err}");
    }
}

// ---- Uploads, against chapter 6's server with --uploads ----------------

const UPLOAD: &str = env!("CARGO_BIN_EXE_ch07_upload");
const STATIC: &str = env!("CARGO_BIN_EXE_ch06_static");

/// `ch06_static` serving `static/`, accepting uploads of at most `limit`
/// bytes into a fresh directory.
fn upload_server(limit: u64) -> (wirebook::testkit::Server, TempDir) {
    let up = TempDir::new("uploads");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/static");
    let limit = limit.to_string();
    let s = wirebook::testkit::Server::start(
        STATIC,
        &[
            "--root",
            root,
            "--uploads",
            up.path.to_str().unwrap(),
            "--upload-limit",
            &limit,
            "--quiet",
            "--threads",
            "4",
        ],
    );
    (s, up)
}

#[test]
fn exercises_pass_against_ch06_static_with_uploads() {
    let (s, _up) = upload_server(4 << 20);
    wirebook::check::assert_chapter_passes("ch07", s.addr);
}

#[test]
fn upload_then_download_round_trip_in_both_framings() {
    let (s, up) = upload_server(4 << 20);
    let local = TempDir::new("local");
    let mut rng = Rng::new();
    for chunked in [false, true] {
        let name = format!("{}.bin", rng.word(10));
        let len = rng.range(1, 3 << 20);
        let data = rng.bytes(len);
        let src = local.join(&name);
        fs::write(&src, &data).unwrap();
        let url = s.url(&format!("/uploads/{name}"));
        let mut args = vec![src.to_str().unwrap(), url.as_str()];
        if chunked {
            args.push("--chunked");
        }
        let o = run_client(UPLOAD, &args, b"", TIMEOUT);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success(),
            "chunked={chunked}: {err}\ntry: curl -si -T {name} {url}"
        );
        assert!(err.starts_with("201"), "{err}");
        assert!(fs::read(up.join(&name)).unwrap() == data);
        // ...and back down with chapter 7's downloader.
        let back = local.join(format!("back-{name}"));
        let o = run_client(
            DOWNLOAD,
            &[&url, "-o", back.to_str().unwrap()],
            b"",
            TIMEOUT,
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(fs::read(&back).unwrap() == data);
    }
    // Only the two uploads are there: no temporary files left.
    assert_eq!(fs::read_dir(&up.path).unwrap().count(), 2);
}

#[test]
fn upload_over_the_limit_is_refused_before_a_body_byte_is_sent() {
    let (s, up) = upload_server(1000);
    let local = TempDir::new("local");
    let src = local.join("big.bin");
    fs::write(&src, Rng::new().bytes(50_000)).unwrap();
    let url = s.url("/uploads/big.bin");
    // A long --expect-timeout: if the server did not answer from the head
    // alone, the client would wait it out and then send the body.
    let o = run_client(
        UPLOAD,
        &[src.to_str().unwrap(), &url, "--expect-timeout", "30"],
        b"",
        TIMEOUT,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.starts_with("413"), "{err}");
    assert!(err.contains("(0 body bytes sent)"), "{err}");
    // Chunked (no length to judge by): refused once past the limit.
    let o = run_client(
        UPLOAD,
        &[src.to_str().unwrap(), &url, "--chunked"],
        b"",
        TIMEOUT,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("413"), "{err}");
    assert_eq!(
        fs::read_dir(&up.path).unwrap().count(),
        0,
        "something was left behind"
    );
}

#[test]
fn an_early_answer_is_reported_even_after_the_server_resets() {
    // A server refusing a body part-way answers and closes; closing with
    // the body unread makes its kernel send a reset. The client's write
    // then fails, but the answer had already arrived: it is what the user
    // must see, not "connection reset".
    let (base, _rx) = scripted_server(|_, _, s| {
        let mut some = [0u8; 4096];
        let _ = s.read(&mut some);
        let _ = s.write_all(
            b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
        // Dropped with the rest of the body unread: a reset.
    });
    let local = TempDir::new("local");
    let src = local.join("big.bin");
    fs::write(&src, Rng::new().bytes(8 << 20)).unwrap();
    let url = format!("{base}/uploads/big.bin");
    let o = run_client(
        UPLOAD,
        &[src.to_str().unwrap(), &url, "--no-expect"],
        b"",
        TIMEOUT,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.starts_with("413"), "{err}");
}

#[test]
fn bad_upload_names_get_400_and_create_nothing() {
    let (s, up) = upload_server(1 << 20);
    let local = TempDir::new("local");
    let src = local.join("x.txt");
    fs::write(&src, "x").unwrap();
    for name in [
        "..%2Fescape",
        "a%2Fb",
        "a%5Cb",
        ".hidden",
        "%2e%2e",
        "nul%00.txt",
        "tab%09.txt",
    ] {
        let url = s.url(&format!("/uploads/{name}"));
        let o = run_client(UPLOAD, &[src.to_str().unwrap(), &url], b"", TIMEOUT);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.starts_with("400"), "{name}: {err}");
    }
    assert_eq!(fs::read_dir(&up.path).unwrap().count(), 0);
    assert!(!up.path.parent().unwrap().join("escape").exists());
}

#[test]
fn upload_cut_off_mid_body_leaves_nothing() {
    let (s, up) = upload_server(1 << 20);
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.write_all(b"PUT /uploads/cut.bin HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
        .unwrap();
    c.write_all(&[1u8; 30_000]).unwrap();
    c.shutdown(std::net::Shutdown::Write).unwrap();
    // The server answers (400) or just closes; either way, wait for it.
    c.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut answer = Vec::new();
    let _ = c.read_to_end(&mut answer);
    assert!(!up.join("cut.bin").exists());
    assert_eq!(
        fs::read_dir(&up.path).unwrap().count(),
        0,
        "temporary file left behind"
    );
}

#[test]
fn resume_against_the_real_server_gives_identical_bytes() {
    let (s, up) = upload_server(4 << 20);
    let data = Rng::new().bytes(1 << 20);
    fs::write(up.join("r.bin"), &data).unwrap();
    let url = s.url("/uploads/r.bin");
    let head = wirebook::check::exchange(
        &s.target(),
        b"HEAD /uploads/r.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let etag = head.head.headers.get("etag").unwrap().to_string();
    // As an interrupted first attempt would have left it.
    let local = TempDir::new("local");
    let cut = Rng::new().range(1, data.len() - 1);
    fs::write(local.join("r.bin.part"), &data[..cut]).unwrap();
    fs::write(local.join("r.bin.part.validator"), &etag).unwrap();
    let out = local.join("r.bin");
    let o = run_client(
        DOWNLOAD,
        &[&url, "-o", out.to_str().unwrap(), "--continue"],
        b"",
        TIMEOUT,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("resumed at"), "{err}");
    assert!(fs::read(&out).unwrap() == data);
}

/// Reads the rest of a request body after its head, so that closing the
/// socket sends FIN, not RST (which could destroy the answer in flight).
fn drain_body(head: &str, s: &mut TcpStream) {
    if header(head, "expect").is_some() {
        return; // we answer before any body byte is sent
    }
    let mut buf = Vec::new();
    let mut b = [0u8; 8192];
    let done = |buf: &[u8]| match header(head, "content-length") {
        Some(n) => buf.len() >= n.parse::<usize>().unwrap(),
        None => buf.ends_with(b"\r\n0\r\n\r\n") || buf == b"0\r\n\r\n",
    };
    while !done(&buf) {
        match s.read(&mut b) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&b[..n]),
        }
    }
}

#[test]
fn upload_follows_307_and_308_resending_the_file() {
    let (srv, up) = upload_server(4 << 20);
    let target = srv.url("/uploads/");
    // PUT /a/NAME -> 307 /b/NAME (relative) -> 308 the real server's /uploads/NAME.
    let (base, rx) = scripted_server(move |_, head, s| {
        drain_body(head, s);
        let path = head.split(' ').nth(1).unwrap_or("");
        let (status, location) = match path.strip_prefix("/a/") {
            Some(name) => ("307 Temporary Redirect", format!("/b/{name}")),
            None => (
                "308 Permanent Redirect",
                format!("{target}{}", path.trim_start_matches("/b/")),
            ),
        };
        let _ = write!(
            s,
            "HTTP/1.1 {status}\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
        );
    });
    let local = TempDir::new("local");
    let mut rng = Rng::new();
    for extra in [&[][..], &["--no-expect", "--chunked"], &["--no-expect"]] {
        let len = rng.range(1, 200_000);
        let data = rng.bytes(len);
        let name = format!("{}.bin", rng.word(8));
        let src = local.join(&name);
        fs::write(&src, &data).unwrap();
        let url = format!("{base}/a/{name}");
        let mut args = vec![src.to_str().unwrap(), url.as_str()];
        args.extend_from_slice(extra);
        let o = run_client(UPLOAD, &args, b"", TIMEOUT);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{extra:?}: {err}");
        assert!(err.starts_with("201"), "{err}");
        assert!(err.contains("after a redirect"), "{err}");
        assert_eq!(rx.try_iter().count(), 2);
        assert!(fs::read(up.join(&name)).unwrap() == data, "{extra:?}");
    }
}

#[test]
fn upload_redirects_are_bounded() {
    // Every answer is a 307 to a fresh URL: the chain must stop.
    let (base, _rx) = scripted_server(move |i, head, s| {
        drain_body(head, s);
        let _ = write!(
            s,
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: /hop{i}\r\nContent-Length: 0\r\n\r\n"
        );
    });
    let local = TempDir::new("local");
    let src = local.join("f.bin");
    fs::write(&src, b"data").unwrap();
    let url = format!("{base}/start");
    let o = run_client(
        UPLOAD,
        &[src.to_str().unwrap(), &url, "--max-redirects", "3"],
        b"",
        TIMEOUT,
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("more than 3 redirects"), "{err}");
    // A redirect back to where it came from is a loop, not three more PUTs.
    let (base, _rx) = scripted_server(move |_, head, s| {
        drain_body(head, s);
        let _ = s.write_all(
            b"HTTP/1.1 308 Permanent Redirect\r\nLocation: /same\r\nContent-Length: 0\r\n\r\n",
        );
    });
    let url = format!("{base}/same");
    let o = run_client(UPLOAD, &[src.to_str().unwrap(), &url], b"", TIMEOUT);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("redirect loop"), "{err}");
}

#[test]
fn a_planted_symlink_at_the_part_file_is_not_written_through() {
    // In a directory others can write to, `TARGET.part` (or its validator)
    // could be a link to one of our files: the download must not clobber it.
    let data = Rng::new().bytes(5000);
    let d = data.clone();
    let (base, _rx) = scripted_server(move |_, _, s| {
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nContent-Length: {}\r\n\r\n",
            d.len()
        );
        let _ = s.write_all(&d);
    });
    let t = TempDir::new("dl-link");
    let victim = t.join("victim.txt");
    for planted in ["f.bin.part", "f.bin.part.validator"] {
        fs::write(&victim, "precious").unwrap();
        let _ = fs::remove_file(t.join("f.bin.part"));
        let _ = fs::remove_file(t.join("f.bin.part.validator"));
        std::os::unix::fs::symlink(&victim, t.join(planted)).unwrap();
        let out = t.join("f.bin");
        let url = format!("{base}/f.bin");
        let o = run_client(DOWNLOAD, &[&url, "-o", out.to_str().unwrap()], b"", TIMEOUT);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{planted}: {err}");
        assert!(err.contains("symlink"), "{planted}: {err}");
        assert_eq!(
            fs::read_to_string(&victim).unwrap(),
            "precious",
            "{planted}"
        );
        assert!(!out.exists());
        fs::remove_file(t.join(planted)).unwrap();
    }
}

#[test]
fn a_saved_validator_cannot_inject_fields_or_leak_a_file() {
    let data = Rng::new().bytes(3000);
    let d = data.clone();
    let (base, rx) = scripted_server(move |_, _, s| {
        let _ = write!(s, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", d.len());
        let _ = s.write_all(&d);
    });
    let t = TempDir::new("dl-validator");
    let url = format!("{base}/f.bin");
    let secret = format!("SECRET-{}", Rng::new().word(16));
    fs::write(t.join("secret.txt"), &secret).unwrap();
    for case in ["inject", "link"] {
        let out = partial(&t, &data, 1000, None);
        let vpath = t.join("f.bin.part.validator");
        let _ = fs::remove_file(&vpath);
        if case == "inject" {
            fs::write(&vpath, "\"v1\"\r\nX-Injected: yes").unwrap();
        } else {
            std::os::unix::fs::symlink(t.join("secret.txt"), &vpath).unwrap();
        }
        let o = run_client(
            DOWNLOAD,
            &[&url, "-o", &out, "--continue", "--quiet"],
            b"",
            TIMEOUT,
        );
        let head = rx.recv_timeout(TIMEOUT).unwrap();
        assert!(
            !head.contains("X-Injected") && !head.contains(&secret),
            "{case}: {head}"
        );
        assert!(header(&head, "if-range").is_none(), "{case}: {head}");
        // Without a usable validator it starts over, and gets it whole.
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(fs::read(&out).unwrap() == data, "{case}");
        assert_eq!(fs::read_to_string(t.join("secret.txt")).unwrap(), secret);
        let _ = fs::remove_file(&out);
    }
}
