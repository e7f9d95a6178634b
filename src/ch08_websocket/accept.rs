//! The accept key: the server's proof that it read the client's handshake
//! (RFC 6455 §4.2.2 step 5.4, §1.3).
//!
//! The client sends 16 random bytes, base64-encoded, in `Sec-WebSocket-Key`;
//! the server answers `base64(SHA-1(key + GUID))` in `Sec-WebSocket-Accept`.
//! It is not security: it stops a server that does not speak WebSocket (or
//! a cache replaying an old answer) from "accepting" by accident.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha1::{Digest, Sha1};

/// The fixed GUID every WebSocket server appends to the key (RFC 6455 §1.3).
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `Sec-WebSocket-Accept` for a `Sec-WebSocket-Key`. The key is used as the
/// text it is (not decoded), exactly as RFC 6455 §4.2.2 says.
pub fn accept_key(key: &str) -> String {
    exercise!("ex_ch08_accept_key", ch08_accept_key::accept_key(key));
    let mut h = Sha1::new();
    h.update(key.as_bytes());
    h.update(GUID.as_bytes());
    STANDARD.encode(h.finalize())
}

/// Whether `key` is what §4.1 requires: the base64 encoding of exactly 16
/// bytes (24 characters ending in `==`). Anything else gets a 400.
pub fn is_valid_key(key: &str) -> bool {
    key.len() == 24
        && STANDARD
            .decode(key.as_bytes())
            .is_ok_and(|bytes| bytes.len() == 16)
}

/// A fresh client key: 16 random bytes, base64-encoded (§4.1: "randomly
/// selected").
pub fn new_key(rng: &mut crate::rng::Rng) -> String {
    let mut nonce = [0u8; 16];
    rng.fill(&mut nonce);
    STANDARD.encode(nonce)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_6455_sample_key() {
        // RFC 6455 §1.3.
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn keys_must_be_sixteen_bytes_of_base64() {
        assert!(is_valid_key("dGhlIHNhbXBsZSBub25jZQ=="));
        // 15 and 17 bytes, not base64, unpadded, whitespace inside.
        assert!(!is_valid_key(&STANDARD.encode([0u8; 15])));
        assert!(!is_valid_key(&STANDARD.encode([0u8; 17])));
        assert!(!is_valid_key("not base64 at all!!!!!!!"));
        assert!(!is_valid_key("dGhlIHNhbXBsZSBub25jZQ"));
        assert!(!is_valid_key("dGhlIHNhbXBs ZSBub25jZQ="));
        assert!(!is_valid_key(""));
    }

    #[test]
    fn new_keys_are_valid_and_differ() {
        let mut rng = crate::rng::Rng::new();
        let a = new_key(&mut rng);
        let b = new_key(&mut rng);
        assert!(is_valid_key(&a) && is_valid_key(&b));
        assert_ne!(a, b);
    }
}
