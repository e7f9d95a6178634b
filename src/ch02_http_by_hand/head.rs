//! The grammar of an HTTP/1.1 message head (RFC 9112 §2–§5), parsed by hand.
//!
//! This module is *sans-I/O*: it never reads a socket. It takes the bytes
//! received so far and answers one of three things:
//!
//! * `Ok(Parsed::Incomplete)`: the head has not fully arrived, read more;
//! * `Ok(Parsed::Complete(head, n))`: a whole head, which used the first `n`
//!   bytes (what follows is the body, or the next pipelined request);
//! * `Err(HeadError)`: the bytes can never become a valid head; the error
//!   knows which status code answers it (400, 414, 431, 505).
//!
//! Because it only sees a byte slice, tests feed it slices (split at every
//! offset, or random garbage) and the same code serves blocking sockets,
//! the client of chapter 3, and the differential test against `httparse` in
//! chapter 4.
//!
//! Request and response heads share everything after the first line, so
//! [`parse_request`] and [`parse_response`] share [`parse_fields`].

use std::fmt;

/// Limits on a head. Every buffer has a limit: without these a client could
/// send an endless header line and the server would buffer it forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadLimits {
    /// Total bytes of start line plus header fields plus the empty line.
    /// Past this the answer is 431 (RFC 6585 §5).
    pub max_head_bytes: usize,
    /// Longest request-target. Past this the answer is 414 (RFC 9110 §15.5.15).
    pub max_target_bytes: usize,
    /// Most header fields in one head (431).
    pub max_fields: usize,
}

/// 8 KiB of head, as nginx and Apache default to.
pub const MAX_HEAD_BYTES: usize = 8 * 1024;
/// RFC 9112 §3 recommends supporting request-lines of at least 8000 octets;
/// our whole head is 8 KiB, so the target gets what is left of a typical head.
pub const MAX_TARGET_BYTES: usize = 4 * 1024;
/// Browsers send 10 to 20 fields; 100 leaves room for proxies.
pub const MAX_FIELDS: usize = 100;

impl HeadLimits {
    /// The limits a server uses: [`MAX_HEAD_BYTES`], [`MAX_TARGET_BYTES`],
    /// [`MAX_FIELDS`].
    pub const SERVER: HeadLimits = HeadLimits {
        max_head_bytes: MAX_HEAD_BYTES,
        max_target_bytes: MAX_TARGET_BYTES,
        max_fields: MAX_FIELDS,
    };
    /// A client accepts larger response heads (cookies, CSPs...): 64 KiB.
    pub const CLIENT: HeadLimits = HeadLimits {
        max_head_bytes: 64 * 1024,
        max_target_bytes: 0,
        max_fields: 256,
    };
}

impl Default for HeadLimits {
    fn default() -> Self {
        HeadLimits::SERVER
    }
}

/// The HTTP versions an HTTP/1.x server speaks (RFC 9110 §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    Http10,
    Http11,
}

impl Version {
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Header fields in the order received. Names keep their spelling but are
/// compared case-insensitively (RFC 9110 §5.1); a name may appear several
/// times (RFC 9110 §5.3), so this is a list, not a map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    fields: Vec<(String, String)>,
}

impl Headers {
    pub fn new() -> Headers {
        Headers { fields: Vec::new() }
    }

