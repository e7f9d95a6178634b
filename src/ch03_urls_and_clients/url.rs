//! URLs (RFC 3986): parse, resolve a relative reference against a base,
//! serialise back.
//!
//! RFC 3986 defines one grammar, the **URI**:
//!
//! ```text
//!   http://user@example.com:8080/over/there?name=ferret#nose
//!   \__/   \______________________/\_________/ \_________/ \__/
//!  scheme          authority          path        query   fragment
//!           (userinfo@host:port)
//! ```
//!
//! A *URL* is a URI that says where a resource is and how to get it
//! (`http://…`); a *URN* is a URI that only names it (`urn:isbn:…`); both are
//! URIs, parsed by the same grammar, which is why this one type serves for
//! `mailto:`, `urn:` and `http:` alike. The HTTP client of this chapter then
//! asks more of it ([`Url::http_parts`]): scheme `http`, a non-empty host,
//! no userinfo.
//!
//! A *relative reference* (`../b?q`, `//host/p`, `#top`) is not a URI on its
//! own; it means something only against a base URI, by the algorithm of
//! RFC 3986 §5.2 ([`Url::join`]). That is how a client follows
//! `Location: /login` (RFC 9110 §10.2.2 allows relative Locations).
//!
//! Parsing is strict where a lax parser would be dangerous (spaces and
//! control characters are errors, a `%` must start a valid escape, ports are
//! numbers up to 65535) and forgiving where every browser is (bytes outside
//! the URI alphabet, like `é` or `"`, are percent-encoded rather than
//! refused). Scheme and host are case-insensitive and kept in lower case
//! (§6.2.2.1).

use crate::ch02_http_by_hand::head::{HostPart, split_host_port};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Why a string is not a URI (or URI reference).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlError {
    /// An absolute URI was expected but there is no `scheme:`.
    NoScheme,
    /// The scheme has a character other than letters, digits, `+ - .`.
    BadScheme(String),
    /// A space or control character at this byte offset.
    BadChar(usize),
    /// `%` not followed by two hex digits at this byte offset.
    BadEscape(usize),
    /// The host is not a name, an IPv4 address or a bracketed IPv6 address.
    BadHost(String),
    /// The port is not a number from 0 to 65535.
    BadPort(String),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::NoScheme => {
                f.write_str("no scheme (expected something like http://host/path)")
            }
            UrlError::BadScheme(s) => write!(f, "invalid scheme `{s}`"),
            UrlError::BadChar(i) => {
                write!(
                    f,
                    "space or control character at offset {i} (percent-encode it)"
                )
            }
            UrlError::BadEscape(i) => {
                write!(f, "'%' at offset {i} is not followed by two hex digits")
            }
            UrlError::BadHost(h) => write!(f, "invalid host `{h}`"),
            UrlError::BadPort(p) => write!(f, "invalid port `{p}` (expected 0 to 65535)"),
        }
    }
}

impl std::error::Error for UrlError {}

/// The host of an authority (RFC 3986 §3.2.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A registered name, lower-cased (`example.com`); may be empty
    /// (`file:///etc/hosts`).
    Name(String),
    Ipv4(Ipv4Addr),
    /// Written in brackets in a URL (`[::1]`), because its colons would
    /// otherwise be read as the port separator.
    Ipv6(Ipv6Addr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// `[ userinfo "@" ] host [ ":" port ]` (RFC 3986 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Authority {
    pub userinfo: Option<String>,
    pub host: Host,
    /// `None` when absent or empty (`http://h:/` means the default port).
    pub port: Option<u16>,
}

/// A URI, or a URI reference before resolution (then `scheme` is empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Url {
    /// Lower case; empty only for a relative reference.
    pub scheme: String,
    pub authority: Option<Authority>,
    /// As written (percent-escapes kept): `/a/b`, `a/b`, or empty.
    pub path: String,
    /// Without the `?`.
    pub query: Option<String>,
    /// Without the `#`. Never sent to a server (RFC 9110 §4.2.5).
    pub fragment: Option<String>,
}

/// Pieces of an `http` URL, ready for a client: where to connect, what to
/// put in `Host` and in the request line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpParts {
    /// The host to resolve or the address to connect to, without brackets.
    pub connect_host: String,
    pub port: u16,
    /// The `Host` field: host, plus `:port` when not the default (RFC 9110 §7.2).
    pub host_header: String,
    /// origin-form: path (or `/`) and query (RFC 9112 §3.2.1).
    pub target: String,
}

