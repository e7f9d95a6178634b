//! A WebSocket load client: N connections, each sending a binary message
//! and waiting for its echo, again and again, until the time is up.
//!
//! It is chapter 8's client ([`connect_with`], [`WebSocket`]), one thread
//! per connection, so what it costs per round trip is what chapter 8's
//! blocking design costs. Everything is bounded: connections, message size
//! and duration have limits, every read and write a timeout, and latencies
//! go into a [`Histogram`] of fixed size.
//!
//! All connections are open before the clock starts; an echo is checked
//! byte for byte, and a wrong one counts as an error and ends that
//! connection.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use super::histogram::Histogram;
use super::summary::Summary;
use crate::ch08_websocket::client::connect_with;
use crate::ch08_websocket::{Config, Message, WebSocket};
use crate::rng::Rng;

/// Most connections one run opens (each is a thread).
pub const MAX_CONNECTIONS: usize = 1024;
/// Largest message (chapter 8's default message limit).
pub const MAX_MESSAGE: usize = 16 * 1024 * 1024;
/// Longest run.
pub const MAX_DURATION: Duration = Duration::from_secs(600);
/// Longest wait for the handshake, one echo, or one write.
pub const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// One run's parameters.
#[derive(Debug, Clone)]
pub struct Spec {
    /// `ws://127.0.0.1:PORT/path`.
    pub url: String,
    pub connections: usize,
    pub message_bytes: usize,
    pub duration: Duration,
}

impl Spec {
    /// Checks the limits; the error says which one.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_CONNECTIONS).contains(&self.connections) {
            return Err(format!("connections must be 1..={MAX_CONNECTIONS}"));
        }
        if !(1..=MAX_MESSAGE).contains(&self.message_bytes) {
            return Err(format!("message size must be 1..={MAX_MESSAGE} bytes"));
        }
        if self.duration.is_zero() || self.duration > MAX_DURATION {
            return Err(format!(
                "duration must be above 0 and at most {MAX_DURATION:?}"
            ));
        }
        Ok(())
    }
}

/// What one connection did.
#[derive(Default)]
struct Tally {
    round_trips: u64,
    bytes: u64,
    errors: u64,
    latency: Histogram,
}

fn open(spec: &Spec) -> Result<WebSocket, String> {
    let config = Config {
        max_message: spec.message_bytes.max(Config::default().max_message),
        max_frame: spec.message_bytes.max(Config::default().max_frame),
        ping_interval: None,
        write_timeout: Some(IO_TIMEOUT),
        ..Config::default()
    };
    connect_with(&spec.url, &[], config, IO_TIMEOUT)
        .map(|(ws, _)| ws)
        .map_err(|e| format!("cannot open {}: {e}", spec.url))
}

/// Ping-pong on one connection until `deadline`.
fn ping_pong(ws: &mut WebSocket, payload: &[u8], deadline: Instant) -> Tally {
    let mut t = Tally::default();
    while Instant::now() < deadline {
        let sent = Instant::now();
        if ws.send_binary(payload).is_err() {
            t.errors += 1;
            break;
        }
        match ws.read_message() {
            Ok(Some(Message::Binary(echo))) if echo == payload => {
                t.latency.record(sent.elapsed().as_micros() as u64);
                t.round_trips += 1;
                t.bytes += echo.len() as u64;
            }
            _ => {
                t.errors += 1;
                break;
            }
        }
    }
    let _ = ws.close(1000, "");
    t
}

/// Runs `spec` and returns what it measured. Connections that cannot be
/// opened count as errors; the run fails only if none opens.
pub fn run(spec: &Spec) -> Result<Summary, String> {
    spec.check()?;
    let start = Arc::new(Barrier::new(spec.connections + 1));
    let (tx, rx) = std::sync::mpsc::channel();
    let deadline = Arc::new(std::sync::OnceLock::<Instant>::new());
    let mut first_error = None;
    for _ in 0..spec.connections {
        let (spec, start, tx, deadline) =
            (spec.clone(), start.clone(), tx.clone(), deadline.clone());
        let mut payload = vec![0u8; spec.message_bytes];
        Rng::new().fill(&mut payload);
        thread::spawn(move || {
            let ws = open(&spec);
            start.wait();
            let result = ws.map(|mut ws| ping_pong(&mut ws, &payload, *deadline.wait()));
            let _ = tx.send(result);
        });
    }
    drop(tx);
    start.wait();
    let began = Instant::now();
    let _ = deadline.set(began + spec.duration);
    let mut total = Tally::default();
    let mut opened = 0;
    for result in rx {
        match result {
            Ok(t) => {
                opened += 1;
                total.round_trips += t.round_trips;
                total.bytes += t.bytes;
                total.errors += t.errors;
                total.latency.merge(&t.latency);
            }
            Err(e) => {
                total.errors += 1;
                first_error.get_or_insert(e);
            }
        }
    }
    if opened == 0 {
        return Err(first_error.unwrap_or_else(|| "no connection opened".into()));
    }
    Ok(Summary {
        count: total.round_trips,
        secs: began
            .elapsed()
            .as_secs_f64()
            .min(spec.duration.as_secs_f64()),
        bytes: total.bytes,
        p50_us: total.latency.percentile(50.0),
        p99_us: total.latency.percentile(99.0),
        max_us: total.latency.max(),
        errors: total.errors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_before_anything_opens() {
        let ok = Spec {
            url: "ws://127.0.0.1:9/".into(),
            connections: 16,
            message_bytes: 64,
            duration: Duration::from_secs(1),
        };
        assert!(ok.check().is_ok());
        for bad in [
            Spec {
                connections: 0,
                ..ok.clone()
            },
            Spec {
                connections: MAX_CONNECTIONS + 1,
                ..ok.clone()
            },
            Spec {
                message_bytes: 0,
                ..ok.clone()
            },
            Spec {
                message_bytes: MAX_MESSAGE + 1,
                ..ok.clone()
            },
            Spec {
                duration: Duration::ZERO,
                ..ok.clone()
            },
            Spec {
                duration: MAX_DURATION * 2,
                ..ok.clone()
            },
        ] {
            assert!(run(&bad).is_err(), "{bad:?}");
        }
    }
}
