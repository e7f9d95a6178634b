//! Chapter 7. See `chapters/07-*.md`.

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    Vec::new()
}
