//! The chat endpoint: one WebSocket connection joined to the [`Room`].
//!
//! Two threads a connection, each doing one thing:
//!
//! * the **reader** (the connection's own thread, handed over by the HTTP
//!   server after the 101) reads the page's messages and calls
//!   [`Member::say`], which publishes into every outbox and returns at once;
//! * the **writer** empties this member's [`Outbox`] into the socket. It is
//!   the only thread that can be stalled by a client that stops reading, and
//!   it stalls nobody else: the room never waits for it.
//!
//! ```text
//!  page ──frames──▶ reader ──say──▶ Room (one lock, one order)
//!                                    │ push, never blocks
//!           ┌────────────────────────┼───────────────┐
//!           ▼                        ▼               ▼
//!        outbox A                 outbox B        outbox C   (bounded)
//!           │ writer A               │ writer B      │ writer C
//!  page ◀──frames                  page            page
//! ```

use std::io;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::protocol::{self, ClientMessage};
use super::room::{
    CLOSE_GOING_AWAY, CLOSE_ROOM_FULL, JoinError, Member, Next, Outbox, Room, SayError,
};
use crate::ch08_websocket::close;
use crate::ch08_websocket::live::SHUTDOWN_REASON;
use crate::ch08_websocket::{Live, Message, WebSocket, WsError, WsSender};

/// Largest WebSocket message the chat accepts (RFC 6455 §7.4.1: 1009 past
/// it). A `say` is at most [`super::room::MAX_TEXT_BYTES`] of text, which
/// JSON escaping can grow up to six-fold (`\u0001`); anything larger is
/// not a message this page would send.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;

/// The writer wakes this often when idle, to notice the end of the
/// connection even if no message comes.
const WRITER_POLL: Duration = Duration::from_secs(5);

/// How long the writer waits, after sending its close frame, for the reader
/// to see the peer's answer before it shuts the socket down.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Stack of a writer thread: it only moves a string from a queue into a
/// socket, and with hundreds of members the default 2 MiB adds up.
const WRITER_STACK: usize = 128 * 1024;

/// Serves one chat connection until it ends. `live` is this connection's
/// entry among the server's open WebSockets: once joined, shutdown closes it
/// through the outbox, so queued messages go out before the 1001.
pub fn serve(room: &Arc<Room>, mut ws: WebSocket, live: &Live) {
    let sender = ws.sender();
    let Some(member) = wait_for_join(room, &mut ws, &sender) else {
        return;
    };
    let outbox = member.outbox().clone();
    live.set_closer(Box::new(move |code, reason| {
        outbox.close(code, reason, true)
    }));

    // Dropped by the reader when it is done: the writer's cue to stop.
    let (reader_done, reader_done_rx) = mpsc::channel::<()>();
    let writer = {
        let outbox = member.outbox().clone();
        let sender = sender.clone();
        thread::Builder::new()
            .name("chat-writer".into())
            .stack_size(WRITER_STACK)
            .spawn(move || write_loop(&outbox, &sender, &reader_done_rx))
    };
    let writer = match writer {
        Ok(w) => w,
        Err(_) => {
            // No thread to be had: the server is at its limit.
            let _ = ws.close(CLOSE_ROOM_FULL, "server busy");
            return;
        }
    };

    loop {
        match ws.read_message() {
            Ok(Some(Message::Text(text))) => match ClientMessage::parse(&text) {
                Ok(ClientMessage::Say { text }) => match member.say(&text) {
                    Ok(()) => {}
                    // Evicted or closing: the writer is sending the close.
                    Err(SayError::NotInRoom) => {}
                    Err(e) => complain(&sender, &e.to_string()),
                },
                Ok(ClientMessage::Join { .. }) => complain(&sender, "already joined"),
                Err(e) => complain(&sender, &format!("not understood: {e}")),
            },
            Ok(Some(Message::Binary(_))) => {
                let _ = ws.close(close::UNSUPPORTED_DATA, "the chat speaks JSON text");
                break;
            }
            Ok(None) | Err(_) => break,
        }
    }
    // Stop the writer, then leave the room (everyone is told why). The
    // writer's verdict comes first: when its write timed out, it shut the
    // socket down, which is what ended the reading above, and the member
    // fell behind rather than left. (The writer ends at once, or when its
    // write times out.)
    member.outbox().close(close::NORMAL, "", false);
    drop(reader_done);
    match writer.join() {
        Ok(WriterEnd::TooSlow) => member.leave_too_slow(),
        _ => drop(member),
    }
}

/// Why a writer stopped.
#[derive(Debug, PartialEq, Eq)]
enum WriterEnd {
    /// A write timed out: the client stopped reading.
    TooSlow,
    /// Anything else: a close, the reader's end, a broken connection.
    Done,
}

