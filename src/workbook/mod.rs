//! The workbook: the book's library exercises, and their runner.
//!
//! Each exercise is one function of a chapter that the reader writes again.
//! `cargo run --bin exercises -- start NAME` copies its stub from
//! `src/workbook/stubs/NAME.rs` to `src/workbook/NAME.rs` (git-ignored: the
//! reader's own file) and `test NAME` builds the crate with the cargo
//! feature `ex_NAME`. That feature turns on two things: the module below
//! that holds the reader's file, and the one-line `exercise!` switch (defined in `lib.rs`) at the
//! top of the chapter's function, which then returns what the reader's
//! version returns. The server, the client and every other caller of that
//! function use the reader's code; the reference stays in its chapter,
//! untouched.
//!
//! Without any `ex_*` feature, nothing here but the runner is compiled, so a
//! half-written exercise never breaks `cargo test`, `check` or another
//! chapter.
//!
//! The tests that grade an exercise are in `graded` (unit tests, module
//! per exercise). They check what the specification says, not the
//! reference's private choices, and run in every `cargo test` against the
//! references. `verify` (see [`runner`]) proves that each one fails with the
//! stub and passes with the reference plugged in through the same switch.

pub mod list;
pub mod runner;

/// The environment variable that `verify` sets to choose, in a build with
/// every exercise switched in, which switches stay live: `none`, none (every
/// switch falls through to the reference); an exercise's name, that one
/// only. One build then serves every check. Unset, every switch is live in
/// the reader's builds, and none in a build of the pristine stubs (so that
/// `cargo test --all-features` tests the references).
pub const SWITCH_ENV: &str = "WIREBOOK_SWITCH";

/// Whether the switch of `feature` (`ex_NAME`) falls through to the
/// reference, as `WIREBOOK_SWITCH` says (read once). Only the switches of an
/// exercise build call it.
pub fn falls_through(feature: &str) -> bool {
    static SWITCH: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    let switch = SWITCH.get_or_init(|| std::env::var(SWITCH_ENV).ok());
    match switch.as_deref() {
        None => cfg!(feature = "workbook_pristine"),
        Some(live) => feature.strip_prefix("ex_") != Some(live),
    }
}

// `assert_eq!(got, false)` rather than `assert!(!got)`: the runner shows
// the expected value.
#[cfg(test)]
#[allow(clippy::bool_assert_comparison)]
mod graded;

// The reader's files, one per exercise, compiled only when switched on
// (from the pristine stubs when `verify` asks for `workbook_pristine`).
// Unused parameters of a `todo!()` stub are not worth a warning.
#[cfg(feature = "ex_ch01_encode_name")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch01_encode_name.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch01_encode_name;
#[cfg(feature = "ex_ch01_parse_header")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch01_parse_header.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch01_parse_header;
#[cfg(feature = "ex_ch01_read_name")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch01_read_name.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch01_read_name;
#[cfg(feature = "ex_ch02_content_length")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch02_content_length.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch02_content_length;
#[cfg(feature = "ex_ch02_is_token")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch02_is_token.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch02_is_token;
#[cfg(feature = "ex_ch02_parse_request")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch02_parse_request.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch02_parse_request;
#[cfg(feature = "ex_ch02_split_host_port")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch02_split_host_port.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch02_split_host_port;
#[cfg(feature = "ex_ch03_chunk_size_line")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch03_chunk_size_line.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch03_chunk_size_line;
#[cfg(feature = "ex_ch03_dot_segments")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch03_dot_segments.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch03_dot_segments;
#[cfg(feature = "ex_ch03_percent_decode")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch03_percent_decode.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch03_percent_decode;
#[cfg(feature = "ex_ch04_keep_alive")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch04_keep_alive.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch04_keep_alive;
#[cfg(feature = "ex_ch04_method_parse")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch04_method_parse.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch04_method_parse;
#[cfg(feature = "ex_ch04_route_match")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch04_route_match.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch04_route_match;
#[cfg(feature = "ex_ch05_body_rate")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch05_body_rate.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch05_body_rate;
#[cfg(feature = "ex_ch05_saturated")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch05_saturated.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch05_saturated;
#[cfg(feature = "ex_ch05_worker")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch05_worker.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch05_worker;
#[cfg(feature = "ex_ch06_etag_list")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch06_etag_list.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch06_etag_list;
#[cfg(feature = "ex_ch06_path_segments")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch06_path_segments.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch06_path_segments;
#[cfg(feature = "ex_ch06_range")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch06_range.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch06_range;
#[cfg(feature = "ex_ch07_content_range")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch07_content_range.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch07_content_range;
#[cfg(feature = "ex_ch07_output_name")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch07_output_name.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch07_output_name;
#[cfg(feature = "ex_ch07_upload_name")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch07_upload_name.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch07_upload_name;
#[cfg(feature = "ex_ch08_accept_key")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch08_accept_key.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch08_accept_key;
#[cfg(feature = "ex_ch08_frame_header")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch08_frame_header.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch08_frame_header;
#[cfg(feature = "ex_ch08_utf8_prefix")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch08_utf8_prefix.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch08_utf8_prefix;
#[cfg(feature = "ex_ch09_json_parse")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch09_json_parse.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch09_json_parse;
#[cfg(feature = "ex_ch09_json_string")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch09_json_string.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch09_json_string;
#[cfg(feature = "ex_ch09_nickname")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch09_nickname.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch09_nickname;
#[cfg(feature = "ex_ch09_outbox")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch09_outbox.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch09_outbox;
#[cfg(feature = "ex_ch10_check")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch10_check.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch10_check;
#[cfg(feature = "ex_ch10_timeout")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch10_timeout.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch10_timeout;
#[cfg(feature = "ex_ch10_token")]
#[cfg_attr(feature = "workbook_pristine", path = "stubs/ch10_token.rs")]
#[allow(unused_variables, dead_code, clippy::ptr_arg)]
pub mod ch10_token;
