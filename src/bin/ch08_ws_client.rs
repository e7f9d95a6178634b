//! `ch08_ws_client URL`: a small interactive WebSocket client. Each line of
//! stdin goes out as a text message; each message that comes in is printed
//! (text as is, binary as a hex preview). At the end of stdin it closes the
//! connection with 1000 and waits for the server's answer.

use std::io::{BufRead, Write};
use std::process;
use std::thread;

use wirebook::ch08_websocket::client::{HANDSHAKE_TIMEOUT, connect_with};
use wirebook::ch08_websocket::{Config, Message, close};
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "ch08_ws_client",
        "Connects to a WebSocket server: stdin lines become text messages,\n\
         incoming messages are printed. Masks every frame with a fresh random key.",
        "URL [--protocol NAME] [--timeout SECS] [--trace]",
    );
    args.describe("URL                  ws://host:port/path");
    args.describe("--protocol NAME      offer this subprotocol");
    args.describe(&format!(
        "--timeout SECS       connect and handshake timeout (default {})",
        HANDSHAKE_TIMEOUT.as_secs()
    ));
    args.describe("--trace              show the handshake and every frame on stderr");
    args.handle_help();
    let trace = args.flag("--trace");
    let protocol = args.value("--protocol");
    let timeout = args.duration("--timeout", HANDSHAKE_TIMEOUT);
    let url = args.positional("URL");
    args.finish();
    if trace {
        wirebook::trace::enable();
    }
    let offered: Vec<&str> = protocol.iter().map(String::as_str).collect();
    let (mut ws, chosen) = match connect_with(&url, &offered, Config::default(), timeout) {
        Ok(x) => x,
        Err(e) => {
            eprintln!("ch08_ws_client: error: cannot open {url}: {e}");
            process::exit(1);
        }
    };
    eprintln!(
        "connected to {url}{}",
        chosen
            .map(|p| format!(" (protocol {p})"))
            .unwrap_or_default()
    );
    let sender = ws.sender();
    let reader = thread::spawn(move || {
        let mut out = std::io::stdout();
        loop {
            match ws.read_message() {
                Ok(Some(Message::Text(t))) => {
                    let _ = writeln!(out, "{t}");
                }
                Ok(Some(Message::Binary(b))) => {
                    let hex: Vec<String> = b.iter().take(32).map(|x| format!("{x:02x}")).collect();
                    let more = if b.len() > 32 { " …" } else { "" };
                    let _ = writeln!(out, "[binary, {} bytes] {}{more}", b.len(), hex.join(" "));
                }
                Ok(None) => {
                    let _ = out.flush();
                    match ws.peer_close() {
                        Some(Some((code, reason))) => eprintln!("closed: {code} {reason}"),
                        Some(None) => eprintln!("closed (no code)"),
                        None => eprintln!("closed"),
                    }
                    // The connection is over, whether or not stdin is: a
                    // server that closes first (the hello server does)
                    // must not leave us waiting for a line to send.
                    process::exit(0);
                }
                Err(e) => {
                    let _ = out.flush();
                    eprintln!("ch08_ws_client: error: {e}");
                    process::exit(1);
                }
            }
            let _ = out.flush();
        }
    });
    let stdin = std::io::stdin();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if sender.send_text(&line).is_err() {
            // The server closed; the reader says why.
            break;
        }
    }
    // End of input: close, and let the reader finish the close handshake
    // (it exits the process).
    let _ = sender.close(close::NORMAL, "");
    let _ = reader.join();
    process::exit(1);
}
