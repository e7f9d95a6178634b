//! Exercise ch07_output_name: naming a download after its URL.
//! Reread chapters/07-downloads-and-uploads.md, "1. A file appears whole or not at all".
//! The reference is `default_output` in src/ch07_downloads_and_uploads/download.rs.

use std::path::PathBuf;

use crate::ch03_urls_and_clients::url::Url;
#[allow(unused_imports)]
use crate::ch07_downloads_and_uploads::receive::plain_file_name;

/// The file a URL is saved as when no `-o` is given: the last segment of
/// `url.path`, decoded, if that is a plain file name (chapter 7's
/// `plain_file_name` decides); `index.html` when the path ends with `/`.
/// A segment such as `..` or `%2e%2e` must never become the name: that is
/// an `Err` with a message telling the user to pass `-o FILE`.
pub fn default_output(url: &Url) -> Result<PathBuf, String> {
    todo!("name the file for {}", url.path)
}
