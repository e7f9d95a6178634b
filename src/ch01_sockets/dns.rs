//! DNS messages (RFC 1035 §4), built and parsed by hand.
//!
//! Sans-I/O like every codec in the book: [`build_query`] turns a name into
//! the bytes of one query, [`parse_message`] turns the bytes of one datagram
//! into a [`Message`], and [`answer_for`] checks that message against the
//! question we asked. No socket appears here; [`super::lookup`] does the
//! sending. A UDP datagram always arrives whole (or not at all), so unlike
//! the HTTP head parser there is no "need more bytes": a message that ends
//! early is [`DnsError::Truncated`].
//!
//! Everything that comes off the network is untrusted. Every offset is
//! checked before it is used (`slice.get`, never `slice[i]`), names are
//! limited to 255 bytes (RFC 1035 §2.3.4), and compression pointers must
//! point backwards, which makes a pointer loop impossible to follow.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// The fixed header that starts every message (RFC 1035 §4.1.1).
pub const HEADER_LEN: usize = 12;
/// Longest name on the wire, length octets included (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;
/// Longest label (RFC 1035 §2.3.4): the two top bits of a length octet are
/// taken by the compression flag, which leaves six bits.
pub const MAX_LABEL_LEN: usize = 63;
/// A plain DNS message over UDP is at most 512 bytes (RFC 1035 §4.2.1)
/// unless both sides speak EDNS(0) (RFC 6891). We send no EDNS option, so a
/// conforming server answers with at most 512 bytes and sets the TC bit if
/// the answer did not fit. We still *receive* into a larger buffer so that
/// a non-conforming server's big answer is seen whole rather than cut.
pub const MAX_UDP_MESSAGE: usize = 512;

/// Resource record type codes (RFC 1035 §3.2.2, RFC 3596 §2.1 for AAAA).
pub const TYPE_A: u16 = 1;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_AAAA: u16 = 28;
/// The Internet class (RFC 1035 §3.2.4).
pub const CLASS_IN: u16 = 1;

/// Header flag bits (RFC 1035 §4.1.1).
pub const FLAG_QR: u16 = 0x8000;
pub const FLAG_AA: u16 = 0x0400;
pub const FLAG_TC: u16 = 0x0200;
pub const FLAG_RD: u16 = 0x0100;
pub const FLAG_RA: u16 = 0x0080;

/// The two question types this book asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QType {
    /// An IPv4 address (RFC 1035 §3.4.1).
    A,
    /// An IPv6 address (RFC 3596).
    Aaaa,
}

impl QType {
    pub fn code(self) -> u16 {
        match self {
            QType::A => TYPE_A,
            QType::Aaaa => TYPE_AAAA,
        }
    }
}

impl fmt::Display for QType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QType::A => "A",
            QType::Aaaa => "AAAA",
        })
    }
}

impl FromStr for QType {
    type Err = String;
    fn from_str(s: &str) -> Result<QType, String> {
        match s.to_ascii_uppercase().as_str() {
            "A" => Ok(QType::A),
            "AAAA" => Ok(QType::Aaaa),
            _ => Err("expected A or AAAA".to_string()),
        }
    }
}

/// Why a name could not be encoded or a message could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsError {
    /// The name we were asked to look up cannot be put on the wire.
    BadName(String),
    /// The message ended before `what` was complete.
    Truncated { what: &'static str, at: usize },
    /// A length octet with the reserved top bits `01` or `10`.
    BadLabelType { at: usize },
    /// A compression pointer that does not point strictly backwards (every
    /// loop needs one such pointer), or too many pointers in one name.
    PointerLoop { at: usize },
    /// A name longer than 255 bytes once decompressed.
    NameTooLong { at: usize },
    /// The message is a query, not a response (QR bit clear).
    NotAResponse,
    /// The response carries another query's ID.
    WrongId { expected: u16, got: u16 },
    /// The server set the TC bit: the answer did not fit in a datagram.
    TruncatedFlag,
    /// RCODE other than 0 (RFC 1035 §4.1.1; 3 is NXDOMAIN).
    Rcode(u8),
    /// The response answers a different question than the one asked.
    QuestionMismatch(String),
    /// An A record whose data is not 4 bytes, an AAAA not 16, and so on.
    BadRdata { rtype: u16, len: usize },
    /// Bytes left over after the last record the counts announce.
    TrailingBytes { at: usize },
}

