//! What is measured: the servers and the workloads, as data.
//!
//! A server is a command line with placeholders; a workload names its load,
//! its servers, and the peer its ratios are taken against. To measure
//! another server, or a server with another flag, add a line here: a
//! server whose binary refuses its flags is skipped with a note.

/// A server as the driver starts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server {
    /// The name in the report, flags included when they matter.
    pub name: &'static str,
    /// How to start it, with `{bin}` (the crate's `target/release`),
    /// `{examples}` (`target/release/examples`), `{peers}` (`tests/peers`),
    /// `{python}`, `{port}` and `{root}` (the benchmark's files) filled in.
    /// `nginx {workers}` is special: the driver renders
    /// `tests/peers/nginx.conf` and runs nginx in the foreground.
    pub command: &'static str,
}

/// Flags of the book's servers common to every run: no access log, and room
/// for the idle-connection workloads (the defaults are made for a small
/// machine's real traffic, not for 50,000 idle clients).
macro_rules! ours {
    ($bin:literal, $extra:literal) => {
        concat!(
            "{bin}/",
            $bin,
            " --addr 127.0.0.1:{port} --quiet --max-connections 60000 --idle-timeout 600s",
            $extra
        )
    };
}

/// Every server the workloads may name.
pub const SERVERS: &[Server] = &[
    Server {
        name: "nginx-w1",
        command: "nginx 1",
    },
    Server {
        name: "tiny_http",
        command: "{examples}/peer_tiny_http {port} {root}",
    },
    Server {
        name: "tungstenite",
        command: "{examples}/peer_tungstenite {port}",
    },
    Server {
        name: "tornado",
        command: "{python} {peers}/tornado_server.py {port} {root}",
    },
    Server {
        name: "ch05_server",
        command: ours!("ch05_server", ""),
    },
    Server {
        name: "ch05_server --event-loop",
        command: ours!("ch05_server", " --event-loop"),
    },
    Server {
        name: "ch06_static",
        command: ours!("ch06_static", " --root {root} --hello"),
    },
    Server {
        name: "wirebook",
        command: ours!("wirebook", " --root {root}"),
    },
    Server {
        name: "wirebook --event-loop",
        command: ours!("wirebook", " --root {root} --event-loop"),
    },
    Server {
        name: "ch08_ws_echo",
        command: "{bin}/ch08_ws_echo --addr 127.0.0.1:{port} --quiet --max-sockets 60000 --ping-interval 600s",
    },
    Server {
        name: "ch08_ws_echo --event-loop",
        command: "{bin}/ch08_ws_echo --addr 127.0.0.1:{port} --quiet --max-sockets 60000 --ping-interval 600s --event-loop",
    },
];

/// The load a workload puts on a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    /// `wrk -t1 -cN` on one path, for the run's duration.
    Wrk {
        connections: u32,
        path: &'static str,
    },
    /// [`wsload`](super::wsload): N connections in ping-pong.
    Ws { connections: usize, bytes: usize },
    /// N idle connections held at once ([`idle`](super::idle)).
    Idle { connections: usize, websocket: bool },
}

/// One workload: a load, the servers that take it, and their peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    pub id: String,
    /// How the report names it.
    pub title: String,
    pub load: Load,
    /// The server whose figure is 1.0 in the ratios.
    pub peer: &'static str,
    pub servers: &'static [&'static str],
}

impl Workload {
    /// Idle workloads measure memory: less is better.
    pub fn is_idle(&self) -> bool {
        matches!(self.load, Load::Idle { .. })
    }

    /// The unit of the workload's figure.
    pub fn unit(&self) -> &'static str {
        match self.load {
            Load::Wrk {
                path: "/big.bin", ..
            } => "MiB/s",
            Load::Wrk { .. } => "req/s",
            Load::Ws { .. } => "round trips/s",
            Load::Idle { .. } => "KiB per connection",
        }
    }
}

/// The path every WebSocket server echoes on (the capstone serves its echo
/// there; the others accept any path).
pub const WS_PATH: &str = "/ws/echo";
/// The small file's size.
pub const SMALL_BYTES: usize = 1024;
/// The big file's size: 8 MiB.
pub const BIG_BYTES: usize = 8 << 20;

