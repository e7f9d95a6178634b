#![no_main]
// Properties: tests/fuzz/src/lib.rs, `json_reader`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wirebook_fuzz::json_reader(data));
