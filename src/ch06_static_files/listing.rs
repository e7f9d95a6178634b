//! Directory listings (off unless asked for: a listing tells a visitor
//! every file name, which is not always what the owner wants).
//!
//! Every file name goes into the page twice, and each place needs its own
//! escaping: in the link's `href` it is percent-encoded (a name may contain
//! `?`, `#` or `%`), in the text it is HTML-escaped (a name may contain
//! `<script>`). Forgetting the second is a stored XSS: whoever can create a
//! file can run script in every visitor's browser.

use std::fs;
use std::io;
use std::path::Path;

use crate::ch03_urls_and_clients::percent::percent_encode;

/// Escapes text for HTML element content and quoted attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub name: String,
    pub is_dir: bool,
    pub len: u64,
}

/// The entries of `dir`, sorted by name, without hidden (dot) files and
/// names that are not UTF-8.
pub fn entries(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir)? {
        let e = e?;
        let Ok(name) = e.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        // Follows symlinks; a dangling one has no metadata and is skipped.
        let Ok(meta) = fs::metadata(e.path()) else {
            continue;
        };
        out.push(Entry {
            name,
            is_dir: meta.is_dir(),
            len: meta.len(),
        });
    }
    out.sort();
    Ok(out)
}

/// An HTML page listing `entries` of the directory at URL path `url_path`
/// (decoded, ending with `/`).
pub fn render(url_path: &str, entries: &[Entry]) -> String {
    let title = html_escape(url_path);
    let mut s = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Index of {title}</title></head>\n<body><h1>Index of {title}</h1>\n<ul>\n"
    );
    if url_path != "/" {
        s.push_str("<li><a href=\"../\">../</a></li>\n");
    }
    for e in entries {
        let slash = if e.is_dir { "/" } else { "" };
        let href = html_escape(&format!("{}{slash}", percent_encode(e.name.as_bytes())));
        let text = html_escape(&format!("{}{slash}", e.name));
        let size = if e.is_dir {
            String::new()
        } else {
            format!(" ({} bytes)", e.len)
        };
        s.push_str(&format!("<li><a href=\"{href}\">{text}</a>{size}</li>\n"));
    }
    s.push_str("</ul></body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_in_text_and_links() {
        let evil = Entry {
            name: "<script>alert('x')</script>&\"?#%.txt".into(),
            is_dir: false,
            len: 3,
        };
        let page = render("/up/<b>/", &[evil]);
        assert!(!page.contains("<script>"), "{page}");
        assert!(!page.contains("<b>"), "{page}");
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;?#%.txt"));
        assert!(
            page.contains(
                "href=\"%3Cscript%3Ealert%28%27x%27%29%3C%2Fscript%3E%26%22%3F%23%25.txt\""
            )
        );
        assert!(page.contains("href=\"../\""));
    }

    #[test]
    fn entries_are_sorted_and_hidden_files_skipped() {
        let t = crate::testkit::TempDir::new("listing");
        fs::write(t.join("b.txt"), "bb").unwrap();
        fs::write(t.join(".hidden"), "").unwrap();
        fs::create_dir(t.join("a")).unwrap();
        let e = entries(&t.path).unwrap();
        let names: Vec<_> = e.iter().map(|e| (e.name.as_str(), e.is_dir)).collect();
        assert_eq!(names, [("a", true), ("b.txt", false)]);
        assert!(render("/", &e).contains("href=\"a/\">a/</a>"));
    }
}
