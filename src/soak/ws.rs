//! WebSocket load with chapter 8's client: echo clients that check every
//! answer, and chat members that check that what they say comes back.
//!
//! When the load stops, each client stays connected and waits for the
//! server's close frame: at SIGTERM every WebSocket must be closed with
//! 1001 ("going away", RFC 6455 §7.4.1). What it got is its result.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Stats, nap};
use crate::ch08_websocket::client::connect;
use crate::ch08_websocket::{Message, WebSocket};
use crate::ch09_capstone::json;
use crate::rng::Rng;

/// Messages on one connection before it is closed (1000) and replaced.
pub const MESSAGES_PER_CONNECTION: usize = 300;
/// Largest echo message; the capstone's `/ws/echo` takes 64 KiB at least.
pub const MAX_ECHO_BYTES: usize = 60 * 1024;
/// A chat member's pace, under the room's rate of 10 a second.
pub const SAY_EVERY: Duration = Duration::from_millis(250);
/// How long a client waits for the server's close after the load stops.
pub const CLOSE_WAIT: Duration = Duration::from_secs(60);

/// How a client's last connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The server closed it with this code.
    Closed(u16),
    /// Something else: the reason.
    Other(String),
}

/// Waits for the server to close `ws` (after SIGTERM) and says how.
fn await_close(mut ws: WebSocket) -> Ending {
    let until = Instant::now() + CLOSE_WAIT;
    while Instant::now() < until {
        match ws.read_message() {
            Ok(Some(_)) => {}
            Ok(None) => {
                return match ws.peer_close_code() {
                    Some(code) => Ending::Closed(code),
                    None => Ending::Other("closed without a close frame".into()),
                };
            }
            Err(crate::ch08_websocket::WsError::Timeout) => {}
            Err(e) => return Ending::Other(format!("{e}")),
        }
    }
    Ending::Other(format!("no close within {CLOSE_WAIT:?}"))
}

fn open(url: &str, stats: &Stats) -> Option<WebSocket> {
    match connect(url) {
        Ok(ws) => Some(ws),
        Err(e) => {
            stats.fail(format!("WebSocket handshake to {url}: {e}"));
            None
        }
    }
}

/// An echo client on `/ws/echo`: text and binary messages of random sizes,
/// each answer compared with what was sent.
pub fn echo(addr: SocketAddr, stats: Arc<Stats>) -> Ending {
    let url = format!("ws://{addr}/ws/echo");
    let mut rng = Rng::new();
    loop {
        let Some(mut ws) = open(&url, &stats) else {
            nap(&stats, Duration::from_millis(500));
            if stats.stopped() {
                return Ending::Other("not connected at the end".into());
            }
            continue;
        };
        for _ in 0..MESSAGES_PER_CONNECTION {
            if stats.stopped() {
                return await_close(ws);
            }
            let cap = rng.range(1, MAX_ECHO_BYTES);
            let len = rng.range(0, cap);
            let msg = if rng.below(2) == 0 {
                Message::Text(rng.word(len))
            } else {
                Message::Binary(rng.bytes(len))
            };
            let sent = ws.send(&msg);
            match (sent, ws.read_message()) {
                (Ok(()), Ok(Some(back))) if back == msg => Stats::add(&stats.messages, 1),
                (s, r) => {
                    let got = match r {
                        Ok(Some(m)) => {
                            format!("a different {} message of {} bytes", m.kind(), m.len())
                        }
                        other => format!("{other:?} (send: {s:?})"),
                    };
                    stats.fail(format!(
                        "WebSocket echo: sent a {} message of {len} bytes, got {got}",
                        msg.kind()
                    ));
                    break;
                }
            }
        }
        let _ = ws.close(1000, "");
    }
}

/// A chat member on `/ws/chat`: joins, says something every
/// [`SAY_EVERY`], and must see each of its own messages come back in the
/// room's broadcast.
pub fn chat(addr: SocketAddr, stats: Arc<Stats>, id: usize) -> Ending {
    let url = format!("ws://{addr}/ws/chat");
    let mut said = 0u64;
    for n in 0.. {
        // A fresh nick for each connection: the last one may still be
        // leaving the room.
        let nick = format!("soak{id}-{n}");
        let Some(mut ws) = open(&url, &stats) else {
            nap(&stats, Duration::from_millis(500));
            if stats.stopped() {
                return Ending::Other("not connected at the end".into());
            }
            continue;
        };
        let join = json::Object::new()
            .str("type", "join")
            .str("nick", &nick)
            .finish();
        if ws.send_text(&join).is_err() {
            stats.fail(format!("chat: sent {join}, the connection failed"));
            continue;
        }
        for _ in 0..MESSAGES_PER_CONNECTION {
            if stats.stopped() {
                return await_close(ws);
            }
            said += 1;
            let text = format!("message {said} from {nick}");
            let say = json::Object::new()
                .str("type", "say")
                .str("text", &text)
                .finish();
            if let Err(why) = say_and_hear(&mut ws, &say, &nick, &text, &stats) {
                stats.fail(format!("chat: sent {say}, {why}"));
                break;
            }
            nap(&stats, SAY_EVERY);
        }
        let _ = ws.close(1000, "");
    }
    Ending::Other("out of nicks".into())
}

/// Sends `say` and reads the room's messages until our own comes back.
fn say_and_hear(
    ws: &mut WebSocket,
    say: &str,
    nick: &str,
    text: &str,
    stats: &Stats,
) -> Result<(), String> {
    ws.send_text(say).map_err(|e| format!("send failed: {e}"))?;
    loop {
        match ws.read_message() {
            Ok(Some(Message::Text(t))) => {
                Stats::add(&stats.messages, 1);
                let v = json::parse(&t).map_err(|e| format!("got invalid JSON {t:?}: {e}"))?;
                let field = |k| v.get(k).and_then(json::Value::as_str);
                match field("type") {
                    Some("say") if field("nick") == Some(nick) && field("text") == Some(text) => {
                        return Ok(());
                    }
                    Some("error") => return Err(format!("got {t}")),
                    _ => {}
                }
            }
            Ok(Some(m)) => return Err(format!("got a {} message", m.kind())),
            Ok(None) => return Err(format!("closed with {:?}", ws.peer_close_code())),
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
}
