//! Chapter 4's exercises: black-box checks of methods, bodies, framing and
//! the notes app, runnable against any server
//! (`cargo run --bin check -- ch04 --addr 127.0.0.1:8888`).

use std::io::{Read, Write};
use std::net::TcpStream;

use crate::check::date::{EXAMPLE, parse_imf_fixdate};
use crate::check::{
    Check, Failure, RawResponse, Target, check, connect, exchange, expect_status, io_text,
    raw_command, read_response, seconds,
};
use crate::rng::Rng;

/// `curl` spelling of a simple request, for failure reports.
fn curl(t: &Target, args: &str, path: &str) -> String {
    let args = if args.is_empty() {
        String::new()
    } else {
        format!("{args} ")
    };
    format!("curl -si {args}{}", t.url(path))
}

/// Sends `req` on a new connection, expects `status`.
pub fn expect(t: &Target, req: &[u8], status: u16) -> Result<RawResponse, Failure> {
    let r = exchange(t, req)?;
    expect_status(&r, status, req, t)?;
    Ok(r)
}

/// After a response, the server must close: the next read sees EOF (or a
/// reset), not more bytes and not a timeout.
pub fn expect_closed(s: &mut TcpStream, t: &Target, sent: &[u8]) -> Result<(), Failure> {
    let mut b = [0u8; 256];
    match s.read(&mut b) {
        Ok(0) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => Ok(()),
        Ok(n) => Err(
            Failure::new("expected the connection to close, got more bytes")
                .sent(sent)
                .got(&b[..n])
                .repro(raw_command(t, sent)),
        ),
        Err(e) => Err(Failure::new(format!(
            "expected the connection to close: {}",
            match e.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut =>
                    format!("no end of stream within {}", seconds(t.timeout)),
                _ => io_text(&e, t),
            }
        ))
        .sent(sent)
        .repro(raw_command(t, sent))),
    }
}

/// Sends `req`, expects `status`, then expects the connection to close.
pub fn expect_and_close(t: &Target, req: &[u8], status: u16) -> Result<(), Failure> {
    let mut s = connect(t)?;
    s.write_all(req)
        .map_err(|e| Failure::new(format!("could not send: {}", io_text(&e, t))).sent(req))?;
    let method =
        String::from_utf8_lossy(req.split(|&b| b == b' ').next().unwrap_or(b"")).into_owned();
    let r = read_response(&mut s, &method, &mut Vec::new()).map_err(|f| f.sent(req))?;
    expect_status(&r, status, req, t)?;
    expect_closed(&mut s, t, req)
}

fn body_is(r: &RawResponse, want: &[u8], sent: &[u8], t: &Target) -> Result<(), Failure> {
    if r.body == want {
        return Ok(());
    }
    Err(Failure::mismatch("wrong body", want, &r.body)
        .sent(sent)
        .repro(raw_command(t, sent)))
}

fn header_is(
    r: &RawResponse,
    name: &str,
    want: &str,
    sent: &[u8],
    t: &Target,
) -> Result<(), Failure> {
    match r.head.headers.get(name) {
        Some(v) if v.eq_ignore_ascii_case(want) => Ok(()),
        other => Err(
            Failure::new(format!("expected `{name}: {want}`, got {other:?}"))
                .sent(sent)
                .got(&r.raw)
                .repro(raw_command(t, sent)),
        ),
    }
}

fn host(t: &Target) -> String {
    t.authority()
}

