//! The services the chapter's binaries serve, as library functions so
//! that chapter 9 serves the same echo and hello (`/ws/echo` from
//! [`echo_service`]'s event loop, `/ws/hello` on a thread per socket).

use std::io::Write;
use std::sync::Arc;

use super::close;
use super::handshake::{self, HandshakeConfig};
use super::message::Message;
use super::socket::{WebSocket, WsError};
use crate::ch04_methods_and_routing::{Request, Response};
use crate::ch10_event_loop::ws_loop::EventLoop;

/// Answers each message with `on_message` until the connection ends or an
/// answer fails: the blocking loop of a thread per connection (and of an
/// [`EventLoop`]'s connection once it has moved to a thread).
pub fn serve_each(
    ws: &mut WebSocket,
    on_message: impl Fn(&WebSocket, Message) -> Result<(), WsError>,
) {
    while let Ok(Some(m)) = ws.read_message() {
        if on_message(ws, m).is_err() {
            break;
        }
    }
}

/// Echoes every message back with its type (text as text, binary as
/// binary) until the peer closes.
pub fn echo(mut ws: WebSocket) {
    serve_each(&mut ws, echo_message);
}

/// The echo of one message: what [`echo`] does for each, and what the
/// [`EventLoop`] of [`echo_service`] does for each message.
pub fn echo_message(ws: &WebSocket, m: Message) -> Result<(), WsError> {
    ws.send(&m)
}

/// The original tutorial's example: receives a name, answers
/// `Hello {name}!`, logs `< name` and `> Hello name!` to `log`, and closes
/// the connection normally (1000), as Python's `websockets` does when the
/// handler returns.
pub fn hello(mut ws: WebSocket, log: &mut dyn Write) {
    let name = match ws.read_message() {
        Ok(Some(Message::Text(name))) => name,
        Ok(Some(Message::Binary(_))) => {
            let _ = ws.close(close::UNSUPPORTED_DATA, "send your name as text");
            return;
        }
        Ok(None) | Err(_) => return,
    };
    let _ = writeln!(log, "< {name}");
    let greeting = format!("Hello {name}!");
    if ws.send_text(&greeting).is_ok() {
        let _ = writeln!(log, "> {greeting}");
    }
    let _ = log.flush();
    let _ = ws.close(close::NORMAL, "");
}

/// A service that accepts WebSocket handshakes on any path and echoes.
/// The connections are served by one [`EventLoop`] (a context switch per
/// message saved); where there is no epoll, by a thread each ([`echo`]).
pub fn echo_service(
    cfg: HandshakeConfig,
) -> impl Fn(&mut Request<'_>) -> Response + Send + Sync + 'static {
    let event_loop = match EventLoop::start(echo_message) {
        Ok(l) => Some(Arc::new(l)),
        Err(e) => {
            eprintln!("no WebSocket event loop ({e}): a thread per WebSocket instead");
            None
        }
    };
    move |req: &mut Request<'_>| match &event_loop {
        Some(l) => {
            let l = l.clone();
            handshake::accept_owned(req, &cfg, move |ws, live| l.add(ws, live))
        }
        None => handshake::accept(req, &cfg, echo),
    }
}

/// A service that accepts WebSocket handshakes on any path and greets,
/// logging to stdout.
pub fn hello_service(
    cfg: HandshakeConfig,
) -> impl Fn(&mut Request<'_>) -> Response + Send + Sync + 'static {
    handshake::service(cfg, |ws| hello(ws, &mut std::io::stdout()))
}
