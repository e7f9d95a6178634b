//! [`StaticFiles`]: a directory served over HTTP, as a chapter 4
//! [`Service`].
//!
//! It puts the other files of this chapter together: [`super::path`] maps
//! the URL to a file, [`super::conditional`] answers revalidations with 304,
//! [`super::range`] answers partial requests with 206, [`super::mime`] names
//! the type. The body is a [`Body::File`]: an open file, an offset and a
//! length. The file is never read into memory; chapter 5's server sends it
//! to the socket with `sendfile(2)` ([`crate::ch04_methods_and_routing::sendfile`]).

use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::Arc;

use super::conditional::{Precondition, Validators, evaluate, if_range_matches};
use super::listing;
use super::mime::content_type;
use super::path::{Opened, PathError, Root, has_trailing_slash, segments};
use super::range::{RangeRequest, parse_range, unsatisfied_content_range};
use crate::ch04_methods_and_routing::{Body, Method, Request, Response, Service};

/// The file a directory URL serves.
pub const INDEX_FILE: &str = "index.html";

/// The default `Cache-Control`: caches may keep a copy but must revalidate
/// it (a cheap 304) before each use, so an edited file shows up at once.
pub const DEFAULT_CACHE_CONTROL: &str = "no-cache";

/// Sent with every file: the browser must use our `Content-Type` and never
/// guess another from the bytes ("sniff"), which could turn a text file
/// that looks like HTML into a page that runs script.
pub const NOSNIFF: (&str, &str) = ("X-Content-Type-Options", "nosniff");

/// What a static file allows (RFC 9110 §10.2.1): read-only methods.
pub const ALLOW: &str = "GET, HEAD, OPTIONS";

/// A directory served read-only over HTTP (GET and HEAD).
#[derive(Debug, Clone)]
pub struct StaticFiles {
    root: Arc<Root>,
    listing: bool,
    cache_control: String,
    html_policy: Option<String>,
}

impl StaticFiles {
    /// Serves `root` (which must be an existing directory).
    pub fn new(root: impl AsRef<Path>) -> io::Result<StaticFiles> {
        Ok(StaticFiles {
            root: Arc::new(Root::new(root.as_ref())?),
            listing: false,
            cache_control: DEFAULT_CACHE_CONTROL.to_string(),
            html_policy: None,
        })
    }

    /// Sends `Content-Security-Policy: policy` with every HTML page (files
    /// and listings): what the pages of a site may load and run.
    pub fn with_html_policy(mut self, policy: impl Into<String>) -> StaticFiles {
        self.html_policy = Some(policy.into());
        self
    }

    /// Adds the HTML policy to `r` if it is an HTML page.
    fn policed(&self, r: Response) -> Response {
        let html = r
            .headers
            .get("content-type")
            .is_some_and(|t| t.starts_with("text/html"));
        match &self.html_policy {
            Some(p) if html => r.header("Content-Security-Policy", p.clone()),
            _ => r,
        }
    }

    /// Lists directories that have no `index.html`.
    pub fn with_listing(mut self, on: bool) -> StaticFiles {
        self.listing = on;
        self
    }

    /// Replaces the `Cache-Control` value (`public, max-age=3600`, ...).
    pub fn with_cache_control(mut self, value: impl Into<String>) -> StaticFiles {
        self.cache_control = value.into();
        self
    }

    /// The canonical root directory.
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Answers `req` for the (still percent-encoded) path `raw_path`, which
    /// is `req.path` or, when mounted under a prefix, what follows it.
    pub fn serve(&self, req: &Request<'_>, raw_path: &str) -> Response {
        match req.method {
            Method::Get | Method::Head => {}
            // RFC 9110 §9.3.7: what this resource (or, for `*`, this
            // service) allows.
            Method::Options => return Response::new(204).header("Allow", ALLOW),
            m => {
                return Response::error(405, format!("{m} is not allowed here"))
                    .header("Allow", ALLOW);
            }
        }
        let segs = match segments(raw_path) {
            Ok(s) => s,
            Err(e) => return Response::error(e.status(), e),
        };
        let opened = match self.root.open(&segs) {
            Ok(o) => o,
            Err(e) => return Response::error(e.status(), e),
        };
        if opened.meta.is_dir() {
            if !has_trailing_slash(raw_path) {
                // RFC 9110 §15.4.2: the directory's URL ends with `/`, so
                // relative links in its index resolve inside it.
                let mut location = format!("{}/", req.path);
                if !req.query.is_empty() {
                    location = format!("{location}?{}", req.query);
                }
                // The redirect is as true as the tree is: it gets the
                // files' own Cache-Control (RFC 9111 §4.2.2 would otherwise
                // let a cache keep a 301 for as long as it guesses).
                return Response::error(301, format!("see {location}"))
                    .header("Location", location)
                    .header("Cache-Control", self.cache_control.clone());
            }
            // index.html may itself be a symlink: it is checked like any path.
            let mut index = segs;
            index.push(INDEX_FILE.to_string());
            return match self.root.open(&index) {
                Ok(index) if index.meta.is_file() => self.serve_open(req, index),
                Ok(_) | Err(PathError::NotFound) if self.listing => {
                    self.listing_page(&opened.path, raw_path)
                }
                Ok(_) | Err(PathError::NotFound) => {
                    Response::error(404, "directory has no index.html")
                }
                Err(e) => Response::error(e.status(), e),
            };
        }
        if has_trailing_slash(raw_path) {
            return Response::error(404, "not a directory");
        }
        self.serve_open(req, opened)
    }

