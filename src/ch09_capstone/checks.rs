//! The capstone's checks: what `cargo run --bin check -- ch09 --addr …`
//! runs against the `wirebook` binary, or against a server the reader
//! wrote (in any language) that speaks the same routes and chat protocol.
//!
//! The chat checks speak WebSocket and JSON with the checker's own client
//! ([`crate::check::ws`], [`crate::check::json`]), not chapter 8's and 9's:
//! a reader may be rewriting those as exercises.

use crate::check::json::{self, Value};
use crate::check::ws::{Message, WebSocket, connect_to};
use crate::check::{Check, Failure, Target, check, exchange, expect_status, get, raw_command};
use crate::rng::Rng;

pub fn all() -> Vec<Check> {
    vec![
        check!(
            landing_page_links_the_chat,
            "GET / answers 200 with an HTML page that links /chat.html"
        ),
        check!(
            hello_says_hello_world,
            "GET /hello answers 200 with the body `Hello, world`"
        ),
        check!(
            echo_returns_the_body_verbatim,
            "POST /echo answers 200 with exactly the bytes it was sent"
        ),
        check!(
            chat_page_is_served,
            "GET /chat.html answers 200 text/html, a page that opens /ws/chat"
        ),
        check!(
            chat_join_gets_welcome_then_join,
            "joining /ws/chat gets a welcome with the nickname, then the join event"
        ),
        check!(
            chat_message_reaches_another_member_intact,
            "a say from one member reaches another, text and sender exact (JSON escaped)"
        ),
    ]
}

fn landing_page_links_the_chat(t: &Target) -> Result<(), Failure> {
    let (req, r) = get(t, "/", "");
    let r = r?;
    expect_status(&r, 200, &req, t)?;
    let body = String::from_utf8_lossy(&r.body);
    if !body.contains("/chat.html") {
        return Err(Failure::new("the landing page does not link /chat.html")
            .sent(&req)
            .got(&r.raw)
            .repro(format!("curl -i {}", t.url("/"))));
    }
    Ok(())
}

fn hello_says_hello_world(t: &Target) -> Result<(), Failure> {
    let (req, r) = get(t, "/hello", "");
    let r = r?;
    expect_status(&r, 200, &req, t)?;
    if r.body != b"Hello, world" {
        return Err(Failure::mismatch("wrong body", b"Hello, world", &r.body)
            .sent(&req)
            .repro(format!("curl -i {}", t.url("/hello"))));
    }
    Ok(())
}

fn echo_returns_the_body_verbatim(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let n = rng.range(1, 3000);
    let body = rng.bytes(n);
    let mut req = format!(
        "POST /echo HTTP/1.1\r\nHost: {}\r\nContent-Type: application/octet-stream\r\n\
         Content-Length: {n}\r\nConnection: close\r\n\r\n",
        t.authority()
    )
    .into_bytes();
    req.extend_from_slice(&body);
    let r = exchange(t, &req)?;
    expect_status(&r, 200, &req, t)?;
    if r.body != body {
        return Err(Failure::mismatch("the echoed body differs", &body, &r.body)
            .repro(raw_command(t, &req)));
    }
    Ok(())
}

fn chat_page_is_served(t: &Target) -> Result<(), Failure> {
    let (req, r) = get(t, "/chat.html", "");
    let r = r?;
    expect_status(&r, 200, &req, t)?;
    let ct = r.head.headers.get("content-type").unwrap_or("");
    let body = String::from_utf8_lossy(&r.body);
    if !ct.starts_with("text/html") || !body.contains("/ws/chat") {
        return Err(Failure::new(format!(
            "expected an HTML page that opens /ws/chat (Content-Type was {ct:?})"
        ))
        .sent(&req)
        .got(&r.raw)
        .repro(format!("curl -i {}", t.url("/chat.html"))));
    }
    Ok(())
}

/// What a chat client needs of a WebSocket: send a text, read the next
/// text. The checks use the checker's own client ([`Chat`]); the chapter's
/// tests use chapter 8's ([`ChatClient::join`]), whose API they also need.
pub trait ChatSocket {
    fn chat_send(&self, text: &str) -> Result<(), Failure>;
    /// The next text message; anything else is a failure, said in words.
    fn next_text(&mut self) -> Result<String, Failure>;
}

impl ChatSocket for WebSocket {
    fn chat_send(&self, text: &str) -> Result<(), Failure> {
        self.send_text(text)
    }

    fn next_text(&mut self) -> Result<String, Failure> {
        match self.read_message() {
            Ok(Some(Message::Text(t))) => Ok(t),
            Ok(Some(Message::Binary(b))) => {
                Err(Failure::new("the server sent a binary message").got(&b))
            }
            Ok(None) => Err(Failure::new(match self.peer_close() {
                Some((code, reason)) => {
                    format!("the server closed the chat (code {code}, reason {reason:?})")
                }
                None => "the server closed the connection without a close frame".into(),
            })),
            Err(f) => Err(Failure {
                summary: format!("reading from the chat: {}", f.summary),
                ..f
            }),
        }
    }
}

impl ChatSocket for crate::ch08_websocket::WebSocket {
    fn chat_send(&self, text: &str) -> Result<(), Failure> {
        self.send_text(text)
            .map_err(|e| Failure::new(format!("cannot send: {e}")))
    }

