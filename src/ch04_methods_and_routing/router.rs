//! Routing in the style of Tornado's `Application`: a table of path
//! patterns, each with handlers for the methods it supports.
//!
//! ```
//! use wirebook::ch04_methods_and_routing::{Response, Router};
//! let mut app = Router::new();
//! app.route("/hello").get(|_| Response::text(200, "Hello, world"));
//! app.route("/notes/{id}")
//!     .get(|req| Response::text(200, format!("note {}", req.param("id").unwrap())))
//!     .delete(|_| Response::new(204));
//! ```
//!
//! What the router does so handlers do not have to:
//!
//! * no pattern matches: `404 Not Found`;
//! * the pattern matches but has no handler for the method: `405 Method Not
//!   Allowed` with an `Allow` field listing the ones it has (RFC 9110
//!   §15.5.6 says a 405 MUST have it);
//! * `HEAD` runs the `GET` handler (the connection drops the body);
//! * `OPTIONS` answers `204` with `Allow`, unless the route handles it;
//!   `OPTIONS *` asks about the server as a whole.
//!
//! A method the server does not know at all never gets here: the
//! connection answers it with 501.

use std::sync::Arc;

use super::{Method, Request, Response, Service};
use crate::ch03_urls_and_clients::percent::percent_decode_str;

/// One segment of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Matches exactly this (decoded) text.
    Literal(String),
    /// `{name}`: matches one non-empty segment.
    Capture(String),
    /// `{name*}` at the end: matches the rest of the path (possibly empty).
    Rest(String),
}

/// A path pattern: `/notes/{id}`, `/static/{path*}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    segments: Vec<Segment>,
}

