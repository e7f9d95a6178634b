mod ch02_is_token {
    use crate::ch02_http_by_hand::head::is_token;

    #[test]
    fn methods_and_field_names_are_tokens() {
        for s in [
            "GET",
            "M-SEARCH",
            "Content-Length",
            "x",
            "!#$%&'*+-.^_`|~09azAZ",
        ] {
            assert_eq!(is_token(s.as_bytes()), true, "is_token({s:?})");
        }
    }

    #[test]
    fn separators_controls_and_empty_are_not() {
        for s in [
            "", "GET ", "a:b", "a\"b", "(x)", "a,b", "a/b", "a\tb", "a\0", "\u{e9}", "{}", "a@b",
            "[]", "=",
        ] {
            assert_eq!(is_token(s.as_bytes()), false, "is_token({s:?})");
        }
        assert_eq!(is_token(&[b'a', 0x7f]), false, "is_token with DEL");
    }
}

mod ch02_content_length {
    use crate::ch02_http_by_hand::framing::{FramingError, content_length};
    use crate::ch02_http_by_hand::head::Headers;

    fn cl(values: &[&str]) -> Result<Option<u64>, FramingError> {
        let mut h = Headers::new();
        h.append("Host", "x");
        for v in values {
            h.append("Content-Length", *v);
        }
        content_length(&h)
    }

    #[test]
    fn absent_one_or_repeated_equal_values() {
        assert_eq!(cl(&[]), Ok(None), "no Content-Length");
        assert_eq!(cl(&["42"]), Ok(Some(42)), "Content-Length: 42");
        assert_eq!(cl(&["0"]), Ok(Some(0)), "Content-Length: 0");
        assert_eq!(cl(&[" 7\t"]), Ok(Some(7)), "spaces around the value");
        assert_eq!(cl(&["5, 5"]), Ok(Some(5)), "a list of equal values");
        assert_eq!(cl(&["5", "5"]), Ok(Some(5)), "two equal fields");
    }

    #[test]
    fn anything_ambiguous_is_an_error() {
        for bad in [
            &["5", "6"][..],
            &["5, 6"],
            &["+5"],
            &["-1"],
            &["0x10"],
            &["1 2"],
            &[""],
            &["5,"],
            &["1e3"],
            &["18446744073709551616"],
            &["99999999999999999999999"],
        ] {
            assert_eq!(
                cl(bad),
                Err(FramingError::BadContentLength),
                "Content-Length {bad:?}"
            );
        }
    }
}

mod ch02_parse_request {
    use crate::ch02_http_by_hand::head::{HeadLimits, Parsed, Version, parse_request};

