//! The properties every fuzz target checks, as ordinary functions.
//!
//! Each `pub fn NAME(data: &[u8])` takes arbitrary bytes and panics when a
//! property is broken. Two callers share them:
//!
//! * `tests/fuzz/fuzz_targets/NAME.rs`: libFuzzer (`make fuzz`, nightly);
//! * `tests/fuzz_corpus.rs`: replays the seed corpus `tests/fuzz/corpus/NAME/`
//!   and the crashes found so far, `tests/fuzz/regressions/NAME/`, on the
//!   stable toolchain in `make test`.
//!
//! The functions call the book's parsers through their public API only, so
//! a parser that moves needs one `use` line changed here, nothing else.
//!
//! Properties, not only "no panic": a round trip wherever an encoder exists,
//! the hand parser of chapter 2 against httparse where both accept, and no
//! resolved path outside the served root.

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use wirebook::ch01_sockets::dns;
use wirebook::ch02_http_by_hand::date::{format_http_date, parse_http_date};
use wirebook::ch02_http_by_hand::head::{
    HeadError, HeadLimits, Parsed, RequestHead, parse_request, parse_response,
};
use wirebook::ch03_urls_and_clients::body::{ChunkedDecoder, encode_chunk, response_body_kind};
use wirebook::ch03_urls_and_clients::percent;
use wirebook::ch03_urls_and_clients::url::Url;
use wirebook::ch04_methods_and_routing::Method;
use wirebook::ch04_methods_and_routing::parse::parse_request_head;
use wirebook::ch06_static_files::conditional::{
    TagList, Validators, evaluate, if_range_matches, parse_tag_list,
};
use wirebook::ch06_static_files::path::{Root, canonical_root, resolve, segments};
use wirebook::ch06_static_files::range::{MAX_RANGES, RangeRequest, parse_range};
use wirebook::ch08_websocket::frame::{self, Decoded, Frame, OpCode, Role};
use wirebook::ch08_websocket::message::{Event, Message, Reassembler, valid_utf8_prefix};
use wirebook::ch09_capstone::json;
use wirebook::ch09_capstone::protocol::ClientMessage;

/// A property: panics when `data` breaks it.
pub type Property = fn(&[u8]);

/// Every target, by the name of its corpus directory and fuzz target.
pub const TARGETS: &[(&str, Property)] = &[
    ("head_hand", head_hand),
    ("head_httparse", head_httparse),
    ("chunked", chunked),
    ("response", response),
    ("url", url),
    ("percent", percent_codec),
    ("dns", dns_message),
    ("ws_frame", ws_frame),
    ("ws_message", ws_message),
    ("utf8", utf8),
    ("range", range),
    ("conditional", conditional),
    ("path", path),
    ("json", json_reader),
];

/// Bytes as text for the parsers that take `&str` (URLs, field values):
/// invalid UTF-8 is replaced, so every input reaches the parser.
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

// ---------------------------------------------------------------- HTTP heads

type HeadOutcome = Result<Parsed<RequestHead>, HeadError>;

/// Chapter 2's hand parser: what it parses, serialised again
/// (`RequestHead::to_bytes`), parses to the same head; and no prefix of
/// the input is a *different* complete head.
pub fn head_hand(data: &[u8]) {
    let limits = HeadLimits::SERVER;
    let Ok(Parsed::Complete(head, n)) = parse_request(data, &limits) else {
        return;
    };
    assert!(n <= data.len(), "used {n} of {} bytes", data.len());
    let wire = head.to_bytes();
    match parse_request(&wire, &limits) {
        Ok(Parsed::Complete(again, m)) => {
            assert_eq!(again, head, "re-serialised head parses differently");
            assert_eq!(m, wire.len());
        }
        other => panic!("re-serialised head {wire:?} gives {other:?}"),
    }
    // The head ends at n: every shorter prefix is incomplete (or an error
    // the whole head did not have? never: an error is final).
    for cut in [n / 2, n.saturating_sub(1)] {
        match parse_request(&data[..cut], &limits) {
            Ok(Parsed::Incomplete) => {}
            other => panic!("prefix of {cut} bytes of a {n}-byte head gives {other:?}"),
        }
    }
}

