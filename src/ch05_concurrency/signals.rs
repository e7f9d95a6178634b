//! Ctrl-C and SIGTERM as a clean shutdown, with no crate beyond std.
//!
//! A signal handler may only do async-signal-safe things (POSIX
//! `signal-safety(7)`): no locks, no allocation, no `println!`. So the
//! handler does the one safe thing that can wake a thread: it `write(2)`s a
//! byte into a socket pair. A normal thread blocks reading the other end and
//! does the real work (set the shutdown flag, wake the accept loop). This is
//! the classic *self-pipe trick*.
//!
//! std has no signal API, so the two C functions needed are declared here
//! with `unsafe extern "C"` (they are in the C library every Rust program on
//! Unix already links).

use std::io::Read;
use std::os::fd::IntoRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread;

use super::server::ShutdownHandle;

pub const SIGINT: i32 = 2;
pub const SIGTERM: i32 = 15;

unsafe extern "C" {
    /// `signal(2)`: the handler is a function pointer, passed as an integer.
    fn signal(signum: i32, handler: usize) -> usize;
    /// `write(2)`, async-signal-safe.
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
}

/// The write end of the socket pair, for the handler (-1 until installed).
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
/// Everything to shut down when a signal arrives.
static HANDLES: OnceLock<Mutex<Vec<ShutdownHandle>>> = OnceLock::new();

extern "C" fn on_signal(sig: i32) {
    let fd = WAKE_FD.load(Ordering::Relaxed);
    if fd >= 0 {
        let b = sig as u8;
        // SAFETY: write(2) on a valid descriptor with a one-byte buffer
        // that lives for the call; async-signal-safe.
        unsafe {
            write(fd, &b, 1);
        }
    }
}

/// Turns SIGINT and SIGTERM into `handle.shutdown()`. A second signal while
/// shutting down exits at once (status 130), for a drain that takes too long
/// for a human at a terminal.
pub fn handle_signals(handle: ShutdownHandle) {
    let handles = HANDLES.get_or_init(|| {
        if let Err(e) = install() {
            eprintln!("warning: cannot install signal handlers: {e}");
        }
        Mutex::new(Vec::new())
    });
    handles
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(handle);
}

fn install() -> std::io::Result<()> {
    let (mut reader, writer) = UnixStream::pair()?;
    WAKE_FD.store(writer.into_raw_fd(), Ordering::Relaxed);
    thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            let mut seen = 0;
            let mut byte = [0u8; 1];
            while let Ok(1) = reader.read(&mut byte) {
                seen += 1;
                if seen > 1 {
                    eprintln!("second signal: exiting without waiting for the drain");
                    std::process::exit(130);
                }
                if let Some(hs) = HANDLES.get() {
                    let hs = hs.lock().unwrap_or_else(|p| p.into_inner()).clone();
                    for h in hs {
                        h.shutdown();
                    }
                }
            }
        })?;
    let handler = on_signal as extern "C" fn(i32) as usize;
    // SAFETY: installs a handler that only calls write(2) on a descriptor
    // that stays open for the life of the process.
    unsafe {
        signal(SIGINT, handler);
        signal(SIGTERM, handler);
    }
    Ok(())
}
