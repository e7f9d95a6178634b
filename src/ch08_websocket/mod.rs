//! Chapter 8: WebSocket from the handshake to the last frame (RFC 6455).
//! See `chapters/08-websocket.md`.
//!
//! One concept per file, in the order of the protocol's layers:
//!
//! * [`accept`]: the `Sec-WebSocket-Accept` key;
//! * [`handshake`]: the HTTP/1.1 upgrade, server and client side;
//! * [`frame`]: the frame codec, free of I/O;
//! * [`message`]: fragments into messages, UTF-8 checked on the way;
//! * [`incoming`]: received bytes into frames and messages, free of I/O;
//! * [`close`]: close codes, the close frame's payload, closing TCP;
//! * [`config`]: a connection's limits and timers, and its errors;
//! * [`readbuf`]: the received bytes, and room to read more;
//! * [`writer`]: the writing half, [`WsSender`], clonable across threads;
//! * [`socket`]: the blocking [`WebSocket`], the reading half, and the
//!   socket both halves share ([`SharedTcp`]);
//! * [`client`]: connecting to `ws://host:port/path`;
//! * [`live`]: the open WebSockets, counted against the cap and closed with
//!   1001 on shutdown ([`live::run_server`]);
//! * [`service`]: the echo and hello services the binaries serve;
//! * [`mod@checks`]: the exercises' black-box checks.

pub mod accept;
pub mod checks;
pub mod client;
pub mod close;
pub mod config;
pub mod frame;
pub mod handshake;
pub mod incoming;
pub mod live;
pub mod message;
pub mod readbuf;
pub mod service;
pub mod socket;
pub mod writer;

pub use accept::accept_key;
pub use config::{Config, WsError};
pub use frame::{Frame, OpCode, Role};
pub use handshake::{HandshakeConfig, OriginPolicy};
pub use live::{Live, LiveSockets};
pub use message::Message;
pub use service::{echo_service, hello_service};
pub use socket::{SharedTcp, WebSocket};
pub use writer::WsSender;

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    checks::all()
}
