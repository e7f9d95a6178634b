mod ch08_accept_key {
    use crate::ch08_websocket::accept::accept_key;

    #[test]
    fn rfc_6455_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            "the key of RFC 6455 §1.3"
        );
    }

    #[test]
    fn other_keys_as_an_independent_implementation_computes_them() {
        // Computed with tungstenite, an independent implementation.
        for key in [
            "x3JJHMbDL1EzLkh9GBhXDw==",
            "AQIDBAUGBwgJCgsMDQ4PEA==",
            "not even base64",
        ] {
            let want = tungstenite::handshake::derive_accept_key(key.as_bytes());
            assert_eq!(accept_key(key), want, "accept_key({key:?})");
        }
    }
}

mod ch08_frame_header {
    use crate::ch08_websocket::frame::{OpCode, encode_header};

    fn enc(fin: bool, op: OpCode, mask: Option<[u8; 4]>, len: usize) -> Vec<u8> {
        let mut out = vec![];
        encode_header(fin, op, mask, len, &mut out);
        out
    }

    #[test]
    fn first_byte_and_small_lengths() {
        assert_eq!(
            enc(true, OpCode::Text, None, 5),
            vec![0x81, 0x05],
            "an unmasked 5-byte text frame (RFC 6455 §5.7)"
        );
        assert_eq!(
            enc(false, OpCode::Text, None, 3),
            vec![0x01, 0x03],
            "a first fragment"
        );
        assert_eq!(
            enc(true, OpCode::Continuation, None, 0),
            vec![0x80, 0x00],
            "the last continuation"
        );
        assert_eq!(
            enc(true, OpCode::Close, None, 2),
            vec![0x88, 0x02],
            "a close frame"
        );
        assert_eq!(
            enc(true, OpCode::Ping, None, 125),
            vec![0x89, 125],
            "a 125-byte ping"
        );
        assert_eq!(
            enc(true, OpCode::Binary, None, 125),
            vec![0x82, 125],
            "125 bytes: still 7 bits"
        );
    }

    #[test]
    fn longer_lengths_use_the_shortest_form() {
        assert_eq!(
            enc(true, OpCode::Binary, None, 126),
            vec![0x82, 126, 0, 126],
            "126 bytes"
        );
        assert_eq!(
            enc(true, OpCode::Binary, None, 256),
            vec![0x82, 126, 1, 0],
            "256 bytes (RFC 6455 §5.7)"
        );
        assert_eq!(
            enc(true, OpCode::Binary, None, 65535),
            vec![0x82, 126, 0xff, 0xff],
            "65535 bytes"
        );
        assert_eq!(
            enc(true, OpCode::Binary, None, 65536),
            vec![0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0],
            "65536 bytes (RFC 6455 §5.7)"
        );
    }

    #[test]
    fn the_mask_bit_and_key() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        assert_eq!(
            enc(true, OpCode::Text, Some(key), 5),
            vec![0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d],
            "a masked 5-byte text (RFC 6455 §5.7)"
        );
        assert_eq!(
            enc(true, OpCode::Text, Some(key), 300),
            vec![0x81, 0xfe, 1, 44, 0x37, 0xfa, 0x21, 0x3d],
            "a masked 300-byte text"
        );
    }

    #[test]
    fn appends_after_what_is_there() {
        let mut out = vec![9];
        encode_header(true, OpCode::Text, None, 1, &mut out);
        assert_eq!(out, vec![9, 0x81, 1], "appending a header after one byte");
    }
}

mod ch08_utf8_prefix {
    use crate::ch08_websocket::message::valid_utf8_prefix;
    use crate::rng::Rng;

    fn code(text: &[u8]) -> Result<usize, u16> {
        valid_utf8_prefix(text).map_err(|v| v.code)
    }

    #[test]
    fn valid_text_is_all_valid() {
        for s in [
            "",
            "hello",
            "caf\u{e9}",
            "\u{4f60}\u{597d}",
            "\u{1f600}",
            "\u{7f}\u{80}\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}",
            "\u{d7ff}\u{e000}",
        ] {
            assert_eq!(code(s.as_bytes()), Ok(s.len()), "{s:?}");
        }
    }

    #[test]
    fn a_character_cut_short_is_not_an_error_yet() {
        for (bytes, want) in [
            (&b"ab\xc3"[..], 2),
            (b"\xe4\xbd", 0),
            (b"x\xf0\x9f\x98", 1),
            (b"\xf4\x8f\xbf", 0),
            (b"\xed\x9f", 0),
        ] {
            assert_eq!(code(bytes), Ok(want), "{bytes:02x?}");
        }
    }

    #[test]
    fn invalid_sequences_fail_with_1007_at_once() {
        for bytes in [
            &b"\x80"[..],
            b"a\xbf",
            b"\xc0\x80",
            b"\xc1\xbf",
            b"\xe0\x80\x80",
            b"\xe0\x9f",
            b"\xed\xa0\x80",
            b"\xed\xa0",
            b"\xf0\x80",
            b"\xf4\x90",
            b"\xf4\x90\x80\x80",
            b"\xf5",
            b"\xff",
            b"\xc3\x28",
            b"\xe4\xbd\x28",
            b"\xf0\x9f\x98\x28",
            b"\xc3\xa9\xfe",
        ] {
            assert_eq!(code(bytes), Err(1007), "{bytes:02x?}");
        }
    }

    #[test]
    fn agrees_with_the_standard_library_on_random_bytes() {
        let mut rng = Rng::new();
        for _ in 0..5000 {
            let n = rng.below(12) as usize;
            let b: Vec<u8> = (0..n)
                .map(|_| {
                    [
                        0x41, 0x80, 0xbf, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xa0, 0x90, 0xff,
                    ][rng.below(11) as usize]
                })
                .collect();
            let want = match std::str::from_utf8(&b) {
                Ok(_) => Ok(b.len()),
                Err(e) if e.error_len().is_none() => Ok(e.valid_up_to()),
                Err(_) => Err(1007),
            };
            assert_eq!(code(&b), want, "{b:02x?}");
        }
    }
}