    /// Adds a field after the existing ones, even if the name is present.
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.fields.push((name.into(), value.into()));
    }

    /// Replaces every field called `name` with one field.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        self.remove(&name);
        self.fields.push((name, value.into()));
    }

    /// Removes every field called `name`.
    pub fn remove(&mut self, name: &str) {
        self.fields.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// The first value of `name`.
    pub fn get<'a>(&'a self, name: &str) -> Option<&'a str> {
        self.fields
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.fields
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// How many fields are called `name` (a request with two `Host` fields
    /// is invalid, RFC 9112 §3.2).
    pub fn count(&self, name: &str) -> usize {
        self.get_all(name).count()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Whether the comma-separated list in every `name` field contains
    /// `token`, compared case-insensitively: how `Connection: keep-alive,
    /// Upgrade` and `Transfer-Encoding: gzip, chunked` are read
    /// (RFC 9110 §5.6.1).
    pub fn has_token(&self, name: &str, token: &str) -> bool {
        self.tokens(name).any(|t| t.eq_ignore_ascii_case(token))
    }

    /// The elements of the comma-separated list across every `name` field,
    /// trimmed, empty elements skipped.
    pub fn tokens<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.get_all(name)
            .flat_map(|v| v.split(','))
            .map(|t| t.trim_matches([' ', '\t']))
            .filter(|t| !t.is_empty())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.fields.len()
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Appends `Name: value\r\n` for every field.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        for (n, v) in &self.fields {
            out.extend_from_slice(n.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// A request's start line and header fields (RFC 9112 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHead {
    pub method: String,
    /// The request-target exactly as sent: origin-form `/a?b`, absolute-form
    /// `http://h/a`, authority-form `h:443` or asterisk-form `*`.
    pub target: String,
    pub version: Version,
    pub headers: Headers,
}

impl RequestHead {
    /// The head as it goes on the wire, ending with the empty line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.headers.len() * 32);
        out.extend_from_slice(self.method.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.target.as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.version.as_str().as_bytes());
        out.extend_from_slice(b"\r\n");
        self.headers.write_to(&mut out);
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// A response's status line and header fields (RFC 9112 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    pub version: Version,
    pub status: u16,
    pub reason: String,
    pub headers: Headers,
}

impl ResponseHead {
    /// A head with the canonical reason phrase for `status`.
    pub fn new(status: u16) -> ResponseHead {
        ResponseHead {
            version: Version::Http11,
            status,
            reason: reason_phrase(status).to_string(),
            headers: Headers::new(),
        }
    }

    /// The head as it goes on the wire, ending with the empty line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.headers.len() * 32);
        self.write_to(&mut out);
        out
    }

    /// Appends the head to `out` (so a small body can follow in the same
    /// buffer and leave in one write).
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.version.as_str().as_bytes());
        out.push(b' ');
        out.extend_from_slice(format!("{:03}", self.status).as_bytes());
        out.push(b' ');
        out.extend_from_slice(self.reason.as_bytes());
        out.extend_from_slice(b"\r\n");
        self.headers.write_to(out);
        out.extend_from_slice(b"\r\n");
    }
}

/// The outcome of feeding bytes to a parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed<T> {
    /// Not enough bytes yet.
    Incomplete,
    /// A whole item, and how many bytes of the input it used.
    Complete(T, usize),
}

/// Why a head can never be valid, and the status code that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeadError {
    /// The start line breaks the grammar (400).
    BadStartLine(&'static str),
    /// A header field breaks the grammar (400).
    BadField(&'static str),
    /// `HTTP/x.y` with a major version other than 1 (505).
    UnsupportedVersion,
    /// The request-target is longer than the limit (414).
    TargetTooLong,
    /// The head is larger than the limit (431).
    HeadTooLarge,
    /// More header fields than the limit (431).
    TooManyFields,
}

impl HeadError {
    /// The status code a server answers this error with.
    pub fn status(&self) -> u16 {
        match self {
            HeadError::BadStartLine(_) | HeadError::BadField(_) => 400,
            HeadError::UnsupportedVersion => 505,
            HeadError::TargetTooLong => 414,
            HeadError::HeadTooLarge | HeadError::TooManyFields => 431,
        }
    }
}

impl fmt::Display for HeadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeadError::BadStartLine(why) => write!(f, "malformed start line: {why}"),
            HeadError::BadField(why) => write!(f, "malformed header field: {why}"),
            HeadError::UnsupportedVersion => f.write_str("unsupported HTTP version"),
            HeadError::TargetTooLong => f.write_str("request-target too long"),
            HeadError::HeadTooLarge => f.write_str("head too large"),
            HeadError::TooManyFields => f.write_str("too many header fields"),
        }
    }
}

