//! Benchmark peer: a static-file server on the `tiny_http` crate, written
//! the way its documentation shows: one shared `Server`, a few worker
//! threads each taking requests from `incoming_requests()`.
//!
//! ```text
//! cargo run --release --example peer_tiny_http -- PORT ROOT [WORKERS]
//! ```
//!
//! `GET /hello` answers `Hello, world`; any other path is a file under ROOT
//! (no `..`, no empty segments), streamed with `Response::from_file`.
//! Listens on 127.0.0.1 only.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread;

use tiny_http::{Header, Method, Request, Response, Server};

/// Worker threads when none is given: tiny_http's own examples use a few.
const DEFAULT_WORKERS: usize = 4;

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("txt") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn safe_relative(url: &str) -> Option<&str> {
    let path = url.split(['?', '#']).next()?.strip_prefix('/')?;
    let ok = !path.is_empty()
        && path
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != ".." && !seg.contains('\\'));
    ok.then_some(path)
}

fn answer(request: Request, root: &Path) {
    let status = |code: u16| Response::empty(code);
    if !matches!(request.method(), Method::Get | Method::Head) {
        let _ = request.respond(status(405));
        return;
    }
    if request.url() == "/hello" {
        let ct = Header::from_bytes("Content-Type", "text/plain").expect("ascii header");
        let _ = request.respond(Response::from_string("Hello, world").with_header(ct));
        return;
    }
    let Some(rel) = safe_relative(request.url()) else {
        let _ = request.respond(status(404));
        return;
    };
    let path = root.join(rel);
    match File::open(&path) {
        Ok(file) if file.metadata().is_ok_and(|m| m.is_file()) => {
            let ct = Header::from_bytes("Content-Type", content_type(&path)).expect("ascii");
            let _ = request.respond(Response::from_file(file).with_header(ct));
        }
        _ => {
            let _ = request.respond(status(404));
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(port), Some(root)) = (
        args.first().and_then(|p| p.parse::<u16>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: peer_tiny_http PORT ROOT [WORKERS]");
        std::process::exit(2);
    };
    let workers = match args.get(2).map(|w| w.parse::<usize>()) {
        None => DEFAULT_WORKERS,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("peer_tiny_http: WORKERS must be a positive number");
            std::process::exit(2);
        }
    };
    let server = Arc::new(Server::http(("127.0.0.1", port)).unwrap_or_else(|e| {
        eprintln!("peer_tiny_http: cannot listen on 127.0.0.1:{port}: {e}");
        std::process::exit(1);
    }));
    let root = Arc::new(PathBuf::from(root));
    eprintln!("listening on http://127.0.0.1:{port}");
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (server, root) = (server.clone(), root.clone());
            thread::spawn(move || {
                for request in server.incoming_requests() {
                    answer(request, &root);
                }
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
}
