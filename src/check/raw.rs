//! `check --raw`: the replay half of every `try:` line. It sends stdin to
//! the server as is, half-closes (so a server that waits for more input
//! sees the end of it), and copies the answer to stdout until the server
//! closes, or says plainly that it did not.

use std::io::{self, Write};
use std::net::Shutdown;

use super::{MAX_CHECK_BODY, Target, connect, io_text, read_more, seconds};

/// Sends `input` to `t`, half-closes, and copies everything the server
/// sends back to `out`. `Err` says, in words, why the answer did not end
/// with the server closing the connection; what came back is on `out`
/// either way.
pub fn replay(t: &Target, input: &[u8], out: &mut dyn Write) -> Result<(), String> {
    let mut s = connect(t).map_err(|f| f.summary)?;
    // A server may answer and close before it has read everything (a 413
    // or a 431 does): what it says still matters, so a failed write is
    // noted, not fatal.
    let write_error = s.write_all(input).err();
    let _ = s.shutdown(Shutdown::Write);
    let mut total = 0u64;
    let mut buf = Vec::new();
    let result = loop {
        buf.clear();
        match read_more(&mut s, &mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                total += n as u64;
                out.write_all(&buf).map_err(|e| e.to_string())?;
                let _ = out.flush();
                if total > MAX_CHECK_BODY {
                    break Err(format!("stopped after {total} bytes"));
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                break Err(format!(
                    "no end of stream within {} ({total} bytes came back): the server kept the connection open",
                    seconds(t.timeout)
                ));
            }
            Err(e) => break Err(format!("{} ({total} bytes came back)", io_text(&e, t))),
        }
    };
    match (result, write_error) {
        (Err(e), Some(w)) => Err(format!(
            "{e}; the server stopped reading after part of the input ({})",
            io_text(&w, t)
        )),
        (r, _) => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::net::TcpListener;
    use std::thread;
    use std::time::Duration;

    /// A server that reads until the client's FIN, then answers with
    /// `reply` and closes (or keeps the connection open if `hold`).
    fn server(reply: &'static [u8], hold: bool) -> (Target, thread::JoinHandle<Vec<u8>>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut t = Target::new(l.local_addr().unwrap());
        t.timeout = Duration::from_millis(300);
        let h = thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let mut got = Vec::new();
            s.read_to_end(&mut got).unwrap();
            s.write_all(reply).unwrap();
            if hold {
                let _ = s.read(&mut [0u8; 1]);
                thread::sleep(Duration::from_millis(600));
            }
            got
        });
        (t, h)
    }

    #[test]
    fn replay_sends_stdin_half_closes_and_prints_the_answer() {
        let (t, h) = server(b"HTTP/1.1 200 OK\r\n\r\nhi", false);
        let mut out = Vec::new();
        replay(&t, b"GET / HTTP/1.1\r\n\r\n", &mut out).unwrap();
        assert_eq!(out, b"HTTP/1.1 200 OK\r\n\r\nhi");
        assert_eq!(h.join().unwrap(), b"GET / HTTP/1.1\r\n\r\n");
    }

    #[test]
    fn replay_says_when_the_stream_does_not_end() {
        let (t, h) = server(b"partial", true);
        let mut out = Vec::new();
        let e = replay(&t, b"x", &mut out).unwrap_err();
        assert_eq!(out, b"partial");
        assert!(
            e.starts_with("no end of stream within 300 ms (7 bytes came back)"),
            "{e}"
        );
        h.join().unwrap();
    }

    #[test]
    fn replay_says_when_nothing_listens() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let t = Target::new(l.local_addr().unwrap());
        drop(l);
        let e = replay(&t, b"x", &mut Vec::new()).unwrap_err();
        assert!(e.contains("is your server running?"), "{e}");
    }
}
