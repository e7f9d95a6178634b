//! Percent-encoding (RFC 3986 §2.1) and `application/x-www-form-urlencoded`
//! (the WHATWG URL standard's form of query strings and HTML form bodies).
//!
//! A URL can only carry a small set of ASCII characters; every other byte
//! travels as `%XX`. Decoding is done **once**: decoding twice turns
//! `%252e` into `.`, which is how path checks get bypassed (chapter 6).

/// Why a percent-encoded string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// `%` not followed by two hex digits, at this byte offset.
    BadEscape(usize),
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::BadEscape(i) => {
                write!(f, "'%' at offset {i} is not followed by two hex digits")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes into bytes. Strict: a `%` that does not start a
/// valid escape is an error (a lenient decoder that leaves it alone lets two
/// layers disagree on what a path means).
pub fn percent_decode(s: &str) -> Result<Vec<u8>, DecodeError> {
    exercise!(
        "ex_ch03_percent_decode",
        ch03_percent_decode::percent_decode(s)
    );
    decode_impl(s.as_bytes(), false)
}

/// Decodes to a `String`; bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode_str(s: &str) -> Result<String, DecodeError> {
    Ok(String::from_utf8_lossy(&percent_decode(s)?).into_owned())
}

fn decode_impl(s: &[u8], plus_is_space: bool) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'%' => {
                let hi = s.get(i + 1).copied().and_then(hex_val);
                let lo = s.get(i + 2).copied().and_then(hex_val);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h << 4 | l),
                    _ => return Err(DecodeError::BadEscape(i)),
                }
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(out)
}

/// RFC 3986 §2.3 unreserved characters: never need escaping.
pub fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// Escapes every byte that is not unreserved: safe for one path segment or
/// one query key or value (a `/`, `?`, `&` or `=` inside it is escaped).
pub fn percent_encode(bytes: &[u8]) -> String {
    encode_with(bytes, is_unreserved)
}

/// Escapes a whole path, keeping `/` (and the sub-delims RFC 3986 allows in
/// a path unescaped) as they are.
pub fn percent_encode_path(path: &str) -> String {
    encode_with(path.as_bytes(), |b| {
        is_unreserved(b)
            || matches!(
                b,
                b'/' | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
            )
    })
}

fn encode_with(bytes: &[u8], keep: impl Fn(u8) -> bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if keep(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
    }
    out
}

/// Decodes an `application/x-www-form-urlencoded` string (a query string or
/// an HTML form body) into its pairs, in order: `a=1&b=x+y&c` gives
/// `[("a","1"), ("b","x y"), ("c","")]`. `+` means space here, and only
/// here; empty pieces (`a=1&&b=2`) are skipped as the WHATWG parser does.
pub fn parse_form(s: &str) -> Result<Vec<(String, String)>, DecodeError> {
    let mut pairs = Vec::new();
    for piece in s.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
        let k = decode_impl(k.as_bytes(), true)?;
        let v = decode_impl(v.as_bytes(), true)?;
        pairs.push((
            String::from_utf8_lossy(&k).into_owned(),
            String::from_utf8_lossy(&v).into_owned(),
        ));
    }
    Ok(pairs)
}

/// Encodes pairs as `application/x-www-form-urlencoded` (space as `+`).
pub fn encode_form<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                percent_encode(k.as_ref().as_bytes()).replace("%20", "+"),
                percent_encode(v.as_ref().as_bytes()).replace("%20", "+")
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    #[test]
    fn rfc3986_examples() {
        assert_eq!(percent_decode_str("%7Euser%2Fa%20b").unwrap(), "~user/a b");
        assert_eq!(percent_encode(b"a b/c?d"), "a%20b%2Fc%3Fd");
        assert_eq!(percent_encode_path("/a b/c"), "/a%20b/c");
    }

    #[test]
    fn bad_escapes_are_errors() {
        assert_eq!(percent_decode("%"), Err(DecodeError::BadEscape(0)));
        assert_eq!(percent_decode("ab%4"), Err(DecodeError::BadEscape(2)));
        assert_eq!(percent_decode("%zz"), Err(DecodeError::BadEscape(0)));
    }

    #[test]
    fn decoding_happens_once() {
        assert_eq!(percent_decode_str("%252e").unwrap(), "%2e");
    }

    #[test]
    fn random_bytes_round_trip() {
        let mut rng = Rng::new();
        for _ in 0..500 {
            let n = rng.range(0, 40);
            let b = rng.bytes(n);
            assert_eq!(percent_decode(&percent_encode(&b)).unwrap(), b);
        }
    }

    #[test]
    fn forms() {
        let f = parse_form("a=1&b=x+y&&c&d=%26%3D").unwrap();
        assert_eq!(
            f,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("c".into(), "".into()),
                ("d".into(), "&=".into())
            ]
        );
        assert_eq!(parse_form(&encode_form(&f)).unwrap(), f);
    }
}