    fn listing_page(&self, dir: &Path, raw_path: &str) -> Response {
        match listing::entries(dir) {
            Ok(entries) => {
                let url = crate::ch03_urls_and_clients::percent::percent_decode_str(raw_path)
                    .unwrap_or_else(|_| raw_path.to_string());
                let page = listing::render(&url, &entries);
                self.policed(Response::html(200, page).header("Cache-Control", "no-cache"))
            }
            Err(e) => Response::error(403, format!("cannot list the directory: {e}")),
        }
    }

    /// Answers with an opened, checked regular file.
    fn serve_open(&self, req: &Request<'_>, opened: Opened) -> Response {
        let Opened { file, meta, path } = opened;
        let path = path.as_path();
        let len = meta.len();
        let v = Validators::from_metadata(&meta);
        let validators = |r: Response| {
            r.header("ETag", v.etag.clone())
                .header("Last-Modified", v.last_modified())
                .header("Cache-Control", self.cache_control.clone())
        };
        match evaluate(req.method, req.headers(), &v) {
            Precondition::Proceed => {}
            // §15.4.5: a 304 carries the fields a 200 would have for caching.
            Precondition::NotModified => return validators(Response::new(304)),
            Precondition::Failed => return Response::error(412, "precondition failed"),
        }
        let full = |file: File| {
            self.policed(
                validators(Response::new(200))
                    .header("Content-Type", content_type(path))
                    .header(NOSNIFF.0, NOSNIFF.1)
                    .header("Accept-Ranges", "bytes"),
            )
            .with(Body::File {
                file,
                offset: 0,
                len,
            })
        };
        // Range applies to GET only (RFC 9110 §14.2); a stale If-Range
        // means "send me the whole new file" (§13.1.5).
        let range = match req.header("range") {
            Some(r) if req.method == Method::Get => r,
            _ => return full(file),
        };
        if let Some(ir) = req.header("if-range")
            && !if_range_matches(ir, &v)
        {
            return full(file);
        }
        match parse_range(range, len) {
            RangeRequest::Single(r) => validators(Response::new(206))
                .header("Content-Type", content_type(path))
                .header(NOSNIFF.0, NOSNIFF.1)
                .header("Accept-Ranges", "bytes")
                .header("Content-Range", r.content_range(len))
                .with(Body::File {
                    file,
                    offset: r.first,
                    len: r.len(),
                }),
            RangeRequest::Unsatisfiable => {
                Response::error(416, format!("no requested range overlaps the {len} bytes"))
                    .header("Content-Range", unsatisfied_content_range(len))
                    .header("Accept-Ranges", "bytes")
            }
            // Several disjoint ranges: RFC 9110 §14.2 lets a server ignore
            // Range, and the whole file is what we send (see the chapter for
            // why not multipart/byteranges).
            RangeRequest::Multiple(_) | RangeRequest::Ignore => full(file),
        }
    }
}

