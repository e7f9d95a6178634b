//! Range requests (RFC 9110 §14): the `Range` field, sans I/O.
//!
//! ```text
//! Range: bytes=0-499        first 500 bytes            (int-range)
//! Range: bytes=500-         from byte 500 to the end   (open int-range)
//! Range: bytes=-500         last 500 bytes             (suffix-range)
//! Range: bytes=0-0,-1       first and last byte        (several ranges)
//! ```
//!
//! A server MAY ignore `Range` (§14.2), and MUST ignore a malformed one
//! rather than fail the request: the answer is then the whole file, 200.
//! A well-formed set of which no range overlaps the file is answered with
//! 416 and `Content-Range: bytes */LEN` (§15.5.17).

/// An inclusive byte range `first..=last` of a representation, both ends
/// within it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub first: u64,
    pub last: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.last - self.first + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }

    /// The `Content-Range` value for this range of a `total`-byte file
    /// (RFC 9110 §14.4): `bytes 0-499/1234`.
    pub fn content_range(&self, total: u64) -> String {
        format!("bytes {}-{}/{}", self.first, self.last, total)
    }
}

/// `Content-Range` of a 416 answer: `bytes */1234`.
pub fn unsatisfied_content_range(total: u64) -> String {
    format!("bytes */{total}")
}

/// What a `Range` field asks for, resolved against the file's length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeRequest {
    /// Malformed, another unit, or nothing to do: send the whole file (200).
    Ignore,
    /// One range (several that overlap or touch are merged into one): 206.
    Single(ByteRange),
    /// Several disjoint ranges, sorted and merged.
    Multiple(Vec<ByteRange>),
    /// Well-formed, but no range overlaps the file: 416.
    Unsatisfiable,
}

/// At most this many ranges in one field; past that the field is ignored
/// (RFC 9110 §14.2 lets a server ignore requests for many small or
/// overlapping ranges, a known denial-of-service pattern).
pub const MAX_RANGES: usize = 16;

/// Parses a `Range` field value for a representation of `len` bytes.
pub fn parse_range(value: &str, len: u64) -> RangeRequest {
    exercise!("ex_ch06_range", ch06_range::parse_range(value, len));
    let value = value.trim_matches([' ', '\t']);
    let Some((unit, set)) = value.split_once('=') else {
        return RangeRequest::Ignore;
    };
    // Range units are case-insensitive (§14.1).
    if !unit.eq_ignore_ascii_case("bytes") {
        return RangeRequest::Ignore;
    }
    let mut specs = Vec::new();
    // 1#range-spec: a list; empty elements (`bytes=0-1,,2-3`) are allowed
    // by the list rule (§5.6.1) and skipped.
    for spec in set.split(',') {
        let spec = spec.trim_matches([' ', '\t']);
        if spec.is_empty() {
            continue;
        }
        match parse_spec(spec) {
            Some(s) => specs.push(s),
            None => return RangeRequest::Ignore,
        }
        if specs.len() > MAX_RANGES {
            return RangeRequest::Ignore;
        }
    }
    if specs.is_empty() {
        return RangeRequest::Ignore;
    }
    // An empty file has no byte to select: ranges make no sense, send it whole.
    if len == 0 {
        return RangeRequest::Ignore;
    }
    let mut ranges: Vec<ByteRange> = specs.into_iter().filter_map(|s| s.resolve(len)).collect();
    if ranges.is_empty() {
        return RangeRequest::Unsatisfiable;
    }
    ranges.sort_by_key(|r| r.first);
    let mut merged: Vec<ByteRange> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(m) if r.first <= m.last.saturating_add(1) => m.last = m.last.max(r.last),
            _ => merged.push(r),
        }
    }
    if merged.len() == 1 {
        RangeRequest::Single(merged[0])
    } else {
        RangeRequest::Multiple(merged)
    }
}

/// One range-spec before the length is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `first-` or `first-last`.
    Int { first: u64, last: Option<u64> },
    /// `-n`: the last n bytes.
    Suffix(u64),
}

