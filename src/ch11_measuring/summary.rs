//! The result of one load run, as one line of text.
//!
//! wrk reports through a Lua hook (`tests/peers/wrk_report.lua`) and
//! [`wsload`](super::wsload) prints the same line itself, so one parser reads
//! both:
//!
//! ```text
//! BENCH requests=81234 duration_us=2000113 bytes=9016974 p50_us=712 p99_us=2048 max_us=9120 connect_errors=0 ...
//! ```
//!
//! Every key that ends in `errors`, plus `timeouts` and `bad_status`, is
//! counted as an error.

use std::fmt;

/// The prefix of the summary line.
pub const PREFIX: &str = "BENCH ";

/// What one load run measured.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    /// Requests answered (HTTP) or round trips completed (WebSocket).
    pub count: u64,
    /// How long the measured part lasted, in seconds.
    pub secs: f64,
    /// Bytes received by the load generator.
    pub bytes: u64,
    pub p50_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    /// Failed connections, reads, writes, timeouts, wrong answers.
    pub errors: u64,
}

impl Summary {
    /// Requests or round trips a second.
    pub fn per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.count as f64 / self.secs
        } else {
            0.0
        }
    }

    /// MiB received a second.
    pub fn mib_per_sec(&self) -> f64 {
        if self.secs > 0.0 {
            self.bytes as f64 / self.secs / (1024.0 * 1024.0)
        } else {
            0.0
        }
    }

    /// Finds the last summary line in a load generator's output.
    pub fn find(output: &str) -> Result<Summary, String> {
        let line = output
            .lines()
            .rev()
            .find(|l| l.starts_with(PREFIX))
            .ok_or_else(|| format!("no `{}` line in the output", PREFIX.trim_end()))?;
        Summary::parse(line)
    }

    /// Parses one `BENCH key=value ...` line.
    pub fn parse(line: &str) -> Result<Summary, String> {
        let rest = line
            .strip_prefix(PREFIX)
            .ok_or_else(|| format!("not a summary line: {line:?}"))?;
        let mut s = Summary::default();
        let mut seen = [false; 3];
        for pair in rest.split_whitespace() {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("`{pair}` is not key=value"))?;
            let n: u64 = value
                .parse()
                .map_err(|_| format!("`{key}` has a bad value `{value}`"))?;
            match key {
                "requests" => (s.count, seen[0]) = (n, true),
                "duration_us" => (s.secs, seen[1]) = (n as f64 / 1e6, true),
                "bytes" => (s.bytes, seen[2]) = (n, true),
                "p50_us" => s.p50_us = n,
                "p99_us" => s.p99_us = n,
                "max_us" => s.max_us = n,
                k if k.ends_with("errors") || k == "timeouts" || k == "bad_status" => s.errors += n,
                _ => {} // newer keys are ignored
            }
        }
        if seen != [true; 3] {
            return Err(format!(
                "a summary needs requests, duration_us and bytes: {line:?}"
            ));
        }
        Ok(s)
    }
}

impl fmt::Display for Summary {
    /// The line [`Summary::parse`] reads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{PREFIX}requests={} duration_us={} bytes={} p50_us={} p99_us={} max_us={} errors={}",
            self.count,
            (self.secs * 1e6).round() as u64,
            self.bytes,
            self.p50_us,
            self.p99_us,
            self.max_us,
            self.errors
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRK: &str = "Running 2s test @ http://127.0.0.1:40001/hello
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   524.12us  201.33us   9.12ms   91.02%
  81234 requests in 2.00s, 9.60MB read
Requests/sec:  40616.11
Transfer/sec:      4.80MB
BENCH requests=81234 duration_us=2000113 bytes=10070000 p50_us=498 p99_us=1203 max_us=9120 connect_errors=0 read_errors=2 write_errors=0 timeouts=1 bad_status=3
";

    #[test]
    fn wrk_output_yields_its_summary_line() {
        let s = Summary::find(WRK).unwrap();
        assert_eq!(s.count, 81234);
        assert_eq!((s.p50_us, s.p99_us, s.max_us), (498, 1203, 9120));
        assert_eq!(s.errors, 6, "read errors, timeouts and bad statuses add up");
        assert!((s.per_sec() - 40615.7).abs() < 1.0, "{}", s.per_sec());
        assert!((s.mib_per_sec() - 4.80).abs() < 0.01);
    }

    #[test]
    fn a_summary_survives_its_own_display() {
        let s = Summary {
            count: 1234,
            secs: 2.5,
            bytes: 99,
            p50_us: 10,
            p99_us: 20,
            max_us: 30,
            errors: 4,
        };
        assert_eq!(Summary::parse(&s.to_string()).unwrap(), s);
    }

    #[test]
    fn missing_or_broken_summaries_are_errors() {
        assert!(Summary::find("Requests/sec: 1\n").is_err());
        assert!(Summary::parse("BENCH requests=1 bytes=2").is_err());
        assert!(Summary::parse("BENCH requests=x duration_us=1 bytes=2").is_err());
        assert!(Summary::parse("BENCH requests").is_err());
    }
}
