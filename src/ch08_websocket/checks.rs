//! The chapter's black-box checks: a raw client that speaks RFC 6455 byte
//! by byte to a WebSocket *echo* server on `/` (the book's `ch08_ws_echo`,
//! or the reader's), including the bytes a well-behaved client never sends.
//!
//! ```text
//! cargo run --bin ch08_ws_echo &
//! cargo run --bin check -- ch08 --addr 127.0.0.1:8765
//! ```

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;

use crate::check::ws::{self as frame, Decoded, Frame, OpCode, Role, accept_key, close, new_key};
use crate::check::{Check, Failure, Target, check, connect, io_text, nc_command, read_response};
use crate::rng::Rng;

/// A raw connection after a successful handshake.
struct Conn {
    s: TcpStream,
    buf: Vec<u8>,
    rng: Rng,
    sent: Vec<u8>,
}

fn handshake_request(t: &Target, key: &str, version: &str) -> Vec<u8> {
    format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n\r\n",
        t.authority()
    )
    .into_bytes()
}

/// A `try:` line that replays a handshake and then `frames` (as sent,
/// masked) and prints the server's raw answer: the 101, then its frames.
fn replay(t: &Target, frames: &[u8]) -> String {
    let mut bytes = handshake_request(t, &new_key(&mut Rng::new()), "13");
    bytes.extend_from_slice(frames);
    nc_command(t, &bytes)
}

/// Adds [`replay`] to a failure that has no `try:` line yet.
fn with_replay(f: Failure, t: &Target, frames: &[u8]) -> Failure {
    if f.repro.is_some() {
        f
    } else {
        f.repro(replay(t, frames))
    }
}

/// Opens a WebSocket on `/` and checks the 101. (A client must wait for
/// the 101 before it sends frames, §4.1, so nothing follows the head.)
fn open(t: &Target) -> Result<Conn, Failure> {
    let mut rng = Rng::new();
    let key = new_key(&mut rng);
    let req = handshake_request(t, &key, "13");
    let head_len = req.len();
    let mut s = connect(t)?;
    s.write_all(&req).map_err(|e| {
        Failure::new(format!("could not send the handshake: {}", io_text(&e, t))).sent(&req)
    })?;
    let mut pending = Vec::new();
    let resp = read_response(&mut s, "GET", &mut pending).map_err(|f| f.sent(&req[..head_len]))?;
    let fail = |what: String| {
        Failure::new(what)
            .sent(&req[..head_len])
            .got(&resp.raw)
            .repro(nc_command(t, &req[..head_len]))
    };
    if resp.head.status != 101 {
        return Err(fail(format!(
            "expected 101 Switching Protocols, got {}",
            resp.head.status
        ))
        .expected("HTTP/1.1 101 Switching Protocols"));
    }
    let h = &resp.head.headers;
    if !h.has_token("Upgrade", "websocket") || !h.has_token("Connection", "upgrade") {
        return Err(fail(
            "101 without `Upgrade: websocket` and `Connection: Upgrade`".into(),
        ));
    }
    let want = accept_key(&key);
    if h.get("Sec-WebSocket-Accept") != Some(want.as_str()) {
        return Err(fail(format!("wrong Sec-WebSocket-Accept for key {key}"))
            .expected(format!("Sec-WebSocket-Accept: {want}")));
    }
    Ok(Conn {
        s,
        buf: pending,
        rng,
        sent: Vec::new(),
    })
}

impl Conn {
    fn masked(&mut self, fin: bool, opcode: OpCode, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let key = self.rng.next_u32().to_ne_bytes();
        frame::encode(fin, opcode, payload, Some(key), &mut out);
        out
    }

    fn send_raw(&mut self, bytes: &[u8]) -> Result<(), Failure> {
        self.sent.extend_from_slice(&bytes[..bytes.len().min(4096)]);
        self.s.write_all(bytes).map_err(|e| {
            let why = io_text(&e, &Target::of(&self.s));
            Failure::new(format!("could not send a frame: {why}")).sent(&self.sent)
        })
    }

