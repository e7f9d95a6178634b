//! The opening handshake (RFC 6455 §4): an HTTP/1.1 GET that asks to
//! upgrade, and the `101 Switching Protocols` that accepts it.
//!
//! The server side reads a chapter-4 [`Request`] and either answers with an
//! HTTP error (400, 403, 405, 426) or returns a 101 [`Response`] whose
//! `upgrade` closure turns the connection into a [`WebSocket`] and runs the
//! caller's handler on it. The client side builds the request and checks
//! the 101.

use std::sync::Arc;
use std::thread;

use super::accept::{accept_key, is_valid_key};
use super::config::Config;
use super::frame::Role;
use super::live::{Live, LiveSockets, send_close};
use super::socket::WebSocket;
use crate::ch02_http_by_hand::head::{Headers, ResponseHead, Version};
use crate::ch04_methods_and_routing::{Method, Request, Response, Upgraded};

/// Which pages may open a WebSocket to this server (§10.2, §4.2.2).
///
/// A browser lets *any* page open a WebSocket to *any* server and attaches
/// the user's cookies: the server is the only one who can refuse a page
/// from another site (cross-site WebSocket hijacking). Browsers always send
/// `Origin`; other clients may omit it (and could forge it anyway), so a
/// request without `Origin` is not a browser's and is let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginPolicy {
    /// Every origin (a public API; the echo server).
    Any,
    /// Only pages served by this same host:port (`Origin`'s authority equals
    /// `Host`): the chat page of chapter 9 talking to its own server.
    SameOrigin,
    /// Only these origins, e.g. `https://example.com` (compared
    /// case-insensitively).
    Allow(Vec<String>),
}

/// How a server accepts WebSocket handshakes.
#[derive(Debug, Clone)]
pub struct HandshakeConfig {
    pub origin: OriginPolicy,
    /// Subprotocols this server speaks, in order of preference. Empty: none
    /// (a client's offer is ignored, which §4.2.2 allows).
    pub protocols: Vec<String>,
    /// Limits and timers of each accepted connection.
    pub socket: Config,
    /// Most WebSockets open at once; past it, handshakes get 503 with
    /// `Retry-After`. Each one holds a socket and a thread of its own for
    /// as long as it lives, and chapter 5's connection cap stops counting a
    /// connection once it is upgraded: this is the bound on those threads.
    pub max_sockets: usize,
    /// The open WebSockets: what `max_sockets` counts, and what shutdown
    /// closes with 1001 ([`super::live::run_server`]). Shared by every
    /// clone of this config.
    pub live: Arc<LiveSockets>,
}

/// Default [`HandshakeConfig::max_sockets`].
pub const DEFAULT_MAX_SOCKETS: usize = 1000;

impl Default for HandshakeConfig {
    fn default() -> HandshakeConfig {
        HandshakeConfig {
            origin: OriginPolicy::SameOrigin,
            protocols: Vec::new(),
            socket: Config::default(),
            max_sockets: DEFAULT_MAX_SOCKETS,
            live: LiveSockets::new(),
        }
    }
}

/// What a valid handshake request asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The client's `Sec-WebSocket-Key`.
    pub key: String,
    /// The subprotocol chosen, if the client offered one we speak.
    pub protocol: Option<String>,
}

