//! The capstone and the book's default binary: every chapter's server on one
//! port. `cargo run --release` starts it on 127.0.0.1:8888.

use wirebook::ch05_concurrency::ServerArgs;
use wirebook::ch09_capstone::room;
use wirebook::ch09_capstone::site::{self, SiteOptions};
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "wirebook",
        "The book's capstone: the landing page, /hello, /echo, /notes, static files, \
         uploads, and WebSockets (/ws/echo, /ws/hello, /ws/chat) on one server.\n\
         Open http://ADDR/ in a browser; /chat.html is the live chat.",
        "[--addr HOST:PORT] [--root DIR] [--uploads DIR] [--chat-rate N] [--threads N] [--quiet] [--trace]",
    );
    args.describe("--root DIR           the static directory (default static)")
        .describe("--uploads DIR        accept PUT /uploads/NAME into DIR (created if missing)")
        .describe(&format!(
            "--chat-rate N        chat messages a second per member, 0 = no limit (default {})",
            room::SAYS_PER_SECOND
        ));
    let sa = ServerArgs::parse(&mut args, "127.0.0.1:8888");
    let mut opts = SiteOptions::new(args.value("--root").unwrap_or_else(|| "static".into()));
    opts.uploads = args.value("--uploads").map(Into::into);
    opts.quiet = sa.config.quiet;
    opts.room.says_per_second = args.parsed("--chat-rate", room::SAYS_PER_SECOND);
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
    app.run("wirebook", sa)
}
