//! The chapter's application: `/hello`, `/echo`, and an in-memory notes
//! resource. Chapter 5 serves the same [`app`] through its thread pool,
//! and the capstone mounts it too.
//!
//! | method and path | answer |
//! |---|---|
//! | `GET /hello` | `Hello, world` |
//! | `POST /echo` | the request body, with its `Content-Type` |
//! | `GET /notes` | every note as JSON; `?q=word` keeps those containing it |
//! | `POST /notes` | creates a note: `201 Created` + `Location: /notes/ID` |
//! | `GET /notes/{id}` | the note, or 404 |
//! | `PUT /notes/{id}` | replaces it: 204, or 404 |
//! | `DELETE /notes/{id}` | deletes it: 204, or 404 |
//!
//! A note's body is its text: a plain body as sent, or the `text` field
//! of an `application/x-www-form-urlencoded` body (what an HTML form
//! posts), decoded with chapter 3's percent-decoding.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::request::BodyError;
use super::router::Router;
use super::{Request, Response};

/// Longest note, in bytes (413 past it).
pub const MAX_NOTE_BYTES: u64 = 64 * 1024;

/// Most notes kept at once. A `POST` past it gets 507 (Insufficient
/// Storage, RFC 4918 §11.5) until a note is deleted: without a cap, any
/// client could fill the server's memory 64 KiB at a time. With both caps,
/// the store holds at most about 64 MiB.
pub const MAX_NOTES: usize = 1000;

/// `Cache-Control` of `/notes`, `/notes/{id}` and `/echo` (RFC 9111 §5.2.2.5).
/// Notes change with every POST, PUT and DELETE and carry no validator, so
/// a cached copy could only be stale; without this field a cache may give
/// a 200 or a 404 a heuristic freshness of its own.
pub const NOTES_CACHE_CONTROL: &str = "no-store";

/// `Cache-Control` of `/hello`: the same text for the life of the server,
/// so a cache may reuse it, but only for a minute, in case a new server
/// says something else.
pub const HELLO_CACHE_CONTROL: &str = "max-age=60";

