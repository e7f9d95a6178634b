//! Chapter 7: downloads and uploads. See `chapters/07-downloads-and-uploads.md`.
//!
//! * [`partfile`]: a file that appears whole or not at all (temp, fsync, rename);
//! * [`progress`]: the progress bar (or plain lines when not on a terminal);
//! * [`download`]: `ch07_download`, resumable with `Range` + `If-Range`, on
//!   chapter 3's client;
//! * [`upload`]: `ch07_upload`, a streamed `PUT` with `Expect: 100-continue`;
//! * [`receive`]: the server side, `PUT /uploads/NAME` into a directory;
//! * [`checks`](mod@checks): the exercises, run against any server.

pub mod checks;
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