    fn send(&mut self, fin: bool, opcode: OpCode, payload: &[u8]) -> Result<(), Failure> {
        let bytes = self.masked(fin, opcode, payload);
        self.send_raw(&bytes)
    }

    /// The next frame from the server; `Ok(None)` if it closed TCP.
    fn recv(&mut self) -> Result<Option<Frame>, Failure> {
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            match frame::decode(&self.buf, Role::Client, 1 << 30) {
                Ok(Decoded::Frame(f, n)) => {
                    self.buf.drain(..n);
                    return Ok(Some(f));
                }
                Ok(Decoded::NeedMore { .. }) => {}
                Err(e) => {
                    return Err(
                        Failure::new(format!("the server sent an invalid frame: {e}"))
                            .sent(&self.sent)
                            .got(&self.buf),
                    );
                }
            }
            match self.s.read(&mut chunk) {
                Ok(0) if self.buf.is_empty() => return Ok(None),
                Ok(0) => {
                    return Err(
                        Failure::new("the server closed TCP in the middle of a frame")
                            .sent(&self.sent)
                            .got(&self.buf),
                    );
                }
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::ConnectionReset && self.buf.is_empty() => {
                    return Ok(None);
                }
                Err(e) => {
                    return Err(Failure::new(format!(
                        "no frame from the server: {}",
                        io_text(&e, &Target::of(&self.s))
                    ))
                    .sent(&self.sent)
                    .got(&self.buf));
                }
            }
        }
    }

    fn recv_some(&mut self, what: &str) -> Result<Frame, Failure> {
        self.recv()?.ok_or_else(|| {
            Failure::new(format!(
                "the server closed the connection instead of sending {what}"
            ))
            .sent(&self.sent)
        })
    }

    /// Expects a whole message (unfragmented or not) equal to `payload`.
    fn expect_message(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), Failure> {
        let first = self.recv_some(&format!("a {} echo", opcode.name()))?;
        if first.opcode != opcode {
            return Err(self.unexpected(&first, &format!("a {} frame", opcode.name())));
        }
        let mut got = first.payload;
        let mut fin = first.fin;
        while !fin {
            let f = self.recv_some("the rest of the echo")?;
            if f.opcode != OpCode::Continuation {
                return Err(self.unexpected(&f, "a continuation frame"));
            }
            got.extend_from_slice(&f.payload);
            fin = f.fin;
        }
        if got != payload {
            let at = crate::check::first_difference(payload, &got).unwrap_or(0);
            return Err(Failure::new(format!(
                "the echo of a {}-byte {} message differs at byte {at} (got {} bytes)",
                payload.len(),
                opcode.name(),
                got.len()
            ))
            .sent(&self.sent)
            .got(&got)
            .at(at));
        }
        Ok(())
    }

    fn unexpected(&self, f: &Frame, wanted: &str) -> Failure {
        Failure::new(format!(
            "expected {wanted}, got: {}",
            frame::describe(f.fin, f.opcode, false, &f.payload)
        ))
        .sent(&self.sent)
    }

    /// Expects a close frame with `code` (data frames sent before it are
    /// skipped), then the server closing TCP.
    fn expect_close(&mut self, code: u16, why: &str) -> Result<(), Failure> {
        loop {
            let Some(f) = self.recv()? else {
                return Err(Failure::new(format!(
                    "the server closed TCP without a close frame; expected close code {code} ({why})"
                ))
                .sent(&self.sent)
                .expected(format!("a close frame with code {code}")));
            };
            match f.opcode {
                OpCode::Close => {
                    let got = (f.payload.len() >= 2)
                        .then(|| u16::from_be_bytes([f.payload[0], f.payload[1]]));
                    if got != Some(code) {
                        return Err(Failure::new(format!(
                            "expected close code {code} ({why}), got {}",
                            got.map_or("no code".to_string(), |c| c.to_string())
                        ))
                        .sent(&self.sent)
                        .expected(format!("close frame with code {code}"))
                        .got(&f.payload));
                    }
                    return self.expect_tcp_close();
                }
                OpCode::Ping | OpCode::Pong => {}
                _ => {
                    return Err(
                        self.unexpected(&f, &format!("a close frame with code {code} ({why})"))
                    );
                }
            }
        }
    }

    /// After the close handshake the server closes TCP (§7.1.1).
    fn expect_tcp_close(&mut self) -> Result<(), Failure> {
        match self.recv() {
            Ok(None) => Ok(()),
            Ok(Some(f)) => {
                Err(self.unexpected(&f, "the TCP connection closed after the close frame"))
            }
            Err(f) => Err(Failure::new(format!(
                "the server did not close TCP after the close handshake: {}",
                f.summary
            ))
            .sent(&self.sent)),
        }
    }
}

