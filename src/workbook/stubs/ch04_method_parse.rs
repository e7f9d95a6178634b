//! Exercise ch04_method_parse: method names (RFC 9110 §9).
//! Reread chapters/04-methods-and-routing.md, "Methods and routing".
//! The reference is `Method::parse` in src/ch04_methods_and_routing/method.rs.

use crate::ch04_methods_and_routing::method::Method;

/// The method named `s`, if it is one of the nine of RFC 9110 §9 and
/// RFC 5789 (`GET HEAD POST PUT DELETE CONNECT OPTIONS TRACE PATCH`).
/// Method names are case-sensitive: `get` is not `GET`, and neither is
/// `GET ` or `""`.
pub fn parse(s: &str) -> Option<Method> {
    todo!("which method is {s:?}?")
}