/// The two request-head parsers side by side: where both accept, they
/// must read the same method, target, version and fields and end at the
/// same byte. Where one accepts a whole head, the other must not reject
/// it, except for the difference chapter 4 documents (`HTTP/1.x` with x > 1,
/// which chapter 2 serves as 1.1 and httparse refuses).
pub fn head_httparse(data: &[u8]) {
    let limits = HeadLimits::SERVER;
    let hand: HeadOutcome = parse_request(data, &limits);
    let hp: HeadOutcome = parse_request_head(data, &limits);
    match (&hand, &hp) {
        (Ok(Parsed::Complete(a, n)), Ok(Parsed::Complete(b, m))) => {
            assert_eq!(a, b, "the parsers read different heads");
            assert_eq!(n, m, "the parsers end the head at different bytes");
        }
        (Ok(Parsed::Complete(a, _)), Err(e)) => {
            let documented = matches!(e, HeadError::UnsupportedVersion) && is_http_1x_above_1(data);
            assert!(
                documented,
                "hand parser accepts {a:?}, httparse rejects: {e:?}"
            );
        }
        (Err(e), Ok(Parsed::Complete(b, _))) => {
            panic!("httparse accepts {b:?}, the hand parser rejects: {e:?}")
        }
        _ => {}
    }
}

/// Whether the request-line's version is `HTTP/1.x` with x > 1.
fn is_http_1x_above_1(data: &[u8]) -> bool {
    let start = data
        .iter()
        .position(|&b| b != b'\r' && b != b'\n')
        .unwrap_or(0);
    let line = data[start..].split(|&b| b == b'\n').next().unwrap_or(&[]);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    line.len() >= 8 && {
        let v = &line[line.len() - 8..];
        v.starts_with(b"HTTP/1.") && v[7].is_ascii_digit() && v[7] > b'1'
    }
}

// ---------------------------------------------------------------- bodies

/// Runs the chunked decoder over `input` handing it `step` input bytes and
/// `out_cap` output bytes at a time; returns (body, consumed, done) or the
/// error.
fn decode_chunked(input: &[u8], step: usize, out_cap: usize) -> Result<(Vec<u8>, usize, bool), ()> {
    let mut d = ChunkedDecoder::new();
    let mut body = Vec::new();
    let mut out = vec![0u8; out_cap];
    let mut at = 0;
    loop {
        let end = (at + step).min(input.len());
        let (used, produced) = d.decode(&input[at..end], &mut out).map_err(|_| ())?;
        assert!(used <= end - at && produced <= out_cap);
        body.extend_from_slice(&out[..produced]);
        at += used;
        if d.is_done() {
            return Ok((body, at, true));
        }
        if used == 0 && produced == 0 {
            if end == input.len() {
                return Ok((body, at, false));
            }
            // The decoder wants more than `step` bytes at once: it must not.
            panic!("chunked decoder made no progress with {} bytes", end - at);
        }
    }
}

/// The chunked decoder: fed all at once or a byte at a time into a one-byte
/// buffer, the same body, the same end, the same verdict. And a body cut
/// into chunks by `encode_chunk` decodes to itself.
pub fn chunked(data: &[u8]) {
    let whole = decode_chunked(data, data.len().max(1), 64 * 1024);
    let bytewise = decode_chunked(data, 1, 1);
    match (&whole, &bytewise) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "whole and byte-wise decoding differ"),
        (Err(()), Err(())) => {}
        // Byte-wise may stop early for lack of input where whole fails, never
        // the reverse with a finished body.
        (Err(()), Ok((_, _, false))) | (Ok((_, _, false)), Err(())) => {}
        _ => panic!("whole {whole:?} vs byte-wise {bytewise:?}"),
    }
    // Round trip: the first byte says how to cut the rest into chunks.
    let (size, body) = match data.split_first() {
        Some((s, rest)) => ((*s as usize % 16) + 1, rest),
        None => (1, data),
    };
    let mut wire = Vec::new();
    for piece in body.chunks(size) {
        encode_chunk(piece, &mut wire);
    }
    wire.extend_from_slice(b"0\r\n\r\nNEXT");
    let (decoded, used, done) = decode_chunked(&wire, wire.len(), 7).expect("our own chunks");
    assert!(done);
    assert_eq!(decoded, body);
    assert_eq!(&wire[used..], b"NEXT", "the decoder read past the body");
}

