//! One request's exchange with its handler: build the [`Request`] over a
//! body source, call the [`Service`], and decide what the connection must
//! do after the response (close it? hand it to another protocol?).
//!
//! Where the body's bytes come from is the caller's business: any
//! `BufRead` will do (a socket with deadlines, a byte slice in a test).
//! That is what lets a later chapter feed the same exchange from a
//! different kind of connection.

use std::io::{self, BufRead, Read, Write};
use std::net::SocketAddr;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use super::reader::Ready;
use super::request::{Request, RequestBody};
use super::response::{Response, UpgradeFn};
use super::send::ReplyTo;
use super::{Method, Service};
use crate::ch02_http_by_hand::head::RequestHead;
use crate::ch03_urls_and_clients::body::BodyKind;
use crate::trace::{self, Dir};

/// How much of a body the handler did not read we are willing to read and
/// throw away to keep the connection; past this we close instead.
pub const MAX_DRAIN_BYTES: u64 = 64 * 1024;

/// A handler's response, and what the connection must do with it.
pub struct Answer {
    pub resp: Response,
    /// The request's head (for the access log).
    pub head: RequestHead,
    /// How to write the response; `reply.close` may still be set by the
    /// caller (a server shutting down closes after this response).
    pub reply: ReplyTo,
    /// Part of the request body is still unread: closing must linger, or
    /// the kernel's reset could destroy the response.
    pub body_unread: bool,
    /// After a `101`, what takes the connection over.
    pub upgrade: Option<UpgradeFn>,
    /// When the head was complete (the access log's clock).
    pub started: Instant,
}

/// Runs `service` on the request `ready`, its body read from `body`.
/// `continue_to` is where `100 Continue` goes if the client waits for it.
/// A panicking handler costs a 500 and the connection, nothing more.
pub fn answer<'c>(
    service: &dyn Service,
    ready: Ready,
    peer: SocketAddr,
    body: Box<dyn BufRead + 'c>,
    continue_to: Option<Box<dyn Write + 'c>>,
) -> Answer {
    let started = Instant::now();
    let Ready {
        head,
        method,
        body: kind,
        expects_continue,
        keep_alive,
    } = ready;
    let reply = ReplyTo {
        head_request: method == Method::Head,
        version: head.version,
        close: !keep_alive,
        keep_alive: None,
    };
    let continue_to = continue_to.filter(|_| expects_continue);
    let mut req = Request::new(
        method,
        head,
        peer,
        RequestBody::new(body, kind, continue_to),
    );
    let (resp, panicked) = match catch_unwind(AssertUnwindSafe(|| service.call(&mut req))) {
        Ok(r) => (r, false),
        Err(_) => (Response::error(500, "the handler failed"), true),
    };
    let keep = !reply.close && !panicked && finish_body(&mut req.body);
    if kind != BodyKind::Empty {
        trace::body(Dir::In, peer, req.body.bytes_read(), body_framing(kind));
    }
    let mut a = Answer {
        resp,
        body_unread: !req.body.is_done(),
        head: req.head,
        reply: ReplyTo {
            close: !keep,
            ..reply
        },
        upgrade: None,
        started,
    };
    take_upgrade(&mut a);
    a
}

/// Reads what the handler left of the body, if that is little, so the
/// connection can carry the next request. False: it must close.
fn finish_body(body: &mut RequestBody<'_>) -> bool {
    if body.is_done() {
        return true;
    }
    if body.awaiting_continue() {
        // The client is waiting for a go-ahead that will not come; it may
        // or may not send the body anyway, so the connection cannot be
        // reused (RFC 9110 §10.1.1).
        return false;
    }
    let drained = io::copy(&mut body.take(MAX_DRAIN_BYTES), &mut io::sink());
    drained.is_ok() && body.is_done()
}

/// A `101` carries what takes the connection over; without it, it is a
/// bug in the handler, and the client would wait for a protocol that
/// never starts: 500 instead.
fn take_upgrade(a: &mut Answer) {
    if a.resp.status != 101 {
        return;
    }
    a.upgrade = a.resp.upgrade.take();
    if a.upgrade.is_none() {
        a.resp = Response::error(500, "101 response without an upgrade handler");
        a.reply.close = true;
    }
}

fn body_framing(kind: BodyKind) -> &'static str {
    match kind {
        BodyKind::Chunked => "chunked",
        _ => "Content-Length",
    }
}
