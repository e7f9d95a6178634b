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
//! | any other `GET`/`HEAD` | a file under the static root | chapter 6 |

use std::io;
use std::path::PathBuf;

use super::app::App;
use super::chat;
use super::room::{CLOSE_GOING_AWAY, Limits, Room};
use crate::ch04_methods_and_routing::notes;
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
}

impl SiteOptions {
    pub fn new(root: impl Into<PathBuf>) -> SiteOptions {
        SiteOptions {
            root: root.into(),
            uploads: None,
            room: Limits::default(),
            quiet: false,
        }
    }
}

/// Builds the site. Fails if the static root is not a directory, or the
/// uploads directory cannot be created.
pub fn build(opts: &SiteOptions) -> io::Result<App> {
    let files = StaticFiles::new(&opts.root)?.with_html_policy(PAGE_POLICY);
    let mut app = App::with_router(notes::app());

    // Chapter 8's services, as they are. The chat page is served by this
    // same host, so the default origin policy (same origin only) fits.
    let mut ws = HandshakeConfig::default();
    ws.socket.max_message = chat::MAX_MESSAGE_BYTES.max(64 * 1024);
    app.handshake_config(ws.clone());
    // The echo answers each message by itself: one event loop serves all
    // its connections (chapter 8), instead of a thread each.
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
