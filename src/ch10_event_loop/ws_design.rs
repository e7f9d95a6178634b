//! Which design serves WebSockets: chapter 8's thread each (the default),
//! or this chapter's event loop (`--event-loop`). The binaries ask here;
//! chapters 8 and 9 never know the loop exists.

use std::sync::Arc;

use super::cli::{self, DesignArgs};
use super::ws_loop::EventLoop;
use crate::ch04_methods_and_routing::{Request, Response};
use crate::ch05_concurrency::cli::bind_or_exit;
use crate::ch06_static_files::lowat::limit_unsent;
use crate::ch08_websocket::HandshakeConfig;
use crate::ch08_websocket::live::closing_on_shutdown;
use crate::ch08_websocket::service::{echo_message, echo_service as threaded_echo};
use crate::ch09_capstone::app::App;
use crate::cli::Args;

/// The flag, as `--help` describes it.
pub const EVENT_LOOP_HELP: &str =
    "--event-loop         serve WebSockets from one event loop, not a thread each (chapter 10)";

/// A service that answers WebSocket handshakes.
pub type WsService = Box<dyn Fn(&mut Request<'_>) -> Response + Send + Sync>;

/// Describes `--event-loop` for `--help` and takes it from `args`.
pub fn event_loop_flag(args: &mut Args) -> bool {
    args.describe(EVENT_LOOP_HELP);
    args.flag("--event-loop")
}

/// The echo: on one event loop if `event_loop` (and epoll exists), else
/// on a thread per connection (chapter 8).
pub fn echo_service(cfg: HandshakeConfig, event_loop: bool) -> WsService {
    if event_loop {
        match EventLoop::start(echo_message) {
            Ok(l) => return Box::new(Arc::new(l).service(cfg)),
            Err(e) => eprintln!("no event loop ({e}): a thread per WebSocket instead"),
        }
    }
    Box::new(threaded_echo(cfg))
}

/// The capstone's WebSockets on the event loop: `/ws/echo` moves there
/// (with the same handshake settings as on threads). `/ws/hello` and
/// `/ws/chat` keep their threads: they read at their own pace, which a
/// loop cannot give them. The HTTP side is the server's own choice.
pub fn capstone_on_event_loop(app: &mut App) {
    app.handshake_config(HandshakeConfig::default());
    app.websocket_service("/ws/echo", |cfg| echo_service(cfg, true));
}

/// The capstone in the chosen design. With `--event-loop`, HTTP
/// connections wait for their next request parked in the lot, and
/// `/ws/echo` is served from the WebSocket loop; either way, SIGINT and
/// SIGTERM drain the requests and close every WebSocket with 1001, as
/// chapter 9's [`App::run`] does.
pub fn run_capstone(prog: &str, da: DesignArgs, mut app: App) -> ! {
    if da.event_loop {
        capstone_on_event_loop(&mut app);
    }
    let live = app.live().clone();
    let (make, finish) = closing_on_shutdown(prog, live, Arc::new(app));
    let server = bind_or_exit(prog, da.server.clone());
    // Chapter 6's short unsent queue, as `ch06_static` sets it: large
    // files go out evenly, from the server's CPU.
    let _ = limit_unsent(server.listener());
    cli::run_bound_then(prog, da, server, make, finish)
}
