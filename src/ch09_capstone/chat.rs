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

use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::live::Live;
use super::protocol::{self, ClientMessage};
use super::room::{CLOSE_GOING_AWAY, CLOSE_ROOM_FULL, JoinError, Member, Next, Room, SayError};
use crate::ch08_websocket::close;
use crate::ch08_websocket::{Message, WebSocket, WsError, WsSender};

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
    // Leave the room first (everyone is told), then stop the writer.
    member.outbox().close(close::NORMAL, "", false);
    drop(member);
    drop(reader_done);
    let _ = writer.join();
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
                    let _ = ws.close(CLOSE_GOING_AWAY, "server shutting down");
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
fn write_loop(outbox: &super::room::Outbox, sender: &WsSender, reader_done: &mpsc::Receiver<()>) {
    loop {
        match outbox.next(WRITER_POLL) {
            Next::Send(text) => match sender.send_text(&text) {
                Ok(()) => {}
                // Someone else already sent a close frame: nothing more to do.
                Err(WsError::Closed) => return,
                // The write failed or timed out (a stuck client): give up on
                // the connection; the reader then sees it end.
                Err(_) => {
                    sender.shutdown();
                    return;
                }
            },
            Next::Close(code, reason) => {
                if code != close::NORMAL || !sender.is_closed() {
                    let _ = sender.close(code, &reason);
                }
                // The reader sees the peer's answer and ends; if the peer
                // never answers, end it ourselves.
                if let Err(mpsc::RecvTimeoutError::Timeout) = reader_done.recv_timeout(CLOSE_GRACE)
                {
                    sender.shutdown();
                }
                return;
            }
            Next::Idle => {
                if let Err(mpsc::TryRecvError::Disconnected) = reader_done.try_recv() {
                    return;
                }
            }
        }
    }
}
