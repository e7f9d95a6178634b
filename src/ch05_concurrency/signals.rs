//! Ctrl-C and SIGTERM as a clean shutdown, with no crate beyond std.
//!
//! A signal handler may only do async-signal-safe things (POSIX
//! `signal-safety(7)`): no locks, no allocation, no `println!`. So the
//! handler does the one safe thing that can wake a thread: it `write(2)`s a
//! byte into a socket pair. A normal thread blocks reading the other end and
//! does the real work (set the shutdown flag, wake the accept loop). This is
//! the classic *self-pipe trick*.
//!
//! std has no signal API, so the C functions needed are declared here with
//! `unsafe extern "C"` (they are in the C library every Rust program on
//! Linux already links):
//!
//! * `sigaction(2)` installs the handler. It replaces `signal(2)`, whose
//!   behaviour differs between systems and C libraries (System V resets the
//!   handler to the default after one delivery; BSD and glibc do not):
//!   `sigaction` says exactly what we want. We ask for `SA_RESTART`, which
//!   is what glibc's `signal` gave: a thread blocked in `read`, `write` or
//!   `accept` when the signal lands on it resumes the call instead of
//!   failing with `EINTR`. (Calls with a timeout, like a read on a socket
//!   with `SO_RCVTIMEO`, still fail with `EINTR` whatever the flag, and
//!   the servers retry those.) The mask is empty: a second
//!   signal during the handler is fine, since all it does is one `write`.
//! * `write(2)`, which is async-signal-safe.
//! * `__errno_location()`: the handler runs between any two instructions of
//!   the interrupted thread, perhaps just after a system call failed and
//!   before the code read `errno`. Our `write` could overwrite that
//!   `errno`, so the handler saves and restores it (`signal-safety(7)`).

use std::io::Read;
use std::os::fd::IntoRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread;

use super::server::ShutdownHandle;

pub const SIGINT: i32 = 2;
pub const SIGTERM: i32 = 15;

/// `SA_RESTART` (Linux's `<asm/signal.h>`, the same on x86-64 and arm64).
const SA_RESTART: i32 = 0x1000_0000;

/// `struct sigaction` as glibc and musl lay it out on 64-bit Linux: the
/// handler, a 1024-bit signal mask, the flags, and a restorer that the C
/// library fills in.
#[repr(C)]
struct SigAction {
    sa_handler: usize,
    sa_mask: [u64; 16],
    sa_flags: i32,
    sa_restorer: usize,
}

unsafe extern "C" {
    /// `sigaction(2)`.
    fn sigaction(signum: i32, act: *const SigAction, old: *mut SigAction) -> i32;
    /// `write(2)`, async-signal-safe.
    fn write(fd: i32, buf: *const u8, count: usize) -> isize;
    /// The address of the calling thread's `errno` (glibc and musl).
    fn __errno_location() -> *mut i32;
}

/// The write end of the socket pair, for the handler (-1 until installed).
static WAKE_FD: AtomicI32 = AtomicI32::new(-1);
/// Everything to shut down when a signal arrives.
static HANDLES: OnceLock<Mutex<Vec<ShutdownHandle>>> = OnceLock::new();

extern "C" fn on_signal(sig: i32) {
    wake(WAKE_FD.load(Ordering::Relaxed), sig);
}

/// The handler's work: one byte to `fd`, leaving `errno` as it found it.
fn wake(fd: i32, sig: i32) {
    // SAFETY: __errno_location returns a valid pointer to this thread's
    // errno; write(2) gets a one-byte buffer that lives for the call. Both
    // are async-signal-safe.
    unsafe {
        let errno = __errno_location();
        let saved = *errno;
        if fd >= 0 {
            let b = sig as u8;
            write(fd, &b, 1);
        }
        *errno = saved;
    }
}

/// Installs `handler` for `sig` with `sigaction(2)` and `SA_RESTART`.
fn set_handler(sig: i32, handler: extern "C" fn(i32)) -> std::io::Result<()> {
    let act = SigAction {
        sa_handler: handler as usize,
        sa_mask: [0; 16],
        sa_flags: SA_RESTART,
        sa_restorer: 0,
    };
    // SAFETY: `act` is a valid, initialised struct sigaction; the old
    // action is not asked for. The handler only calls async-signal-safe
    // functions.
    if unsafe { sigaction(sig, &act, std::ptr::null_mut()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
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
    // The handler only writes to a descriptor that stays open for the life
    // of the process.
    set_handler(SIGINT, on_signal)?;
    set_handler(SIGTERM, on_signal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handler_leaves_errno_as_it_found_it() {
        // write(-1) fails with EBADF, which must not leak into the
        // interrupted code's errno.
        // SAFETY: this thread's errno, read and written in this thread.
        unsafe { *__errno_location() = 4242 };
        wake(i32::MAX, SIGINT);
        assert_eq!(unsafe { *__errno_location() }, 4242);
    }

    #[test]
    fn handlers_are_installed_with_sigaction_and_sa_restart() {
        // SIGUSR2 (12), which nothing in the tests sends.
        const SIGUSR2: i32 = 12;
        set_handler(SIGUSR2, on_signal).unwrap();
        let mut old = SigAction {
            sa_handler: 0,
            sa_mask: [0; 16],
            sa_flags: 0,
            sa_restorer: 0,
        };
        // SAFETY: queries the current action into a valid struct.
        assert_eq!(unsafe { sigaction(SIGUSR2, std::ptr::null(), &mut old) }, 0);
        assert_eq!(old.sa_handler, on_signal as extern "C" fn(i32) as usize);
        assert_ne!(old.sa_flags & SA_RESTART, 0);
    }
}
