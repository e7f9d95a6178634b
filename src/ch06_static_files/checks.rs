//! Chapter 6's exercises: what a static file server must do, checked over
//! a real socket against the book's `static/` directory.
//!
//! ```text
//! cargo run --bin ch06_static -- --root static &
//! cargo run --bin check -- ch06 --addr 127.0.0.1:8888
//! ```
//!
//! Your server must serve the book's `static/` directory at `/`. The checks
//! rely on these files being there:
//!
//! * `small.html`: exactly 1024 bytes of HTML;
//! * `samples/index.html` and `samples/hello.txt`.
//!
//! Ranges, names of missing files and entity-tags the server could not
//! predict are random on every run.

use crate::check::{
    Check, Failure, RawResponse, Target, check, exchange, expect_status, get, raw_command,
};
use crate::rng::Rng;

/// The file the checks read, and its size.
pub const SMALL: &str = "/small.html";
pub const SMALL_LEN: usize = 1024;

/// Every check of chapter 6.
pub fn all() -> Vec<Check> {
    vec![
        check!(
            file_is_served_whole_with_type_and_length,
            "GET /small.html answers 200, text/html, Content-Length 1024, Accept-Ranges: bytes"
        ),
        check!(
            text_files_say_utf8,
            "a .txt file is text/plain; charset=utf-8"
        ),
        check!(
            head_has_the_length_but_no_body,
            "HEAD /small.html has GET's Content-Length and no body"
        ),
        check!(
            missing_file_gets_404,
            "a file that is not there answers 404"
        ),
        check!(
            directory_without_slash_gets_301,
            "GET /samples answers 301 with Location /samples/"
        ),
        check!(
            directory_serves_its_index,
            "GET /samples/ serves samples/index.html"
        ),
        check!(
            escape_attempts_are_refused,
            "../, encoded dots and slashes, backslashes and NUL never leave the root (400/403/404)"
        ),
        check!(
            if_none_match_gives_304,
            "GET with If-None-Match: <the ETag> answers 304 with the ETag and no body"
        ),
        check!(
            if_modified_since_gives_304,
            "GET with If-Modified-Since: <Last-Modified> answers 304"
        ),
        check!(
            if_none_match_outranks_if_modified_since,
            "a non-matching If-None-Match wins over a matching If-Modified-Since: 200 (RFC 9110 §13.1.3)"
        ),
        check!(
            range_gives_206_with_the_right_bytes,
            "Range: bytes=A-B answers 206, Content-Range bytes A-B/1024 and exactly those bytes"
        ),
        check!(
            suffix_and_open_ranges_work,
            "bytes=-N gives the last N bytes, bytes=N- everything from N"
        ),
        check!(
            unsatisfiable_range_gets_416,
            "Range: bytes=1024- answers 416 with Content-Range: bytes */1024"
        ),
        check!(
            stale_if_range_gets_the_whole_file,
            "Range with an If-Range that does not match answers 200 and the whole file"
        ),
        check!(
            post_to_a_file_gets_405,
            "POST /small.html answers 405 with an Allow field"
        ),
    ]
}

fn curl(t: &Target, path: &str, extra: &[&str]) -> String {
    let h: String = extra.iter().map(|h| format!(" -H '{h}'")).collect();
    format!("curl -si{h} '{}'", t.url(path))
}

fn field<'a>(r: &'a RawResponse, name: &str) -> Option<&'a str> {
    r.head.headers.get(name)
}

fn need_field<'a>(
    r: &'a RawResponse,
    name: &str,
    req: &[u8],
    t: &Target,
) -> Result<&'a str, Failure> {
    field(r, name).ok_or_else(|| {
        Failure::new(format!("the response has no {name} field"))
            .sent(req)
            .got(&r.raw)
            .repro(raw_command(t, req))
    })
}

fn fetch_small(t: &Target) -> Result<RawResponse, Failure> {
    let (req, r) = get(t, SMALL, "");
    let r = r?;
    expect_status(&r, 200, &req, t)?;
    if r.body.len() != SMALL_LEN {
        return Err(Failure::new(format!(
            "{SMALL} should be {SMALL_LEN} bytes (serve the book's static/ directory), got {}",
            r.body.len()
        ))
        .repro(curl(t, SMALL, &[])));
    }
    Ok(r)
}

fn file_is_served_whole_with_type_and_length(t: &Target) -> Result<(), Failure> {
    let (req, _) = get(t, SMALL, "");
    let r = fetch_small(t)?;
    let ct = need_field(&r, "content-type", &req, t)?;
    if !ct.to_ascii_lowercase().starts_with("text/html") {
        return Err(
            Failure::new(format!("Content-Type is `{ct}`, expected text/html")).repro(curl(
                t,
                SMALL,
                &[],
            )),
        );
    }
    let cl = need_field(&r, "content-length", &req, t)?;
    if cl != "1024" {
        return Err(Failure::new(format!(
            "Content-Length is `{cl}`, expected 1024"
        )));
    }
    match field(&r, "accept-ranges") {
        Some(v) if v.eq_ignore_ascii_case("bytes") => Ok(()),
        other => Err(Failure::new(format!(
            "Accept-Ranges is {other:?}, expected `bytes` (RFC 9110 §14.3)"
        ))
        .repro(curl(t, SMALL, &[]))),
    }
}