fn hello_says_hello_world(t: &Target) -> Result<(), Failure> {
    let req = format!("GET /hello HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
    let r = expect(t, req.as_bytes(), 200).map_err(|f| f.repro(curl(t, "", "/hello")))?;
    body_is(&r, b"Hello, world", req.as_bytes(), t)
}

fn every_response_has_a_date(t: &Target) -> Result<(), Failure> {
    for req in [
        format!("GET /hello HTTP/1.1\r\nHost: {}\r\n\r\n", host(t)),
        format!("GET /no-such-page HTTP/1.1\r\nHost: {}\r\n\r\n", host(t)),
    ] {
        let r = exchange(t, req.as_bytes())?;
        let date = r.head.headers.get("date");
        if date.and_then(parse_imf_fixdate).is_none() {
            return Err(Failure::new(match date {
                None => "no Date field (RFC 9110 §6.6.1: an origin server MUST send one)".into(),
                Some(d) => format!("Date `{d}` is not an IMF-fixdate (RFC 9110 §5.6.7)"),
            })
            .expected(format!("a Date like `{EXAMPLE}`"))
            .sent(req.as_bytes())
            .got(&r.raw)
            .repro(raw_command(t, req.as_bytes())));
        }
    }
    Ok(())
}

fn head_gets_get_fields_without_a_body(t: &Target) -> Result<(), Failure> {
    let get = format!("GET /hello HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
    let head = format!("HEAD /hello HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
    let g = expect(t, get.as_bytes(), 200)?;
    // HEAD then GET on one connection: any body after the HEAD response
    // would be read as the start of the next response.
    let mut s = connect(t)?;
    let both = [head.as_bytes(), get.as_bytes()].concat();
    s.write_all(&both)
        .map_err(|e| Failure::new(format!("could not send: {}", io_text(&e, t))))?;
    let mut pending = Vec::new();
    let h = read_response(&mut s, "HEAD", &mut pending).map_err(|f| f.sent(&both))?;
    expect_status(&h, 200, &both, t)?;
    let g_len = g.head.headers.get("content-length");
    if h.head.headers.get("content-length") != g_len {
        return Err(Failure::new(format!(
            "HEAD's Content-Length {:?} differs from GET's {g_len:?} (RFC 9110 §9.3.2)",
            h.head.headers.get("content-length")
        ))
        .sent(&both)
        .got(&h.raw)
        .repro(curl(t, "-I", "/hello")));
    }
    let g2 = read_response(&mut s, "GET", &mut pending).map_err(|f| {
        Failure::new(format!(
            "the response to GET after HEAD is broken (did HEAD send a body?): {}",
            f.summary
        ))
        .sent(&both)
    })?;
    body_is(&g2, b"Hello, world", &both, t)
}

fn keep_alive_serves_several_requests_on_one_connection(t: &Target) -> Result<(), Failure> {
    let mut s = connect(t)?;
    let req = format!("GET /hello HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
    for i in 0..3 {
        s.write_all(req.as_bytes()).map_err(|e| {
            Failure::new(format!(
                "request {} on the same connection could not be sent: {} (GET does not close the connection)",
                i + 1,
                io_text(&e, t)
            ))
        })?;
        let r = read_response(&mut s, "GET", &mut Vec::new()).map_err(|f| {
            Failure::new(format!(
                "request {} on the same connection: {} (HTTP/1.1 connections stay open by default, RFC 9112 §9.3)",
                i + 1,
                f.summary
            ))
            .sent(req.as_bytes())
        })?;
        expect_status(&r, 200, req.as_bytes(), t)?;
    }
    Ok(())
}

fn http10_closes_unless_keep_alive(t: &Target) -> Result<(), Failure> {
    expect_and_close(t, b"GET /hello HTTP/1.0\r\n\r\n", 200)?;
    let req = b"GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    let mut s = connect(t)?;
    for _ in 0..2 {
        s.write_all(req)
            .map_err(|e| Failure::new(format!("could not send: {}", io_text(&e, t))))?;
        let r = read_response(&mut s, "GET", &mut Vec::new()).map_err(|f| {
            Failure::new(format!(
                "HTTP/1.0 with Connection: keep-alive must stay open: {}",
                f.summary
            ))
            .sent(req)
        })?;
        expect_status(&r, 200, req, t)?;
    }
    Ok(())
}

fn echo_returns_the_body_and_its_type(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let n = rng.range(1, 200);
    let body = rng.word(n);
    let req = format!(
        "POST /echo HTTP/1.1\r\nHost: {}\r\nContent-Type: text/x-check\r\nContent-Length: {}\r\n\r\n{body}",
        host(t),
        body.len()
    );
    let r = expect(t, req.as_bytes(), 200)?;
    body_is(&r, body.as_bytes(), req.as_bytes(), t)?;
    header_is(&r, "content-type", "text/x-check", req.as_bytes(), t)
}

fn chunked_body_with_extensions_and_trailers(t: &Target) -> Result<(), Failure> {
    let req = format!(
        "POST /echo HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\r\n\
         5;name=value\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: yes\r\n\r\n",
        host(t)
    );
    let r = expect(t, req.as_bytes(), 200)?;
    body_is(&r, b"hello, world", req.as_bytes(), t)
}

fn expect_100_continue_is_answered_before_the_body(t: &Target) -> Result<(), Failure> {
    let head = format!(
        "POST /echo HTTP/1.1\r\nHost: {}\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
        host(t)
    );
    let mut s = connect(t)?;
    s.write_all(head.as_bytes())
        .map_err(|e| Failure::new(format!("could not send: {}", io_text(&e, t))))?;
    let mut got = Vec::new();
    let mut b = [0u8; 256];
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut b) {
            Ok(0) | Err(_) => {
                return Err(Failure::new(
                    "no `100 Continue` before the body was sent (RFC 9110 §10.1.1)",
                )
                .sent(head.as_bytes())
                .got(&got)
                .repro(format!(
                    "curl -si -H 'Expect: 100-continue' -d hello {}",
                    t.url("/echo")
                )));
            }
            Ok(n) => got.extend_from_slice(&b[..n]),
        }
    }
    if !got.starts_with(b"HTTP/1.1 100") {
        return Err(
            Failure::mismatch("expected 100 Continue first", b"HTTP/1.1 100", &got)
                .sent(head.as_bytes())
                .repro(format!(
                    "curl -si -H 'Expect: 100-continue' -d hello {}",
                    t.url("/echo")
                )),
        );
    }
    s.write_all(b"hello")
        .map_err(|e| Failure::new(format!("could not send the body: {}", io_text(&e, t))))?;
    let r = read_response(&mut s, "POST", &mut Vec::new())?;
    expect_status(&r, 200, head.as_bytes(), t)?;
    body_is(&r, b"hello", head.as_bytes(), t)
}

fn oversized_body_gets_413(t: &Target) -> Result<(), Failure> {
    // Ten gigabytes announced: no server keeps that in memory for /echo.
    let req = format!(
        "POST /echo HTTP/1.1\r\nHost: {}\r\nContent-Length: 10000000000\r\n\r\nabc",
        host(t)
    );
    expect_and_close(t, req.as_bytes(), 413)
}

fn both_length_and_chunked_get_400_and_close(t: &Target) -> Result<(), Failure> {
    // The classic smuggling shape: a front end that believes Content-Length
    // sees one request; one that believes chunked sees a second `GET /x`.
    let req = format!(
        "POST /echo HTTP/1.1\r\nHost: {}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n\
         0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n",
        host(t)
    );
    expect_and_close(t, req.as_bytes(), 400)
}

fn bad_or_differing_content_length_gets_400(t: &Target) -> Result<(), Failure> {
    for cl in [
        "Content-Length: 3\r\nContent-Length: 4",
        "Content-Length: -3",
        "Content-Length: 3x",
        "Content-Length: 0x3",
    ] {
        let req = format!(
            "POST /echo HTTP/1.1\r\nHost: {}\r\n{cl}\r\n\r\nabcd",
            host(t)
        );
        expect_and_close(t, req.as_bytes(), 400)?;
    }
    Ok(())
}

fn unknown_transfer_coding_gets_501(t: &Target) -> Result<(), Failure> {
    let req = format!(
        "POST /echo HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: gzip\r\n\r\nxxxx",
        host(t)
    );
    expect_and_close(t, req.as_bytes(), 501)
}

fn http10_with_chunked_is_answered_then_closed(t: &Target) -> Result<(), Failure> {
    let req = b"POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    let mut s = connect(t)?;
    s.write_all(req)
        .map_err(|e| Failure::new(format!("could not send: {}", io_text(&e, t))))?;
    let r = read_response(&mut s, "POST", &mut Vec::new()).map_err(|f| f.sent(req))?;
    if r.head.status >= 500 {
        return Err(Failure::new(format!(
            "expected an answer, then a close (RFC 9112 §6.1), got {}",
            r.head.status
        ))
        .sent(req)
        .expected("any status below 500, then the end of the stream")
        .got(&r.raw)
        .repro(raw_command(t, req)));
    }
    expect_closed(&mut s, t, req)
}

fn unknown_method_gets_501(t: &Target) -> Result<(), Failure> {
    let req = format!("BREW /hello HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
    expect(t, req.as_bytes(), 501).map(|_| ())
}

fn unsupported_method_gets_405_with_allow(t: &Target) -> Result<(), Failure> {
    let req = format!("DELETE /hello HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
    let r = expect(t, req.as_bytes(), 405)?;
    let allow = r.head.headers.get("allow").unwrap_or("");
    if !allow.split(',').any(|m| m.trim() == "GET") {
        return Err(Failure::new(format!(
            "405 must list the allowed methods in Allow (RFC 9110 §15.5.6); got {allow:?}"
        ))
        .sent(req.as_bytes())
        .got(&r.raw));
    }
    Ok(())
}

fn options_lists_allow(t: &Target) -> Result<(), Failure> {
    let req = format!("OPTIONS /notes HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
    let r = exchange(t, req.as_bytes())?;
    let allow = r.head.headers.get("allow").unwrap_or("");
    let has = |m: &str| allow.split(',').any(|x| x.trim() == m);
    if !(200..300).contains(&r.head.status) || !has("GET") || !has("POST") {
        return Err(Failure::new(format!(
            "OPTIONS /notes: expected 2xx with Allow listing GET and POST, got {} {allow:?}",
            r.head.status
        ))
        .sent(req.as_bytes())
        .got(&r.raw)
        .repro(curl(t, "-X OPTIONS", "/notes")));
    }
    Ok(())
}

fn missing_or_duplicate_host_gets_400(t: &Target) -> Result<(), Failure> {
    expect(t, b"GET /hello HTTP/1.1\r\n\r\n", 400)?;
    let req = format!(
        "GET /hello HTTP/1.1\r\nHost: {}\r\nHost: other.example\r\n\r\n",
        host(t)
    );
    expect(t, req.as_bytes(), 400).map(|_| ())
}

fn absolute_form_target_is_accepted(t: &Target) -> Result<(), Failure> {
    let req = format!(
        "GET http://{0}/hello HTTP/1.1\r\nHost: {0}\r\n\r\n",
        host(t)
    );
    let r = expect(t, req.as_bytes(), 200)?;
    body_is(&r, b"Hello, world", req.as_bytes(), t)
}

fn a_target_that_is_not_a_path_gets_400(t: &Target) -> Result<(), Failure> {
    // RFC 9112 §3.2: origin-form starts with `/`; `*` is for OPTIONS only.
    for target in ["hello", "a/b", "*"] {
        let req = format!("GET {target} HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
        expect(t, req.as_bytes(), 400)?;
    }
    Ok(())
}

fn notes_can_be_created_read_replaced_and_deleted(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let text = format!("note {}", rng.word(12));
    let req = format!(
        "POST /notes HTTP/1.1\r\nHost: {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{text}",
        host(t),
        text.len()
    );
    let r = expect(t, req.as_bytes(), 201)?;
    let Some(loc) = r.head.headers.get("location") else {
        return Err(Failure::new("201 without Location")
            .sent(req.as_bytes())
            .got(&r.raw));
    };
    let path = match loc.find("/notes/") {
        Some(i) => loc[i..].to_string(),
        None => {
            return Err(Failure::new(format!("Location {loc:?} is not under /notes/")).got(&r.raw));
        }
    };
    let get = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
    let r = expect(t, get.as_bytes(), 200)?;
    body_is(&r, text.as_bytes(), get.as_bytes(), t)?;
    let new = rng.word(20);
    let put = format!(
        "PUT {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n\r\n{new}",
        host(t),
        new.len()
    );
    expect(t, put.as_bytes(), 204)?;
    let r = expect(t, get.as_bytes(), 200)?;
    body_is(&r, new.as_bytes(), get.as_bytes(), t)?;
    let del = format!("DELETE {path} HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
    expect(t, del.as_bytes(), 204)?;
    expect(t, get.as_bytes(), 404)?;
    expect(t, del.as_bytes(), 404).map(|_| ())
}

fn form_posts_and_query_strings_are_decoded(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let word = rng.word(10);
    let form = format!("text=caf%C3%A9+{word}%21&other=1");
    let req = format!(
        "POST /notes HTTP/1.1\r\nHost: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{form}",
        host(t),
        form.len()
    );
    let r = expect(t, req.as_bytes(), 201)?;
    let loc = r.head.headers.get("location").unwrap_or("/notes/0");
    let path = &loc[loc.find("/notes/").unwrap_or(0)..];
    let get = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
    let r = expect(t, get.as_bytes(), 200)?;
    body_is(&r, format!("café {word}!").as_bytes(), get.as_bytes(), t)?;
    let list = format!("GET /notes?q={word} HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
    let r = expect(t, list.as_bytes(), 200)?;
    if !String::from_utf8_lossy(&r.body).contains(&word) {
        return Err(
            Failure::new(format!("GET /notes?q={word} does not list the note"))
                .sent(list.as_bytes())
                .got(&r.raw),
        );
    }
    let del = format!("DELETE {path} HTTP/1.1\r\nHost: {}\r\n\r\n", host(t));
    expect(t, del.as_bytes(), 204).map(|_| ())
}

/// The checks of chapter 4.
pub fn checks() -> Vec<Check> {
    vec![
        check!(
            hello_says_hello_world,
            "GET /hello answers 200 `Hello, world`"
        ),
        check!(every_response_has_a_date, "every response carries Date"),
        check!(
            head_gets_get_fields_without_a_body,
            "HEAD: GET's fields, no body"
        ),
        check!(
            keep_alive_serves_several_requests_on_one_connection,
            "HTTP/1.1 connections stay open"
        ),
        check!(
            http10_closes_unless_keep_alive,
            "HTTP/1.0 closes unless keep-alive was asked for"
        ),
        check!(
            echo_returns_the_body_and_its_type,
            "POST /echo returns the body with its Content-Type"
        ),
        check!(
            chunked_body_with_extensions_and_trailers,
            "chunked request bodies are decoded"
        ),
        check!(
            expect_100_continue_is_answered_before_the_body,
            "Expect: 100-continue gets 100 first"
        ),
        check!(oversized_body_gets_413, "a body over the limit gets 413"),
        check!(
            both_length_and_chunked_get_400_and_close,
            "Content-Length with chunked: 400, close"
        ),
        check!(
            bad_or_differing_content_length_gets_400,
            "malformed Content-Length: 400, close"
        ),
        check!(
            unknown_transfer_coding_gets_501,
            "a transfer coding other than chunked: 501"
        ),
        check!(
            http10_with_chunked_is_answered_then_closed,
            "HTTP/1.0 + chunked: close after"
        ),
        check!(unknown_method_gets_501, "an unknown method gets 501"),
        check!(
            unsupported_method_gets_405_with_allow,
            "a known method a route lacks: 405 + Allow"
        ),
        check!(options_lists_allow, "OPTIONS answers with Allow"),
        check!(
            missing_or_duplicate_host_gets_400,
            "HTTP/1.1 needs exactly one Host"
        ),
        check!(
            absolute_form_target_is_accepted,
            "GET http://host/path is accepted"
        ),
        check!(
            a_target_that_is_not_a_path_gets_400,
            "GET a/b and GET * get 400"
        ),
        check!(
            notes_can_be_created_read_replaced_and_deleted,
            "notes: 201+Location, 200, 204, 404"
        ),
        check!(
            form_posts_and_query_strings_are_decoded,
            "form bodies and query strings are decoded"
        ),
    ]
}
