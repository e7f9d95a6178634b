#![no_main]
// Properties: tests/fuzz/src/lib.rs, `head_hand`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wirebook_fuzz::head_hand(data));
