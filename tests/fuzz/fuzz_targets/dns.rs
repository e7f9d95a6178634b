#![no_main]
// Properties: tests/fuzz/src/lib.rs, `dns_message`.
libfuzzer_sys::fuzz_target!(|data: &[u8]| wirebook_fuzz::dns_message(data));
