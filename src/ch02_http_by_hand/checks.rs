//! Chapter 2's exercises: what any HTTP/1.1 server that answers `GET /`
//! with `Hello, world` must do, checked over a real socket.
//!
//! ```text
//! cargo run --bin check -- ch02 --addr 127.0.0.1:8888
//! ```
//!
//! Point it at the book's `ch02_hello` or at your own server, in any
//! language. Inputs that a server could hard-code (paths, methods, versions,
//! bodies) are random on every run.

use std::io::Write;
use std::time::{Duration, SystemTime};

use crate::check::date::{EXAMPLE, parse_imf_fixdate};
use crate::check::{
    Check, Failure, RawResponse, Target, check, connect, exchange, expect_status, expect_status_in,
    io_text, raw_command, read_response, send_and_read_all, wire,
};
use crate::rng::Rng;

/// Every check of chapter 2, in the order a reader meets the behaviours.
pub fn all() -> Vec<Check> {
    vec![
        check!(
            root_says_hello_world,
            "GET / answers 200 with the body `Hello, world`"
        ),
        check!(
            response_has_date_length_and_type,
            "a response has a current Date, a Content-Length equal to its body, a Content-Type"
        ),
        check!(
            random_path_gets_404,
            "a path the server does not have answers 404"
        ),
        check!(
            head_gets_the_head_without_a_body,
            "HEAD / answers like GET / (same Content-Length) but sends no body"
        ),
        check!(
            http10_request_is_answered,
            "an HTTP/1.0 request (Host is optional there) is answered"
        ),
        check!(
            absolute_form_target_is_accepted,
            "GET http://host/ HTTP/1.1 is the same request as GET / (RFC 9112 §3.2.2)"
        ),
        check!(
            query_is_not_part_of_the_path,
            "GET /?random answers like GET /"
        ),
        check!(
            split_request_is_answered,
            "a request sent one byte per write is reassembled and answered"
        ),
        check!(
            connection_close_is_honoured,
            "after answering a request with `Connection: close` the server closes"
        ),
        check!(
            missing_host_gets_400,
            "an HTTP/1.1 request without Host answers 400 (RFC 9112 §3.2)"
        ),
        check!(
            invalid_host_gets_400,
            "a Host that is not `host[:port]` (`a b`, `x/y`, `u@h`) answers 400 (RFC 9112 §3.2)"
        ),
        check!(
            malformed_request_line_gets_400,
            "a request line that breaks the grammar answers 400"
        ),
        check!(
            malformed_header_gets_400,
            "a header line that breaks the grammar answers 400"
        ),
        check!(
            garbage_gets_400,
            "random binary bytes answer 400 (not a hang, not a crash)"
        ),
        check!(
            unknown_version_gets_505,
            "HTTP/2.0 to 9.9 in a request line answers 505"
        ),
        check!(
            long_target_gets_414,
            "a 20 000-byte request-target answers 414"
        ),
        check!(huge_head_gets_431, "64 KiB of header fields answer 431"),
        check!(
            unknown_method_gets_501,
            "a method the server does not know answers 501"
        ),
        check!(
            post_to_root_gets_405_with_allow,
            "POST / with a body answers 405 and says which methods are allowed"
        ),
        check!(
            bad_content_length_gets_400,
            "a Content-Length that is not a number answers 400"
        ),
        check!(
            oversized_body_gets_413,
            "a Content-Length of 1 GB answers 413 without waiting for the body"
        ),
        check!(
            chunked_body_is_read_or_refused,
            "POST / with a chunked body answers 405, 411 or 501, never 200, never a hang"
        ),
        check!(
            server_still_answers_after_bad_input,
            "after garbage on one connection, GET / on the next still answers 200"
        ),
    ]
}

const HELLO: &[u8] = b"Hello, world";

/// `METHOD TARGET HTTP/1.1` with Host, `Connection: close`, extra fields and
/// a body.
fn request(
    t: &Target,
    method: &str,
    target: &str,
    fields: &[(&str, String)],
    body: &[u8],
) -> Vec<u8> {
    let mut r = format!(
        "{method} {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        t.authority()
    );
    for (n, v) in fields {
        r.push_str(&format!("{n}: {v}\r\n"));
    }
    r.push_str("\r\n");
    let mut r = r.into_bytes();
    r.extend_from_slice(body);
    r
}

fn curl(t: &Target, path: &str) -> String {
    format!("curl -v {}", t.url(path))
}

