//! The exercises' checks for chapter 1: black-box tests of a **TCP echo
//! server**, yours or the book's.
//!
//! ```text
//! cargo run --bin check -- ch01 --addr 127.0.0.1:8888
//! ```
//!
//! Every payload is random, so a server cannot pass by knowing the answer,
//! and includes every byte value, so a server that treats input as text
//! (stops at a NUL, rewrites line ends) fails.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};

use crate::check::{
    Check, Failure, Target, check, connect, first_difference, io_text, raw_command, seconds,
};
use crate::rng::Rng;

/// The checks, in the order a reader's server usually starts passing them.
pub fn all() -> Vec<Check> {
    vec![
        check!(
            echoes_random_bytes,
            "every byte sent comes back, unchanged and in order, and the connection stays open for more"
        ),
        check!(
            echoes_bytes_sent_in_pieces,
            "a stream has no message boundaries: bytes written in several pieces come back whole"
        ),
        check!(
            closes_after_client_half_close,
            "when the client shuts down its sending side, the server echoes what is left and closes"
        ),
        check!(
            serves_many_clients_at_once,
            "16 clients connected at once are all served, the last one first (a one-at-a-time server fails this)"
        ),
        check!(
            echoes_a_big_payload,
            "8 MiB sent while reading the echo come back intact (needs read loops and write_all)"
        ),
    ]
}

/// A random payload of `n` bytes that contains every byte value when
/// `n >= 256`: NUL, CR, LF and non-UTF-8 bytes included.
fn payload(rng: &mut Rng, n: usize) -> Vec<u8> {
    let mut p = rng.bytes(n);
    if n >= 256 {
        // All 256 values in a row, at a random place.
        let at = rng.below((n - 255) as u64) as usize;
        for (i, b) in p[at..at + 256].iter_mut().enumerate() {
            *b = i as u8;
        }
    }
    p
}

/// Writes `data` on one thread while reading the echo on this one (a
/// server that echoes as it reads would otherwise deadlock against a
/// client that writes everything first); returns what came back, and the
/// error that cut it short, if any. The checker's own loop: the chapter's
/// echo client may be a reader's exercise.
fn roundtrip(s: &TcpStream, data: &[u8]) -> (Vec<u8>, Option<std::io::Error>) {
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| (&*s).write_all(data));
        let mut got = Vec::with_capacity(data.len());
        let mut buf = vec![0u8; 64 * 1024];
        let mut error = None;
        while got.len() < data.len() {
            let want = (data.len() - got.len()).min(buf.len());
            match (&*s).read(&mut buf[..want]) {
                Ok(0) => {
                    error = Some(std::io::ErrorKind::UnexpectedEof.into());
                    break;
                }
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if error.is_some() {
            // Unblock a writer stuck on a full buffer.
            let _ = s.shutdown(Shutdown::Both);
        }
        let written = writer.join().unwrap_or(Ok(()));
        (got, error.or(written.err()))
    })
}

/// Sends `data` on `s` and checks that exactly it comes back.
fn expect_echo(t: &Target, s: &TcpStream, data: &[u8], what: &str) -> Result<(), Failure> {
    match roundtrip(s, data) {
        (got, None) if got == data => Ok(()),
        (got, None) => {
            let at = first_difference(data, &got).unwrap_or(0);
            Err(Failure::mismatch(
                format!("{what}: the echo differs from what was sent at byte {at}"),
                data,
                &got,
            )
            .sent(data)
            .repro(raw_command(t, b"hello\n")))
        }
        (got, Some(e)) => Err(Failure::new(format!(
            "{what}: sent {} bytes, got {} back: {}",
            data.len(),
            got.len(),
            match e.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut =>
                    format!("nothing more came within {}", seconds(t.timeout)),
                std::io::ErrorKind::UnexpectedEof =>
                    "the server closed the connection before echoing everything".into(),
                _ => io_text(&e, t),
            }
        ))
        .sent(data)
        .expected(format!("the same {} bytes back", data.len()))
        .repro(raw_command(t, b"hello\n"))),
    }
}

fn echoes_random_bytes(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let s = connect(t)?;
    for round in 1..=3 {
        let n = rng.range(256, 4096);
        expect_echo(
            t,
            &s,
            &payload(&mut rng, n),
            &format!("message {round} of 3"),
        )?;
    }
    Ok(())
}

fn echoes_bytes_sent_in_pieces(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let mut s = connect(t)?;
    let data = payload(&mut rng, 600);
    // Three writes of random sizes, each flushed on its own segment.
    let a = rng.range(1, 200);
    let b = rng.range(a + 1, 400);
    for piece in [&data[..a], &data[a..b], &data[b..]] {
        s.write_all(piece)
            .map_err(|e| Failure::new(format!("could not send: {}", io_text(&e, t))).sent(piece))?;
        s.flush().ok();
    }
    let mut got = vec![0u8; data.len()];
    match s.read_exact(&mut got) {
        Ok(()) if got == data => Ok(()),
        Ok(()) => Err(Failure::mismatch("the echo differs", &data, &got).sent(&data)),
        Err(e) => Err(Failure::new(format!(
            "sent {} bytes in 3 writes ({a}, {}, {}), did not get them all back: {}",
            data.len(),
            b - a,
            data.len() - b,
            io_text(&e, t)
        ))
        .sent(&data)
        .repro(raw_command(t, b"hello\n"))),
    }
}

fn closes_after_client_half_close(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let mut s = connect(t)?;
    let n = rng.range(1, 3000);
    let data = payload(&mut rng, n);
    s.write_all(&data)
        .map_err(|e| Failure::new(format!("could not send: {}", io_text(&e, t))).sent(&data))?;
    s.shutdown(Shutdown::Write)
        .map_err(|e| Failure::new(format!("shutdown(Write) failed: {}", io_text(&e, t))))?;
    let mut got = Vec::new();
    match s.read_to_end(&mut got) {
        Ok(_) if got == data => Ok(()),
        Ok(_) => Err(Failure::mismatch(
            "after the client's FIN, the server should echo the rest and close",
            &data,
            &got,
        )
        .sent(&data)
        .repro(raw_command(t, b"hello"))),
        Err(e) => Err(Failure::new(format!(
            "the server did not close its side after the client shut down its own \
             (read returned 0 on the server, which should then close): {}",
            match e.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut =>
                    format!("no end of stream within {}", seconds(t.timeout)),
                _ => io_text(&e, t),
            }
        ))
        .sent(&data)
        .got(&got)
        .expected("the echo, then end of stream")
        .repro(raw_command(t, b"hello"))),
    }
}

/// How many clients [`serves_many_clients_at_once`] opens.
const CLIENTS: usize = 16;

fn serves_many_clients_at_once(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let mut conns = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        conns.push(connect(t)?);
    }
    // The last client to connect speaks first: a server that serves one
    // client at a time is still waiting on the first and never answers.
    for (i, s) in conns.iter().enumerate().rev() {
        let n = rng.range(300, 1000);
        let data = payload(&mut rng, n);
        expect_echo(t, s, &data, &format!("client {} of {CLIENTS}", i + 1)).map_err(|f| {
            if i == CLIENTS - 1 {
                Failure {
                    summary: format!(
                        "{} (is the server serving only one client at a time? the first {} clients \
                         are connected and silent)",
                        f.summary,
                        CLIENTS - 1
                    ),
                    ..f
                }
            } else {
                f
            }
        })?;
    }
    Ok(())
}

fn echoes_a_big_payload(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let s = connect(t)?;
    let data = payload(&mut rng, 8 << 20);
    expect_echo(t, &s, &data, "8 MiB payload")
}
