//! Exercise ch04_route_match: matching a path against a route pattern.
//! Reread chapters/04-methods-and-routing.md, "Methods and routing".
//! The reference is `Pattern::matches` in src/ch04_methods_and_routing/router.rs.

#[allow(unused_imports)]
use crate::ch03_urls_and_clients::percent::percent_decode_str;

/// Matches a request path (still percent-encoded) against `pattern`, such
/// as `/notes/{id}` or `/static/{path*}`.
///
/// A pattern is `/` then segments separated by `/`: a literal (`notes`)
/// matches that exact segment (decoded); `{name}` captures one non-empty
/// segment; `{name*}`, last, captures the rest of the path, possibly empty,
/// slashes included. Every captured segment is percent-decoded on its own,
/// so a `%2F` inside a capture is a slash in the value, never a boundary.
///
/// * `None`: the path does not match (other segments, too few, too many);
/// * `Some(Ok(params))`: it matches; `params` are `(name, decoded value)`
///   in pattern order;
/// * `Some(Err(()))`: it would match, but a captured segment is badly
///   encoded (`%zz`): the router answers 400 rather than 404.
pub fn matches(pattern: &str, path: &str) -> Option<Result<Vec<(String, String)>, ()>> {
    todo!("does {path:?} match {pattern:?}?")
}