/// Sends a request that the server may stop reading halfway (it is too
/// large): a failed write is not a failure, the answer is what counts.
fn exchange_oversized(t: &Target, bytes: &[u8]) -> Result<RawResponse, Failure> {
    let mut s = connect(t)?;
    let _ = s.write_all(bytes);
    let method =
        String::from_utf8_lossy(bytes.split(|&b| b == b' ').next().unwrap_or(b"")).into_owned();
    read_response(&mut s, &method, &mut Vec::new())
        .map_err(|f| f.sent(bytes).repro(raw_command(t, bytes)))
}

fn expect_body(resp: &RawResponse, want: &[u8], sent: &[u8], repro: String) -> Result<(), Failure> {
    if resp.body == want {
        return Ok(());
    }
    let head_len = resp.raw.len() - resp.body.len();
    let mut f = Failure::mismatch("wrong body", want, &resp.body)
        .sent(sent)
        .got(&resp.raw)
        .repro(repro);
    f.first_wrong = f.first_wrong.map(|o| o + head_len as u32);
    Err(f)
}

fn root_says_hello_world(t: &Target) -> Result<(), Failure> {
    let sent = request(t, "GET", "/", &[], b"");
    let resp = exchange(t, &sent)?;
    expect_status(&resp, 200, &sent, t).map_err(|f| f.repro(curl(t, "/")))?;
    expect_body(&resp, HELLO, &sent, curl(t, "/"))
}

fn response_has_date_length_and_type(t: &Target) -> Result<(), Failure> {
    let sent = request(t, "GET", "/", &[], b"");
    let resp = exchange(t, &sent)?;
    let fail = |msg: String| {
        Err(Failure::new(msg)
            .sent(&sent)
            .got(&resp.raw)
            .repro(curl(t, "/")))
    };
    let h = &resp.head.headers;
    match h.get("content-length").map(|v| v.trim().parse::<usize>()) {
        Some(Ok(n)) if n == resp.body.len() => {}
        Some(Ok(n)) => return fail(format!("Content-Length says {n}, the body has {} bytes", resp.body.len())),
        _ => return fail("no valid Content-Length (the client cannot know where the body ends without reading until close)".into()),
    }
    if h.get("content-type").is_none_or(|v| v.trim().is_empty()) {
        return fail("no Content-Type: the client has to guess what the body is".into());
    }
    let Some(date) = h.get("date") else {
        return fail(
            "no Date field (RFC 9110 §6.6.1: an origin server with a clock MUST send it)".into(),
        );
    };
    let Some(when) = parse_imf_fixdate(date) else {
        return Err(Failure::new(format!(
            "Date `{date}` is not an IMF-fixdate, the only form a server may send (RFC 9110 §5.6.7)"
        ))
        .sent(&sent)
        .expected(format!(
            "a Date like `{EXAMPLE}`: day name, 2-digit day, month name, year, time, GMT"
        ))
        .got(&resp.raw)
        .repro(curl(t, "/")));
    };
    let now = SystemTime::now();
    let off = now
        .duration_since(when)
        .or_else(|e| Ok::<_, ()>(e.duration()))
        .unwrap_or_default();
    if off > Duration::from_secs(120) {
        return fail(format!(
            "Date `{date}` is {}s away from now: is it the current time in GMT?",
            off.as_secs()
        ));
    }
    Ok(())
}

fn random_path_gets_404(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let n = rng.range(1, 12);
    let path = format!("/{}", rng.word(n));
    let sent = request(t, "GET", &path, &[], b"");
    let resp = exchange(t, &sent)?;
    expect_status(&resp, 404, &sent, t).map_err(|f| f.repro(curl(t, &path)))
}

fn head_gets_the_head_without_a_body(t: &Target) -> Result<(), Failure> {
    let get = exchange(t, &request(t, "GET", "/", &[], b""))?;
    let sent = request(t, "HEAD", "/", &[], b"");
    // Read everything until close: a body after a HEAD response would show.
    let raw = send_and_read_all(t, &sent)?;
    let repro = format!("curl -v --head {}", t.url("/"));
    let (head, used) = match wire::parse_head(&raw) {
        Ok(Some((h, n))) => (h, n),
        Ok(None) => {
            return Err(
                Failure::new("no complete response head before the connection closed")
                    .sent(&sent)
                    .got(&raw)
                    .repro(repro),
            );
        }
        Err(e) => {
            return Err(Failure::new(format!("malformed response head: {}", e.what))
                .sent(&sent)
                .got(&raw)
                .at(e.at)
                .repro(repro));
        }
    };
    if head.status != 200 {
        return Err(Failure::mismatch(
            format!("expected status 200, got {}", head.status),
            b"HTTP/1.1 200",
            &raw,
        )
        .sent(&sent)
        .repro(repro));
    }
    if used < raw.len() {
        return Err(Failure::new(
            "bytes follow the head of a HEAD response (RFC 9110 §9.3.2: no body)",
        )
        .sent(&sent)
        .got(&raw)
        .at(used)
        .repro(repro));
    }
    let want = get.head.headers.get("content-length");
    if head.headers.get("content-length") != want {
        return Err(Failure::new(format!(
            "HEAD's Content-Length should be GET's ({want:?}): the size of the body GET would send"
        ))
        .sent(&sent)
        .got(&raw)
        .repro(repro));
    }
    Ok(())
}