/// Reads until a valid `join` (answering anything else with an error), then
/// joins. `None` if the connection ended or the room refused.
fn wait_for_join(room: &Arc<Room>, ws: &mut WebSocket, sender: &WsSender) -> Option<Member> {
    loop {
        let text = match ws.read_message() {
            Ok(Some(Message::Text(t))) => t,
            Ok(Some(Message::Binary(_))) => {
                let _ = ws.close(close::UNSUPPORTED_DATA, "the chat speaks JSON text");
                return None;
            }
            Ok(None) | Err(_) => return None,
        };
        match ClientMessage::parse(&text) {
            Ok(ClientMessage::Join { nick }) => match room.join(&nick) {
                Ok(m) => return Some(m),
                Err(JoinError::RoomFull) => {
                    let _ = ws.close(CLOSE_ROOM_FULL, "the room is full");
                    return None;
                }
                Err(JoinError::Closed) => {
                    let _ = ws.close(CLOSE_GOING_AWAY, SHUTDOWN_REASON);
                    return None;
                }
                Err(e @ JoinError::BadNick(_)) => complain(sender, &e.to_string()),
            },
            Ok(ClientMessage::Say { .. }) => complain(sender, "join first"),
            Err(e) => complain(sender, &format!("not understood: {e}")),
        }
    }
}

/// Sends an `error` to this connection only. Errors are not part of the
/// room's order, so they go straight to the socket (the sender's lock keeps
/// frames whole).
fn complain(sender: &WsSender, what: &str) {
    let _ = sender.send_text(&protocol::error(what));
}

