//! Well-formed HTTP load: keep-alive clients, pipelining clients, uploads
//! and downloads (and some cut off on purpose), reconnect storms. Every
//! answer is checked: status and body; anything else is a failure,
//! recorded with the request that got it.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::http::{Conn, IO_TIMEOUT, request, shown};
use super::{Stats, nap};
use crate::rng::Rng;

/// Files the soak serves: `p0.txt`..`p9.txt` (for pipelining: each answer
/// says which request it is) and `big.bin`.
pub const PIPELINE_DEPTH: usize = 10;
/// Size of the download file and the largest upload.
pub const BIG_BYTES: usize = 1024 * 1024;
/// Requests on one keep-alive connection before it is replaced.
pub const REQUESTS_PER_CONNECTION: usize = 200;

/// Writes the static root the load expects.
pub fn write_root(root: &Path) -> std::io::Result<Vec<u8>> {
    std::fs::create_dir_all(root)?;
    for i in 0..PIPELINE_DEPTH {
        std::fs::write(root.join(format!("p{i}.txt")), page(i))?;
    }
    let big = Rng::new().bytes(BIG_BYTES);
    std::fs::write(root.join("big.bin"), &big)?;
    Ok(big)
}

fn page(i: usize) -> String {
    format!("page {i}\n").repeat(i + 1)
}

/// Sends `req` on `conn` and checks the answer; a failure is recorded
/// and returns false (the connection is then dropped).
fn exchange(
    conn: &mut Conn,
    stats: &Stats,
    req: &[u8],
    method: &str,
    status: u16,
    body: Option<&[u8]>,
) -> bool {
    let result = conn.send(req).and_then(|()| conn.read_reply(method));
    check(stats, req, result, status, body)
}

fn check(
    stats: &Stats,
    req: &[u8],
    result: std::io::Result<super::http::Reply>,
    status: u16,
    body: Option<&[u8]>,
) -> bool {
    let why = match result {
        Err(e) => format!("{e}"),
        Ok(r) if r.head.status != status => format!("status {} (expected {status})", r.head.status),
        Ok(r) if body.is_some_and(|b| b != r.body) => {
            format!("wrong body ({} bytes)", r.body.len())
        }
        Ok(_) => {
            Stats::add(&stats.requests, 1);
            return true;
        }
    };
    stats.fail(format!("HTTP {}: {why}", shown(req)));
    false
}

/// A keep-alive client: GET, HEAD and POST one after another on one
/// connection, replaced every [`REQUESTS_PER_CONNECTION`].
pub fn keep_alive(addr: SocketAddr, stats: Arc<Stats>) {
    let mut rng = Rng::new();
    while !stats.stopped() {
        let Ok(mut conn) = Conn::open(addr) else {
            stats.fail("HTTP connect (keep-alive client)");
            nap(&stats, Duration::from_millis(200));
            continue;
        };
        for n in 0..REQUESTS_PER_CONNECTION {
            if stats.stopped() {
                return;
            }
            let i = rng.below(PIPELINE_DEPTH as u64) as usize;
            let target = format!("/p{i}.txt");
            let ok = match n % 4 {
                0 => exchange(
                    &mut conn,
                    &stats,
                    &request("GET", "/hello", &[], b""),
                    "GET",
                    200,
                    None,
                ),
                1 => exchange(
                    &mut conn,
                    &stats,
                    &request("HEAD", &target, &[], b""),
                    "HEAD",
                    200,
                    Some(b""),
                ),
                2 => {
                    let len = rng.range(1, 2000);
                    let body = rng.word(len);
                    let req = request(
                        "POST",
                        "/echo",
                        &[("Content-Type", "text/plain")],
                        body.as_bytes(),
                    );
                    exchange(&mut conn, &stats, &req, "POST", 200, Some(body.as_bytes()))
                }
                _ => exchange(
                    &mut conn,
                    &stats,
                    &request("GET", &target, &[], b""),
                    "GET",
                    200,
                    Some(page(i).as_bytes()),
                ),
            };
            if !ok {
                break;
            }
        }
    }
}

/// A pipelining client: [`PIPELINE_DEPTH`] requests written at once, then
/// the answers read, which must come back in order.
pub fn pipelined(addr: SocketAddr, stats: Arc<Stats>) {
    let mut all = Vec::new();
    for i in 0..PIPELINE_DEPTH {
        all.extend_from_slice(&request("GET", &format!("/p{i}.txt"), &[], b""));
    }
    while !stats.stopped() {
        let Ok(mut conn) = Conn::open(addr) else {
            stats.fail("HTTP connect (pipelining client)");
            nap(&stats, Duration::from_millis(200));
            continue;
        };
        'conn: for _ in 0..REQUESTS_PER_CONNECTION / PIPELINE_DEPTH {
            if stats.stopped() {
                return;
            }
            if conn.send(&all).is_err() {
                stats.fail(format!("HTTP pipelined write: {}", shown(&all)));
                break;
            }
            for i in 0..PIPELINE_DEPTH {
                let req = request("GET", &format!("/p{i}.txt"), &[], b"");
                let r = conn.read_reply("GET");
                if !check(&stats, &req, r, 200, Some(page(i).as_bytes())) {
                    break 'conn;
                }
                if conn.closing() {
                    // The rest are not answered on this connection; the
                    // whole batch goes again on a new one.
                    break;
                }
            }
        }
    }
}

