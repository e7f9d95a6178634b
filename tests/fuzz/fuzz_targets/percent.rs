#![no_main]
// Properties: tests/fuzz/src/lib.rs, `percent_codec`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wirebook_fuzz::percent_codec(data));
