#![no_main]
// Properties: tests/fuzz/src/lib.rs, `range`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wirebook_fuzz::range(data));