impl std::error::Error for HeadError {}

/// `tchar` of RFC 9110 §5.6.2: the characters of a token (method names,
/// field names).
pub fn is_tchar(b: u8) -> bool {
    matches!(b,
        b'!' | b'#' | b'$' | b'%' | b'&' | b'\'' | b'*' | b'+' | b'-' | b'.'
        | b'^' | b'_' | b'`' | b'|' | b'~' | b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z')
}

/// Whether `s` is a non-empty token.
pub fn is_token(s: &[u8]) -> bool {
    exercise!("ex_ch02_is_token", ch02_is_token::is_token(s));
    !s.is_empty() && s.iter().all(|&b| is_tchar(b))
}

/// Whether a `Host` field value is `uri-host [ ":" port ]` (RFC 9110 §7.2,
/// RFC 3986 §3.2.2): a registered name of unreserved characters,
/// sub-delims and percent-escapes (possibly empty), an IPv4 address (which
/// is such a name too), or an IPv6 literal in brackets; then an optional
/// decimal port. No userinfo, no path, no spaces: RFC 9112 §3.2 says a
/// server MUST answer 400 to a request whose `Host` is anything else, since
/// `Host` is what the server (and every cache in front of it) uses to tell
/// which site a request is for.
pub fn is_valid_host(value: &str) -> bool {
    split_host_port(value).is_some_and(|(_, port)| port.bytes().all(|b| b.is_ascii_digit()))
}

/// The host of a `uri-host [ ":" port ]` (RFC 3986 §3.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostPart<'a> {
    /// `[v6 literal]`.
    Ipv6(std::net::Ipv6Addr),
    /// A registered name (an IPv4 address is one too, by the grammar):
    /// unreserved characters, sub-delims and percent-escapes, possibly
    /// empty.
    Name(&'a str),
}

/// Splits `host[:port]` and checks the host's grammar; the port comes back
/// as text (empty when absent or empty), for the caller to judge. Shared
/// by the `Host` field's check ([`is_valid_host`]) and chapter 3's URL
/// authority, so that both read a host the same way.
pub fn split_host_port(value: &str) -> Option<(HostPart<'_>, &str)> {
    exercise!(
        "ex_ch02_split_host_port",
        ch02_split_host_port::split_host_port(value)
    );
    if let Some(rest) = value.strip_prefix('[') {
        let (literal, after) = rest.split_once(']')?;
        let addr = literal.parse::<std::net::Ipv6Addr>().ok()?;
        let port = match after {
            "" => "",
            _ => after.strip_prefix(':')?,
        };
        return Some((HostPart::Ipv6(addr), port));
    }
    let (host, port) = value.rsplit_once(':').unwrap_or((value, ""));
    let name_ok = |b: u8| b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%".contains(&b);
    let escapes_ok = host
        .split('%')
        .skip(1)
        .all(|e| e.len() >= 2 && e.as_bytes()[..2].iter().all(u8::is_ascii_hexdigit));
    (host.bytes().all(name_ok) && escapes_ok).then_some((HostPart::Name(host), port))
}

/// A byte allowed inside a field value or reason phrase: HTAB, SP, VCHAR
/// and obs-text (RFC 9110 §5.5). Everything else (NUL, CR, LF, DEL, other
/// controls) is forbidden.
fn is_field_byte(b: u8) -> bool {
    b == b'\t' || b == b' ' || (0x21..=0x7e).contains(&b) || b >= 0x80
}

/// Finds the end of the next line starting at `from`: returns the line
/// without its terminator and the index just after the terminator.
///
/// RFC 9112 §2.2: the terminator is CRLF, but a recipient MAY accept a bare
/// LF; we do, as `httparse` and every browser-facing server does. A bare CR
/// is never a terminator (it would let two parsers disagree on where a line
/// ends, the root of request smuggling), so a CR must be followed by LF.
fn next_line(buf: &[u8], from: usize) -> Result<Option<(&[u8], usize)>, ()> {
    let rest = &buf[from..];
    match rest.iter().position(|&b| b == b'\n') {
        None => Ok(None),
        Some(i) => {
            let line = if i > 0 && rest[i - 1] == b'\r' {
                &rest[..i - 1]
            } else {
                &rest[..i]
            };
            if line.contains(&b'\r') {
                return Err(());
            }
            Ok(Some((line, from + i + 1)))
        }
    }
}

/// Parses `HTTP/1.1` and friends (RFC 9112 §2.3: `HTTP/` DIGIT `.` DIGIT).
/// A higher 1.x minor version is served as 1.1 (RFC 9110 §2.5); another major
/// version is a 505.
fn parse_version(v: &[u8]) -> Result<Version, HeadError> {
    if v.len() != 8
        || &v[..5] != b"HTTP/"
        || !v[5].is_ascii_digit()
        || v[6] != b'.'
        || !v[7].is_ascii_digit()
    {
        return Err(HeadError::BadStartLine("expected HTTP/x.y"));
    }
    match (v[5], v[7]) {
        (b'1', b'0') => Ok(Version::Http10),
        (b'1', _) => Ok(Version::Http11),
        _ => Err(HeadError::UnsupportedVersion),
    }
}

/// Index just after any empty lines that precede the start line. RFC 9112
/// §2.2: a server SHOULD ignore at least one empty line received before the
/// request-line (some clients send an extra CRLF after a POST body).
fn skip_leading_empty_lines(buf: &[u8]) -> usize {
    let mut i = 0;
    loop {
        if buf[i..].starts_with(b"\r\n") {
            i += 2;
        } else if buf[i..].starts_with(b"\n") {
            i += 1;
        } else {
            return i;
        }
    }
}

/// Checks an incomplete request line as far as it has arrived, so that
/// garbage (a TLS handshake sent to a plain-HTTP port, a binary protocol) is
/// answered with 400 at once instead of after a timeout, and an over-long
/// target gets 414 before the whole head is buffered.
fn check_partial_request_line(line: &[u8], limits: &HeadLimits) -> Result<(), HeadError> {
    let method_end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
    if !line[..method_end].iter().all(|&b| is_tchar(b)) {
        return Err(HeadError::BadStartLine("method is not a token"));
    }
    if method_end < line.len() {
        let target = &line[method_end + 1..];
        let target_end = target
            .iter()
            .position(|&b| b == b' ')
            .unwrap_or(target.len());
        if target_end > limits.max_target_bytes {
            return Err(HeadError::TargetTooLong);
        }
    }
    Ok(())
}

/// Parses a request head (RFC 9112 §3): `method SP request-target SP
/// HTTP-version CRLF`, then header fields, then an empty line.
pub fn parse_request(buf: &[u8], limits: &HeadLimits) -> Result<Parsed<RequestHead>, HeadError> {
    exercise!(
        "ex_ch02_parse_request",
        ch02_parse_request::parse_request(buf, limits)
    );
    let start = skip_leading_empty_lines(buf);
    let Some((line, after)) =
        next_line(buf, start).map_err(|_| HeadError::BadStartLine("bare CR"))?
    else {
        // A trailing CR may be the first half of a CRLF (an empty line
        // before the request-line, split across two reads).
        let partial = &buf[start..];
        check_partial_request_line(partial.strip_suffix(b"\r").unwrap_or(partial), limits)?;
        if buf.len() > limits.max_head_bytes {
            return Err(HeadError::HeadTooLarge);
        }
        return Ok(Parsed::Incomplete);
    };
    check_partial_request_line(line, limits)?;

    // Exactly one SP between the three parts (RFC 9112 §3: a recipient MAY
    // be lenient about whitespace, but strictness is what stops two parsers
    // from reading the same bytes differently).
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HeadError::BadStartLine(
            "expected METHOD SP TARGET SP VERSION",
        ));
    };
    if !is_token(method) {
        return Err(HeadError::BadStartLine("method is not a token"));
    }
    if target.is_empty() {
        return Err(HeadError::BadStartLine("empty request-target"));
    }
    if target.len() > limits.max_target_bytes {
        return Err(HeadError::TargetTooLong);
    }
    // A request-target is URI characters only: visible ASCII, no spaces
    // (RFC 9112 §3.2, RFC 3986 §2). Anything else must be percent-encoded.
    if !target.iter().all(|&b| (0x21..=0x7e).contains(&b)) {
        return Err(HeadError::BadStartLine(
            "request-target has a byte that is not visible ASCII",
        ));
    }
    let version = parse_version(version)?;

    let mut headers = Headers::new();
    match parse_fields(buf, after, limits, &mut headers)? {
        None => Ok(Parsed::Incomplete),
        Some(end) => Ok(Parsed::Complete(
            RequestHead {
                // Both were checked to be ASCII above.
                method: String::from_utf8_lossy(method).into_owned(),
                target: String::from_utf8_lossy(target).into_owned(),
                version,
                headers,
            },
            end,
        )),
    }
}