fn random_text(rng: &mut Rng, len: usize) -> String {
    // Mostly ASCII with some 2-, 3- and 4-byte characters, cut to `len` bytes.
    let mut s = String::with_capacity(len + 4);
    while s.len() < len {
        let c = match rng.below(10) {
            0 => 'é',
            1 => '€',
            2 => '😀',
            _ => (b'a' + rng.below(26) as u8) as char,
        };
        if s.len() + c.len_utf8() > len {
            s.push('z');
        } else {
            s.push(c);
        }
    }
    s
}

fn handshake_answers_101(t: &Target) -> Result<(), Failure> {
    open(t).map(|_| ())
}

fn status_for(t: &Target, req: &[u8], want: u16) -> Result<crate::check::RawResponse, Failure> {
    let resp = crate::check::exchange(t, req)?;
    crate::check::expect_status(&resp, want, req, t)?;
    Ok(resp)
}

fn unknown_version_gets_426(t: &Target) -> Result<(), Failure> {
    let key = new_key(&mut Rng::new());
    let req = handshake_request(t, &key, "8");
    let resp = status_for(t, &req, 426)?;
    if resp
        .head
        .headers
        .get("Sec-WebSocket-Version")
        .map(str::trim)
        != Some("13")
    {
        return Err(Failure::new("426 without `Sec-WebSocket-Version: 13`")
            .sent(&req)
            .got(&resp.raw)
            .repro(nc_command(t, &req)));
    }
    Ok(())
}

fn short_key_gets_400(t: &Target) -> Result<(), Failure> {
    use base64::Engine;
    let mut rng = Rng::new();
    let key = base64::engine::general_purpose::STANDARD.encode(rng.bytes(15));
    status_for(t, &handshake_request(t, &key, "13"), 400).map(|_| ())
}

fn missing_key_gets_400(t: &Target) -> Result<(), Failure> {
    let req = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Version: 13\r\n\r\n",
        t.authority()
    );
    status_for(t, req.as_bytes(), 400).map(|_| ())
}

fn text_echoed_at_every_length_boundary(t: &Target) -> Result<(), Failure> {
    let mut c = open(t)?;
    let mut rng = Rng::new();
    for len in [
        0,
        1,
        125,
        126,
        127,
        65535,
        65536,
        70000 + rng.below(1000) as usize,
    ] {
        let text = random_text(&mut rng, len);
        c.send(true, OpCode::Text, text.as_bytes())?;
        c.expect_message(OpCode::Text, text.as_bytes())?;
    }
    Ok(())
}

fn binary_echoed_as_binary(t: &Target) -> Result<(), Failure> {
    let mut c = open(t)?;
    let mut rng = Rng::new();
    let len = rng.range(1, 3000);
    let data = rng.bytes(len);
    c.send(true, OpCode::Binary, &data)?;
    c.expect_message(OpCode::Binary, &data)
}

