//! The server side of uploads: `PUT /uploads/NAME` streams the request body
//! into a directory.
//!
//! * The name is one plain file name: decoded once, no `/`, `\`, NUL or
//!   control characters, not `.`/`..`, not hidden (temporary files start
//!   with `.`), at most 255 bytes. Anything else is 400: unlike a GET, a
//!   PUT creates files, so there is nothing to "not find".
//! * The body is streamed ([`RequestBody`](crate::ch04_methods_and_routing::RequestBody)
//!   implements `Read`) into a [`PartFile`] and renamed into place only when
//!   it arrived whole; a dropped connection or a body over the limit leaves
//!   nothing behind.
//! * A declared `Content-Length` over the limit is refused with 413 before
//!   a byte of the body is read, so a client that sent
//!   `Expect: 100-continue` never sends it (RFC 9110 §10.1.1).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::partfile::PartFile;
use crate::ch03_urls_and_clients::percent::percent_decode;
use crate::ch04_methods_and_routing::{BodyError, Method, Request, Response, Service};
use crate::ch06_static_files::StaticFiles;
use crate::ch06_static_files::path::canonical_root;

/// Default largest upload: 64 MiB.
pub const DEFAULT_UPLOAD_LIMIT: u64 = 64 * 1024 * 1024;

/// The URL prefix uploads live under.
pub const UPLOAD_PREFIX: &str = "/uploads/";

/// Whoever can PUT chooses an upload's bytes and, through its name, its
/// `Content-Type`: an upload called `x.html` would be a page of script
/// running on this server's origin, trusted by everything that trusts the
/// origin (the chat's same-origin WebSocket check included). So uploads are
/// served as downloads, never as pages: `Content-Disposition: attachment`
/// (RFC 6266) makes a browser save instead of render; chapter 6's `nosniff`
/// stops it guessing a type; and this policy, should a page be rendered
/// anyway, lets it load nothing and puts it in a sandbox with an origin
/// of its own (no script, no cookies, no same-origin WebSocket).
pub const UPLOAD_POLICY: &str = "default-src 'none'; sandbox";

/// What an upload URL allows.
pub const ALLOW: &str = "GET, HEAD, PUT, OPTIONS";

/// Longest file name most file systems accept.
pub const MAX_NAME_BYTES: usize = 255;

/// Checks an upload name (still percent-encoded) and returns it decoded.
pub fn plain_file_name(raw: &str) -> Result<String, &'static str> {
    exercise!(
        "ex_ch07_upload_name",
        ch07_upload_name::plain_file_name(raw)
    );
    let bytes = percent_decode(raw).map_err(|_| "malformed percent-encoding")?;
    let name = String::from_utf8(bytes).map_err(|_| "name is not UTF-8")?;
    if name.is_empty() {
        return Err("empty name");
    }
    if name.len() > MAX_NAME_BYTES {
        return Err("name longer than 255 bytes");
    }
    if name.contains(['/', '\\']) {
        return Err("name contains a path separator");
    }
    if name.chars().any(char::is_control) {
        return Err("name contains a control character or NUL");
    }
    if name.starts_with('.') {
        return Err("name starts with `.` (hidden, `.` or `..`)");
    }
    Ok(name)
}

/// A directory that accepts uploads by `PUT` and serves them back by `GET`.
#[derive(Debug, Clone)]
pub struct UploadDir {
    dir: PathBuf,
    limit: u64,
    files: StaticFiles,
}