const HELLO: &[&str] = &["nginx-w1", "ch05_server", "ch05_server --event-loop"];
const FILES: &[&str] = &[
    "nginx-w1",
    "ch06_static",
    "wirebook",
    "wirebook --event-loop",
    "tiny_http",
    "tornado",
];
const ECHO: &[&str] = &[
    "tungstenite",
    "ch08_ws_echo",
    "ch08_ws_echo --event-loop",
    "wirebook",
    "wirebook --event-loop",
    "tornado",
];
const IDLE_WS: &[&str] = &[
    "tungstenite",
    "ch08_ws_echo",
    "ch08_ws_echo --event-loop",
    "tornado",
];
/// Most idle WebSockets held: tungstenite spends a thread and about 150 KiB
/// on each, so 50,000 would take gigabytes on a small machine.
pub const IDLE_WS_MAX: usize = 10_000;

/// Every workload, in the report's order; idle ones for each size in
/// `idle_sizes`.
pub fn workloads(idle_sizes: &[usize]) -> Vec<Workload> {
    let wrk = |connections, path| Load::Wrk { connections, path };
    let mut all = vec![
        Workload {
            id: "hello-c64".into(),
            title: "GET /hello, wrk -c64".into(),
            load: wrk(64, "/hello"),
            peer: "nginx-w1",
            servers: HELLO,
        },
        Workload {
            id: "hello-c256".into(),
            title: "GET /hello, wrk -c256".into(),
            load: wrk(256, "/hello"),
            peer: "nginx-w1",
            servers: HELLO,
        },
        Workload {
            id: "small".into(),
            title: "GET /small.html (1 KiB), wrk -c64".into(),
            load: wrk(64, "/small.html"),
            peer: "nginx-w1",
            servers: FILES,
        },
        Workload {
            id: "big".into(),
            title: "GET /big.bin (8 MiB), wrk -c8".into(),
            load: wrk(8, "/big.bin"),
            peer: "nginx-w1",
            servers: FILES,
        },
        Workload {
            id: "ws-16x64".into(),
            title: "WebSocket echo, 16 connections × 64 B".into(),
            load: Load::Ws {
                connections: 16,
                bytes: 64,
            },
            peer: "tungstenite",
            servers: ECHO,
        },
        Workload {
            id: "ws-1x64k".into(),
            title: "WebSocket echo, 1 connection × 64 KiB".into(),
            load: Load::Ws {
                connections: 1,
                bytes: 64 << 10,
            },
            peer: "tungstenite",
            servers: ECHO,
        },
    ];
    for &n in idle_sizes {
        let k = if n % 1000 == 0 {
            format!("{}k", n / 1000)
        } else {
            n.to_string()
        };
        all.push(Workload {
            id: format!("idle-http-{k}"),
            title: format!("{k} idle keep-alive connections"),
            load: Load::Idle {
                connections: n,
                websocket: false,
            },
            peer: "nginx-w1",
            servers: HELLO,
        });
        if n > IDLE_WS_MAX {
            continue;
        }
        all.push(Workload {
            id: format!("idle-ws-{k}"),
            title: format!("{k} idle WebSockets"),
            load: Load::Idle {
                connections: n,
                websocket: true,
            },
            peer: "tungstenite",
            servers: IDLE_WS,
        });
    }
    all
}

/// The server called `name`.
pub fn server(name: &str) -> Option<&'static Server> {
    SERVERS.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_names_known_servers_and_includes_its_peer() {
        for w in workloads(&[1000, 10_000]) {
            assert!(w.servers.contains(&w.peer), "{}", w.id);
            for s in w.servers {
                assert!(server(s).is_some(), "{} names unknown {s}", w.id);
            }
        }
        let ids: Vec<_> = workloads(&[1000]).into_iter().map(|w| w.id).collect();
        assert!(ids.iter().any(|i| i == "idle-http-1k") && ids.iter().any(|i| i == "idle-ws-1k"));
    }
}
