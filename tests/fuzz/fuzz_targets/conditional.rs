#![no_main]
// Properties: tests/fuzz/src/lib.rs, `conditional`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wirebook_fuzz::conditional(data));
