//! Chapter 5's exercises: keep-alive, pipelining, concurrency and bad
//! input, checked over real sockets against any server
//! (`cargo run --bin check -- ch05 --addr 127.0.0.1:8888`).

use std::io::Write;
use std::net::Shutdown;
use std::thread;

use crate::ch04_methods_and_routing::checks::{expect, expect_and_close, expect_closed};
use crate::check::{
    Check, Failure, Target, check, connect, expect_status, nc_command, read_response,
    send_and_read_all,
};
use crate::rng::Rng;

fn echo_request(host: &str, body: &str, close: bool) -> String {
    format!(
        "POST /echo HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\n{}\r\n{body}",
        body.len(),
        if close { "Connection: close\r\n" } else { "" }
    )
}

fn pipelined_requests_are_answered_in_order(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let bodies: Vec<String> = (0..20).map(|i| format!("{i}-{}", rng.word(8))).collect();
    let all: String = bodies
        .iter()
        .map(|b| echo_request(&t.authority(), b, false))
        .collect();
    let mut s = connect(t)?;
    s.write_all(all.as_bytes())
        .map_err(|e| Failure::new(format!("could not send: {}", crate::check::io_text(&e, t))))?;
    let mut pending = Vec::new();
    for (i, want) in bodies.iter().enumerate() {
        let r = read_response(&mut s, "POST", &mut pending).map_err(|f| {
            Failure::new(format!("response {i} of 20 pipelined: {}", f.summary))
                .sent(all.as_bytes())
        })?;
        if r.body != want.as_bytes() {
            return Err(Failure::mismatch(
                format!("response {i} of 20 pipelined requests is out of order or wrong"),
                want.as_bytes(),
                &r.body,
            )
            .sent(all.as_bytes()));
        }
    }
    Ok(())
}

fn connection_close_is_honoured(t: &Target) -> Result<(), Failure> {
    let req = echo_request(&t.authority(), "bye", true);
    expect_and_close(t, req.as_bytes(), 200)
}

fn a_stalled_client_does_not_block_others(t: &Target) -> Result<(), Failure> {
    // Half a request head, then silence: the server must still answer a
    // fresh client (a single-threaded server would wait on the first).
    let mut stalled = connect(t)?;
    stalled
        .write_all(b"GET /hello HTTP/1.1\r\nHo")
        .map_err(|e| Failure::new(format!("could not send: {}", crate::check::io_text(&e, t))))?;
    let mut idle = connect(t)?;
    let _ = idle.flush();
    let req = format!("GET /hello HTTP/1.1\r\nHost: {}\r\n\r\n", t.authority());
    expect(t, req.as_bytes(), 200).map_err(|f| {
        Failure::new(format!(
            "a fresh client was not answered while another connection stalled mid-head: {}",
            f.summary
        ))
    })?;
    drop(stalled);
    drop(idle);
    Ok(())
}

fn concurrent_clients_are_all_served(t: &Target) -> Result<(), Failure> {
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let t = t.clone();
            thread::spawn(move || -> Result<(), Failure> {
                let mut s = connect(&t)?;
                for j in 0..3 {
                    let body = format!("client {i} request {j}");
                    let req = echo_request(&t.authority(), &body, false);
                    s.write_all(req.as_bytes()).map_err(|e| {
                        Failure::new(format!("could not send: {}", crate::check::io_text(&e, &t)))
                    })?;
                    let r = read_response(&mut s, "POST", &mut Vec::new())?;
                    if r.body != body.as_bytes() {
                        return Err(Failure::mismatch("wrong echo", body.as_bytes(), &r.body));
                    }
                }
                Ok(())
            })
        })
        .collect();
    for h in handles {
        h.join()
            .map_err(|_| Failure::new("client thread panicked"))??;
    }
    Ok(())
}

fn garbage_gets_400_and_a_close(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let mut junk = rng.bytes(200);
    junk[0] = 0x16; // what a TLS ClientHello starts with: never a method
    let got = send_and_read_all(t, &junk)?;
    if !got.starts_with(b"HTTP/1.1 400") {
        return Err(
            Failure::mismatch("binary garbage should get 400", b"HTTP/1.1 400", &got)
                .sent(&junk)
                .repro(nc_command(t, &junk)),
        );
    }
    Ok(())
}

