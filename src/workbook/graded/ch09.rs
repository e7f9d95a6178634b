mod ch09_json_string {
    use crate::ch09_capstone::json::write_str;
    use crate::rng::Rng;

    fn quoted(s: &str) -> String {
        let mut out = String::from("x");
        write_str(&mut out, s);
        assert!(
            out.starts_with('x'),
            "write_str must append, not replace: got {out:?}"
        );
        out[1..].to_string()
    }

    #[test]
    fn quotes_backslashes_and_controls_are_escaped() {
        for (s, want) in [
            ("hi", r#""hi""#),
            ("", r#""""#),
            ("a\"b", r#""a\"b""#),
            ("a\\b", r#""a\\b""#),
            ("l1\nl2\r\t", r#""l1\nl2\r\t""#),
        ] {
            assert_eq!(quoted(s), want, "write_str({s:?})");
        }
    }

    #[test]
    fn serde_json_reads_back_every_string() {
        let mut rng = Rng::new();
        let pool: Vec<char> =
            "ab\"\\/\n\r\t\u{0}\u{1}\u{8}\u{c}\u{1f}\u{7f}\u{e9}\u{2028}\u{4f60}\u{1f600}"
                .chars()
                .collect();
        for _ in 0..500 {
            let s: String = (0..rng.below(12))
                .map(|_| pool[rng.below(pool.len() as u64) as usize])
                .collect();
            let q = quoted(&s);
            assert!(
                !q.chars().any(|c| c < ' '),
                "{q:?} has a raw control character"
            );
            let back: Result<String, _> = serde_json::from_str(&q);
            assert_eq!(
                back.ok(),
                Some(s.clone()),
                "what serde_json reads back from write_str({s:?}) = {q}"
            );
        }
    }
}

mod ch09_nickname {
    use crate::ch09_capstone::room::{JoinError, Limits, Room};

    fn join(nick: &str) -> Result<String, JoinError> {
        let room = Room::new(Limits {
            max_nick_chars: 8,
            ..Limits::default()
        });
        room.join(nick).map(|m| m.nick().to_string())
    }

    #[test]
    fn nicknames_are_trimmed_and_counted_in_characters() {
        for (wanted, want) in [
            ("alice", "alice"),
            ("  bob \t", "bob"),
            (
                "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
                "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
            ),
            (
                "\u{5e9}\u{5dc}\u{5d5}\u{5dd}",
                "\u{5e9}\u{5dc}\u{5d5}\u{5dd}",
            ),
            ("a b", "a b"),
        ] {
            assert_eq!(
                join(wanted),
                Ok(want.to_string()),
                "join({wanted:?}) with at most 8 characters"
            );
        }
    }

    #[test]
    fn empty_long_control_and_invisible_nicknames_are_refused() {
        for bad in [
            "",
            "   ",
            "abcdefghi",
            "a\u{0}b",
            "a\nb",
            "a\u{7f}",
            "\u{202e}ecila",
            "ali\u{200b}ce",
            "al\u{ad}ice",
            "\u{feff}bob",
            "a\u{2066}b",
            "a\u{2060}b",
        ] {
            let r = join(bad);
            assert!(
                matches!(r, Err(JoinError::BadNick(_))),
                "join({bad:?}) gave {r:?}, expected Err(BadNick)"
            );
        }
    }
}

mod ch09_outbox {
    use std::sync::Arc;
    use std::time::Duration;

    use crate::ch09_capstone::json::{self, Value};
    use crate::ch09_capstone::room::{
        CLOSE_GOING_AWAY, CLOSE_TOO_SLOW, Limits, Next, Outbox, PushError, Room,
    };
    use crate::rng::Rng;

    const NOW: Duration = Duration::ZERO;

    fn text(s: &str) -> Arc<str> {
        s.into()
    }

    /// Everything the writer would send now, up to (not including) a close.
    fn sent(o: &Outbox) -> Vec<String> {
        let mut out = Vec::new();
        while let Next::Send(t) = o.next(NOW) {
            out.push(t.to_string());
        }
        out
    }

    #[test]
    fn holds_at_most_its_capacity_in_order() {
        let mut rng = Rng::new();
        for _ in 0..20 {
            let cap = rng.range(1, 40);
            let o = Outbox::new(cap);
            let texts: Vec<String> = (0..cap).map(|i| format!("m{i}-{}", rng.word(4))).collect();
            for t in &texts {
                assert_eq!(
                    o.push(text(t)),
                    Ok(()),
                    "push {t:?} into an outbox of {cap}"
                );
            }
            let r = o.push(text("one too many"));
            assert_eq!(
                r,
                Err(PushError::Full),
                "push number {} into an outbox of {cap}",
                cap + 1
            );
            assert_eq!(o.len(), cap, "texts waiting after a refused push");
            assert_eq!(sent(&o), texts, "what the writer takes, in order");
            assert_eq!(
                o.next(NOW),
                Next::Idle,
                "what the writer gets from an empty outbox"
            );
        }
    }

    #[test]
    fn taking_a_text_makes_room_for_one_more() {
        let o = Outbox::new(2);
        assert_eq!(
            (o.push(text("a")), o.push(text("b"))),
            (Ok(()), Ok(())),
            "two pushes into 2"
        );
        assert_eq!(o.push(text("c")), Err(PushError::Full), "a third push");
        assert_eq!(o.next(NOW), Next::Send(text("a")), "the writer takes one");
        assert_eq!(
            o.push(text("d")),
            Ok(()),
            "a push after the writer took one"
        );
        assert_eq!(sent(&o), ["b", "d"], "what the writer takes then");
        let none = Outbox::new(0);
        assert_eq!(
            none.push(text("x")),
            Err(PushError::Full),
            "a push into an outbox of 0"
        );
    }

    #[test]
    fn a_draining_close_comes_after_the_backlog() {
        let o = Outbox::new(8);
        for t in ["a", "b", "c"] {
            o.push(text(t)).unwrap();
        }
        o.close(CLOSE_GOING_AWAY, "bye", true);
        assert_eq!(
            o.push(text("late")),
            Err(PushError::Closed),
            "a push after the close"
        );
        assert_eq!(
            sent(&o),
            ["a", "b", "c"],
            "what the writer takes before the close"
        );
        for _ in 0..2 {
            assert_eq!(
                o.next(NOW),
                Next::Close(CLOSE_GOING_AWAY, "bye".into()),
                "what the writer gets once the backlog is sent (each time it asks)"
            );
        }
    }

    #[test]
    fn a_close_without_drain_drops_the_backlog_and_the_first_close_wins() {
        let o = Outbox::new(2);
        o.push(text("a")).unwrap();
        o.push(text("b")).unwrap();
        o.close(CLOSE_TOO_SLOW, "too slow", false);
        let r = o.push(text("c"));
        assert_eq!(
            r,
            Err(PushError::Closed),
            "a push into a full outbox, after the close"
        );
        o.close(CLOSE_GOING_AWAY, "bye", true);
        assert_eq!(
            o.next(NOW),
            Next::Close(CLOSE_TOO_SLOW, "too slow".into()),
            "the writer's next step after close(1008, without drain), then close(1001)"
        );
        assert_eq!(o.len(), 0, "texts waiting after a close without drain");

        let o = Outbox::new(4);
        o.push(text("a")).unwrap();
        o.close(CLOSE_GOING_AWAY, "bye", true);
        o.close(CLOSE_TOO_SLOW, "too slow", false);
        assert_eq!(
            (sent(&o), o.next(NOW)),
            (
                vec!["a".to_string()],
                Next::Close(CLOSE_GOING_AWAY, "bye".into())
            ),
            "what the writer gets after close(1001, drain), then close(1008, without)"
        );
    }

    #[test]
    fn a_member_that_stops_reading_is_evicted_and_the_others_go_on() {
        let cap = 6;
        let room = Room::new(Limits {
            queue_capacity: cap,
            says_per_second: 0,
            ..Limits::default()
        });
        let stuck = room.join("stuck").unwrap();
        let reader = room.join("reader").unwrap();
        let mut said = 0;
        for k in 0..cap * 3 {
            reader.say(&format!("m{k}")).unwrap();
            said += sent(reader.outbox())
                .iter()
                .filter_map(|t| json::parse(t).ok())
                .filter(|v| v.get("type") == Some(&Value::String("say".into())))
                .count();
        }
        assert_eq!(said, cap * 3, "messages the reading member received");
        let got = stuck.outbox().next(NOW);
        assert!(
            matches!(got, Next::Close(CLOSE_TOO_SLOW, _)),
            "the stuck member's writer gets {got:?}, expected a close with 1008 at once"
        );
        assert_eq!(room.nicks(), ["reader"], "who is still in the room");
    }
}

mod ch09_json_parse {
    use crate::ch09_capstone::json::{MAX_DEPTH, Value, parse};
    use crate::rng::Rng;

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
    }

    #[test]
    fn values_of_every_kind() {
        for (text, want) in [
            ("null", Value::Null),
            (" true ", Value::Bool(true)),
            ("false", Value::Bool(false)),
            ("-0.5e3", Value::Number(-500.0)),
            ("12", Value::Number(12.0)),
            ("0", Value::Number(0.0)),
            ("1E2", Value::Number(100.0)),
            (
                r#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#,
                s("a\"\\/\u{8}\u{c}\n\r\t\u{e9}\u{1f600}"),
            ),
            ("[]", Value::Array(vec![])),
            (
                "[1, [\"x\"], {}]",
                Value::Array(vec![
                    Value::Number(1.0),
                    Value::Array(vec![s("x")]),
                    Value::Object(vec![]),
                ]),
            ),
            (
                "{\"type\":\"say\",\"text\":\"hi\",\"type\":2}",
                Value::Object(vec![
                    ("type".into(), s("say")),
                    ("text".into(), s("hi")),
                    ("type".into(), Value::Number(2.0)),
                ]),
            ),
            (
                "\n\t{ \"a\" : null }\r\n",
                Value::Object(vec![("a".into(), Value::Null)]),
            ),
        ] {
            assert_eq!(parse(text), Ok(want), "parse({text:?})");
        }
    }

    #[test]
    fn invalid_texts_are_errors() {
        for text in [
            "",
            " ",
            "nul",
            "True",
            "01",
            "+1",
            ".5",
            "5.",
            "1e",
            "-",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\ud83d\"",
            "\"\\ude00\"",
            "\"a\u{1}b\"",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "{\"a\" 1}",
            "[1 2]",
            "1 2",
            "[",
            "{",
            "]",
            "\"\\ud83d\\u0041\"",
            "NaN",
            "[1]x",
        ] {
            let r = parse(text);
            assert!(r.is_err(), "parse({text:?}) gave {r:?}, expected an Err");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok(), "{MAX_DEPTH} nested arrays must parse");
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(
            parse(&deep).is_err(),
            "100000 nested arrays must be an error"
        );
    }

    #[test]
    fn agrees_with_serde_json_and_never_panics() {
        let mut rng = Rng::new();
        let pieces = [
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\"a\"",
            "1",
            "-2.5e1",
            "true",
            "null",
            " ",
            "\"\\u00e9\"",
            "\"\\n\"",
        ];
        for _ in 0..3000 {
            let text: String = (0..rng.below(10))
                .map(|_| pieces[rng.below(pieces.len() as u64) as usize])
                .collect();
            let ours = parse(&text).is_ok();
            let theirs = serde_json::from_str::<serde_json::Value>(&text).is_ok();
            assert_eq!(
                ours, theirs,
                "does {text:?} parse (serde_json says {theirs})"
            );
        }
    }
}
