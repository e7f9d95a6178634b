//! Every exercise of the workbook, in book order, easy to hard within a
//! chapter. The runner, `verify` and the chapters' "Exercises" sections all
//! follow this list.

/// One library exercise: a function of a chapter that the reader writes again.
#[derive(Debug, Clone, Copy)]
pub struct Exercise {
    /// `chNN_what`: the stub's file name, the cargo feature (`ex_` + name)
    /// and the module of its graded tests.
    pub name: &'static str,
    /// One line: what to write.
    pub title: &'static str,
    /// Where the reference lives: the file, and the `fn` to look for.
    pub reference: (&'static str, &'static str),
    /// The chapter and section to reread.
    pub reread: &'static str,
    /// A nudge, not the answer.
    pub hint: &'static str,
    /// The pristine stub.
    pub stub: &'static str,
}

impl Exercise {
    /// The chapter number, from the name.
    pub fn chapter(&self) -> u32 {
        self.name[2..4].parse().unwrap_or(0)
    }

    /// The reader's file, relative to the crate root.
    pub fn file(&self) -> String {
        format!("src/workbook/{}.rs", self.name)
    }
}

/// Finds an exercise by name; the name without its `chNN_`, or a unique
/// part of it, is enough (`parse_request` finds `ch02_parse_request`).
pub fn find(name: &str) -> Result<&'static Exercise, String> {
    if let Some(e) = ALL
        .iter()
        .find(|e| e.name == name || e.name.get(5..) == Some(name))
    {
        return Ok(e);
    }
    let hits: Vec<&Exercise> = ALL.iter().filter(|e| e.name.contains(name)).collect();
    match hits.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("no exercise is called `{name}`")),
        many => Err(format!(
            "`{name}` could be {}",
            many.iter().map(|e| e.name).collect::<Vec<_>>().join(", ")
        )),
    }
}

macro_rules! stub {
    ($name:literal) => {
        include_str!(concat!("stubs/", $name, ".rs"))
    };
}

