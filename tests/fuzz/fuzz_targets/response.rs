#![no_main]
// Properties: tests/fuzz/src/lib.rs, `response`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wirebook_fuzz::response(data));
