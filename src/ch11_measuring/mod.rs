//! Chapter 11: measuring everything side by side. See
//! `chapters/11-measuring.md`.
//!
//! The book's servers run beside nginx, tiny_http, tungstenite and Tornado
//! on one machine, in one run, with the same load. One concept per file:
//!
//! * [`summary`]: the one-line result every load generator prints, parsed;
//! * [`histogram`]: latencies in bounded memory, for percentiles;
//! * [`wsload`]: a WebSocket ping-pong load client on chapter 8's client;
//! * [`idle`]: holding thousands of idle connections from many source
//!   addresses;
//! * [`procfs`]: a process's CPU time and memory, from `/proc`;
//! * [`machine`]: what the figures were measured on;
//! * [`plan`]: the servers and workloads, as data;
//! * [`run`]: starting, probing, loading and stopping each server;
//! * [`report`]: medians and ratios, written as Markdown;
//! * [`svg`]: the chart of ratios, drawn by hand.

pub mod histogram;
pub mod idle;
pub mod machine;
pub mod plan;
pub mod procfs;
pub mod report;
pub mod run;
pub mod summary;
pub mod svg;
pub mod wsload;
