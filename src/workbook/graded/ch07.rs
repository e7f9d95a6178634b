mod ch07_content_range {
    use crate::ch07_downloads_and_uploads::download::parse_content_range;

    #[test]
    fn first_last_and_total() {
        assert_eq!(
            parse_content_range("bytes 10-19/20"),
            Some((10, 19, Some(20))),
            "bytes 10-19/20"
        );
        assert_eq!(
            parse_content_range("bytes 0-0/*"),
            Some((0, 0, None)),
            "bytes 0-0/*"
        );
        assert_eq!(
            parse_content_range(" bytes 5-9/10 "),
            Some((5, 9, Some(10))),
            "with spaces around"
        );
        let big = u64::MAX - 1;
        assert_eq!(
            parse_content_range(&format!("bytes 0-{big}/{}", u64::MAX)),
            Some((0, big, Some(u64::MAX))),
            "64-bit sizes"
        );
    }

    #[test]
    fn anything_else_is_none() {
        for v in [
            "bytes */20",
            "items 0-1/2",
            "bytes 0-1",
            "bytes 0/2",
            "bytes a-b/c",
            "bytes=0-1/2",
            "",
            "bytes 1-2/x",
        ] {
            assert_eq!(parse_content_range(v), None, "parse_content_range({v:?})");
        }
    }
}

mod ch07_upload_name {
    use crate::ch07_downloads_and_uploads::receive::plain_file_name;

    #[test]
    fn plain_names_are_decoded() {
        for (raw, want) in [
            ("a.txt", "a.txt"),
            ("caf%C3%A9%20b.bin", "caf\u{e9} b.bin"),
            ("a..b", "a..b"),
            ("x%2Ey", "x.y"),
        ] {
            assert_eq!(
                plain_file_name(raw),
                Ok(want.to_string()),
                "plain_file_name({raw:?})"
            );
        }
        let longest = "x".repeat(255);
        assert_eq!(
            plain_file_name(&longest),
            Ok(longest.clone()),
            "a 255-byte name"
        );
    }

    #[test]
    fn everything_that_is_not_one_plain_file_is_refused() {
        let too_long = "x".repeat(256);
        let too_long_decoded = "%C3%A9".repeat(128);
        for bad in [
            "",
            ".",
            "..",
            "%2e%2e",
            ".hidden",
            "%2Ehidden",
            "a/b",
            "a%2fb",
            "a%5cb",
            "a\\b",
            "a%00b",
            "a%0ab",
            "a%7f",
            "%zz",
            "%ff",
            &too_long,
            &too_long_decoded,
        ] {
            let r = plain_file_name(bad);
            assert!(
                r.is_err(),
                "plain_file_name({bad:?}) gave {r:?}, expected an Err"
            );
        }
    }
}

mod ch07_output_name {
    use std::path::PathBuf;

    use crate::ch03_urls_and_clients::url::{Authority, Host, Url};
    use crate::ch07_downloads_and_uploads::download::default_output;

    fn url(path: &str) -> Url {
        Url {
            scheme: "http".into(),
            authority: Some(Authority {
                userinfo: None,
                host: Host::Name("h".into()),
                port: None,
            }),
            path: path.into(),
            query: None,
            fragment: None,
        }
    }

    #[test]
    fn named_after_the_last_segment() {
        for (path, want) in [
            ("/a/b%20c.zip", "b c.zip"),
            ("/file.bin", "file.bin"),
            ("/", "index.html"),
            ("/dir/", "index.html"),
            ("", "index.html"),
        ] {
            assert_eq!(
                default_output(&url(path)),
                Ok(PathBuf::from(want)),
                "the file for path {path:?}"
            );
        }
    }

    #[test]
    fn names_that_would_escape_or_hide_are_errors() {
        for path in [
            "/a/..",
            "/a/%2e%2e",
            "/a/.",
            "/a/%2F",
            "/a/.bashrc",
            "/a/x%00y",
        ] {
            let r = default_output(&url(path));
            assert!(
                r.is_err(),
                "the file for path {path:?} was {r:?}, expected an Err"
            );
        }
    }
}