/// Checks a request against §4.2.1. `Err` holds the HTTP answer to send
/// instead of upgrading:
///
/// * not GET → 405 with `Allow: GET`;
/// * not HTTP/1.1, no `Host`, `Upgrade` without the token `websocket`,
///   `Connection` without the token `Upgrade` → 400;
/// * `Sec-WebSocket-Version` other than exactly `13` → 426 with
///   `Sec-WebSocket-Version: 13` (§4.4: the versions we speak);
/// * `Sec-WebSocket-Key` missing, repeated, or not base64 of 16 bytes → 400;
/// * an `Origin` the policy refuses → 403.
pub fn validate(req: &Request<'_>, cfg: &HandshakeConfig) -> Result<Accepted, Response> {
    let h = req.headers();
    if req.method != Method::Get {
        return Err(Response::error(405, "a WebSocket handshake is a GET").header("Allow", "GET"));
    }
    if req.version() != Version::Http11 {
        return Err(Response::error(400, "a WebSocket handshake needs HTTP/1.1"));
    }
    if h.count("Host") != 1 {
        return Err(Response::error(400, "missing Host"));
    }
    if !h.has_token("Upgrade", "websocket") {
        return Err(
            Response::error(400, "not a WebSocket handshake: no `Upgrade: websocket`")
                .header("Upgrade", "websocket"),
        );
    }
    if !h.has_token("Connection", "upgrade") {
        return Err(Response::error(
            400,
            "not a WebSocket handshake: no `Connection: Upgrade`",
        ));
    }
    let versions: Vec<&str> = h.get_all("Sec-WebSocket-Version").collect();
    if versions != ["13"] {
        return Err(
            Response::error(426, "only WebSocket version 13 is supported")
                .header("Sec-WebSocket-Version", "13"),
        );
    }
    let keys: Vec<&str> = h.get_all("Sec-WebSocket-Key").collect();
    let key = match keys.as_slice() {
        [k] if is_valid_key(k) => k.to_string(),
        _ => {
            return Err(Response::error(
                400,
                "Sec-WebSocket-Key must be one base64-encoded 16-byte value",
            ));
        }
    };
    if let Some(origin) = h.get("Origin")
        && !origin_allowed(&cfg.origin, origin, h.get("Host").unwrap_or(""))
    {
        return Err(Response::error(
            403,
            format!("origin {origin} is not allowed"),
        ));
    }
    Ok(Accepted {
        key,
        protocol: choose_protocol(h, &cfg.protocols),
    })
}

fn origin_allowed(policy: &OriginPolicy, origin: &str, host: &str) -> bool {
    match policy {
        OriginPolicy::Any => true,
        OriginPolicy::SameOrigin => origin
            .split_once("://")
            .is_some_and(|(_, authority)| authority.eq_ignore_ascii_case(host)),
        OriginPolicy::Allow(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin)),
    }
}

/// The first protocol the client offered (in its order) that we speak.
/// Subprotocol names are tokens compared exactly (§4.1, §11.5).
fn choose_protocol(h: &Headers, ours: &[String]) -> Option<String> {
    h.tokens("Sec-WebSocket-Protocol")
        .find(|offered| ours.iter().any(|p| p == offered))
        .map(str::to_string)
}

/// The 101 response for an accepted handshake (§4.2.2 step 5), without the
/// upgrade closure.
pub fn switching_protocols(accepted: &Accepted) -> Response {
    let mut r = Response::new(101)
        .header("Upgrade", "websocket")
        .header("Connection", "Upgrade")
        .header("Sec-WebSocket-Accept", accept_key(&accepted.key));
    if let Some(p) = &accepted.protocol {
        r = r.header("Sec-WebSocket-Protocol", p.clone());
    }
    r
}

