//! Exercise ch03_dot_segments: `.` and `..` in a path (RFC 3986 §5.2.4).
//! Reread chapters/03-urls-and-clients.md, "Relative references".
//! The reference is `remove_dot_segments` in src/ch03_urls_and_clients/url.rs.

/// Removes the `.` and `..` segments of `path`: `/a/b/../c/./d` becomes
/// `/a/c/d`. A `..` removes the segment before it and never climbs above
/// the root (`/../a` is `/a`). A path that ends in `.` or `..` keeps its
/// trailing slash (`/a/b/..` is `/a/`). Segments that only look like dots
/// (`..a`, `.b`) are ordinary. A relative path (`a/../b`) works the same way.
///
/// RFC 3986 §5.2.4 gives the algorithm step by step (an input buffer and an
/// output buffer, rules A to E), and §5.4 has 42 examples of resolution
/// that use it.
pub fn remove_dot_segments(path: &str) -> String {
    todo!("remove the dot segments of {path:?}")
}