fn text_files_say_utf8(t: &Target) -> Result<(), Failure> {
    let path = "/samples/hello.txt";
    let (req, r) = get(t, path, "");
    let r = r?;
    expect_status(&r, 200, &req, t)?;
    let ct = need_field(&r, "content-type", &req, t)?
        .to_ascii_lowercase()
        .replace(' ', "");
    if ct == "text/plain;charset=utf-8" {
        Ok(())
    } else {
        Err(Failure::new(format!(
            "Content-Type is `{ct}`, expected `text/plain; charset=utf-8`"
        ))
        .repro(curl(t, path, &[])))
    }
}

fn head_has_the_length_but_no_body(t: &Target) -> Result<(), Failure> {
    let req = format!(
        "HEAD {SMALL} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        t.authority()
    )
    .into_bytes();
    let r = crate::check::send_and_read_all(t, &req)?;
    let head_end = r.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    let Some(end) = head_end else {
        return Err(Failure::new("no complete response head").got(&r));
    };
    let text = String::from_utf8_lossy(&r[..end]).to_ascii_lowercase();
    if !text.starts_with("http/1.1 200") || !text.contains("content-length: 1024\r\n") {
        return Err(
            Failure::new("HEAD should answer 200 with Content-Length: 1024")
                .sent(&req)
                .got(&r)
                .repro(raw_command(t, &req)),
        );
    }
    if r.len() > end {
        return Err(Failure::new(format!(
            "HEAD response carried {} body bytes",
            r.len() - end
        ))
        .sent(&req)
        .got(&r)
        .at(end)
        .repro(raw_command(t, &req)));
    }
    Ok(())
}

fn missing_file_gets_404(t: &Target) -> Result<(), Failure> {
    let path = format!("/{}.html", Rng::new().word(12));
    let (req, r) = get(t, &path, "");
    expect_status(&r?, 404, &req, t)
}

fn directory_without_slash_gets_301(t: &Target) -> Result<(), Failure> {
    let (req, r) = get(t, "/samples", "");
    let r = r?;
    expect_status(&r, 301, &req, t)?;
    let loc = need_field(&r, "location", &req, t)?;
    if loc.ends_with("/samples/") {
        Ok(())
    } else {
        Err(
            Failure::new(format!("Location is `{loc}`, expected /samples/")).repro(curl(
                t,
                "/samples",
                &[],
            )),
        )
    }
}

fn directory_serves_its_index(t: &Target) -> Result<(), Failure> {
    let (req, r) = get(t, "/samples/", "");
    let r = r?;
    expect_status(&r, 200, &req, t)?;
    if String::from_utf8_lossy(&r.body).contains("<title>Samples</title>") {
        Ok(())
    } else {
        Err(
            Failure::new("GET /samples/ did not serve samples/index.html")
                .got(&r.raw)
                .repro(curl(t, "/samples/", &[])),
        )
    }
}

fn escape_attempts_are_refused(t: &Target) -> Result<(), Failure> {
    // Cargo.toml sits beside static/ in the book; /etc/passwd on any Unix.
    let attempts = [
        "/../Cargo.toml",
        "/samples/../../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/%2E%2E%2FCargo.toml",
        "/samples/..%2f..%2fCargo.toml",
        "/%252e%252e/Cargo.toml",
        "/..%5cCargo.toml",
        "/samples\\..\\..\\Cargo.toml",
        "/small.html%00.txt",
        "//etc/passwd",
        "/../../../../../../etc/passwd",
        "/%2fetc%2fpasswd",
    ];
    for path in attempts {
        let (req, r) = get(t, path, "");
        let r = r?;
        let leaked = String::from_utf8_lossy(&r.body);
        if !matches!(r.head.status, 400 | 403 | 404)
            || leaked.contains("[package]")
            || leaked.contains("root:")
        {
            return Err(Failure::new(format!(
                "`{path}` answered {} (expected 400, 403 or 404, and no file from outside the root)",
                r.head.status
            ))
            .expected("\"HTTP/1.1 400 …\", \"HTTP/1.1 403 …\" or \"HTTP/1.1 404 …\", with no file from outside the root")
            .sent(&req)
            .got(&r.raw)
            .repro(format!("curl -si --path-as-is '{}'", t.url(path))));
        }
    }
    Ok(())
}

