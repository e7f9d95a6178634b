//! A server's CPU time and memory, read from `/proc` (Linux, `proc(5)`).
//!
//! A server may be several processes (nginx's master and its worker) and
//! many threads. [`tree`] lists a process and all its descendants; CPU time
//! and resident memory are summed over that list.
//!
//! Two numbers std has no API for come from the C library: the clock tick
//! (`sysconf(_SC_CLK_TCK)`), the unit of `/proc/PID/stat`'s times, and the
//! limit on open files (`getrlimit`/`setrlimit`), which holding 10,000 idle
//! connections exceeds.

use std::fs;

unsafe extern "C" {
    fn sysconf(name: i32) -> i64;
    fn getrlimit(resource: i32, rlim: *mut [u64; 2]) -> i32;
    fn setrlimit(resource: i32, rlim: *const [u64; 2]) -> i32;
}

/// `_SC_CLK_TCK` in glibc's and musl's `unistd.h`.
const SC_CLK_TCK: i32 = 2;
/// `RLIMIT_NOFILE` on Linux.
const RLIMIT_NOFILE: i32 = 7;

/// Clock ticks a second: the unit of utime and stime (100 almost everywhere).
pub fn ticks_per_sec() -> u64 {
    // SAFETY: sysconf takes an integer and touches no memory of ours.
    let t = unsafe { sysconf(SC_CLK_TCK) };
    if t > 0 { t as u64 } else { 100 }
}

/// Raises this process's limit on open files towards `want` (children
/// inherit it) and returns the limit now in force. Past the hard limit only
/// root may go; then the hard limit is used.
pub fn raise_open_files(want: u64) -> u64 {
    let mut lim = [0u64; 2];
    // SAFETY: rlimit is two 64-bit integers (soft, hard) on 64-bit Linux.
    if unsafe { getrlimit(RLIMIT_NOFILE, &mut lim) } != 0 {
        return 0;
    }
    if lim[0] >= want {
        return lim[0];
    }
    let wanted = [want, want.max(lim[1])];
    // SAFETY: as above; a refusal leaves the limit unchanged.
    if unsafe { setrlimit(RLIMIT_NOFILE, &wanted) } == 0 {
        return want;
    }
    let soft = [lim[1], lim[1]];
    // SAFETY: as above.
    if unsafe { setrlimit(RLIMIT_NOFILE, &soft) } == 0 {
        lim[1]
    } else {
        lim[0]
    }
}

/// `pid` and every process descended from it.
pub fn tree(pid: u32) -> Vec<u32> {
    let mut all = vec![pid];
    let mut i = 0;
    while i < all.len() {
        let p = all[i];
        if let Ok(tasks) = fs::read_dir(format!("/proc/{p}/task")) {
            for task in tasks.flatten() {
                let children = fs::read_to_string(task.path().join("children")).unwrap_or_default();
                all.extend(
                    children
                        .split_whitespace()
                        .filter_map(|c| c.parse::<u32>().ok()),
                );
            }
        }
        i += 1;
    }
    all.sort_unstable();
    all.dedup();
    all
}

/// utime + stime, in clock ticks, from the text of `/proc/PID/stat`. The
/// command name (field 2) may hold spaces and parentheses, so fields are
/// counted from the last `)`.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    // After the name: state is field 3; utime is field 14 and stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// VmRSS in KiB from the text of `/proc/PID/status`.
pub fn parse_status_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU time used so far by `pids`, in microseconds.
pub fn cpu_micros(pids: &[u32]) -> u64 {
    let ticks: u64 = pids
        .iter()
        .filter_map(|p| fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .filter_map(|s| parse_stat_ticks(&s))
        .sum();
    ticks * 1_000_000 / ticks_per_sec()
}

/// Resident memory of `pids` together, in KiB.
pub fn rss_kib(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|p| fs::read_to_string(format!("/proc/{p}/status")).ok())
        .filter_map(|s| parse_status_rss_kib(&s))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_times_are_read_past_a_tricky_name() {
        let stat = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 3032 0 0 0 \
                    117 45 0 0 20 0 9 0 1234 1000 200 18446744073709551615";
        assert_eq!(parse_stat_ticks(stat), Some(162));
        assert_eq!(parse_stat_ticks("no parens here"), None);
    }

    #[test]
    fn status_gives_the_resident_set() {
        let status = "Name:\tnginx\nVmPeak:\t  10000 kB\nVmRSS:\t    5120 kB\nThreads:\t1\n";
        assert_eq!(parse_status_rss_kib(status), Some(5120));
        assert_eq!(parse_status_rss_kib("Name: x\n"), None);
    }

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let me = std::process::id();
        assert!(tree(me).contains(&me));
        assert!(rss_kib(&[me]) > 0);
        let _ = cpu_micros(&[me]);
        assert!(ticks_per_sec() >= 1);
    }
}
