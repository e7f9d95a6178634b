//! Chapter 3 over real sockets: the client against in-process test servers
//! that answer exactly what each test scripts (every framing, redirects,
//! stalls, garbage), the `ch03_get` binary's output and exit codes, and the
//! chapter's checks against `ch02_hello`.

use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use wirebook::ch02_http_by_hand::head::{HeadLimits, Parsed, RequestHead, parse_request};
use wirebook::ch03_urls_and_clients::body::{BodyKind, BodyReader, LAST_CHUNK, encode_chunk};
use wirebook::ch03_urls_and_clients::client::{self, Body, Config, Error, Request};
use wirebook::rng::Rng;
use wirebook::testkit::{Server, run_client};

/// What a scripted server does with one request.
enum Reply {
    /// Send these bytes, then close.
    Bytes(Vec<u8>),
    /// Send these bytes, then keep the connection open and silent until
    /// the client gives up and closes.
    Stall(Vec<u8>),
}

/// A request as the test server saw it.
struct Seen {
    head: RequestHead,
    body: Vec<u8>,
    addr: SocketAddr,
}

/// Starts a server on 127.0.0.1:0 that answers every connection with
/// `handler`. It reads the request head and its body (Content-Length or
/// chunked) with the book's own parser first.
fn serve(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handler = Arc::new(handler);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let handler = handler.clone();
            thread::spawn(move || answer(stream, addr, &*handler));
        }
    });
    addr
}

