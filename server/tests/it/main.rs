//! The server's integration tests, in one binary so the server links once.
//!
//! Each module is one area, run against a real server on `127.0.0.1:0` (or
//! the real `socketlab` binary) with real clients; [`common`] is the harness
//! and [`nats`] a real `nats-server`. The browser tests are `#[ignore]`d
//! here and run by `cargo xtask test` after the release build:
//! `cargo test -p socketlab-server --test it -- --ignored browser::`.

mod common;
mod nats;

mod browser;
mod bus_contract;
mod chat;
mod chat_scale;
mod chat_wire;
mod deadlines;
mod echo;
mod framing;
mod gateway;
mod head_caps;
mod hostile;
mod http;
mod inspect;
mod native_clients;
mod nats_cluster;
mod operations;
mod page_lang;
mod relay;
mod scale_out;
mod shutdown;
mod targets_file;
mod tcp_chat;
mod tls;
mod web;
mod webtransport;
mod webtransport_reload;
