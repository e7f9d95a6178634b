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
//! app.websocket("/ws/echo", |ws, _| wirebook::ch08_websocket::service::echo(ws));
//! app.fallback(StaticFiles::new("static").unwrap());
//! ```
//!
//! There is almost nothing here, and that is the point: each part is an
//! earlier chapter's. Routing, 405 with `Allow`, `OPTIONS` are chapter 4's
//! [`Router`]; a WebSocket endpoint is a GET route whose handler answers the
//! handshake with chapter 8's [`handshake::accept`]; files are chapter 6's
//! [`StaticFiles`](crate::ch06_static_files::StaticFiles) as the router's
//! fallback; the server, its pool and its shutdown are chapter 5's. What the
//! application adds is the one thing no single chapter could know: the list
//! of open WebSockets ([`LiveSockets`]), so that shutting down closes them.

use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use super::live::{Live, LiveSockets};
use super::room::CLOSE_GOING_AWAY;
use crate::ch04_methods_and_routing::router::Route;
use crate::ch04_methods_and_routing::{Request, Response, Router, Service};
use crate::ch05_concurrency::cli::run_server_then;
use crate::ch05_concurrency::{ServerArgs, ShutdownHandle};
use crate::ch08_websocket::WebSocket;
use crate::ch08_websocket::handshake::{self, HandshakeConfig};

/// Most WebSockets open at once (each holds a thread, the chat's two);
/// past it a handshake gets `503` with `Retry-After`. The check happens
/// before the handshake, so concurrent handshakes can overshoot it by at
/// most the number of HTTP workers.
pub const MAX_WEBSOCKETS: usize = 4096;

/// How long shutdown waits for the WebSockets to finish their closing
/// handshakes before the process exits anyway.
pub const SHUTDOWN_WAIT: Duration = Duration::from_secs(3);

/// What runs a WebSocket connection: the socket, and its entry among the
/// live sockets (to replace its closer, as the chat does).
pub type SocketHandler = dyn Fn(WebSocket, &Live) + Send + Sync;

/// An application: a router plus WebSocket endpoints, and the registry of
/// open WebSockets.
pub struct App {
    router: Router,
    handshake: HandshakeConfig,
    live: Arc<LiveSockets>,
    max_websockets: usize,
    on_shutdown: Vec<Box<dyn Fn() + Send + Sync>>,
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
            handshake: HandshakeConfig::default(),
            live: LiveSockets::new(),
            max_websockets: MAX_WEBSOCKETS,
            on_shutdown: Vec::new(),
        }
    }

    /// How WebSocket handshakes registered *after* this call are accepted
    /// (origin policy, message limits, ping interval).
    pub fn handshake_config(&mut self, cfg: HandshakeConfig) -> &mut App {
        self.handshake = cfg;
        self
    }

    /// Changes the cap on open WebSockets for endpoints registered *after*
    /// this call.
    pub fn max_websockets(&mut self, n: usize) -> &mut App {
        self.max_websockets = n;
        self
    }

    /// A route, to attach method handlers to (chapter 4's [`Route`]).
    pub fn route(&mut self, pattern: &str) -> &mut Route {
        self.router.route(pattern)
    }

    /// A WebSocket endpoint at `pattern`: a GET route that answers the
    /// opening handshake and then runs `handler` on the connection, on the
    /// connection's own thread (chapter 5 gives every upgraded connection
    /// one, so no HTTP worker is held).
    pub fn websocket(
        &mut self,
        pattern: &str,
        handler: impl Fn(WebSocket, &Live) + Send + Sync + 'static,
    ) -> &mut App {
        let handler: Arc<SocketHandler> = Arc::new(handler);
        let live = self.live.clone();
        let cfg = self.handshake.clone();
        let max = self.max_websockets;
        self.router
            .route(pattern)
            .get(move |req: &mut Request<'_>| {
                if live.is_closing() {
                    return Response::error(503, "the server is shutting down")
                        .header("Retry-After", "1");
                }
                if live.len() >= max {
                    return Response::error(503, format!("{max} WebSockets are open already"))
                        .header("Retry-After", "5");
                }
                let (live, handler) = (live.clone(), handler.clone());
                handshake::accept(req, &cfg, move |ws| {
                    let sender = ws.sender();
                    // By default, closing means sending a close frame. On a
                    // thread of its own: a write to a peer that stopped
                    // reading can block until the write timeout, and
                    // shutdown must not wait for each such peer in turn.
                    let guard = live.register(Box::new(move |code, reason| {
                        let (sender, reason) = (sender.clone(), reason.to_string());
                        let _ = thread::Builder::new()
                            .name("ws-close".into())
                            .stack_size(64 * 1024)
                            .spawn(move || {
                                let _ = sender.close(code, &reason);
                            });
                    }));
                    handler(ws, &guard);
                })
            });
        self
    }

    /// What answers when no route matches: typically a static directory.
    pub fn fallback(&mut self, service: impl Service) -> &mut App {
        self.router.fallback(service);
        self
    }

    /// Something to do when shutdown begins, before the WebSockets are
    /// closed (the chat closes its room, so nobody can join any more).
    pub fn on_shutdown(&mut self, f: impl Fn() + Send + Sync + 'static) -> &mut App {
        self.on_shutdown.push(Box::new(f));
        self
    }

    /// The open WebSockets.
    pub fn live(&self) -> &Arc<LiveSockets> {
        &self.live
    }

    /// Closes every WebSocket with 1001 and waits up to `wait` for them to
    /// finish; returns how many did not.
    pub fn shutdown(&self, wait: Duration) -> usize {
        for f in &self.on_shutdown {
            f();
        }
        self.live
            .close_all(CLOSE_GOING_AWAY, "server shutting down", wait)
    }

    /// Serves the application until SIGINT/SIGTERM, then shuts down:
    /// the HTTP server drains its requests (chapter 5) while the WebSockets
    /// are closed with 1001; exits 0 when both are done.
    ///
    /// The process must not exit before the WebSockets' close frames are
    /// out, and the HTTP server cannot wait for them (after the 101 they are
    /// not its connections any more): hence chapter 5's `run_server_then`,
    /// whose `finish` runs after the drain and before the exit.
    pub fn run(self, prog: &str, sa: ServerArgs) -> ! {
        let app = Arc::new(self);
        let (closed_tx, closed_rx) = mpsc::channel();
        let make = |handle: ShutdownHandle| -> Arc<dyn Service> {
            let closing = app.clone();
            thread::spawn(move || {
                handle.wait();
                let _ = closed_tx.send(closing.shutdown(SHUTDOWN_WAIT));
            });
            app
        };
        run_server_then(prog, sa, make, || {
            // Bounded: the closing thread itself waits at most SHUTDOWN_WAIT.
            if let Ok(still_open) = closed_rx.recv_timeout(SHUTDOWN_WAIT * 2)
                && still_open > 0
            {
                eprintln!("{prog}: {still_open} WebSocket(s) did not finish closing in time");
            }
        })
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
