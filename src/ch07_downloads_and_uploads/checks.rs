//! Chapter 7's exercises: uploads by `PUT /uploads/NAME`, and downloads of
//! what was uploaded, checked over a real socket.
//!
//! ```text
//! mkdir -p /tmp/uploads
//! cargo run --bin ch06_static -- --root static --uploads /tmp/uploads &
//! cargo run --bin check -- ch07 --addr 127.0.0.1:8888
//! ```
//!
//! Your server must accept `PUT /uploads/NAME` (with an upload limit of at
//! least 1 MiB) and serve the stored file back at `GET /uploads/NAME`, with
//! ranges. Names and contents are random on every run, so nothing can be
//! hard-coded; each check uploads its own files.

use std::io::Write;
use std::net::Shutdown;

use crate::check::{
    Check, Failure, RawResponse, Target, check, connect, exchange, expect_status, expect_status_in,
    get, io_text, raw_command, read_response,
};
use crate::rng::Rng;

/// Every check of chapter 7.
pub fn all() -> Vec<Check> {
    vec![
        check!(
            upload_then_download_gives_the_same_bytes,
            "PUT /uploads/NAME with Content-Length answers 201; GET returns exactly those bytes"
        ),
        check!(
            chunked_upload_is_stored_whole,
            "a PUT with Transfer-Encoding: chunked is stored whole"
        ),
        check!(
            expect_100_continue_is_answered,
            "a PUT with Expect: 100-continue gets 100 Continue before it sends the body, then 201"
        ),
        check!(
            oversized_upload_is_refused_before_its_body,
            "a PUT declaring an absurd Content-Length with Expect: 100-continue gets 413 without sending a body"
        ),
        check!(
            bad_upload_names_get_400,
            "names with /, \\, .., NUL or a leading dot answer 400"
        ),
        check!(
            truncated_upload_leaves_nothing,
            "a PUT whose connection closes before the whole body leaves no file"
        ),
        check!(
            uploaded_file_can_be_resumed_with_range,
            "GET /uploads/NAME with Range and If-Range: <ETag> answers 206 with the rest"
        ),
    ]
}

fn random_name(rng: &mut Rng) -> String {
    format!("check-{}.bin", rng.word(12))
}

fn put_request(t: &Target, name: &str, extra: &str, body_len: Option<usize>) -> Vec<u8> {
    let framing = match body_len {
        Some(n) => format!("Content-Length: {n}\r\n"),
        None => "Transfer-Encoding: chunked\r\n".to_string(),
    };
    format!(
        "PUT /uploads/{name} HTTP/1.1\r\nHost: {}\r\n{framing}{extra}Connection: close\r\n\r\n",
        t.authority()
    )
    .into_bytes()
}

/// `GET /uploads/NAME`: the shared [`get`] with the uploads prefix.
fn get_upload(t: &Target, name: &str, extra: &str) -> (Vec<u8>, Result<RawResponse, Failure>) {
    get(t, &format!("/uploads/{name}"), extra)
}

/// `curl` uploading `len` random bytes to `/uploads/NAME` with a
/// Content-Length (or chunked, from a pipe, if `chunked`).
fn curl_put(t: &Target, name: &str, len: usize, chunked: bool) -> String {
    let how = if chunked {
        "-T -"
    } else {
        "-X PUT --data-binary @-"
    };
    format!(
        "head -c {len} /dev/urandom | curl -si {how} '{}'",
        t.url(&format!("/uploads/{name}"))
    )
}

fn expect_created(r: &RawResponse, req: &[u8], t: &Target) -> Result<(), Failure> {
    expect_status_in(r, &[201, 200, 204], req, t)
}

/// Appends `data` as one chunk of the chunked coding (RFC 9112 §7.1): the
/// checker's own encoder, not chapter 3's.
fn encode_chunk(data: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("{:x}\r\n", data.len()).as_bytes());
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

fn expect_same_download(t: &Target, name: &str, body: &[u8]) -> Result<(), Failure> {
    let (req, r) = get_upload(t, name, "");
    let r = r?;
    expect_status(&r, 200, &req, t)?;
    if r.body != body {
        return Err(Failure::mismatch(
            "the downloaded file differs from the uploaded one",
            body,
            &r.body,
        )
        .repro(format!(
            "curl -s '{}' | cmp - FILE",
            t.url(&format!("/uploads/{name}"))
        )));
    }
    Ok(())
}

fn upload_then_download_gives_the_same_bytes(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let name = random_name(&mut rng);
    let len = rng.range(1, 200_000);
    let body = rng.bytes(len);
    let mut req = put_request(t, &name, "", Some(body.len()));
    let head_len = req.len();
    req.extend_from_slice(&body);
    let repro = curl_put(t, &name, body.len(), false);
    let r = exchange(t, &req).map_err(|f| f.repro(repro.clone()))?;
    expect_created(&r, &req[..head_len], t).map_err(|f| f.repro(repro))?;
    expect_same_download(t, &name, &body)
}

