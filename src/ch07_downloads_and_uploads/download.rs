//! `ch07_download`: a download that is whole or absent, and resumable.
//!
//! The body goes to `TARGET.part` beside the target, and only when every
//! byte arrived (the length matched `Content-Length`, or `Content-Range`'s
//! total on a resume, or the chunked body ended with its last chunk) is it
//! fsynced and renamed to `TARGET`. Anything else (a dropped connection, a
//! short body, a timeout, Ctrl-C) leaves `TARGET` untouched and keeps
//! `TARGET.part` for `--continue`.
//!
//! Resuming asks for the rest with `Range: bytes=N-` and guards it with
//! `If-Range` (RFC 9110 §13.1.5) carrying the validator saved from the
//! first attempt (in `TARGET.part.validator`): if the file changed on the
//! server meanwhile, the server sends the whole new file with 200 instead
//! of splicing the end of a new file onto the start of an old one, and we
//! start over.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::partfile::{PartFile, open_own};
use super::progress::Progress;
use super::receive::plain_file_name;
use crate::ch03_urls_and_clients::body::declared_length;
use crate::ch03_urls_and_clients::client::{Config, Request, Response, request};
use crate::ch03_urls_and_clients::url::Url;

/// What to download where.
#[derive(Debug, Clone)]
pub struct DownloadOptions {
    pub url: Url,
    /// The target file; `None` names it after the URL's last segment.
    pub output: Option<PathBuf>,
    /// Resume from `TARGET.part` if there is one.
    pub resume: bool,
    /// Chapter 3's client settings: timeouts and redirects.
    pub client: Config,
    /// No progress display.
    pub quiet: bool,
}

/// What a finished download did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub path: PathBuf,
    /// Size of the whole file.
    pub len: u64,
    /// Bytes that were already there from an earlier attempt.
    pub resumed_from: u64,
}

/// The file a URL is saved as when no `-o` is given: its last path segment,
/// decoded, if that is a plain file name; `index.html` for a bare `/`.
pub fn default_output(url: &Url) -> Result<PathBuf, String> {
    exercise!("ex_ch07_output_name", ch07_output_name::default_output(url));
    let seg = url.path.rsplit('/').next().unwrap_or("");
    if seg.is_empty() {
        return Ok(PathBuf::from("index.html"));
    }
    plain_file_name(seg)
        .map(PathBuf::from)
        .map_err(|why| format!("cannot name the file after the URL ({why}); use -o FILE"))
}

/// `TARGET.part`.
pub fn part_path(target: &Path) -> PathBuf {
    let mut s = target.as_os_str().to_owned();
    s.push(".part");
    PathBuf::from(s)
}

fn validator_path(target: &Path) -> PathBuf {
    let mut s = part_path(target).into_os_string();
    s.push(".validator");
    PathBuf::from(s)
}

/// The validator `If-Range` can carry: a strong ETag, else Last-Modified
/// (a weak ETag must not be used, §13.1.5).
fn validator_of(headers: &crate::ch02_http_by_hand::head::Headers) -> Option<String> {
    if let Some(e) = headers.get("etag")
        && e.starts_with('"')
    {
        return Some(e.to_string());
    }
    headers.get("last-modified").map(str::to_string)
}

/// Longest validator kept between attempts (an ETag is short).
const MAX_VALIDATOR_BYTES: u64 = 1024;

/// The validator saved beside a partial file, if it is one: read without
/// following a symlink (a planted link must not send one of our files to
/// the server as `If-Range`), at most [`MAX_VALIDATOR_BYTES`], and only
/// visible ASCII and spaces (a CR or LF would inject fields into the
/// request head).
fn read_validator(path: &Path) -> Option<String> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(super::partfile::O_NOFOLLOW)
        .open(path)
        .ok()?;
    let mut v = String::new();
    f.take(MAX_VALIDATOR_BYTES + 1)
        .read_to_string(&mut v)
        .ok()?;
    let ok = !v.is_empty()
        && v.len() as u64 <= MAX_VALIDATOR_BYTES
        && v.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
    ok.then_some(v)
}

/// Parses `Content-Range: bytes FIRST-LAST/TOTAL` (RFC 9110 §14.4).
pub fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    exercise!(
        "ex_ch07_content_range",
        ch07_content_range::parse_content_range(v)
    );
    let rest = v.trim().strip_prefix("bytes ")?;
    let (range, total) = rest.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let total = if total == "*" {
        None
    } else {
        Some(total.parse().ok()?)
    };
    Some((a.parse().ok()?, b.parse().ok()?, total))
}

fn io_err(msg: impl Into<String>) -> io::Error {
    io::Error::other(msg.into())
}

