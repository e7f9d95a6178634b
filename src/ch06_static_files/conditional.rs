//! Validators and conditional requests (RFC 9110 §8.8, §13).
//!
//! A cache (or a browser) that already has a copy of a file asks "send it
//! only if it changed": `If-None-Match: "etag"` or `If-Modified-Since:
//! date`. The answer `304 Not Modified` has no body, so revalidating a large
//! file costs one small round trip.
//!
//! Our `ETag` is strong (§8.8.3): it is built from the file's size,
//! modification time in nanoseconds and inode number, so any write that
//! changes the bytes changes the tag (a rewrite within the same nanosecond
//! that keeps the size is the theoretical exception every file server
//! accepts; nginx uses only size and seconds).

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::ch02_http_by_hand::date::{format_http_date, parse_http_date};
use crate::ch02_http_by_hand::head::Headers;
use crate::ch04_methods_and_routing::Method;

/// A file's validators, as sent in `ETag` and `Last-Modified`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// A strong entity-tag, quotes included: `"3e8-17f2a9c1d0e4b000-1a2b"`.
    pub etag: String,
    /// Modification time, truncated to whole seconds (HTTP dates have no
    /// fractions).
    pub modified: SystemTime,
}

impl Validators {
    pub fn from_metadata(meta: &Metadata) -> Validators {
        let mtime = meta.modified().unwrap_or(UNIX_EPOCH);
        let nanos = mtime
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        Validators {
            etag: format!("\"{:x}-{:x}-{:x}\"", meta.len(), nanos, meta.ino()),
            modified: truncate_to_seconds(mtime),
        }
    }

    /// The `Last-Modified` value.
    pub fn last_modified(&self) -> String {
        format_http_date(self.modified)
    }
}

fn truncate_to_seconds(t: SystemTime) -> SystemTime {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        Err(_) => UNIX_EPOCH,
    }
}

/// One entity-tag of a list: weak or strong, and its opaque part with quotes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityTag<'a> {
    pub weak: bool,
    /// `"xyz"`, quotes included.
    pub tag: &'a str,
}

/// What `If-Match` / `If-None-Match` hold: `*` or a list of entity-tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagList<'a> {
    Any,
    Tags(Vec<EntityTag<'a>>),
}

/// Parses `*` or `#entity-tag` (§8.8.3). Entity-tags may contain commas, so
/// this cannot just split on `,`. `None` if malformed (the field is then
/// ignored).
pub fn parse_tag_list(value: &str) -> Option<TagList<'_>> {
    exercise!("ex_ch06_etag_list", ch06_etag_list::parse_tag_list(value));
    let v = value.trim_matches([' ', '\t']);
    if v == "*" {
        return Some(TagList::Any);
    }
    let mut tags = Vec::new();
    let mut rest = v;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let weak = rest.starts_with("W/");
        if weak {
            rest = &rest[2..];
        }
        if !rest.starts_with('"') {
            return None;
        }
        let close = rest[1..].find('"')? + 2;
        let tag = &rest[..close];
        if !tag[1..close - 1]
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x7e).contains(&b) || b >= 0x80)
        {
            return None;
        }
        tags.push(EntityTag { weak, tag });
        rest = rest[close..].trim_start_matches([' ', '\t']);
        if !rest.is_empty() && !rest.starts_with(',') {
            return None;
        }
    }
    Some(TagList::Tags(tags))
}

/// Weak comparison (§8.8.3.2): opaque parts equal, W/ or not.
fn weak_match(list: &TagList<'_>, etag: &str) -> bool {
    match list {
        TagList::Any => true,
        TagList::Tags(t) => t.iter().any(|e| e.tag == etag),
    }
}

/// Strong comparison: both strong and equal.
fn strong_match(list: &TagList<'_>, etag: &str) -> bool {
    match list {
        TagList::Any => true,
        TagList::Tags(t) => t.iter().any(|e| !e.weak && e.tag == etag),
    }
}

/// The outcome of evaluating preconditions (§13.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// Go on and answer normally.
    Proceed,
    /// `304 Not Modified` (GET and HEAD only).
    NotModified,
    /// `412 Precondition Failed`.
    Failed,
}

/// Evaluates `If-Match`, `If-Unmodified-Since`, `If-None-Match` and
/// `If-Modified-Since` in the order of RFC 9110 §13.2.2. In particular
/// `If-Modified-Since` is ignored when `If-None-Match` is present
/// (§13.1.3): the entity-tag is the more precise validator.
pub fn evaluate(method: Method, headers: &Headers, v: &Validators) -> Precondition {
    let get_or_head = matches!(method, Method::Get | Method::Head);
    // Step 1 and 2: If-Match, else If-Unmodified-Since.
    if let Some(im) = headers.get("if-match") {
        match parse_tag_list(im) {
            Some(list) if strong_match(&list, &v.etag) => {}
            _ => return Precondition::Failed,
        }
    } else if let Some(ius) = headers.get("if-unmodified-since").and_then(parse_http_date)
        && v.modified > ius
    {
        return Precondition::Failed;
    }
    // Step 3 and 4: If-None-Match, else If-Modified-Since.
    if let Some(inm) = headers.get("if-none-match") {
        if let Some(list) = parse_tag_list(inm)
            && weak_match(&list, &v.etag)
        {
            return if get_or_head {
                Precondition::NotModified
            } else {
                Precondition::Failed
            };
        }
    } else if get_or_head
        && let Some(ims) = headers.get("if-modified-since").and_then(parse_http_date)
        && v.modified <= ims
    {
        return Precondition::NotModified;
    }
    Precondition::Proceed
}

