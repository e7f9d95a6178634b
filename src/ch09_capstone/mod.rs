//! Chapter 9: a small Tornado-style framework and a live chat. See
//! `chapters/09-capstone.md`.
//!
//! * [`json`]: RFC 8259 string escaping and a small parser;
//! * [`protocol`]: the chat's messages, both ways;
//! * [`room`]: members, bounded outboxes, one order of events for all;
//! * [`live`]: the open WebSockets, to close with 1001 on shutdown;
//! * [`chat`]: one WebSocket connection joined to the room (reader + writer);
//! * [`checks`]: the exercises' black-box checks.

pub mod app;
pub mod chat;
pub mod checks;
pub mod json;
pub mod live;
pub mod protocol;
pub mod room;
pub mod site;

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    checks::all()
}
