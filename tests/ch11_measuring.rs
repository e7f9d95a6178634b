//! Chapter 11's tools against the book's real servers, over loopback. The
//! benchmark itself is `make bench`; these only prove that its pieces
//! measure what they claim, in a fraction of a second each.

use std::net::SocketAddr;
use std::time::Duration;

use wirebook::ch11_measuring::idle::{self, Kind};
use wirebook::ch11_measuring::plan::workloads;
use wirebook::ch11_measuring::report::{Report, Sample, markdown};
use wirebook::ch11_measuring::summary::Summary;
use wirebook::ch11_measuring::svg::ratio_chart;
use wirebook::testkit::{Server, run_client};

const WSLOAD: &str = env!("CARGO_BIN_EXE_ch11_wsload");
const BENCH: &str = env!("CARGO_BIN_EXE_ch11_bench");

fn v4(addr: SocketAddr) -> std::net::SocketAddrV4 {
    match addr {
        SocketAddr::V4(a) => a,
        SocketAddr::V6(_) => panic!("the test servers listen on 127.0.0.1"),
    }
}

#[test]
fn wsload_measures_round_trips_on_an_echo_server() {
    let server = Server::start(env!("CARGO_BIN_EXE_ch08_ws_echo"), &["--quiet"]);
    let url = format!("ws://{}/ws/echo", server.addr);
    let out = run_client(
        WSLOAD,
        &[&url, "2", "300", "0.3"],
        b"",
        Duration::from_secs(30),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = Summary::find(&String::from_utf8_lossy(&out.stdout)).unwrap();
    assert!(s.count > 0, "{s:?}");
    assert_eq!(s.errors, 0);
    assert_eq!(
        s.bytes,
        s.count * 300,
        "every echo is counted with its size"
    );
    assert!(s.p50_us <= s.p99_us && s.p99_us <= s.max_us, "{s:?}");
}

#[test]
fn wsload_refuses_bad_command_lines() {
    for args in [
        &["ws://192.0.2.1:80/", "1", "64", "1"][..],
        &["ws://127.0.0.1:9/", "0", "64", "1"],
        &["ws://127.0.0.1:9/", "1", "64", "0"],
        &["ws://127.0.0.1:9/", "1", "lots", "1"],
    ] {
        let out = run_client(WSLOAD, args, b"", Duration::from_secs(10));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    let out = run_client(BENCH, &["--rounds", "0"], b"", Duration::from_secs(10));
    assert_eq!(out.status.code(), Some(2));
    for bin in [WSLOAD, BENCH] {
        let out = run_client(bin, &["--help"], b"", Duration::from_secs(10));
        assert!(out.status.success(), "{bin} --help");
        assert!(String::from_utf8_lossy(&out.stdout).contains("Usage:"));
    }
}

#[test]
fn idle_connections_are_held_after_one_answer_each() {
    let server = Server::start(env!("CARGO_BIN_EXE_ch05_server"), &["--quiet"]);
    let held = idle::hold(
        v4(server.addr),
        40,
        &Kind::Http {
            path: "/hello".into(),
        },
    );
    assert_eq!(
        (held.streams.len(), held.failed),
        (40, 0),
        "{:?}",
        held.first_error
    );
    let ws = Server::start(env!("CARGO_BIN_EXE_ch08_ws_echo"), &["--quiet"]);
    let kind = Kind::WebSocket { path: "/".into() };
    let held = idle::hold(v4(ws.addr), 20, &kind);
    assert_eq!(
        (held.streams.len(), held.failed),
        (20, 0),
        "{:?}",
        held.first_error
    );
}

#[test]
fn a_report_and_its_chart_from_parsed_load_output() {
    // What wrk's hook and wsload print, turned into samples, as the driver does.
    let runs = [
        (
            "nginx-w1",
            "BENCH requests=200000 duration_us=2000000 bytes=1 p50_us=300 p99_us=900 max_us=5000 connect_errors=0 read_errors=0 write_errors=0 timeouts=0 bad_status=0",
        ),
        (
            "ch05_server",
            "BENCH requests=190000 duration_us=2000000 bytes=1 p50_us=310 p99_us=950 max_us=6000 connect_errors=0 read_errors=0 write_errors=0 timeouts=0 bad_status=0",
        ),
    ];
    let samples = runs
        .iter()
        .map(|(server, line)| {
            let s = Summary::parse(line).unwrap();
            Sample {
                round: 1,
                workload: "hello-c64".into(),
                server: server.to_string(),
                value: s.per_sec(),
                p50_us: Some(s.p50_us),
                p99_us: Some(s.p99_us),
                errors: s.errors,
                cpu_us: Some(5.0),
                detail: String::new(),
            }
        })
        .collect();
    let report = Report {
        date: "Sat, 05 Dec 2026 20:00:00 GMT".into(),
        command: "make bench".into(),
        rounds: 1,
        duration_secs: 2,
        workloads: workloads(&[]),
        samples,
        ..Report::default()
    };
    let md = markdown(&report);
    assert!(md.contains("| GET /hello, wrk -c64 | nginx-w1 | 100,000 req/s | 300 µs | 900 µs | 0 | 5.0 µs | 1 (peer) |"), "{md}");
    assert!(
        md.contains("|  | ch05_server | 95,000 req/s | 310 µs | 950 µs | 0 | 5.0 µs | 0.95 |"),
        "{md}"
    );
    let svg = ratio_chart("t", "s", &report.bars());
    assert!(
        svg.contains(">ch05_server</text>") && svg.contains(">0.95</text>"),
        "{svg}"
    );
}
