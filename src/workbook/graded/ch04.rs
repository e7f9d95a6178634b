mod ch04_method_parse {
    use crate::ch04_methods_and_routing::method::Method;

    #[test]
    fn the_nine_methods() {
        for (s, m) in [
            ("GET", Method::Get),
            ("HEAD", Method::Head),
            ("POST", Method::Post),
            ("PUT", Method::Put),
            ("DELETE", Method::Delete),
            ("CONNECT", Method::Connect),
            ("OPTIONS", Method::Options),
            ("TRACE", Method::Trace),
            ("PATCH", Method::Patch),
        ] {
            assert_eq!(Method::parse(s), Some(m), "Method::parse({s:?})");
        }
    }

    #[test]
    fn names_are_case_sensitive_and_exact() {
        for s in [
            "get", "Get", "GET ", " GET", "", "GETS", "BREW", "M-SEARCH", "PUT\0",
        ] {
            assert_eq!(Method::parse(s), None, "Method::parse({s:?})");
        }
    }
}

mod ch04_keep_alive {
    use crate::ch02_http_by_hand::head::{Headers, RequestHead, Version};
    use crate::ch04_methods_and_routing::framing::wants_keep_alive;

    fn head(version: Version, fields: &[(&str, &str)]) -> RequestHead {
        let mut headers = Headers::new();
        for (n, v) in fields {
            headers.append(*n, *v);
        }
        RequestHead {
            method: "GET".into(),
            target: "/".into(),
            version,
            headers,
        }
    }

    #[test]
    fn http_1_1_stays_open_unless_close() {
        use Version::Http11;
        for (fields, want) in [
            (&[][..], true),
            (&[("Connection", "close")], false),
            (&[("Connection", "Close")], false),
            (&[("Connection", "upgrade, close")], false),
            (
                &[("Connection", "keep-alive"), ("connection", "CLOSE")],
                false,
            ),
            (&[("Connection", "keep-alive")], true),
            (&[("Connection", "closed")], true),
            (&[("X-Connection", "close")], true),
        ] {
            assert_eq!(
                wants_keep_alive(&head(Http11, fields)),
                want,
                "HTTP/1.1 with {fields:?}"
            );
        }
    }

    #[test]
    fn http_1_0_closes_unless_keep_alive() {
        use Version::Http10;
        for (fields, want) in [
            (&[][..], false),
            (&[("Connection", "keep-alive")], true),
            (&[("Connection", "Keep-Alive")], true),
            (&[("Connection", "keep-alive, close")], false),
            (
                &[
                    ("Connection", "keep-alive"),
                    ("Transfer-Encoding", "chunked"),
                ],
                false,
            ),
        ] {
            assert_eq!(
                wants_keep_alive(&head(Http10, fields)),
                want,
                "HTTP/1.0 with {fields:?}"
            );
        }
    }
}

mod ch04_route_match {
    use crate::ch04_methods_and_routing::router::Pattern;

    type Got = Option<Result<Vec<(String, String)>, ()>>;

    fn m(pattern: &str, path: &str) -> Got {
        Pattern::parse(pattern).matches(path)
    }

    fn ok(pairs: &[(&str, &str)]) -> Got {
        Some(Ok(pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()))
    }

    #[test]
    fn literals_and_captures() {
        assert_eq!(m("/notes", "/notes"), ok(&[]), "/notes on /notes");
        assert_eq!(m("/", "/"), ok(&[]), "/ on /");
        assert_eq!(
            m("/notes/{id}", "/notes/42"),
            ok(&[("id", "42")]),
            "/notes/{{id}} on /notes/42"
        );
        assert_eq!(
            m("/a/{x}/b/{y}", "/a/1/b/2"),
            ok(&[("x", "1"), ("y", "2")]),
            "two captures"
        );
        assert_eq!(
            m("/notes/{id}", "/notes/a%20b"),
            ok(&[("id", "a b")]),
            "a capture is decoded"
        );
        assert_eq!(
            m("/notes/{id}", "/notes/a%2Fb"),
            ok(&[("id", "a/b")]),
            "%2F is a slash in the value"
        );
        assert_eq!(
            m("/hello world", "/hello%20world"),
            ok(&[]),
            "a literal compares decoded"
        );
    }

    #[test]
    fn what_does_not_match() {
        for (pattern, path) in [
            ("/notes", "/notes/"),
            ("/notes", "/note"),
            ("/notes", "/notes/1"),
            ("/notes/{id}", "/notes"),
            ("/notes/{id}", "/notes/"),
            ("/notes/{id}", "/notes/1/2"),
            ("/notes/{id}", "/other/1"),
            ("/notes/{id}", "notes/1"),
            ("/", "/x"),
        ] {
            assert_eq!(m(pattern, path), None, "{pattern} on {path}");
        }
    }

    #[test]
    fn rest_captures_take_the_tail() {
        assert_eq!(
            m("/static/{path*}", "/static/a/b%20c/d"),
            ok(&[("path", "a/b c/d")]),
            "the rest"
        );
        assert_eq!(
            m("/static/{path*}", "/static/"),
            ok(&[("path", "")]),
            "an empty rest"
        );
        assert_eq!(m("/static/{path*}", "/other/a"), None, "another prefix");
    }

    #[test]
    fn bad_escapes_in_a_match_are_errors() {
        assert_eq!(m("/notes/{id}", "/notes/%zz"), Some(Err(())), "/notes/%zz");
        assert_eq!(
            m("/static/{path*}", "/static/a/%2"),
            Some(Err(())),
            "/static/a/%2"
        );
        assert_eq!(
            m("/notes/{id}/x", "/notes/%zz/y"),
            None,
            "a bad escape in a path that does not match"
        );
    }
}
