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
use std::fs::{File, Metadata, OpenOptions};
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
    /// Not a regular file or directory (a FIFO, socket or device).
    NotRegular,
    /// The file system refused to open it.
    Forbidden,
    /// Nothing there.
    NotFound,
}

impl PathError {
    /// The status a server answers with: 400 for a malformed path, 403 for
    /// one that leaves the root, 404 for a missing file.
    pub fn status(&self) -> u16 {
        match self {
            PathError::Outside | PathError::NotRegular | PathError::Forbidden => 403,
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
            PathError::NotRegular => "not a regular file",
            PathError::Forbidden => "permission denied",
            PathError::NotFound => "no such file",
        })
    }
}

impl std::error::Error for PathError {}

/// The segments of a request path, decoded once and checked (steps 1 and
/// 2). `/a/b%20c/` gives `["a", "b c"]`; the trailing slash is reported
/// separately by [`has_trailing_slash`].
pub fn segments(raw_path: &str) -> Result<Vec<String>, PathError> {
    exercise!(
        "ex_ch06_path_segments",
        ch06_path_segments::segments(raw_path)
    );
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

/// A file opened for serving, proven to lie under the root.
#[derive(Debug)]
pub struct Opened {
    pub file: File,
    /// `fstat` of the open file: what will be served, even if the path is
    /// replaced meanwhile.
    pub meta: Metadata,
    /// The path it was opened by (root + segments; its name gives the type).
    pub path: PathBuf,
}

/// The served directory: its canonical path, and an open descriptor for
/// `openat2(2)`.
#[derive(Debug)]
pub struct Root {
    path: PathBuf,
    dir: File,
}

impl Root {
    /// Opens `root` (canonicalized once, at start-up).
    pub fn new(root: &Path) -> io::Result<Root> {
        let path = canonical_root(root)?;
        let dir = File::open(&path)?;
        Ok(Root { path, dir })
    }

    /// The canonical path of the root.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the file that checked `segments` name under the root, and
    /// makes sure the file **actually opened** lies under it.
    ///
    /// This turns [`resolve`] around. Canonicalizing a path and then opening
    /// it looks the path up twice, and between the two someone could swap a
    /// directory for a symlink. Here the check is on the open file:
    ///
    /// * On Linux ≥ 5.6, `openat2(2)` with `RESOLVE_BENEATH` opens relative
    ///   to the root's descriptor and the *kernel* refuses, in the same
    ///   lookup, any step that would leave it (`..`, a symlink out, an
    ///   absolute symlink): one system call, no race.
    /// * Otherwise (older kernel, or an absolute symlink that `openat2`
    ///   refuses on principle), it opens normally and asks the kernel which
    ///   file it got: `/proc/self/fd/N` links to its real path, which is
    ///   then checked by components; where `/proc` is missing,
    ///   `canonicalize` does it.
    ///
    /// FIFOs, sockets and devices are refused (`O_NONBLOCK` keeps a FIFO
    /// from blocking the open).
    pub fn open(&self, segments: &[String]) -> Result<Opened, PathError> {
        let mut path = self.path.clone();
        path.extend(segments);
        let file = match sys::open_beneath(&self.dir, segments) {
            Some(Ok(f)) => f,
            Some(Err(e)) => return Err(open_error(&e)),
            // Not supported here, or refused as leaving the root: decide
            // with the real path of what a plain open gives.
            None => open_then_check(&self.path, &path)?,
        };
        let meta = file.metadata().map_err(|_| PathError::NotFound)?;
        if !meta.is_file() && !meta.is_dir() {
            return Err(PathError::NotRegular);
        }
        Ok(Opened { file, meta, path })
    }
}

fn open_error(e: &io::Error) -> PathError {
    match e.kind() {
        io::ErrorKind::PermissionDenied => PathError::Forbidden,
        _ => PathError::NotFound,
    }
}

/// The fallback: a plain open (non-blocking where we know the flag), then
/// a containment check on the real path of the open file.
fn open_then_check(root: &Path, path: &Path) -> Result<File, PathError> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    if let Some(flag) = sys::O_NONBLOCK {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(flag);
    } else {
        // No O_NONBLOCK value known here: refuse anything but files and
        // directories before opening.
        let m = std::fs::metadata(path).map_err(|_| PathError::NotFound)?;
        if !m.is_file() && !m.is_dir() {
            return Err(PathError::NotRegular);
        }
    }
    let file = opts.open(path).map_err(|e| open_error(&e))?;
    use std::os::fd::AsRawFd;
    let real = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd()))
        .or_else(|_| path.canonicalize())
        .map_err(|_| PathError::NotFound)?;
    // Component-wise containment, on the file we hold.
    if !real.starts_with(root) {
        return Err(PathError::Outside);
    }
    Ok(file)
}

