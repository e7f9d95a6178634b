//! The tests that grade each exercise, one module per exercise, named after
//! it: `cargo run --bin exercises -- test NAME` runs `graded::chNN::NAME::`.
//!
//! They call the chapter's public function, so they grade whichever version
//! the switch selects: the reference in a plain `cargo test`, the reader's
//! with `ex_NAME` on. They check what the specification says (a status, the
//! parsed fields, the bytes on the wire, an error's kind), never the
//! reference's own choices (an error's offset, the text of a reason).
//! Assertions read `assert_eq!(got, expected, "the input")`: the runner shows
//! `left` as what your code gave and `right` as what was expected.

mod ch01;
mod ch02;
mod ch03;
mod ch04;
mod ch05;
mod ch06;
mod ch07;
mod ch08;
mod ch09;
mod ch10;