fn fragments_are_reassembled_around_a_ping(t: &Target) -> Result<(), Failure> {
    let mut c = open(t)?;
    let mut rng = Rng::new();
    let text = random_text(&mut rng, 300);
    let b = text.as_bytes();
    // Cut anywhere, even inside a character: UTF-8 is checked across fragments.
    let (i, j) = (rng.range(0, 150), rng.range(150, 300));
    let ping = rng.word(8);
    c.send(false, OpCode::Text, &b[..i])?;
    c.send(true, OpCode::Ping, ping.as_bytes())?;
    c.send(false, OpCode::Continuation, &b[i..j])?;
    c.send(true, OpCode::Continuation, &b[j..])?;
    c.expect_message(OpCode::Pong, ping.as_bytes())?;
    c.expect_message(OpCode::Text, b)
}

fn ping_gets_pong_with_the_same_payload(t: &Target) -> Result<(), Failure> {
    let mut c = open(t)?;
    let mut rng = Rng::new();
    let payload = rng.bytes(125);
    c.send(true, OpCode::Ping, &payload)?;
    c.expect_message(OpCode::Pong, &payload)
}

fn close_is_echoed_then_tcp_closed(t: &Target) -> Result<(), Failure> {
    let mut c = open(t)?;
    let code = [1000u16, 1001, 3000, 4999][Rng::new().below(4) as usize];
    c.send(true, OpCode::Close, &close::payload(code, "bye"))?;
    c.expect_close(code, "the peer's code echoed")
}

fn nothing_is_answered_after_close(t: &Target) -> Result<(), Failure> {
    let mut c = open(t)?;
    let mut bytes = c.masked(true, OpCode::Close, &close::payload(1000, ""));
    bytes.extend(c.masked(true, OpCode::Text, b"after close"));
    c.send_raw(&bytes)?;
    c.expect_close(1000, "no echo of a message sent after close")
}

fn fails_with(
    t: &Target,
    code: u16,
    why: &str,
    frames: &[(bool, OpCode, Vec<u8>)],
) -> Result<(), Failure> {
    let mut c = open(t)?;
    for (fin, op, p) in frames {
        c.send(*fin, *op, p)?;
    }
    c.expect_close(code, why)
        .map_err(|f| with_replay(f, t, &c.sent))
}

fn invalid_utf8_gets_1007(t: &Target) -> Result<(), Failure> {
    let mut p = random_text(&mut Rng::new(), 20).into_bytes();
    p.push(0xff);
    fails_with(
        t,
        1007,
        "text that is not UTF-8",
        &[(true, OpCode::Text, p)],
    )
}

fn invalid_utf8_in_a_later_fragment_gets_1007(t: &Target) -> Result<(), Failure> {
    fails_with(
        t,
        1007,
        "a surrogate (ED A0 80) split across fragments",
        &[
            (false, OpCode::Text, b"ok \xed".to_vec()),
            (true, OpCode::Continuation, b"\xa0\x80".to_vec()),
        ],
    )
}

fn invalid_utf8_fails_before_the_last_fragment(t: &Target) -> Result<(), Failure> {
    // No final fragment follows: a server that checks UTF-8 only when the
    // message is complete never answers, and would have stored up to its
    // whole message limit before noticing.
    fails_with(
        t,
        1007,
        "a surrogate (ED A0 80) in an unfinished message: fail at once, not at its last fragment",
        &[
            (false, OpCode::Text, b"ok \xed".to_vec()),
            (false, OpCode::Continuation, b"\xa0\x80 and more".to_vec()),
        ],
    )
}

fn raw_fails_with(t: &Target, code: u16, why: &str, bytes: &[u8]) -> Result<(), Failure> {
    let mut c = open(t)?;
    c.send_raw(bytes)?;
    c.expect_close(code, why)
        .map_err(|f| with_replay(f, t, &c.sent))
}

fn unmasked_frame_gets_1002(t: &Target) -> Result<(), Failure> {
    raw_fails_with(
        t,
        1002,
        "a client frame without a mask",
        &[0x81, 0x02, b'h', b'i'],
    )
}

fn reserved_bits_get_1002(t: &Target) -> Result<(), Failure> {
    let rsv = [0x40u8, 0x20, 0x10][Rng::new().below(3) as usize];
    raw_fails_with(
        t,
        1002,
        "RSV bits without an extension",
        &[0x81 | rsv, 0x80, 1, 2, 3, 4],
    )
}

