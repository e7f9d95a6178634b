mod ch05_saturated {
    use std::sync::mpsc::channel;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use crate::ch05_concurrency::pool::{PoolStats, ThreadPool};

    #[test]
    fn saturated_when_jobs_wait_with_no_idle_worker() {
        let nothing = PoolStats::default();
        assert_eq!(
            nothing.saturated(),
            false,
            "saturated, with nothing queued and no worker?"
        );
        let pool = ThreadPool::new(2).expect("pool starts");
        let stats = pool.stats();
        let gate = Arc::new(Mutex::new(()));
        let closed = gate.lock().unwrap();
        let (started_tx, started_rx) = channel();
        for _ in 0..2 {
            let (started_tx, gate) = (started_tx.clone(), gate.clone());
            pool.execute(move || {
                let _ = started_tx.send(());
                drop(gate.lock());
            });
        }
        drop(started_tx);
        for _ in 0..2 {
            started_rx
                .recv_timeout(Duration::from_secs(5))
                .expect("two jobs start on two workers");
        }
        assert_eq!(
            stats.saturated(),
            false,
            "saturated, with 2 workers busy and nothing queued?"
        );
        let gate2 = gate.clone();
        pool.execute(move || drop(gate2.lock()));
        assert_eq!(
            stats.saturated(),
            true,
            "saturated, with 2 workers busy and 1 job queued?"
        );
        drop(closed);
        pool.join();
        assert_eq!(stats.saturated(), false, "saturated, after join?");
    }
}

mod ch05_body_rate {
    use std::time::Duration;

    use crate::ch05_concurrency::policy::too_slow;
    use crate::rng::Rng;

    const SEC: Duration = Duration::from_secs(1);

    #[test]
    fn never_too_slow_within_the_grace() {
        let mut rng = Rng::new();
        for _ in 0..100 {
            let grace = Duration::from_millis(rng.below(5_000));
            let waited = Duration::from_millis(rng.below(grace.as_millis() as u64 + 1));
            let rate = 1 + rng.below(1 << 20);
            assert_eq!(
                too_slow(0, waited, grace, rate),
                false,
                "too slow, with nothing received in {waited:?} of a {grace:?} grace?"
            );
        }
    }

    #[test]
    fn after_the_grace_the_body_must_keep_up_the_rate() {
        let grace = SEC;
        let cases = [
            (1023, grace + SEC, true),
            (1024, grace + SEC, false),
            (511, grace + SEC / 2, true),
            (512, grace + SEC / 2, false),
            (0, grace + Duration::from_millis(1), true),
            (10_239, grace + 10 * SEC, true),
            (10_240, grace + 10 * SEC, false),
        ];
        for (received, waited, expected) in cases {
            assert_eq!(
                too_slow(received, waited, grace, 1024),
                expected,
                "too slow, with {received} bytes in {waited:?} (1 s of grace, at least 1024 B/s)?"
            );
        }
        assert_eq!(
            too_slow(0, Duration::from_millis(1), Duration::ZERO, 1024),
            true,
            "too slow, with nothing in 1 ms and no grace?"
        );
    }

    #[test]
    fn the_rate_counts_only_the_time_past_the_grace() {
        let mut rng = Rng::new();
        for _ in 0..100 {
            let grace = Duration::from_millis(rng.below(3_000));
            let seconds = 1 + rng.below(3_600);
            let rate = 1 + rng.below(1 << 20);
            let waited = grace + Duration::from_secs(seconds);
            let enough = rate * seconds;
            assert_eq!(
                (
                    too_slow(enough - 1, waited, grace, rate),
                    too_slow(enough, waited, grace, rate),
                ),
                (true, false),
                "too slow with (one byte less than, exactly) {rate} B/s × {seconds} s \
                 after a {grace:?} grace?"
            );
        }
    }