/// Answers a handshake: an HTTP error, or a 101 whose upgrade runs
/// `handler` on the new [`WebSocket`], on a thread of its own.
/// Bytes the client sent right behind its request head are the first
/// frame's: they are handed to the WebSocket, not dropped.
///
/// A valid handshake is refused with `503` and `Retry-After` if the server
/// is shutting down, or if `max_sockets` are open ([`admit`]). Its place
/// among [`HandshakeConfig::live`] is given back when `handler` returns
/// (or the upgrade never happens). Meanwhile shutdown closes it with a
/// close frame ([`send_close`]).
pub fn accept<F>(req: &Request<'_>, cfg: &HandshakeConfig, handler: F) -> Response
where
    F: FnOnce(WebSocket) + Send + 'static,
{
    accept_live(req, cfg, move |ws, _| handler(ws))
}

/// [`accept`], handing `handler` the connection's entry among the open
/// WebSockets too, to replace its closer ([`Live::set_closer`]) with one
/// that knows the application (chapter 9's chat closes through its outbox).
pub fn accept_live<F>(req: &Request<'_>, cfg: &HandshakeConfig, handler: F) -> Response
where
    F: FnOnce(WebSocket, &Live) + Send + 'static,
{
    let (mut resp, live) = match admit(req, cfg) {
        Ok(admitted) => admitted,
        Err(refusal) => return refusal,
    };
    let socket_config = cfg.socket.clone();
    resp.upgrade = Some(Box::new(move |up: Upgraded| {
        let peer = up.peer;
        // A thread per WebSocket, whoever runs the upgrade: it sleeps in
        // `read` for as long as the connection lives, and must hold no
        // HTTP worker. `max_sockets` bounds these threads.
        let spawned = thread::Builder::new()
            .name("websocket".into())
            .spawn(move || {
                match WebSocket::from_tcp(up.stream, up.leftover, Role::Server, socket_config) {
                    Ok(ws) => {
                        live.set_closer(send_close(ws.sender()));
                        handler(ws, &live);
                    }
                    Err(e) => crate::trace::note(peer, format!("cannot set up the WebSocket: {e}")),
                }
            });
        if let Err(e) = spawned {
            eprintln!("{peer}: no thread for a WebSocket: {e}");
        }
    }));
    resp
}

/// The step every way of serving WebSockets starts with: checks the
/// request ([`validate`]), takes the connection's place among the open
/// WebSockets, and returns the `101` (without its upgrade, which the
/// caller sets) and that place, to keep for as long as the connection
/// lives. `Err` is the answer to send instead: 400, 403, 405 or 426 for a
/// bad handshake, `503` with `Retry-After` when the server is shutting
/// down or `max_sockets` are open.
///
/// The place is taken before the 101, under the list's lock: the count is
/// exact however many handshakes arrive at once. Until the socket exists,
/// shutdown has nothing to send it, and waits for the entry to go away or
/// get its real closer ([`Live::set_closer`]).
pub fn admit(req: &Request<'_>, cfg: &HandshakeConfig) -> Result<(Response, Live), Response> {
    let accepted = validate(req, cfg)?;
    if cfg.live.is_closing() {
        return Err(Response::error(503, "the server is shutting down").header("Retry-After", "1"));
    }
    let Some(live) = cfg.live.try_register(cfg.max_sockets, Box::new(|_, _| {})) else {
        return Err(Response::error(
            503,
            format!(
                "{} WebSockets are open already; try again later",
                cfg.max_sockets
            ),
        )
        .header("Retry-After", "5"));
    };
    Ok((switching_protocols(&accepted), live))
}

/// A [`crate::ch04_methods_and_routing::Service`] that accepts every
/// WebSocket handshake (any path) and runs `handler` on each connection.
pub fn service<F>(
    cfg: HandshakeConfig,
    handler: F,
) -> impl Fn(&mut Request<'_>) -> Response + Send + Sync + 'static
where
    F: Fn(WebSocket) + Send + Sync + 'static,
{
    let handler = Arc::new(handler);
    move |req: &mut Request<'_>| {
        let handler = handler.clone();
        accept(req, &cfg, move |ws| handler(ws))
    }
}

/// The client's handshake request (§4.1) for `path` on `host` (the
/// `Host` value, with the port if not 80).
pub fn client_request(host: &str, path: &str, key: &str, protocols: &[&str]) -> Vec<u8> {
    let mut s = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    if !protocols.is_empty() {
        s.push_str(&format!(
            "Sec-WebSocket-Protocol: {}\r\n",
            protocols.join(", ")
        ));
    }
    s.push_str("\r\n");
    s.into_bytes()
}

/// Checks the server's answer (§4.1, "the client MUST validate"): 101,
/// `Upgrade: websocket`, `Connection: Upgrade`, the right accept key, no
/// extension we did not offer, and a protocol only if it is one we offered.
/// Returns the chosen protocol.
pub fn check_response(
    head: &ResponseHead,
    key: &str,
    offered: &[&str],
) -> Result<Option<String>, String> {
    let h = &head.headers;
    if head.status != 101 {
        return Err(format!(
            "server answered {} {} instead of 101",
            head.status, head.reason
        ));
    }
    if !h.has_token("Upgrade", "websocket") {
        return Err("101 without `Upgrade: websocket`".into());
    }
    if !h.has_token("Connection", "upgrade") {
        return Err("101 without `Connection: Upgrade`".into());
    }
    let want = accept_key(key);
    match h.get("Sec-WebSocket-Accept") {
        Some(got) if got == want => {}
        got => {
            return Err(format!(
                "wrong Sec-WebSocket-Accept: expected {want}, got {}",
                got.unwrap_or("nothing")
            ));
        }
    }
    if h.contains("Sec-WebSocket-Extensions") {
        return Err("server selected an extension we did not offer".into());
    }
    match h.get("Sec-WebSocket-Protocol") {
        None => Ok(None),
        Some(p) if offered.contains(&p) => Ok(Some(p.to_string())),
        Some(p) => Err(format!(
            "server selected protocol {p:?}, which we did not offer"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";

    fn fields(
        extra: &[(&'static str, &'static str)],
        drop: &str,
    ) -> Vec<(&'static str, &'static str)> {
        let mut v: Vec<(&str, &str)> = vec![
            ("Host", "127.0.0.1:8765"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", KEY),
            ("Sec-WebSocket-Version", "13"),
        ];
        v.retain(|(n, _)| !n.eq_ignore_ascii_case(drop));
        v.extend_from_slice(extra);
        v
    }

    fn status(method: Method, f: &[(&str, &str)], cfg: &HandshakeConfig) -> u16 {
        let req = Request::for_test(method, "/", f, b"");
        match validate(&req, cfg) {
            Ok(_) => 101,
            Err(r) => r.status,
        }
    }

    #[test]
    fn the_rfc_example_is_accepted() {
        let cfg = HandshakeConfig::default();
        let req = Request::for_test(Method::Get, "/chat", &fields(&[], ""), b"");
        let a = validate(&req, &cfg).unwrap();
        let r = switching_protocols(&a);
        assert_eq!(r.status, 101);
        assert_eq!(
            r.headers.get("Sec-WebSocket-Accept"),
            Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        );
    }

    #[test]
    fn tokens_are_lists_and_case_insensitive() {
        let cfg = HandshakeConfig::default();
        let mut f = fields(&[], "Connection");
        f.retain(|(n, _)| *n != "Upgrade");
        f.push(("upgrade", "WebSocket"));
        f.push(("connection", "keep-alive, UPGRADE"));
        assert_eq!(status(Method::Get, &f, &cfg), 101);
    }

    #[test]
    fn bad_handshakes_get_the_right_status() {
        let cfg = HandshakeConfig::default();
        assert_eq!(status(Method::Post, &fields(&[], ""), &cfg), 405);
        assert_eq!(status(Method::Get, &fields(&[], "Upgrade"), &cfg), 400);
        assert_eq!(status(Method::Get, &fields(&[], "Connection"), &cfg), 400);
        assert_eq!(status(Method::Get, &fields(&[], "Host"), &cfg), 400);
        assert_eq!(
            status(Method::Get, &fields(&[], "Sec-WebSocket-Key"), &cfg),
            400
        );
        assert_eq!(
            status(
                Method::Get,
                &fields(&[("Sec-WebSocket-Key", KEY)], ""),
                &cfg
            ),
            400,
            "two keys"
        );
        let short = fields(&[("Sec-WebSocket-Key", "c2hvcnQ=")], "Sec-WebSocket-Key");
        assert_eq!(status(Method::Get, &short, &cfg), 400);
        assert_eq!(
            status(Method::Get, &fields(&[], "Sec-WebSocket-Version"), &cfg),
            426
        );
        let v8 = fields(&[("Sec-WebSocket-Version", "8")], "Sec-WebSocket-Version");
        assert_eq!(status(Method::Get, &v8, &cfg), 426);
        let req = Request::for_test(Method::Get, "/", &v8, b"");
        let r = validate(&req, &cfg).unwrap_err();
        assert_eq!(r.headers.get("Sec-WebSocket-Version"), Some("13"));
    }

    #[test]
    fn origin_policies() {
        let same = HandshakeConfig::default();
        let own = fields(&[("Origin", "http://127.0.0.1:8765")], "");
        let other = fields(&[("Origin", "https://evil.example")], "");
        assert_eq!(status(Method::Get, &own, &same), 101);
        assert_eq!(status(Method::Get, &other, &same), 403);
        assert_eq!(
            status(Method::Get, &fields(&[], ""), &same),
            101,
            "no Origin"
        );
        let any = HandshakeConfig {
            origin: OriginPolicy::Any,
            ..HandshakeConfig::default()
        };
        assert_eq!(status(Method::Get, &other, &any), 101);
        let list = HandshakeConfig {
            origin: OriginPolicy::Allow(vec!["https://EVIL.example".into()]),
            ..HandshakeConfig::default()
        };
        assert_eq!(status(Method::Get, &other, &list), 101);
        assert_eq!(status(Method::Get, &own, &list), 403);
    }

    #[test]
    fn subprotocol_is_chosen_from_the_offer() {
        let cfg = HandshakeConfig {
            protocols: vec!["chat".into(), "superchat".into()],
            ..HandshakeConfig::default()
        };
        let f = fields(&[("Sec-WebSocket-Protocol", "v2.bin, superchat, chat")], "");
        let req = Request::for_test(Method::Get, "/", &f, b"");
        assert_eq!(
            validate(&req, &cfg).unwrap().protocol.as_deref(),
            Some("superchat")
        );
        let f = fields(&[("Sec-WebSocket-Protocol", "other")], "");
        let req = Request::for_test(Method::Get, "/", &f, b"");
        assert_eq!(validate(&req, &cfg).unwrap().protocol, None);
    }

    #[test]
    fn past_max_sockets_or_during_shutdown_a_handshake_gets_503() {
        let cfg = HandshakeConfig {
            max_sockets: 1,
            ..HandshakeConfig::default()
        };
        let req = Request::for_test(Method::Get, "/", &fields(&[], ""), b"");
        // The place is taken before the 101 and held by the response's
        // upgrade: a second handshake meanwhile is one too many.
        let first = accept(&req, &cfg, |_| {});
        assert_eq!(first.status, 101);
        assert_eq!(cfg.live.len(), 1);
        let second = accept(&req, &cfg, |_| {});
        assert_eq!(second.status, 503);
        assert_eq!(second.headers.get("Retry-After"), Some("5"));
        // An upgrade that never happens gives its place back.
        drop(first);
        assert!(cfg.live.is_empty());
        assert_eq!(accept(&req, &cfg, |_| {}).status, 101);
        // Once shutdown began, nobody new gets in.
        cfg.live.going_away(std::time::Duration::ZERO);
        let late = accept(&req, &cfg, |_| {});
        assert_eq!(late.status, 503);
        assert_eq!(late.headers.get("Retry-After"), Some("1"));
        // A bad handshake still gets its own answer.
        let post = Request::for_test(Method::Post, "/", &fields(&[], ""), b"");
        assert_eq!(accept(&post, &cfg, |_| {}).status, 405);
    }

    #[test]
    fn client_checks_the_answer() {
        let mut head = ResponseHead::new(101);
        head.headers.append("Upgrade", "websocket");
        head.headers.append("Connection", "Upgrade");
        head.headers
            .append("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
        assert_eq!(check_response(&head, KEY, &[]), Ok(None));
        assert!(check_response(&head, "AAAAAAAAAAAAAAAAAAAAAA==", &[]).is_err());
        head.headers.append("Sec-WebSocket-Protocol", "chat");
        assert!(check_response(&head, KEY, &[]).is_err());
        assert_eq!(
            check_response(&head, KEY, &["chat"]),
            Ok(Some("chat".into()))
        );
        assert!(check_response(&ResponseHead::new(200), KEY, &[]).is_err());
    }
}
