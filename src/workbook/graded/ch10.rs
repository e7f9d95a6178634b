mod ch10_token {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    use crate::ch10_event_loop::lot::Lot;

    const PATIENCE: Duration = Duration::from_secs(5);

    /// A connected client and server socket on loopback.
    fn pair(listener: &TcpListener) -> (TcpStream, TcpStream) {
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (client, server)
    }

    /// The one byte a ready connection holds.
    fn byte_of(mut s: &TcpStream) -> u8 {
        let mut b = [0u8];
        s.read_exact(&mut b).unwrap();
        b[0]
    }

    #[test]
    fn the_lot_hands_back_the_connection_that_is_ready() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let lot = Lot::<TcpStream>::new().expect("epoll");
        let mut clients = Vec::new();
        for _ in 0..300 {
            let (c, s) = pair(&listener);
            lot.park(s).expect("parked");
            clients.push(c);
        }
        for i in [7usize, 299, 0, 256] {
            clients[i].write_all(&[i as u8]).unwrap();
            let mut out = Vec::new();
            lot.wait(&mut out, 8, PATIENCE).unwrap();
            let got: Vec<u8> = out.iter().map(|(_, s)| byte_of(s)).collect();
            assert_eq!(
                got,
                vec![i as u8],
                "what the lot hands back when connection {i} of 300 is readable"
            );
            for (ticket, s) in out {
                lot.release(ticket, &s);
            }
        }
    }

    #[test]
    fn a_reused_slot_hands_back_its_new_connection() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let lot = Lot::<TcpStream>::new().expect("epoll");
        for round in 0u8..5 {
            let (mut c, s) = pair(&listener);
            lot.park(s).expect("parked");
            c.write_all(&[round]).unwrap();
            let mut out = Vec::new();
            lot.wait(&mut out, 8, PATIENCE).unwrap();
            let got: Vec<u8> = out.iter().map(|(_, s)| byte_of(s)).collect();
            assert_eq!(
                got,
                vec![round],
                "round {round}: the slot's new occupant, once readable"
            );
            for (ticket, s) in out {
                lot.release(ticket, &s);
            }
        }
    }
}

mod ch10_check {
    use std::io::{ErrorKind, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    use crate::ch10_event_loop::epoll::{Epoll, Ready, Watch};

    #[test]
    fn kernel_errors_come_back_with_their_kind() {
        let epoll = Epoll::new().expect("epoll_create1");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let r = epoll.remove(&listener).map_err(|e| e.kind());
        assert_eq!(
            r,
            Err(ErrorKind::NotFound),
            "removing a socket epoll does not watch (ENOENT)"
        );
        assert_eq!(
            epoll.add(&listener, 1, Watch::Once).map_err(|e| e.kind()),
            Ok(()),
            "adding it"
        );
        let r = epoll.add(&listener, 1, Watch::Once).map_err(|e| e.kind());
        assert_eq!(r, Err(ErrorKind::AlreadyExists), "adding it twice (EEXIST)");
        assert_eq!(
            epoll.remove(&listener).map_err(|e| e.kind()),
            Ok(()),
            "removing it"
        );
    }

    #[test]
    fn counts_come_back_as_they_are() {
        let epoll = Epoll::new().expect("epoll_create1");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        epoll.add(&server, 7, Watch::Once).unwrap();
        let mut out = [Ready { token: 0 }; 4];
        let n = epoll.wait(&mut out, Duration::ZERO).map_err(|e| e.kind());
        assert_eq!(n, Ok(0), "epoll_wait with nothing ready");
        client.write_all(b"x").unwrap();
        let n = epoll
            .wait(&mut out, Duration::from_secs(5))
            .map_err(|e| e.kind());
        assert_eq!(
            (n, out[0].token),
            (Ok(1), 7),
            "(epoll_wait, its token) once the socket is readable"
        );
    }
}

mod ch10_timeout {
    use std::net::TcpListener;
    use std::time::{Duration, Instant};

    use crate::ch10_event_loop::epoll::{Epoll, Ready, Watch, timeout_ms};
    use crate::rng::Rng;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn whole_milliseconds_stay_as_they_are() {
        let mut rng = Rng::new();
        let mut cases = vec![0u64, 1, 2, 1000, i32::MAX as u64];
        cases.extend((0..50).map(|_| rng.below(i32::MAX as u64)));
        for ms in cases {
            let d = Duration::from_millis(ms);
            assert_eq!(timeout_ms(d), ms as i32, "the timeout for {d:?}");
        }
    }

    #[test]
    fn a_part_of_a_millisecond_rounds_up() {
        let fixed = [
            (Duration::from_nanos(1), 1),
            (Duration::from_micros(1), 1),
            (Duration::from_micros(500), 1),
            (Duration::from_micros(999), 1),
            (MS + Duration::from_nanos(1), 2),
            (Duration::from_micros(1500), 2),
        ];
        for (d, ms) in fixed {
            assert_eq!(timeout_ms(d), ms, "the timeout for {d:?}");
        }
        let mut rng = Rng::new();
        for _ in 0..50 {
            let ms = rng.below(1 << 30);
            let d = Duration::from_millis(ms) + Duration::from_nanos(1 + rng.below(999_999));
            assert_eq!(timeout_ms(d), ms as i32 + 1, "the timeout for {d:?}");
        }
    }

    #[test]
    fn no_timeout_is_minus_one_and_long_ones_are_capped() {
        assert_eq!(timeout_ms(Duration::MAX), -1, "Duration::MAX (no timeout)");
        let longest = Duration::from_millis(i32::MAX as u64);
        for d in [
            longest + Duration::from_nanos(1),
            longest + MS,
            Duration::from_secs(100 * 365 * 24 * 3600),
            Duration::MAX - Duration::from_nanos(1),
        ] {
            assert_eq!(timeout_ms(d), i32::MAX, "the timeout for {d:?}");
        }
    }

    #[test]
    fn epoll_wait_never_ends_before_its_deadline() {
        // Nothing ready: each wait must last at least as long as asked.
        let epoll = Epoll::new().expect("epoll_create1");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        epoll.add(&listener, 1, Watch::Once).unwrap();
        let mut rng = Rng::new();
        let mut out = [Ready { token: 0 }; 4];
        for _ in 0..10 {
            let asked = Duration::from_micros(100 + rng.below(2_900));
            let t = Instant::now();
            let n = epoll.wait(&mut out, asked).unwrap();
            let took = t.elapsed();
            assert_eq!(
                (n, took >= asked),
                (0, true),
                "(ready, long enough) for a wait of {asked:?} with nothing ready (it took {took:?})"
            );
        }
    }
}
