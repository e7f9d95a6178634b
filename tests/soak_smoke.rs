//! The soak of `make soak`, for about five seconds against the capstone
//! built for the tests: every kind of load at once, then SIGTERM; it must
//! pass (no failed request, every WebSocket closed with 1001, exit 0).

use std::time::Duration;

use wirebook::soak::{Config, run};
use wirebook::testkit::TempDir;

#[test]
fn capstone_passes_a_short_soak() {
    let out = TempDir::new("soak");
    let mut cfg = Config::new(env!("CARGO_BIN_EXE_wirebook"));
    // Few workers, so that their stacks are warm within the first seconds
    // and flatness can be judged in so short a run.
    cfg.server_args = vec!["--quiet".into(), "--threads".into(), "8".into()];
    cfg.duration = Duration::from_secs(5);
    cfg.sample_every = Duration::from_secs(1);
    cfg.clients = 1;
    cfg.storm_size = 16;
    cfg.out_dir = out.path.clone();
    let report = run(&cfg).expect("soak runs");
    let summary = report.summary();
    assert!(report.passed(), "{summary}");
    assert!(report.requests > 0 && report.messages > 0, "{summary}");
    assert_eq!(report.endings.len(), 2, "{summary}");
    let csv = std::fs::read_to_string(out.join("samples.csv")).expect("samples.csv");
    assert_eq!(csv.lines().count(), report.samples.len() + 1);
    let svg = std::fs::read_to_string(out.join("soak.svg")).expect("soak.svg");
    assert!(svg.contains("<polyline"));
}
