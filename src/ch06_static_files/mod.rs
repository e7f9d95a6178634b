//! Chapter 6: static files. See `chapters/06-static-files.md`.
//!
//! One concept per file:
//!
//! * [`path`]: request path → file path, safely (decode once, reject
//!   escapes, canonicalize, check containment by components);
//! * [`mime`]: `Content-Type` from the file name;
//! * [`conditional`]: `ETag`, `Last-Modified` and the 304/412 logic;
//! * [`range`]: the `Range` field and 206/416;
//! * [`listing`]: optional directory listings, HTML-escaped;
//! * [`files`]: [`StaticFiles`], the [`Service`](crate::ch04_methods_and_routing::Service)
//!   that puts them together;
//! * [`checks`](mod@checks): the exercises, run against any server.

pub mod checks;
pub mod conditional;
pub mod files;
pub mod listing;
pub mod lowat;
pub mod mime;
pub mod path;
pub mod range;

pub use files::StaticFiles;

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    checks::all()
}