/// Why a URI cannot be fetched with plain HTTP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpUrlError {
    /// `https:` (TLS is not covered by this book) or any other scheme.
    UnsupportedScheme(String),
    /// No host: `http:foo` or `http:///x` (RFC 9110 §4.2.1: invalid).
    NoHost,
    /// `http://user:pass@host/`: RFC 9110 §4.2.4 forbids sending it and
    /// asks clients to warn; this client refuses.
    Userinfo,
}

impl fmt::Display for HttpUrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpUrlError::UnsupportedScheme(s) if s == "https" => f.write_str(
                "https:// needs TLS, which this book does not cover (use http://, or curl for https)",
            ),
            HttpUrlError::UnsupportedScheme(s) => {
                write!(f, "scheme `{s}:` is not HTTP (only http:// URLs can be fetched)")
            }
            HttpUrlError::NoHost => f.write_str("the URL has no host"),
            HttpUrlError::Userinfo => f.write_str(
                "user:password@ in a URL is deprecated (RFC 9110 §4.2.4) and not supported",
            ),
        }
    }
}

impl std::error::Error for HttpUrlError {}

/// The port a scheme uses when the URL names none.
pub fn default_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// Bytes a URI may contain as they are: unreserved, reserved (gen-delims
/// and sub-delims) and `%` (RFC 3986 §2).
fn is_uri_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b)
}

