//! From a request path to a file path, safely.
//!
//! The request path is attacker-controlled text; the file system is not a
//! string. The steps, in order, and why each one is there:
//!
//! 1. **Percent-decode once** (RFC 3986 §2.1). Decoding twice turns
//!    `%252e%252e` into `..` after the checks ran on `%2e%2e`.
//! 2. **Reject** bytes that mean something to a file system but nothing to
//!    a URL: NUL (C APIs stop at it), `\` (a separator on Windows, and a
//!    sign of an attack everywhere else), `..` and `.` segments, and empty
//!    segments (`//etc/passwd` would make `Path::join` start again at `/`).
//! 3. **Resolve symlinks** with `canonicalize` and check that the result
//!    lies under the canonical root **by path components**
//!    (`Path::starts_with`), never by string prefix: `/srv/static_evil`
//!    starts with the *string* `/srv/static` but is not inside the
//!    *directory* `/srv/static`.
//!
//! Step 2 alone would be enough for paths; step 3 is what stops a symlink
//! inside the root that points outside it.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::ch03_urls_and_clients::percent::percent_decode;

/// Why a request path does not name a servable file.
#[derive(Debug, PartialEq, Eq)]
pub enum PathError {
    /// A `%` not followed by two hex digits, or bytes that are not UTF-8.
    BadEncoding,
    /// A decoded NUL byte.
    Nul,
    /// A backslash, raw or encoded.
    Backslash,
    /// A `.` or `..` segment (raw, encoded or double-encoded after one decode).
    DotSegment,
    /// The path does not start with `/`, or has an empty segment (`//x`).
    NotOriginForm,
    /// Resolves (through a symlink) to something outside the root.
    Outside,
    /// Nothing there.
    NotFound,
}

impl PathError {
    /// The status a server answers with: 400 for a malformed path, 403 for
    /// one that leaves the root, 404 for a missing file.
    pub fn status(&self) -> u16 {
        match self {
            PathError::Outside => 403,
            PathError::NotFound => 404,
            _ => 400,
        }
    }
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathError::BadEncoding => "malformed percent-encoding or not UTF-8",
            PathError::Nul => "NUL byte in path",
            PathError::Backslash => "backslash in path",
            PathError::DotSegment => "`.` or `..` segment in path",
            PathError::NotOriginForm => "path must start with `/` and have no empty segments",
            PathError::Outside => "path leaves the served directory",
            PathError::NotFound => "no such file",
        })
    }
}

impl std::error::Error for PathError {}

/// The segments of a request path, decoded once and checked (steps 1 and
/// 2). `/a/b%20c/` gives `["a", "b c"]`; the trailing slash is reported
/// separately by [`has_trailing_slash`].
pub fn segments(raw_path: &str) -> Result<Vec<String>, PathError> {
    let bytes = percent_decode(raw_path).map_err(|_| PathError::BadEncoding)?;
    let path = String::from_utf8(bytes).map_err(|_| PathError::BadEncoding)?;
    if path.contains('\0') {
        return Err(PathError::Nul);
    }
    if path.contains('\\') {
        return Err(PathError::Backslash);
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err(PathError::NotOriginForm);
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for seg in rest.split('/') {
        match seg {
            "" => return Err(PathError::NotOriginForm),
            "." | ".." => return Err(PathError::DotSegment),
            s => out.push(s.to_string()),
        }
    }
    Ok(out)
}

/// Whether the (raw) request path ends with `/`: a directory URL.
pub fn has_trailing_slash(raw_path: &str) -> bool {
    raw_path.ends_with('/')
}

/// Canonicalizes the root once, at start-up.
pub fn canonical_root(root: &Path) -> io::Result<PathBuf> {
    let c = root.canonicalize()?;
    if !c.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotADirectory,
            format!("{} is not a directory", root.display()),
        ));
    }
    Ok(c)
}

