//! [`App`]: a small application object in the spirit of Tornado's
//! `tornado.web.Application`: routes to handlers, WebSocket endpoints and
//! a static directory, registered side by side and served by one server.
//!
//! ```python
//! # Tornado
//! app = tornado.web.Application([
//!     (r"/hello", HelloHandler),
//!     (r"/ws/chat", ChatSocketHandler),
//! ], static_path="static")
//! ```
//!
//! ```no_run
//! # use wirebook::ch09_capstone::app::App;
//! # use wirebook::ch04_methods_and_routing::{Request, Response};
//! # use wirebook::ch06_static_files::StaticFiles;
//! let mut app = App::new();
//! app.route("/hello").get(|_: &mut Request<'_>| Response::text(200, "Hello, world"));
//! // A handler run on each connection's thread, or a service of its own:
//! app.websocket("/ws/hello", |ws, _| wirebook::ch08_websocket::service::hello(ws, &mut std::io::sink()));
//! app.websocket_service("/ws/echo", wirebook::ch08_websocket::service::echo_service);
//! app.fallback(StaticFiles::new("static").unwrap());
//! ```
//!
//! There is almost nothing here, and that is the point: each part is an
//! earlier chapter's. Routing, 405 with `Allow`, `OPTIONS` are chapter 4's
//! [`Router`]; a WebSocket endpoint is a GET route whose handler answers the
//! handshake with chapter 8's [`handshake::accept_live`]; files are chapter
//! 6's [`StaticFiles`](crate::ch06_static_files::StaticFiles) as the
//! router's fallback; the server, its pool and its shutdown are chapter 5's,
//! and closing the WebSockets with 1001 when it shuts down is chapter 8's
//! [`live::run_server`]. What the application adds is that its endpoints
//! share **one** list of open WebSockets ([`LiveSockets`]) and one cap on
//! them, whatever each endpoint's other settings.

use std::sync::Arc;
use std::time::Duration;

use crate::ch04_methods_and_routing::router::Route;
use crate::ch04_methods_and_routing::{Request, Response, Router, Service};
use crate::ch05_concurrency::ServerArgs;
use crate::ch08_websocket::WebSocket;
use crate::ch08_websocket::handshake::{self, HandshakeConfig};
use crate::ch08_websocket::live::{self, Live, LiveSockets};

/// Default cap on WebSockets open at once, all endpoints together (each
/// holds a thread, a chat member two); past it a handshake gets `503` with
/// `Retry-After`. Chapter 8's [`HandshakeConfig::max_sockets`] enforces
/// it; `wirebook --max-websockets N` changes it.
pub const MAX_WEBSOCKETS: usize = 4096;

/// What runs a WebSocket connection: the socket, and its entry among the
/// live sockets (to replace its closer, as the chat does).
pub type SocketHandler = dyn Fn(WebSocket, &Live) + Send + Sync;

/// An application: a router plus WebSocket endpoints, and the registry of
/// open WebSockets.
pub struct App {
    router: Router,
    /// How the next WebSocket endpoint accepts handshakes. Its `live` and
    /// `max_sockets` are the application's: every endpoint shares them.
    handshake: HandshakeConfig,
    /// WebSocket endpoints added so far (each keeps the cap it was given).
    ws_endpoints: usize,
}

impl Default for App {
    fn default() -> App {
        App::with_router(Router::new())
    }
}

impl App {
    pub fn new() -> App {
        App::default()
    }

    /// An application that starts from an existing router (chapter 4's
    /// notes app, say) and adds to it.
    pub fn with_router(router: Router) -> App {
        App {
            router,
            handshake: HandshakeConfig {
                max_sockets: MAX_WEBSOCKETS,
                ..HandshakeConfig::default()
            },
            ws_endpoints: 0,
        }
    }

    /// How WebSocket handshakes registered *after* this call are accepted
    /// (origin policy, message limits, ping interval). `cfg.live` and
    /// `cfg.max_sockets` are not taken: the application keeps one registry
    /// and one cap ([`App::max_websockets`]) for all its endpoints.
    pub fn handshake_config(&mut self, cfg: HandshakeConfig) -> &mut App {
        self.handshake = HandshakeConfig {
            live: self.handshake.live.clone(),
            max_sockets: self.handshake.max_sockets,
            ..cfg
        };
        self
    }

    /// Sets the cap on open WebSockets, all endpoints together. It must
    /// come before the first WebSocket endpoint (each endpoint keeps the cap
    /// it was added with, so a later change would make two caps over one
    /// count): afterwards it panics, as a programming error.
    pub fn max_websockets(&mut self, n: usize) -> &mut App {
        assert!(
            self.ws_endpoints == 0,
            "App::max_websockets after a WebSocket endpoint: set the cap first"
        );
        self.handshake.max_sockets = n;
        self
    }

    /// A route, to attach method handlers to (chapter 4's [`Route`]).
    pub fn route(&mut self, pattern: &str) -> &mut Route {
        self.router.route(pattern)
    }