impl DnsError {
    /// The RFC's name for an RCODE.
    pub fn rcode_name(code: u8) -> &'static str {
        match code {
            1 => "FORMERR (the server could not understand the query)",
            2 => "SERVFAIL (the server failed to answer)",
            3 => "NXDOMAIN (the name does not exist)",
            4 => "NOTIMP (the server does not support this kind of query)",
            5 => "REFUSED (the server refuses to answer)",
            _ => "unknown error code",
        }
    }
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnsError::BadName(why) => write!(f, "invalid name: {why}"),
            DnsError::Truncated { what, at } => {
                write!(f, "malformed answer: message ends inside the {what} (offset {at})")
            }
            DnsError::BadLabelType { at } => {
                write!(f, "malformed answer: reserved label type at offset {at}")
            }
            DnsError::PointerLoop { at } => write!(
                f,
                "malformed answer: compression pointer at offset {at} does not point backwards (a loop)"
            ),
            DnsError::NameTooLong { at } => write!(
                f,
                "malformed answer: name at offset {at} is longer than {MAX_NAME_LEN} bytes"
            ),
            DnsError::NotAResponse => f.write_str("malformed answer: QR bit clear (a query, not a response)"),
            DnsError::WrongId { expected, got } => write!(
                f,
                "answer has ID 0x{got:04x}, but the query had 0x{expected:04x}"
            ),
            DnsError::TruncatedFlag => f.write_str(
                "the server set TC (truncated): the answer does not fit in a UDP datagram and DNS over TCP is not implemented",
            ),
            DnsError::Rcode(c) => write!(f, "server answered RCODE {c}: {}", DnsError::rcode_name(*c)),
            DnsError::QuestionMismatch(why) => {
                write!(f, "answer is for another question: {why}")
            }
            DnsError::BadRdata { rtype, len } => write!(
                f,
                "malformed answer: record of type {rtype} has {len} bytes of data"
            ),
            DnsError::TrailingBytes { at } => {
                write!(f, "malformed answer: unexpected bytes after offset {at}")
            }
        }
    }
}

impl std::error::Error for DnsError {}

/// The header fields (RFC 1035 §4.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub id: u16,
    pub flags: u16,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

impl Header {
    pub fn is_response(&self) -> bool {
        self.flags & FLAG_QR != 0
    }
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
    pub fn truncated(&self) -> bool {
        self.flags & FLAG_TC != 0
    }
    pub fn rcode(&self) -> u8 {
        (self.flags & 0xf) as u8
    }

    fn encode(&self, out: &mut Vec<u8>) {
        for v in [
            self.id,
            self.flags,
            self.qdcount,
            self.ancount,
            self.nscount,
            self.arcount,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
}

/// One entry of the question section (RFC 1035 §4.1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub name: String,
    pub qtype: u16,
    pub qclass: u16,
}

/// What a resource record carries, for the types this book understands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Cname(String),
    /// Any other type, kept as raw bytes.
    Other(Vec<u8>),
}

/// One resource record (RFC 1035 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: String,
    pub rtype: u16,
    pub class: u16,
    pub ttl: u32,
    pub data: RData,
}

/// A parsed message: header, questions and answers. The authority and
/// additional sections are walked (so their bytes are validated) but not
/// kept: a stub resolver has no use for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub header: Header,
    pub questions: Vec<Question>,
    pub answers: Vec<Record>,
}

/// The usable result of a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The addresses, in the order the server gave them.
    pub addrs: Vec<IpAddr>,
    /// The aliases followed on the way (`www.example.com` → `example.com`).
    pub cnames: Vec<String>,
    /// The smallest TTL among the records used: how long this may be cached.
    pub ttl: u32,
}

