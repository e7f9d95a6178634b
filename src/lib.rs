//! # wirebook
//!
//! Network programming from the socket up. Each chapter of the book
//! (`chapters/NN-topic.md`) has one module here; a later chapter *uses* the
//! earlier ones rather than copying them.
//!
//! | module | chapter |
//! |---|---|
//! | [`ch01_sockets`] | TCP and UDP sockets, DNS by hand |
//! | [`ch02_http_by_hand`] | an HTTP/1.1 head parser and a first server |
//! | [`ch03_urls_and_clients`] | URLs, percent-encoding, message bodies, an HTTP client |
//! | [`ch04_methods_and_routing`] | `httparse`, request bodies, methods, routing |
//! | [`ch05_concurrency`] | thread pool, keep-alive, limits, graceful shutdown |
//! | [`ch06_static_files`] | MIME, ETag, conditional requests, Range, path safety |
//! | [`ch07_downloads_and_uploads`] | streaming downloads and uploads |
//! | [`ch08_websocket`] | RFC 6455 from the handshake to the last frame |
//! | [`ch09_capstone`] | a small Tornado-style framework and a live chat |
//! | [`ch11_measuring`] | benchmarks beside nginx, tiny_http, tungstenite and Tornado |
//!
//! Shared tools that are not a chapter: [`cli`] (argument parsing for every
//! binary), [`trace`] (the `--trace` dump of bytes on the wire), [`check`]
//! (the exercises' black-box checks), [`rng`] (random inputs and masking keys),
//! [`soak`] (the capstone under mixed load for minutes, `make soak`)
//! and [`testkit`] (starting a binary and waiting for its `listening on` line).
//! [`workbook`] holds the exercises' stubs and their runner
//! (`cargo run --bin exercises`).

/// The workbook's switch, one line at the top of a chapter function that is
/// an exercise: `exercise!("ex_ch02_parse_request",
/// ch02_parse_request::parse_request(buf, limits));`. With the cargo
/// feature on (the runner sets it), the function returns what the reader's
/// version in `src/workbook/` returns; without it, the line is not even
/// compiled. `verify` builds every switch in at once and then chooses at run
/// time, with `WIREBOOK_SWITCH` in the environment
/// ([`workbook::falls_through`]), which switches send the call to a stub
/// and which fall through to the reference below them.
macro_rules! exercise {
    ($feature:literal, $module:ident :: $($call:tt)*) => {
        #[cfg(feature = $feature)]
        if !crate::workbook::falls_through($feature) {
            return crate::workbook::$module::$($call)*;
        }
    };
}

pub mod check;
pub mod cli;
pub mod rng;
pub mod soak;
pub mod testkit;
pub mod trace;
pub mod workbook;

pub mod ch01_sockets;
pub mod ch02_http_by_hand;
pub mod ch03_urls_and_clients;
pub mod ch04_methods_and_routing;
pub mod ch05_concurrency;
pub mod ch06_static_files;
pub mod ch07_downloads_and_uploads;
pub mod ch08_websocket;
pub mod ch09_capstone;
pub mod ch10_event_loop;
pub mod ch11_measuring;