/// The client's response parser (chapter 2's `parse_response`, chapter 3's
/// framing decision): a parsed head re-serialises to the same head, and
/// its body framing is decided without panicking.
pub fn response(data: &[u8]) {
    let limits = HeadLimits::CLIENT;
    let Ok(Parsed::Complete(head, n)) = parse_response(data, &limits) else {
        return;
    };
    assert!(n <= data.len());
    for method in ["GET", "HEAD"] {
        let _ = response_body_kind(method, head.status, &head.headers);
    }
    let wire = head.to_bytes();
    match parse_response(&wire, &limits) {
        Ok(Parsed::Complete(again, m)) => {
            assert_eq!(
                again, head,
                "re-serialised response head parses differently"
            );
            assert_eq!(m, wire.len());
        }
        other => panic!("re-serialised head {wire:?} gives {other:?}"),
    }
}

// ---------------------------------------------------------------- URLs

/// URLs: what parses, serialises (RFC 3986 §5.3) to a string that parses
/// to the same URL; resolving against a base gives a URL that also round
/// trips, with no dot segments left in an absolute path.
pub fn url(data: &[u8]) {
    let s = text(data);
    let Ok(u) = Url::parse_reference(&s) else {
        return;
    };
    let printed = u.to_string();
    let again = Url::parse_reference(&printed)
        .unwrap_or_else(|e| panic!("{s:?} printed as {printed:?} does not parse: {e:?}"));
    assert_eq!(again, u, "{s:?} printed as {printed:?}");
    let _ = u.http_parts();
    let base = Url::parse("http://a/b/c/d;p?q").expect("RFC 3986 §5.4's base");
    let r = base.resolve(&u);
    let printed = r.to_string();
    let again = Url::parse(&printed)
        .unwrap_or_else(|e| panic!("{s:?} resolved to {printed:?}, which does not parse: {e:?}"));
    assert_eq!(again, r, "{s:?} resolved and printed as {printed:?}");
    // The one dot segment allowed: `/.//x`, a path without authority that
    // would otherwise start with `//` (RFC 3986 §3.3).
    let path = match r.path.strip_prefix("/.") {
        Some(rest) if r.authority.is_none() && rest.starts_with("//") => rest,
        _ => &r.path,
    };
    assert!(
        !path.split('/').any(|seg| seg == "." || seg == ".."),
        "{s:?} resolved to {printed:?}, with dot segments"
    );
    let _ = base.same_origin(&r);
}

/// Percent-encoding: decoding what was encoded gives the bytes back
/// (segment and path encoders, and forms); what decodes, re-encoded,
/// decodes to the same bytes.
pub fn percent_codec(data: &[u8]) {
    assert_eq!(
        percent::percent_decode(&percent::percent_encode(data)).as_deref(),
        Ok(data)
    );
    let s = text(data);
    assert_eq!(
        percent::percent_decode(&percent::percent_encode_path(&s)).as_deref(),
        Ok(s.as_bytes())
    );
    if let Ok(bytes) = percent::percent_decode(&s) {
        let again = percent::percent_decode(&percent::percent_encode(&bytes));
        assert_eq!(again.as_deref(), Ok(&bytes[..]));
    }
    let _ = percent::parse_form(&s);
    // Forms: pairs cut at NUL bytes of the input, key and value at the first '='.
    let pairs: Vec<(String, String)> = s
        .split('\0')
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    let encoded = percent::encode_form(&pairs);
    assert_eq!(
        percent::parse_form(&encoded).as_deref(),
        Ok(&pairs[..]),
        "form {encoded:?}"
    );
}

// ---------------------------------------------------------------- DNS

/// The DNS message decoder: no panic on any message; every name it reads,
/// if it is plain printable ASCII, encodes and reads back to itself; and a
/// query built for a name made of the input parses back to that question.
pub fn dns_message(data: &[u8]) {
    if let Ok(msg) = dns::parse_message(data) {
        let _ = dns::summary(&msg);
        for q in &msg.questions {
            let _ = dns::answer_for(&msg, msg.header.id, &q.name, dns::QType::A);
            let _ = dns::answer_for(&msg, msg.header.id, &q.name, dns::QType::Aaaa);
            name_round_trip(&q.name);
        }
        for r in &msg.answers {
            name_round_trip(&r.name);
        }
    }
    for at in [dns::HEADER_LEN, 0] {
        if let Ok((name, _)) = dns::read_name(data, at) {
            name_round_trip(&name);
        }
    }
    let name = text(data);
    // A backslash is the escape of the presentation format (`\DDD`), which
    // `encode_name` does not interpret: such names cannot round trip.
    if name.contains('\\') {
        return;
    }
    if let Ok(query) = dns::build_query(0x1234, &name, dns::QType::Aaaa) {
        let msg = dns::parse_message(&query).expect("our own query parses");
        assert_eq!(msg.questions.len(), 1);
        assert!(
            dns::same_name(&msg.questions[0].name, &name),
            "{name:?} came back as {:?}",
            msg.questions[0].name
        );
    }
}