fn http10_request_is_answered(t: &Target) -> Result<(), Failure> {
    let sent = b"GET / HTTP/1.0\r\n\r\n".to_vec();
    let resp = exchange(t, &sent)?;
    expect_status(&resp, 200, &sent, t)?;
    expect_body(&resp, HELLO, &sent, raw_command(t, &sent))
}

fn absolute_form_target_is_accepted(t: &Target) -> Result<(), Failure> {
    let target = t.url("/");
    let sent = request(t, "GET", &target, &[], b"");
    let resp = exchange(t, &sent)?;
    expect_status(&resp, 200, &sent, t)?;
    expect_body(&resp, HELLO, &sent, raw_command(t, &sent))
}

fn query_is_not_part_of_the_path(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let target = format!("/?{}={}", rng.word(5), rng.word(8));
    let sent = request(t, "GET", &target, &[], b"");
    let resp = exchange(t, &sent)?;
    expect_status(&resp, 200, &sent, t).map_err(|f| f.repro(curl(t, &target)))?;
    expect_body(&resp, HELLO, &sent, curl(t, &target))
}

fn split_request_is_answered(t: &Target) -> Result<(), Failure> {
    let sent = request(t, "GET", "/", &[], b"");
    let mut s = connect(t)?;
    for b in &sent {
        s.write_all(std::slice::from_ref(b)).map_err(|e| {
            Failure::new(format!(
                "the server stopped reading a split request: {}",
                io_text(&e, t)
            ))
            .sent(&sent)
        })?;
    }
    let resp = read_response(&mut s, "GET", &mut Vec::new()).map_err(|f| f.sent(&sent))?;
    expect_status(&resp, 200, &sent, t)?;
    expect_body(&resp, HELLO, &sent, raw_command(t, &sent))
}

fn connection_close_is_honoured(t: &Target) -> Result<(), Failure> {
    let sent = request(t, "GET", "/", &[], b"");
    let mut s = connect(t)?;
    s.write_all(&sent)
        .map_err(|e| Failure::new(format!("could not send: {}", io_text(&e, t))))?;
    let mut pending = Vec::new();
    let resp = read_response(&mut s, "GET", &mut pending).map_err(|f| f.sent(&sent))?;
    // Anything after the response must be the end of the stream.
    let mut rest = Vec::new();
    let r = std::io::Read::read_to_end(&mut s, &mut rest);
    pending.extend_from_slice(&rest);
    match r {
        Ok(_) if pending.is_empty() => Ok(()),
        Ok(_) => Err(
            Failure::new("bytes after the response to a `Connection: close` request")
                .sent(&sent)
                .got(&[resp.raw.as_slice(), &pending].concat())
                .at(resp.raw.len()),
        ),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(()),
        Err(e) => Err(Failure::new(format!(
            "the server did not close after `Connection: close` (RFC 9112 §9.6): {}",
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) {
                format!(
                    "no end of stream within {}",
                    crate::check::seconds(t.timeout)
                )
            } else {
                io_text(&e, t)
            }
        ))
        .sent(&sent)
        .got(&resp.raw)
        .expected("the response, then the end of the stream")
        .repro(raw_command(t, &sent))),
    }
}

fn expect_error(t: &Target, sent: &[u8], want: u16) -> Result<(), Failure> {
    let resp = exchange_oversized(t, sent)?;
    expect_status(&resp, want, sent, t)
}