fn answer(mut s: TcpStream, addr: SocketAddr, handler: &(dyn Fn(&Seen) -> Reply + Send + Sync)) {
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let (head, used) = loop {
        if let Ok(Parsed::Complete(h, n)) = parse_request(&buf, &HeadLimits::SERVER) {
            break (h, n);
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let kind = if head.headers.has_token("transfer-encoding", "chunked") {
        BodyKind::Chunked
    } else {
        match head.headers.get("content-length") {
            Some(n) => BodyKind::Length(n.parse().unwrap()),
            None => BodyKind::Empty,
        }
    };
    let rest = buf[used..].to_vec();
    let mut body = Vec::new();
    let mut r = BodyReader::new(
        BufReader::new(std::io::Cursor::new(rest).chain(s.try_clone().unwrap())),
        kind,
    );
    if r.read_to_end(&mut body).is_err() {
        return;
    }
    let seen = Seen { head, body, addr };
    match handler(&seen) {
        Reply::Bytes(b) => {
            let _ = s.write_all(&b);
        }
        Reply::Stall(b) => {
            let _ = s.write_all(&b);
            let _ = s.read_to_end(&mut Vec::new());
        }
    }
}

fn response(status: &str, fields: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 {status}\r\n");
    for (n, v) in fields {
        r.push_str(&format!("{n}: {v}\r\n"));
    }
    r.push_str("\r\n");
    let mut r = r.into_bytes();
    r.extend_from_slice(body);
    r
}

fn ok_with_length(body: &[u8]) -> Vec<u8> {
    response(
        "200 OK",
        &[("Content-Length", &body.len().to_string())],
        body,
    )
}

/// Timeouts short enough that a hung test fails fast, long enough for a
/// loaded machine.
fn quick() -> Config {
    Config {
        connect_timeout: Duration::from_secs(3),
        read_timeout: Duration::from_secs(3),
        ..Config::default()
    }
}

fn fetch(url: &str, cfg: &Config) -> Result<(u16, Vec<u8>), Error> {
    let resp = client::request(Request::parse("GET", url)?, cfg)?;
    let status = resp.status();
    Ok((status, resp.into_bytes()?))
}

#[test]
fn random_bodies_in_all_three_framings() {
    let mut rng = Rng::new();
    for framing in ["length", "chunked", "close"] {
        let n = rng.range(0, 200_000);
        let body = rng.bytes(n);
        let expected = body.clone();
        let seed = rng.next_u64();
        let addr = serve(move |_| {
            let mut rng = Rng::with_seed(seed);
            Reply::Bytes(match framing {
                "length" => ok_with_length(&body),
                "chunked" => {
                    let mut wire = response("200 OK", &[("Transfer-Encoding", "chunked")], b"");
                    let mut rest = &body[..];
                    while !rest.is_empty() {
                        let k = rng.range(1, rest.len().min(5000));
                        encode_chunk(&rest[..k], &mut wire);
                        rest = &rest[k..];
                    }
                    wire.extend_from_slice(LAST_CHUNK);
                    wire
                }
                _ => response("200 OK", &[], &body),
            })
        });
        let url = format!("http://{addr}/{framing}");
        let (status, got) = fetch(&url, &quick()).unwrap_or_else(|e| panic!("{framing}: {e}"));
        assert_eq!(status, 200);
        assert!(
            got == expected,
            "{framing}: {} bytes, want {}",
            got.len(),
            expected.len()
        );
    }
}

#[test]
fn redirects_follow_relative_locations() {
    let addr = serve(|s| {
        let to = |status: &str, loc: String| {
            Reply::Bytes(response(
                status,
                &[("Location", &loc), ("Content-Length", "0")],
                b"",
            ))
        };
        match s.head.target.as_str() {
            "/a/b" => to("301 Moved Permanently", "x/../c?q=1".into()),
            "/a/c?q=1" => to("302 Found", format!("//{}/d", s.addr)),
            "/d" => to("307 Temporary Redirect", "?e".into()),
            "/d?e" => to(
                "308 Permanent Redirect",
                format!("http://{}/end#frag", s.addr),
            ),
            "/end" => Reply::Bytes(ok_with_length(b"done")),
            other => Reply::Bytes(ok_with_length(format!("unexpected {other}").as_bytes())),
        }
    });
    let resp = client::request(
        Request::parse("GET", &format!("http://{addr}/a/b")).unwrap(),
        &quick(),
    )
    .unwrap();
    assert_eq!(resp.url.to_string(), format!("http://{addr}/end#frag"));
    let statuses: Vec<u16> = resp.history.iter().map(|(_, h)| h.status).collect();
    assert_eq!(statuses, [301, 302, 307, 308]);
    assert_eq!(resp.into_bytes().unwrap(), b"done");
}

#[test]
fn redirect_methods_and_bodies() {
    // Echo the method and body so the test sees what each hop received.
    let addr = serve(|s| {
        let redirect = |status: &str, loc: &str| {
            Reply::Bytes(response(
                status,
                &[("Location", loc), ("Content-Length", "0")],
                b"",
            ))
        };
        match s.head.target.as_str() {
            "/307" => redirect("307 Temporary Redirect", "/echo"),
            "/303" => redirect("303 See Other", "/echo"),
            "/302" => redirect("302 Found", "/echo"),
            _ => {
                let mut out = format!("{} ", s.head.method).into_bytes();
                out.extend_from_slice(&s.body);
                Reply::Bytes(ok_with_length(&out))
            }
        }
    });
    let mut rng = Rng::new();
    let body = rng.word(100).into_bytes();
    let post = |path: &str, body: Body| {
        let mut req = Request::parse("POST", &format!("http://{addr}{path}")).unwrap();
        req.body = body;
        client::request(req, &quick())
    };
    let got = post("/307", Body::Bytes(body.clone()))
        .unwrap()
        .into_bytes()
        .unwrap();
    assert_eq!(
        got,
        [b"POST ".as_slice(), &body].concat(),
        "307 repeats method and body"
    );
    assert_eq!(
        post("/303", Body::Bytes(body.clone()))
            .unwrap()
            .into_bytes()
            .unwrap(),
        b"GET "
    );
    assert_eq!(
        post("/302", Body::Bytes(body.clone()))
            .unwrap()
            .into_bytes()
            .unwrap(),
        b"GET "
    );
    // A streamed body cannot be sent twice.
    let streamed = Body::Reader {
        reader: Box::new(std::io::Cursor::new(body.clone())),
        len: None,
    };
    assert!(matches!(
        post("/307", streamed),
        Err(Error::BodyNotReplayable)
    ));
}

#[test]
fn bodies_stream_from_a_reader_chunked_or_with_length() {
    let addr = serve(|s| {
        let framing = if s.head.headers.contains("transfer-encoding") {
            "chunked"
        } else {
            "length"
        };
        let mut out = format!("{framing} ").into_bytes();
        out.extend_from_slice(&s.body);
        Reply::Bytes(ok_with_length(&out))
    });
    let mut rng = Rng::new();
    let data = rng.bytes(100_000);
    for len in [None, Some(data.len() as u64)] {
        let mut req = Request::parse("PUT", &format!("http://{addr}/up")).unwrap();
        req.body = Body::Reader {
            reader: Box::new(std::io::Cursor::new(data.clone())),
            len,
        };
        let got = client::request(req, &quick())
            .unwrap()
            .into_bytes()
            .unwrap();
        let want = if len.is_some() { "length " } else { "chunked " };
        assert!(got.starts_with(want.as_bytes()), "{len:?}");
        assert!(got[want.len()..] == data[..], "{len:?}");
    }
}

#[test]
fn redirect_loops_and_chains_are_bounded() {
    let addr = serve(|s| {
        let n: usize = s.head.target.trim_start_matches('/').parse().unwrap_or(0);
        let loc = if s.head.target == "/loop" {
            "/loop".to_string()
        } else {
            format!("/{}", n + 1)
        };
        Reply::Bytes(response(
            "302 Found",
            &[("Location", &loc), ("Content-Length", "0")],
            b"",
        ))
    });
    let start = Instant::now();
    match fetch(&format!("http://{addr}/loop"), &quick()) {
        Err(Error::RedirectLoop(chain)) => assert_eq!(chain.len(), 2),
        other => panic!("{other:?}"),
    }
    let cfg = Config {
        max_redirects: 3,
        ..quick()
    };
    match fetch(&format!("http://{addr}/0"), &cfg) {
        Err(e @ Error::TooManyRedirects(..)) => {
            assert!(e.to_string().contains("more than 3 redirects"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // With redirects off, the 302 itself is the answer.
    let cfg = Config {
        max_redirects: 0,
        ..quick()
    };
    assert_eq!(fetch(&format!("http://{addr}/0"), &cfg).unwrap().0, 302);
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn silent_servers_time_out_quickly() {
    let addr = serve(|s| match s.head.target.as_str() {
        "/head" => Reply::Stall(Vec::new()),
        _ => Reply::Stall(response("200 OK", &[("Content-Length", "10")], b"abc")),
    });
    let impatient = Config {
        read_timeout: Duration::from_millis(300),
        ..quick()
    };
    let start = Instant::now();
    assert!(matches!(
        fetch(&format!("http://{addr}/head"), &impatient),
        Err(Error::Timeout(_))
    ));
    match fetch(&format!("http://{addr}/body"), &impatient) {
        Err(Error::Timeout(_)) => {}
        other => panic!("{other:?}"),
    }
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn malformed_responses_are_clear_errors() {
    let addr = serve(|s| {
        Reply::Bytes(match s.head.target.as_str() {
            "/ssh" => b"SSH-2.0-OpenSSH_9.6\r\n".to_vec(),
            "/empty" => Vec::new(),
            "/bad-length" => response("200 OK", &[("Content-Length", "12abc")], b"x"),
            "/two-lengths" => response(
                "200 OK",
                &[("Content-Length", "1"), ("Content-Length", "2")],
                b"xy",
            ),
            "/short" => response("200 OK", &[("Content-Length", "100")], b"only this"),
            "/bad-chunk" => response(
                "200 OK",
                &[("Transfer-Encoding", "chunked")],
                b"zz\r\nhello\r\n",
            ),
            "/cut-chunk" => response("200 OK", &[("Transfer-Encoding", "chunked")], b"5\r\nhel"),
            "/head-cut" => b"HTTP/1.1 200 OK\r\nContent-Le".to_vec(),
            "/redirect-nowhere" => response(
                "302 Found",
                &[("Location", "http://[bad/"), ("Content-Length", "0")],
                b"",
            ),
            "/redirect-https" => response(
                "302 Found",
                &[
                    ("Location", "https://example.com/"),
                    ("Content-Length", "0"),
                ],
                b"",
            ),
            _ => ok_with_length(b"fine"),
        })
    });
    for path in [
        "/ssh",
        "/empty",
        "/bad-length",
        "/two-lengths",
        "/short",
        "/bad-chunk",
        "/cut-chunk",
        "/head-cut",
        "/redirect-nowhere",
        "/redirect-https",
    ] {
        let url = format!("http://{addr}{path}");
        match fetch(&url, &quick()) {
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    !msg.is_empty() && !matches!(e, Error::Timeout(_)),
                    "{path}: {msg}"
                );
            }
            Ok((s, b)) => panic!("{path}: accepted {s} {}", String::from_utf8_lossy(&b)),
        }
    }
    assert_eq!(
        fetch(&format!("http://{addr}/"), &quick()).unwrap().1,
        b"fine"
    );
}

#[test]
fn connection_errors_name_the_cause() {
    // A port that was just free: nobody listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    match fetch(&format!("http://127.0.0.1:{port}/"), &quick()) {
        Err(e @ Error::Connect(..)) => assert!(e.to_string().contains("refused"), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        fetch("https://127.0.0.1/", &quick()),
        Err(Error::Unfetchable(..))
    ));
    assert!(matches!(
        fetch("http://u:p@127.0.0.1/", &quick()),
        Err(Error::Unfetchable(..))
    ));
    assert!(matches!(
        fetch("http://nosuch.invalid/", &quick()),
        Err(Error::UnknownHost(..))
    ));
    assert!(matches!(
        fetch("http://a b/", &quick()),
        Err(Error::InvalidUrl(..))
    ));
}

#[test]
fn head_responses_and_interim_100_have_no_body() {
    let addr = serve(|s| {
        Reply::Stall(match s.head.method.as_str() {
            // A HEAD answer announces the GET body's length but sends none;
            // the client must not wait for it.
            "HEAD" => response("200 OK", &[("Content-Length", "1000")], b""),
            _ => [
                b"HTTP/1.1 100 Continue\r\n\r\n".as_slice(),
                &ok_with_length(b"after 100"),
            ]
            .concat(),
        })
    });
    let resp = client::request(
        Request::parse("HEAD", &format!("http://{addr}/")).unwrap(),
        &quick(),
    )
    .unwrap();
    assert_eq!(resp.headers().get("content-length"), Some("1000"));
    assert_eq!(resp.into_bytes().unwrap(), b"");
    assert_eq!(
        fetch(&format!("http://{addr}/"), &quick()).unwrap().1,
        b"after 100"
    );
}

const GET: &str = env!("CARGO_BIN_EXE_ch03_get");

#[test]
fn ch03_get_prints_bodies_and_heads_with_documented_exit_codes() {
    let mut rng = Rng::new();
    let body = rng.word(3000).into_bytes();
    let b2 = body.clone();
    let addr = serve(move |s| {
        Reply::Bytes(match s.head.target.as_str() {
            "/" => ok_with_length(&b2),
            "/moved" => response(
                "301 Moved Permanently",
                &[("Location", "/"), ("Content-Length", "0")],
                b"",
            ),
            _ => response("404 Not Found", &[("Content-Length", "9")], b"not here\n"),
        })
    });
    let t = Duration::from_secs(10);
    let out = run_client(GET, &[&format!("http://{addr}/")], b"", t);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, body);

    let out = run_client(GET, &["-i", &format!("http://{addr}/moved")], b"", t);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("HTTP/1.1 301 Moved Permanently\r\nLocation: /\r\n"),
        "{text}"
    );
    assert!(text.contains("\r\n\r\nHTTP/1.1 200 OK\r\n"), "{text}");
    assert!(out.stdout.ends_with(&body));

    let out = run_client(GET, &[&format!("http://{addr}/missing")], b"", t);
    assert_eq!(out.status.code(), Some(22));
    assert_eq!(out.stdout, b"not here\n");

    let out = run_client(GET, &["--trace", &format!("http://{addr}/")], b"", t);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(">> GET / HTTP/1.1\\r\\n") && err.contains("<< HTTP/1.1 200 OK\\r\\n"),
        "{err}"
    );
    assert!(
        err.contains(&format!("<< body: {} bytes (Content-Length)", body.len())),
        "{err}"
    );

    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = run_client(GET, &[&format!("http://127.0.0.1:{port}/")], b"", t);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refused"));

    let out = run_client(GET, &["https://127.0.0.1/"], b"", t);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TLS"));

    for bad in [
        &[][..],
        &["--bogus", "http://x/"],
        &["http://a b/"],
        &["--timeout", "0", "http://x/"],
    ] {
        let out = run_client(GET, bad, b"", t);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

#[test]
fn chapter_checks_pass_against_ch02_hello() {
    let server = Server::start(env!("CARGO_BIN_EXE_ch02_hello"), &["--quiet"]);
    wirebook::check::assert_chapter_passes("ch03", server.addr);
}

#[test]
fn ipv6_literal_urls_connect_and_send_a_bracketed_host() {
    // Skipped (passes trivially) on a machine without IPv6 loopback.
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        eprintln!("no IPv6 loopback here; skipping");
        return;
    };
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        let (s, _) = listener.accept().unwrap();
        answer(s, addr, &|seen: &Seen| {
            let host = seen.head.headers.get("host").unwrap_or("").to_string();
            Reply::Bytes(ok_with_length(host.as_bytes()))
        });
    });
    let url = format!("http://[::1]:{}/", addr.port());
    let (status, body) = fetch(&url, &quick()).unwrap();
    assert_eq!(
        (status, body),
        (200, format!("[::1]:{}", addr.port()).into_bytes())
    );
}

/// The client against an HTTP server written by someone else (`tiny_http`):
/// bodies with Content-Length and chunked (tiny_http chunks anything of
/// unknown length or over 32 KiB), a redirect, and a chunked upload.
#[test]
fn interop_with_tiny_http() {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let addr = server.server_addr().to_ip().unwrap();
    let mut rng = Rng::new();
    let small = rng.bytes(1000);
    let big = rng.bytes(300_000);
    let (s2, b2) = (small.clone(), big.clone());
    thread::spawn(move || {
        for mut req in server.incoming_requests() {
            let url = req.url().to_string();
            let _ = match url.as_str() {
                "/small" => req.respond(tiny_http::Response::from_data(s2.clone())),
                "/big" => req.respond(tiny_http::Response::from_data(b2.clone())),
                "/stream" => req.respond(tiny_http::Response::new(
                    200.into(),
                    Vec::new(),
                    std::io::Cursor::new(b2.clone()),
                    None,
                    None,
                )),
                "/moved" => req.respond(
                    tiny_http::Response::empty(302)
                        .with_header(tiny_http::Header::from_bytes("Location", "/small").unwrap()),
                ),
                _ => {
                    let mut body = Vec::new();
                    req.as_reader().read_to_end(&mut body).unwrap();
                    req.respond(tiny_http::Response::from_data(body))
                }
            };
        }
    });
    for (path, want, framing) in [
        ("/small", &small, BodyKind::Length(1000)),
        ("/big", &big, BodyKind::Chunked),
        ("/stream", &big, BodyKind::Chunked),
        ("/moved", &small, BodyKind::Length(1000)),
    ] {
        let resp = client::request(
            Request::parse("GET", &format!("http://{addr}{path}")).unwrap(),
            &quick(),
        )
        .unwrap_or_else(|e| panic!("{path}: {e}"));
        let kind = resp.body_kind();
        assert_eq!(kind, framing, "{path}");
        let got = resp
            .into_bytes()
            .unwrap_or_else(|e| panic!("{path} ({kind:?}): {e}"));
        assert!(
            got == *want,
            "{path} ({kind:?}): {} bytes, want {}",
            got.len(),
            want.len()
        );
    }
    let mut req = Request::parse("POST", &format!("http://{addr}/echo")).unwrap();
    req.body = Body::Reader {
        reader: Box::new(std::io::Cursor::new(big.clone())),
        len: None,
    };
    let got = client::request(req, &quick())
        .unwrap()
        .into_bytes()
        .unwrap();
    assert!(
        got == big,
        "chunked upload echoed {} bytes, want {}",
        got.len(),
        big.len()
    );
}

#[test]
fn ch03_get_unfolds_obs_fold_in_a_response_header() {
    // RFC 9112 §5.2: a user agent MUST replace each obs-fold with SP.
    let body = Rng::new().word(40).into_bytes();
    let b = body.clone();
    let addr = serve(move |_| {
        let mut r = format!(
            "HTTP/1.1 200 OK\r\nX-Folded: first\r\n  second\r\n\tthird\r\nContent-Length: {}\r\n\r\n",
            b.len()
        )
        .into_bytes();
        r.extend_from_slice(&b);
        Reply::Bytes(r)
    });
    let out = run_client(
        GET,
        &["-i", &format!("http://{addr}/")],
        b"",
        Duration::from_secs(10),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("X-Folded: first second third\r\n"), "{text}");
    assert!(out.stdout.ends_with(&body));
}

#[test]
fn ch03_get_refuses_a_transfer_coding_it_cannot_decode() {
    let addr = serve(|_| {
        let mut r = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n".to_vec();
        encode_chunk(b"\x1f\x8b\x08\x00not really gzip", &mut r);
        r.extend_from_slice(LAST_CHUNK);
        Reply::Bytes(r)
    });
    let out = run_client(
        GET,
        &[&format!("http://{addr}/")],
        b"",
        Duration::from_secs(10),
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("`gzip`"), "{err}");
    assert!(out.stdout.is_empty(), "printed coded bytes");
}

#[test]
fn chunked_wins_over_content_length_in_a_response() {
    // RFC 9112 §6.3 rule 3: Transfer-Encoding overrides Content-Length.
    let mut rng = Rng::new();
    let len = rng.range(50, 5000);
    let body = rng.word(len).into_bytes();
    let b = body.clone();
    let addr = serve(move |_| {
        let mut r =
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for c in b.chunks(700) {
            encode_chunk(c, &mut r);
        }
        r.extend_from_slice(LAST_CHUNK);
        Reply::Bytes(r)
    });
    let (status, got) = fetch(&format!("http://{addr}/"), &quick()).unwrap();
    assert_eq!((status, got), (200, body.clone()));
    let out = run_client(
        GET,
        &[&format!("http://{addr}/")],
        b"",
        Duration::from_secs(10),
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(out.stdout, body);
}