/// Checks controls and escapes; percent-encodes bytes outside the URI
/// alphabet (non-ASCII, `"`, `<`, `{`...), as browsers do.
fn clean(input: &str) -> Result<String, UrlError> {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    for (i, &b) in bytes.iter().enumerate() {
        if b <= b' ' || b == 0x7f {
            return Err(UrlError::BadChar(i));
        }
        if b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err(UrlError::BadEscape(i));
        }
        if is_uri_byte(b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

fn parse_authority(s: &str) -> Result<Authority, UrlError> {
    let (userinfo, hostport) = match s.rfind('@') {
        Some(i) => (Some(s[..i].to_string()), &s[i + 1..]),
        None => (None, s),
    };
    // Chapter 2's reading of `host[:port]`, the one the `Host` field gets.
    let (host, port) =
        split_host_port(hostport).ok_or_else(|| UrlError::BadHost(hostport.to_string()))?;
    let host = match host {
        HostPart::Ipv6(a) => Host::Ipv6(a),
        HostPart::Name(h) => match h.parse::<Ipv4Addr>() {
            Ok(a) => Host::Ipv4(a),
            Err(_) => Host::Name(h.to_ascii_lowercase()),
        },
    };
    let port = match (!port.is_empty()).then_some(port) {
        None => None,
        Some(p) if p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => Some(
            p.parse::<u16>()
                .map_err(|_| UrlError::BadPort(p.to_string()))?,
        ),
        Some(p) => return Err(UrlError::BadPort(p.to_string())),
    };
    Ok(Authority {
        userinfo,
        host,
        port,
    })
}

impl Url {
    /// Parses an absolute URI (`scheme:` required).
    pub fn parse(input: &str) -> Result<Url, UrlError> {
        let u = Url::parse_reference(input)?;
        if u.scheme.is_empty() {
            return Err(UrlError::NoScheme);
        }
        Ok(u)
    }

    /// Parses a URI reference: an absolute URI or a relative reference
    /// (RFC 3986 §4.1), splitting it as Appendix B does.
    pub fn parse_reference(input: &str) -> Result<Url, UrlError> {
        let s = clean(input.trim_matches([' ', '\t', '\r', '\n']))?;
        let mut rest = s.as_str();
        let mut fragment = None;
        if let Some(i) = rest.find('#') {
            fragment = Some(rest[i + 1..].to_string());
            rest = &rest[..i];
        }
        let mut query = None;
        if let Some(i) = rest.find('?') {
            query = Some(rest[i + 1..].to_string());
            rest = &rest[..i];
        }
        // A scheme is what comes before the first ':' if no '/' comes
        // first (a relative path may not have ':' in its first segment).
        let mut scheme = String::new();
        if let Some(i) = rest.find(':')
            && !rest[..i].contains('/')
        {
            let s = &rest[..i];
            let valid = s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
            if !valid {
                return Err(UrlError::BadScheme(s.to_string()));
            }
            scheme = s.to_ascii_lowercase();
            rest = &rest[i + 1..];
        }
        let mut authority = None;
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find('/').unwrap_or(after.len());
            authority = Some(parse_authority(&after[..end])?);
            rest = &after[end..];
        }
        Ok(Url {
            scheme,
            authority,
            path: rest.to_string(),
            query,
            fragment,
        })
    }

    /// Resolves `reference` against `self` (RFC 3986 §5.2.2, "strict").
    pub fn join(&self, reference: &str) -> Result<Url, UrlError> {
        Ok(self.resolve(&Url::parse_reference(reference)?))
    }

    /// [`Url::join`] for an already parsed reference.
    pub fn resolve(&self, r: &Url) -> Url {
        let (authority, path, query) = if !r.scheme.is_empty() {
            return keep_path_off_authority(Url {
                path: remove_dot_segments(&r.path),
                ..r.clone()
            });
        } else if r.authority.is_some() {
            (
                r.authority.clone(),
                remove_dot_segments(&r.path),
                r.query.clone(),
            )
        } else if r.path.is_empty() {
            (
                self.authority.clone(),
                self.path.clone(),
                r.query.clone().or_else(|| self.query.clone()),
            )
        } else if r.path.starts_with('/') {
            (
                self.authority.clone(),
                remove_dot_segments(&r.path),
                r.query.clone(),
            )
        } else {
            (
                self.authority.clone(),
                remove_dot_segments(&self.merge(&r.path)),
                r.query.clone(),
            )
        };
        keep_path_off_authority(Url {
            scheme: self.scheme.clone(),
            authority,
            path,
            query,
            fragment: r.fragment.clone(),
        })
    }

    /// RFC 3986 §5.2.3: a relative path replaces the last segment of the
    /// base path.
    fn merge(&self, rel: &str) -> String {
        if self.authority.is_some() && self.path.is_empty() {
            format!("/{rel}")
        } else {
            match self.path.rfind('/') {
                Some(i) => format!("{}{rel}", &self.path[..=i]),
                None => rel.to_string(),
            }
        }
    }

    /// The explicit port, or the scheme's default.
    pub fn port_or_default(&self) -> Option<u16> {
        self.authority
            .as_ref()
            .and_then(|a| a.port)
            .or_else(|| default_port(&self.scheme))
    }

    /// What an HTTP client needs from an `http:` URL, or why it cannot use it.
    pub fn http_parts(&self) -> Result<HttpParts, HttpUrlError> {
        if self.scheme != "http" {
            return Err(HttpUrlError::UnsupportedScheme(self.scheme.clone()));
        }
        let Some(auth) = &self.authority else {
            return Err(HttpUrlError::NoHost);
        };
        if matches!(&auth.host, Host::Name(n) if n.is_empty()) {
            return Err(HttpUrlError::NoHost);
        }
        if auth.userinfo.is_some() {
            return Err(HttpUrlError::Userinfo);
        }
        let port = auth.port.unwrap_or(80);
        let connect_host = match &auth.host {
            Host::Name(n) => n.clone(),
            Host::Ipv4(a) => a.to_string(),
            Host::Ipv6(a) => a.to_string(),
        };
        let host_header = if port == 80 {
            auth.host.to_string()
        } else {
            format!("{}:{port}", auth.host)
        };
        let mut target = if self.path.is_empty() {
            "/".to_string()
        } else {
            self.path.clone()
        };
        if let Some(q) = &self.query {
            target.push('?');
            target.push_str(q);
        }
        Ok(HttpParts {
            connect_host,
            port,
            host_header,
            target,
        })
    }

    /// Whether two URLs have the same origin (scheme, host, port): a
    /// redirect to another origin must not carry credentials along.
    pub fn same_origin(&self, other: &Url) -> bool {
        self.scheme == other.scheme
            && self.authority.as_ref().map(|a| &a.host) == other.authority.as_ref().map(|a| &a.host)
            && self.port_or_default() == other.port_or_default()
    }
}

impl std::str::FromStr for Url {
    type Err = UrlError;
    fn from_str(s: &str) -> Result<Url, UrlError> {
        Url::parse(s)
    }
}

/// RFC 3986 §5.3: the components put back together.
impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.scheme.is_empty() {
            write!(f, "{}:", self.scheme)?;
        }
        if let Some(a) = &self.authority {
            f.write_str("//")?;
            if let Some(u) = &a.userinfo {
                write!(f, "{u}@")?;
            }
            write!(f, "{}", a.host)?;
            if let Some(p) = a.port {
                write!(f, ":{p}")?;
            }
        }
        f.write_str(&self.path)?;
        if let Some(q) = &self.query {
            write!(f, "?{q}")?;
        }
        if let Some(fr) = &self.fragment {
            write!(f, "#{fr}")?;
        }
        Ok(())
    }
}

