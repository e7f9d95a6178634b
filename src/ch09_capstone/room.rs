//! The chat room: who is in it, and one order of events for all of them.
//!
//! The room knows nothing about sockets (it borrows only chapter 8's names
//! for close codes). A member is a nickname and an
//! [`Outbox`], a bounded queue of JSON texts that *someone else* (the
//! WebSocket connection in [`super::chat`], or a test) empties. That split
//! is the whole concurrency design:
//!
//! * **One order for everyone.** Publishing an event takes the room's one
//!   lock, gives the event the next sequence number, and pushes it into every
//!   member's outbox before the lock is released. Two events can therefore
//!   never be pushed in different orders to two members.
//! * **Nobody waits for the slowest.** Pushing never blocks: an outbox that
//!   is full refuses the message. The lock is held for a few memory copies,
//!   never for a network write; writes happen on each member's own writer
//!   thread, which is the only thread a stuck client can stall.
//! * **A member that falls behind is cut off.** A refused push evicts the
//!   member: its outbox is closed with [`CLOSE_TOO_SLOW`] (1008, *Policy
//!   Violation*, RFC 6455 §7.4.1), its queue is dropped, and everyone else is
//!   told it left. Its memory stays bounded by [`Limits::queue_capacity`].
//! * **Nobody floods the others out.** Each member has a message rate (a
//!   token bucket, [`SAYS_PER_SECOND`]); otherwise one member sending as
//!   fast as it can would fill every queue and get the slower members
//!   evicted for its sake.
//!
//! The first version of a chat usually loops over the members and writes to
//! each socket in turn. With blocking sockets, like ours, one member that
//! stops reading then blocks the loop, and with it the whole room. In
//! Tornado, `write_message` never blocks (chapter 10 shows how a server is
//! built that way), but each stuck member's unsent messages pile up in its
//! stream's write buffer, which has no limit unless one is configured:
//! memory instead of time.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::protocol::{self, Event};
use crate::ch08_websocket::close;

/// Most members in one room; the next `join` is refused.
pub const MAX_MEMBERS: usize = 1000;
/// Longest nickname, in characters.
pub const MAX_NICK_CHARS: usize = 24;
/// Longest message text, in bytes of UTF-8.
pub const MAX_TEXT_BYTES: usize = 2000;
/// Messages a member may have waiting before it counts as too slow. At a few
/// hundred bytes each this bounds a stuck member's cost to ~100 KiB (plus
/// what the kernel's socket buffers hold).
pub const QUEUE_CAPACITY: usize = 256;

/// Messages a member may send per second, on average. Without a limit, one
/// member sending as fast as its connection allows would fill every other
/// member's queue and get the slower ones evicted.
pub const SAYS_PER_SECOND: u32 = 10;
/// How many messages a member may send at once before the rate applies
/// (a burst of pasted lines).
pub const SAY_BURST: u32 = 20;

/// WebSocket close code for a member that fell too far behind (RFC 6455
/// §7.4.1, 1008 Policy Violation).
pub const CLOSE_TOO_SLOW: u16 = close::POLICY_VIOLATION;
/// WebSocket close code when the room is full (1013 Try Again Later, IANA
/// registry of RFC 6455 close codes).
pub const CLOSE_ROOM_FULL: u16 = 1013;
/// WebSocket close code when the server shuts down (1001 Going Away).
pub const CLOSE_GOING_AWAY: u16 = close::GOING_AWAY;

/// The room's limits (defaults: the constants above).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_members: usize,
    pub max_nick_chars: usize,
    pub max_text_bytes: usize,
    pub queue_capacity: usize,
    /// Average messages a second per member; 0: no limit.
    pub says_per_second: u32,
    pub say_burst: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_members: MAX_MEMBERS,
            max_nick_chars: MAX_NICK_CHARS,
            max_text_bytes: MAX_TEXT_BYTES,
            queue_capacity: QUEUE_CAPACITY,
            says_per_second: SAYS_PER_SECOND,
            say_burst: SAY_BURST,
        }
    }
}

