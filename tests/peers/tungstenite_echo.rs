//! Benchmark peer: a WebSocket echo server on the `tungstenite` crate, in the
//! same shape as chapter 8's first design: `std::net`, one thread per
//! connection, blocking reads.
//!
//! ```text
//! cargo run --release --example peer_tungstenite -- PORT
//! ```
//!
//! Accepts the upgrade on any path (as `ch08_ws_echo` does) and sends every
//! text or binary message back unchanged. Listens on 127.0.0.1 only.

use std::net::{TcpListener, TcpStream};
use std::thread;

use tungstenite::Message;

fn echo(stream: TcpStream) {
    // Each echo is one write; without this the reply could wait for the
    // client's delayed ACK (see chapter 11).
    let _ = stream.set_nodelay(true);
    let Ok(mut ws) = tungstenite::accept(stream) else {
        return;
    };
    loop {
        match ws.read() {
            Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                if ws.send(m).is_err() {
                    return;
                }
            }
            // Pings are answered and closes completed inside tungstenite.
            Ok(_) => {}
            Err(_) => return,
        }
    }
}

fn main() {
    let Some(port) = std::env::args().nth(1).and_then(|p| p.parse::<u16>().ok()) else {
        eprintln!("usage: peer_tungstenite PORT");
        std::process::exit(2);
    };
    let listener = TcpListener::bind(("127.0.0.1", port)).unwrap_or_else(|e| {
        eprintln!("peer_tungstenite: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    });
    eprintln!("listening on ws://127.0.0.1:{port}");
    for stream in listener.incoming().flatten() {
        thread::spawn(move || echo(stream));
    }
}
