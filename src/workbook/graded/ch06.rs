mod ch06_path_segments {
    use crate::ch06_static_files::path::{PathError, segments};

    #[test]
    fn segments_are_decoded_once() {
        for (raw, want) in [
            ("/", &[][..]),
            ("/a", &["a"]),
            ("/a/b%20c/", &["a", "b c"]),
            ("/caf%C3%A9.txt", &["caf\u{e9}.txt"]),
            ("/%252e%252e", &["%2e%2e"]),
            ("/.well-known/x", &[".well-known", "x"]),
            ("/a..b/...", &["a..b", "..."]),
        ] {
            let want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
            assert_eq!(segments(raw), Ok(want), "segments({raw:?})");
        }
    }

    #[test]
    fn unsafe_paths_are_refused_with_their_reason() {
        for (raw, want) in [
            ("/..", PathError::DotSegment),
            ("/a/../b", PathError::DotSegment),
            ("/a/./b", PathError::DotSegment),
            ("/%2e%2e/etc/passwd", PathError::DotSegment),
            ("/a/%2E", PathError::DotSegment),
            ("/a%5c..%5cb", PathError::Backslash),
            ("/a\\b", PathError::Backslash),
            ("/a%00.txt", PathError::Nul),
            ("/%zz", PathError::BadEncoding),
            ("/%ff", PathError::BadEncoding),
            ("a/b", PathError::NotOriginForm),
            ("/a//b", PathError::NotOriginForm),
            ("//etc", PathError::NotOriginForm),
        ] {
            assert_eq!(segments(raw), Err(want), "segments({raw:?})");
        }
    }
}

mod ch06_etag_list {
    use crate::ch06_static_files::conditional::{EntityTag, TagList, parse_tag_list};

    fn tags(list: &[(bool, &'static str)]) -> Option<TagList<'static>> {
        Some(TagList::Tags(
            list.iter()
                .map(|&(weak, tag)| EntityTag { weak, tag })
                .collect(),
        ))
    }

    #[test]
    fn star_and_lists() {
        assert_eq!(parse_tag_list("*"), Some(TagList::Any), "*");
        assert_eq!(parse_tag_list(" * "), Some(TagList::Any), "\" * \"");
        assert_eq!(
            parse_tag_list("\"v1\""),
            tags(&[(false, "\"v1\"")]),
            "one strong tag"
        );
        assert_eq!(
            parse_tag_list("W/\"v1\""),
            tags(&[(true, "\"v1\"")]),
            "one weak tag"
        );
        assert_eq!(
            parse_tag_list("\"a\", W/\"b\" ,\t\"c\""),
            tags(&[(false, "\"a\""), (true, "\"b\""), (false, "\"c\"")]),
            "three tags with spaces and a tab"
        );
        assert_eq!(
            parse_tag_list("\"a,b\", \"c\""),
            tags(&[(false, "\"a,b\""), (false, "\"c\"")]),
            "a comma inside a tag"
        );
        assert_eq!(
            parse_tag_list("\"a\", , \"b\","),
            tags(&[(false, "\"a\""), (false, "\"b\"")]),
            "empty list elements"
        );
        assert_eq!(
            parse_tag_list("\"\""),
            tags(&[(false, "\"\"")]),
            "the empty tag"
        );
    }

    #[test]
    fn malformed_values_are_none() {
        for v in [
            "v1",
            "\"v1",
            "\"a\" \"b\"",
            "\"a\"x",
            "w/\"a\"",
            "W/ \"a\"",
            "\"a b\"",
            "\"a\"\"b\"",
            "*, \"a\"",
        ] {
            assert_eq!(parse_tag_list(v), None, "parse_tag_list({v:?})");
        }
    }
}

mod ch06_range {
    use crate::ch06_static_files::range::{ByteRange, RangeRequest, parse_range};

    fn r(first: u64, last: u64) -> ByteRange {
        ByteRange { first, last }
    }

    #[test]
    fn single_ranges_are_clipped_to_the_file() {
        for (v, want) in [
            ("bytes=0-499", r(0, 499)),
            ("bytes=500-", r(500, 999)),
            ("bytes=-200", r(800, 999)),
            ("bytes=-5000", r(0, 999)),
            ("bytes=900-5000", r(900, 999)),
            ("BYTES=1-1", r(1, 1)),
            ("bytes=0-99999999999999999999999", r(0, 999)),
        ] {
            assert_eq!(
                parse_range(v, 1000),
                RangeRequest::Single(want),
                "Range: {v} of 1000 bytes"
            );
        }
    }

    #[test]
    fn several_ranges_are_sorted_and_merged() {
        assert_eq!(
            parse_range("bytes=500-599,0-99", 1000),
            RangeRequest::Multiple(vec![r(0, 99), r(500, 599)]),
            "two disjoint, out of order"
        );
        assert_eq!(
            parse_range("bytes=0-99,100-199", 1000),
            RangeRequest::Single(r(0, 199)),
            "two that touch"
        );
        assert_eq!(
            parse_range("bytes=0-150,100-199,-100", 1000),
            RangeRequest::Multiple(vec![r(0, 199), r(900, 999)]),
            "overlap and a suffix"
        );
        assert_eq!(
            parse_range("bytes=0-1,,5-6", 1000),
            RangeRequest::Multiple(vec![r(0, 1), r(5, 6)]),
            "an empty element"
        );
        assert_eq!(
            parse_range("bytes=2000-3000,0-0", 1000),
            RangeRequest::Single(r(0, 0)),
            "one outside, one inside"
        );
    }

    #[test]
    fn unsatisfiable_and_ignored() {
        for v in [
            "bytes=1000-",
            "bytes=5000-6000",
            "bytes=-0",
            "bytes=1000-1000,2000-",
        ] {
            assert_eq!(
                parse_range(v, 1000),
                RangeRequest::Unsatisfiable,
                "Range: {v} of 1000 bytes"
            );
        }
        let many = format!(
            "bytes={}",
            (0..17)
                .map(|i| format!("{}-{}", i * 10, i * 10))
                .collect::<Vec<_>>()
                .join(",")
        );
        for v in [
            "bytes=5-1",
            "bytes=a-b",
            "bytes=-",
            "bytes=1-2-3",
            "items=0-1",
            "bytes",
            "bytes=",
            "bytes=+1-2",
            "bytes=1 -2",
            "bytes=0x1-2",
            &many,
        ] {
            assert_eq!(
                parse_range(v, 1000),
                RangeRequest::Ignore,
                "Range: {v} of 1000 bytes"
            );
        }
        assert_eq!(
            parse_range("bytes=0-10", 0),
            RangeRequest::Ignore,
            "any range of an empty file"
        );
    }
}