/// Why `join` failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinError {
    RoomFull,
    BadNick(&'static str),
    /// The room was closed (the server is shutting down).
    Closed,
}

impl std::fmt::Display for JoinError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JoinError::RoomFull => f.write_str("the room is full"),
            JoinError::BadNick(why) => write!(f, "bad nickname: {why}"),
            JoinError::Closed => f.write_str("the room is closed"),
        }
    }
}

/// Why `say` failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SayError {
    Empty,
    TooLong {
        limit: usize,
    },
    /// Over the member's message rate: this message was dropped.
    TooFast {
        per_second: u32,
    },
    /// This member is no longer in the room (evicted, or the room closed).
    NotInRoom,
}

impl std::fmt::Display for SayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SayError::Empty => f.write_str("empty message"),
            SayError::TooLong { limit } => write!(f, "message longer than {limit} bytes"),
            SayError::TooFast { per_second } => write!(
                f,
                "slow down: at most {per_second} messages a second (this one was dropped)"
            ),
            SayError::NotInRoom => f.write_str("not in the room"),
        }
    }
}

/// A chat room. Share it as `Arc<Room>`.
pub struct Room {
    limits: Limits,
    state: Mutex<State>,
}

struct State {
    next_id: u64,
    /// Number of the last published event.
    seq: u64,
    members: BTreeMap<u64, Entry>,
    closed: bool,
}

struct Entry {
    nick: String,
    outbox: Arc<Outbox>,
    /// Messages this member may send now (a token bucket: refilled at
    /// `says_per_second`, at most `say_burst`).
    tokens: f64,
    refilled: Instant,
}

