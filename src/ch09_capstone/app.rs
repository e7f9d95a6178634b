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

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use super::live::{Live, LiveSockets};
use super::room::CLOSE_GOING_AWAY;
use crate::ch04_methods_and_routing::router::Route;
use crate::ch04_methods_and_routing::{Request, Response, Router, Service};
use crate::ch05_concurrency::server::Server;
use crate::ch05_concurrency::{ServerArgs, handle_signals};
use crate::ch08_websocket::WebSocket;
use crate::ch08_websocket::handshake::{self, HandshakeConfig};

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
            on_shutdown: Vec::new(),
        }
    }

    /// How WebSocket handshakes registered *after* this call are accepted
    /// (origin policy, message limits, ping interval).
    pub fn handshake_config(&mut self, cfg: HandshakeConfig) -> &mut App {
        self.handshake = cfg;
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
        self.router
            .route(pattern)
            .get(move |req: &mut Request<'_>| {
                if live.is_closing() {
                    return Response::error(503, "the server is shutting down")
                        .header("Retry-After", "1");
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
    /// This is chapter 5's `run_server_with` plus one step: the process
    /// must not exit before the WebSockets' close frames are out, and the
    /// HTTP server cannot wait for them (after the 101 they are not its
    /// connections any more).
    pub fn run(self, prog: &str, sa: ServerArgs) -> ! {
        let server = match Server::bind(sa.addr, sa.config) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{prog}: error: cannot listen on {}: {e}", sa.addr);
                std::process::exit(1)
            }
        };
        let handle = server.shutdown_handle();
        handle_signals(handle.clone());
        let app = Arc::new(self);
        let closing = {
            let app = app.clone();
            thread::spawn(move || {
                handle.wait();
                app.shutdown(SHUTDOWN_WAIT)
            })
        };
        crate::cli::announce_addr("http", server.local_addr());
        let drained = server.run(app);
        let still_open = closing.join().unwrap_or(0);
        if still_open > 0 {
            eprintln!("{prog}: {still_open} WebSocket(s) did not finish closing in time");
        }
        match drained {
            Ok(()) => std::process::exit(0),
            Err(e) => {
                eprintln!("{prog}: {e}");
                std::process::exit(1)
            }
        }
    }
}

impl Service for App {
    fn call(&self, req: &mut Request<'_>) -> Response {
        self.router.call(req)
    }
}