/// Parses a response head (RFC 9112 §4): `HTTP-version SP status-code SP
/// [reason-phrase] CRLF`, then header fields, then an empty line.
pub fn parse_response(buf: &[u8], limits: &HeadLimits) -> Result<Parsed<ResponseHead>, HeadError> {
    let Some((line, after)) = next_line(buf, 0).map_err(|_| HeadError::BadStartLine("bare CR"))?
    else {
        if buf.len() > limits.max_head_bytes {
            return Err(HeadError::HeadTooLarge);
        }
        // Garbage is known as garbage from its first byte (`SSH-2.0`...).
        if !b"HTTP/".starts_with(&buf[..buf.len().min(5)]) {
            return Err(HeadError::BadStartLine("expected HTTP/x.y"));
        }
        return Ok(Parsed::Incomplete);
    };
    if line.len() < 12 || line[8] != b' ' {
        // Some servers omit the SP before an empty reason: accept "HTTP/1.1 200".
        if !(line.len() == 12 && line[8] == b' ') {
            return Err(HeadError::BadStartLine(
                "expected HTTP/x.y SP 3DIGIT SP reason",
            ));
        }
    }
    let version = parse_version(&line[..8])?;
    let code = &line[9..12];
    if !code.iter().all(u8::is_ascii_digit) {
        return Err(HeadError::BadStartLine("status code is not 3 digits"));
    }
    let status =
        (code[0] - b'0') as u16 * 100 + (code[1] - b'0') as u16 * 10 + (code[2] - b'0') as u16;
    if status < 100 {
        return Err(HeadError::BadStartLine("status code below 100"));
    }
    let reason = match line.get(12) {
        None => &[][..],
        Some(b' ') => &line[13..],
        Some(_) => return Err(HeadError::BadStartLine("status code is not 3 digits")),
    };
    if !reason.iter().all(|&b| is_field_byte(b)) {
        return Err(HeadError::BadStartLine(
            "control character in reason phrase",
        ));
    }
    let mut headers = Headers::new();
    match fields(buf, after, limits, &mut headers, Fold::Unfold)? {
        None => Ok(Parsed::Incomplete),
        Some(end) => Ok(Parsed::Complete(
            ResponseHead {
                version,
                status,
                reason: field_text(reason),
                headers,
            },
            end,
        )),
    }
}

