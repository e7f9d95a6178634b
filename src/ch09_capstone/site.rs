//! The book's own application, served by the `wirebook` binary: everything
//! the chapters built, on one port.
//!
//! | path | what | from |
//! |---|---|---|
//! | `GET /` | `index.html` of the static root | chapter 6 |
//! | `GET /hello`, `POST /echo`, `/notes…` | the notes app | chapter 4 |
//! | `/ws/echo`, `/ws/hello` | WebSocket echo and greeting | chapter 8 |
//! | `/ws/chat` | the chat room | this chapter |
//! | `PUT`/`GET /uploads/NAME` | uploads, with `--uploads DIR` | chapter 7 |
//! | `GET /book/…` | the chapters as HTML, once `make book` built them | chapter 6 |
//! | any other `GET`/`HEAD` | a file under the static root | chapter 6 |

use std::io;
use std::path::{Path, PathBuf};

use super::app::{App, MAX_WEBSOCKETS};
use super::chat;
use super::room::{CLOSE_GOING_AWAY, Limits, Room};
use crate::ch04_methods_and_routing::{Request, Response, notes};
use crate::ch06_static_files::StaticFiles;
use crate::ch07_downloads_and_uploads::receive::DEFAULT_UPLOAD_LIMIT;
use crate::ch07_downloads_and_uploads::{FilesWithUploads, UploadDir};
use crate::ch08_websocket::handshake::HandshakeConfig;
use crate::ch08_websocket::live::SHUTDOWN_REASON;
use crate::ch08_websocket::service;

/// The policy of the book's own pages (`static/*.html`): their script and
/// style are inline, and they talk only to this host (a WebSocket is a
/// `connect-src`). No script from anywhere else, uploads included.
pub const PAGE_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; \
    style-src 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// What the site serves from where.
#[derive(Debug, Clone)]
pub struct SiteOptions {
    /// The static directory (`--root`).
    pub root: PathBuf,
    /// Where uploads go (`--uploads`); none: no uploads.
    pub uploads: Option<PathBuf>,
    /// The chat room's limits.
    pub room: Limits,
    /// No per-connection lines from `/ws/hello` on stderr.
    pub quiet: bool,
    /// Most WebSockets open at once, all endpoints together
    /// (`--max-websockets`); past it, a handshake gets `503`.
    pub max_websockets: usize,
    /// The rendered book (`make book`), served at `/book/`.
    pub book: PathBuf,
}

/// Where `make book` writes the book: `target/book` in this crate.
pub const DEFAULT_BOOK_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/target/book");

/// `/book/…`: the book rendered by mdBook, a directory of static files.
/// The directory is looked up on each request, so a book built while the
/// server runs shows up at once; until then the answer names the command.
fn serve_book(dir: &Path, req: &Request<'_>) -> Response {
    let rest = req.path.strip_prefix("/book").unwrap_or("");
    if rest.is_empty() {
        return Response::error(301, "see /book/").header("Location", "/book/");
    }
    let files = match StaticFiles::new(dir) {
        Ok(f) => f.with_listing(true),
        Err(_) => {
            let why = format!(
                "the book is not built: run `make book`, which renders chapters/ into {}",
                dir.display()
            );
            return Response::error(404, why);
        }
    };
    let mut res = files.serve(req, rest);
    // The book links the Rust sources it quotes: show them as text.
    if res.status < 300 && rest.ends_with(".rs") {
        res.headers.set("Content-Type", "text/plain; charset=utf-8");
    }
    res
}

impl SiteOptions {
    pub fn new(root: impl Into<PathBuf>) -> SiteOptions {
        SiteOptions {
            root: root.into(),
            uploads: None,
            room: Limits::default(),
            quiet: false,
            book: DEFAULT_BOOK_DIR.into(),
            max_websockets: MAX_WEBSOCKETS,
        }
    }
}

/// Builds the site. Fails if the static root is not a directory, or the
/// uploads directory cannot be created.
pub fn build(opts: &SiteOptions) -> io::Result<App> {
    let files = StaticFiles::new(&opts.root)?.with_html_policy(PAGE_POLICY);
    let mut app = App::with_router(notes::app());
    let book = opts.book.clone();
    app.route("/book/{path*}")
        .get(move |req| serve_book(&book, req));
    app.max_websockets(opts.max_websockets);

    // Chapter 8's services, as they are, with chapter 8's limits (16 MiB
    // messages: the echo takes what `ch08_ws_echo` takes). The chat page
    // is served by this same host, so the default origin policy (same
    // origin only) fits.
    let mut ws = HandshakeConfig::default();
    app.handshake_config(ws.clone());
    app.websocket_service("/ws/echo", service::echo_service);
    let quiet = opts.quiet;
    app.websocket("/ws/hello", move |ws, _| {
        if quiet {
            service::hello(ws, &mut io::sink())
        } else {
            service::hello(ws, &mut io::stderr().lock())
        }
    });

    let room = Room::new(opts.room);
    ws.socket.max_message = chat::MAX_MESSAGE_BYTES;
    app.handshake_config(ws);
    {
        let room = room.clone();
        app.websocket("/ws/chat", move |ws, live| chat::serve(&room, ws, live));
    }
    app.on_shutdown(move || room.close(CLOSE_GOING_AWAY, SHUTDOWN_REASON));

    match &opts.uploads {
        Some(dir) => {
            // Created if missing, as chapter 6's binary does.
            std::fs::create_dir_all(dir)?;
            let uploads = UploadDir::new(dir, DEFAULT_UPLOAD_LIMIT)?;
            app.fallback(FilesWithUploads { files, uploads });
        }
        None => {
            app.fallback(files);
        }
    }
    Ok(app)
}