/// Whether an `If-Range` value still matches the file, so the `Range` may
/// be honoured (§13.1.5). An entity-tag must match *strongly*; a date must
/// equal `Last-Modified` exactly. Anything else: send the whole file.
pub fn if_range_matches(value: &str, v: &Validators) -> bool {
    let value = value.trim_matches([' ', '\t']);
    if value.starts_with('"') || value.starts_with("W/") {
        return matches!(parse_tag_list(value), Some(TagList::Tags(t))
            if t.len() == 1 && !t[0].weak && t[0].tag == v.etag);
    }
    parse_http_date(value) == Some(v.modified)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v() -> Validators {
        Validators {
            etag: "\"abc\"".into(),
            modified: UNIX_EPOCH + Duration::from_secs(1_000_000_000),
        }
    }

    fn h(fields: &[(&str, &str)]) -> Headers {
        let mut h = Headers::new();
        for (n, val) in fields {
            h.append(*n, *val);
        }
        h
    }

    const BEFORE: &str = "Sat, 08 Sep 2001 01:46:39 GMT"; // 1 s before
    const AT: &str = "Sun, 09 Sep 2001 01:46:40 GMT";

    #[test]
    fn tag_lists_parse() {
        assert_eq!(parse_tag_list("*"), Some(TagList::Any));
        let l = parse_tag_list(r#""a", W/"b" ,"c,d""#).unwrap();
        assert_eq!(
            l,
            TagList::Tags(vec![
                EntityTag {
                    weak: false,
                    tag: "\"a\""
                },
                EntityTag {
                    weak: true,
                    tag: "\"b\""
                },
                EntityTag {
                    weak: false,
                    tag: "\"c,d\""
                },
            ])
        );
        assert_eq!(parse_tag_list("abc"), None);
        assert_eq!(parse_tag_list("\"abc"), None);
        assert_eq!(parse_tag_list("\"a\" \"b\""), None);
    }

    #[test]
    fn if_none_match_gives_304_with_weak_comparison() {
        let p = |f: &[(&str, &str)]| evaluate(Method::Get, &h(f), &v());
        assert_eq!(
            p(&[("If-None-Match", "\"abc\"")]),
            Precondition::NotModified
        );
        assert_eq!(
            p(&[("If-None-Match", "W/\"abc\"")]),
            Precondition::NotModified
        );
        assert_eq!(
            p(&[("If-None-Match", "\"x\", \"abc\"")]),
            Precondition::NotModified
        );
        assert_eq!(p(&[("If-None-Match", "*")]), Precondition::NotModified);
        assert_eq!(p(&[("If-None-Match", "\"other\"")]), Precondition::Proceed);
        assert_eq!(
            evaluate(Method::Put, &h(&[("If-None-Match", "*")]), &v()),
            Precondition::Failed
        );
    }

    #[test]
    fn if_modified_since_is_ignored_when_if_none_match_is_present() {
        let p = |f: &[(&str, &str)]| evaluate(Method::Get, &h(f), &v());
        assert_eq!(p(&[("If-Modified-Since", AT)]), Precondition::NotModified);
        assert_eq!(p(&[("If-Modified-Since", BEFORE)]), Precondition::Proceed);
        assert_eq!(
            p(&[("If-Modified-Since", "garbage")]),
            Precondition::Proceed
        );
        // §13.1.3: a non-matching If-None-Match wins over a matching date.
        assert_eq!(
            p(&[("If-None-Match", "\"other\""), ("If-Modified-Since", AT)]),
            Precondition::Proceed
        );
        // If-Modified-Since applies to GET and HEAD only.
        assert_eq!(
            evaluate(Method::Post, &h(&[("If-Modified-Since", AT)]), &v()),
            Precondition::Proceed
        );
    }

    #[test]
    fn if_match_and_if_unmodified_since_give_412() {
        let p = |f: &[(&str, &str)]| evaluate(Method::Get, &h(f), &v());
        assert_eq!(p(&[("If-Match", "\"abc\"")]), Precondition::Proceed);
        assert_eq!(p(&[("If-Match", "W/\"abc\"")]), Precondition::Failed);
        assert_eq!(p(&[("If-Match", "\"zz\"")]), Precondition::Failed);
        assert_eq!(p(&[("If-Unmodified-Since", BEFORE)]), Precondition::Failed);
        assert_eq!(p(&[("If-Unmodified-Since", AT)]), Precondition::Proceed);
    }

    #[test]
    fn if_range_needs_a_strong_match_or_the_exact_date() {
        assert!(if_range_matches("\"abc\"", &v()));
        assert!(!if_range_matches("W/\"abc\"", &v()));
        assert!(!if_range_matches("\"abd\"", &v()));
        assert!(if_range_matches(AT, &v()));
        assert!(!if_range_matches(BEFORE, &v()));
        assert!(!if_range_matches("nonsense", &v()));
    }

    #[test]
    fn etag_changes_with_size_and_time() {
        let t = crate::testkit::TempDir::new("etag");
        let p = t.join("f");
        std::fs::write(&p, "one").unwrap();
        let a = Validators::from_metadata(&std::fs::metadata(&p).unwrap());
        std::fs::write(&p, "three").unwrap();
        let b = Validators::from_metadata(&std::fs::metadata(&p).unwrap());
        assert_ne!(a.etag, b.etag);
        assert!(a.etag.starts_with('"') && a.etag.ends_with('"'));
    }
}
