//! Chapter 9. See `chapters/09-*.md`.

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    Vec::new()
}