/// A handler whose every answer carries `Cache-Control: value`.
fn cached<F>(value: &'static str, f: F) -> impl Fn(&mut Request<'_>) -> Response + Send + Sync
where
    F: Fn(&mut Request<'_>) -> Response + Send + Sync + 'static,
{
    move |req| f(req).header("Cache-Control", value)
}

#[derive(Default)]
struct Notes {
    next_id: u64,
    notes: BTreeMap<u64, String>,
}

type Store = Arc<Mutex<Notes>>;

fn lock(store: &Store) -> std::sync::MutexGuard<'_, Notes> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// Answers a body that could not be read (413 or 400).
pub fn body_error(e: BodyError) -> Response {
    Response::error(e.status(), e)
}

/// The text of a note from the request body.
fn note_text(req: &mut Request<'_>) -> Result<String, Response> {
    req.body.set_limit(MAX_NOTE_BYTES);
    let is_form = req.header("content-type").is_some_and(is_form_type);
    if is_form {
        let form = req.read_form().map_err(body_error)?;
        return form
            .into_iter()
            .find(|(k, _)| k == "text")
            .map(|(_, v)| v)
            .ok_or_else(|| Response::error(400, "the form has no `text` field"));
    }
    req.body.read_to_string_checked().map_err(body_error)
}

/// `application/x-www-form-urlencoded`, parameters ignored.
pub fn is_form_type(content_type: &str) -> bool {
    content_type.split(';').next().is_some_and(|t| {
        t.trim()
            .eq_ignore_ascii_case("application/x-www-form-urlencoded")
    })
}

/// A JSON string literal (RFC 8259 §7).
pub fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn note_id(req: &Request<'_>) -> Option<u64> {
    req.param("id")?.parse().ok()
}

fn not_found(req: &Request<'_>) -> Response {
    Response::error(404, format_args!("no note at {}", req.path))
}

/// The chapter 4 application, as a [`Router`].
pub fn app() -> Router {
    let store: Store = Arc::default();
    let mut r = Router::new();
    r.route("/hello").get(cached(HELLO_CACHE_CONTROL, |_| {
        Response::text(200, "Hello, world")
    }));
    r.route("/echo").post(cached(NOTES_CACHE_CONTROL, |req| {
        let body = match req.body.read_to_vec() {
            Ok(b) => b,
            Err(e) => return body_error(e),
        };
        let mut resp = Response::new(200).with_body(body);
        if let Some(t) = req.header("content-type") {
            resp = resp.header("Content-Type", t);
        }
        resp
    }));
    let s = store.clone();
    r.route("/notes")
        .get(cached(NOTES_CACHE_CONTROL, move |req| {
            let q = req.query_arg("q");
            let notes = lock(&s);
            let items: Vec<String> = notes
                .notes
                .iter()
                .filter(|(_, t)| q.as_deref().is_none_or(|q| t.contains(q)))
                .map(|(id, t)| format!("{{\"id\":{id},\"text\":{}}}", json_string(t)))
                .collect();
            Response::json(200, format!("[{}]\n", items.join(",")))
        }))
        .post({
            let s = store.clone();
            cached(NOTES_CACHE_CONTROL, move |req| {
                let text = match note_text(req) {
                    Ok(t) => t,
                    Err(resp) => return resp,
                };
                let mut notes = lock(&s);
                if notes.notes.len() >= MAX_NOTES {
                    return Response::error(
                        507,
                        format_args!(
                            "the server keeps at most {MAX_NOTES} notes; delete one first"
                        ),
                    );
                }
                notes.next_id += 1;
                let id = notes.next_id;
                notes.notes.insert(id, text);
                Response::text(201, format!("created /notes/{id}\n"))
                    .header("Location", format!("/notes/{id}"))
            })
        });
    let (s1, s2, s3) = (store.clone(), store.clone(), store);
    r.route("/notes/{id}")
        .get(cached(NOTES_CACHE_CONTROL, move |req| {
            match note_id(req).and_then(|id| lock(&s1).notes.get(&id).cloned()) {
                Some(t) => Response::text(200, t),
                None => not_found(req),
            }
        }))
        .put(cached(NOTES_CACHE_CONTROL, move |req| {
            let Some(id) = note_id(req).filter(|id| lock(&s2).notes.contains_key(id)) else {
                return not_found(req);
            };
            let text = match note_text(req) {
                Ok(t) => t,
                Err(resp) => return resp,
            };
            match lock(&s2).notes.get_mut(&id) {
                Some(slot) => {
                    *slot = text;
                    Response::new(204)
                }
                None => not_found(req),
            }
        }))
        .delete(cached(NOTES_CACHE_CONTROL, move |req| {
            match note_id(req).and_then(|id| lock(&s3).notes.remove(&id)) {
                Some(_) => Response::new(204),
                None => not_found(req),
            }
        }));
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch04_methods_and_routing::{Method, Service};

    #[test]
    fn notes_lifecycle() {
        let app = app();
        let h = [("Host", "x")];
        let call = |m, t: &str, body: &'static [u8], ct: Option<&str>| {
            let mut hs = h.to_vec();
            if let Some(ct) = ct {
                hs.push(("Content-Type", ct));
            }
            app.call(&mut Request::for_test(m, t, &hs, body))
        };
        let r = call(Method::Post, "/notes", b"buy milk", None);
        assert_eq!(r.status, 201);
        assert_eq!(r.headers.get("location"), Some("/notes/1"));
        let r = call(
            Method::Post,
            "/notes",
            b"text=a+b%21",
            Some("application/x-www-form-urlencoded"),
        );
        assert_eq!(r.headers.get("location"), Some("/notes/2"));
        assert_eq!(
            call(Method::Get, "/notes/2", b"", None)
                .body_bytes()
                .unwrap(),
            b"a b!"
        );
        assert_eq!(call(Method::Put, "/notes/1", b"eggs", None).status, 204);
        assert_eq!(
            call(Method::Get, "/notes/1", b"", None)
                .body_bytes()
                .unwrap(),
            b"eggs"
        );
        let list = call(Method::Get, "/notes?q=egg", b"", None);
        assert_eq!(
            list.body_bytes().unwrap(),
            b"[{\"id\":1,\"text\":\"eggs\"}]\n"
        );
        assert_eq!(call(Method::Delete, "/notes/1", b"", None).status, 204);
        assert_eq!(call(Method::Delete, "/notes/1", b"", None).status, 404);
        assert_eq!(call(Method::Put, "/notes/9", b"x", None).status, 404);
        assert_eq!(call(Method::Get, "/notes/x", b"", None).status, 404);
    }

    #[test]
    fn posting_past_max_notes_is_507_until_one_is_deleted() {
        let app = app();
        let post = || {
            app.call(&mut Request::for_test(
                Method::Post,
                "/notes",
                &[("Host", "x")],
                b"n",
            ))
        };
        for _ in 0..MAX_NOTES {
            assert_eq!(post().status, 201);
        }
        let full = post();
        assert_eq!(full.status, 507);
        assert_eq!(full.headers.get("cache-control"), Some(NOTES_CACHE_CONTROL));
        let del = app.call(&mut Request::for_test(
            Method::Delete,
            "/notes/1",
            &[("Host", "x")],
            b"",
        ));
        assert_eq!(del.status, 204);
        assert_eq!(post().status, 201);
        assert_eq!(post().status, 507);
    }
}
