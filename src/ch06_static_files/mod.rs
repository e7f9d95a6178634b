//! Chapter 6. See `chapters/06-*.md`.

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    Vec::new()
}