/// Uploads (PUT, read back) and downloads (the 1 MiB file), and every
/// fourth time one of each cut off in the middle of its body.
pub fn transfers(addr: SocketAddr, stats: Arc<Stats>, big: Arc<Vec<u8>>, id: usize) {
    let mut rng = Rng::new();
    let mut n = 0usize;
    while !stats.stopped() {
        n += 1;
        let Ok(mut conn) = Conn::open(addr) else {
            stats.fail("HTTP connect (transfer client)");
            nap(&stats, Duration::from_millis(200));
            continue;
        };
        let name = format!("/uploads/soak-{id}-{}.bin", n % 8);
        let len = rng.range(1, BIG_BYTES);
        let data = rng.bytes(len);
        let put = request("PUT", &name, &[], &data);
        let ok = conn.send(&put).and_then(|()| conn.read_reply("PUT"));
        let ok = match ok {
            Ok(r) if (200..300).contains(&r.head.status) => {
                Stats::add(&stats.requests, 1);
                true
            }
            other => check(&stats, &put, other, 201, None),
        };
        if ok
            && exchange(
                &mut conn,
                &stats,
                &request("GET", &name, &[], b""),
                "GET",
                200,
                Some(&data),
            )
        {
            exchange(
                &mut conn,
                &stats,
                &request("GET", "/big.bin", &[], b""),
                "GET",
                200,
                Some(&big),
            );
        }
        if n.is_multiple_of(4) {
            cut_off(addr, &stats, &name, &mut rng);
        }
    }
}

/// An upload and a download abandoned half way: the server must shrug
/// them off (and, chapter 7, leave no half file under the target name).
fn cut_off(addr: SocketAddr, stats: &Stats, name: &str, rng: &mut Rng) {
    Stats::add(&stats.abuse, 2);
    if let Ok(mut s) = TcpStream::connect_timeout(&addr, IO_TIMEOUT) {
        let head =
            format!("PUT {name}.cut HTTP/1.1\r\nHost: soak\r\nContent-Length: {BIG_BYTES}\r\n\r\n");
        let _ = s.write_all(head.as_bytes());
        let _ = s.write_all(&rng.bytes(BIG_BYTES / 3));
        let _ = s.shutdown(Shutdown::Both);
    }
    if let Ok(mut s) = TcpStream::connect_timeout(&addr, IO_TIMEOUT) {
        let _ = s.set_read_timeout(Some(IO_TIMEOUT));
        let _ = s.write_all(&request("GET", "/big.bin", &[], b""));
        let mut half = vec![0u8; BIG_BYTES / 2];
        let _ = s.read_exact(&mut half);
    }
}

/// A reconnect storm: `size` connections at once, each one request with
/// `Connection: close`; all must be answered.
pub fn storm(addr: SocketAddr, stats: &Arc<Stats>, size: usize) {
    let threads: Vec<_> = (0..size)
        .map(|_| {
            let stats = stats.clone();
            std::thread::spawn(move || {
                let req = request("GET", "/hello", &[("Connection", "close")], b"");
                match Conn::open(addr) {
                    Ok(mut c) => {
                        exchange(&mut c, &stats, &req, "GET", 200, None);
                    }
                    Err(e) => stats.fail(format!("HTTP storm connect: {e}")),
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}

/// Requests each warm-up connection makes.
pub const WARM_UP_REQUESTS: usize = 20;

/// Warms every worker of the server up before anything is measured: `n`
/// connections at once (more than the server has threads), each making
/// [`WARM_UP_REQUESTS`] requests of every kind. A thread pool hands work to
/// the workers it already has warm; one that first serves after ten
/// minutes grows the server's memory by its stack and allocator caches
/// then, which would look like a leak. Failures count as any others.
pub fn warm_up(addr: SocketAddr, stats: &Arc<Stats>, n: usize, big: &Arc<Vec<u8>>) {
    let barrier = Arc::new(std::sync::Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (stats, barrier, big) = (stats.clone(), barrier.clone(), big.clone());
            std::thread::spawn(move || {
                let conn = Conn::open(addr);
                barrier.wait();
                let Ok(mut conn) = conn else {
                    stats.fail("HTTP connect (warm-up)");
                    return;
                };
                for k in 0..WARM_UP_REQUESTS {
                    let ok = match k % 4 {
                        0 => exchange(
                            &mut conn,
                            &stats,
                            &request("GET", "/hello", &[], b""),
                            "GET",
                            200,
                            None,
                        ),
                        1 => exchange(
                            &mut conn,
                            &stats,
                            &request("GET", "/p9.txt", &[], b""),
                            "GET",
                            200,
                            Some(page(9).as_bytes()),
                        ),
                        2 => {
                            let req = request("POST", "/echo", &[], b"warm");
                            exchange(&mut conn, &stats, &req, "POST", 200, Some(b"warm"))
                        }
                        _ => exchange(
                            &mut conn,
                            &stats,
                            &request("GET", "/big.bin", &[], b""),
                            "GET",
                            200,
                            Some(&big),
                        ),
                    };
                    if !ok {
                        return;
                    }
                }
            })
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
}