fn if_none_match_gives_304(t: &Target) -> Result<(), Failure> {
    let (req, _) = get(t, SMALL, "");
    let first = fetch_small(t)?;
    let etag = need_field(&first, "etag", &req, t)?.to_string();
    let h = format!("If-None-Match: {etag}");
    let (req, r) = get(t, SMALL, &format!("{h}\r\n"));
    let r = r?;
    expect_status(&r, 304, &req, t)?;
    if field(&r, "etag") != Some(etag.as_str()) {
        return Err(
            Failure::new("a 304 must repeat the ETag (RFC 9110 §15.4.5)")
                .got(&r.raw)
                .repro(curl(t, SMALL, &[&h])),
        );
    }
    Ok(())
}

fn if_modified_since_gives_304(t: &Target) -> Result<(), Failure> {
    let (req, _) = get(t, SMALL, "");
    let first = fetch_small(t)?;
    let lm = need_field(&first, "last-modified", &req, t)?.to_string();
    let (req, r) = get(t, SMALL, &format!("If-Modified-Since: {lm}\r\n"));
    expect_status(&r?, 304, &req, t)
}

fn if_none_match_outranks_if_modified_since(t: &Target) -> Result<(), Failure> {
    let (req, _) = get(t, SMALL, "");
    let first = fetch_small(t)?;
    let lm = need_field(&first, "last-modified", &req, t)?.to_string();
    let other = format!("\"{}\"", Rng::new().word(16));
    let (req, r) = get(
        t,
        SMALL,
        &format!("If-None-Match: {other}\r\nIf-Modified-Since: {lm}\r\n"),
    );
    expect_status(&r?, 200, &req, t)
}

fn expect_range(t: &Target, spec: &str, want: (usize, usize), full: &[u8]) -> Result<(), Failure> {
    let h = format!("Range: bytes={spec}");
    let (req, r) = get(t, SMALL, &format!("{h}\r\n"));
    let r = r?;
    expect_status(&r, 206, &req, t)?;
    let cr = need_field(&r, "content-range", &req, t)?;
    let want_cr = format!("bytes {}-{}/{SMALL_LEN}", want.0, want.1);
    if cr != want_cr {
        return Err(
            Failure::new(format!("Content-Range is `{cr}`, expected `{want_cr}`")).repro(curl(
                t,
                SMALL,
                &[&h],
            )),
        );
    }
    let expected = &full[want.0..=want.1];
    if r.body != expected {
        return Err(Failure::mismatch(
            "the 206 body is not those bytes of the file",
            expected,
            &r.body,
        )
        .repro(curl(t, SMALL, &[&h])));
    }
    Ok(())
}

fn range_gives_206_with_the_right_bytes(t: &Target) -> Result<(), Failure> {
    let full = fetch_small(t)?.body;
    let mut rng = Rng::new();
    let a = rng.range(0, SMALL_LEN - 1);
    let b = rng.range(a, SMALL_LEN - 1);
    expect_range(t, &format!("{a}-{b}"), (a, b), &full)?;
    // A last byte past the end is clipped to the end.
    expect_range(
        t,
        &format!("{a}-{}", SMALL_LEN + 5000),
        (a, SMALL_LEN - 1),
        &full,
    )
}

fn suffix_and_open_ranges_work(t: &Target) -> Result<(), Failure> {
    let full = fetch_small(t)?.body;
    let mut rng = Rng::new();
    let n = rng.range(1, SMALL_LEN);
    expect_range(t, &format!("-{n}"), (SMALL_LEN - n, SMALL_LEN - 1), &full)?;
    let from = rng.range(0, SMALL_LEN - 1);
    expect_range(t, &format!("{from}-"), (from, SMALL_LEN - 1), &full)
}

fn unsatisfiable_range_gets_416(t: &Target) -> Result<(), Failure> {
    let from = SMALL_LEN + Rng::new().range(0, 1000);
    let h = format!("Range: bytes={from}-");
    let (req, r) = get(t, SMALL, &format!("{h}\r\n"));
    let r = r?;
    expect_status(&r, 416, &req, t)?;
    match field(&r, "content-range") {
        Some(v) if v == format!("bytes */{SMALL_LEN}") => Ok(()),
        other => Err(Failure::new(format!(
            "Content-Range is {other:?}, expected `bytes */{SMALL_LEN}` (RFC 9110 §15.5.17)"
        ))
        .repro(curl(t, SMALL, &[&h]))),
    }
}

fn stale_if_range_gets_the_whole_file(t: &Target) -> Result<(), Failure> {
    let stale = format!("\"{}\"", Rng::new().word(16));
    let (req, r) = get(
        t,
        SMALL,
        &format!("Range: bytes=0-9\r\nIf-Range: {stale}\r\n"),
    );
    let r = r?;
    expect_status(&r, 200, &req, t)?;
    if r.body.len() != SMALL_LEN {
        return Err(Failure::new("a stale If-Range must get the whole file").got(&r.raw));
    }
    Ok(())
}

fn post_to_a_file_gets_405(t: &Target) -> Result<(), Failure> {
    let req = format!(
        "POST {SMALL} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        t.authority()
    )
    .into_bytes();
    let r = exchange(t, &req)?;
    expect_status(&r, 405, &req, t)?;
    need_field(&r, "allow", &req, t).map(|_| ())
}
