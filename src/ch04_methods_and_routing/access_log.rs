//! The access log: one line per response, on stderr.

use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use crate::ch02_http_by_hand::head::Version;

/// One line of the access log.
#[derive(Debug, Clone)]
pub struct LogEntry<'a> {
    pub peer: SocketAddr,
    pub method: &'a str,
    pub target: &'a str,
    pub version: Version,
    pub status: u16,
    pub body_bytes: u64,
    pub duration: Duration,
}

impl fmt::Display for LogEntry<'_> {
    /// `127.0.0.1:50312 "GET /hello HTTP/1.1" 200 12 0.084ms`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} \"{} {} {}\" {} {} {:.3}ms",
            self.peer,
            self.method,
            crate::trace::escape(self.target.as_bytes()),
            self.version,
            self.status,
            self.body_bytes,
            self.duration.as_secs_f64() * 1000.0
        )
    }
}

/// Where log lines go: stderr, or nowhere (`--quiet`).
#[derive(Debug, Clone, Copy, Default)]
pub struct AccessLog {
    pub quiet: bool,
}

impl AccessLog {
    pub fn record(&self, entry: &LogEntry<'_>) {
        if !self.quiet {
            eprintln!("{entry}");
        }
    }
}
