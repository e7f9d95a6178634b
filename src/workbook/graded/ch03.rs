mod ch03_percent_decode {
    use crate::ch03_urls_and_clients::percent::{DecodeError, percent_decode};

    #[test]
    fn escapes_become_bytes_and_the_rest_stays() {
        let cases: &[(&str, &[u8])] = &[
            ("abc", b"abc"),
            ("a%20b", b"a b"),
            ("%2f%2F", b"//"),
            ("%E4%BD%A0", "\u{4f60}".as_bytes()),
            ("%ff", &[0xff]),
            ("a+b", b"a+b"),
            ("%25zz", b"%zz"),
            ("", b""),
        ];
        for (s, want) in cases {
            assert_eq!(
                percent_decode(s),
                Ok(want.to_vec()),
                "percent_decode({s:?})"
            );
        }
    }

    #[test]
    fn a_percent_without_two_hex_digits_is_an_error() {
        for s in ["%", "a%", "%2", "%zz", "%2g", "%%20", "abc%e"] {
            let r = percent_decode(s);
            assert!(
                matches!(r, Err(DecodeError::BadEscape(_))),
                "percent_decode({s:?}) gave {r:?}, expected Err(BadEscape)"
            );
        }
    }
}

mod ch03_chunk_size_line {
    use crate::ch03_urls_and_clients::body::ChunkedDecoder;

    /// Decodes a whole chunked body, or says why not.
    fn decode(body: &[u8]) -> Result<Vec<u8>, String> {
        let mut d = ChunkedDecoder::new();
        let mut out = vec![0; 4096];
        let mut got = Vec::new();
        let mut input = body;
        while !d.is_done() {
            let (used, made) = d.decode(input, &mut out).map_err(|e| e.to_string())?;
            got.extend_from_slice(&out[..made]);
            input = &input[used..];
            if used == 0 && made == 0 {
                return Err("needs more input".into());
            }
        }
        Ok(got)
    }

    #[test]
    fn sizes_are_hex_and_extensions_are_ignored() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"5\r\nhello\r\n0\r\n\r\n", b"hello"),
            (b"A\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
            (b"a\r\n0123456789\r\n0\r\n\r\n", b"0123456789"),
            (b"005\r\nhello\r\n0\r\n\r\n", b"hello"),
            (b"5;name=value\r\nhello\r\n0\r\n\r\n", b"hello"),
            (b"5 ;x\r\nhello\r\n0\r\n\r\n", b"hello"),
            (b"5\t\r\nhello\r\n0\r\n\r\n", b"hello"),
            (b"0\r\n\r\n", b""),
        ];
        for (body, want) in cases {
            assert_eq!(
                decode(body),
                Ok(want.to_vec()),
                "{:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn bad_size_lines_are_errors() {
        for bad in [
            &b"\r\nhello\r\n0\r\n\r\n"[..],
            b"x\r\nhello\r\n0\r\n\r\n",
            b"0x5\r\nhello\r\n0\r\n\r\n",
            b"+5\r\nhello\r\n0\r\n\r\n",
            b"5 6\r\nhello\r\n0\r\n\r\n",
            b"5\nhello\r\n0\r\n\r\n",
            b"5;a\x01b\r\nhello\r\n0\r\n\r\n",
            b"10000000000000000\r\n",
            b"fffffffffffffffff\r\n",
        ] {
            let r = decode(bad);
            assert!(
                r.is_err() && r != Err("needs more input".into()),
                "{:?} gave {r:?}, expected an error",
                String::from_utf8_lossy(bad)
            );
        }
    }
}

mod ch03_dot_segments {
    use crate::ch03_urls_and_clients::url::remove_dot_segments;

    #[test]
    fn rfc_3986_examples() {
        for (input, want) in [
            ("/a/b/c/./../../g", "/a/g"),
            ("mid/content=5/../6", "mid/6"),
            ("/a/b/../c/./d", "/a/c/d"),
            ("/../a", "/a"),
            ("/a/b/..", "/a/"),
            ("/a/b/.", "/a/b/"),
            ("/a/./b", "/a/b"),
            ("/..a/.b/c..", "/..a/.b/c.."),
            ("/", "/"),
            ("", ""),
            ("/a//../b", "/a/b"),
            ("/a/b/c/../../../../x", "/x"),
            ("../x", "x"),
            ("./x", "x"),
            (".", ""),
            ("..", ""),
        ] {
            assert_eq!(
                remove_dot_segments(input),
                want,
                "remove_dot_segments({input:?})"
            );
        }
    }

    #[test]
    fn resolution_uses_it() {
        use crate::ch03_urls_and_clients::url::{Authority, Host, Url};
        // http://a/b/c/d;p?q, built by hand: parsing it would call other exercises.
        let base = Url {
            scheme: "http".into(),
            authority: Some(Authority {
                userinfo: None,
                host: Host::Name("a".into()),
                port: None,
            }),
            path: "/b/c/d;p".into(),
            query: Some("q".into()),
            fragment: None,
        };
        for (r, want) in [
            ("../g", "http://a/b/g"),
            ("../../../g", "http://a/g"),
            ("./g/.", "http://a/b/c/g/"),
            ("g/../h", "http://a/b/c/h"),
        ] {
            let got = base
                .join(r)
                .map(|u| u.to_string())
                .unwrap_or_else(|e| format!("error {e:?}"));
            assert_eq!(got, want, "resolving {r:?} against http://a/b/c/d;p?q");
        }
    }
}
