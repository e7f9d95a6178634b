//! `ch01_lookup NAME`: names to addresses, with the system resolver or with
//! a DNS query built by hand (`--server`). See `chapters/01-sockets.md`.

use std::net::{IpAddr, SocketAddr};
use std::process;

use wirebook::ch01_sockets::dns::QType;
use wirebook::ch01_sockets::lookup;
use wirebook::ch01_sockets::retry::RetryPolicy;
use wirebook::cli::Args;

const PROG: &str = "ch01_lookup";

fn main() {
    let mut args = Args::from_env(
        PROG,
        "Prints the addresses of NAME, one a line. Without --server it asks the\n\
         system resolver (getaddrinfo: /etc/hosts, /etc/resolv.conf...); with\n\
         --server it sends a DNS query built by hand over UDP to that server.",
        "NAME [--server IP[:PORT]] [--type A|AAAA] [--timeout SECS] [--retries N] [--trace]",
    );
    args.describe("NAME                 the name to look up, e.g. localhost");
    args.describe("--server IP[:PORT]   ask this DNS server directly (port 53 if omitted)");
    args.describe(
        "--type A|AAAA        IPv4 or IPv6 addresses (default: A with --server, both without)",
    );
    args.describe("--timeout SECS       --server: wait this long for each answer (default 1)");
    args.describe("--retries N          --server: send again up to N times (default 2)");
    args.describe("--trace              dump the DNS query and answer (--server) on stderr");
    args.handle_help();
    let defaults = RetryPolicy::default();
    let server = args.value("--server").map(|v| match parse_server(&v) {
        Some(a) => a,
        None => args.fail(format!(
            "invalid value `{v}` for --server: expected IP or IP:PORT, e.g. 127.0.0.1:53"
        )),
    });
    let qtype: Option<QType> = args.value("--type").map(|v| match v.parse() {
        Ok(t) => t,
        Err(e) => args.fail(format!("invalid value `{v}` for --type: {e}")),
    });
    let timeout = args.duration("--timeout", defaults.timeout);
    let retries: u32 = args.parsed("--retries", defaults.retries);
    let trace = args.flag("--trace");
    let name = args.positional("NAME");
    args.finish();
    if trace {
        wirebook::trace::enable();
    }
    let addrs: Vec<IpAddr> = match server {
        None => match lookup::system(&name) {
            Ok(addrs) => {
                wirebook::trace::note(
                    "getaddrinfo",
                    format!(
                        "the system resolver gave {} address(es) for {name}",
                        addrs.len()
                    ),
                );
                addrs
            }
            Err(e) => fail(format!("cannot resolve {name}: {e}")),
        }
        .into_iter()
        .filter(|a| match qtype {
            None => true,
            Some(QType::A) => a.is_ipv4(),
            Some(QType::Aaaa) => a.is_ipv6(),
        })
        .collect(),
        Some(server) => {
            let qtype = qtype.unwrap_or(QType::A);
            let opts = RetryPolicy { timeout, retries };
            match lookup::query(server, &name, qtype, &opts) {
                Ok(answer) => {
                    for c in &answer.cnames {
                        eprintln!("{PROG}: {name} is an alias of {c}");
                    }
                    answer.addrs
                }
                Err(e) => fail(format!("{name} via {server}: {e}")),
            }
        }
    };
    if addrs.is_empty() {
        let what = qtype.map(|t| format!("{t} ")).unwrap_or_default();
        fail(format!("{name} exists but has no {what}addresses"));
    }
    for a in addrs {
        println!("{a}");
    }
}

/// `IP:PORT`, `[IPv6]:PORT`, or a bare IP (port 53). Only literals: the
/// server that resolves names cannot itself be found by name.
fn parse_server(s: &str) -> Option<SocketAddr> {
    s.parse::<SocketAddr>()
        .ok()
        .or_else(|| s.parse::<IpAddr>().ok().map(|ip| SocketAddr::new(ip, 53)))
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("{PROG}: error: {msg}");
    process::exit(1)
}
