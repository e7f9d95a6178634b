//! Chapter 9: a small Tornado-style framework and a live chat. See
//! `chapters/09-capstone.md`.
//!
//! * [`app`]: [`app::App`], routes, WebSocket endpoints and a static
//!   fallback side by side, composed from chapters 4 to 8;
//! * [`site`]: the book's own application, what the `wirebook` binary serves;
//! * [`json`]: a JSON object writer and a small parser (RFC 8259);
//! * [`protocol`]: the chat's messages, both ways;
//! * [`room`]: members, bounded outboxes, one order of events for all,
//!   rate limits;
//! * [`chat`]: one WebSocket connection joined to the room (reader + writer);
//! * [`mod@checks`]: the exercises' black-box checks.

pub mod app;
pub mod chat;
pub mod checks;
pub mod json;
pub mod protocol;
pub mod room;
pub mod site;

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    checks::all()
}
