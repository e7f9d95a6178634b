//! Chapter 3's checks: what a server must do with URLs, and whether a
//! strict client can read its responses.
//!
//! ```text
//! cargo run --bin check -- ch03 --addr 127.0.0.1:8888
//! ```
//!
//! Chapter 3 is mostly about the *client* side, and a client's exercises are
//! the unit tests of [`super::url`] (RFC 3986's resolution examples) and the
//! socket tests in `tests/ch03_urls_and_clients.rs`. What a *server* can be
//! checked for is narrower and listed here: it reads a URL the way RFC 3986
//! and RFC 9112 say (case-insensitive scheme and host in absolute-form,
//! the query split off, percent-escapes tolerated), and it frames responses
//! so that a strict client finds the end of every body.

use crate::check::{Check, Failure, Target, check, exchange, expect_status, raw_command};
use crate::rng::Rng;

pub fn all() -> Vec<Check> {
    vec![
        check!(
            strict_client_reads_the_root,
            "a strict client fetches / on a kept-alive connection and finds the end of the body where the framing says"
        ),
        check!(
            strict_client_reads_an_error_page,
            "a strict client reads a 404 for a random path, body framed like any other"
        ),
        check!(
            absolute_form_is_case_insensitive,
            "GET HTTP://HOST:PORT/ (upper-case scheme and host) is GET / (RFC 3986 §6.2.2.1)"
        ),
        check!(
            percent_encoded_query_is_accepted,
            "GET /?q=%E4%BD%A0+x&r=%25 answers like GET / (the query is not the path)"
        ),
    ]
}

fn root_body(t: &Target) -> Result<Vec<u8>, Failure> {
    let sent = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        t.authority()
    );
    let r = exchange(t, sent.as_bytes())?;
    expect_status(&r, 200, sent.as_bytes(), t)?;
    Ok(r.body)
}

/// Fetches `path` on a connection left open (no `Connection: close`),
/// with the checker's strict reader: a body whose end only a close could
/// mark, a short body or a bad chunk fails here, with the bytes to show.
fn fetch_strictly(t: &Target, path: &str) -> Result<(u16, Vec<u8>), Failure> {
    let sent = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", t.authority());
    let r = exchange(t, sent.as_bytes())?;
    Ok((r.head.status, r.body))
}

fn strict_client_reads_the_root(t: &Target) -> Result<(), Failure> {
    let repro = format!("curl -v {}", t.url("/"));
    match fetch_strictly(t, "/")? {
        (200, body) if !body.is_empty() => Ok(()),
        (200, _) => Err(Failure::new("GET / came back with an empty body").repro(repro)),
        (status, _) => Err(Failure::new(format!("expected 200, got {status}")).repro(repro)),
    }
}

fn strict_client_reads_an_error_page(t: &Target) -> Result<(), Failure> {
    let path = format!("/{}", Rng::new().word(10));
    match fetch_strictly(t, &path)? {
        (404, _) => Ok(()),
        (status, _) => Err(
            Failure::new(format!("expected 404 for {path}, got {status}"))
                .repro(format!("curl -v {}", t.url(&path))),
        ),
    }
}

fn absolute_form_is_case_insensitive(t: &Target) -> Result<(), Failure> {
    let want = root_body(t)?;
    let target = format!("HTTP://{}/", t.authority().to_uppercase());
    let sent = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        t.authority()
    );
    let r = exchange(t, sent.as_bytes())?;
    expect_status(&r, 200, sent.as_bytes(), t)?;
    if r.body != want {
        return Err(
            Failure::mismatch("a different body than GET /", &want, &r.body)
                .sent(sent.as_bytes())
                .repro(raw_command(t, sent.as_bytes())),
        );
    }
    Ok(())
}

fn percent_encoded_query_is_accepted(t: &Target) -> Result<(), Failure> {
    let want = root_body(t)?;
    let mut rng = Rng::new();
    let target = format!("/?q=%E4%BD%A0+{}&r=%25", rng.word(6));
    let sent = format!(
        "GET {target} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        t.authority()
    );
    let r = exchange(t, sent.as_bytes())?;
    expect_status(&r, 200, sent.as_bytes(), t)
        .map_err(|f| f.repro(format!("curl -v '{}'", t.url(&target))))?;
    if r.body != want {
        return Err(
            Failure::mismatch("a different body than GET /", &want, &r.body).sent(sent.as_bytes()),
        );
    }
    Ok(())
}