fn truncated_request_is_not_served(t: &Target) -> Result<(), Failure> {
    let req = format!("GET /hello HTTP/1.1\r\nHost: {}\r\n", t.authority());
    let mut s = connect(t)?;
    s.write_all(req.as_bytes())
        .map_err(|e| Failure::new(format!("could not send: {}", crate::check::io_text(&e, t))))?;
    let _ = s.shutdown(Shutdown::Write);
    match read_response(&mut s, "GET", &mut Vec::new()) {
        Ok(r) if r.head.status == 200 => Err(Failure::new(
            "a head cut off before its empty line was answered as complete",
        )
        .sent(req.as_bytes())
        .got(&r.raw)),
        Ok(r) => expect_status(&r, 400, req.as_bytes(), t)
            .map_err(|f| f.expected("\"HTTP/1.1 400 …\", or the connection closed with no answer")),
        Err(_) => Ok(()), // closing without an answer is acceptable too
    }
}

fn oversized_heads_get_431_and_414(t: &Target) -> Result<(), Failure> {
    let big = format!(
        "GET /hello HTTP/1.1\r\nHost: {}\r\nX-Big: {}\r\n\r\n",
        t.authority(),
        "a".repeat(64 * 1024)
    );
    let r = crate::check::exchange(t, big.as_bytes())?;
    if r.head.status != 431 && r.head.status != 400 {
        return Err(Failure::new(format!(
            "a 64 KiB header field should get 431 (or 400), got {}",
            r.head.status
        ))
        .expected("\"HTTP/1.1 431 …\" or \"HTTP/1.1 400 …\"")
        .got(&r.raw));
    }
    let long = format!(
        "GET /{} HTTP/1.1\r\nHost: {}\r\n\r\n",
        "a".repeat(64 * 1024),
        t.authority()
    );
    expect(t, long.as_bytes(), 414).map(|_| ())
}

fn unsupported_version_gets_505(t: &Target) -> Result<(), Failure> {
    expect_and_close(t, b"GET /hello HTTP/2.0\r\nHost: x\r\n\r\n", 505)
}

fn idle_connection_is_closed_after_an_answer_with_close(t: &Target) -> Result<(), Failure> {
    // After `Connection: close` the server closes even though more was sent.
    let req = format!(
        "{}{}",
        echo_request(&t.authority(), "one", true),
        echo_request(&t.authority(), "two", false)
    );
    let mut s = connect(t)?;
    s.write_all(req.as_bytes())
        .map_err(|e| Failure::new(format!("could not send: {}", crate::check::io_text(&e, t))))?;
    let r = read_response(&mut s, "POST", &mut Vec::new())?;
    expect_status(&r, 200, req.as_bytes(), t)?;
    expect_closed(&mut s, t, req.as_bytes())
}

/// The checks of chapter 5.
pub fn checks() -> Vec<Check> {
    vec![
        check!(
            pipelined_requests_are_answered_in_order,
            "pipelined requests are answered in order"
        ),
        check!(
            connection_close_is_honoured,
            "Connection: close closes after the response"
        ),
        check!(
            idle_connection_is_closed_after_an_answer_with_close,
            "nothing is answered after Connection: close"
        ),
        check!(
            a_stalled_client_does_not_block_others,
            "one stalled client does not block the rest"
        ),
        check!(
            concurrent_clients_are_all_served,
            "16 clients at once, 3 requests each"
        ),
        check!(garbage_gets_400_and_a_close, "binary garbage gets 400"),
        check!(
            truncated_request_is_not_served,
            "a cut-off head is never served"
        ),
        check!(
            oversized_heads_get_431_and_414,
            "huge heads get 431, huge targets 414"
        ),
        check!(
            unsupported_version_gets_505,
            "HTTP/2.0 in a request line gets 505"
        ),
    ]
}