/// Parses header fields from `buf[from..]` up to and including the empty
/// line that ends the head; returns the index after it, or `None` if the
/// head has not fully arrived.
///
/// `field-line = field-name ":" OWS field-value OWS` (RFC 9112 §5).
/// Obsolete line folding is an error here; [`parse_response`] unfolds it.
pub fn parse_fields(
    buf: &[u8],
    from: usize,
    limits: &HeadLimits,
    headers: &mut Headers,
) -> Result<Option<usize>, HeadError> {
    fields(buf, from, limits, headers, Fold::Reject)
}

/// What to do with obsolete line folding (a field line that starts with
/// SP or HTAB, continuing the previous field's value; RFC 9112 §5.2).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fold {
    /// A server MAY reject it with 400: requests and trailers.
    Reject,
    /// A user agent MUST replace each obs-fold with SP: responses.
    Unfold,
}

fn fields(
    buf: &[u8],
    mut from: usize,
    limits: &HeadLimits,
    headers: &mut Headers,
    fold: Fold,
) -> Result<Option<usize>, HeadError> {
    loop {
        if from > limits.max_head_bytes {
            return Err(HeadError::HeadTooLarge);
        }
        let Some((line, after)) =
            next_line(buf, from).map_err(|_| HeadError::BadField("bare CR"))?
        else {
            if buf.len() > limits.max_head_bytes {
                return Err(HeadError::HeadTooLarge);
            }
            return Ok(None);
        };
        if line.is_empty() {
            if after > limits.max_head_bytes {
                return Err(HeadError::HeadTooLarge);
            }
            return Ok(Some(after));
        }
        if fold == Fold::Unfold
            && matches!(line[0], b' ' | b'\t')
            && let Some((_, value)) = headers.fields.last_mut()
        {
            let more = trim_ows(line);
            if !more.iter().all(|&b| is_field_byte(b)) {
                return Err(HeadError::BadField("control character in field value"));
            }
            if !value.is_empty() && !more.is_empty() {
                value.push(' ');
            }
            value.push_str(&field_text(more));
            from = after;
            continue;
        }
        if headers.len() >= limits.max_fields {
            return Err(HeadError::TooManyFields);
        }
        let (name, value) = parse_field_line(line)?;
        headers.append(name, value);
        from = after;
    }
}