impl Room {
    pub fn new(limits: Limits) -> Arc<Room> {
        Arc::new(Room {
            limits,
            state: Mutex::new(State {
                next_id: 1,
                seq: 0,
                members: BTreeMap::new(),
                closed: false,
            }),
        })
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-changed
        // in a way that matters more than losing the whole room would.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Members now in the room.
    pub fn len(&self) -> usize {
        self.lock().members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Their nicknames, in joining order.
    pub fn nicks(&self) -> Vec<String> {
        self.lock()
            .members
            .values()
            .map(|e| e.nick.clone())
            .collect()
    }

    /// Enters the room as `wanted` (trimmed; made unique with `-2`, `-3`…
    /// if taken). The new member's outbox first holds a `welcome`, then the
    /// `join` event everyone else receives too.
    pub fn join(self: &Arc<Room>, wanted: &str) -> Result<Member, JoinError> {
        let wanted = valid_nick(wanted, self.limits.max_nick_chars)?;
        let mut st = self.lock();
        if st.closed {
            return Err(JoinError::Closed);
        }
        if st.members.len() >= self.limits.max_members {
            return Err(JoinError::RoomFull);
        }
        let nick = unique_nick(&st, wanted, self.limits.max_nick_chars);
        let id = st.next_id;
        st.next_id += 1;
        let outbox = Arc::new(Outbox::new(self.limits.queue_capacity));
        st.members.insert(
            id,
            Entry {
                nick: nick.clone(),
                outbox: outbox.clone(),
                tokens: f64::from(self.limits.say_burst),
                refilled: Instant::now(),
            },
        );
        let names: Vec<&str> = st.members.values().map(|e| e.nick.as_str()).collect();
        // The queue is new and empty: the welcome always fits.
        let _ = outbox.push(protocol::welcome(st.seq, &nick, &names).into());
        publish(&mut st, Event::Join { nick: nick.clone() });
        drop(st);
        Ok(Member {
            room: self.clone(),
            id,
            nick,
            outbox,
        })
    }

    /// Closes the room (server shutdown): no one may join any more, and each
    /// member's outbox is closed with `code` *after* what is already queued,
    /// so a member receives every event published before the close.
    pub fn close(&self, code: u16, reason: &str) {
        let mut st = self.lock();
        st.closed = true;
        for e in st.members.values() {
            e.outbox.close(code, reason, true);
        }
    }

    /// Removes member `id`, if it is still in, and tells everyone why.
    fn leave(&self, id: u64, reason: &'static str) {
        let mut st = self.lock();
        if let Some(e) = st.members.remove(&id) {
            publish(
                &mut st,
                Event::Leave {
                    nick: e.nick,
                    reason,
                },
            );
        }
    }

    fn say(&self, id: u64, text: &str) -> Result<(), SayError> {
        if text.trim().is_empty() {
            return Err(SayError::Empty);
        }
        if text.len() > self.limits.max_text_bytes {
            return Err(SayError::TooLong {
                limit: self.limits.max_text_bytes,
            });
        }
        let limits = self.limits;
        let mut st = self.lock();
        let closed = st.closed;
        let e = match st.members.get_mut(&id) {
            Some(e) if !closed => e,
            _ => return Err(SayError::NotInRoom),
        };
        if limits.says_per_second > 0 {
            let now = Instant::now();
            let earned =
                now.duration_since(e.refilled).as_secs_f64() * f64::from(limits.says_per_second);
            e.tokens = (e.tokens + earned).min(f64::from(limits.say_burst));
            e.refilled = now;
            if e.tokens < 1.0 {
                return Err(SayError::TooFast {
                    per_second: limits.says_per_second,
                });
            }
            e.tokens -= 1.0;
        }
        let nick = e.nick.clone();
        publish(
            &mut st,
            Event::Say {
                nick,
                text: text.to_string(),
            },
        );
        Ok(())
    }
}

/// Numbers `event` and pushes it to every member, with the room locked.
/// Members whose outbox is full are evicted, and their leaving is published
/// in turn (which may evict more: hence the work list).
fn publish(st: &mut State, event: Event) {
    let mut pending = VecDeque::from([event]);
    while let Some(event) = pending.pop_front() {
        st.seq += 1;
        let text: Arc<str> = event.to_json(st.seq, st.members.len()).into();
        let mut evicted = Vec::new();
        for (&id, e) in &st.members {
            if let Err(PushError::Full) = e.outbox.push(text.clone()) {
                evicted.push(id);
            }
        }
        for id in evicted {
            let e = st.members.remove(&id).expect("member present");
            let why = format!("too slow: {} messages behind", e.outbox.capacity);
            e.outbox.close(CLOSE_TOO_SLOW, &why, false);
            pending.push_back(Event::Leave {
                nick: e.nick,
                reason: "too slow",
            });
        }
    }
}

/// Trims and checks a wanted nickname.
fn valid_nick(wanted: &str, max_chars: usize) -> Result<&str, JoinError> {
    exercise!(
        "ex_ch09_nickname",
        ch09_nickname::valid_nick(wanted, max_chars)
    );
    let nick = wanted.trim();
    if nick.is_empty() {
        return Err(JoinError::BadNick("empty"));
    }
    if nick.chars().count() > max_chars {
        return Err(JoinError::BadNick("too long"));
    }
    if nick.chars().any(char::is_control) {
        return Err(JoinError::BadNick("control characters"));
    }
    if nick.chars().any(is_invisible_format) {
        return Err(JoinError::BadNick(
            "invisible or text-reordering characters",
        ));
    }
    Ok(nick)
}

/// Unicode format characters (category Cf) that draw nothing or reorder the
/// text around them: bidirectional overrides, embeddings and isolates
/// (UAX #9), zero-width spaces and joiners, the soft hyphen, the BOM. In a
/// nickname they only serve to impersonate: `"\u{202E}ecila"` is displayed
/// as `alice`, `"ali\u{200B}ce"` looks like `alice` and is another name.
/// Letters of right-to-left scripts are not affected.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

/// `wanted`, or `wanted-2`, `wanted-3`… (shortened to fit) if a member has
/// that name already, ignoring case.
fn unique_nick(st: &State, wanted: &str, max_chars: usize) -> String {
    let taken = |n: &str| st.members.values().any(|e| e.nick.eq_ignore_ascii_case(n));
    if !taken(wanted) {
        return wanted.to_string();
    }
    (2..)
        .map(|i| {
            let suffix = format!("-{i}");
            let keep = max_chars.saturating_sub(suffix.len());
            let base: String = wanted.chars().take(keep).collect();
            base + &suffix
        })
        .find(|n| !taken(n))
        .expect("a free name exists: there are fewer members than integers")
}

/// One member, as its connection holds it. Dropping it leaves the room.
pub struct Member {
    room: Arc<Room>,
    id: u64,
    nick: String,
    outbox: Arc<Outbox>,
}

impl Member {
    /// The name the room gave this member.
    pub fn nick(&self) -> &str {
        &self.nick
    }

    /// What this member's writer sends, in order.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// Publishes a message from this member to everyone (itself included).
    pub fn say(&self, text: &str) -> Result<(), SayError> {
        self.room.say(self.id, text)
    }
}

impl Member {
    /// Leaves as a member that fell behind: everyone is told `too slow`,
    /// as when its queue overflows. For a connection whose writer could
    /// not hand even one message to the socket within the write timeout
    /// (the client stopped reading before its queue filled).
    pub fn leave_too_slow(self) {
        self.room.leave(self.id, "too slow");
        // Dropping `self` then finds it gone: nothing more is published.
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.room.leave(self.id, "left");
    }
}

impl std::fmt::Debug for Member {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Member")
            .field("id", &self.id)
            .field("nick", &self.nick)
            .finish()
    }
}

/// A member's bounded queue of outgoing texts, filled by the room and
/// emptied by the member's writer.
pub struct Outbox {
    capacity: usize,
    state: Mutex<OutboxState>,
    changed: Condvar,
}

/// What an outbox holds, and its rules, apart from the lock and the
/// wake-ups: the texts waiting, in order, and the close asked for.
pub struct OutboxState {
    pub queue: VecDeque<Arc<str>>,
    pub close: Option<(u16, String)>,
}

/// Why a push was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushError {
    /// `capacity` texts wait already: the member has fallen behind.
    Full,
    /// A close was asked for: nothing more goes in.
    Closed,
}

