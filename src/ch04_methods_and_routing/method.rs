//! Request methods (RFC 9110 §9).

use std::fmt;

/// The methods RFC 9110 §9 defines, plus PATCH (RFC 5789).
///
/// A method in this list that a route does not implement gets
/// `405 Method Not Allowed` with an `Allow` field; a method that is not in
/// the list at all gets `501 Not Implemented` (RFC 9110 §9.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Connect,
    Options,
    Trace,
    Patch,
}

impl Method {
    /// Every known method, in the order `Allow` lists them.
    pub const ALL: [Method; 9] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Connect,
        Method::Options,
        Method::Trace,
        Method::Patch,
    ];

    /// Method names are case-sensitive (RFC 9110 §9.1): `get` is not `GET`.
    pub fn parse(s: &str) -> Option<Method> {
        exercise!("ex_ch04_method_parse", ch04_method_parse::parse(s));
        Method::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Connect => "CONNECT",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Patch => "PATCH",
        }
    }

    /// Safe methods (RFC 9110 §9.2.1) are read-only by contract: a crawler
    /// or a prefetching browser may send them freely.
    pub fn is_safe(self) -> bool {
        matches!(
            self,
            Method::Get | Method::Head | Method::Options | Method::Trace
        )
    }

    /// Idempotent methods (RFC 9110 §9.2.2): sending one twice has the same
    /// effect as once, so a client may retry it after a dropped connection.
    pub fn is_idempotent(self) -> bool {
        self.is_safe() || matches!(self, Method::Put | Method::Delete)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_case_sensitive() {
        assert_eq!(Method::parse("GET"), Some(Method::Get));
        assert_eq!(Method::parse("get"), None);
        assert_eq!(Method::parse("BREW"), None);
    }

    #[test]
    fn safe_and_idempotent() {
        assert!(Method::Get.is_safe() && Method::Get.is_idempotent());
        assert!(!Method::Put.is_safe() && Method::Put.is_idempotent());
        assert!(!Method::Post.is_safe() && !Method::Post.is_idempotent());
    }
}
