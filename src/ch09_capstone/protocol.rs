//! The chat's wire protocol: JSON text messages over a WebSocket.
//!
//! The page sends (one JSON object per WebSocket text message):
//!
//! ```text
//! {"type":"join","nick":"alice"}     first, once: enter the room
//! {"type":"say","text":"hello"}      a message for everyone
//! ```
//!
//! The server sends:
//!
//! ```text
//! {"type":"welcome","seq":41,"nick":"alice","members":["bob","alice"]}
//! {"type":"join","seq":42,"nick":"alice","count":2}
//! {"type":"say","seq":43,"nick":"bob","text":"hi alice"}
//! {"type":"leave","seq":44,"nick":"bob","count":1,"reason":"left"}
//! {"type":"error","error":"message longer than 2000 bytes"}
//! ```
//!
//! `seq` numbers every event the room publishes, in the one order every
//! member receives them (see [`super::room`]); `welcome` carries the number
//! of the last event before the member joined. `nick` in `welcome` is the
//! name the server actually gave (`alice-2` if `alice` was taken). `error`
//! goes to one member only and is not numbered.

use super::json::{self, Object, Value};

/// A message from the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientMessage {
    Join { nick: String },
    Say { text: String },
}

/// Why a message from the page was not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    Json(json::ParseError),
    /// Valid JSON, but not one of the messages above.
    Shape(&'static str),
}

impl std::fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProtocolError::Json(e) => e.fmt(f),
            ProtocolError::Shape(s) => f.write_str(s),
        }
    }
}

impl ClientMessage {
    /// Parses one text message from the page. Unknown members are ignored
    /// (a newer page may send more); a missing or mistyped one is an error.
    pub fn parse(text: &str) -> Result<ClientMessage, ProtocolError> {
        let v = json::parse(text).map_err(ProtocolError::Json)?;
        if !matches!(v, Value::Object(_)) {
            return Err(ProtocolError::Shape("a message is a JSON object"));
        }
        let field = |name, err| {
            v.get(name)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or(ProtocolError::Shape(err))
        };
        match v.get("type").and_then(Value::as_str) {
            Some("join") => Ok(ClientMessage::Join {
                nick: field("nick", "join needs a string \"nick\"")?,
            }),
            Some("say") => Ok(ClientMessage::Say {
                text: field("text", "say needs a string \"text\"")?,
            }),
            Some(_) => Err(ProtocolError::Shape("unknown \"type\"")),
            None => Err(ProtocolError::Shape("a message needs a string \"type\"")),
        }
    }

    /// The JSON the page sends (used by tests and the command-line client).
    pub fn to_json(&self) -> String {
        match self {
            ClientMessage::Join { nick } => Object::new().str("type", "join").str("nick", nick),
            ClientMessage::Say { text } => Object::new().str("type", "say").str("text", text),
        }
        .finish()
    }
}

/// An event the room publishes to every member, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Join { nick: String },
    Leave { nick: String, reason: &'static str },
    Say { nick: String, text: String },
}

impl Event {
    /// The event as sent: numbered `seq`, with `count` members after it.
    pub fn to_json(&self, seq: u64, count: usize) -> String {
        let o = Object::new();
        match self {
            Event::Join { nick } => o
                .str("type", "join")
                .num("seq", seq)
                .str("nick", nick)
                .num("count", count as u64),
            Event::Leave { nick, reason } => o
                .str("type", "leave")
                .num("seq", seq)
                .str("nick", nick)
                .num("count", count as u64)
                .str("reason", reason),
            Event::Say { nick, text } => o
                .str("type", "say")
                .num("seq", seq)
                .str("nick", nick)
                .str("text", text),
        }
        .finish()
    }
}

/// The first message a member receives.
pub fn welcome(seq: u64, nick: &str, members: &[&str]) -> String {
    Object::new()
        .str("type", "welcome")
        .num("seq", seq)
        .str("nick", nick)
        .strs("members", members.iter().copied())
        .finish()
}

/// A complaint to one member.
pub fn error(message: &str) -> String {
    Object::new()
        .str("type", "error")
        .str("error", message)
        .finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_parse() {
        assert_eq!(
            ClientMessage::parse(r#"{"type":"join","nick":"al\"ice"}"#),
            Ok(ClientMessage::Join {
                nick: "al\"ice".into()
            })
        );
        assert_eq!(
            ClientMessage::parse(r#"{"text":"hi\n","type":"say","extra":[1]}"#),
            Ok(ClientMessage::Say {
                text: "hi\n".into()
            })
        );
        for bad in [
            "[]",
            "{}",
            r#"{"type":"dance"}"#,
            r#"{"type":"say"}"#,
            r#"{"type":"say","text":5}"#,
            r#"{"type":"join","nick":null}"#,
            "not json",
        ] {
            assert!(ClientMessage::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_messages_round_trip() {
        for m in [
            ClientMessage::Join {
                nick: "x\u{1}\"".into(),
            },
            ClientMessage::Say {
                text: "a\\b</script>\u{2028}".into(),
            },
        ] {
            assert_eq!(ClientMessage::parse(&m.to_json()), Ok(m));
        }
    }

    #[test]
    fn events_are_json_objects() {
        let e = Event::Say {
            nick: "bob".into(),
            text: "\"quoted\"\n".into(),
        };
        assert_eq!(
            e.to_json(7, 2),
            r#"{"type":"say","seq":7,"nick":"bob","text":"\"quoted\"\n"}"#
        );
        let v = json::parse(&welcome(3, "a", &["a", "b\"c"])).unwrap();
        assert_eq!(
            v.get("members"),
            Some(&Value::Array(vec![
                Value::String("a".into()),
                Value::String("b\"c".into())
            ]))
        );
        assert_eq!(
            json::parse(&error("x")).unwrap().get("type"),
            Some(&Value::String("error".into()))
        );
    }
}
