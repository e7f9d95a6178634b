//! The services the chapter's binaries serve, as library functions so
//! that chapter 9 serves the same echo and hello (`/ws/echo`, `/ws/hello`),
//! each connection on a thread of its own.

use std::io::Write;

use super::close;
use super::handshake::{self, HandshakeConfig};
use super::message::Message;
use super::socket::WebSocket;
use crate::ch04_methods_and_routing::{Request, Response};

/// Answers each message with what `answer` makes of it (nothing, for
/// `None`) until the connection ends or an answer cannot be sent.
pub fn serve_each(ws: &mut WebSocket, answer: impl Fn(Message) -> Option<Message>) {
    while let Ok(Some(m)) = ws.read_message() {
        if let Some(reply) = answer(m)
            && ws.send(&reply).is_err()
        {
            break;
        }
    }
}

/// Echoes every message back with its type (text as text, binary as
/// binary) until the peer closes.
pub fn echo(mut ws: WebSocket) {
    serve_each(&mut ws, echo_message);
}

/// The echo's answer to one message: the message itself.
pub fn echo_message(m: Message) -> Option<Message> {
    Some(m)
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

/// A service that accepts WebSocket handshakes on any path and echoes,
/// each connection on a thread of its own.
pub fn echo_service(
    cfg: HandshakeConfig,
) -> impl Fn(&mut Request<'_>) -> Response + Send + Sync + 'static {
    handshake::service(cfg, echo)
}

/// A service that accepts WebSocket handshakes on any path and greets,
/// logging to stdout.
pub fn hello_service(
    cfg: HandshakeConfig,
) -> impl Fn(&mut Request<'_>) -> Response + Send + Sync + 'static {
    handshake::service(cfg, |ws| hello(ws, &mut std::io::stdout()))
}
