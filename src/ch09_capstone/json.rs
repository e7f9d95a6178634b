//! Just enough JSON (RFC 8259) for the chat's wire protocol: a writer whose
//! strings are escaped correctly, and a small parser for what the page sends.
//!
//! Why not `serde_json`? The book's runtime depends on four crates, each for
//! a reason; a chat that sends six kinds of flat object does not need a
//! serialisation framework. What it does need is to get string escaping
//! *exactly* right: a nickname containing `"` or a newline must not break
//! (or inject into) every other member's page. `serde_json` is still used,
//! as a dev-dependency, to prove that what we write is what it reads.
//!
//! Writing (RFC 8259 §7): a string is `"`-quoted; `"` and `\` and the control
//! characters U+0000..U+001F MUST be escaped, everything else MAY go out as
//! is (the text is UTF-8, §8.1). The escaping itself is chapter 4's
//! [`json_string`]; this module adds an object builder on top.
//!
//! Reading: a recursive-descent parser over the whole grammar (objects,
//! arrays, strings with `\uXXXX` and surrogate pairs, numbers, literals), with
//! a nesting limit so a hostile `[[[[…` cannot exhaust the stack. It
//! rejects what RFC 8259 rejects: raw control characters in strings, lone
//! surrogates, trailing commas, leading zeros, trailing garbage.

use std::fmt::{self, Write as _};

use crate::ch04_methods_and_routing::notes::json_string;

/// Deepest nesting of arrays and objects the parser accepts. The chat's
/// messages are flat objects; 32 is generous and keeps recursion bounded.
pub const MAX_DEPTH: usize = 32;

/// Appends `s` to `out` as a JSON string literal, quotes included.
///
/// Chapter 4's notes resource already escapes JSON strings
/// ([`json_string`]); the chat uses the same function rather than a second
/// copy, and this module's tests pin it down with random strings and an
/// independent parser.
pub fn write_str(out: &mut String, s: &str) {
    exercise!("ex_ch09_json_string", ch09_json_string::write_str(out, s));
    out.push_str(&json_string(s));
}

/// `s` as a JSON string literal.
pub fn quote(s: &str) -> String {
    json_string(s)
}

/// Builds one JSON object, member by member:
///
/// ```
/// use wirebook::ch09_capstone::json::Object;
/// let j = Object::new().str("type", "say").num("seq", 7).finish();
/// assert_eq!(j, r#"{"type":"say","seq":7}"#);
/// ```
#[derive(Debug, Default)]
pub struct Object {
    out: String,
}

impl Object {
    pub fn new() -> Object {
        Object {
            out: String::from("{"),
        }
    }

    fn key(&mut self, key: &str) {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        write_str(&mut self.out, key);
        self.out.push(':');
    }

    /// A string member.
    pub fn str(mut self, key: &str, value: &str) -> Object {
        self.key(key);
        write_str(&mut self.out, value);
        self
    }

    /// An integer member.
    pub fn num(mut self, key: &str, value: u64) -> Object {
        self.key(key);
        let _ = write!(self.out, "{value}");
        self
    }

    /// An array of strings.
    pub fn strs<'a>(mut self, key: &str, values: impl IntoIterator<Item = &'a str>) -> Object {
        self.key(key);
        self.out.push('[');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            write_str(&mut self.out, v);
        }
        self.out.push(']');
        self
    }

    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// A parsed JSON value. Numbers are kept as `f64`, as JavaScript does.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    /// Members in document order (duplicates kept; [`Value::get`] takes the
    /// first).
    Object(Vec<(String, Value)>),
}

impl Value {
    /// The member `key` of an object.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Why a text is not JSON, and where (byte offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub offset: usize,
    pub what: &'static str,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON at byte {}: {}", self.offset, self.what)
    }
}

impl std::error::Error for ParseError {}

