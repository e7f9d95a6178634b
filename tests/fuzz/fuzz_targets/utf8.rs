#![no_main]
// Properties: tests/fuzz/src/lib.rs, `utf8`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wirebook_fuzz::utf8(data));