/// Without an authority, a path may not begin with `//` (RFC 3986 §3.3):
/// printed, it would read back as an authority (`a:..//h` resolves to the
/// path `//h`, which prints as `a://h`). As the WHATWG URL standard does,
/// such a path gets a `/.` in front, which means the same path.
fn keep_path_off_authority(mut u: Url) -> Url {
    if u.authority.is_none() && u.path.starts_with("//") {
        u.path.insert_str(0, "/.");
    }
    u
}

/// RFC 3986 §5.2.4: removes `.` and `..` segments, so `/a/b/../c/./d`
/// becomes `/a/c/d`. A `..` never climbs above the root.
pub fn remove_dot_segments(path: &str) -> String {
    exercise!(
        "ex_ch03_dot_segments",
        ch03_dot_segments::remove_dot_segments(path)
    );
    let mut input = path;
    let mut out = String::with_capacity(path.len());
    while !input.is_empty() {
        if let Some(rest) = input.strip_prefix("../") {
            input = rest; // A
        } else if let Some(rest) = input.strip_prefix("./") {
            input = rest; // A
        } else if input.starts_with("/./") {
            input = &input[2..]; // B: "/./x" -> "/x"
        } else if input == "/." {
            input = "/"; // B
        } else if input.starts_with("/../") || input == "/.." {
            // C: drop the last output segment.
            input = if input == "/.." { "/" } else { &input[3..] };
            match out.rfind('/') {
                Some(i) => out.truncate(i),
                None => out.clear(),
            }
        } else if input == "." || input == ".." {
            input = ""; // D
        } else {
            // E: move the first segment (with its leading '/') to the output.
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| i + start);
            out.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch02_http_by_hand::head::is_valid_host;

    #[test]
    fn a_host_is_read_as_the_host_field_is() {
        // One grammar for both (chapter 2's split_host_port): whatever a
        // server accepts in `Host`, a URL accepts in its authority, and the
        // other way round. (Except that a URL is for connecting: its port
        // must fit in 16 bits; see the end.)
        for (hostport, ok) in [
            ("example.com", true),
            ("example.com:8080", true),
            ("127.0.0.1:80", true),
            ("[::1]:8080", true),
            ("a%41b", true),
            ("a%4", false),
            ("a%zz", false),
            ("[::1", false),
            ("[::1]x", false),
            ("[nope]", false),
            ("a b", false),
            ("a:b:80", false),
        ] {
            assert_eq!(is_valid_host(hostport), ok, "Host: {hostport}");
            let url = format!("http://{hostport}/");
            assert_eq!(Url::parse(&url).is_ok(), ok, "{url}");
        }
        // `port = *DIGIT` (RFC 3986 §3.2.3): a valid `Host`, but no port
        // to connect to.
        assert!(is_valid_host("x:99999"));
        assert!(Url::parse("http://x:99999/").is_err());
    }

    #[test]
    fn parses_every_component() {
        let u = Url::parse("HTTP://user@Example.COM:8080/over/there?name=ferret#nose").unwrap();
        assert_eq!(u.scheme, "http");
        let a = u.authority.as_ref().unwrap();
        assert_eq!(a.userinfo.as_deref(), Some("user"));
        assert_eq!(a.host, Host::Name("example.com".into()));
        assert_eq!(a.port, Some(8080));
        assert_eq!(u.path, "/over/there");
        assert_eq!(u.query.as_deref(), Some("name=ferret"));
        assert_eq!(u.fragment.as_deref(), Some("nose"));
        assert_eq!(
            u.to_string(),
            "http://user@example.com:8080/over/there?name=ferret#nose"
        );
    }

    #[test]
    fn urns_and_mailto_are_uris_too() {
        // RFC 3986 §1.1.2's examples.
        for s in [
            "urn:oasis:names:specification:docbook:dtd:xml:4.1.2",
            "mailto:John.Doe@example.com",
            "tel:+1-816-555-1212",
            "ldap://[2001:db8::7]/c=GB?objectClass?one",
            "news:comp.infosystems.www.servers.unix",
        ] {
            let u = Url::parse(s).unwrap();
            assert_eq!(u.to_string(), s);
        }
        let urn = Url::parse("urn:isbn:0451450523").unwrap();
        assert_eq!(
            (urn.scheme.as_str(), urn.authority.is_none()),
            ("urn", true)
        );
    }

    #[test]
    fn hosts_ports_and_defaults() {
        let u = Url::parse("http://[::1]:8888/x").unwrap();
        assert_eq!(
            u.authority.as_ref().unwrap().host,
            Host::Ipv6(Ipv6Addr::LOCALHOST)
        );
        let p = u.http_parts().unwrap();
        assert_eq!(p.connect_host, "::1");
        assert_eq!(p.host_header, "[::1]:8888");
        assert_eq!(p.target, "/x");
        let p = Url::parse("http://127.0.0.1")
            .unwrap()
            .http_parts()
            .unwrap();
        assert_eq!(
            (p.port, p.host_header.as_str(), p.target.as_str()),
            (80, "127.0.0.1", "/")
        );
        let p = Url::parse("http://h:/?q#f").unwrap().http_parts().unwrap();
        assert_eq!((p.port, p.target.as_str()), (80, "/?q"));
        assert_eq!(
            Url::parse("https://h").unwrap().port_or_default(),
            Some(443)
        );
        for bad in [
            "http://h:65536/",
            "http://h:-1/",
            "http://h:8a/",
            "http://[::1/",
            "http://[nope]/",
            "http://a b/",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn http_parts_refuse_what_a_client_cannot_fetch() {
        let e = |s: &str| Url::parse(s).unwrap().http_parts().unwrap_err();
        assert!(
            matches!(e("https://example.com/"), HttpUrlError::UnsupportedScheme(s) if s == "https")
        );
        assert!(e("https://x/").to_string().contains("TLS"));
        assert_eq!(e("http://u:p@h/"), HttpUrlError::Userinfo);
        assert_eq!(e("http:///x"), HttpUrlError::NoHost);
        assert_eq!(e("http:x"), HttpUrlError::NoHost);
    }

    #[test]
    fn bad_characters_are_errors_or_escaped() {
        assert_eq!(Url::parse("http://h/a b"), Err(UrlError::BadChar(10)));
        assert_eq!(Url::parse("http://h/%zz"), Err(UrlError::BadEscape(9)));
        assert_eq!(Url::parse("/x"), Err(UrlError::NoScheme));
        assert!(matches!(
            Url::parse("1http://h/"),
            Err(UrlError::BadScheme(_))
        ));
        let u = Url::parse("http://h/café?q=\"x\"").unwrap();
        assert_eq!(u.to_string(), "http://h/caf%C3%A9?q=%22x%22");
    }

    /// RFC 3986 §5.4: every example, normal and abnormal.
    #[test]
    fn rfc3986_resolution_examples() {
        let base = Url::parse("http://a/b/c/d;p?q").unwrap();
        let cases = [
            ("g:h", "g:h"),
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q#s"),
            ("g#s", "http://a/b/c/g#s"),
            ("g?y#s", "http://a/b/c/g?y#s"),
            (";x", "http://a/b/c/;x"),
            ("g;x", "http://a/b/c/g;x"),
            ("g;x?y#s", "http://a/b/c/g;x?y#s"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../", "http://a/"),
            ("../../g", "http://a/g"),
            // §5.4.2 abnormal examples
            ("../../../g", "http://a/g"),
            ("../../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            (".g", "http://a/b/c/.g"),
            ("g..", "http://a/b/c/g.."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("./g/.", "http://a/b/c/g/"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("g?y/./x", "http://a/b/c/g?y/./x"),
            ("g?y/../x", "http://a/b/c/g?y/../x"),
            ("g#s/./x", "http://a/b/c/g#s/./x"),
            ("g#s/../x", "http://a/b/c/g#s/../x"),
            ("http:g", "http:g"),
        ];
        for (r, want) in cases {
            assert_eq!(base.join(r).unwrap().to_string(), want, "reference {r:?}");
        }
    }

    #[test]
    fn dot_segments() {
        // RFC 3986 §5.2.4's two worked examples.
        assert_eq!(remove_dot_segments("/a/b/c/./../../g"), "/a/g");
        assert_eq!(remove_dot_segments("mid/content=5/../6"), "mid/6");
        assert_eq!(remove_dot_segments("/.."), "/");
    }

    #[test]
    fn same_origin_compares_default_ports() {
        let a = Url::parse("http://h/x").unwrap();
        assert!(a.same_origin(&Url::parse("http://H:80/y").unwrap()));
        assert!(!a.same_origin(&Url::parse("http://h:81/").unwrap()));
    }
}
