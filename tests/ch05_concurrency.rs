//! Chapter 5's checks over real sockets: the server API in-process, and
//! the `ch05_server` binary.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use wirebook::ch04_methods_and_routing::{Body, Request, Response, Service, Upgraded};
use wirebook::ch05_concurrency::{Config, Server, ShutdownHandle};
use wirebook::check::{Target, read_response};

/// A server running `service` in this process; shut down on drop.
struct Running {
    addr: SocketAddr,
    handle: ShutdownHandle,
    thread: Option<thread::JoinHandle<std::io::Result<()>>>,
}

impl Running {
    fn start(config: Config, service: impl Service) -> Running {
        let server = Server::bind("127.0.0.1:0".parse().unwrap(), config).unwrap();
        let addr = server.local_addr();
        let handle = server.shutdown_handle();
        let service: Arc<dyn Service> = Arc::new(service);
        let thread = Some(thread::spawn(move || server.run(service)));
        Running {
            addr,
            handle,
            thread,
        }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s
    }

    fn stop(mut self) -> std::io::Result<()> {
        self.handle.shutdown();
        self.thread.take().unwrap().join().unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn quiet() -> Config {
    Config {
        quiet: true,
        threads: 4,
        ..Config::default()
    }
}

fn get(s: &mut TcpStream, path: &str) -> wirebook::check::RawResponse {
    write!(s, "GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    read_response(s, "GET", &mut Vec::new()).unwrap_or_else(|f| panic!("{f}"))
}

#[test]
fn a_panicking_handler_costs_one_500_and_the_worker_lives() {
    let srv = Running::start(
        Config {
            threads: 1,
            ..quiet()
        },
        |req: &mut Request<'_>| {
            if req.path == "/panic" {
                panic!("deliberate panic in a test handler");
            }
            Response::text(200, "fine")
        },
    );
    let mut s = srv.connect();
    assert_eq!(get(&mut s, "/panic").head.status, 500);
    // One worker only: if it had died, this would hang.
    let mut s = srv.connect();
    let r = get(&mut s, "/ok");
    assert_eq!((r.head.status, r.body.as_slice()), (200, &b"fine"[..]));
    srv.stop().unwrap();
}

#[test]
fn upgrade_hands_the_socket_to_its_own_thread() {
    let srv = Running::start(
        Config {
            threads: 1,
            ..quiet()
        },
        |req: &mut Request<'_>| {
            if req.path != "/up" {
                return Response::text(200, "plain");
            }
            let mut resp = Response::new(101)
                .header("Connection", "Upgrade")
                .header("Upgrade", "echo");
            resp.upgrade = Some(Box::new(|mut up: Upgraded| {
                let mut buf = up.leftover.clone();
                let mut b = [0u8; 64];
                while buf.len() < 5 {
                    let n = up.stream.read(&mut b).unwrap();
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&b[..n]);
                }
                up.stream.write_all(&buf).unwrap();
            }));
            resp
        },
    );
    let mut s = srv.connect();
    s.write_all(b"GET /up HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nhel")
        .unwrap();
    let r = read_response(&mut s, "GET", &mut Vec::new()).unwrap();
    assert_eq!(r.head.status, 101);
    assert_eq!(r.head.headers.get("upgrade"), Some("echo"));
    // The only worker is free again while the upgraded connection lives.
    let mut other = srv.connect();
    assert_eq!(get(&mut other, "/").head.status, 200);
    s.write_all(b"lo").unwrap();
    let mut echoed = [0u8; 5];
    s.read_exact(&mut echoed).unwrap();
    assert_eq!(&echoed, b"hello");
}

#[test]
fn files_go_out_whole_with_content_length() {
    let path = std::env::temp_dir().join(format!("wirebook-ch05-{}.bin", std::process::id()));
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let p2 = path.clone();
    let srv = Running::start(quiet(), move |_: &mut Request<'_>| {
        let file = std::fs::File::open(&p2).unwrap();
        Response::new(200).with(Body::File {
            file,
            offset: 10,
            len: 200_000,
        })
    });
    let mut s = srv.connect();
    let r = get(&mut s, "/f");
    assert_eq!(r.head.headers.get("content-length"), Some("200000"));
    assert_eq!(r.body, data[10..200_010]);
    // Keep-alive after a file.
    assert_eq!(get(&mut s, "/f").body.len(), 200_000);
    let _ = std::fs::remove_file(&path);
    let _ = Target::new(srv.addr);
}
