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