    fn status(b: &[u8]) -> Result<&'static str, u16> {
        match parse_request(b, &HeadLimits::SERVER) {
            Ok(Parsed::Incomplete) => Ok("incomplete"),
            Ok(Parsed::Complete(..)) => Ok("complete"),
            Err(e) => Err(e.status()),
        }
    }

    #[test]
    fn parses_the_request_line_and_fields() {
        let raw = b"GET /a?b=c HTTP/1.1\r\nHost: x\r\nAccept:  */* \r\n\r\nBODY";
        match parse_request(raw, &HeadLimits::SERVER) {
            Ok(Parsed::Complete(h, n)) => {
                let got = (
                    h.method.as_str(),
                    h.target.as_str(),
                    h.version,
                    h.headers.get("host"),
                    &raw[n..],
                );
                assert_eq!(
                    got,
                    ("GET", "/a?b=c", Version::Http11, Some("x"), &b"BODY"[..]),
                    "method, target, version, Host, rest"
                );
            }
            other => panic!(
                "expected a complete head for {:?}, got {other:?}",
                String::from_utf8_lossy(raw)
            ),
        }
        match parse_request(b"POST / HTTP/1.0\r\n\r\n", &HeadLimits::SERVER) {
            Ok(Parsed::Complete(h, n)) => assert_eq!(
                (h.method.as_str(), h.version, n),
                ("POST", Version::Http10, 19),
                "POST / HTTP/1.0"
            ),
            other => panic!("expected a complete HTTP/1.0 head, got {other:?}"),
        }
    }

    #[test]
    fn every_prefix_is_incomplete() {
        let raw = b"POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n";
        for i in 0..raw.len() {
            assert_eq!(
                status(&raw[..i]),
                Ok("incomplete"),
                "the first {i} bytes: {:?}",
                String::from_utf8_lossy(&raw[..i])
            );
        }
        assert_eq!(status(raw), Ok("complete"), "all of it");
    }

    #[test]
    fn leading_empty_lines_and_bare_lf_are_accepted() {
        for raw in [
            &b"\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"[..],
            b"\nGET / HTTP/1.1\nHost: a\n\n",
            b"GET / HTTP/1.1\r\nHost: a\n\r\n",
        ] {
            assert_eq!(
                status(raw),
                Ok("complete"),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
        assert_eq!(
            status(b"\r\n"),
            Ok("incomplete"),
            "only an empty line so far"
        );
    }

    #[test]
    fn bad_request_lines_get_their_status() {
        let cases: &[(&[u8], u16)] = &[
            (b"GET  / HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/1.1 \r\n\r\n", 400),
            (b"GET /\r\n\r\n", 400),
            (b"G(T / HTTP/1.1\r\n\r\n", 400),
            (b"GET / HTTP/1.1\rX\n\r\n", 400),
            (b"GET /a\x7fb HTTP/1.1\r\n\r\n", 400),
            (b"GET / http/1.1\r\n\r\n", 400),
            (b"GET / HTTP/1.10\r\n\r\n", 400),
            (b"GET / HTTP/2.0\r\n\r\n", 505),
            (b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n", 400),
        ];
        for (raw, want) in cases {
            assert_eq!(
                status(raw),
                Err(*want),
                "{:?}",
                String::from_utf8_lossy(raw)
            );
        }
    }

    #[test]
    fn limits_give_414_and_431_even_before_the_line_ends() {
        let long_target = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(5000));
        assert_eq!(
            status(long_target.as_bytes()),
            Err(414),
            "a 5000-byte target"
        );
        let partial = format!("GET /{}", "a".repeat(5000));
        assert_eq!(
            status(partial.as_bytes()),
            Err(414),
            "a 5000-byte target, line not finished"
        );
        let bad_method = b"G\x01";
        assert_eq!(
            status(bad_method),
            Err(400),
            "a control byte in the method, line not finished"
        );
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "v".repeat(9000));
        assert_eq!(status(big.as_bytes()), Err(431), "a 9 KB head");
        let endless = format!("GET / HTTP/1.1\r\nX: {}", "v".repeat(9000));
        assert_eq!(
            status(endless.as_bytes()),
            Err(431),
            "a 9 KB head that never ends"
        );
    }
}

mod ch02_split_host_port {
    use std::net::Ipv6Addr;

    use crate::ch02_http_by_hand::head::{HostPart, split_host_port};

    #[test]
    fn names_addresses_and_ports() {
        let v6 = |s: &str| HostPart::Ipv6(s.parse::<Ipv6Addr>().unwrap());
        for (value, want) in [
            ("example.com", Some((HostPart::Name("example.com"), ""))),
            (
                "example.com:8080",
                Some((HostPart::Name("example.com"), "8080")),
            ),
            (
                "127.0.0.1:8888",
                Some((HostPart::Name("127.0.0.1"), "8888")),
            ),
            ("host:", Some((HostPart::Name("host"), ""))),
            ("host:http", Some((HostPart::Name("host"), "http"))),
            ("", Some((HostPart::Name(""), ""))),
            (
                "a-b_c~d.e!$&'()*+,;=",
                Some((HostPart::Name("a-b_c~d.e!$&'()*+,;="), "")),
            ),
            ("caf%C3%A9.fr", Some((HostPart::Name("caf%C3%A9.fr"), ""))),
            ("[::1]", Some((v6("::1"), ""))),
            ("[::1]:80", Some((v6("::1"), "80"))),
            ("[2001:db8::7]:", Some((v6("2001:db8::7"), ""))),
        ] {
            assert_eq!(split_host_port(value), want, "split_host_port({value:?})");
        }
    }

    #[test]
    fn what_is_not_a_host_is_none() {
        for value in [
            "user@host",
            "a/b",
            "a b",
            "a:b:c",
            "::1",
            "[::1",
            "[::1]x",
            "[zz]",
            "[1.2.3.4]",
            "a%2",
            "a%zz",
            "a%",
            "h\u{e9}",
            "a\tb",
            "a?b",
            "a#b",
            "[::1]]",
        ] {
            assert_eq!(split_host_port(value), None, "split_host_port({value:?})");
        }
    }
}