fn reserved_opcode_gets_1002(t: &Target) -> Result<(), Failure> {
    let op = [3u8, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF][Rng::new().below(10) as usize];
    raw_fails_with(t, 1002, "a reserved opcode", &[0x80 | op, 0x80, 1, 2, 3, 4])
}

fn continuation_without_a_message_gets_1002(t: &Target) -> Result<(), Failure> {
    fails_with(
        t,
        1002,
        "a continuation with nothing to continue",
        &[(true, OpCode::Continuation, b"x".to_vec())],
    )
}

fn new_message_inside_a_fragmented_one_gets_1002(t: &Target) -> Result<(), Failure> {
    fails_with(
        t,
        1002,
        "a new text frame before the fragmented message ended",
        &[
            (false, OpCode::Text, b"a".to_vec()),
            (true, OpCode::Text, b"b".to_vec()),
        ],
    )
}

fn long_ping_gets_1002(t: &Target) -> Result<(), Failure> {
    let mut c = open(t)?;
    // Encoded by hand: our encoder would refuse nothing, but say so anyway.
    let mut bytes = Vec::new();
    frame::encode(
        true,
        OpCode::Ping,
        &[b'p'; 126],
        Some([9, 8, 7, 6]),
        &mut bytes,
    );
    c.send_raw(&bytes)?;
    c.expect_close(1002, "a control frame of 126 bytes")
}

fn fragmented_ping_gets_1002(t: &Target) -> Result<(), Failure> {
    fails_with(
        t,
        1002,
        "a ping with FIN clear",
        &[(false, OpCode::Ping, b"p".to_vec())],
    )
}

fn invalid_close_code_gets_1002(t: &Target) -> Result<(), Failure> {
    let bad = [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535];
    let code = bad[Rng::new().below(bad.len() as u64) as usize];
    fails_with(
        t,
        1002,
        "a close frame with a code that may not be sent",
        &[(true, OpCode::Close, code.to_be_bytes().to_vec())],
    )
    .map_err(|f| Failure {
        summary: format!("(sent close code {code}) {}", f.summary),
        ..f
    })
}

fn one_byte_close_payload_gets_1002(t: &Target) -> Result<(), Failure> {
    fails_with(
        t,
        1002,
        "a close payload of 1 byte",
        &[(true, OpCode::Close, vec![0x03])],
    )
}

fn close_reason_not_utf8_gets_1007(t: &Target) -> Result<(), Failure> {
    fails_with(
        t,
        1007,
        "a close reason that is not UTF-8",
        &[(true, OpCode::Close, b"\x03\xe8\xff\xfe".to_vec())],
    )
}

fn two_gib_frame_gets_1009(t: &Target) -> Result<(), Failure> {
    // The header alone: a 2 GiB binary frame. The server must refuse it
    // from the length, without waiting for (or allocating) 2 GiB.
    let mut bytes = vec![0x82, 0xFF];
    bytes.extend_from_slice(&(1u64 << 31).to_be_bytes());
    bytes.extend_from_slice(&[1, 2, 3, 4]);
    raw_fails_with(t, 1009, "a 2 GiB frame", &bytes)
}

fn top_bit_length_gets_1002(t: &Target) -> Result<(), Failure> {
    let mut bytes = vec![0x82, 0xFF];
    bytes.extend_from_slice(&(1u64 << 63).to_be_bytes());
    bytes.extend_from_slice(&[1, 2, 3, 4]);
    raw_fails_with(t, 1002, "a 64-bit length with the top bit set", &bytes)
}

fn http_after_the_handshake_gets_1002(t: &Target) -> Result<(), Failure> {
    let garbage = format!("GET / HTTP/1.1\r\nHost: {}\r\n\r\n", t.authority());
    raw_fails_with(
        t,
        1002,
        "an HTTP request where a frame belongs",
        garbage.as_bytes(),
    )
    .map_err(|f| f.repro(replay(t, garbage.as_bytes())))
}

