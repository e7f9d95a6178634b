//! Download progress on stderr: a redrawn bar when stderr is a terminal,
//! plain lines (at most one a second) when it is a pipe or a log file,
//! where `\r` redraws would pile up as garbage.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// `1536` → `1.5 KiB`.
pub fn format_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// `83` → `1:23`; `3725` → `1:02:05`.
pub fn format_duration(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// One progress line: bytes so far, percent and a bar (when the total is
/// known), rate, and time left. `done` and `total` count the whole file
/// (a resumed download starts at its offset); `rate` is bytes per second
/// of this run.
pub fn progress_line(done: u64, total: Option<u64>, rate: f64, bar_width: usize) -> String {
    let rate_s = format!("{}/s", format_bytes(rate as u64));
    match total {
        Some(t) if t > 0 => {
            let frac = (done as f64 / t as f64).min(1.0);
            let filled = (frac * bar_width as f64).round() as usize;
            let eta = if rate > 0.0 {
                format_duration(((t.saturating_sub(done)) as f64 / rate).ceil() as u64)
            } else {
                "?".to_string()
            };
            format!(
                "[{}{}] {:>3}% {} / {}  {}  ETA {}",
                "#".repeat(filled),
                "-".repeat(bar_width - filled),
                (frac * 100.0).floor() as u64,
                format_bytes(done),
                format_bytes(t),
                rate_s,
                eta
            )
        }
        _ => format!("{}  {}", format_bytes(done), rate_s),
    }
}

/// The progress display of one transfer.
pub struct Progress {
    total: Option<u64>,
    start_offset: u64,
    done: u64,
    started: Instant,
    last_shown: Option<Instant>,
    terminal: bool,
    quiet: bool,
}

impl Progress {
    /// `total` is the full size if known; `offset` the bytes already there
    /// (resume). `quiet` shows nothing.
    pub fn new(total: Option<u64>, offset: u64, quiet: bool) -> Progress {
        Progress {
            total,
            start_offset: offset,
            done: offset,
            started: Instant::now(),
            last_shown: None,
            terminal: std::io::stderr().is_terminal(),
            quiet,
        }
    }

    fn rate(&self) -> f64 {
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        (self.done - self.start_offset) as f64 / secs
    }

    /// Counts `n` more bytes and redraws if it is time to.
    pub fn advance(&mut self, n: u64) {
        self.done += n;
        let every = if self.terminal {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(1)
        };
        if self.last_shown.is_none_or(|t| t.elapsed() >= every) {
            self.show();
        }
    }

    fn show(&mut self) {
        self.last_shown = Some(Instant::now());
        if self.quiet {
            return;
        }
        let line = progress_line(self.done, self.total, self.rate(), 30);
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r{line}\x1b[K");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    /// Draws the final state and ends the line.
    pub fn finish(&mut self) {
        self.show();
        if self.terminal && !self.quiet {
            eprintln!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_well() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(8 * 1024 * 1024), "8.0 MiB");
        assert_eq!(format_duration(83), "1:23");
        assert_eq!(format_duration(3725), "1:02:05");
    }

    #[test]
    fn line_has_bar_percent_rate_and_eta() {
        let l = progress_line(512 * 1024, Some(1024 * 1024), 256.0 * 1024.0, 10);
        assert_eq!(
            l,
            "[#####-----]  50% 512.0 KiB / 1.0 MiB  256.0 KiB/s  ETA 0:02"
        );
        assert_eq!(progress_line(2048, None, 1024.0, 10), "2.0 KiB  1.0 KiB/s");
        assert!(progress_line(0, Some(10), 0.0, 4).ends_with("ETA ?"));
    }
}
