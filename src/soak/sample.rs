//! Watching the server from outside: resident memory, open file
//! descriptors and threads, read from `/proc/PID/` (Linux), and the
//! least-squares slope that says whether they stay flat.

use std::io::{self, Write};
use std::path::Path;

/// One sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Seconds since the load started.
    pub t: f64,
    pub rss_kib: u64,
    pub fds: u64,
    pub threads: u64,
    /// Well-formed HTTP requests answered a second, since the last sample.
    pub requests_per_s: f64,
    /// WebSocket messages a second, since the last sample.
    pub messages_per_s: f64,
}

/// What `/proc/PID/` says about a process; `None` once it is gone or a
/// zombie (it died).
pub fn read_proc(pid: u32) -> Option<(u64, u64, u64)> {
    let dir = Path::new("/proc").join(pid.to_string());
    let status = std::fs::read_to_string(dir.join("status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().trim_end_matches(" kB").trim().to_string())
    };
    if field("State:").is_some_and(|s| s.starts_with('Z')) {
        return None;
    }
    let rss = field("VmRSS:")?.parse().ok()?;
    let threads = field("Threads:")?.parse().ok()?;
    let fds = std::fs::read_dir(dir.join("fd")).ok()?.count() as u64;
    Some((rss, fds, threads))
}

/// Writes the samples as CSV, one line each, with a header.
pub fn write_csv(path: &Path, samples: &[Sample]) -> io::Result<()> {
    let mut out = Vec::new();
    writeln!(out, "t_s,rss_kib,fds,threads,requests_per_s,messages_per_s")?;
    for s in samples {
        writeln!(
            out,
            "{:.1},{},{},{},{:.1},{:.1}",
            s.t, s.rss_kib, s.fds, s.threads, s.requests_per_s, s.messages_per_s
        )?;
    }
    std::fs::write(path, out)
}

/// The least-squares slope of `y` over `x` (units of y per unit of x),
/// and its standard error; `(0, 0)` with fewer than three points or no
/// spread in x.
pub fn slope(points: &[(f64, f64)]) -> (f64, f64) {
    let n = points.len() as f64;
    if points.len() < 3 {
        return (0.0, 0.0);
    }
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    if sxx == 0.0 {
        return (0.0, 0.0);
    }
    let b = sxy / sxx;
    let residuals: f64 = points
        .iter()
        .map(|p| (p.1 - my - b * (p.0 - mx)).powi(2))
        .sum();
    (b, (residuals / (n - 2.0) / sxx).sqrt())
}

/// A growth is a leak when its slope is over the limit **and** more than
/// this many standard errors above zero: one noisy sample (a burst of
/// connections in transit) does not fail a soak, a steady climb does.
pub const SIGNIFICANCE: f64 = 3.0;

/// Whether `(slope, error)` is a growth beyond `limit`.
pub fn grows(fit: (f64, f64), limit: f64) -> bool {
    fit.0 > limit && fit.0 > SIGNIFICANCE * fit.1
}

/// How flat is flat: the growth allowed after warm-up, per minute.
///
/// * **Memory: 1 MiB a minute**, or 2 MiB over the whole window if that is
///   more (short runs). The load makes thousands of requests a minute, so
///   a leak of even one small buffer per request or per connection would
///   be several MiB a minute; below this, growth cannot be told from the
///   allocator settling its arenas in a run of minutes.
/// * **File descriptors and threads: 1 a minute**, or 4 over the window.
///   The steady load holds the same number of connections all along, and
///   samples are taken between reconnect storms, so what remains is the
///   handful of connections in transit at the instant of a sample. A
///   leaked descriptor per storm would be 2 a minute.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub rss_kib_per_min: f64,
    pub count_per_min: f64,
}

impl Limits {
    /// The limits for a window of `minutes` after warm-up.
    pub fn for_window(minutes: f64) -> Limits {
        let m = minutes.max(1e-3);
        Limits {
            rss_kib_per_min: 1024f64.max(2048.0 / m),
            count_per_min: 1f64.max(4.0 / m),
        }
    }
}

/// Slopes after warm-up, per minute, with their standard errors:
/// RSS KiB, fds, threads.
pub fn slopes(samples: &[Sample]) -> [(f64, f64); 3] {
    let per_min = |f: fn(&Sample) -> f64| {
        let pts: Vec<(f64, f64)> = samples.iter().map(|s| (s.t / 60.0, f(s))).collect();
        slope(&pts)
    };
    [
        per_min(|s| s.rss_kib as f64),
        per_min(|s| s.fds as f64),
        per_min(|s| s.threads as f64),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slope_of_a_line_is_its_gradient() {
        let pts: Vec<(f64, f64)> = (0..10).map(|x| (x as f64, 3.0 * x as f64 + 7.0)).collect();
        let (b, se) = slope(&pts);
        assert!((b - 3.0).abs() < 1e-9 && se < 1e-9);
        assert!(grows((b, se), 2.0) && !grows((b, se), 4.0));
        assert_eq!(slope(&[(1.0, 5.0), (2.0, 9.0)]), (0.0, 0.0));
        assert_eq!(slope(&[(1.0, 5.0), (1.0, 9.0), (1.0, 7.0)]), (0.0, 0.0));
    }

    #[test]
    fn one_outlier_is_not_a_leak() {
        // Flat at 50 but for one dip right after warm-up.
        let pts: Vec<(f64, f64)> = (0..9)
            .map(|x| (x as f64, if x == 0 { 34.0 } else { 50.0 + (x % 3) as f64 }))
            .collect();
        let fit = slope(&pts);
        assert!(fit.0 > 1.0 && !grows(fit, 1.0), "{fit:?}");
    }

    #[test]
    fn this_process_can_be_read_from_proc() {
        let (rss, fds, threads) = read_proc(std::process::id()).expect("/proc");
        assert!(rss > 0 && fds >= 3 && threads >= 1);
    }
}