impl Service for StaticFiles {
    fn call(&self, req: &mut Request<'_>) -> Response {
        let path = req.path.clone();
        self.serve(req, &path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::TempDir;
    use std::fs;
    use std::io::{Read, Seek, SeekFrom};

    fn setup() -> (TempDir, StaticFiles) {
        let t = TempDir::new("files");
        let root = t.join("root");
        fs::create_dir_all(root.join("dir")).unwrap();
        fs::create_dir_all(root.join("bare")).unwrap();
        fs::write(root.join("hello.txt"), "hello, world\n").unwrap();
        fs::write(root.join("dir/index.html"), "<p>index</p>").unwrap();
        fs::write(t.join("secret.txt"), "secret").unwrap();
        std::os::unix::fs::symlink(t.join("secret.txt"), root.join("leak")).unwrap();
        let s = StaticFiles::new(&root).unwrap();
        (t, s)
    }

    fn get(s: &StaticFiles, target: &str, headers: &[(&str, &str)]) -> Response {
        let mut req = Request::for_test(Method::Get, target, headers, b"");
        s.call(&mut req)
    }

    fn body(r: Response) -> Vec<u8> {
        match r.body {
            Body::File {
                mut file,
                offset,
                len,
            } => {
                file.seek(SeekFrom::Start(offset)).unwrap();
                let mut v = Vec::new();
                file.take(len).read_to_end(&mut v).unwrap();
                v
            }
            Body::Bytes(b) => b,
            Body::Empty => Vec::new(),
            Body::Stream(_) => panic!("stream"),
        }
    }

    #[test]
    fn serves_a_file_with_validators() {
        let (_t, s) = setup();
        let r = get(&s, "/hello.txt", &[]);
        assert_eq!(r.status, 200);
        assert_eq!(
            r.headers.get("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(r.headers.get("accept-ranges"), Some("bytes"));
        assert!(r.headers.get("etag").unwrap().starts_with('"'));
        assert!(r.headers.get("last-modified").unwrap().ends_with("GMT"));
        assert_eq!(r.headers.get("cache-control"), Some("no-cache"));
        assert_eq!(body(r), b"hello, world\n");
    }

    #[test]
    fn revalidation_gives_304_and_range_gives_206() {
        let (_t, s) = setup();
        let etag = get(&s, "/hello.txt", &[])
            .headers
            .get("etag")
            .unwrap()
            .to_string();
        let r = get(&s, "/hello.txt", &[("If-None-Match", &etag)]);
        assert_eq!(r.status, 304);
        assert_eq!(r.headers.get("etag"), Some(etag.as_str()));
        let r = get(&s, "/hello.txt", &[("Range", "bytes=7-")]);
        assert_eq!(r.status, 206);
        assert_eq!(r.headers.get("content-range"), Some("bytes 7-12/13"));
        assert_eq!(body(r), b"world\n");
        let r = get(
            &s,
            "/hello.txt",
            &[("Range", "bytes=-6"), ("If-Range", &etag)],
        );
        assert_eq!(body(r), b"world\n");
        let r = get(
            &s,
            "/hello.txt",
            &[("Range", "bytes=-6"), ("If-Range", "\"old\"")],
        );
        assert_eq!(r.status, 200);
        let r = get(&s, "/hello.txt", &[("Range", "bytes=13-")]);
        assert_eq!(r.status, 416);
        assert_eq!(r.headers.get("content-range"), Some("bytes */13"));
        let r = get(&s, "/hello.txt", &[("Range", "bytes=0-0,-1")]);
        assert_eq!(r.status, 200);
        assert_eq!(body(r).len(), 13);
    }

    #[test]
    fn directories_redirect_then_serve_their_index() {
        let (_t, s) = setup();
        let r = get(&s, "/dir?x=1", &[]);
        assert_eq!(r.status, 301);
        assert_eq!(r.headers.get("location"), Some("/dir/?x=1"));
        let r = get(&s, "/dir/", &[]);
        assert_eq!(r.status, 200);
        assert_eq!(
            r.headers.get("content-type"),
            Some("text/html; charset=utf-8")
        );
        assert_eq!(get(&s, "/bare/", &[]).status, 404);
        let listed = s.clone().with_listing(true);
        let r = get(&listed, "/", &[]);
        assert_eq!(r.status, 200);
        let page = String::from_utf8(body(r)).unwrap();
        assert!(page.contains("hello.txt"), "{page}");
        assert_eq!(get(&s, "/hello.txt/", &[]).status, 404);
    }

    #[test]
    fn escapes_never_serve_outside_bytes() {
        let (_t, s) = setup();
        for (p, want) in [
            ("/leak", 403),
            ("/../secret.txt", 400),
            ("/%2e%2e/secret.txt", 400),
            ("/..%2fsecret.txt", 400),
            ("/..%5csecret.txt", 400),
            ("/hello.txt%00.png", 400),
            ("/nope", 404),
        ] {
            assert_eq!(get(&s, p, &[]).status, want, "{p}");
        }
        let mut req = Request::for_test(Method::Delete, "/hello.txt", &[], b"");
        let r = s.call(&mut req);
        assert_eq!(r.status, 405);
        assert_eq!(r.headers.get("allow"), Some("GET, HEAD, OPTIONS"));
        let mut req = Request::for_test(Method::Options, "/hello.txt", &[], b"");
        let r = s.call(&mut req);
        assert_eq!(r.status, 204);
        assert_eq!(r.headers.get("allow"), Some("GET, HEAD, OPTIONS"));
    }
}