/// Appends `name` in wire form: each label as a length octet and its bytes,
/// then the zero-length root label (RFC 1035 §3.1). `"example.com"` becomes
/// `07 example 03 com 00`. A trailing dot is allowed; `"."` is the root.
pub fn encode_name(name: &str, out: &mut Vec<u8>) -> Result<(), DnsError> {
    exercise!(
        "ex_ch01_encode_name",
        ch01_encode_name::encode_name(name, out)
    );
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    let start = out.len();
    if !trimmed.is_empty() {
        for label in trimmed.split('.') {
            if label.is_empty() {
                return Err(DnsError::BadName(format!("empty label in `{name}`")));
            }
            if label.len() > MAX_LABEL_LEN {
                return Err(DnsError::BadName(format!(
                    "label `{label}` is {} bytes, the limit is {MAX_LABEL_LEN}",
                    label.len()
                )));
            }
            if !label.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(DnsError::BadName(format!(
                    "label `{label}` is not printable ASCII (write international names in their xn-- form)"
                )));
            }
            out.push(label.len() as u8);
            out.extend_from_slice(label.as_bytes());
        }
    }
    out.push(0);
    if out.len() - start > MAX_NAME_LEN {
        out.truncate(start);
        return Err(DnsError::BadName(format!(
            "`{name}` is longer than {MAX_NAME_LEN} bytes on the wire"
        )));
    }
    Ok(())
}

