//! The book in the browser: `make book` renders `chapters/` with mdBook, and
//! the capstone serves the result at `/book/`, where every chapter must be
//! reachable and no link inside the book may be broken (that includes the
//! chapters' `../src/…` links to the code they quote, and `#anchors`).
//!
//! Needs `mdbook` (`cargo install mdbook --locked`). Outside CI the test
//! passes without running when it is missing, and `make test` says so; in
//! CI it must run.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use wirebook::ch03_urls_and_clients::client;
use wirebook::testkit::{Server, TempDir, not_run, run_client};

/// `make book` on a cold machine: mdBook itself takes well under a second.
const BUILD_TIMEOUT: Duration = Duration::from_secs(120);
/// No book has this many pages and assets; a crawler that finds more loops.
const MAX_URLS: usize = 5000;

fn mdbook() -> Option<PathBuf> {
    let on_path = Command::new("mdbook")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        return Some("mdbook".into());
    }
    let home = std::env::var_os("HOME")?;
    let p = Path::new(&home).join(".cargo/bin/mdbook");
    p.is_file().then_some(p)
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The chapter files, as the names of their pages: `01-sockets`.
fn chapter_names() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("chapters"))
        .expect("chapters/")
        .filter_map(|e| {
            let name = e.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(".md").map(str::to_string)
        })
        .collect();
    v.sort();
    v
}

/// Builds the book into a fresh directory with the Makefile's own recipe.
fn build_book(mdbook: &Path, out: &Path) {
    let make = "make";
    let book = format!("BOOK={}", out.display());
    let tool = format!("MDBOOK={}", mdbook.display());
    let args = ["-s", "-C", root().to_str().unwrap(), "book", &book, &tool];
    let o = run_client(make, &args, b"", BUILD_TIMEOUT);
    assert!(
        o.status.success(),
        "make book failed:\n{}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// GET `path` from the server, redirects not followed: status,
/// Content-Type (or, for a redirect, Location), body.
fn fetch(server: &Server, path: &str) -> (u16, String, Vec<u8>) {
    let cfg = client::Config {
        max_redirects: 0,
        ..client::Config::default()
    };
    let req = client::Request::parse("GET", &server.url(path)).expect("a good URL");
    let resp = client::request(req, &cfg).unwrap_or_else(|e| panic!("GET {path}: {e}"));
    let status = resp.status();
    let field = if (300..400).contains(&status) {
        "location"
    } else {
        "content-type"
    };
    let ct = resp.headers().get(field).unwrap_or("").to_string();
    let body = resp
        .into_bytes()
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
    (status, ct, body)
}

/// The values of attribute `attr` (`href`, `src`, `id`) in the tags of an
/// HTML page. Only real tags count: text that shows `<a href="…">` is
/// escaped (`&lt;a …`), so it has no `<`.
fn attrs(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    for tag in html.split('<').skip(1) {
        let mut rest = tag.split('>').next().unwrap_or("");
        while let Some(i) = rest.find(&needle) {
            rest = &rest[i + needle.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].replace("&amp;", "&"));
                rest = &rest[end..];
            }
        }
    }
    out
}

/// The links of a page: `href` and `src` values.
fn links(html: &str) -> Vec<String> {
    let mut v = attrs(html, "href");
    v.extend(attrs(html, "src"));
    v
}