    #[test]
    fn extreme_inputs_do_not_overflow() {
        let grace = SEC;
        assert_eq!(
            too_slow(u64::MAX, Duration::MAX, grace, u64::MAX),
            true,
            "too slow, with u64::MAX bytes in Duration::MAX at u64::MAX B/s?"
        );
        assert_eq!(
            too_slow(u64::MAX, grace + SEC, grace, u64::MAX),
            false,
            "too slow, with u64::MAX bytes in 1 s past the grace at u64::MAX B/s?"
        );
        assert_eq!(
            too_slow(0, Duration::MAX, Duration::MAX, u64::MAX),
            false,
            "too slow, when the whole (endless) wait is grace?"
        );
    }
}

mod ch05_worker {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::mpsc::channel;
    use std::sync::{Arc, Condvar, Mutex};
    use std::time::Duration;

    use crate::ch05_concurrency::pool::ThreadPool;

    const PATIENCE: Duration = Duration::from_secs(5);

    #[test]
    fn jobs_run_in_parallel() {
        // Four jobs that each wait (at most 2 s) until all four have started:
        // only workers that run at the same time see all four.
        let pool = ThreadPool::new(4).expect("pool starts");
        let started = Arc::new((Mutex::new(0usize), Condvar::new()));
        let (tx, rx) = channel();
        for _ in 0..4 {
            let (started, tx) = (started.clone(), tx.clone());
            pool.execute(move || {
                let (count, cv) = &*started;
                let mut n = count.lock().unwrap();
                *n += 1;
                cv.notify_all();
                let (n, _) = cv
                    .wait_timeout_while(n, Duration::from_secs(2), |n| *n < 4)
                    .unwrap();
                let _ = tx.send(*n == 4);
            });
        }
        drop(tx); // only the jobs hold a sender: if they are gone, recv fails at once
        let all_together: Vec<bool> = (0..4)
            .map(|_| rx.recv_timeout(PATIENCE * 3).unwrap_or(false))
            .collect();
        assert_eq!(
            all_together,
            vec![true; 4],
            "did each of 4 jobs on 4 workers see the other 3 running?"
        );
    }

    #[test]
    fn a_panicking_job_does_not_end_its_worker() {
        let pool = ThreadPool::new(1).expect("pool starts");
        pool.execute(|| panic!("a job panics (this message is expected)"));
        let (tx, rx) = channel();
        pool.execute(move || tx.send("ran").unwrap());
        assert_eq!(
            rx.recv_timeout(PATIENCE).ok(),
            Some("ran"),
            "a job after a panicking one, on a pool of one worker"
        );
    }

    #[test]
    fn join_runs_every_queued_job_first() {
        let pool = ThreadPool::new(2).expect("pool starts");
        let done = Arc::new(AtomicUsize::new(0));
        for _ in 0..50 {
            let done = done.clone();
            pool.execute(move || {
                done.fetch_add(1, Ordering::SeqCst);
            });
        }
        pool.join();
        assert_eq!(
            done.load(Ordering::SeqCst),
            50,
            "jobs run when join returned"
        );
    }

    #[test]
    fn stats_count_waiting_jobs_and_idle_workers() {
        let pool = ThreadPool::new(2).expect("pool starts");
        let stats = pool.stats();
        let (started_tx, started_rx) = channel();
        let gate = Arc::new(Mutex::new(()));
        let closed = gate.lock().unwrap();
        for _ in 0..5 {
            let (started_tx, gate) = (started_tx.clone(), gate.clone());
            pool.execute(move || {
                let _ = started_tx.send(());
                drop(gate.lock());
            });
        }
        drop(started_tx);
        for _ in 0..2 {
            started_rx
                .recv_timeout(PATIENCE)
                .expect("two jobs start on two workers");
        }
        let got = (stats.queued(), stats.idle(), stats.saturated());
        assert_eq!(
            got,
            (3, 0, true),
            "(queued, idle, saturated) with 2 workers busy and 3 jobs waiting"
        );
        drop(closed);
        pool.join();
        let got = (stats.queued(), stats.idle());
        assert_eq!(got, (0, 0), "(queued, idle) after join");
    }
}
