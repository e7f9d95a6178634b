//! Chapter 4: methods, bodies and routing. See
//! `chapters/04-methods-and-routing.md`.
//!
//! * [`method`]: the request methods and their properties;
//! * [`request`]: a request and its lazily read body;
//! * [`response`]: a response as a handler builds it;
//! * [`Service`]: anything that turns a request into a response.

pub mod method;
pub mod request;
pub mod response;

pub use method::Method;
pub use request::{BodyError, Request, RequestBody};
pub use response::{Body, Response, Upgraded};

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
    Vec::new()
}