/// Parses one JSON text (RFC 8259 §2: a value with optional whitespace
/// around it, nothing else).
pub fn parse(text: &str) -> Result<Value, ParseError> {
    exercise!("ex_ch09_json_parse", ch09_json_parse::parse(text));
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    p.ws();
    let v = p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err("trailing characters after the value"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &'static str) -> ParseError {
        ParseError {
            offset: self.i,
            what,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// RFC 8259 §2: whitespace is space, tab, LF and CR, nothing else.
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8, what: &'static str) -> Result<(), ParseError> {
        if self.peek() == Some(b) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(what))
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Result<Value, ParseError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(self.err("unknown literal"))
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value, ParseError> {
        let members = self.sequence(depth, b'}', "expected ',' or '}'", |p| {
            if p.peek() != Some(b'"') {
                return Err(p.err("expected a string key"));
            }
            let k = p.string()?;
            p.ws();
            p.eat(b':', "expected ':'")?;
            p.ws();
            Ok((k, p.value(depth)?))
        })?;
        Ok(Value::Object(members))
    }

    fn array(&mut self, depth: usize) -> Result<Value, ParseError> {
        let items = self.sequence(depth, b']', "expected ',' or ']'", |p| p.value(depth))?;
        Ok(Value::Array(items))
    }

    /// The common shape of objects and arrays: an opening bracket (at
    /// `self.i`), items separated by commas, `close`. Depth is checked here,
    /// once for both.
    fn sequence<T>(
        &mut self,
        depth: usize,
        close: u8,
        expected: &'static str,
        mut item: impl FnMut(&mut Self) -> Result<T, ParseError>,
    ) -> Result<Vec<T>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.err("nested too deeply"));
        }
        self.i += 1; // `{` or `[`
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(close) {
            self.i += 1;
            return Ok(items);
        }
        loop {
            self.ws();
            items.push(item(self)?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(c) if c == close => {
                    self.i += 1;
                    return Ok(items);
                }
                _ => return Err(self.err(expected)),
            }
        }
    }

    /// RFC 8259 §6: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> Result<Value, ParseError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.err("expected a digit")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("expected a digit after '.'"));
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if !matches!(self.peek(), Some(b'0'..=b'9')) {
                return Err(self.err("expected a digit in the exponent"));
            }
            self.digits();
        }
        // The grammar above is a subset of what Rust's float parser accepts.
        let text = std::str::from_utf8(&self.s[start..self.i]).expect("ASCII");
        match text.parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(Value::Number(n)),
            _ => Err(self.err("number out of range")),
        }
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let h = self
            .s
            .get(self.i..self.i + 4)
            .ok_or_else(|| self.err("truncated \\u escape"))?;
        let mut v = 0;
        for &b in h {
            let d = (b as char)
                .to_digit(16)
                .ok_or_else(|| self.err("bad hex digit in \\u escape"))?;
            v = v * 16 + d;
        }
        self.i += 4;
        Ok(v)
    }

    fn string(&mut self) -> Result<String, ParseError> {
        self.i += 1; // "
        let mut out = String::new();
        loop {
            // Copy the run of plain characters in one go. The input is a
            // `&str`, so it is valid UTF-8 and `"`/`\` never occur inside a
            // multi-byte sequence: cutting at them is safe.
            let run = self.s[self.i..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .ok_or_else(|| self.err("unterminated string"))?;
            out.push_str(std::str::from_utf8(&self.s[self.i..self.i + run]).expect("UTF-8"));
            self.i += run;
            match self.s[self.i] {
                b'"' => {
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.i += 1;
                    let e = self.peek().ok_or_else(|| self.err("unterminated escape"))?;
                    self.i += 1;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => {
                            self.i -= 1;
                            return Err(self.err("unknown escape"));
                        }
                    }
                }
                _ => return Err(self.err("control character in a string must be escaped")),
            }
        }
    }

    /// After `\u`: one code point, or a surrogate pair `\uD83D\uDE00` for
    /// one outside the Basic Multilingual Plane (RFC 8259 §7). A lone
    /// surrogate is not a character and is rejected: it could not be put in
    /// a Rust `String` (nor, correctly, in UTF-8 at all).
    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let hi = self.hex4()?;
        let cp = match hi {
            0xD800..=0xDBFF => {
                if !self.s[self.i..].starts_with(b"\\u") {
                    return Err(self.err("high surrogate without its low half"));
                }
                self.i += 2;
                let lo = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&lo) {
                    return Err(self.err("high surrogate followed by a non-surrogate"));
                }
                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(self.err("lone low surrogate")),
            cp => cp,
        };
        char::from_u32(cp).ok_or_else(|| self.err("not a Unicode scalar value"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn required_escapes_are_escaped() {
        assert_eq!(quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(quote("\n\r\t\u{8}\u{c}"), r#""\n\r\t\u0008\u000c""#);
        assert_eq!(quote("\u{0}\u{1f}\u{7f}"), "\"\\u0000\\u001f\u{7f}\"");
        assert_eq!(quote("é 😀 </script>"), "\"é 😀 </script>\"");
    }

    #[test]
    fn escaped_output_has_no_raw_control_characters() {
        let mut rng = Rng::with_seed(9);
        for _ in 0..200 {
            let s = random_string(&mut rng, 40);
            let q = quote(&s);
            assert!(!q.bytes().any(|b| b < 0x20), "{q:?}");
            // Between the quotes, every '"' is preceded by an odd run of '\'.
            let inner = &q.as_bytes()[1..q.len() - 1];
            for (i, &b) in inner.iter().enumerate() {
                if b == b'"' {
                    let slashes = inner[..i].iter().rev().take_while(|&&c| c == b'\\').count();
                    assert!(slashes % 2 == 1, "unescaped quote in {q:?}");
                }
            }
        }
    }

    /// Strings drawn from the characters that matter: controls, quotes,
    /// backslashes, ASCII, 2/3/4-byte UTF-8, the JS line separators.
    fn random_string(rng: &mut Rng, max: usize) -> String {
        let n = rng.range(0, max);
        (0..n)
            .map(|_| match rng.below(8) {
                0 => char::from_u32(rng.below(0x20) as u32).unwrap(),
                1 => ['"', '\\', '/', '\u{7f}'][rng.below(4) as usize],
                2 => ['é', 'ß', '中', '\u{2028}', '\u{2029}', '\u{fffd}'][rng.below(6) as usize],
                3 => char::from_u32(0x1F600 + rng.below(0x50) as u32).unwrap(),
                4 => loop {
                    if let Some(c) = char::from_u32(rng.below(0x11_0000) as u32) {
                        break c;
                    }
                },
                _ => (b' ' + rng.below(95) as u8) as char,
            })
            .collect()
    }

    #[test]
    fn random_strings_round_trip_through_our_parser() {
        let mut rng = Rng::new();
        for _ in 0..2000 {
            let s = random_string(&mut rng, 64);
            let q = quote(&s);
            assert_eq!(parse(&q), Ok(Value::String(s.clone())), "{q:?}");
        }
    }

    #[test]
    fn random_strings_round_trip_through_serde_json() {
        // An independent implementation reads exactly what we wrote.
        let mut rng = Rng::new();
        for _ in 0..2000 {
            let s = random_string(&mut rng, 64);
            let obj = Object::new().str("k", &s).num("n", 3).finish();
            let v: serde_json::Value = serde_json::from_str(&obj).expect(&obj);
            assert_eq!(v["k"].as_str(), Some(s.as_str()), "{obj:?}");
            assert_eq!(v["n"].as_u64(), Some(3));
        }
    }

    #[test]
    fn what_serde_json_writes_we_read() {
        let mut rng = Rng::new();
        for _ in 0..2000 {
            let s = random_string(&mut rng, 64);
            let text = serde_json::to_string(&serde_json::json!({"type": "say", "text": s}))
                .expect("serialise");
            let v = parse(&text).expect(&text);
            assert_eq!(v.get("text").and_then(Value::as_str), Some(s.as_str()));
        }
    }

    #[test]
    fn escapes_and_surrogate_pairs_decode() {
        let v = parse(r#""\u00e9\ud83d\ude00\/\"\\\b\f\n\r\t\u0000""#).unwrap();
        assert_eq!(
            v,
            Value::String("é😀/\"\\\u{8}\u{c}\n\r\t\u{0}".to_string())
        );
    }

    #[test]
    fn objects_arrays_numbers_literals() {
        let v =
            parse(r#" { "type" : "say", "n": -1.5e2, "a": [true,false,null,{}], "o":{"x":[]} } "#)
                .unwrap();
        assert_eq!(v.get("type").and_then(Value::as_str), Some("say"));
        assert_eq!(v.get("n"), Some(&Value::Number(-150.0)));
        assert_eq!(
            v.get("a"),
            Some(&Value::Array(vec![
                Value::Bool(true),
                Value::Bool(false),
                Value::Null,
                Value::Object(vec![])
            ]))
        );
        assert_eq!(v.get("missing"), None);
    }

    #[test]
    fn invalid_texts_are_rejected_with_an_offset() {
        for bad in [
            "",
            "{",
            "{\"a\":1,}",
            "[1,]",
            "{'a':1}",
            "\"raw\nnewline\"",
            "\"tab\there\"",
            "\"\\x41\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "\"\\u12\"",
            "01",
            "1.",
            "-",
            "1e",
            "tru",
            "nul",
            "{} {}",
            "{\"a\" 1}",
            "\u{a0}{}",
            "1e999",
        ] {
            let e = parse(bad).expect_err(bad);
            assert!(e.offset <= bad.len(), "{bad:?}: {e}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let deep = "[".repeat(100_000);
        assert_eq!(parse(&deep).unwrap_err().what, "nested too deeply");
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn random_garbage_never_panics() {
        let mut rng = Rng::new();
        let alphabet = "{}[]\",:\\u0123456789abcdefnulltruefalse-+.eE \t\n\u{1}é😀";
        for _ in 0..5000 {
            let n = rng.range(0, 30);
            let s = rng.string_from(alphabet, n);
            let _ = parse(&s);
        }
    }
}