impl UploadDir {
    /// Accepts uploads of at most `limit` bytes into `dir` (which must exist).
    pub fn new(dir: impl AsRef<Path>, limit: u64) -> io::Result<UploadDir> {
        let dir = canonical_root(dir.as_ref())?;
        Ok(UploadDir {
            files: StaticFiles::new(&dir)?,
            dir,
            limit,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Answers a request for `raw_name` (the path after the prefix).
    pub fn serve(&self, req: &mut Request<'_>, raw_name: &str) -> Response {
        match req.method {
            Method::Put => self.receive(req, raw_name),
            Method::Get | Method::Head => match plain_file_name(raw_name) {
                Ok(_) => self
                    .files
                    .serve(req, &format!("/{raw_name}"))
                    .header("Content-Disposition", "attachment")
                    .header("Content-Security-Policy", UPLOAD_POLICY),
                Err(why) => Response::error(400, why),
            },
            Method::Options => Response::new(204).header("Allow", ALLOW),
            m => Response::error(405, format!("{m} is not allowed here")).header("Allow", ALLOW),
        }
    }

    /// Stores the body of a PUT as `raw_name`.
    pub fn receive(&self, req: &mut Request<'_>, raw_name: &str) -> Response {
        let name = match plain_file_name(raw_name) {
            Ok(n) => n,
            Err(why) => return Response::error(400, why),
        };
        if req.header("content-range").is_some() {
            // RFC 9110 §14.5: a partial PUT that the server does not
            // support MUST be refused, or the part would replace the file.
            return Response::error(400, "partial PUT (Content-Range) is not supported");
        }
        if let Some(n) = req.body.content_length()
            && n > self.limit
        {
            // Refused before reading: no `100 Continue` goes out.
            return Response::error(
                413,
                format!("{n} bytes is over the upload limit of {}", self.limit),
            );
        }
        req.body.set_limit(self.limit);
        let mut part = match PartFile::unique_in(&self.dir, &name) {
            Ok(p) => p,
            Err(e) => return Response::error(500, format!("cannot create a file: {e}")),
        };
        let copied = match io::copy(&mut req.body, &mut part) {
            Ok(n) => n,
            // `part` is dropped here, which deletes it.
            Err(e) => {
                let e = BodyError::from(e);
                return Response::error(e.status(), e);
            }
        };
        let target = self.dir.join(&name);
        let existed = fs::symlink_metadata(&target).is_ok();
        if let Err(e) = part.commit(&target) {
            return Response::error(500, format!("cannot store the file: {e}"));
        }
        let location = format!("{UPLOAD_PREFIX}{raw_name}");
        if existed {
            Response::new(204).header("Content-Location", location)
        } else {
            Response::text(201, format!("stored {copied} bytes as {name}\n"))
                .header("Location", location)
        }
    }
}

/// Chapter 6's static files plus chapter 7's upload directory under
/// [`UPLOAD_PREFIX`].
#[derive(Debug, Clone)]
pub struct FilesWithUploads {
    pub files: StaticFiles,
    pub uploads: UploadDir,
}

impl Service for FilesWithUploads {
    fn call(&self, req: &mut Request<'_>) -> Response {
        match req.path.strip_prefix(UPLOAD_PREFIX) {
            Some(name) => {
                let name = name.to_string();
                self.uploads.serve(req, &name)
            }
            // `OPTIONS *`: the server as a whole also takes PUT.
            None if req.path == "*" && req.method == Method::Options => {
                Response::new(204).header("Allow", ALLOW)
            }
            None => self.files.call(req),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::TempDir;

    #[test]
    fn only_plain_names_are_accepted() {
        assert_eq!(plain_file_name("a.txt").unwrap(), "a.txt");
        assert_eq!(plain_file_name("caf%C3%A9%20b.bin").unwrap(), "café b.bin");
        for bad in [
            "", ".", "..", "%2e%2e", ".hidden", "a/b", "a%2fb", "a%5cb", "a\\b", "a%00b", "a%0ab",
            "%zz", "%ff",
        ] {
            assert!(plain_file_name(bad).is_err(), "{bad:?}");
        }
        assert!(plain_file_name(&"x".repeat(256)).is_err());
    }

    fn put(u: &UploadDir, name: &str, body: &[u8]) -> Response {
        let mut req = Request::for_test(Method::Put, &format!("/uploads/{name}"), &[], body);
        u.serve(&mut req, name)
    }

    #[test]
    fn upload_is_stored_then_replaced() {
        let t = TempDir::new("recv");
        let u = UploadDir::new(&t.path, 100).unwrap();
        let r = put(&u, "a.bin", b"first");
        assert_eq!(r.status, 201);
        assert_eq!(r.headers.get("location"), Some("/uploads/a.bin"));
        assert_eq!(fs::read(t.join("a.bin")).unwrap(), b"first");
        assert_eq!(put(&u, "a.bin", b"second").status, 204);
        assert_eq!(fs::read(t.join("a.bin")).unwrap(), b"second");
        assert_eq!(fs::read_dir(&t.path).unwrap().count(), 1);
    }

    #[test]
    fn partial_put_is_refused() {
        let t = TempDir::new("recv");
        let u = UploadDir::new(&t.path, 100).unwrap();
        let mut req = Request::for_test(
            Method::Put,
            "/uploads/p.bin",
            &[("Content-Range", "bytes 0-2/10")],
            b"abc",
        );
        assert_eq!(u.serve(&mut req, "p.bin").status, 400);
        assert_eq!(fs::read_dir(&t.path).unwrap().count(), 0);
    }

    #[test]
    fn over_the_limit_is_413_and_leaves_nothing() {
        let t = TempDir::new("recv");
        let u = UploadDir::new(&t.path, 4).unwrap();
        assert_eq!(put(&u, "a.bin", b"12345").status, 413);
        assert_eq!(put(&u, "../x", b"1").status, 400);
        assert_eq!(fs::read_dir(&t.path).unwrap().count(), 0);
    }

    #[test]
    fn truncated_body_leaves_nothing() {
        let t = TempDir::new("recv");
        let u = UploadDir::new(&t.path, 100).unwrap();
        // Declares 10 bytes, delivers 3, then the "connection" ends.
        let body = crate::ch04_methods_and_routing::RequestBody::new(
            Box::new(&b"abc"[..]),
            crate::ch03_urls_and_clients::body::BodyKind::Length(10),
            None,
        );
        let mut req = Request::for_test(Method::Put, "/uploads/t.bin", &[], b"");
        req.body = body;
        assert_eq!(u.serve(&mut req, "t.bin").status, 400);
        assert_eq!(fs::read_dir(&t.path).unwrap().count(), 0);
    }
}
