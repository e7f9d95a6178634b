//! Chapter 3's checks: what a server must do with URLs, and whether the
//! book's client can read its responses.
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

use super::client::{self, Config, Request};
use crate::check::{Check, Failure, Target, check, exchange, expect_status, nc_command};
use crate::rng::Rng;

pub fn all() -> Vec<Check> {
    vec![
        check!(
            book_client_reads_the_root,
            "the chapter's client fetches / and finds the end of the body where the framing says"
        ),
        check!(
            book_client_reads_an_error_page,
            "the chapter's client reads a 404 for a random path, body framed like any other"
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

/// Fetches `path` with the chapter's client, redirects off, and reads the
/// whole body: a framing error (a short body, a bad chunk) fails here.
fn fetch_with_book_client(t: &Target, path: &str) -> Result<(u16, Vec<u8>), Failure> {
    let url = t.url(path);
    let cfg = Config {
        connect_timeout: t.timeout,
        read_timeout: t.timeout,
        max_redirects: 0,
        ..Config::default()
    };
    let repro = format!("cargo run --bin ch03_get -- --include --trace {url}");
    let req = Request::parse("GET", &url).map_err(|e| Failure::new(e.to_string()))?;
    let resp =
        client::request(req, &cfg).map_err(|e| Failure::new(e.to_string()).repro(repro.clone()))?;
    let status = resp.status();
    let kind = resp.body_kind();
    let body = resp.into_bytes().map_err(|e| {
        Failure::new(format!("reading the body ({kind:?}): {e}")).repro(repro.clone())
    })?;
    Ok((status, body))
}

fn book_client_reads_the_root(t: &Target) -> Result<(), Failure> {
    let repro = format!("cargo run --bin ch03_get -- --include {}", t.url("/"));
    match fetch_with_book_client(t, "/")? {
        (200, body) if !body.is_empty() => Ok(()),
        (200, _) => Err(Failure::new("GET / came back with an empty body").repro(repro)),
        (status, _) => Err(Failure::new(format!("expected 200, got {status}")).repro(repro)),
    }
}

fn book_client_reads_an_error_page(t: &Target) -> Result<(), Failure> {
    let path = format!("/{}", Rng::new().word(10));
    match fetch_with_book_client(t, &path)? {
        (404, _) => Ok(()),
        (status, _) => Err(
            Failure::new(format!("expected 404 for {path}, got {status}")).repro(format!(
                "cargo run --bin ch03_get -- --include {}",
                t.url(&path)
            )),
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
                .repro(nc_command(t, sent.as_bytes())),
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
