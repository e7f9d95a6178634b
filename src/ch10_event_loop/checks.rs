//! Chapter 10's exercises, black-box: a server built this way holds many
//! idle keep-alive connections at no cost to anyone else
//! (`cargo run --bin check -- ch10 --addr 127.0.0.1:8888`).

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::check::{Check, Failure, Target, check, connect, expect_status, read_response};

/// Idle keep-alive connections the checks hold open: more than chapter
/// 5's default of 128 workers, fewer than its cap of 1024.
pub const IDLE_HELD: usize = 300;
/// How long a fresh request may take while they are held.
pub const FRESH_WITHIN: Duration = Duration::from_millis(500);

fn hello(t: &Target) -> String {
    format!("GET /hello HTTP/1.1\r\nHost: {}\r\n\r\n", t.authority())
}

/// Sends one request on `s` and expects a kept-alive 200.
fn one_request(s: &mut TcpStream, t: &Target, what: &str) -> Result<(), Failure> {
    let req = hello(t);
    s.write_all(req.as_bytes())
        .map_err(|e| Failure::new(format!("{what}: send: {e}")))?;
    let r = read_response(s, "GET", &mut Vec::new())
        .map_err(|f| Failure::new(format!("{what}: {}", f.summary)).sent(req.as_bytes()))?;
    expect_status(&r, 200, req.as_bytes(), t)
}

/// Opens [`IDLE_HELD`] connections, each answered once and then idle.
fn hold_idle(t: &Target) -> Result<Vec<TcpStream>, Failure> {
    (0..IDLE_HELD)
        .map(|i| {
            let mut s = connect(t)?;
            one_request(&mut s, t, &format!("idle connection {i}"))?;
            Ok(s)
        })
        .collect()
}

fn a_fresh_request_is_answered_while_many_connections_idle(t: &Target) -> Result<(), Failure> {
    let _held = hold_idle(t)?;
    let started = Instant::now();
    let mut fresh = connect(t)?;
    one_request(&mut fresh, t, "a fresh client")?;
    let took = started.elapsed();
    if took > FRESH_WITHIN {
        return Err(Failure::new(format!(
            "a fresh request took {took:?} while {IDLE_HELD} idle keep-alive connections were \
             open (at most {FRESH_WITHIN:?}): are idle connections holding threads?"
        )));
    }
    Ok(())
}

fn idle_connections_stay_open_and_are_served_again(t: &Target) -> Result<(), Failure> {
    let mut held = hold_idle(t)?;
    // A second request on each, after all were idle at once.
    for (i, s) in held.iter_mut().enumerate() {
        one_request(s, t, &format!("idle connection {i}, second request"))?;
    }
    Ok(())
}

fn a_head_in_pieces_with_pauses_is_served(t: &Target) -> Result<(), Failure> {
    // A connection that goes quiet in the middle of a head must be picked
    // up again when the rest arrives.
    let mut s = connect(t)?;
    let req = hello(t);
    let (a, b) = req.as_bytes().split_at(10);
    s.write_all(a)
        .map_err(|e| Failure::new(format!("send: {e}")))?;
    std::thread::sleep(Duration::from_millis(50));
    s.write_all(b)
        .map_err(|e| Failure::new(format!("send: {e}")))?;
    let r = read_response(&mut s, "GET", &mut Vec::new())
        .map_err(|f| Failure::new(f.summary).sent(req.as_bytes()))?;
    expect_status(&r, 200, req.as_bytes(), t)
}

/// The checks of chapter 10.
pub fn checks() -> Vec<Check> {
    vec![
        check!(
            a_fresh_request_is_answered_while_many_connections_idle,
            "300 idle keep-alive connections do not delay a fresh request"
        ),
        check!(
            idle_connections_stay_open_and_are_served_again,
            "300 idle keep-alive connections all stay open and are served again"
        ),
        check!(
            a_head_in_pieces_with_pauses_is_served,
            "a head that pauses halfway is served when the rest arrives"
        ),
    ]
}