/// The two Linux-specific pieces, declared by hand (std has no binding and
/// the crate takes no `libc` dependency for them).
#[cfg(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64"
    )
))]
mod sys {
    use std::fs::File;
    use std::io;
    use std::os::fd::{AsRawFd, FromRawFd};
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Same value on x86, ARM and RISC-V.
    pub const O_NONBLOCK: Option<i32> = Some(0o4000);
    const O_CLOEXEC: u64 = 0o2000000;
    /// `openat2` has one number on every architecture (it is newer than
    /// the unification of syscall tables).
    const SYS_OPENAT2: i64 = 437;
    const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
    const RESOLVE_BENEATH: u64 = 0x08;
    /// `openat2` refused a step out of the root (which may be an absolute
    /// symlink that in fact points inside it).
    const EXDEV: i32 = 18;
    const ENOSYS: i32 = 38;
    const EPERM: i32 = 1;
    const E2BIG: i32 = 7;
    const EINVAL: i32 = 22;

    /// `struct open_how` (linux/openat2.h).
    #[repr(C)]
    struct OpenHow {
        flags: u64,
        mode: u64,
        resolve: u64,
    }

    unsafe extern "C" {
        fn syscall(number: i64, ...) -> i64;
    }

    static UNSUPPORTED: AtomicBool = AtomicBool::new(false);

    /// `openat2(dir, "a/b/c", O_RDONLY|O_NONBLOCK|O_CLOEXEC, RESOLVE_BENEATH)`.
    /// `None` when the kernel does not have it (remembered, so it is asked
    /// only once), or when it refused a step out of the root: then the
    /// caller decides by the real path of what a plain open gives.
    pub fn open_beneath(dir: &File, segments: &[String]) -> Option<io::Result<File>> {
        if UNSUPPORTED.load(Ordering::Relaxed) {
            return None;
        }
        let rel = if segments.is_empty() {
            ".".to_string()
        } else {
            segments.join("/")
        };
        // Checked segments contain no NUL, so this cannot fail.
        let c = std::ffi::CString::new(rel).ok()?;
        let how = OpenHow {
            flags: O_NONBLOCK.unwrap_or(0) as u64 | O_CLOEXEC,
            mode: 0,
            resolve: RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
        };
        // SAFETY: a valid directory descriptor, a NUL-terminated path and a
        // properly sized `open_how` that outlive the call; the returned
        // descriptor is owned by nobody else.
        let fd = unsafe {
            syscall(
                SYS_OPENAT2,
                dir.as_raw_fd() as i64,
                c.as_ptr(),
                &how as *const OpenHow,
                std::mem::size_of::<OpenHow>(),
            )
        };
        if fd >= 0 {
            return Some(Ok(unsafe { File::from_raw_fd(fd as i32) }));
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            // No openat2 (kernel < 5.6) or a seccomp filter that forbids it.
            Some(ENOSYS) | Some(EPERM) | Some(E2BIG) | Some(EINVAL) => {
                UNSUPPORTED.store(true, Ordering::Relaxed);
                None
            }
            Some(EXDEV) => None,
            _ => Some(Err(e)),
        }
    }
}

#[cfg(not(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        target_arch = "riscv64"
    )
)))]
mod sys {
    use std::fs::File;
    use std::io;

    pub const O_NONBLOCK: Option<i32> = None;

    pub fn open_beneath(_: &File, _: &[String]) -> Option<io::Result<File>> {
        None
    }
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

    fn segs(p: &str) -> Vec<String> {
        segments(p).unwrap()
    }

    #[test]
    fn root_open_refuses_what_resolve_refuses() {
        let t = TempDir::new("open");
        let root = t.join("root");
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(root.join("sub/f.txt"), "x").unwrap();
        fs::write(t.join("outside.txt"), "x").unwrap();
        use std::os::unix::fs::symlink as link;
        link(t.join("outside.txt"), root.join("out")).unwrap();
        link("../outside.txt", root.join("rel-out")).unwrap();
        link(t.path.clone(), root.join("up")).unwrap();
        link("sub/f.txt", root.join("rel-in")).unwrap();
        link(root.join("sub/f.txt"), root.join("abs-in")).unwrap();
        let r = Root::new(&root).unwrap();
        let o = r.open(&segs("/sub/f.txt")).unwrap();
        assert_eq!(o.path, r.path().join("sub/f.txt"));
        assert!(o.meta.is_file());
        assert!(r.open(&segs("/")).unwrap().meta.is_dir());
        // Symlinks that stay inside work, relative or absolute.
        assert!(r.open(&segs("/rel-in")).unwrap().meta.is_file());
        assert!(r.open(&segs("/abs-in")).unwrap().meta.is_file());
        for out in ["/out", "/rel-out", "/up/outside.txt"] {
            assert_eq!(r.open(&segs(out)).unwrap_err(), PathError::Outside, "{out}");
        }
        assert_eq!(r.open(&segs("/nope")).unwrap_err(), PathError::NotFound);
        // The fallback (no openat2) decides the same.
        for (p, want) in [
            ("/sub/f.txt", None),
            ("/abs-in", None),
            ("/out", Some(PathError::Outside)),
        ] {
            let got = open_then_check(r.path(), &r.path().join(&p[1..])).err();
            assert_eq!(got, want, "{p}");
        }
    }

    #[test]
    fn fifos_are_refused_without_blocking() {
        let t = TempDir::new("fifo");
        let ok = std::process::Command::new("mkfifo")
            .arg(t.join("pipe"))
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return; // no mkfifo here
        }
        let r = Root::new(&t.path).unwrap();
        assert_eq!(r.open(&segs("/pipe")).unwrap_err(), PathError::NotRegular);
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
