//! Exercise ch09_json_parse: reading what the browser sends (RFC 8259).
//! Reread chapters/09-capstone.md, "The protocol" and "Limits".
//! The reference is `parse` in src/ch09_capstone/json.rs.

#[allow(unused_imports)]
use crate::ch09_capstone::json::{MAX_DEPTH, ParseError, Value};

/// Parses one JSON text: a value with optional whitespace (space, tab, LF,
/// CR) around it, and nothing else.
///
/// * `null`, `true`, `false`; numbers as `f64` (`-0.5e3`; no leading `+`,
///   no leading zeros like `01`, no `.5` or `5.`);
/// * strings with the escapes `\" \\ \/ \b \f \n \r \t \uXXXX`, where a
///   high surrogate must be followed by a low one (`\ud83d\ude00` is 😀) and
///   a lone surrogate is an error; raw control characters are errors;
/// * arrays and objects (members kept in order), nested at most
///   `MAX_DEPTH` deep, so that hostile input cannot overflow the stack;
///   no trailing commas.
///
/// Errors are `ParseError { offset, what }`: the byte offset where the text
/// stopped making sense and a short reason. Never panic.
pub fn parse(text: &str) -> Result<Value, ParseError> {
    todo!("parse {} bytes of JSON", text.len())
}
