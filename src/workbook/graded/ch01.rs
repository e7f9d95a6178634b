mod ch01_encode_name {
    use crate::ch01_sockets::dns::{DnsError, encode_name};

    fn enc(name: &str) -> Result<Vec<u8>, DnsError> {
        let mut out = Vec::new();
        encode_name(name, &mut out).map(|()| out)
    }

    #[test]
    fn labels_are_length_prefixed_and_end_with_the_root() {
        assert_eq!(
            enc("example.com"),
            Ok(b"\x07example\x03com\x00".to_vec()),
            "example.com"
        );
        assert_eq!(
            enc("a.b.c."),
            Ok(b"\x01a\x01b\x01c\x00".to_vec()),
            "a.b.c. (trailing dot)"
        );
        assert_eq!(enc("."), Ok(vec![0]), "the root");
    }

    #[test]
    fn appends_after_what_is_there() {
        let mut out = vec![0xAA];
        let r = encode_name("x", &mut out);
        assert_eq!(
            (r, out),
            (Ok(()), vec![0xAA, 1, b'x', 0]),
            "appending \"x\" after one byte"
        );
    }

    #[test]
    fn bad_names_are_refused() {
        let long_label = format!("{}.com", "a".repeat(64));
        let long_name = vec!["abcdefghi"; 26].join("."); // 260 bytes on the wire
        for bad in [
            "a..b",
            ".a",
            "a b.com",
            "caf\u{e9}.com",
            &long_label,
            &long_name,
        ] {
            let mut out = Vec::new();
            let r = encode_name(bad, &mut out);
            assert!(
                matches!(r, Err(DnsError::BadName(_))),
                "{bad:?} gave {r:?}, expected Err(BadName)"
            );
        }
        let ok63 = format!("{}.com", "a".repeat(63));
        assert!(enc(&ok63).is_ok(), "a 63-byte label is allowed");
    }
}

mod ch01_parse_header {
    use crate::ch01_sockets::dns::{DnsError, Header, parse_header};

    #[test]
    fn six_big_endian_fields() {
        let msg = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 3, 0xff, 0xfe, 9, 9];
        let want = Header {
            id: 0x1234,
            flags: 0x8180,
            qdcount: 1,
            ancount: 2,
            nscount: 3,
            arcount: 0xfffe,
        };
        assert_eq!(parse_header(&msg), Ok(want), "header of {msg:02x?}");
    }

    #[test]
    fn short_messages_are_truncated_errors() {
        for n in 0..12 {
            let r = parse_header(&vec![0u8; n]);
            assert!(
                matches!(r, Err(DnsError::Truncated { .. })),
                "{n} bytes gave {r:?}, expected Err(Truncated)"
            );
        }
    }
}

mod ch01_read_name {
    use crate::ch01_sockets::dns::{DnsError, read_name};
    use crate::rng::Rng;

    #[test]
    fn plain_name_and_the_offset_after_it() {
        let msg = b"\xff\x03www\x07example\x03com\x00\xee";
        assert_eq!(
            read_name(msg, 1),
            Ok(("www.example.com".to_string(), 18)),
            "name at 1"
        );
        assert_eq!(read_name(b"\x00", 0), Ok((".".to_string(), 1)), "the root");
    }

    #[test]
    fn a_pointer_continues_the_name_elsewhere_and_ends_it_here() {
        // 0: example.com ; 13: www + pointer to 0 ; 19: pointer to 13
        let mut msg = b"\x07example\x03com\x00".to_vec();
        msg.extend_from_slice(b"\x03www\xc0\x00");
        msg.extend_from_slice(b"\xc0\x0d");
        assert_eq!(
            read_name(&msg, 13),
            Ok(("www.example.com".to_string(), 19)),
            "label then pointer"
        );
        assert_eq!(
            read_name(&msg, 19),
            Ok(("www.example.com".to_string(), 21)),
            "pointer to a pointer"
        );
    }

    #[test]
    fn loops_are_errors_not_hangs() {
        let self_loop = b"\x00\x00\xc0\x02";
        let r = read_name(self_loop, 2);
        assert!(
            matches!(r, Err(DnsError::PointerLoop { .. })),
            "pointer to itself gave {r:?}"
        );
        let two = b"\x01a\xc0\x04\x01b\xc0\x00";
        let r = read_name(two, 0);
        assert!(
            matches!(r, Err(DnsError::PointerLoop { .. })),
            "two pointers at each other gave {r:?}"
        );
        let forward = b"\xc0\x02\x01a\x00";
        let r = read_name(forward, 0);
        assert!(
            matches!(r, Err(DnsError::PointerLoop { .. })),
            "a forward pointer gave {r:?}"
        );
    }

    #[test]
    fn truncation_reserved_bits_and_length_are_errors() {
        for (msg, what) in [
            (&b"\x03ww"[..], "label cut short"),
            (b"\x03www", "no root label"),
            (b"\xc0", "half a pointer"),
        ] {
            let r = read_name(msg, 0);
            assert!(
                matches!(r, Err(DnsError::Truncated { .. })),
                "{what} gave {r:?}, expected Err(Truncated)"
            );
        }
        for lead in [0x40u8, 0x80] {
            let r = read_name(&[lead, 0, 0], 0);
            assert!(
                matches!(r, Err(DnsError::BadLabelType { .. })),
                "length octet {lead:#x} gave {r:?}"
            );
        }
        // 5 labels of 63 bytes, each written once and chained by pointers.
        let mut msg = Vec::new();
        let mut prev: Option<usize> = None;
        for _ in 0..5 {
            let here = msg.len();
            msg.push(63);
            msg.extend(std::iter::repeat_n(b'x', 63));
            match prev {
                Some(p) => msg.extend_from_slice(&[0xc0 | (p >> 8) as u8, p as u8]),
                None => msg.push(0),
            }
            prev = Some(here);
        }
        let r = read_name(&msg, prev.unwrap());
        assert!(
            matches!(r, Err(DnsError::NameTooLong { .. })),
            "a 320-byte name gave {r:?}"
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut rng = Rng::new();
        for _ in 0..2000 {
            let n = rng.below(40) as usize + 1;
            let msg = rng.bytes(n);
            let _ = read_name(&msg, rng.below(n as u64) as usize);
        }
    }
}