pub static ALL: &[Exercise] = &[
    Exercise {
        name: "ch01_encode_name",
        title: "encode a DNS name as length-prefixed labels",
        reference: ("src/ch01_sockets/dns.rs", "fn encode_name"),
        reread: "chapters/01-sockets.md, \"DNS: from a name to an address\"",
        hint: "Strip one trailing dot, split on '.', and check each label before writing it. \
               The 255-byte limit counts the length octets and the final 0.",
        stub: stub!("ch01_encode_name"),
    },
    Exercise {
        name: "ch01_parse_header",
        title: "read the 12-byte DNS header",
        reference: ("src/ch01_sockets/dns.rs", "fn parse_header"),
        reread: "chapters/01-sockets.md, \"Untrusted bytes\"",
        hint: "Check the length once, first; then u16::from_be_bytes([msg[i], msg[i + 1]]) \
               six times.",
        stub: stub!("ch01_parse_header"),
    },
    Exercise {
        name: "ch01_read_name",
        title: "read a DNS name, following compression pointers safely",
        reference: ("src/ch01_sockets/dns.rs", "fn read_name"),
        reread: "chapters/01-sockets.md, \"DNS: from a name to an address\" and \"Untrusted bytes\"",
        hint: "Keep the start of the labels you are reading now: a pointer must point before it, \
               and after a jump that start moves back. That one rule ends every loop. Remember \
               where the *first* pointer was: the name ends 2 bytes after it. Use msg.get(..) \
               for every read.",
        stub: stub!("ch01_read_name"),
    },
    Exercise {
        name: "ch02_is_token",
        title: "is this a token (a method, a field name)?",
        reference: ("src/ch02_http_by_hand/head.rs", "fn is_token"),
        reread: "chapters/02-http-by-hand.md, \"1. What HTTP is, on the wire\"",
        hint: "Empty is not a token. A `matches!` over the 15 symbols and the three ASCII ranges \
               decides one byte; `iter().all` the rest.",
        stub: stub!("ch02_is_token"),
    },
    Exercise {
        name: "ch02_content_length",
        title: "read Content-Length, refusing anything ambiguous",
        reference: ("src/ch02_http_by_hand/framing.rs", "fn content_length"),
        reread: "chapters/02-http-by-hand.md, \"3. Limits and status codes\"",
        hint: "Loop over headers.get_all(\"content-length\"), split each on ',', trim spaces and \
               tabs, require all digits before parsing (`\"+5\".parse::<u64>()` is Ok!), and \
               compare with the first value found.",
        stub: stub!("ch02_content_length"),
    },
    Exercise {
        name: "ch02_split_host_port",
        title: "split host[:port] and check the host's grammar",
        reference: ("src/ch02_http_by_hand/head.rs", "fn split_host_port"),
        reread: "chapters/02-http-by-hand.md, \"3. Limits and status codes\"",
        hint: "Two cases by the first byte. '[': split_once(']'), parse the inside as \
               std::net::Ipv6Addr, then the rest is \"\" or \":port\". Else rsplit_once(':') and \
               check every byte of the host, and that each '%' has two hex digits after it.",
        stub: stub!("ch02_split_host_port"),
    },
    Exercise {
        name: "ch02_parse_request",
        title: "parse a request head: request line, version, limits",
        reference: ("src/ch02_http_by_hand/head.rs", "fn parse_request"),
        reread: "chapters/02-http-by-hand.md, \"2. Why parse bytes, not lines\" and \
                 \"3. Limits and status codes\"",
        hint: "Skip leading CRLFs, then look for the first '\\n'. No '\\n' yet? Check what the \
               partial line already proves (a method byte that is not a tchar, a target past \
               the limit, too many bytes) and answer Incomplete. Then split the line on ' ' into \
               exactly three parts, check each, and let parse_fields do the rest.",
        stub: stub!("ch02_parse_request"),
    },
    Exercise {
        name: "ch03_percent_decode",
        title: "decode %XX escapes, strictly",
        reference: ("src/ch03_urls_and_clients/percent.rs", "fn percent_decode"),
        reread: "chapters/03-urls-and-clients.md, \"1. URI, URL, URN\"",
        hint: "Walk the bytes with an index; at '%' look at the next two with .get() and a \
               hex-digit helper, push (hi << 4) | lo and skip 3. Work on bytes: the result may \
               not be UTF-8.",
        stub: stub!("ch03_percent_decode"),
    },
    Exercise {
        name: "ch03_chunk_size_line",
        title: "parse a chunk-size line of a chunked body",
        reference: ("src/ch03_urls_and_clients/body.rs", "fn parse_size_line"),
        reread: "chapters/03-urls-and-clients.md, \"The three framings\"",
        hint: "strip_suffix(b\"\\r\") first. Count the leading hex digits (0 or more than 15 is an \
               error); after them, skip spaces and tabs: what is left is empty or starts with ';'.",
        stub: stub!("ch03_chunk_size_line"),
    },
    Exercise {
        name: "ch03_dot_segments",
        title: "remove . and .. segments from a path",
        reference: ("src/ch03_urls_and_clients/url.rs", "fn remove_dot_segments"),
        reread: "chapters/03-urls-and-clients.md, \"Relative references\"",
        hint: "Follow RFC 3986 §5.2.4 literally: while the input is not empty, apply the first of \
               rules A-E that fits. For rule C (\"/..\"), remove the last segment of the output \
               with rfind('/').",
        stub: stub!("ch03_dot_segments"),
    },
    Exercise {
        name: "ch04_method_parse",
        title: "recognise the nine methods, case-sensitively",
        reference: ("src/ch04_methods_and_routing/method.rs", "fn parse"),
        reread: "chapters/04-methods-and-routing.md, \"Methods and routing\"",
        hint: "A `match s { \"GET\" => Some(Method::Get), ... }`; or search Method::ALL for the one \
               whose as_str() is s.",
        stub: stub!("ch04_method_parse"),
    },
    Exercise {
        name: "ch04_keep_alive",
        title: "decide whether the connection stays open",
        reference: (
            "src/ch04_methods_and_routing/framing.rs",
            "fn wants_keep_alive",
        ),
        reread: "chapters/04-methods-and-routing.md, \"One connection, many requests\"",
        hint: "match head.version: the two versions have opposite defaults. \
               head.headers.has_token(\"connection\", \"close\") handles lists and case.",
        stub: stub!("ch04_keep_alive"),
    },
    Exercise {
        name: "ch04_route_match",
        title: "match a path against /notes/{id} and /static/{path*}",
        reference: ("src/ch04_methods_and_routing/router.rs", "fn matches"),
        reread: "chapters/04-methods-and-routing.md, \"Methods and routing\"",
        hint: "Split both on '/' after the leading one and walk them together. A bad escape in a \
               capture must not stop the walk: the path may still fail to match later (None), \
               which wins over Some(Err(())).",
        stub: stub!("ch04_route_match"),
    },
    Exercise {
        name: "ch05_saturated",
        title: "decide when the thread pool is under pressure",
        reference: ("src/ch05_concurrency/pool.rs", "fn saturated"),
        reread: "chapters/05-concurrency.md, \"Surviving idle and slow clients\"",
        hint: "Compare the two counts. Is one job waiting with one idle worker pressure? That \
               worker is about to take it.",
        stub: stub!("ch05_saturated"),
    },
    Exercise {
        name: "ch05_body_rate",
        title: "decide when a request body arrives too slowly",
        reference: ("src/ch05_concurrency/policy.rs", "fn too_slow"),
        reread: "chapters/05-concurrency.md, \"Surviving idle and slow clients\"",
        hint: "Take the grace off first (saturating_sub: the wait may be shorter). Then compare \
               received with min_rate × the time left, in whole nanoseconds (u128), so that \
               nothing rounds; saturating_mul keeps the largest product from overflowing.",
        stub: stub!("ch05_body_rate"),
    },
    Exercise {
        name: "ch05_worker",
        title: "the thread pool's worker loop",
        reference: ("src/ch05_concurrency/pool.rs", "fn worker"),
        reread: "chapters/05-concurrency.md, \"A thread pool, by hand\"",
        hint: "In one statement, `let next = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();` \
               takes a job and drops the guard before the job runs; `while let Ok(job) = \
               receiver.lock().unwrap().recv()` would hold it for the whole body. Run the job \
               inside catch_unwind(AssertUnwindSafe(job)).",
        stub: stub!("ch05_worker"),
    },
    Exercise {
        name: "ch06_path_segments",
        title: "split a request path into safe segments",
        reference: ("src/ch06_static_files/path.rs", "fn segments"),
        reread: "chapters/06-static-files.md, \"2. Paths done right\"",
        hint: "Decode once, then check the decoded text: NUL, backslash, the leading '/', then \
               each segment of the split. Never decode a second time.",
        stub: stub!("ch06_path_segments"),
    },
    Exercise {
        name: "ch06_etag_list",
        title: "parse If-None-Match: * or a list of entity-tags",
        reference: ("src/ch06_static_files/conditional.rs", "fn parse_tag_list"),
        reread: "chapters/06-static-files.md, \"4. Validators and 304\"",
        hint: "Loop: skip spaces, tabs and commas; take an optional \"W/\"; expect '\"'; find the \
               closing '\"'; check the bytes between; after the tag only spaces and then ',' or \
               the end may follow.",
        stub: stub!("ch06_etag_list"),
    },
    Exercise {
        name: "ch06_range",
        title: "resolve a Range field against a file's length",
        reference: ("src/ch06_static_files/range.rs", "fn parse_range"),
        reread: "chapters/06-static-files.md, \"5. Ranges\"",
        hint: "Two passes: parse every spec first (any malformed one: Ignore), then resolve each \
               against len, drop those that select nothing, sort by first and merge when \
               next.first <= last + 1 (saturating).",
        stub: stub!("ch06_range"),
    },
    Exercise {
        name: "ch07_content_range",
        title: "parse Content-Range: bytes FIRST-LAST/TOTAL",
        reference: (
            "src/ch07_downloads_and_uploads/download.rs",
            "fn parse_content_range",
        ),
        reread: "chapters/07-downloads-and-uploads.md, \"3. Resuming: `Range` + `If-Range`\"",
        hint: "strip_prefix(\"bytes \"), then split_once('/') and split_once('-'); `?` on every \
               step.",
        stub: stub!("ch07_content_range"),
    },
    Exercise {
        name: "ch07_upload_name",
        title: "accept only plain file names for uploads",
        reference: (
            "src/ch07_downloads_and_uploads/receive.rs",
            "fn plain_file_name",
        ),
        reread: "chapters/07-downloads-and-uploads.md, \"5. Receiving uploads on the server\"",
        hint: "Decode first, check after: every test on the decoded name (`%2f` is '/'). \
               char::is_control covers NUL and newlines.",
        stub: stub!("ch07_upload_name"),
    },
    Exercise {
        name: "ch07_output_name",
        title: "name a download after its URL, safely",
        reference: (
            "src/ch07_downloads_and_uploads/download.rs",
            "fn default_output",
        ),
        reread: "chapters/07-downloads-and-uploads.md, \"1. A file appears whole or not at all\"",
        hint: "url.path.rsplit('/').next() is the last segment; empty means index.html; \
               otherwise plain_file_name decides, and its reason goes into your message.",
        stub: stub!("ch07_output_name"),
    },
    Exercise {
        name: "ch08_accept_key",
        title: "compute Sec-WebSocket-Accept",
        reference: ("src/ch08_websocket/accept.rs", "fn accept_key"),
        reread: "chapters/08-websocket.md, \"The accept key\"",
        hint: "Sha1::new(), update with the key's bytes and the GUID's, finalize, then \
               STANDARD.encode(...). Do not decode the key first.",
        stub: stub!("ch08_accept_key"),
    },
    Exercise {
        name: "ch08_frame_header",
        title: "encode a WebSocket frame header",
        reference: ("src/ch08_websocket/frame.rs", "fn encode_header"),
        reread: "chapters/08-websocket.md, \"Frames (§5)\"",
        hint: "Three cases for the length: < 126, <= u16::MAX, the rest. to_be_bytes() gives \
               network byte order.",
        stub: stub!("ch08_frame_header"),
    },
    Exercise {
        name: "ch08_utf8_prefix",
        title: "validate UTF-8 that may be cut in the middle of a character",
        reference: ("src/ch08_websocket/message.rs", "fn valid_utf8_prefix"),
        reread: "chapters/08-websocket.md, \"Messages: fragmentation (§5.4)\"",
        hint: "From the lead byte, know the length and the allowed range of the second byte \
               (E0: A0-BF, ED: 80-9F, F0: 90-BF, F4: 80-8F, else 80-BF). Check the bytes that are \
               there; if the text ends before the character does, answer Ok(start of it).",
        stub: stub!("ch08_utf8_prefix"),
    },
    Exercise {
        name: "ch09_json_string",
        title: "write a JSON string literal",
        reference: ("src/ch09_capstone/json.rs", "fn write_str"),
        reread: "chapters/09-capstone.md, \"The protocol\"",
        hint: "Push '\"', then for each char: match the two that need a backslash, the five short \
               escapes, other c < ' ' as format!(\"\\\\u{:04x}\", c as u32), and push the rest.",
        stub: stub!("ch09_json_string"),
    },
    Exercise {
        name: "ch09_nickname",
        title: "refuse empty, long and impersonating nicknames",
        reference: ("src/ch09_capstone/room.rs", "fn valid_nick"),
        reread: "chapters/09-capstone.md, \"Limits\"",
        hint: "trim(), then chars().count() (not len()), char::is_control, and a matches! over the \
               invisible ranges.",
        stub: stub!("ch09_nickname"),
    },
    Exercise {
        name: "ch09_outbox",
        title: "a chat member's bounded outbox: refuse when full",
        reference: ("src/ch09_capstone/room.rs", "fn push"),
        reread: "chapters/09-capstone.md, \"Nobody waits for the slowest member\"",
        hint: "st.queue is a VecDeque: push_back in, pop_front out. In push, look at st.close \
               before the length. In close, do nothing if st.close is already Some. take pops \
               first, and only then looks at st.close (clone the reason: it stays there).",
        stub: stub!("ch09_outbox"),
    },
    Exercise {
        name: "ch09_json_parse",
        title: "parse JSON, hostile input included",
        reference: ("src/ch09_capstone/json.rs", "fn parse"),
        reread: "chapters/09-capstone.md, \"The protocol\" and \"Limits\"",
        hint: "A struct with the bytes and an index, one method per grammar rule (value, object, \
               array, string, number), each taking a depth. Strings: copy runs of plain bytes, \
               decode escapes; \\u needs 4 hex digits and surrogate pairs.",
        stub: stub!("ch09_json_parse"),
    },
    Exercise {
        name: "ch10_check",
        title: "turn a C call's -1 and errno into an io::Error",
        reference: ("src/ch10_event_loop/epoll.rs", "fn check"),
        reread: "chapters/10-event-loop.md, \"2. epoll, declared by hand\"",
        hint: "Negative: Err(io::Error::last_os_error()), before anything else runs. \
               Otherwise Ok(ret).",
        stub: stub!("ch10_check"),
    },
    Exercise {
        name: "ch10_timeout",
        title: "turn a Duration into epoll_wait's milliseconds, rounding up",
        reference: ("src/ch10_event_loop/epoll.rs", "fn timeout_ms"),
        reread: "chapters/10-event-loop.md, \"2. epoll, declared by hand\"",
        hint: "Duration::MAX first. Then count in nanoseconds (as_nanos, a u128): \
               div_ceil(1_000_000) rounds up. i32::try_from(..) says when it does not fit.",
        stub: stub!("ch10_timeout"),
    },
    Exercise {
        name: "ch10_token",
        title: "pack a slot number and its generation into an epoll token",
        reference: ("src/ch10_event_loop/lot.rs", "fn token"),
        reread: "chapters/10-event-loop.md, \"3. The parking lot\"",
        hint: "One number in the low 32 bits, the other in the high 32: shifts, a mask, and `as` \
               casts. Check that u64::MAX cannot come out for a real slot.",
        stub: stub!("ch10_token"),
    },
];