impl OutboxState {
    /// Queues `text` behind the others, unless a close was asked for or
    /// `capacity` texts wait already.
    pub fn push(&mut self, capacity: usize, text: Arc<str>) -> Result<(), PushError> {
        exercise!("ex_ch09_outbox", ch09_outbox::push(self, capacity, text));
        if self.close.is_some() {
            return Err(PushError::Closed);
        }
        if self.queue.len() >= capacity {
            return Err(PushError::Full);
        }
        self.queue.push_back(text);
        Ok(())
    }

    /// Asks for a close with `code` and `reason`. With `drain`, what is
    /// queued is still sent first; without, it is dropped. The first close
    /// wins: a later one changes nothing.
    pub fn close(&mut self, code: u16, reason: &str, drain: bool) {
        exercise!(
            "ex_ch09_outbox",
            ch09_outbox::close(self, code, reason, drain)
        );
        if self.close.is_none() {
            self.close = Some((code, reason.to_string()));
            if !drain {
                self.queue.clear();
            }
        }
    }

    /// What the writer does next, if anything: the oldest text first,
    /// and the close (every time it asks) once none is left.
    pub fn take(&mut self) -> Option<Next> {
        exercise!("ex_ch09_outbox", ch09_outbox::take(self));
        if let Some(text) = self.queue.pop_front() {
            return Some(Next::Send(text));
        }
        let (code, reason) = self.close.as_ref()?;
        Some(Next::Close(*code, reason.clone()))
    }
}

/// What a writer should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Send this text.
    Send(Arc<str>),
    /// Send a close frame with this code and reason, then stop.
    Close(u16, String),
    /// Nothing arrived within the timeout (a good moment for a ping).
    Idle,
}

