#![no_main]
// Properties: tests/fuzz/src/lib.rs, `url`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wirebook_fuzz::url(data));
