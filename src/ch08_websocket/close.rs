//! Close codes and the close frame's payload (RFC 6455 §5.5.1, §7.4).
//!
//! A close frame's payload is empty, or a 2-byte big-endian code followed by
//! a UTF-8 reason. A peer that sends a code nobody may send (1005, 1006 and
//! 1015 exist only to *report* a missing code, an abnormal drop and a TLS
//! failure locally), an unassigned one, or a reason that is not UTF-8 has
//! broken the protocol.
//!
//! The last step of a close, after the close frames, is closing TCP
//! ([`close_tcp`]).

use std::io::Read;
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// 1000: the purpose of the connection has been fulfilled.
pub const NORMAL: u16 = 1000;
/// 1001: going away (server shutting down, page navigated away, idle).
pub const GOING_AWAY: u16 = 1001;
/// 1002: protocol error.
pub const PROTOCOL_ERROR: u16 = 1002;
/// 1003: a type of data this endpoint cannot accept.
pub const UNSUPPORTED_DATA: u16 = 1003;
/// 1005: no code was present (never sent on the wire).
pub const NO_STATUS: u16 = 1005;
/// 1006: the connection dropped without a close frame (never sent).
pub const ABNORMAL: u16 = 1006;
/// 1007: data inconsistent with the message type (text that is not UTF-8).
pub const INVALID_PAYLOAD: u16 = 1007;
/// 1008: a policy violation.
pub const POLICY_VIOLATION: u16 = 1008;
/// 1009: a message too big to process.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// 1011: the server hit an unexpected condition.
pub const INTERNAL_ERROR: u16 = 1011;

/// Whether `code` may appear in a close frame on the wire (§7.4.1, §7.4.2
/// and the IANA registry): 1000–1003, 1007–1014 and the ranges 3000–4999
/// (libraries, frameworks, applications). 0–999, 1004–1006, 1015,
/// 1016–2999 and 5000+ are a protocol error.
pub fn is_valid_code(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Why a close payload is invalid, and the code that says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseError {
    /// One byte: half a code.
    Truncated,
    /// A code that may not be sent.
    BadCode(u16),
    /// The reason is not UTF-8 (1007).
    BadReason,
}

impl CloseError {
    pub fn close_code(&self) -> u16 {
        match self {
            CloseError::BadReason => INVALID_PAYLOAD,
            _ => PROTOCOL_ERROR,
        }
    }
}

impl std::fmt::Display for CloseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseError::Truncated => f.write_str("close payload of 1 byte"),
            CloseError::BadCode(c) => write!(f, "close code {c} may not be sent"),
            CloseError::BadReason => f.write_str("close reason is not UTF-8"),
        }
    }
}

/// A received close frame's content: `None` if it carried no code.
pub fn parse_payload(payload: &[u8]) -> Result<Option<(u16, String)>, CloseError> {
    match payload {
        [] => Ok(None),
        [_] => Err(CloseError::Truncated),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !is_valid_code(code) {
                return Err(CloseError::BadCode(code));
            }
            let reason = std::str::from_utf8(reason).map_err(|_| CloseError::BadReason)?;
            Ok(Some((code, reason.to_string())))
        }
    }
}

/// A close frame's payload for `code` and `reason`; the reason is cut (at a
/// character boundary) so that the payload fits a control frame's 125 bytes.
pub fn payload(code: u16, reason: &str) -> Vec<u8> {
    let mut end = reason.len().min(super::frame::MAX_CONTROL_PAYLOAD - 2);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let mut p = Vec::with_capacity(2 + end);
    p.extend_from_slice(&code.to_be_bytes());
    p.extend_from_slice(&reason.as_bytes()[..end]);
    p
}

/// Closes TCP after the close handshake (or a failure). The writing side
/// is shut first so the peer sees our close frame followed by FIN; then
/// what the peer still sends is read and dropped for at most `linger` and
/// 1 MiB (a deadline, since a peer that trickles a byte now and then never
/// lets a read time out). Closing a socket with unread bytes makes the
/// kernel send RST, which can destroy our close frame before the peer has
/// read it.
pub fn close_tcp(tcp: &TcpStream, linger: Duration) {
    let _ = tcp.shutdown(Shutdown::Write);
    let deadline = Instant::now() + linger;
    let mut sink = [0u8; 4096];
    let mut budget = 1024 * 1024;
    let mut reader = tcp;
    while budget > 0 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || tcp.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match reader.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => budget -= n.min(budget),
        }
    }
    let _ = tcp.shutdown(Shutdown::Both);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_ranges() {
        for ok in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 4999,
        ] {
            assert!(is_valid_code(ok), "{ok}");
        }
        for bad in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535,
        ] {
            assert!(!is_valid_code(bad), "{bad}");
        }
    }

    #[test]
    fn payloads_parse_and_fail_with_the_right_code() {
        assert_eq!(parse_payload(b""), Ok(None));
        assert_eq!(
            parse_payload(b"\x03\xe8bye"),
            Ok(Some((1000, "bye".to_string())))
        );
        assert_eq!(parse_payload(b"\x03").unwrap_err().close_code(), 1002);
        assert_eq!(parse_payload(b"\x03\xed").unwrap_err().close_code(), 1002);
        assert_eq!(
            parse_payload(b"\x03\xe8\xff\xfe").unwrap_err().close_code(),
            1007
        );
    }

    #[test]
    fn long_reasons_are_cut_at_a_char_boundary() {
        let p = payload(1000, &"é".repeat(100));
        assert!(p.len() <= 125);
        assert!(parse_payload(&p).is_ok());
    }
}