/// Maps a raw (still percent-encoded) request path to the canonical path of
/// an existing file or directory under `root`, which must itself be
/// canonical ([`canonical_root`]).
pub fn resolve(root: &Path, raw_path: &str) -> Result<PathBuf, PathError> {
    let mut p = root.to_path_buf();
    for seg in segments(raw_path)? {
        p.push(seg);
    }
    let canonical = p.canonicalize().map_err(|_| PathError::NotFound)?;
    // Component-wise containment: `/srv/static_evil` is not under `/srv/static`.
    if !canonical.starts_with(root) {
        return Err(PathError::Outside);
    }
    Ok(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::TempDir;
    use std::fs;

    /// The tutorial's check, transliterated: `os.path.abspath(join(root,
    /// url_path)).startswith(root)`, a lexical normalisation and a string
    /// prefix test.
    fn tutorial_allows(root: &str, url_path: &str) -> bool {
        let mut parts: Vec<&str> = Vec::new();
        let joined = format!("{root}/{url_path}");
        for seg in joined.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                s => parts.push(s),
            }
        }
        let abs = format!("/{}", parts.join("/"));
        abs.starts_with(root)
    }

    #[test]
    fn tutorial_prefix_check_lets_a_sibling_directory_through() {
        let t = TempDir::new("prefix");
        let root = t.join("static");
        let evil = t.join("static_evil");
        fs::create_dir_all(&root).unwrap();
        fs::create_dir_all(&evil).unwrap();
        fs::write(evil.join("secret.txt"), "secret").unwrap();
        let root_s = root.to_str().unwrap();
        // The tutorial serves the sibling's secret...
        assert!(tutorial_allows(root_s, "../static_evil/secret.txt"));
        // ...because the string test is the wrong test:
        assert!(evil.to_str().unwrap().starts_with(root_s));
        assert!(!evil.starts_with(&root));
        // Ours refuses it at every step.
        let root = canonical_root(&root).unwrap();
        assert_eq!(
            resolve(&root, "/../static_evil/secret.txt"),
            Err(PathError::DotSegment)
        );
        // Even a symlink to the sibling is caught by the component check.
        std::os::unix::fs::symlink(&evil, root.join("link")).unwrap();
        assert_eq!(resolve(&root, "/link/secret.txt"), Err(PathError::Outside));
    }

    #[test]
    fn escapes_are_rejected_before_touching_the_disk() {
        let cases = [
            ("/../etc/passwd", PathError::DotSegment),
            ("/%2e%2e/etc/passwd", PathError::DotSegment),
            ("/%2E%2E%2Fetc%2Fpasswd", PathError::DotSegment),
            ("/a/./b", PathError::DotSegment),
            ("/..", PathError::DotSegment),
            ("/..%5cetc", PathError::Backslash),
            ("/a\\b", PathError::Backslash),
            ("/a%00.html", PathError::Nul),
            ("//etc/passwd", PathError::NotOriginForm),
            ("/%2Fetc/passwd", PathError::NotOriginForm),
            ("etc/passwd", PathError::NotOriginForm),
            ("/a%zz", PathError::BadEncoding),
            ("/%ff", PathError::BadEncoding),
        ];
        for (raw, want) in cases {
            assert_eq!(segments(raw), Err(want), "{raw}");
        }
    }

    #[test]
    fn double_encoding_is_decoded_once_only() {
        // `%252e` decodes once to the three characters `%2e`: a file name,
        // not a dot. It must not be decoded again into `.`.
        assert_eq!(
            segments("/%252e%252e/x").unwrap(),
            vec!["%2e%2e".to_string(), "x".to_string()]
        );
    }

    #[test]
    fn ordinary_paths_decode() {
        assert_eq!(segments("/").unwrap(), Vec::<String>::new());
        assert_eq!(segments("/a/b%20c/").unwrap(), vec!["a", "b c"]);
        assert_eq!(segments("/caf%C3%A9.txt").unwrap(), vec!["café.txt"]);
        assert_eq!(segments("/..a/b..").unwrap(), vec!["..a", "b.."]);
        assert!(has_trailing_slash("/a/"));
    }

    #[test]
    fn resolves_inside_and_refuses_outside() {
        let t = TempDir::new("resolve");
        let root = t.join("root");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(root.join("sub/f.txt"), "x").unwrap();
        fs::write(t.join("outside.txt"), "x").unwrap();
        std::os::unix::fs::symlink(t.join("outside.txt"), root.join("out")).unwrap();
        std::os::unix::fs::symlink(root.join("sub/f.txt"), root.join("in")).unwrap();
        let root = canonical_root(&root).unwrap();
        assert_eq!(
            resolve(&root, "/sub/f.txt").unwrap(),
            root.join("sub/f.txt")
        );
        assert_eq!(resolve(&root, "/in").unwrap(), root.join("sub/f.txt"));
        assert_eq!(resolve(&root, "/out"), Err(PathError::Outside));
        assert_eq!(resolve(&root, "/nope"), Err(PathError::NotFound));
        assert_eq!(resolve(&root, "/").unwrap(), root);
    }
}
