//! Exercise ch06_range: the `Range` field (RFC 9110 §14.1–§14.2).
//! Reread chapters/06-static-files.md, "5. Ranges".
//! The reference is `parse_range` in src/ch06_static_files/range.rs.

#[allow(unused_imports)]
use crate::ch06_static_files::range::{ByteRange, MAX_RANGES, RangeRequest};

/// What `Range: value` asks of a representation of `len` bytes.
///
/// `bytes=` (the unit is case-insensitive) then a list of range-specs:
/// `first-last`, `first-` (to the end), `-n` (the last n bytes); all
/// numbers are decimal digits only. Then:
/// * malformed, another unit, more than `MAX_RANGES` specs, or `len == 0`:
///   `RangeRequest::Ignore` (send the whole file, 200);
/// * well-formed, but no spec selects a byte of the file (`first >= len`,
///   or `-0`): `RangeRequest::Unsatisfiable` (416);
/// * otherwise the selected ranges, with `last` clipped to `len - 1`,
///   sorted, and merged where they overlap or touch: one range is
///   `RangeRequest::Single`, several are `RangeRequest::Multiple`.
///
/// A spec with `last < first` is malformed. A number too large for `u64` is
/// still a number: it just selects nothing (or everything, as a `last`).
pub fn parse_range(value: &str, len: u64) -> RangeRequest {
    todo!("resolve {value:?} against {len} bytes")
}
