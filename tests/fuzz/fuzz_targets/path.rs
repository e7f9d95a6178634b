#![no_main]
// Properties: tests/fuzz/src/lib.rs, `path`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wirebook_fuzz::path(data));
