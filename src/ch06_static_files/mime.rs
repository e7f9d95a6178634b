//! `Content-Type` from a file name (RFC 9110 §8.3).
//!
//! The server cannot know what a file contains; the extension is the
//! convention every web server follows (nginx's `mime.types`, Python's
//! `mimetypes`). `mime_guess` carries the same table. Text types get an
//! explicit `charset=utf-8`: without it a browser guesses the encoding
//! (HTML's default is windows-1252), and a file of UTF-8 prose shows up as
//! mojibake.

use std::path::Path;

/// The `Content-Type` value for a file at `path`.
pub fn content_type(path: &Path) -> String {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let essence = mime.essence_str();
    if mime.type_() == mime_guess::mime::TEXT || is_textual_application(essence) {
        format!("{essence}; charset=utf-8")
    } else {
        essence.to_string()
    }
}

/// `application/*` types that are text in practice and read as UTF-8.
fn is_textual_application(essence: &str) -> bool {
    matches!(
        essence,
        "application/javascript" | "application/json" | "application/xml" | "image/svg+xml"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_types_carry_utf8() {
        let ct = |p: &str| content_type(Path::new(p));
        assert_eq!(ct("index.html"), "text/html; charset=utf-8");
        assert_eq!(ct("a/b/STYLE.CSS"), "text/css; charset=utf-8");
        assert_eq!(ct("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(ct("notes.txt"), "text/plain; charset=utf-8");
        assert_eq!(ct("data.json"), "application/json; charset=utf-8");
        assert_eq!(ct("logo.svg"), "image/svg+xml; charset=utf-8");
        assert_eq!(ct("photo.png"), "image/png");
        assert_eq!(ct("big.bin"), "application/octet-stream");
        assert_eq!(ct("no-extension"), "application/octet-stream");
    }
}