impl Outbox {
    pub fn new(capacity: usize) -> Outbox {
        Outbox {
            capacity,
            state: Mutex::new(OutboxState {
                queue: VecDeque::new(),
                close: None,
            }),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, OutboxState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `text`, never blocking: at most `capacity` texts wait
    /// ([`OutboxState::push`]).
    pub(crate) fn push(&self, text: Arc<str>) -> Result<(), PushError> {
        self.lock().push(self.capacity, text)?;
        self.changed.notify_one();
        Ok(())
    }

    /// Asks the writer to close with `code`. With `drain`, what is queued is
    /// sent first; without, it is dropped. The first close wins.
    pub fn close(&self, code: u16, reason: &str, drain: bool) {
        self.lock().close(code, reason, drain);
        self.changed.notify_all();
    }

    /// Whether a close was asked for.
    pub fn is_closed(&self) -> bool {
        self.lock().close.is_some()
    }

    /// Texts waiting.
    pub fn len(&self) -> usize {
        self.lock().queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits up to `timeout` for something to do.
    pub fn next(&self, timeout: Duration) -> Next {
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        loop {
            if let Some(next) = st.take() {
                return next;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Next::Idle;
            }
            st = self
                .changed
                .wait_timeout(st, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch09_capstone::json::{self, Value};
    use std::thread;

    const NOW: Duration = Duration::ZERO;

    /// Everything queued for `m`, parsed.
    fn drain(o: &Outbox) -> Vec<Value> {
        let mut v = Vec::new();
        while let Next::Send(t) = o.next(NOW) {
            v.push(json::parse(&t).expect("server JSON parses"));
        }
        v
    }

    fn s<'a>(v: &'a Value, k: &str) -> &'a str {
        v.get(k).and_then(Value::as_str).unwrap_or("")
    }

    fn n(v: &Value, k: &str) -> f64 {
        match v.get(k) {
            Some(Value::Number(x)) => *x,
            _ => f64::NAN,
        }
    }

    #[test]
    fn joiner_gets_welcome_then_everyone_sees_join() {
        let room = Room::new(Limits::default());
        let a = room.join("alice").unwrap();
        let b = room.join("  bob ").unwrap();
        assert_eq!(b.nick(), "bob");
        let got_b = drain(b.outbox());
        assert_eq!(s(&got_b[0], "type"), "welcome");
        assert_eq!(s(&got_b[0], "nick"), "bob");
        assert_eq!(
            got_b[0].get("members"),
            Some(&Value::Array(vec![
                Value::String("alice".into()),
                Value::String("bob".into())
            ]))
        );
        assert_eq!(s(&got_b[1], "type"), "join");
        assert_eq!(n(&got_b[1], "count"), 2.0);
        let got_a = drain(a.outbox());
        let types: Vec<&str> = got_a.iter().map(|v| s(v, "type")).collect();
        assert_eq!(types, ["welcome", "join", "join"]);
        assert_eq!(n(&got_a[2], "seq"), n(&got_b[1], "seq"));
    }

    #[test]
    fn taken_nicks_get_a_suffix_and_bad_ones_are_refused() {
        let room = Room::new(Limits::default());
        let _a = room.join("Ann").unwrap();
        assert_eq!(room.join("ann").unwrap().nick(), "ann-2");
        let long = "x".repeat(MAX_NICK_CHARS);
        let _l = room.join(&long).unwrap();
        let l2 = room.join(&long).unwrap();
        assert_eq!(l2.nick().chars().count(), MAX_NICK_CHARS);
        assert!(l2.nick().ends_with("-2"));
        assert_eq!(room.join("  ").unwrap_err(), JoinError::BadNick("empty"));
        assert!(matches!(room.join("a\nb"), Err(JoinError::BadNick(_))));
        assert!(matches!(
            room.join(&"y".repeat(MAX_NICK_CHARS + 1)),
            Err(JoinError::BadNick(_))
        ));
    }

    #[test]
    fn invisible_and_reordering_characters_cannot_fake_a_nick() {
        let room = Room::new(Limits::default());
        let _alice = room.join("alice").unwrap();
        // U+202E RIGHT-TO-LEFT OVERRIDE: "\u{202E}ecila" displays as "alice"
        // and is a different name; zero-width characters make a name that
        // looks taken, or one that is not visible at all.
        for fake in [
            "\u{202E}ecila",
            "ali\u{200B}ce",
            "alice\u{200D}",
            "\u{2066}alice\u{2069}",
            "\u{FEFF}alice",
            "\u{200B}",
            "al\u{00AD}ice",
        ] {
            assert_eq!(
                room.join(fake).unwrap_err(),
                JoinError::BadNick("invisible or text-reordering characters"),
                "{fake:?}"
            );
        }
        // Right-to-left scripts themselves are fine.
        assert_eq!(room.join("שלום").unwrap().nick(), "שלום");
        assert_eq!(room.join("مرحبا").unwrap().nick(), "مرحبا");
    }

    #[test]
    fn leaving_is_announced_and_frees_the_name() {
        let room = Room::new(Limits::default());
        let a = room.join("a").unwrap();
        let b = room.join("b").unwrap();
        drain(a.outbox());
        drop(b);
        let got = drain(a.outbox());
        assert_eq!(s(&got[0], "type"), "leave");
        assert_eq!(s(&got[0], "nick"), "b");
        assert_eq!(s(&got[0], "reason"), "left");
        assert_eq!(n(&got[0], "count"), 1.0);
        assert_eq!(room.join("b").unwrap().nick(), "b");
    }

    #[test]
    fn room_size_is_limited() {
        let room = Room::new(Limits {
            max_members: 3,
            ..Limits::default()
        });
        let members: Vec<Member> = (0..3)
            .map(|i| room.join(&format!("m{i}")).unwrap())
            .collect();
        assert_eq!(room.join("one-too-many").unwrap_err(), JoinError::RoomFull);
        drop(members);
        assert!(room.is_empty());
        assert!(room.join("now-fits").is_ok());
    }

    #[test]
    fn message_text_is_limited_and_escaped() {
        let room = Room::new(Limits::default());
        let a = room.join("a\"<b>").unwrap();
        drain(a.outbox());
        assert_eq!(
            a.say(&"z".repeat(MAX_TEXT_BYTES + 1)),
            Err(SayError::TooLong {
                limit: MAX_TEXT_BYTES
            })
        );
        assert_eq!(a.say(" \n"), Err(SayError::Empty));
        let tricky = "line\n\"quote\" \\ \u{0} </script>";
        a.say(tricky).unwrap();
        let got = drain(a.outbox());
        assert_eq!(got.len(), 1);
        assert_eq!(s(&got[0], "text"), tricky);
        assert_eq!(s(&got[0], "nick"), "a\"<b>");
    }

    #[test]
    fn concurrent_senders_produce_one_order_for_all() {
        let room = Room::new(Limits {
            queue_capacity: 10_000,
            says_per_second: 0,
            ..Limits::default()
        });
        let members: Vec<Arc<Member>> = (0..4)
            .map(|i| Arc::new(room.join(&format!("m{i}")).unwrap()))
            .collect();
        for m in &members {
            drain(m.outbox());
        }
        let threads: Vec<_> = members
            .iter()
            .map(|m| {
                let m = m.clone();
                thread::spawn(move || {
                    for k in 0..200 {
                        m.say(&format!("{} {k}", m.nick())).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let seen: Vec<Vec<(f64, String)>> = members
            .iter()
            .map(|m| {
                drain(m.outbox())
                    .iter()
                    .map(|v| (n(v, "seq"), s(v, "text").to_string()))
                    .collect()
            })
            .collect();
        assert_eq!(seen[0].len(), 800);
        for other in &seen[1..] {
            assert_eq!(other, &seen[0]);
        }
        // Sequence numbers increase by one, and each sender's own messages
        // stay in the order it sent them.
        for w in seen[0].windows(2) {
            assert_eq!(w[1].0, w[0].0 + 1.0);
        }
        for m in &members {
            let mine: Vec<&String> = seen[0]
                .iter()
                .map(|(_, t)| t)
                .filter(|t| t.starts_with(&format!("{} ", m.nick())))
                .collect();
            let expect: Vec<String> = (0..200).map(|k| format!("{} {k}", m.nick())).collect();
            assert_eq!(mine, expect.iter().collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_member_that_stops_reading_is_evicted_and_the_rest_go_on() {
        let cap = 8;
        let room = Room::new(Limits {
            queue_capacity: cap,
            says_per_second: 0,
            ..Limits::default()
        });
        let stuck = room.join("stuck").unwrap();
        let a = room.join("a").unwrap();
        // `stuck` holds welcome + 2 joins; `a` keeps reading.
        let mut seen_by_a = drain(a.outbox());
        for k in 0..cap * 2 {
            a.say(&format!("m{k}")).unwrap();
            seen_by_a.extend(drain(a.outbox()));
        }
        assert_eq!(
            stuck.outbox().next(NOW),
            Next::Close(CLOSE_TOO_SLOW, format!("too slow: {cap} messages behind"))
        );
        let leave: Vec<&Value> = seen_by_a
            .iter()
            .filter(|v| s(v, "type") == "leave")
            .collect();
        assert_eq!(leave.len(), 1);
        assert_eq!(s(leave[0], "nick"), "stuck");
        assert_eq!(s(leave[0], "reason"), "too slow");
        let said = seen_by_a.iter().filter(|v| s(v, "type") == "say").count();
        assert_eq!(said, cap * 2, "every message reached the reader");
        assert_eq!(room.nicks(), ["a"]);
        assert_eq!(stuck.say("late"), Err(SayError::NotInRoom));
        drop(stuck); // leaving twice publishes nothing
        assert!(drain(a.outbox()).is_empty());
    }

    #[test]
    fn closing_the_room_drains_then_closes_every_outbox() {
        let room = Room::new(Limits::default());
        let a = room.join("a").unwrap();
        let b = room.join("b").unwrap();
        b.say("last words").unwrap();
        room.close(CLOSE_GOING_AWAY, "server shutting down");
        assert_eq!(room.join("c").unwrap_err(), JoinError::Closed);
        assert_eq!(b.say("after"), Err(SayError::NotInRoom));
        let got = drain(a.outbox());
        assert_eq!(s(got.last().unwrap(), "text"), "last words");
        assert_eq!(
            a.outbox().next(NOW),
            Next::Close(CLOSE_GOING_AWAY, "server shutting down".into())
        );
    }

    #[test]
    fn a_member_that_floods_is_slowed_down_not_the_others() {
        let room = Room::new(Limits {
            says_per_second: 1,
            say_burst: 5,
            ..Limits::default()
        });
        let flooder = room.join("flooder").unwrap();
        let calm = room.join("calm").unwrap();
        let results: Vec<_> = (0..20).map(|k| flooder.say(&format!("{k}"))).collect();
        let accepted = results.iter().filter(|r| r.is_ok()).count();
        // The burst, plus at most what a slow machine refilled meanwhile.
        assert!((5..=7).contains(&accepted), "{accepted} accepted");
        assert!(results.contains(&Err(SayError::TooFast { per_second: 1 })));
        // Someone else's budget is their own.
        assert_eq!(calm.say("hello"), Ok(()));
    }

    #[test]
    fn a_waiting_writer_wakes_for_a_message() {
        let room = Room::new(Limits::default());
        let a = room.join("a").unwrap();
        drain(a.outbox());
        let outbox = a.outbox().clone();
        let t = thread::spawn(move || outbox.next(Duration::from_secs(10)));
        a.say("wake up").unwrap();
        match t.join().unwrap() {
            Next::Send(text) => assert!(text.contains("wake up")),
            other => panic!("{other:?}"),
        }
        assert_eq!(a.outbox().next(Duration::from_millis(1)), Next::Idle);
    }
}