fn name_round_trip(name: &str) {
    // `\DDD` escapes mark bytes that a printed name cannot carry as is.
    if name.contains('\\') {
        return;
    }
    let mut wire = Vec::new();
    dns::encode_name(name, &mut wire)
        .unwrap_or_else(|e| panic!("{name:?} read but not encoded: {e}"));
    let (back, end) = dns::read_name(&wire, 0).expect("our own name reads");
    assert_eq!(end, wire.len());
    assert!(
        dns::same_name(&back, name),
        "{name:?} came back as {back:?}"
    );
}

// ---------------------------------------------------------------- WebSocket

/// Frame decoder, both roles: a decoded frame encodes (with the same mask)
/// and decodes again to itself; a frame never claims more bytes than given;
/// every strict prefix of a whole frame needs more.
pub fn ws_frame(data: &[u8]) {
    const LIMIT: u64 = 1 << 20;
    for role in [Role::Server, Role::Client] {
        let Ok(Decoded::Frame(f, used)) = frame::decode(data, role, LIMIT) else {
            continue;
        };
        assert!(used <= data.len());
        let mask = match role {
            Role::Server => {
                let h = frame::parse_header(data, role, LIMIT).unwrap().unwrap();
                h.mask
            }
            Role::Client => None,
        };
        let mut wire = Vec::new();
        f.encode(mask, &mut wire);
        match frame::decode(&wire, role, LIMIT) {
            Ok(Decoded::Frame(again, n)) => {
                assert_eq!(again, f);
                assert_eq!(n, wire.len());
            }
            other => panic!("re-encoded {f:?} gives {other:?}"),
        }
        // Minimal length encoding (§5.2) is what we write; a peer's frame in
        // minimal form is re-encoded byte for byte.
        if wire.len() == used {
            assert_eq!(wire, &data[..used], "same length, different bytes");
        }
        for cut in [0, 1, used / 2, used.saturating_sub(1)] {
            if cut < used {
                assert!(
                    matches!(
                        frame::decode(&data[..cut], role, LIMIT),
                        Ok(Decoded::NeedMore { .. })
                    ),
                    "a {cut}-byte prefix of a {used}-byte frame"
                );
            }
        }
    }
}

/// Frames cut from the input: one byte of header (FIN, opcode), one of
/// length, then that many payload bytes.
fn frames_from(data: &[u8]) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut rest = data;
    while let [h, len, tail @ ..] = rest {
        let len = (*len as usize).min(tail.len());
        let opcode = match h & 0x7 {
            0 | 5 => OpCode::Continuation,
            1 | 6 => OpCode::Text,
            2 | 7 => OpCode::Binary,
            3 => OpCode::Ping,
            _ => OpCode::Close,
        };
        let fin = h & 0x80 != 0 || opcode.is_control();
        frames.push(Frame {
            fin,
            opcode,
            payload: tail[..len].to_vec(),
        });
        rest = &tail[len..];
    }
    frames
}

/// The message assembler against a model: a message delivered is the
/// concatenation of its fragments; a text message is exactly the valid
/// UTF-8 ones; a 1007 comes only when the text so far can no longer be
/// valid UTF-8; a 1009 only past the limit.
pub fn ws_message(data: &[u8]) {
    const MAX: usize = 300;
    let mut r = Reassembler::new(MAX);
    let mut pending: Option<(OpCode, Vec<u8>)> = None;
    for f in frames_from(data) {
        let (fin, opcode, payload) = (f.fin, f.opcode, f.payload.clone());
        let event = r.push(f);
        if opcode.is_control() {
            if opcode == OpCode::Close {
                return; // close payloads are chapter 8's close.rs; its tests cover them
            }
            assert!(event.is_ok());
            continue;
        }
        // The model: what a message would hold after this frame.
        let (kind, so_far) = match (opcode, pending.take()) {
            (OpCode::Continuation, Some((k, mut b))) => {
                b.extend_from_slice(&payload);
                (k, b)
            }
            (OpCode::Continuation, None) | (_, Some(_)) => {
                let v = event.expect_err("a data frame out of place");
                assert_eq!(v.code, 1002);
                return;
            }
            (k, None) => (k, payload),
        };
        match event {
            Err(v) if v.code == 1009 => {
                assert!(so_far.len() > MAX);
                return;
            }
            Err(v) => {
                assert_eq!(v.code, 1007, "{v}");
                assert_eq!(kind, OpCode::Text);
                // At the end of a message any invalid text fails; mid-message
                // only a sequence that no later byte can complete.
                match std::str::from_utf8(&so_far) {
                    Ok(_) => panic!("1007 on valid text {so_far:?}"),
                    Err(e) => assert!(fin || e.error_len().is_some(), "1007 on a split character"),
                }
                return;
            }
            Ok(Event::Fragment) => {
                assert!(!fin);
                assert!(so_far.len() <= MAX);
                pending = Some((kind, so_far));
            }
            Ok(Event::Message(m)) => {
                assert!(fin);
                match m {
                    Message::Text(t) => {
                        assert_eq!(kind, OpCode::Text);
                        assert_eq!(t.as_bytes(), &so_far[..]);
                    }
                    Message::Binary(b) => {
                        assert_eq!(kind, OpCode::Binary);
                        assert_eq!(b, so_far);
                    }
                }
            }
            Ok(other) => panic!("{other:?} for a data frame"),
        }
    }
}