/// One `name: value` line.
fn parse_field_line(line: &[u8]) -> Result<(String, String), HeadError> {
    if line[0] == b' ' || line[0] == b'\t' {
        // obs-fold: RFC 9112 §5.2 lets a server reject it with 400. (A
        // response's folds are unfolded before this; one before the first
        // field has nothing to continue.)
        return Err(HeadError::BadField("obsolete line folding"));
    }
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return Err(HeadError::BadField("no colon"));
    };
    let name = &line[..colon];
    if !is_token(name) {
        // This includes whitespace between the name and the colon, which
        // RFC 9112 §5.1 says a server MUST reject with 400.
        return Err(HeadError::BadField("field name is not a token"));
    }
    let value = trim_ows(&line[colon + 1..]);
    if !value.iter().all(|&b| is_field_byte(b)) {
        return Err(HeadError::BadField("control character in field value"));
    }
    Ok((
        String::from_utf8_lossy(name).into_owned(),
        field_text(value),
    ))
}

fn trim_ows(mut v: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = v {
        v = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = v {
        v = rest;
    }
    v
}

/// Field values are bytes; most are ASCII. Valid UTF-8 is kept as is;
/// anything else is read as ISO-8859-1, byte for char, which is what HTTP
/// historically meant by obs-text and loses nothing.
pub fn field_text(v: &[u8]) -> String {
    match std::str::from_utf8(v) {
        Ok(s) => s.to_string(),
        Err(_) => v.iter().map(|&b| b as char).collect(),
    }
}

/// The reason phrase RFC 9110 §15 gives each status code.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        507 => "Insufficient Storage", // RFC 4918 §11.5
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(b: &[u8]) -> Result<Parsed<RequestHead>, HeadError> {
        parse_request(b, &HeadLimits::SERVER)
    }

    fn complete(b: &[u8]) -> (RequestHead, usize) {
        match req(b) {
            Ok(Parsed::Complete(h, n)) => (h, n),
            other => panic!("expected a complete head, got {other:?}"),
        }
    }

    #[test]
    fn parses_a_simple_get() {
        let raw = b"GET /a?b=c HTTP/1.1\r\nHost: x\r\nAccept:  */* \r\n\r\nBODY";
        let (h, n) = complete(raw);
        assert_eq!(h.method, "GET");
        assert_eq!(h.target, "/a?b=c");
        assert_eq!(h.version, Version::Http11);
        assert_eq!(h.headers.get("host"), Some("x"));
        assert_eq!(h.headers.get("ACCEPT"), Some("*/*"));
        assert_eq!(&raw[n..], b"BODY");
    }

    #[test]
    fn every_prefix_is_incomplete() {
        let raw = b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n";
        for i in 0..raw.len() {
            assert_eq!(req(&raw[..i]), Ok(Parsed::Incomplete), "prefix {i}");
        }
        assert!(matches!(req(raw), Ok(Parsed::Complete(_, n)) if n == raw.len()));
    }

    #[test]
    fn bad_inputs_get_their_status() {
        let cases: &[(&[u8], u16)] = &[
            (b"GET  / HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/1.1 extra\r\n\r\n", 400),
            (b"G(T / HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/2.0\r\n\r\n", 505),
            (b"GET / HTTP/1\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 400),
            (b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n", 400),
            (b"\x16\x03\x01\x02\x00\x01", 400),
        ];
        for (raw, status) in cases {
            match req(raw) {
                Err(e) => assert_eq!(e.status(), *status, "{}", crate::trace::escape(raw)),
                other => panic!("{}: {other:?}", crate::trace::escape(raw)),
            }
        }
    }

    #[test]
    fn limits_give_414_and_431() {
        let long_target = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_TARGET_BYTES));
        assert_eq!(req(long_target.as_bytes()).unwrap_err().status(), 414);
        // 414 even before the line is complete.
        let partial = format!("GET /{}", "a".repeat(MAX_TARGET_BYTES + 1));
        assert_eq!(req(partial.as_bytes()).unwrap_err().status(), 414);
        let mut big = b"GET / HTTP/1.1\r\n".to_vec();
        while big.len() <= MAX_HEAD_BYTES {
            big.extend_from_slice(format!("X-Filler: {}\r\n", "a".repeat(200)).as_bytes());
        }
        assert_eq!(req(&big).unwrap_err(), HeadError::HeadTooLarge);
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_FIELDS {
            many.extend_from_slice(format!("X{i}: y\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(req(&many).unwrap_err(), HeadError::TooManyFields);
    }

    #[test]
    fn crlf_split_before_the_request_line_is_incomplete() {
        // An empty line before the request-line (RFC 9112 §2.2), with its LF
        // still in flight: wait for more, do not answer 400.
        assert_eq!(req(b"\r"), Ok(Parsed::Incomplete));
        assert_eq!(req(b"\r\n\r"), Ok(Parsed::Incomplete));
        let raw = b"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
        for i in 0..raw.len() {
            assert_eq!(req(&raw[..i]), Ok(Parsed::Incomplete), "prefix {i}");
        }
    }

    #[test]
    fn leading_empty_lines_and_bare_lf_are_accepted() {
        let (h, _) = complete(b"\r\n\nGET / HTTP/1.0\nHost: x\n\n");
        assert_eq!(h.version, Version::Http10);
        assert_eq!(h.headers.get("host"), Some("x"));
    }

    #[test]
    fn higher_minor_version_is_served_as_1_1() {
        assert_eq!(
            complete(b"GET / HTTP/1.7\r\n\r\n").0.version,
            Version::Http11
        );
    }

    #[test]
    fn response_obs_fold_is_replaced_with_sp() {
        let raw = b"HTTP/1.1 200 OK\r\nX-Long: a\r\n  b\r\n\tc \r\nY: z\r\n\r\n";
        let Ok(Parsed::Complete(h, n)) = parse_response(raw, &HeadLimits::CLIENT) else {
            panic!()
        };
        assert_eq!(n, raw.len());
        assert_eq!(h.headers.get("x-long"), Some("a b c"));
        assert_eq!(h.headers.get("y"), Some("z"));
        // Nothing to continue: a fold right after the status line.
        let raw = b"HTTP/1.1 200 OK\r\n folded\r\n\r\n";
        assert!(parse_response(raw, &HeadLimits::CLIENT).is_err());
        // A request's fold is still a 400 (see bad_inputs_get_their_status).
    }

    #[test]
    fn obs_text_is_kept_as_latin1() {
        let (h, _) = complete(b"GET / HTTP/1.1\r\nX: caf\xe9\r\n\r\n");
        assert_eq!(h.headers.get("x"), Some("café"));
    }

    #[test]
    fn responses_parse_with_and_without_reason() {
        let raw = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
        let Ok(Parsed::Complete(h, n)) = parse_response(raw, &HeadLimits::CLIENT) else {
            panic!()
        };
        assert_eq!(
            (h.status, h.reason.as_str(), n),
            (404, "Not Found", raw.len())
        );
        let Ok(Parsed::Complete(h, _)) =
            parse_response(b"HTTP/1.0 200\r\n\r\n", &HeadLimits::CLIENT)
        else {
            panic!()
        };
        assert_eq!((h.status, h.version), (200, Version::Http10));
        assert!(parse_response(b"SSH-2.0-OpenSSH", &HeadLimits::CLIENT).is_err());
        assert!(parse_response(b"S", &HeadLimits::CLIENT).is_err());
        assert_eq!(
            parse_response(b"HTT", &HeadLimits::CLIENT),
            Ok(Parsed::Incomplete)
        );
        assert!(parse_response(b"HTTP/1.1 20x OK\r\n\r\n", &HeadLimits::CLIENT).is_err());
    }

    #[test]
    fn heads_round_trip() {
        let (h, _) = complete(b"PUT /n/1 HTTP/1.1\r\nHost: a\r\nX-Y: z\r\n\r\n");
        let (again, _) = complete(&h.to_bytes());
        assert_eq!(h, again);
        let mut r = ResponseHead::new(201);
        r.headers.append("Location", "/n/1");
        let Ok(Parsed::Complete(back, _)) = parse_response(&r.to_bytes(), &HeadLimits::CLIENT)
        else {
            panic!()
        };
        assert_eq!(back, r);
    }

    /// Random mutations of a valid request: the parser never panics, and a
    /// head it accepts gives the same answer however the bytes are split.
    #[test]
    fn random_inputs_never_panic_and_splits_agree() {
        let mut rng = crate::rng::Rng::new();
        let valid = b"POST /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nX-Y:  z \r\n\r\nabc";
        for _ in 0..3000 {
            let mut input = valid.to_vec();
            for _ in 0..rng.range(0, 4) {
                let i = rng.below(input.len() as u64) as usize;
                match rng.below(3) {
                    0 => input[i] = rng.next_u32() as u8,
                    1 => {
                        input.remove(i);
                    }
                    _ => input.insert(i, b"\r\n :\x00\x7f\xff"[rng.below(7) as usize]),
                }
            }
            let whole = req(&input);
            let _ = parse_response(&input, &HeadLimits::CLIENT);
            if let Ok(Parsed::Complete(_, n)) = &whole {
                // Every proper prefix of an accepted head is Incomplete: the
                // parser never rejects bytes that could still become valid.
                let split = rng.range(0, *n - 1);
                assert_eq!(
                    req(&input[..split]),
                    Ok(Parsed::Incomplete),
                    "{}",
                    crate::trace::escape(&input)
                );
            }
        }
    }

    #[test]
    fn token_lists() {
        let mut h = Headers::new();
        h.append("Connection", "keep-alive, Upgrade");
        h.append("connection", " close ,");
        assert!(h.has_token("CONNECTION", "upgrade"));
        assert!(h.has_token("connection", "close"));
        assert!(!h.has_token("connection", "keep"));
    }
}
