//! The capstone and the book's default binary: every chapter's server on one
//! port. `cargo run --release` starts it on 127.0.0.1:8888.

use wirebook::ch09_capstone::app::MAX_WEBSOCKETS;
use wirebook::ch09_capstone::room;
use wirebook::ch09_capstone::site::{self, SiteOptions};
use wirebook::ch10_event_loop::cli::DesignArgs;
use wirebook::ch10_event_loop::ws_design;
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "wirebook",
        "The book's capstone: the landing page, /hello, /echo, /notes, static files,\n\
         uploads, and WebSockets (/ws/echo, /ws/hello, /ws/chat) on one server.\n\
         Open http://ADDR/ in a browser; /chat.html is the live chat.\n\
         WebSocket messages: up to 16 MiB on /ws/echo and /ws/hello, 16 KiB on /ws/chat\n\
         (larger ones are closed with 1009). A thread per WebSocket by default.",
        "[OPTIONS]",
    );
    args.describe(
        "--root DIR           the static directory (default static, else the crate's own)",
    )
    .describe("--uploads DIR        accept PUT /uploads/NAME into DIR (created if missing)")
    .describe(&format!(
        "--book DIR           the book `make book` rendered, served at /book/ (default {})",
        site::DEFAULT_BOOK_DIR
    ))
    .describe(&format!(
        "--chat-rate N        chat messages a second per member, 0 = no limit (default {})",
        room::SAYS_PER_SECOND
    ))
    .describe(&format!(
        "--max-websockets N   WebSockets open at once, all endpoints; more get 503 (default {MAX_WEBSOCKETS})"
    ));
    let da = DesignArgs::parse(&mut args, "127.0.0.1:8888");
    let mut opts = SiteOptions::new(args.value("--root").unwrap_or_else(default_root));
    opts.uploads = args.value("--uploads").map(Into::into);
    if let Some(book) = args.value("--book") {
        opts.book = book.into();
    }
    opts.quiet = da.server.config.quiet;
    opts.room.says_per_second = args.parsed("--chat-rate", room::SAYS_PER_SECOND);
    opts.max_websockets = args.parsed("--max-websockets", MAX_WEBSOCKETS);
    if opts.max_websockets == 0 {
        args.fail("--max-websockets must be at least 1");
    }
    let app = match site::build(&opts) {
        Ok(app) => app,
        Err(e) => {
            let dirs = match &opts.uploads {
                Some(u) => format!("{} or {}", opts.root.display(), u.display()),
                None => opts.root.display().to_string(),
            };
            args.fail(format!("cannot serve {dirs}: {e}"))
        }
    };
    args.finish();
    if !opts.quiet {
        let root = std::fs::canonicalize(&opts.root).unwrap_or(opts.root.clone());
        eprintln!("wirebook: serving {} at /", root.display());
    }
    ws_design::run_capstone("wirebook", da, app)
}

/// `static` in the current directory, as in the repository; started from
/// anywhere else, the crate's own `static/`.
fn default_root() -> String {
    if std::path::Path::new("static").is_dir() {
        "static".into()
    } else {
        concat!(env!("CARGO_MANIFEST_DIR"), "/static").into()
    }
}