/// The streaming UTF-8 validator against `std::str::from_utf8`: text fed in
/// two pieces, cut anywhere, is accepted exactly when it is valid UTF-8.
pub fn utf8(data: &[u8]) {
    let valid = std::str::from_utf8(data).is_ok();
    let cut = data.first().map_or(0, |&b| b as usize % (data.len() + 1));
    let streamed = (|| {
        let checked = valid_utf8_prefix(&data[..cut]).ok()?;
        assert!(checked <= cut && cut - checked < 4);
        let rest = &data[checked..];
        let n = valid_utf8_prefix(rest).ok()?;
        // At the end of the message nothing may be left unchecked.
        (n == rest.len()).then_some(())
    })();
    assert_eq!(streamed.is_some(), valid, "cut at {cut}");
}

// ---------------------------------------------------------------- files

/// `Range`: whatever the value, the ranges lie inside the file, are sorted,
/// disjoint and not touching, and there are at most [`MAX_RANGES`].
pub fn range(data: &[u8]) {
    let (len, value) = match data.split_first() {
        Some((l, rest)) => (*l as u64 * 37, text(rest)),
        None => (0, String::new()),
    };
    for len in [len, 0, 1, u64::MAX] {
        let check = |r: &wirebook::ch06_static_files::range::ByteRange| {
            assert!(r.first <= r.last && r.last < len, "{r:?} in {len} bytes");
        };
        match parse_range(&value, len) {
            RangeRequest::Single(r) => check(&r),
            RangeRequest::Multiple(rs) => {
                assert!(rs.len() >= 2 && rs.len() <= MAX_RANGES);
                rs.iter().for_each(check);
                for w in rs.windows(2) {
                    assert!(w[0].last.saturating_add(1) < w[1].first, "{rs:?}");
                }
            }
            RangeRequest::Ignore | RangeRequest::Unsatisfiable => {}
        }
    }
}

/// Conditional headers: an entity-tag list, printed again, parses to the
/// same list; dates that parse print and parse back to the same second;
/// evaluating preconditions never panics.
pub fn conditional(data: &[u8]) {
    let s = text(data);
    if let Some(TagList::Tags(tags)) = parse_tag_list(&s) {
        let printed: Vec<String> = tags
            .iter()
            .map(|t| format!("{}{}", if t.weak { "W/" } else { "" }, t.tag))
            .collect();
        let printed = printed.join(", ");
        assert_eq!(
            parse_tag_list(&printed),
            Some(TagList::Tags(tags.clone())),
            "{s:?} printed as {printed:?}"
        );
    }
    if let Some(t) = parse_http_date(&s) {
        let printed = format_http_date(t);
        assert_eq!(
            parse_http_date(&printed),
            Some(t),
            "{s:?} printed as {printed:?}"
        );
    }
    let v = Validators {
        etag: "\"abc\"".into(),
        modified: UNIX_EPOCH + Duration::from_secs(1_000_000_000),
    };
    let _ = if_range_matches(&s, &v);
    let mut headers = wirebook::ch02_http_by_hand::head::Headers::new();
    for (i, part) in s.split('\n').enumerate() {
        let name = [
            "if-match",
            "if-none-match",
            "if-modified-since",
            "if-unmodified-since",
        ][i % 4];
        headers.append(name, part);
    }
    for m in [Method::Get, Method::Put] {
        let _ = evaluate(m, &headers, &v);
    }
}