    fn next_text(&mut self) -> Result<String, Failure> {
        use crate::ch08_websocket::Message as M;
        match self.read_message() {
            Ok(Some(M::Text(t))) => Ok(t),
            Ok(Some(M::Binary(b))) => Err(Failure::new("the server sent a binary message").got(&b)),
            Ok(None) => Err(Failure::new(format!(
                "the server closed the chat ({:?})",
                self.peer_close()
            ))),
            Err(e) => Err(Failure::new(format!("reading from the chat: {e}"))),
        }
    }
}

/// A chat client: connected, joined, with its welcome read.
pub struct ChatClient<W: ChatSocket = crate::ch08_websocket::WebSocket> {
    pub ws: W,
    pub nick: String,
}

/// The chat client of the checks, on the checker's own WebSocket client.
pub type Chat = ChatClient<WebSocket>;

impl ChatClient {
    /// Connects to `/ws/chat` on `t` with chapter 8's client and joins as
    /// `nick`: for the chapter's tests, which use chapter 8's API on `ws`.
    pub fn join(t: &Target, nick: &str) -> Result<ChatClient, Failure> {
        use crate::ch08_websocket::{Config, client::connect_with};
        let url = format!("ws://{}/ws/chat", t.addr);
        let cfg = Config {
            ping_interval: Some(t.timeout),
            ..Config::default()
        };
        let (ws, _) = connect_with(&url, &[], cfg, t.timeout)
            .map_err(|e| Failure::new(format!("cannot open a WebSocket to {url}: {e}")))?;
        ChatClient::joined(ws, nick)
    }
}

impl Chat {
    /// Connects to `/ws/chat` on `t` with the checker's client and joins
    /// as `nick`.
    pub fn enter(t: &Target, nick: &str) -> Result<Chat, Failure> {
        let ws = connect_to(t, "/ws/chat").map_err(|f| Failure {
            summary: format!("cannot open a WebSocket on /ws/chat: {}", f.summary),
            ..f
        })?;
        ChatClient::joined(ws, nick)
    }
}

impl<W: ChatSocket> ChatClient<W> {
    /// Sends the join on `ws` and reads the welcome.
    fn joined(ws: W, nick: &str) -> Result<ChatClient<W>, Failure> {
        let join = json::object(&[("type", "join"), ("nick", nick)]);
        ws.chat_send(&join).map_err(|f| Failure {
            summary: format!("cannot send the join: {}", f.summary),
            ..f
        })?;
        let mut c = ChatClient {
            ws,
            nick: nick.into(),
        };
        let welcome = c.next_event()?;
        if kind(&welcome) != "welcome" || str_of(&welcome, "nick") != nick {
            return Err(Failure::new(format!(
                "expected a welcome for {nick:?} first, got {welcome:?}"
            ))
            .sent(join.as_bytes()));
        }
        Ok(c)
    }

    /// The next message from the server, parsed (it must be JSON).
    pub fn next_event(&mut self) -> Result<Value, Failure> {
        let t = self.ws.next_text()?;
        json::parse(&t).map_err(|e| {
            Failure::new(format!("the server's message is not JSON: {e}")).got(t.as_bytes())
        })
    }

    /// Skips events until one satisfies `want`; fails after `max` others.
    pub fn wait_for(
        &mut self,
        max: usize,
        what: &str,
        want: impl Fn(&Value) -> bool,
    ) -> Result<Value, Failure> {
        for _ in 0..max {
            let v = self.next_event()?;
            if want(&v) {
                return Ok(v);
            }
        }
        Err(Failure::new(format!(
            "{} did not receive {what} within {max} messages",
            self.nick
        )))
    }

    pub fn say(&self, text: &str) -> Result<(), Failure> {
        let m = json::object(&[("type", "say"), ("text", text)]);
        self.ws.chat_send(&m).map_err(|f| f.sent(m.as_bytes()))
    }
}

/// `v["type"]`.
pub fn kind(v: &Value) -> &str {
    str_of(v, "type")
}

/// `v[key]` as a string, or `""`.
pub fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn random_nick(rng: &mut Rng) -> String {
    format!("check-{}", rng.word(8))
}

fn chat_join_gets_welcome_then_join(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let nick = random_nick(&mut rng);
    let mut c = Chat::enter(t, &nick)?;
    let j = c.next_event()?;
    if kind(&j) != "join" || str_of(&j, "nick") != nick {
        return Err(Failure::new(format!(
            "after the welcome, expected the join of {nick:?}, got {j:?}"
        )));
    }
    let _ = c.ws.close(1000, "");
    Ok(())
}

fn chat_message_reaches_another_member_intact(t: &Target) -> Result<(), Failure> {
    let mut rng = Rng::new();
    let (na, nb) = (random_nick(&mut rng), random_nick(&mut rng));
    let a = Chat::enter(t, &na)?;
    let mut b = Chat::enter(t, &nb)?;
    // Everything JSON escaping must get right, plus a random part.
    let text = format!(
        "\"quoted\" \\ back\\slash </script> \u{1}\u{1f} tab\t nl\n é 😀 \u{2028} {}",
        rng.word(12)
    );
    a.say(&text)?;
    let got = b.wait_for(50, "the message", |v| {
        kind(v) == "say" && str_of(v, "nick") == na
    })?;
    if str_of(&got, "text") != text {
        return Err(Failure::mismatch(
            "the text arrived changed",
            text.as_bytes(),
            str_of(&got, "text").as_bytes(),
        ));
    }
    drop(a);
    let _ = b.ws.close(1000, "");
    Ok(())
}
