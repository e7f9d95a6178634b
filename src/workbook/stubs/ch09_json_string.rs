//! Exercise ch09_json_string: a JSON string literal (RFC 8259 §7).
//! Reread chapters/09-capstone.md, "The protocol".
//! The reference is `write_str` in src/ch09_capstone/json.rs.

/// Appends `s` to `out` as a JSON string literal, quotes included.
///
/// RFC 8259 §7: `"` and `\` must be escaped, and so must every control
/// character U+0000 to U+001F (`\n`, `\r`, `\t`, `\b`, `\f` have short
/// forms; the others are `\u00XX`). Everything else may be written as it
/// is, UTF-8 included. Browsers parse what you write with `JSON.parse`, so
/// a nickname like `a"}` must not end the string.
pub fn write_str(out: &mut String, s: &str) {
    todo!("quote {s:?}")
}
