//! Exercise ch08_accept_key: `Sec-WebSocket-Accept` (RFC 6455 §4.2.2).
//! Reread chapters/08-websocket.md, "The accept key".
//! The reference is `accept_key` in src/ch08_websocket/accept.rs.

#[allow(unused_imports)]
use base64::{Engine, engine::general_purpose::STANDARD};
#[allow(unused_imports)]
use sha1::{Digest, Sha1};

/// The GUID every WebSocket server appends to the client's key.
pub const GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`: the base64
/// encoding of the SHA-1 of the key (as the text it is, not decoded)
/// followed by the GUID. RFC 6455 §1.3 works one example through:
/// `dGhlIHNhbXBsZSBub25jZQ==` gives `s3pPLMBiTxaQ9kYGzzhZRbK+xOo=`.
pub fn accept_key(key: &str) -> String {
    todo!("hash {key:?} and the GUID")
}