fn chunked_upload_is_stored_whole(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let name = random_name(&mut rng);
    let len = rng.range(1, 100_000);
    let body = rng.bytes(len);
    let mut req = put_request(t, &name, "", None);
    let head_len = req.len();
    let mut rest = &body[..];
    while !rest.is_empty() {
        let n = rng.range(1, 20_000).min(rest.len());
        encode_chunk(&rest[..n], &mut req);
        rest = &rest[n..];
    }
    req.extend_from_slice(b"0\r\n\r\n");
    let r = exchange(t, &req)?;
    expect_created(&r, &req[..head_len], t)
        .map_err(|f| f.repro(curl_put(t, &name, body.len(), true)))?;
    expect_same_download(t, &name, &body)
}

fn expect_100_continue_is_answered(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let name = random_name(&mut rng);
    let body = rng.bytes(1000);
    let head = put_request(t, &name, "Expect: 100-continue\r\n", Some(body.len()));
    let mut s = connect(t)?;
    s.write_all(&head)
        .map_err(|e| Failure::new(format!("could not send: {}", io_text(&e, t))))?;
    let mut got = [0u8; 25];
    let mut n = 0;
    while n < got.len() {
        match std::io::Read::read(&mut s, &mut got[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => {
                return Err(Failure::new(format!(
                    "no `100 Continue` (or final answer) to a head with Expect: 100-continue: {}",
                    io_text(&e, t)
                ))
                .sent(&head)
                .repro(format!(
                    "curl -si -H 'Expect: 100-continue' -T FILE '{}'",
                    t.url(&format!("/uploads/{name}"))
                )));
            }
        }
    }
    let want = b"HTTP/1.1 100 Continue\r\n\r\n";
    if got[..n] != want[..] {
        return Err(
            Failure::mismatch("expected an interim 100 Continue", want, &got[..n])
                .sent(&head)
                .repro(format!(
                    "head -c 1000 /dev/urandom | curl -si -H 'Expect: 100-continue' -T - '{}'",
                    t.url(&format!("/uploads/{name}"))
                )),
        );
    }
    s.write_all(&body)
        .map_err(|e| Failure::new(format!("could not send the body: {}", io_text(&e, t))))?;
    let r = read_response(&mut s, "PUT", &mut Vec::new())?;
    expect_created(&r, &head, t)?;
    expect_same_download(t, &name, &body)
}

fn oversized_upload_is_refused_before_its_body(t: &Target) -> Result<(), Failure> {
    let name = random_name(&mut Rng::new());
    let head = put_request(t, &name, "Expect: 100-continue\r\n", Some(1 << 50));
    let mut s = connect(t)?;
    s.write_all(&head)
        .map_err(|e| Failure::new(format!("could not send: {}", io_text(&e, t))))?;
    // No body is sent: the server must answer from the head alone.
    let r = read_response(&mut s, "PUT", &mut Vec::new())
        .map_err(|f| f.sent(&head).repro(raw_command(t, &head)))?;
    expect_status(&r, 413, &head, t)
}

fn bad_upload_names_get_400(t: &Target) -> Result<(), Failure> {
    let w = Rng::new().word(8);
    for name in [
        format!("..%2F{w}"),
        format!("a%2F{w}"),
        format!("a%5C{w}"),
        format!(".{w}"),
        "..".to_string(),
        "%2e%2e".to_string(),
        format!("{w}%00.txt"),
    ] {
        let mut req = put_request(t, &name, "", Some(1));
        req.push(b'x');
        let r = exchange(t, &req)?;
        if r.head.status != 400 {
            return Err(Failure::new(format!(
                "PUT /uploads/{name} answered {}, expected 400",
                r.head.status
            ))
            .sent(&req)
            .got(&r.raw)
            .repro(raw_command(t, &req)));
        }
    }
    Ok(())
}

fn truncated_upload_leaves_nothing(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let name = random_name(&mut rng);
    let mut req = put_request(t, &name, "", Some(10_000));
    req.extend_from_slice(&rng.bytes(1000));
    let mut s = connect(t)?;
    s.write_all(&req)
        .map_err(|e| Failure::new(format!("could not send: {}", io_text(&e, t))))?;
    let _ = s.shutdown(Shutdown::Write);
    // Whatever the server answers (400, or nothing), the name must not exist.
    let _ = read_response(&mut s, "PUT", &mut Vec::new());
    drop(s);
    let (req, r) = get_upload(t, &name, "");
    expect_status(&r?, 404, &req, t)
}

fn uploaded_file_can_be_resumed_with_range(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let name = random_name(&mut rng);
    let len = rng.range(100, 50_000);
    let body = rng.bytes(len);
    let mut req = put_request(t, &name, "", Some(body.len()));
    req.extend_from_slice(&body);
    let r = exchange(t, &req)?;
    expect_created(&r, &req, t).map_err(|f| f.repro(curl_put(t, &name, body.len(), false)))?;
    let (req, r) = get_upload(t, &name, "");
    let r = r?;
    expect_status(&r, 200, &req, t)?;
    let Some(etag) = r.head.headers.get("etag") else {
        return Err(Failure::new("the download has no ETag to resume against").got(&r.raw));
    };
    let from = rng.range(1, body.len() - 1);
    let (req, r) = get_upload(
        t,
        &name,
        &format!("Range: bytes={from}-\r\nIf-Range: {etag}\r\n"),
    );
    let r = r?;
    expect_status(&r, 206, &req, t)?;
    if r.body != body[from..] {
        return Err(Failure::mismatch(
            "the 206 body is not the rest of the file",
            &body[from..],
            &r.body,
        ));
    }
    Ok(())
}
