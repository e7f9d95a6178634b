//! Chapter 4: methods, bodies and routing. See
//! `chapters/04-methods-and-routing.md`.
//!
//! * [`method`]: the request methods and their properties;
//! * [`request`]: a request and its lazily read body;
//! * [`response`]: a response as a handler builds it;
//! * [`Service`]: anything that turns a request into a response;
//! * [`parse`]: `httparse` as the production head parser;
//! * [`framing`]: where a request body ends (RFC 9112 §6);
//! * [`readbuf`]: the bytes read from a connection and not yet used;
//! * [`reader`]: the request reader, a sans-I/O step from bytes to a request;
//! * [`exchange`]: one request through its handler;
//! * [`send`]: writing a response with the right framing;
//! * [`access_log`]: one line per response;
//! * [`conn`]: one keep-alive connection, request after request;
//! * [`router`]: path patterns and per-method handlers, Tornado style;
//! * [`notes`]: the chapter's application.

pub mod access_log;
pub mod checks;
pub mod conn;
pub mod exchange;
pub mod framing;
pub mod method;
pub mod notes;
pub mod parse;
pub mod readbuf;
pub mod reader;
pub mod request;
pub mod response;
pub mod router;
pub mod send;
pub mod sendfile;

pub use method::Method;
pub use request::{BodyError, Request, RequestBody};
pub use response::{Body, Response, Upgraded};
pub use router::Router;

/// Anything that answers requests: a router, a static directory, a closure.
/// `Send + Sync` because the server calls it from many threads at once.
pub trait Service: Send + Sync + 'static {
    fn call(&self, req: &mut Request<'_>) -> Response;
}

impl<F> Service for F
where
    F: Fn(&mut Request<'_>) -> Response + Send + Sync + 'static,
{
    fn call(&self, req: &mut Request<'_>) -> Response {
        self(req)
    }
}

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    checks::checks()
}
