//! Chapter 1. See `chapters/01-*.md`.

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    Vec::new()
}
