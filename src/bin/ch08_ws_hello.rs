//! `ch08_ws_hello`: the original tutorial's WebSocket example. Receives a
//! name, answers `Hello {name}!`, logs `< name` and `> Hello name!` to
//! stdout, and closes the connection (1000).
//!
//! ```text
//! cargo run --bin ch08_ws_hello -- --addr 127.0.0.1:8766 &
//! echo world | cargo run --bin ch08_ws_client -- ws://127.0.0.1:8766/
//! ```

use std::sync::Arc;

use wirebook::ch05_concurrency::cli::ServerArgs;
use wirebook::ch08_websocket::handshake::DEFAULT_MAX_SOCKETS;
use wirebook::ch08_websocket::live::run_server;
use wirebook::ch08_websocket::{HandshakeConfig, hello_service};
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "ch08_ws_hello",
        "Greets over WebSocket: receives a name, answers `Hello {name}!`, closes.\n\
         Pages from other origins are refused (403); clients without Origin are served.\n\
         A thread per WebSocket, at most --max-sockets of them.",
        "[OPTIONS]",
    );
    args.describe(&format!(
        "--max-sockets N       WebSockets open at once; more get 503 (default {DEFAULT_MAX_SOCKETS})"
    ));
    let sa = ServerArgs::parse(&mut args, "127.0.0.1:8765");
    let max_sockets = args.parsed("--max-sockets", DEFAULT_MAX_SOCKETS);
    if max_sockets == 0 {
        args.fail("--max-sockets must be at least 1");
    }
    args.finish();
    let cfg = HandshakeConfig {
        max_sockets,
        ..HandshakeConfig::default()
    };
    // On SIGINT/SIGTERM the open WebSockets are closed with 1001.
    let live = cfg.live.clone();
    run_server("ch08_ws_hello", sa, live, Arc::new(hello_service(cfg)))
}
