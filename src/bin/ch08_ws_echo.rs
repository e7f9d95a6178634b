//! `ch08_ws_echo`: a WebSocket echo server. Accepts the handshake on any
//! path and sends every message back with its type.
//!
//! ```text
//! cargo run --bin ch08_ws_echo &
//! cargo run --bin ch08_ws_client -- ws://127.0.0.1:8765/
//! cargo run --bin check -- ch08 --addr 127.0.0.1:8765
//! ```

use std::sync::Arc;

use wirebook::ch05_concurrency::cli::{ServerArgs, run_server};
use wirebook::ch08_websocket::{HandshakeConfig, OriginPolicy, echo_service};
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "ch08_ws_echo",
        "A WebSocket echo server (RFC 6455): every message comes back with its type.\n\
         Any path; any Origin.",
        "[--addr HOST:PORT] [--quiet] [--trace]",
    );
    let sa = ServerArgs::parse(&mut args, "127.0.0.1:8765");
    args.finish();
    // An echo server has nothing to protect: any page may use it.
    let cfg = HandshakeConfig {
        origin: OriginPolicy::Any,
        ..HandshakeConfig::default()
    };
    run_server("ch08_ws_echo", sa, Arc::new(echo_service(cfg)))
}
