//! Exercise ch06_etag_list: `If-None-Match` and `If-Match` values (RFC 9110 §8.8.3, §13.1).
//! Reread chapters/06-static-files.md, "4. Validators and 304".
//! The reference is `parse_tag_list` in src/ch06_static_files/conditional.rs.

#[allow(unused_imports)]
use crate::ch06_static_files::conditional::{EntityTag, TagList};

/// Parses `*` or a comma-separated list of entity-tags:
///
/// ```text
/// entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE
/// etagc      = %x21 / %x23-7E / obs-text (0x80-0xFF)
/// ```
///
/// `TagList::Any` for `*`; otherwise `TagList::Tags` with each tag's `weak`
/// flag and its text *with* the quotes (`"\"v1\""`), in order. Spaces and
/// tabs around elements and empty elements (`a, , b`) are allowed. An
/// entity-tag may contain a comma (`"a,b"`), so splitting on `,` is wrong.
/// A malformed value (no quotes, a space inside the quotes, junk between
/// tags) is `None`: the server then ignores the field.
pub fn parse_tag_list(value: &str) -> Option<TagList<'_>> {
    todo!("parse the entity-tags of {value:?}")
}