/// Downloads as `opts` says. On failure the target is untouched; the
/// error message says what happened and whether `TARGET.part` was kept.
pub fn download(opts: &DownloadOptions) -> io::Result<Summary> {
    let target = match &opts.output {
        Some(p) => p.clone(),
        None => default_output(&opts.url).map_err(io_err)?,
    };
    let part = part_path(&target);
    let vpath = validator_path(&target);
    let (offset, saved_validator) = resume_point(opts.resume, &part, &vpath);
    let mut req = Request::new("GET", opts.url.clone());
    if offset > 0 {
        req.headers.append("Range", format!("bytes={offset}-"));
        req.headers
            .append("If-Range", saved_validator.unwrap_or_default());
    }
    let mut resp = request(req, &opts.client).map_err(|e| io_err(e.to_string()))?;
    let (offset, append, total) = match what_comes(&mut resp, offset, &part)? {
        Answer::Body {
            offset,
            append,
            total,
        } => (offset, append, total),
        Answer::AlreadyComplete => {
            PartFile::resumable(part.clone(), true)?.commit(&target)?;
            let _ = fs::remove_file(&vpath);
            return Ok(Summary {
                path: target,
                len: offset,
                resumed_from: offset,
            });
        }
    };
    // Save the validator before the first body byte, so an interruption at
    // any point leaves a resumable pair.
    match validator_of(&resp.head.headers) {
        Some(v) => open_own(&vpath, false)?.write_all(v.as_bytes())?,
        None => {
            let _ = fs::remove_file(&vpath);
        }
    }
    let mut file = PartFile::resumable(part.clone(), append)?;
    let mut progress = Progress::new(total, offset, opts.quiet);
    let written = receive(&mut resp, &mut file, offset, &mut progress, &part);
    progress.finish();
    let written = written?;
    if let Some(t) = total
        && t != written
    {
        return Err(io_err(format!(
            "got {written} bytes, expected {t}; partial file kept as {}",
            part.display()
        )));
    }
    file.commit(&target)?;
    let _ = fs::remove_file(&vpath);
    Ok(Summary {
        path: target,
        len: written,
        resumed_from: offset,
    })
}

/// Where a `--continue` starts: the partial file's length and its saved
/// validator, or 0 when there is no partial file or no validator for it
/// (a resumed file without one could be half old, half new).
fn resume_point(resume: bool, part: &Path, vpath: &Path) -> (u64, Option<String>) {
    if !resume {
        return (0, None);
    }
    let offset = fs::metadata(part).map(|m| m.len()).unwrap_or(0);
    let saved = read_validator(vpath);
    if offset > 0 && saved.is_none() {
        eprintln!(
            "{}: no validator saved for the partial file; starting over",
            part.display()
        );
        return (0, None);
    }
    (offset, saved)
}

/// What the server's answer means for the file.
enum Answer {
    /// A body follows: appended at `offset` (206) or the whole file from 0
    /// (200), `total` bytes in all if the server says.
    Body {
        offset: u64,
        append: bool,
        total: Option<u64>,
    },
    /// A 416 whose `Content-Range: bytes */N` says the partial file is
    /// already the whole file.
    AlreadyComplete,
}

/// Reads the status of a response to a request that asked for bytes from
/// `offset`: 206 continues, 200 starts over, 416 may mean "done";
/// anything else is an error that quotes the start of the body.
fn what_comes(resp: &mut Response, offset: u64, part: &Path) -> io::Result<Answer> {
    // The length chapter 3's framing decision found: a chunked body (even
    // one that also carries Content-Length) has none until it ends.
    let declared = declared_length(resp.body_kind());
    let range = resp.head.headers.get("content-range");
    match resp.head.status {
        206 if offset > 0 => {
            let (first, _, total) = range
                .and_then(parse_content_range)
                .ok_or_else(|| io_err("206 without a usable Content-Range"))?;
            if first != offset {
                return Err(io_err(format!(
                    "asked for bytes from {offset}, server sent from {first}"
                )));
            }
            let total = total.or(declared.map(|n| n + offset));
            Ok(Answer::Body {
                offset,
                append: true,
                total,
            })
        }
        200 => {
            if offset > 0 {
                eprintln!(
                    "server sent the whole file (it changed, or ignores ranges); starting over"
                );
            }
            Ok(Answer::Body {
                offset: 0,
                append: false,
                total: declared,
            })
        }
        416 if offset > 0 => {
            let total = range
                .and_then(|v| v.trim().strip_prefix("bytes */"))
                .and_then(|n| n.parse::<u64>().ok());
            if total == Some(offset) {
                return Ok(Answer::AlreadyComplete);
            }
            Err(io_err(format!(
                "server refused the range (416); remove {} to start over",
                part.display()
            )))
        }
        s => {
            let mut preview = Vec::new();
            let _ = resp.take(200).read_to_end(&mut preview);
            Err(io_err(format!(
                "server answered {s} {}: {}",
                resp.head.reason,
                crate::trace::escape(preview.trim_ascii())
            )))
        }
    }
}

/// Streams the body into `file`, counting from `offset`; returns the
/// length the file has now. A broken transfer is an error that says the
/// partial file was kept.
fn receive(
    resp: &mut Response,
    file: &mut PartFile,
    offset: u64,
    progress: &mut Progress,
    part: &Path,
) -> io::Result<u64> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut written = offset;
    loop {
        let n = match resp.read(&mut buf) {
            Ok(0) => return Ok(written),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(io_err(format!(
                    "download interrupted after {written} bytes: {e}; partial file kept as {} (use --continue)",
                    part.display()
                )));
            }
        };
        file.write_all(&buf[..n])?;
        written += n as u64;
        progress.advance(n as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_parses() {
        assert_eq!(
            parse_content_range("bytes 10-19/20"),
            Some((10, 19, Some(20)))
        );
        assert_eq!(parse_content_range("bytes 0-0/*"), Some((0, 0, None)));
        assert_eq!(parse_content_range("bytes */20"), None);
        assert_eq!(parse_content_range("items 0-1/2"), None);
    }

    #[test]
    fn output_is_named_after_the_url() {
        let u = |s: &str| Url::parse(s).unwrap();
        assert_eq!(
            default_output(&u("http://h/a/b%20c.zip")).unwrap(),
            PathBuf::from("b c.zip")
        );
        assert_eq!(
            default_output(&u("http://h/")).unwrap(),
            PathBuf::from("index.html")
        );
        assert!(default_output(&u("http://h/a/..")).is_err());
        assert!(default_output(&u("http://h/a/%2e%2e")).is_err());
        assert_eq!(
            part_path(Path::new("d/x.bin")),
            PathBuf::from("d/x.bin.part")
        );
    }
}
