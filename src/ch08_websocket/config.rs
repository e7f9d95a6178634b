//! The limits and timers of one WebSocket connection, and how reading
//! or writing can fail.

use std::fmt;
use std::io;
use std::time::Duration;

use super::close;
use super::message::Violation;

/// Limits and timers of a connection.
#[derive(Debug, Clone)]
pub struct Config {
    /// Largest frame payload accepted; a larger declared length is refused
    /// from the header with 1009, before anything is allocated for it.
    /// A frame is also held to `max_message` ([`Config::frame_limit`]): a
    /// data frame larger than a whole message could never be accepted.
    pub max_frame: usize,
    /// Largest message (all fragments together); past it, 1009.
    pub max_message: usize,
    /// After this long without a byte from the peer, send a ping; after
    /// twice this long, give up on the peer (close 1001). `None`: wait
    /// forever (only for tests and trusted peers).
    pub ping_interval: Option<Duration>,
    /// How long one write may block, and how long sending one frame may
    /// take beyond the time its size needs at 128 kbit/s: a peer that stops
    /// reading, or reads a byte now and then, must not hold a writer, or
    /// the mutex, forever.
    pub write_timeout: Option<Duration>,
    /// How long to wait for the peer's answer to our close frame, and for
    /// the peer to close TCP after the close handshake.
    pub close_timeout: Duration,
}

impl Config {
    /// The payload length a frame header may declare: `max_frame`, but
    /// never more than `max_message` (the limit is checked before the
    /// payload is buffered), and never less than a control frame's 125.
    pub fn frame_limit(&self) -> u64 {
        self.max_frame.min(self.max_message).max(125) as u64
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_frame: 16 * 1024 * 1024,
            max_message: 16 * 1024 * 1024,
            ping_interval: Some(Duration::from_secs(30)),
            write_timeout: Some(Duration::from_secs(10)),
            close_timeout: Duration::from_secs(2),
        }
    }
}

/// Why reading or writing failed.
#[derive(Debug)]
pub enum WsError {
    /// The transport failed, or the peer closed TCP without a close frame
    /// (`UnexpectedEof`; reported locally as 1006).
    Io(io::Error),
    /// The peer broke the protocol; we sent this close code and closed.
    Failed(Violation),
    /// The peer did not answer our pings (or our close frame) in time.
    Timeout,
    /// The connection is closed (or closing, or an earlier write failed):
    /// no more frames.
    Closed,
}

impl WsError {
    /// The close code this error amounts to (1006 for a dropped connection).
    pub fn close_code(&self) -> u16 {
        match self {
            WsError::Failed(v) => v.code,
            WsError::Timeout => close::GOING_AWAY,
            WsError::Io(_) => close::ABNORMAL,
            WsError::Closed => close::NORMAL,
        }
    }
}

impl fmt::Display for WsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WsError::Io(e) => write!(f, "connection failed: {e}"),
            WsError::Failed(v) => write!(f, "protocol error, closed with {v}"),
            WsError::Timeout => f.write_str("peer did not answer in time"),
            WsError::Closed => f.write_str("connection is closed"),
        }
    }
}

impl std::error::Error for WsError {}

impl From<io::Error> for WsError {
    fn from(e: io::Error) -> WsError {
        WsError::Io(e)
    }
}