/// The writer: outbox → socket, until a close is asked for or the reader
/// is gone.
fn write_loop(outbox: &Outbox, sender: &WsSender, reader_done: &mpsc::Receiver<()>) -> WriterEnd {
    loop {
        match outbox.next(WRITER_POLL) {
            Next::Send(text) => match sender.send_text(&text) {
                Ok(()) => {}
                // Someone else already sent a close frame: nothing more to do.
                Err(WsError::Closed) => return WriterEnd::Done,
                // The write failed (chapter 8 then shut the connection down,
                // and the reader sees it end). A write that timed out means
                // the client stopped reading before its queue filled: it is
                // as slow as one whose queue overflows, and leaves as such
                // (no close frame can reach it: its socket is full).
                Err(WsError::Io(e)) => {
                    sender.shutdown();
                    return match e.kind() {
                        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => WriterEnd::TooSlow,
                        _ => WriterEnd::Done,
                    };
                }
                Err(_) => {
                    sender.shutdown();
                    return WriterEnd::Done;
                }
            },
            Next::Close(code, reason) => {
                // (Fails harmlessly if a close frame already went out.)
                let _ = sender.close(code, &reason);
                // The reader sees the peer's answer and ends; if the peer
                // never answers, end it ourselves.
                if let Err(mpsc::RecvTimeoutError::Timeout) = reader_done.recv_timeout(CLOSE_GRACE)
                {
                    sender.shutdown();
                }
                return WriterEnd::Done;
            }
            Next::Idle => {
                if let Err(mpsc::TryRecvError::Disconnected) = reader_done.try_recv() {
                    return WriterEnd::Done;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch08_websocket::LiveSockets;
    use crate::ch08_websocket::{Config, Role};
    use crate::ch09_capstone::json::{self, Value};
    use crate::ch09_capstone::room::{CLOSE_TOO_SLOW, Limits};
    use crate::testkit::{TEST_DEADLINE, Watchdog};
    use std::net::{TcpListener, TcpStream};

    fn config() -> Config {
        Config {
            ping_interval: Some(Duration::from_secs(10)),
            ..Config::default()
        }
    }

    /// A test's deadline: the client sockets are cut when it passes, so a
    /// lost message fails the test instead of hanging it (the client
    /// answers the server's pings: no read timeout ever fires).
    fn watchdog() -> Watchdog {
        Watchdog::new("a chat unit test", TEST_DEADLINE)
    }

    /// A client WebSocket whose server side runs `serve` (no HTTP: the
    /// handshake is chapter 8's business, tested there).
    fn connect(room: &Arc<Room>, live: &Arc<LiveSockets>, dog: &Watchdog) -> WebSocket {
        connect_serving(room, live, dog, config())
    }

    /// [`connect`], the server side of the connection configured so.
    fn connect_serving(
        room: &Arc<Room>,
        live: &Arc<LiveSockets>,
        dog: &Watchdog,
        server_config: Config,
    ) -> WebSocket {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        dog.watch(&client);
        let (server, _) = l.accept().unwrap();
        let (room, live) = (room.clone(), live.clone());
        thread::spawn(move || {
            let ws = WebSocket::from_tcp(server, Vec::new(), Role::Server, server_config).unwrap();
            let guard = live.register(Box::new(|_, _| {}));
            serve(&room, ws, &guard);
        });
        WebSocket::from_tcp(client, Vec::new(), Role::Client, config()).unwrap()
    }

    fn next(ws: &mut WebSocket) -> Value {
        match ws.read_message() {
            Ok(Some(Message::Text(t))) => json::parse(&t).unwrap(),
            other => panic!("expected a text message, got {other:?}"),
        }
    }

    fn kind(v: &Value) -> &str {
        v.get("type").and_then(Value::as_str).unwrap_or("")
    }

    fn join(room: &Arc<Room>, live: &Arc<LiveSockets>, dog: &Watchdog, nick: &str) -> WebSocket {
        let mut ws = connect(room, live, dog);
        ws.send_text(&ClientMessage::Join { nick: nick.into() }.to_json())
            .unwrap();
        assert_eq!(kind(&next(&mut ws)), "welcome");
        ws
    }

    #[test]
    fn members_talk_and_leaving_is_announced() {
        let room = Room::new(Limits::default());
        let live = LiveSockets::new();
        let dog = watchdog();
        let mut a = join(&room, &live, &dog, "a");
        let mut b = join(&room, &live, &dog, "b");
        assert_eq!(kind(&next(&mut a)), "join"); // a
        assert_eq!(kind(&next(&mut a)), "join"); // b
        assert_eq!(kind(&next(&mut b)), "join"); // b
        b.send_text(r#"{"type":"say","text":"hi \"a\""}"#).unwrap();
        let m = next(&mut a);
        assert_eq!(m.get("text").and_then(Value::as_str), Some("hi \"a\""));
        assert_eq!(kind(&next(&mut b)), "say");
        b.send_text("not json").unwrap();
        assert_eq!(kind(&next(&mut b)), "error");
        b.close(close::NORMAL, "").unwrap();
        let left = next(&mut a);
        assert_eq!(kind(&left), "leave");
        assert_eq!(left.get("nick").and_then(Value::as_str), Some("b"));
    }

    #[test]
    fn a_full_room_closes_the_next_joiner_with_1013() {
        let room = Room::new(Limits {
            max_members: 1,
            ..Limits::default()
        });
        let live = LiveSockets::new();
        let dog = watchdog();
        let _a = join(&room, &live, &dog, "a");
        let mut b = connect(&room, &live, &dog);
        b.send_text(&ClientMessage::Join { nick: "b".into() }.to_json())
            .unwrap();
        assert_eq!(b.read_message().unwrap(), None);
        assert_eq!(b.peer_close_code(), Some(CLOSE_ROOM_FULL));
        assert_eq!(room.nicks(), ["a"]);
    }

    #[test]
    fn binary_messages_are_refused_with_1003() {
        let room = Room::new(Limits::default());
        let live = LiveSockets::new();
        let dog = watchdog();
        let mut ws = join(&room, &live, &dog, "a");
        ws.send_binary(b"\x00\x01").unwrap();
        while let Ok(Some(_)) = ws.read_message() {}
        assert_eq!(ws.peer_close_code(), Some(close::UNSUPPORTED_DATA));
    }

    #[test]
    fn a_stuck_member_is_closed_with_1008_and_the_others_go_on() {
        let room = Room::new(Limits {
            queue_capacity: 16,
            says_per_second: 0,
            ..Limits::default()
        });
        let live = LiveSockets::new();
        let dog = watchdog();
        let stuck = join(&room, &live, &dog, "stuck");
        let mut talker = join(&room, &live, &dog, "talker");
        let text = "x".repeat(1900);
        // The talker reads on its own thread, as a page does, reports each
        // message it sees, and watches for the stuck member's departure.
        let sender = talker.sender();
        let (seen_tx, seen_rx) = mpsc::channel::<bool>();
        let watcher = thread::spawn(move || {
            let mut says = 0usize;
            loop {
                let v = next(&mut talker);
                match kind(&v) {
                    "say" => {
                        says += 1;
                        let _ = seen_tx.send(false);
                    }
                    "leave" => {
                        assert_eq!(v.get("reason").and_then(Value::as_str), Some("too slow"));
                        let _ = seen_tx.send(true);
                        return (talker, says);
                    }
                    _ => {}
                }
            }
        });
        // Send with a window of 8 messages in flight, so that the talker is
        // never the slow one: only `stuck` falls behind.
        let (mut sent, mut seen) = (0usize, 0usize);
        'flood: loop {
            while sent - seen < 8 {
                assert!(sent < 100_000, "the stuck member was never evicted");
                sender
                    .send_text(&ClientMessage::Say { text: text.clone() }.to_json())
                    .unwrap();
                sent += 1;
            }
            match seen_rx.recv_timeout(Duration::from_secs(10)) {
                Ok(false) => seen += 1,
                Ok(true) => break 'flood,
                Err(e) => panic!("the talker stopped receiving: {e}"),
            }
        }
        let (mut talker, mut says) = watcher.join().unwrap();
        let says_before_leave = says;
        // The talker goes on receiving everything: the messages in flight
        // at the eviction, and one sent after it.
        sender
            .send_text(r#"{"type":"say","text":"still here"}"#)
            .unwrap();
        loop {
            let v = next(&mut talker);
            if kind(&v) == "say" {
                says += 1;
                if v.get("text").and_then(Value::as_str) == Some("still here") {
                    break;
                }
            }
        }
        assert_eq!(says, sent + 1, "the talker received every message");
        // The stuck member, reading at last, finds what was already on its
        // way, then a 1008 close frame. It never gets the say that found
        // its queue full, nor the window of 8 the talker sent after it
        // had left. (How soon it was cut off depends on the socket buffers
        // and on when its writer ran; that the talker never waited for it
        // does not.)
        let mut stuck = stuck;
        let mut stuck_says = 0;
        while let Ok(Some(Message::Text(t))) = stuck.read_message() {
            if t.contains(r#""type":"say""#) {
                stuck_says += 1;
            }
        }
        assert_eq!(stuck.peer_close_code(), Some(CLOSE_TOO_SLOW));
        assert!(
            stuck_says + 8 < sent,
            "stuck received {stuck_says} of {sent} ({says_before_leave} before it left)"
        );
        assert_eq!(room.nicks(), ["talker"]);
    }

    #[test]
    fn a_member_whose_writes_time_out_is_announced_as_too_slow() {
        // A queue too large to overflow first: the write timeout cuts the
        // stuck member off once its socket buffers are full.
        let room = Room::new(Limits {
            queue_capacity: 1_000_000,
            says_per_second: 0,
            ..Limits::default()
        });
        let live = LiveSockets::new();
        let dog = watchdog();
        let short = Config {
            write_timeout: Some(Duration::from_millis(300)),
            ..config()
        };
        let mut stuck = connect_serving(&room, &live, &dog, short);
        stuck
            .send_text(
                &ClientMessage::Join {
                    nick: "stuck".into(),
                }
                .to_json(),
            )
            .unwrap();
        assert_eq!(kind(&next(&mut stuck)), "welcome");
        let mut talker = join(&room, &live, &dog, "talker");
        let say = ClientMessage::Say {
            text: "x".repeat(1900),
        }
        .to_json();
        // Talk with a window of 8 until the talker sees `stuck` leave.
        let (mut sent, mut seen) = (0usize, 0usize);
        let reason = loop {
            while sent - seen < 8 {
                assert!(sent < 100_000, "the stuck member was never cut off");
                talker.send_text(&say).unwrap();
                sent += 1;
            }
            let v = next(&mut talker);
            match kind(&v) {
                "say" => seen += 1,
                "leave" => break v.get("reason").and_then(Value::as_str).map(String::from),
                _ => {}
            }
        };
        assert_eq!(reason.as_deref(), Some("too slow"));
        assert_eq!(room.nicks(), ["talker"]);
    }

    #[test]
    fn shutdown_drains_then_closes_with_1001() {
        let room = Room::new(Limits::default());
        let live = LiveSockets::new();
        let dog = watchdog();
        let mut a = join(&room, &live, &dog, "a");
        let mut b = join(&room, &live, &dog, "b");
        b.send_text(r#"{"type":"say","text":"before shutdown"}"#)
            .unwrap();
        // Both members read (and so answer close frames) as pages do.
        let b_reader = thread::spawn(move || {
            while let Ok(Some(_)) = b.read_message() {}
            b.peer_close_code()
        });
        // Wait until the say is published (a sees it), then shut down.
        let mut seen = Vec::new();
        loop {
            let v = next(&mut a);
            let done = kind(&v) == "say";
            seen.push(v);
            if done {
                break;
            }
        }
        room.close(CLOSE_GOING_AWAY, "server shutting down");
        let closing = {
            let live = live.clone();
            thread::spawn(move || {
                live.close_all(
                    CLOSE_GOING_AWAY,
                    "server shutting down",
                    Duration::from_secs(5),
                )
            })
        };
        // `a` answers the close frames as it reads them.
        while let Ok(Some(_)) = a.read_message() {}
        assert_eq!(a.peer_close_code(), Some(CLOSE_GOING_AWAY));
        assert_eq!(b_reader.join().unwrap(), Some(CLOSE_GOING_AWAY));
        assert_eq!(closing.join().unwrap(), 0, "every connection ended");
    }
}
