#![no_main]
// Properties: tests/fuzz/src/lib.rs, `chunked`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wirebook_fuzz::chunked(data));