/// A served directory for the path target, made once per process:
/// `root/{index.html, sub/a.txt, in -> sub, out -> ../outside, abs -> /}`
/// beside `outside/secret`.
fn path_fixture() -> &'static PathBuf {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("wirebook-fuzz-path-{}", std::process::id()));
        let root = base.join("root");
        let _ = std::fs::create_dir_all(root.join("sub"));
        let _ = std::fs::create_dir_all(base.join("outside"));
        let _ = std::fs::write(base.join("outside/secret"), "secret");
        let _ = std::fs::write(root.join("index.html"), "hi");
        let _ = std::fs::write(root.join("sub/a.txt"), "a");
        #[cfg(unix)]
        {
            let _ = std::os::unix::fs::symlink("sub", root.join("in"));
            let _ = std::os::unix::fs::symlink("../outside", root.join("out"));
            let _ = std::os::unix::fs::symlink("/", root.join("abs"));
        }
        canonical_root(&root).expect("fixture root")
    })
}

/// The static-file path resolver: whatever the request path, a resolved or
/// opened file lies under the root (by path components), and the checked
/// segments are plain names.
pub fn path(data: &[u8]) {
    let raw = text(data);
    if let Ok(segs) = segments(&raw) {
        for s in &segs {
            assert!(
                !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0']),
                "{raw:?} gave segment {s:?}"
            );
        }
        let root = path_fixture();
        let opened = Root::new(root).expect("fixture").open(&segs);
        if let Ok(o) = opened {
            let real = real_path(&o.file).unwrap_or(o.path);
            assert!(real.starts_with(root), "{raw:?} opened {real:?}");
        }
    }
    let root = path_fixture();
    if let Ok(p) = resolve(root, &raw) {
        assert!(p.starts_with(root), "{raw:?} resolved to {p:?}");
    }
}

/// What the kernel says an open file is (`/proc/self/fd/N`).
fn real_path(f: &std::fs::File) -> Option<PathBuf> {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        std::fs::read_link(Path::new("/proc/self/fd").join(f.as_raw_fd().to_string())).ok()
    }
    #[cfg(not(unix))]
    {
        let _ = f;
        None
    }
}

// ---------------------------------------------------------------- JSON

/// The chat's JSON reader: a string written by `json::quote` reads back to
/// itself; where serde_json and ours both accept a text, they read the same
/// value; and a chat message survives `to_json` and `parse`.
pub fn json_reader(data: &[u8]) {
    let s = text(data);
    assert_eq!(
        json::parse(&json::quote(&s)),
        Ok(json::Value::String(s.clone()))
    );
    let ours = json::parse(&s);
    let theirs: Result<serde_json::Value, _> = serde_json::from_str(&s);
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => assert!(same_json(a, b), "{s:?}: {a:?} vs {b:?}"),
        (Ok(a), Err(e)) => panic!("{s:?}: we read {a:?}, serde_json refuses: {e}"),
        (Err(e), Ok(_)) => assert!(
            e.what == "nested too deeply" || e.what == "number out of range",
            "{s:?}: serde_json reads it, we refuse: {e}"
        ),
        (Err(_), Err(_)) => {}
    }
    if let Ok(m) = ClientMessage::parse(&s) {
        assert_eq!(ClientMessage::parse(&m.to_json()), Ok(m));
    }
    for m in [
        ClientMessage::Join { nick: s.clone() },
        ClientMessage::Say { text: s.clone() },
    ] {
        assert_eq!(ClientMessage::parse(&m.to_json()), Ok(m));
    }
}

fn same_json(a: &json::Value, b: &serde_json::Value) -> bool {
    use json::Value as V;
    match (a, b) {
        (V::Null, serde_json::Value::Null) => true,
        (V::Bool(x), serde_json::Value::Bool(y)) => x == y,
        (V::Number(x), serde_json::Value::Number(y)) => {
            let y = y.as_f64().unwrap_or(f64::NAN);
            x == &y || (x - y).abs() <= x.abs().max(y.abs()) * 1e-12
        }
        (V::String(x), serde_json::Value::String(y)) => x == y,
        (V::Array(x), serde_json::Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        // serde_json keeps the last of duplicate keys, ours the first: compare
        // by our `get` only where keys are unique.
        (V::Object(x), serde_json::Value::Object(y)) => {
            let mut keys: Vec<&String> = x.iter().map(|(k, _)| k).collect();
            keys.sort();
            keys.dedup();
            keys.len() != x.len()
                || (x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| same_json(v, w))))
        }
        _ => false,
    }
}