    /// A WebSocket endpoint at `pattern`: a GET route that answers the
    /// opening handshake and then runs `handler` on the connection, on the
    /// connection's own thread (chapter 8's [`handshake::accept_live`]
    /// starts one, so no HTTP worker is held).
    pub fn websocket(
        &mut self,
        pattern: &str,
        handler: impl Fn(WebSocket, &Live) + Send + Sync + 'static,
    ) -> &mut App {
        let handler: Arc<SocketHandler> = Arc::new(handler);
        let cfg = self.handshake.clone();
        self.ws_endpoints += 1;
        self.router
            .route(pattern)
            .get(move |req: &mut Request<'_>| {
                let handler = handler.clone();
                handshake::accept_live(req, &cfg, move |ws, live| handler(ws, live))
            });
        self
    }

    /// A WebSocket endpoint at `pattern` whose handshakes `service`
    /// answers, built from the application's handshake settings (its list
    /// of open WebSockets and its cap among them): for a service made
    /// elsewhere, like chapter 8's
    /// [`echo_service`](crate::ch08_websocket::service::echo_service).
    /// Adding a pattern again replaces its service.
    pub fn websocket_service<S>(
        &mut self,
        pattern: &str,
        service: impl FnOnce(HandshakeConfig) -> S,
    ) -> &mut App
    where
        S: Fn(&mut Request<'_>) -> Response + Send + Sync + 'static,
    {
        let answer = service(self.handshake.clone());
        self.ws_endpoints += 1;
        self.router.route(pattern).get(answer);
        self
    }

    /// What answers when no route matches: typically a static directory.
    pub fn fallback(&mut self, service: impl Service) -> &mut App {
        self.router.fallback(service);
        self
    }

    /// Something to do when shutdown begins, before the WebSockets are
    /// closed (the chat closes its room, so nobody can join any more).
    pub fn on_shutdown(&mut self, f: impl FnOnce() + Send + 'static) -> &mut App {
        self.handshake.live.before_close(f);
        self
    }

    /// The open WebSockets.
    pub fn live(&self) -> &Arc<LiveSockets> {
        &self.handshake.live
    }

    /// Closes every WebSocket with 1001 and waits up to `wait` for them to
    /// finish; returns how many did not.
    pub fn shutdown(&self, wait: Duration) -> usize {
        self.handshake.live.going_away(wait)
    }

    /// Serves the application until SIGINT/SIGTERM, then shuts down:
    /// the HTTP server drains its requests (chapter 5) while the WebSockets
    /// are closed with 1001 (chapter 8's [`live::run_server`]); exits 0
    /// when both are done.
    pub fn run(self, prog: &str, sa: ServerArgs) -> ! {
        let live = self.handshake.live.clone();
        live::run_server(prog, sa, live, Arc::new(self))
    }
}

impl Service for App {
    fn call(&self, req: &mut Request<'_>) -> Response {
        self.router.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch04_methods_and_routing::Method;

    fn handshake_request(path: &str) -> Request<'static> {
        Request::for_test(
            Method::Get,
            path,
            &[
                ("Host", "127.0.0.1:8888"),
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ("Sec-WebSocket-Version", "13"),
            ],
            b"",
        )
    }

    fn app() -> App {
        let mut app = App::new();
        app.route("/hello")
            .get(|_: &mut Request<'_>| Response::text(200, "hi"));
        app.websocket("/ws", |_, _| {});
        app.fallback(|_: &mut Request<'_>| Response::text(418, "fallback"));
        app
    }

    #[test]
    fn routes_websockets_and_fallback_side_by_side() {
        let app = app();
        let mut req = Request::for_test(Method::Get, "/hello", &[("Host", "x")], b"");
        assert_eq!(app.call(&mut req).status, 200);
        let mut req = Request::for_test(Method::Get, "/elsewhere", &[("Host", "x")], b"");
        assert_eq!(app.call(&mut req).status, 418);
        let resp = app.call(&mut handshake_request("/ws"));
        assert_eq!(resp.status, 101);
        assert!(resp.upgrade.is_some());
        // RFC 6455 §1.3's sample key.
        assert_eq!(
            resp.headers.get("sec-websocket-accept"),
            Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        );
        let mut post = Request::for_test(Method::Post, "/ws", &[("Host", "x")], b"");
        assert_eq!(app.call(&mut post).status, 405);
    }

    #[test]
    fn a_full_house_gets_503_before_any_handshake() {
        let mut app = App::new();
        app.max_websockets(2).websocket("/ws", |_, _| {});
        let _a = app.live().register(Box::new(|_, _| {}));
        assert_eq!(app.call(&mut handshake_request("/ws")).status, 101);
        let _b = app.live().register(Box::new(|_, _| {}));
        let resp = app.call(&mut handshake_request("/ws"));
        assert_eq!(resp.status, 503);
        assert!(resp.upgrade.is_none());
        assert_eq!(resp.headers.get("retry-after"), Some("5"));
    }

    #[test]
    #[should_panic(expected = "set the cap first")]
    fn a_cap_set_after_an_endpoint_is_refused() {
        let mut app = App::new();
        app.websocket("/a", |_, _| {});
        app.max_websockets(100);
    }

    #[test]
    fn every_endpoint_shares_the_apps_cap_whatever_its_config() {
        let mut app = App::new();
        app.max_websockets(2).websocket("/a", |_, _| {});
        // A config of its own, with a cap and a registry of its own, splits
        // neither the count nor the cap.
        let own = HandshakeConfig {
            max_sockets: 1,
            ..HandshakeConfig::default()
        };
        app.handshake_config(own).websocket("/b", |_, _| {});
        let _a = app.live().register(Box::new(|_, _| {}));
        assert_eq!(app.call(&mut handshake_request("/b")).status, 101);
        let _b = app.live().register(Box::new(|_, _| {}));
        for path in ["/a", "/b"] {
            let resp = app.call(&mut handshake_request(path));
            assert_eq!(resp.status, 503, "{path}");
        }
    }

    #[test]
    fn after_shutdown_handshakes_get_503() {
        let app = app();
        let (tx, rx) = std::sync::mpsc::channel();
        app.live()
            .register(Box::new(move |code, _| tx.send(code).unwrap()));
        // The guard was dropped at once: nothing is left open.
        assert_eq!(app.shutdown(Duration::ZERO), 0);
        assert!(rx.try_recv().is_err());
        assert_eq!(app.call(&mut handshake_request("/ws")).status, 503);
    }
}
