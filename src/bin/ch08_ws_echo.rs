//! `ch08_ws_echo`: a WebSocket echo server. Accepts the handshake on any
//! path and sends every message back with its type, each connection on a
//! thread of its own (`--event-loop`: chapter 10's loop instead).
//!
//! ```text
//! cargo run --bin ch08_ws_echo &
//! cargo run --bin ch08_ws_client -- ws://127.0.0.1:8765/
//! cargo run --bin check -- ch08 --addr 127.0.0.1:8765
//! ```

use std::sync::Arc;

use wirebook::ch05_concurrency::cli::ServerArgs;
use wirebook::ch08_websocket::handshake::DEFAULT_MAX_SOCKETS;
use wirebook::ch08_websocket::live::run_server;
use wirebook::ch08_websocket::{Config, HandshakeConfig, OriginPolicy};
use wirebook::ch10_event_loop::ws_design::{echo_service, event_loop_flag};
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "ch08_ws_echo",
        "A WebSocket echo server (RFC 6455): every message comes back with its type.\n\
         Any path; any Origin. A thread per WebSocket, at most --max-sockets of them.",
        "[OPTIONS]",
    );
    let d = Config::default();
    args.describe(&format!(
        "--ping-interval T     ping a client silent this long; close (1001) after twice (default {}s)",
        d.ping_interval.map_or(0.0, |t| t.as_secs_f64())
    ));
    args.describe(&format!(
        "--max-sockets N       WebSockets open at once; more get 503 (default {DEFAULT_MAX_SOCKETS})"
    ));
    args.describe(&format!(
        "--max-message BYTES   largest message accepted; larger ones get 1009 (default {})",
        d.max_message
    ));
    let event_loop = event_loop_flag(&mut args);
    let sa = ServerArgs::parse(&mut args, "127.0.0.1:8765");
    let mut socket = d;
    if let Some(t) = args.duration_opt("--ping-interval") {
        socket.ping_interval = Some(t);
    }
    socket.max_message = args.parsed("--max-message", socket.max_message);
    if socket.max_message == 0 {
        args.fail("--max-message must be at least 1");
    }
    let max_sockets = args.parsed("--max-sockets", DEFAULT_MAX_SOCKETS);
    if max_sockets == 0 {
        args.fail("--max-sockets must be at least 1");
    }
    args.finish();
    // An echo server has nothing to protect: any page may use it.
    let cfg = HandshakeConfig {
        origin: OriginPolicy::Any,
        socket,
        max_sockets,
        ..HandshakeConfig::default()
    };
    // On SIGINT/SIGTERM the open WebSockets are closed with 1001.
    let live = cfg.live.clone();
    let service = echo_service(cfg, event_loop);
    run_server("ch08_ws_echo", sa, live, Arc::new(service))
}