/// Every check of the chapter, in the order of the RFC.
pub fn all() -> Vec<Check> {
    vec![
        check!(
            handshake_answers_101,
            "a valid handshake gets 101 with Sec-WebSocket-Accept = base64(SHA-1(key + GUID)) (§4.2.2)"
        ),
        check!(
            unknown_version_gets_426,
            "Sec-WebSocket-Version other than 13 gets 426 with `Sec-WebSocket-Version: 13` (§4.4)"
        ),
        check!(
            short_key_gets_400,
            "a Sec-WebSocket-Key that is not 16 bytes of base64 gets 400 (§4.2.1)"
        ),
        check!(
            missing_key_gets_400,
            "a handshake without Sec-WebSocket-Key gets 400 (§4.2.1)"
        ),
        check!(
            text_echoed_at_every_length_boundary,
            "text of 0, 125, 126, 65535, 65536 bytes and more is echoed intact, unmasked (§5.2)"
        ),
        check!(
            binary_echoed_as_binary,
            "a binary message comes back as binary (§5.6)"
        ),
        check!(
            fragments_are_reassembled_around_a_ping,
            "a fragmented text message with a ping between fragments: pong first, then the whole message (§5.4)"
        ),
        check!(
            ping_gets_pong_with_the_same_payload,
            "a ping is answered by a pong with the same 125-byte payload (§5.5.2)"
        ),
        check!(
            close_is_echoed_then_tcp_closed,
            "a close frame is answered with the same code, then the server closes TCP (§5.5.1, §7.1.1)"
        ),
        check!(
            nothing_is_answered_after_close,
            "a data frame after the client's close is not echoed (§5.5.1)"
        ),
        check!(
            invalid_utf8_gets_1007,
            "text that is not UTF-8 fails the connection with 1007 (§8.1)"
        ),
        check!(
            invalid_utf8_in_a_later_fragment_gets_1007,
            "invalid UTF-8 across fragments fails with 1007 (§8.1)"
        ),
        check!(
            invalid_utf8_fails_before_the_last_fragment,
            "invalid UTF-8 fails with 1007 as soon as it arrives, without waiting for the message's last fragment (§8.1)"
        ),
        check!(
            unmasked_frame_gets_1002,
            "an unmasked client frame fails with 1002 (§5.1)"
        ),
        check!(
            reserved_bits_get_1002,
            "RSV1-3 set without an extension fails with 1002 (§5.2)"
        ),
        check!(
            reserved_opcode_gets_1002,
            "a reserved opcode fails with 1002 (§5.2)"
        ),
        check!(
            continuation_without_a_message_gets_1002,
            "a continuation with nothing to continue fails with 1002 (§5.4)"
        ),
        check!(
            new_message_inside_a_fragmented_one_gets_1002,
            "a new data frame inside a fragmented message fails with 1002 (§5.4)"
        ),
        check!(
            long_ping_gets_1002,
            "a control frame over 125 bytes fails with 1002 (§5.5)"
        ),
        check!(
            fragmented_ping_gets_1002,
            "a fragmented control frame fails with 1002 (§5.5)"
        ),
        check!(
            invalid_close_code_gets_1002,
            "close codes 0-999, 1004-1006, 1015, 1016-2999, 5000+ fail with 1002 (§7.4)"
        ),
        check!(
            one_byte_close_payload_gets_1002,
            "a close payload of one byte fails with 1002 (§5.5.1)"
        ),
        check!(
            close_reason_not_utf8_gets_1007,
            "a close reason that is not UTF-8 fails with 1007 (§5.5.1)"
        ),
        check!(
            two_gib_frame_gets_1009,
            "a 2 GiB length header gets 1009 at once, without the server reading or allocating 2 GiB (§7.4.1)"
        ),
        check!(
            top_bit_length_gets_1002,
            "a 64-bit length with the top bit set fails with 1002 (§5.2)"
        ),
        check!(
            http_after_the_handshake_gets_1002,
            "HTTP bytes after the handshake fail with 1002, not a hang (§5.2)"
        ),
    ]
}
