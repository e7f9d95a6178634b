//! `ch06_static --root DIR`: a directory served over HTTP on chapter 5's
//! server (chapter 6), optionally accepting uploads (chapter 7).

use std::sync::Arc;

use wirebook::ch04_methods_and_routing::notes::HELLO_CACHE_CONTROL;
use wirebook::ch04_methods_and_routing::router::Router;
use wirebook::ch04_methods_and_routing::{Request, Response, Service};
use wirebook::ch05_concurrency::cli::bind_or_exit;
use wirebook::ch06_static_files::StaticFiles;
use wirebook::ch06_static_files::lowat::limit_unsent;
use wirebook::ch07_downloads_and_uploads::receive::DEFAULT_UPLOAD_LIMIT;
use wirebook::ch07_downloads_and_uploads::{FilesWithUploads, UploadDir};
use wirebook::ch10_event_loop::cli::{DesignArgs, run_bound};
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "ch06_static",
        "Serves the files under --root with GET and HEAD: MIME types, ETag and\n\
         Last-Modified (304), Range (206/416), directory index, safe paths; files\n\
         are streamed with sendfile, never read into memory. With --uploads DIR it\n\
         also accepts PUT /uploads/NAME (chapter 7).",
        "[--root DIR] [--listing] [--uploads DIR [--upload-limit BYTES]] [--hello] [--addr HOST:PORT] [--quiet] [--trace] [--event-loop]",
    );
    args.describe("--root DIR           the directory to serve (default static)");
    args.describe("--listing            list directories that have no index.html");
    args.describe("--cache-control V    Cache-Control of files (default no-cache)");
    args.describe("--uploads DIR        accept PUT /uploads/NAME into DIR (created if missing)");
    args.describe(&format!(
        "--upload-limit BYTES  largest upload accepted; larger ones get 413 (default {DEFAULT_UPLOAD_LIMIT})"
    ));
    args.describe(
        "--hello              also answer GET /hello with `Hello, world` (benchmark probe)",
    );
    let root = args.value("--root").unwrap_or_else(|| "static".to_string());
    let listing = args.flag("--listing");
    let cache_control = args.value("--cache-control");
    let uploads = args.value("--uploads");
    let limit: u64 = args.parsed("--upload-limit", DEFAULT_UPLOAD_LIMIT);
    let hello = args.flag("--hello");
    let sa = DesignArgs::parse(&mut args, "127.0.0.1:8888");
    args.finish();

    let mut files = match StaticFiles::new(&root) {
        Ok(f) => f.with_listing(listing),
        Err(e) => {
            eprintln!("ch06_static: error: cannot serve --root {root}: {e}");
            std::process::exit(1);
        }
    };
    if let Some(cc) = cache_control {
        files = files.with_cache_control(cc);
    }
    let service: Arc<dyn Service> = match uploads {
        None => Arc::new(files),
        // Created if missing, so `--uploads /tmp/uploads` just works.
        Some(dir) => {
            match std::fs::create_dir_all(&dir).and_then(|_| UploadDir::new(&dir, limit)) {
                Ok(uploads) => Arc::new(FilesWithUploads { files, uploads }),
                Err(e) => {
                    eprintln!("ch06_static: error: cannot accept uploads into {dir}: {e}");
                    std::process::exit(1);
                }
            }
        }
    };
    let service = if hello {
        let mut router = Router::new();
        router.route("/hello").get(|_: &mut Request<'_>| {
            Response::text(200, "Hello, world").header("Cache-Control", HELLO_CACHE_CONTROL)
        });
        let inner = service.clone();
        router.fallback(move |req: &mut Request<'_>| inner.call(req));
        Arc::new(router) as Arc<dyn Service>
    } else {
        service
    };
    let server = bind_or_exit("ch06_static", sa.server.clone());
    // Fewer unsent bytes per connection: files go out evenly (chapter 6).
    let _ = limit_unsent(server.listener());
    run_bound("ch06_static", sa, server, service);
}
