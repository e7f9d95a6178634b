//! Replays every fuzz target's seed corpus (`tests/fuzz/corpus/NAME/`) and
//! every input that once broke a property (`tests/fuzz/regressions/NAME/`)
//! through the same property functions libFuzzer runs (`make fuzz`), on
//! the stable toolchain, in a few seconds.

#[path = "fuzz/src/lib.rs"]
mod properties;

use std::path::Path;

fn inputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .map(|e| {
            let p = e.path();
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("{p:?}: {e}"));
            (p.display().to_string(), bytes)
        })
        .collect();
    files.sort();
    files
}

fn replay(kind: &str) -> usize {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz")
        .join(kind);
    let mut total = 0;
    for (name, property) in properties::TARGETS {
        for (file, bytes) in inputs(&base.join(name)) {
            let outcome = std::panic::catch_unwind(|| property(&bytes));
            assert!(outcome.is_ok(), "{name}: property broken by {file}");
            total += 1;
        }
    }
    total
}

#[test]
fn every_seed_input_keeps_every_property() {
    let n = replay("corpus");
    assert!(n >= properties::TARGETS.len(), "only {n} seed inputs");
}

#[test]
fn every_input_that_once_broke_a_property_keeps_it_now() {
    replay("regressions");
}

#[test]
fn every_target_has_a_seed_corpus() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus");
    for (name, _) in properties::TARGETS {
        assert!(!inputs(&base.join(name)).is_empty(), "no seeds for {name}");
    }
}

/// Found by the `head_httparse` target: httparse accepts UTF-8 bytes in the
/// request-target, which chapter 2's parser (and RFC 9112 §3.2) refuse.
#[test]
fn both_request_parsers_refuse_a_target_that_is_not_ascii() {
    use wirebook::ch02_http_by_hand::head::{HeadLimits, parse_request};
    use wirebook::ch04_methods_and_routing::parse::parse_request_head;
    let wire = "GET /caf\u{e9} HTTP/1.1\r\nHost: a\r\n\r\n".as_bytes();
    let limits = HeadLimits::SERVER;
    assert_eq!(parse_request(wire, &limits).unwrap_err().status(), 400);
    assert_eq!(parse_request_head(wire, &limits).unwrap_err().status(), 400);
}

/// Found by the `url` target: resolving could give a URL without authority
/// whose path starts with `//`, which printed as a different URL.
#[test]
fn a_resolved_path_never_reads_back_as_an_authority() {
    use wirebook::ch03_urls_and_clients::url::Url;
    let base = Url::parse("http://a/b/c/d;p?q").unwrap();
    for reference in ["x:..//:;x=1/..//h", "x:/a/..//h", "//h/a/..//b"] {
        let r = base.join(reference).unwrap();
        assert_eq!(Url::parse(&r.to_string()).unwrap(), r, "{reference}");
    }
    let r = base.join("x:..//:;x=1/..//h").unwrap();
    assert_eq!(r.to_string(), "x:/.//h");
}