fn missing_host_gets_400(t: &Target) -> Result<(), Failure> {
    expect_error(t, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n", 400)
}

fn invalid_host_gets_400(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let name = format!("h{}", rng.below(1_000_000));
    for host in [
        format!("{name} {name}"),
        format!("{name}/{name}"),
        format!("user@{name}"),
        format!("{name}:80x"),
        format!("[{name}]"),
    ] {
        let sent = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        expect_error(t, sent.as_bytes(), 400)?;
    }
    Ok(())
}

fn malformed_request_line_gets_400(t: &Target) -> Result<(), Failure> {
    let host = t.authority();
    for line in [
        "GET  / HTTP/1.1",
        "GET / HTTP/1.1 extra",
        "GET /",
        "GET / HTTP/1.1.1",
        "GET\t/ HTTP/1.1",
    ] {
        let sent = format!("{line}\r\nHost: {host}\r\nConnection: close\r\n\r\n");
        expect_error(t, sent.as_bytes(), 400)?;
    }
    Ok(())
}

fn malformed_header_gets_400(t: &Target) -> Result<(), Failure> {
    let host = t.authority();
    for field in [
        "Host : x",
        "NoColonHere",
        " folded: line",
        "Bad Name: x",
        "X: a\x00b",
    ] {
        let sent =
            format!("GET / HTTP/1.1\r\nHost: {host}\r\n{field}\r\nConnection: close\r\n\r\n");
        expect_error(t, sent.as_bytes(), 400)?;
    }
    Ok(())
}

/// Random bytes that cannot start a request line: a control byte first,
/// like the 0x16 of a TLS handshake sent to a plain-HTTP port.
fn garbage(rng: &mut Rng) -> Vec<u8> {
    let n = rng.range(16, 200);
    let mut g = rng.bytes(n);
    g[0] = [0x16, 0x00, 0x01, 0x7f, 0x80, 0xff][rng.below(6) as usize];
    g.extend_from_slice(b"\r\n\r\n");
    g
}

fn garbage_gets_400(t: &Target) -> Result<(), Failure> {
    let sent = garbage(&mut Rng::new());
    expect_error(t, &sent, 400)
}

fn unknown_version_gets_505(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let v = format!("HTTP/{}.{}", rng.range(2, 9), rng.range(0, 9));
    let sent = format!(
        "GET / {v}\r\nHost: {}\r\nConnection: close\r\n\r\n",
        t.authority()
    );
    expect_error(t, sent.as_bytes(), 505)
}

/// One random letter, repeated `n` times: long input that a `try:` line
/// can generate in the shell instead of spelling it out.
fn filler(rng: &mut Rng, n: usize) -> String {
    rng.word(1).repeat(n)
}

fn long_target_gets_414(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let target = format!("/{}", filler(&mut rng, 20_000));
    expect_error(t, &request(t, "GET", &target, &[], b""), 414)
}

fn huge_head_gets_431(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let value = filler(&mut rng, 1000);
    let fields: Vec<(&str, String)> = (0..64).map(|_| ("X-Filler", value.clone())).collect();
    expect_error(t, &request(t, "GET", "/", &fields, b""), 431)
}

fn unknown_method_gets_501(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let method = format!("X{}", rng.word(6).to_uppercase());
    expect_error(t, &request(t, &method, "/", &[], b""), 501)
}

fn post_to_root_gets_405_with_allow(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let n = rng.range(1, 60);
    let body = rng.word(n);
    let sent = request(
        t,
        "POST",
        "/",
        &[("Content-Length", body.len().to_string())],
        body.as_bytes(),
    );
    let resp = exchange_oversized(t, &sent)?;
    let repro = format!("curl -v -d {body} {}", t.url("/"));
    expect_status(&resp, 405, &sent, t).map_err(|f| f.repro(repro.clone()))?;
    let allow = resp.head.headers.get("allow").unwrap_or("");
    if !allow.split(',').any(|m| m.trim() == "GET") {
        return Err(Failure::new(
            "405 must say which methods are allowed: `Allow: GET, HEAD` (RFC 9110 §15.5.6)",
        )
        .sent(&sent)
        .got(&resp.raw)
        .repro(repro));
    }
    Ok(())
}

fn bad_content_length_gets_400(t: &Target) -> Result<(), Failure> {
    for v in ["abc", "-1", "1, 2", "0x10"] {
        expect_error(
            t,
            &request(t, "POST", "/", &[("Content-Length", v.into())], b"x"),
            400,
        )?;
    }
    Ok(())
}

fn oversized_body_gets_413(t: &Target) -> Result<(), Failure> {
    expect_error(
        t,
        &request(
            t,
            "POST",
            "/",
            &[("Content-Length", "1000000000".into())],
            b"start",
        ),
        413,
    )
}

fn chunked_body_is_read_or_refused(t: &Target) -> Result<(), Failure> {
    let sent = request(
        t,
        "POST",
        "/",
        &[("Transfer-Encoding", "chunked".into())],
        b"5\r\nhello\r\n0\r\n\r\n",
    );
    let resp = exchange_oversized(t, &sent)?;
    expect_status_in(&resp, &[405, 411, 501], &sent, t).map_err(|f| Failure {
        summary: format!(
            "{}: 405 if the body was read and the method refused, 411 or 501 if the body was refused",
            f.summary
        ),
        ..f
    })
}

fn server_still_answers_after_bad_input(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let g = garbage(&mut rng);
    let _ = send_and_read_all(t, &g);
    root_says_hello_world(t).map_err(|f| Failure {
        summary: format!("after garbage on another connection: {}", f.summary),
        ..f
    })
}
