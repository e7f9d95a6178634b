//! Chapter 7: downloads and uploads. See `chapters/07-downloads-and-uploads.md`.

pub mod checks;
pub mod client;
pub mod download;
pub mod partfile;
pub mod progress;
pub mod receive;
pub mod upload;

pub use receive::{FilesWithUploads, UploadDir};

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    checks::all()
}