/// Resolves `link` against the page at `base` (an absolute path). `None`
/// for links that leave the server (a scheme, `mailto:`, `javascript:`).
fn resolve(base: &str, link: &str) -> Option<(String, Option<String>)> {
    if link.contains("://") || link.starts_with("//") || link.contains(':') {
        return None;
    }
    let (link, frag) = match link.split_once('#') {
        Some((l, f)) => (l, Some(f.to_string())),
        None => (link, None),
    };
    let link = link.split('?').next().unwrap_or("");
    if link.is_empty() {
        return Some((base.to_string(), frag));
    }
    let joined = if link.starts_with('/') {
        link.to_string()
    } else {
        format!("{}{}", &base[..=base.rfind('/').unwrap()], link)
    };
    let mut segs: Vec<&str> = Vec::new();
    let parts: Vec<&str> = joined.split('/').collect();
    for (i, s) in parts.iter().enumerate() {
        match *s {
            "" | "." if i + 1 < parts.len() => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    Some((format!("/{}", segs.join("/")), frag))
}

/// `id="…"` values of a page, for checking `#fragment` links.
fn ids(html: &str) -> BTreeSet<String> {
    attrs(html, "id").into_iter().collect()
}

#[test]
fn make_book_renders_every_chapter_and_the_capstone_serves_it_without_broken_links() {
    let Some(mdbook) = mdbook() else {
        not_run(
            "make_book_renders_every_chapter_and_the_capstone_serves_it_without_broken_links",
            "the book test needs mdbook: cargo install mdbook --locked (or make book, which installs it)",
        );
        return;
    };
    let tmp = TempDir::new("book");
    let out = tmp.join("book");
    build_book(&mdbook, &out);
    let server = Server::start(
        env!("CARGO_BIN_EXE_wirebook"),
        &[
            "--quiet",
            "--root",
            root().join("static").to_str().unwrap(),
            "--book",
            out.to_str().unwrap(),
        ],
    );

    // Start from the book's front page and every chapter; follow every
    // link that stays inside /book/.
    let mut queue: VecDeque<(String, String)> = VecDeque::new();
    queue.push_back(("/book/".into(), "(start)".into()));
    for name in chapter_names() {
        queue.push_back((format!("/book/chapters/{name}.html"), "chapters/".into()));
    }
    // The landing page links each chapter there.
    let (status, _, landing) = fetch(&server, "/");
    assert_eq!(status, 200, "the landing page");
    let landing = String::from_utf8_lossy(&landing).into_owned();
    for name in chapter_names() {
        let link = format!("/book/chapters/{name}.html");
        assert!(
            landing.contains(&format!("href=\"{link}\"")),
            "static/index.html does not link {link}"
        );
    }

    let mut seen: HashMap<String, Option<BTreeSet<String>>> = HashMap::new();
    let mut fragments: Vec<(String, String, String)> = Vec::new();
    let mut broken = Vec::new();
    while let Some((path, from)) = queue.pop_front() {
        if seen.contains_key(&path) {
            continue;
        }
        assert!(
            seen.len() < MAX_URLS,
            "more than {MAX_URLS} URLs under /book/"
        );
        let (status, ct, body) = fetch(&server, &path);
        if status == 301 {
            // A directory without its slash: follow, as a browser does.
            queue.push_back((ct, path.clone()));
            seen.insert(path, None);
            continue;
        }
        if status != 200 {
            broken.push(format!("{path} ({status}), linked from {from}"));
            seen.insert(path, None);
            continue;
        }
        // Copies of the sources (chapters link them) are checked to exist,
        // not crawled: static/chat.html links the live server's own paths.
        let copied = ["/book/src/", "/book/tests/", "/book/static/"];
        if !ct.starts_with("text/html") || copied.iter().any(|c| path.starts_with(c)) {
            seen.insert(path, None);
            continue;
        }
        let html = String::from_utf8_lossy(&body).into_owned();
        for link in links(&html) {
            let Some((target, frag)) = resolve(&path, &link) else {
                continue;
            };
            if !target.starts_with("/book/") {
                // The book must stand on its own under /book/.
                broken.push(format!("{target} (outside /book/), linked from {path}"));
                continue;
            }
            if let Some(f) = frag.filter(|f| !f.is_empty()) {
                fragments.push((target.clone(), f, path.clone()));
            }
            queue.push_back((target, path.clone()));
        }
        seen.insert(path, Some(ids(&html)));
    }
    for (target, frag, from) in fragments {
        if let Some(Some(ids)) = seen.get(&target)
            && !ids.contains(&frag)
        {
            broken.push(format!("{target}#{frag} (no such id), linked from {from}"));
        }
    }
    assert!(
        broken.is_empty(),
        "broken links under /book/ ({} URLs checked):\n{}",
        seen.len(),
        broken.join("\n")
    );
    // The chapters' links to the code resolve to the code itself.
    let (status, ct, body) = fetch(&server, "/book/src/lib.rs");
    assert_eq!((status, ct.as_str()), (200, "text/plain; charset=utf-8"));
    assert_eq!(body, std::fs::read(root().join("src/lib.rs")).unwrap());
}

#[test]
fn book_route_names_make_book_when_the_book_is_not_built() {
    let tmp = TempDir::new("nobook");
    let missing = tmp.join("not-built");
    let server = Server::start(
        env!("CARGO_BIN_EXE_wirebook"),
        &["--quiet", "--book", missing.to_str().unwrap()],
    );
    let (status, _, body) = fetch(&server, "/book/");
    assert_eq!(status, 404);
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("make book"), "{body}");
    assert_eq!(fetch(&server, "/book").0, 301);
    assert_eq!(fetch(&server, "/book").1, "/book/");
}

#[test]
fn wirebook_started_elsewhere_serves_the_crates_static_directory() {
    let tmp = TempDir::new("elsewhere");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wirebook"));
    cmd.current_dir(&tmp.path).args(["--addr", "127.0.0.1:0"]);
    let server = Server::start_command(cmd);
    let (status, _, body) = fetch(&server, "/");
    assert_eq!(status, 200);
    assert_eq!(
        body,
        std::fs::read(root().join("static/index.html")).unwrap()
    );
    let served = root().join("static").canonicalize().unwrap();
    let said = format!("serving {} at /", served.display());
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while !server.stderr_text().contains(&said) && std::time::Instant::now() < deadline {
        std::thread::yield_now();
    }
    assert!(
        server.stderr_text().contains(&said),
        "{}",
        server.stderr_text()
    );
}