/// The bytes of a recursive query for `name`/`qtype` with query ID `id`
/// (RFC 1035 §4.1): a header with RD ("recursion desired") set and one
/// question, class IN.
pub fn build_query(id: u16, name: &str, qtype: QType) -> Result<Vec<u8>, DnsError> {
    let mut out = Vec::with_capacity(HEADER_LEN + name.len() + 6);
    Header {
        id,
        flags: FLAG_RD,
        qdcount: 1,
        ancount: 0,
        nscount: 0,
        arcount: 0,
    }
    .encode(&mut out);
    encode_name(name, &mut out)?;
    out.extend_from_slice(&qtype.code().to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

fn u16_at(msg: &[u8], at: usize, what: &'static str) -> Result<u16, DnsError> {
    match msg.get(at..at + 2) {
        Some(b) => Ok(u16::from_be_bytes([b[0], b[1]])),
        None => Err(DnsError::Truncated { what, at }),
    }
}

fn u32_at(msg: &[u8], at: usize, what: &'static str) -> Result<u32, DnsError> {
    match msg.get(at..at + 4) {
        Some(b) => Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
        None => Err(DnsError::Truncated { what, at }),
    }
}

/// Reads the header, the first 12 bytes.
pub fn parse_header(msg: &[u8]) -> Result<Header, DnsError> {
    exercise!("ex_ch01_parse_header", ch01_parse_header::parse_header(msg));
    if msg.len() < HEADER_LEN {
        return Err(DnsError::Truncated {
            what: "header",
            at: msg.len(),
        });
    }
    Ok(Header {
        id: u16_at(msg, 0, "header")?,
        flags: u16_at(msg, 2, "header")?,
        qdcount: u16_at(msg, 4, "header")?,
        ancount: u16_at(msg, 6, "header")?,
        nscount: u16_at(msg, 8, "header")?,
        arcount: u16_at(msg, 10, "header")?,
    })
}

/// Most compression pointers followed in one name. Backward-only pointers
/// already rule out loops; this bounds the work on a hostile message.
const MAX_POINTERS: usize = 64;

/// Reads the name that starts at `at`, following compression pointers
/// (RFC 1035 §4.1.4): a length octet whose top two bits are `11` is, with
/// the next octet, a 14-bit offset from the start of the message where the
/// rest of the name continues. Returns the name in dotted text form (the
/// root is `"."`) and the offset just past the name *where it started* (a
/// pointer ends the name there, whatever it points at).
///
/// A pointer must point before the start of the labels being read. Reading
/// only moves forward between pointers, so with that rule every jump lands
/// strictly earlier than the last and the walk must end: a message whose
/// pointer points at itself, or two pointers that point at each other, is
/// rejected as [`DnsError::PointerLoop`].
pub fn read_name(msg: &[u8], at: usize) -> Result<(String, usize), DnsError> {
    exercise!("ex_ch01_read_name", ch01_read_name::read_name(msg, at));
    let mut pos = at;
    let mut segment_start = at;
    let mut end = None;
    let mut wire_len = 0usize;
    let mut pointers = 0;
    let mut name = String::new();
    loop {
        let len = *msg.get(pos).ok_or(DnsError::Truncated {
            what: "name",
            at: pos,
        })?;
        match len & 0xc0 {
            0x00 if len == 0 => {
                wire_len += 1;
                if wire_len > MAX_NAME_LEN {
                    return Err(DnsError::NameTooLong { at });
                }
                if name.is_empty() {
                    name.push('.');
                }
                return Ok((name, end.unwrap_or(pos + 1)));
            }
            0x00 => {
                let len = len as usize;
                let label = msg.get(pos + 1..pos + 1 + len).ok_or(DnsError::Truncated {
                    what: "name",
                    at: pos,
                })?;
                wire_len += 1 + len;
                if wire_len > MAX_NAME_LEN {
                    return Err(DnsError::NameTooLong { at });
                }
                if !name.is_empty() {
                    name.push('.');
                }
                push_label(&mut name, label);
                pos += 1 + len;
            }
            0xc0 => {
                let low = *msg.get(pos + 1).ok_or(DnsError::Truncated {
                    what: "compression pointer",
                    at: pos,
                })?;
                let target = (((len & 0x3f) as usize) << 8) | low as usize;
                pointers += 1;
                if target >= segment_start || pointers > MAX_POINTERS {
                    return Err(DnsError::PointerLoop { at: pos });
                }
                end.get_or_insert(pos + 2);
                pos = target;
                segment_start = target;
            }
            _ => return Err(DnsError::BadLabelType { at: pos }),
        }
    }
}

/// Labels are bytes, not text: show printable ASCII as is and anything
/// else (and a literal dot inside a label) as `\DDD`, as `dig` does.
fn push_label(name: &mut String, label: &[u8]) {
    for &b in label {
        if b.is_ascii_graphic() && b != b'.' && b != b'\\' {
            name.push(b as char);
        } else {
            name.push_str(&format!("\\{b:03}"));
        }
    }
}

/// Names compare without regard to ASCII case (RFC 4343), and
/// `example.com.` is `example.com`.
pub fn same_name(a: &str, b: &str) -> bool {
    let a = a.strip_suffix('.').unwrap_or(a);
    let b = b.strip_suffix('.').unwrap_or(b);
    a.eq_ignore_ascii_case(b)
}

fn read_record(msg: &[u8], at: usize) -> Result<(Record, usize), DnsError> {
    let (name, pos) = read_name(msg, at)?;
    let rtype = u16_at(msg, pos, "record header")?;
    let class = u16_at(msg, pos + 2, "record header")?;
    let ttl = u32_at(msg, pos + 4, "record header")?;
    let rdlen = u16_at(msg, pos + 8, "record header")? as usize;
    let start = pos + 10;
    let rdata = msg.get(start..start + rdlen).ok_or(DnsError::Truncated {
        what: "record data",
        at: start,
    })?;
    let data = match (rtype, class) {
        (TYPE_A, CLASS_IN) => {
            let b: [u8; 4] = rdata
                .try_into()
                .map_err(|_| DnsError::BadRdata { rtype, len: rdlen })?;
            RData::A(Ipv4Addr::from(b))
        }
        (TYPE_AAAA, CLASS_IN) => {
            let b: [u8; 16] = rdata
                .try_into()
                .map_err(|_| DnsError::BadRdata { rtype, len: rdlen })?;
            RData::Aaaa(Ipv6Addr::from(b))
        }
        (TYPE_CNAME, _) => {
            // The alias may itself be compressed, pointing anywhere earlier
            // in the message, but it must end exactly where the data ends.
            let (target, after) = read_name(msg, start)?;
            if after != start + rdlen {
                return Err(DnsError::BadRdata { rtype, len: rdlen });
            }
            RData::Cname(target)
        }
        _ => RData::Other(rdata.to_vec()),
    };
    let record = Record {
        name,
        rtype,
        class,
        ttl,
        data,
    };
    Ok((record, start + rdlen))
}

/// Parses one whole message: header, question, answer, authority and
/// additional sections, as many entries as the header's counts say. Any
/// byte out of place is an error; nothing here can panic.
pub fn parse_message(msg: &[u8]) -> Result<Message, DnsError> {
    let header = parse_header(msg)?;
    let mut pos = HEADER_LEN;
    let mut questions = Vec::new();
    for _ in 0..header.qdcount {
        let (name, after) = read_name(msg, pos)?;
        let qtype = u16_at(msg, after, "question")?;
        let qclass = u16_at(msg, after + 2, "question")?;
        questions.push(Question {
            name,
            qtype,
            qclass,
        });
        pos = after + 4;
    }
    let mut answers = Vec::new();
    for _ in 0..header.ancount {
        let (record, after) = read_record(msg, pos)?;
        answers.push(record);
        pos = after;
    }
    let others = header.nscount as usize + header.arcount as usize;
    for _ in 0..others {
        let (_, after) = read_record(msg, pos)?;
        pos = after;
    }
    if pos != msg.len() {
        return Err(DnsError::TrailingBytes { at: pos });
    }
    Ok(Message {
        header,
        questions,
        answers,
    })
}

/// Checks a response against the query (`id`, `name`, `qtype`) and extracts
/// the addresses. The order of the checks is the order a careful stub
/// resolver needs: is it a response, is it ours (ID and question, RFC 5452
/// §3), did it fit (TC), did it succeed (RCODE), and only then the records.
///
/// Only records owned by the name asked for, or by an alias reached from it
/// through CNAME records, are used: a server (or an attacker) that adds a
/// record for some other name does not get it accepted.
pub fn answer_for(msg: &Message, id: u16, name: &str, qtype: QType) -> Result<Answer, DnsError> {
    let h = &msg.header;
    if !h.is_response() {
        return Err(DnsError::NotAResponse);
    }
    if h.id != id {
        return Err(DnsError::WrongId {
            expected: id,
            got: h.id,
        });
    }
    match msg.questions.as_slice() {
        [q] if same_name(&q.name, name) && q.qtype == qtype.code() && q.qclass == CLASS_IN => {}
        [q] => {
            return Err(DnsError::QuestionMismatch(format!(
                "asked {name} {qtype}, answer is for {} type {} class {}",
                q.name, q.qtype, q.qclass
            )));
        }
        qs => {
            return Err(DnsError::QuestionMismatch(format!(
                "expected 1 question in the answer, got {}",
                qs.len()
            )));
        }
    }
    if h.truncated() {
        return Err(DnsError::TruncatedFlag);
    }
    if h.rcode() != 0 {
        return Err(DnsError::Rcode(h.rcode()));
    }
    let mut owners = vec![name.to_string()];
    let mut answer = Answer {
        addrs: Vec::new(),
        cnames: Vec::new(),
        ttl: u32::MAX,
    };
    for r in &msg.answers {
        if !owners.iter().any(|o| same_name(o, &r.name)) {
            continue;
        }
        let addr = match (&r.data, qtype) {
            (RData::A(a), QType::A) => IpAddr::V4(*a),
            (RData::Aaaa(a), QType::Aaaa) => IpAddr::V6(*a),
            (RData::Cname(target), _) => {
                owners.push(target.clone());
                answer.cnames.push(target.clone());
                answer.ttl = answer.ttl.min(r.ttl);
                continue;
            }
            _ => continue,
        };
        answer.addrs.push(addr);
        answer.ttl = answer.ttl.min(r.ttl);
    }
    if answer.ttl == u32::MAX {
        answer.ttl = 0;
    }
    Ok(answer)
}

/// A one-line summary of a message for `--trace`.
pub fn summary(msg: &Message) -> String {
    let h = &msg.header;
    let mut s = format!(
        "id=0x{:04x} {} opcode={} rcode={}{}{}{}{} qd={} an={} ns={} ar={}",
        h.id,
        if h.is_response() { "response" } else { "query" },
        h.opcode(),
        h.rcode(),
        if h.flags & FLAG_AA != 0 { " AA" } else { "" },
        if h.truncated() { " TC" } else { "" },
        if h.flags & FLAG_RD != 0 { " RD" } else { "" },
        if h.flags & FLAG_RA != 0 { " RA" } else { "" },
        h.qdcount,
        h.ancount,
        h.nscount,
        h.arcount
    );
    for q in &msg.questions {
        s.push_str(&format!("; question {} type {}", q.name, q.qtype));
    }
    for r in &msg.answers {
        let data = match &r.data {
            RData::A(a) => format!("A {a}"),
            RData::Aaaa(a) => format!("AAAA {a}"),
            RData::Cname(c) => format!("CNAME {c}"),
            RData::Other(b) => format!("type {} ({} bytes)", r.rtype, b.len()),
        };
        s.push_str(&format!("; {} ttl={} {}", r.name, r.ttl, data));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// The query for `example.com A` with ID 0xabcd, byte by byte.
    const EXAMPLE_QUERY: &[u8] = &[
        0xab, 0xcd, // ID
        0x01, 0x00, // flags: RD
        0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // QD=1 AN=NS=AR=0
        7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // name
        0x00, 0x01, // QTYPE A
        0x00, 0x01, // QCLASS IN
    ];

    /// A response to [`EXAMPLE_QUERY`]: a CNAME `www.example.com` →
    /// `example.com` is not asked here; two A records, the second name a
    /// compression pointer to offset 12 (the question's name).
    fn example_response() -> Vec<u8> {
        let mut m = vec![
            0xab, 0xcd, 0x81, 0x80, // ID, flags: QR RD RA, RCODE 0
            0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
        ];
        m.extend_from_slice(&EXAMPLE_QUERY[12..]);
        for (ip, ttl) in [([93, 184, 216, 34], 300u32), ([10, 0, 0, 1], 60)] {
            m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
            m.extend_from_slice(&ttl.to_be_bytes());
            m.extend_from_slice(&[0, 4]);
            m.extend_from_slice(&ip);
        }
        m
    }

    #[test]
    fn query_bytes_match_rfc_1035_layout() {
        assert_eq!(
            build_query(0xabcd, "example.com", QType::A).unwrap(),
            EXAMPLE_QUERY
        );
        // A trailing dot names the same thing.
        assert_eq!(
            build_query(0xabcd, "example.com.", QType::A).unwrap(),
            EXAMPLE_QUERY
        );
        let q = build_query(1, "a.b", QType::Aaaa).unwrap();
        assert_eq!(&q[12..], &[1, b'a', 1, b'b', 0, 0, 28, 0, 1]);
    }

    #[test]
    fn bad_names_are_refused_before_sending() {
        for bad in [
            "a..b",
            ".a",
            &"x".repeat(64),
            &["abcdefghi"; 26].join("."),
            "caf\u{e9}.fr",
            "a b",
        ] {
            assert!(
                matches!(build_query(1, bad, QType::A), Err(DnsError::BadName(_))),
                "{bad}"
            );
        }
        // 63-byte labels and a 253-character name are fine.
        let ok = [
            &"x".repeat(63)[..],
            &"y".repeat(63),
            &"z".repeat(63),
            &"w".repeat(61),
        ]
        .join(".");
        assert_eq!(ok.len(), 253);
        assert!(build_query(1, &ok, QType::A).is_ok());
        assert_eq!(build_query(1, ".", QType::A).unwrap()[12], 0);
    }

    #[test]
    fn answers_with_compression_pointers_parse() {
        let m = parse_message(&example_response()).unwrap();
        assert_eq!(m.questions[0].name, "example.com");
        assert_eq!(m.answers.len(), 2);
        assert_eq!(m.answers[1].name, "example.com");
        let a = answer_for(&m, 0xabcd, "EXAMPLE.com.", QType::A).unwrap();
        assert_eq!(
            a.addrs,
            vec![
                "93.184.216.34".parse::<IpAddr>().unwrap(),
                "10.0.0.1".parse().unwrap()
            ]
        );
        assert_eq!(a.ttl, 60);
    }

    #[test]
    fn pointer_to_a_suffix_and_cname_chain() {
        // Question www.example.com AAAA; answer: www.example.com CNAME
        // (pointer to "example.com" at offset 16), then example.com AAAA.
        let mut m = vec![0, 7, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0];
        encode_name("www.example.com", &mut m).unwrap();
        m.extend_from_slice(&[0, 28, 0, 1]);
        // CNAME record, owner = pointer to 12, rdata = pointer to 16.
        m.extend_from_slice(&[0xc0, 12, 0, 5, 0, 1, 0, 0, 0, 10, 0, 2, 0xc0, 16]);
        // AAAA for example.com (pointer to 16).
        m.extend_from_slice(&[0xc0, 16, 0, 28, 0, 1, 0, 0, 0, 20, 0, 16]);
        m.extend_from_slice(&"2001:db8::1".parse::<Ipv6Addr>().unwrap().octets());
        let msg = parse_message(&m).unwrap();
        let a = answer_for(&msg, 7, "www.example.com", QType::Aaaa).unwrap();
        assert_eq!(a.cnames, vec!["example.com".to_string()]);
        assert_eq!(a.addrs, vec!["2001:db8::1".parse::<IpAddr>().unwrap()]);
        assert_eq!(a.ttl, 10);
    }

    #[test]
    fn records_for_other_names_are_ignored() {
        let mut m = vec![0, 7, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0];
        encode_name("a.test", &mut m).unwrap();
        m.extend_from_slice(&[0, 1, 0, 1]);
        encode_name("evil.test", &mut m).unwrap();
        m.extend_from_slice(&[0, 1, 0, 1, 0, 0, 0, 9, 0, 4, 6, 6, 6, 6]);
        let msg = parse_message(&m).unwrap();
        assert!(
            answer_for(&msg, 7, "a.test", QType::A)
                .unwrap()
                .addrs
                .is_empty()
        );
    }

    #[test]
    fn pointer_loops_are_rejected() {
        // A pointer to itself at offset 12.
        let mut m = vec![
            0, 1, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1,
        ];
        assert_eq!(read_name(&m, 12), Err(DnsError::PointerLoop { at: 12 }));
        // A label then a pointer back to that label: 12 → "a" → 14 → 12.
        m.truncate(12);
        m.extend_from_slice(&[1, b'a', 0xc0, 12]);
        assert_eq!(read_name(&m, 12), Err(DnsError::PointerLoop { at: 14 }));
        // Two pointers pointing at each other.
        let m2 = [0xc0, 2, 0xc0, 0];
        assert!(matches!(
            read_name(&m2, 2),
            Err(DnsError::PointerLoop { .. })
        ));
        // A forward pointer.
        assert!(matches!(
            read_name(&[0xc0, 5, 0, 0, 0, 0], 0),
            Err(DnsError::PointerLoop { .. })
        ));
    }

    #[test]
    fn names_over_255_bytes_via_pointers_are_rejected() {
        // Labels of 63 bytes chained by pointers: 5 of them exceed 255.
        let mut m = Vec::new();
        m.push(63);
        m.extend_from_slice(&[b'x'; 63]);
        m.push(0);
        for i in 0..5 {
            let prev = if i == 0 { 0 } else { m.len() - 66 };
            m.push(63);
            m.extend_from_slice(&[b'y'; 63]);
            m.extend_from_slice(&[0xc0 | (prev >> 8) as u8, prev as u8]);
        }
        let last = m.len() - 66;
        assert_eq!(read_name(&m, last), Err(DnsError::NameTooLong { at: last }));
    }

    #[test]
    fn reserved_label_types_are_rejected() {
        assert_eq!(
            read_name(&[0x40, 0], 0),
            Err(DnsError::BadLabelType { at: 0 })
        );
        assert_eq!(
            read_name(&[0x80, 0], 0),
            Err(DnsError::BadLabelType { at: 0 })
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        let full = example_response();
        for n in 0..full.len() {
            let err = parse_message(&full[..n]).unwrap_err();
            assert!(
                matches!(err, DnsError::Truncated { .. }),
                "cut at {n}: {err:?}"
            );
        }
        let mut extra = full.clone();
        extra.push(0);
        assert!(matches!(
            parse_message(&extra),
            Err(DnsError::TrailingBytes { .. })
        ));
    }

    #[test]
    fn header_checks_in_order() {
        let msg = parse_message(&example_response()).unwrap();
        assert_eq!(
            answer_for(&msg, 0x1111, "example.com", QType::A),
            Err(DnsError::WrongId {
                expected: 0x1111,
                got: 0xabcd
            })
        );
        assert!(matches!(
            answer_for(&msg, 0xabcd, "example.org", QType::A),
            Err(DnsError::QuestionMismatch(_))
        ));
        assert!(matches!(
            answer_for(&msg, 0xabcd, "example.com", QType::Aaaa),
            Err(DnsError::QuestionMismatch(_))
        ));
        let query = parse_message(EXAMPLE_QUERY).unwrap();
        assert_eq!(
            answer_for(&query, 0xabcd, "example.com", QType::A),
            Err(DnsError::NotAResponse)
        );
        for (flags, err) in [
            (0x8183u16, DnsError::Rcode(3)),
            (0x8182, DnsError::Rcode(2)),
            (0x8380, DnsError::TruncatedFlag),
        ] {
            let mut m = example_response();
            m[2..4].copy_from_slice(&flags.to_be_bytes());
            let msg = parse_message(&m).unwrap();
            assert_eq!(answer_for(&msg, 0xabcd, "example.com", QType::A), Err(err));
        }
        assert!(DnsError::Rcode(3).to_string().contains("NXDOMAIN"));
    }

    #[test]
    fn wrong_rdata_lengths_are_rejected() {
        let mut m = example_response();
        // First A record's RDLENGTH is at 29+10 = 39..41; claim 5 bytes.
        let at = EXAMPLE_QUERY.len() + 10;
        assert_eq!(&m[at..at + 2], &[0, 4]);
        m[at + 1] = 5;
        assert!(parse_message(&m).is_err());
        m[at + 1] = 3;
        assert!(matches!(
            parse_message(&m),
            Err(DnsError::BadRdata { .. }) | Err(DnsError::Truncated { .. })
        ));
    }

    #[test]
    fn random_garbage_never_panics() {
        let mut rng = Rng::new();
        let base = example_response();
        for _ in 0..20_000 {
            // Pure garbage, and a valid message with a few bytes changed.
            let n = rng.range(0, 80);
            let garbage = rng.bytes(n);
            let _ = parse_message(&garbage).map(|m| answer_for(&m, 1, "x", QType::A));
            let mut m = base.clone();
            for _ in 0..rng.range(1, 4) {
                let i = rng.below(m.len() as u64) as usize;
                m[i] = rng.next_u32() as u8;
            }
            if let Ok(msg) = parse_message(&m) {
                let _ = answer_for(&msg, 0xabcd, "example.com", QType::A);
            }
            for start in 0..m.len() {
                let _ = read_name(&m, start);
            }
        }
    }
}