impl Pattern {
    /// Parses a pattern. Panics on a malformed one: patterns are written by
    /// the programmer, so that is a bug found at startup.
    pub fn parse(text: &str) -> Pattern {
        assert!(text.starts_with('/'), "pattern `{text}` must start with /");
        let parts: Vec<&str> = text[1..].split('/').collect();
        let mut segments = Vec::new();
        for (i, p) in parts.iter().enumerate() {
            if let Some(name) = p.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                if let Some(name) = name.strip_suffix('*') {
                    assert!(
                        i == parts.len() - 1,
                        "`{{{name}*}}` must be the last segment of `{text}`"
                    );
                    segments.push(Segment::Rest(name.to_string()));
                } else {
                    segments.push(Segment::Capture(name.to_string()));
                }
            } else {
                assert!(
                    !p.contains(['{', '}']),
                    "bad segment `{p}` in pattern `{text}`"
                );
                segments.push(Segment::Literal(p.to_string()));
            }
        }
        Pattern {
            text: text.to_string(),
            segments,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Matches a path (still percent-encoded, as in [`Request::path`]).
    /// Each segment is decoded on its own, so `%2F` inside a capture is a
    /// slash in the value, never a segment boundary. `None` if it does not
    /// match; `Some(Err)` if it would, but a segment is badly encoded.
    pub fn matches(&self, path: &str) -> Option<Result<Vec<(String, String)>, ()>> {
        exercise!(
            "ex_ch04_route_match",
            ch04_route_match::matches(&self.text, path)
        );
        let rest = path.strip_prefix('/')?;
        let mut parts = rest.split('/');
        let mut params = Vec::new();
        let mut bad = false;
        for seg in &self.segments {
            match seg {
                Segment::Rest(name) => {
                    let tail: Vec<&str> = parts.by_ref().collect();
                    let decoded: Result<Vec<String>, _> =
                        tail.iter().map(|p| percent_decode_str(p)).collect();
                    match decoded {
                        Ok(d) => params.push((name.clone(), d.join("/"))),
                        Err(_) => bad = true,
                    }
                    return Some(if bad { Err(()) } else { Ok(params) });
                }
                Segment::Literal(lit) => {
                    let p = parts.next()?;
                    let same = if p.contains('%') {
                        percent_decode_str(p).is_ok_and(|d| d == *lit)
                    } else {
                        p == lit
                    };
                    if !same {
                        return None;
                    }
                }
                Segment::Capture(name) => {
                    let p = parts.next()?;
                    if p.is_empty() {
                        return None;
                    }
                    match percent_decode_str(p) {
                        Ok(d) => params.push((name.clone(), d)),
                        Err(_) => bad = true,
                    }
                }
            }
        }
        if parts.next().is_some() {
            return None;
        }
        Some(if bad { Err(()) } else { Ok(params) })
    }
}

/// A pattern and its handlers, one per method.
pub struct Route {
    pattern: Pattern,
    handlers: Vec<(Method, Arc<dyn Service>)>,
}

/// `route.get(f)` for `route.method(Method::Get, f)`, and so on: one
/// shortcut for each method a handler commonly implements.
macro_rules! shortcuts {
    ($($name:ident => $method:ident,)*) => {$(
        #[doc = concat!("Handles [`Method::", stringify!($method), "`] with a closure.")]
        pub fn $name<F>(&mut self, h: F) -> &mut Route
        where
            F: Fn(&mut Request<'_>) -> Response + Send + Sync + 'static,
        {
            self.method(Method::$method, h)
        }
    )*};
}

impl Route {
    /// Handles `method` with a closure (replacing an earlier handler).
    pub fn method<F>(&mut self, method: Method, handler: F) -> &mut Route
    where
        F: Fn(&mut Request<'_>) -> Response + Send + Sync + 'static,
    {
        self.service(method, handler)
    }

    /// Handles `method` with any [`Service`] (a static directory, another
    /// router).
    pub fn service(&mut self, method: Method, service: impl Service) -> &mut Route {
        self.handlers.retain(|(m, _)| *m != method);
        self.handlers.push((method, Arc::new(service)));
        self
    }

    shortcuts! {
        get => Get,
        post => Post,
        put => Put,
        delete => Delete,
        patch => Patch,
        options => Options,
    }

    fn handler(&self, m: Method) -> Option<&Arc<dyn Service>> {
        self.handlers.iter().find(|(x, _)| *x == m).map(|(_, h)| h)
    }

    /// The methods this route answers, in `Allow` order: its own, plus HEAD
    /// when it has GET, plus OPTIONS.
    pub fn allowed(&self) -> Vec<Method> {
        Method::ALL
            .into_iter()
            .filter(|&m| {
                self.handler(m).is_some()
                    || (m == Method::Head && self.handler(Method::Get).is_some())
                    || m == Method::Options
            })
            .collect()
    }

    pub fn pattern(&self) -> &Pattern {
        &self.pattern
    }
}

/// `GET, HEAD, OPTIONS`.
pub fn allow_value(methods: &[Method]) -> String {
    methods
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The routing table. Routes are tried in the order they were added; the
/// first whose pattern matches the path wins.
#[derive(Default)]
pub struct Router {
    routes: Vec<Route>,
    fallback: Option<Arc<dyn Service>>,
}

impl Router {
    pub fn new() -> Router {
        Router::default()
    }

    /// Adds a route for `pattern` (or returns the existing one) to attach
    /// handlers to.
    pub fn route(&mut self, pattern: &str) -> &mut Route {
        let i = match self.routes.iter().position(|r| r.pattern.text == pattern) {
            Some(i) => i,
            None => {
                self.routes.push(Route {
                    pattern: Pattern::parse(pattern),
                    handlers: Vec::new(),
                });
                self.routes.len() - 1
            }
        };
        &mut self.routes[i]
    }

    /// What answers a path no route matches (default: 404).
    pub fn fallback(&mut self, service: impl Service) -> &mut Router {
        self.fallback = Some(Arc::new(service));
        self
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// What `OPTIONS *` lists: the methods some route answers, plus those
    /// the fallback's own answer to `OPTIONS *` lists. A method that every
    /// resource refuses (TRACE, PATCH in most apps) is not the server's.
    fn server_methods(&self, req: &mut Request<'_>) -> Vec<Method> {
        let from_fallback = match &self.fallback {
            Some(f) => {
                let r = f.call(req);
                match r.headers.get("allow") {
                    Some(allow) if (200..300).contains(&r.status) => allow.to_string(),
                    _ => String::new(),
                }
            }
            None => String::new(),
        };
        Method::ALL
            .into_iter()
            .filter(|m| {
                self.routes.iter().any(|r| r.allowed().contains(m))
                    || from_fallback.split(',').any(|t| t.trim() == m.as_str())
                    || *m == Method::Options
            })
            .collect()
    }
}

impl Service for Router {
    fn call(&self, req: &mut Request<'_>) -> Response {
        if req.path == "*" {
            // `OPTIONS *`: the server's capabilities, not a resource's
            // (RFC 9110 §9.3.7).
            return if req.method == Method::Options {
                Response::new(204).header("Allow", allow_value(&self.server_methods(req)))
            } else {
                Response::error(400, "`*` is only a target for OPTIONS")
            };
        }
        for route in &self.routes {
            let params = match route.pattern.matches(&req.path) {
                None => continue,
                Some(Err(())) => return Response::error(400, "malformed percent-encoding in path"),
                Some(Ok(p)) => p,
            };
            req.params = params;
            let handler = route.handler(req.method).or_else(|| {
                (req.method == Method::Head)
                    .then(|| route.handler(Method::Get))
                    .flatten()
            });
            return match handler {
                Some(h) => h.call(req),
                None if req.method == Method::Options => {
                    Response::new(204).header("Allow", allow_value(&route.allowed()))
                }
                None => Response::error(
                    405,
                    format_args!("{} does not support {}", route.pattern.text, req.method),
                )
                .header("Allow", allow_value(&route.allowed())),
            };
        }
        match &self.fallback {
            Some(f) => f.call(req),
            None => Response::error(404, format_args!("nothing at {}", req.path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> Router {
        let mut r = Router::new();
        r.route("/hello").get(|_| Response::text(200, "hi"));
        r.route("/notes/{id}")
            .get(|req| Response::text(200, req.param("id").unwrap().to_string()))
            .delete(|_| Response::new(204));
        r.route("/files/{path*}")
            .get(|req| Response::text(200, req.param("path").unwrap().to_string()));
        r
    }

    fn call(m: Method, target: &str) -> Response {
        app().call(&mut Request::for_test(m, target, &[("Host", "x")], b""))
    }

    #[test]
    fn captures_are_decoded_per_segment() {
        let r = call(Method::Get, "/notes/a%2Fb%20c");
        assert_eq!(r.body_bytes().unwrap(), b"a/b c");
        let r = call(Method::Get, "/files/a/b%20c/");
        assert_eq!(r.body_bytes().unwrap(), b"a/b c/");
        assert_eq!(call(Method::Get, "/notes/").status, 404);
        assert_eq!(call(Method::Get, "/notes/1/2").status, 404);
        assert_eq!(call(Method::Get, "/notes/%zz").status, 400);
    }

    #[test]
    fn methods_405_with_allow_and_options() {
        let r = call(Method::Put, "/notes/1");
        assert_eq!(r.status, 405);
        assert_eq!(r.headers.get("allow"), Some("GET, HEAD, DELETE, OPTIONS"));
        let r = call(Method::Options, "/notes/1");
        assert_eq!(r.status, 204);
        assert_eq!(r.headers.get("allow"), Some("GET, HEAD, DELETE, OPTIONS"));
        assert_eq!(call(Method::Head, "/hello").status, 200);
        let r = call(Method::Options, "*");
        assert_eq!(r.status, 204);
        // Only what some route answers: no POST, PUT, TRACE or PATCH here.
        assert_eq!(r.headers.get("allow"), Some("GET, HEAD, DELETE, OPTIONS"));
        assert_eq!(call(Method::Get, "/nope").status, 404);
    }
}