impl Spec {
    /// The part of a `len`-byte file it selects, if any (§14.1.1: an
    /// int-range is satisfiable if `first < len`; a suffix-range if `n > 0`;
    /// `last` past the end is clipped to the end).
    fn resolve(self, len: u64) -> Option<ByteRange> {
        match self {
            Spec::Int { first, last } => (first < len).then(|| ByteRange {
                first,
                last: last.unwrap_or(u64::MAX).min(len - 1),
            }),
            Spec::Suffix(0) => None,
            Spec::Suffix(n) => Some(ByteRange {
                first: len.saturating_sub(n),
                last: len - 1,
            }),
        }
    }
}

fn digits(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // A number too large for u64 is still a well-formed number; clamp it, so
    // `bytes=99999999999999999999-` is merely unsatisfiable.
    Some(s.parse().unwrap_or(u64::MAX))
}

fn parse_spec(spec: &str) -> Option<Spec> {
    let (a, b) = spec.split_once('-')?;
    if a.is_empty() {
        return Some(Spec::Suffix(digits(b)?));
    }
    let first = digits(a)?;
    if b.is_empty() {
        return Some(Spec::Int { first, last: None });
    }
    let last = digits(b)?;
    // `last < first` makes the whole field invalid (§14.1.1).
    (last >= first).then_some(Spec::Int {
        first,
        last: Some(last),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use RangeRequest::*;

    fn r(first: u64, last: u64) -> ByteRange {
        ByteRange { first, last }
    }

    #[test]
    fn single_open_and_suffix_ranges() {
        assert_eq!(parse_range("bytes=0-499", 1000), Single(r(0, 499)));
        assert_eq!(parse_range("bytes=500-", 1000), Single(r(500, 999)));
        assert_eq!(parse_range("bytes=-200", 1000), Single(r(800, 999)));
        assert_eq!(parse_range("BYTES=1-1", 10), Single(r(1, 1)));
        // A last byte past the end is clipped; a suffix longer than the
        // file selects all of it.
        assert_eq!(parse_range("bytes=990-5000", 1000), Single(r(990, 999)));
        assert_eq!(parse_range("bytes=-5000", 1000), Single(r(0, 999)));
        assert_eq!(parse_range("bytes=999-999", 1000), Single(r(999, 999)));
    }

    #[test]
    fn unsatisfiable_ranges_are_416() {
        assert_eq!(parse_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=1000-2000", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(
            parse_range("bytes=99999999999999999999999-", 10),
            Unsatisfiable
        );
        assert_eq!(parse_range("bytes=2000-,-0", 1000), Unsatisfiable);
        assert_eq!(unsatisfied_content_range(1000), "bytes */1000");
    }

    #[test]
    fn malformed_ranges_are_ignored() {
        for v in [
            "bytes=5-1",
            "bytes=a-b",
            "bytes=1-2-3",
            "bytes=--1",
            "bytes=-",
            "bytes=",
            "bytes 0-1",
            "items=0-1",
            "bytes=+1-2",
            "bytes=0x10-",
            "",
        ] {
            assert_eq!(parse_range(v, 1000), Ignore, "{v:?}");
        }
        // An empty file has no ranges to give.
        assert_eq!(parse_range("bytes=0-", 0), Ignore);
    }

    #[test]
    fn several_ranges_are_sorted_and_merged() {
        assert_eq!(
            parse_range("bytes=0-0, -1", 10),
            Multiple(vec![r(0, 0), r(9, 9)])
        );
        assert_eq!(parse_range("bytes=5-9,0-4", 10), Single(r(0, 9)));
        assert_eq!(parse_range("bytes=0-5,3-7,,", 10), Single(r(0, 7)));
        assert_eq!(
            parse_range("bytes=0-1,4-5,2000-", 10),
            Multiple(vec![r(0, 1), r(4, 5)])
        );
        let many = (0..=MAX_RANGES)
            .map(|i| format!("{}-{}", i * 3, i * 3))
            .collect::<Vec<_>>();
        assert_eq!(
            parse_range(&format!("bytes={}", many.join(",")), 1000),
            Ignore
        );
    }

    #[test]
    fn content_range_format() {
        assert_eq!(r(0, 499).content_range(1234), "bytes 0-499/1234");
        assert_eq!(r(0, 499).len(), 500);
    }
}
