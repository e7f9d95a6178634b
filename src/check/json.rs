//! The checker's own JSON (RFC 8259), for the chat checks: a string
//! writer and a strict parser, independent of chapter 9's codec, which a
//! reader may be rewriting as an exercise.
//!
//! The parser yields chapter 9's [`Value`] *type* (a plain enum: nothing in
//! it can be stubbed out), so the chat checks and their callers speak of one
//! type of value whoever parsed it.

pub use crate::ch09_capstone::json::Value;

/// Deepest nesting accepted: the chat's messages are flat objects.
pub const MAX_DEPTH: usize = 32;

/// `s` as a JSON string literal: `"`, `\` and U+0000..U+001F escaped
/// (RFC 8259 §7), everything else as is.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `{"k1":"v1","k2":"v2"}` from string pairs.
pub fn object(pairs: &[(&str, &str)]) -> String {
    let members: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}:{}", quote(k), quote(v)))
        .collect();
    format!("{{{}}}", members.join(","))
}

/// Parses one JSON text; the error says what is wrong and at which byte.
pub fn parse(text: &str) -> Result<Value, String> {
    let mut p = Parser {
        b: text.as_bytes(),
        at: 0,
    };
    let v = p.value(0)?;
    p.ws();
    if p.at != p.b.len() {
        return p.fail("trailing characters after the value");
    }
    Ok(v)
}

struct Parser<'a> {
    b: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn fail<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("invalid JSON at byte {}: {what}", self.at))
    }

    fn ws(&mut self) {
        while matches!(self.b.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn eat(&mut self, lit: &str) -> bool {
        let ok = self.b[self.at..].starts_with(lit.as_bytes());
        if ok {
            self.at += lit.len();
        }
        ok
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return self.fail("nested too deep");
        }
        self.ws();
        match self.b.get(self.at) {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => self.string().map(Value::String),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ if self.eat("true") => Ok(Value::Bool(true)),
            _ if self.eat("false") => Ok(Value::Bool(false)),
            _ if self.eat("null") => Ok(Value::Null),
            _ => self.fail("expected a value"),
        }
    }

    /// `[` or `{` already seen: items separated by commas up to `close`.
    fn items(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), String>,
    ) -> Result<(), String> {
        self.at += 1;
        self.ws();
        if self.b.get(self.at) == Some(&close) {
            self.at += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            self.ws();
            match self.b.get(self.at) {
                Some(b',') => self.at += 1,
                Some(c) if *c == close => {
                    self.at += 1;
                    return Ok(());
                }
                _ => return self.fail("expected `,` or the end of the list"),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<Value, String> {
        let mut out = Vec::new();
        self.items(b']', |p| {
            out.push(p.value(depth + 1)?);
            Ok(())
        })?;
        Ok(Value::Array(out))
    }

    fn object(&mut self, depth: usize) -> Result<Value, String> {
        let mut out = Vec::new();
        self.items(b'}', |p| {
            p.ws();
            if p.b.get(p.at) != Some(&b'"') {
                return p.fail("expected a member name in quotes");
            }
            let k = p.string()?;
            p.ws();
            if !p.eat(":") {
                return p.fail("expected `:`");
            }
            out.push((k, p.value(depth + 1)?));
            Ok(())
        })?;
        Ok(Value::Object(out))
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.at;
        self.eat("-");
        let digits = |p: &mut Self| {
            let s = p.at;
            while p.b.get(p.at).is_some_and(u8::is_ascii_digit) {
                p.at += 1;
            }
            p.at - s
        };
        let int_start = self.at;
        let n = digits(self);
        if n == 0 || (n > 1 && self.b[int_start] == b'0') {
            return self.fail("a number needs digits, without a leading zero");
        }
        if self.eat(".") && digits(self) == 0 {
            return self.fail("digits must follow the decimal point");
        }
        if matches!(self.b.get(self.at), Some(b'e' | b'E')) {
            self.at += 1;
            if !self.eat("+") {
                self.eat("-");
            }
            if digits(self) == 0 {
                return self.fail("digits must follow the exponent");
            }
        }
        let text = std::str::from_utf8(&self.b[start..self.at]).unwrap_or("0");
        Ok(Value::Number(text.parse().unwrap_or(0.0)))
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let h = self.b.get(self.at..self.at + 4).unwrap_or(b"");
        let text = std::str::from_utf8(h).unwrap_or("");
        match u32::from_str_radix(text, 16) {
            Ok(v) if h.len() == 4 && h.iter().all(u8::is_ascii_hexdigit) => {
                self.at += 4;
                Ok(v)
            }
            _ => self.fail("expected four hex digits after \\u"),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.at += 1;
        let mut out = String::new();
        loop {
            let start = self.at;
            while self
                .b
                .get(self.at)
                .is_some_and(|&c| c != b'"' && c != b'\\' && c >= 0x20)
            {
                self.at += 1;
            }
            // The input is a &str, so any run between ASCII delimiters is UTF-8.
            out.push_str(std::str::from_utf8(&self.b[start..self.at]).unwrap_or(""));
            match self.b.get(self.at) {
                Some(b'"') => {
                    self.at += 1;
                    return Ok(out);
                }
                Some(b'\\') => self.escape(&mut out)?,
                Some(_) => return self.fail("a raw control character in a string"),
                None => return self.fail("a string without its closing quote"),
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> Result<(), String> {
        self.at += 1;
        let c = self.b.get(self.at).copied();
        self.at += 1;
        let simple = match c {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                let hi = self.hex4()?;
                let code = if (0xD800..0xDC00).contains(&hi) {
                    if !self.eat("\\u") {
                        return self.fail("a lone high surrogate");
                    }
                    let lo = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return self.fail("a high surrogate without its low half");
                    }
                    0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                } else {
                    hi
                };
                match char::from_u32(code) {
                    Some(ch) => ch,
                    None => return self.fail("a lone low surrogate"),
                }
            }
            _ => return self.fail("an unknown escape"),
        };
        out.push(simple);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_quote_writes_parse_reads() {
        let nasty = "\"q\" \\ </script> \u{1}\u{1f} tab\t nl\n é 😀 \u{2028}";
        let text = object(&[("type", "say"), ("text", nasty)]);
        let v = parse(&text).unwrap();
        assert_eq!(v.get("text").and_then(Value::as_str), Some(nasty));
        assert_eq!(v.get("type").and_then(Value::as_str), Some("say"));
    }

    #[test]
    fn the_whole_grammar_is_read() {
        let v = parse(r#" {"a":[1,-2.5e3,true,false,null],"b":{"c":"\ud83d\ude00\u00e9\/"}} "#)
            .unwrap();
        let Some(Value::Array(a)) = v.get("a") else {
            panic!("{v:?}")
        };
        assert_eq!(a[1], Value::Number(-2500.0));
        let c = v.get("b").and_then(|b| b.get("c")).and_then(Value::as_str);
        assert_eq!(c, Some("😀é/"));
    }

    #[test]
    fn what_rfc_8259_forbids_is_refused() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "01",
            "1.",
            "-",
            "\"a\u{1}\"",
            "\"\\ud800\"",
            "\"\\x\"",
            "{a:1}",
            "[1] x",
            "\"\\udc00\"",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 2);
        assert!(parse(&deep).is_err());
    }
}
