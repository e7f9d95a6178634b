//! Exercise ch02_is_token: what a method or a field name may be (RFC 9110 §5.6.2).
//! Reread chapters/02-http-by-hand.md, "1. What HTTP is, on the wire".
//! The reference is `is_token` in src/ch02_http_by_hand/head.rs.

/// Whether `s` is a token: one or more `tchar`s, where
///
/// ```text
/// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
///         "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
/// ```
///
/// No spaces, no colon, no control bytes, nothing above 0x7E. The parser
/// uses it for the method and for every field name.
pub fn is_token(s: &[u8]) -> bool {
    todo!("check every byte of {s:?}")
}
