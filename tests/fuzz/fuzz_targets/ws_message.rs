#![no_main]
// Properties: tests/fuzz/src/lib.rs, `ws_message`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wirebook_fuzz::ws_message(data));
