//! Exercise ch07_upload_name: a file name a client may choose (path safety for uploads).
//! Reread chapters/07-downloads-and-uploads.md, "5. Receiving uploads on the server".
//! The reference is `plain_file_name` in src/ch07_downloads_and_uploads/receive.rs.

#[allow(unused_imports)]
use crate::ch03_urls_and_clients::percent::percent_decode;
#[allow(unused_imports)]
use crate::ch07_downloads_and_uploads::receive::MAX_NAME_BYTES;

/// Checks an upload name, still percent-encoded as it came in the URL, and
/// returns it decoded: `caf%C3%A9.txt` is `café.txt`.
///
/// `Err(why)` (a short human reason) for a name that is not one plain file
/// in the upload directory: a bad escape or bytes that are not UTF-8, an
/// empty name, more than `MAX_NAME_BYTES` bytes (decoded), a `/` or `\`
/// (raw or encoded), a control character (NUL included), or a leading `.`
/// (hidden files, `.` and `..`).
pub fn plain_file_name(raw: &str) -> Result<String, &'static str> {
    todo!("check the name {raw:?}")
}
