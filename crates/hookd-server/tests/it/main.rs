//! hookd-server's integration tests, built as one binary to save link time.
//!
//! `common` holds the in-process harness for API tests, `api` the router tests per resource,
//! `delivery` the worker tests against a fake receiver, `console` the web consoles' pages and
//! routes over HTTP, `browser` the consoles driven in headless Chromium, and `seeds` the seed
//! vendors' documented webhook behaviour reproduced end to end. `openapi` checks the generated
//! OpenAPI document against its snapshot and the router, and `unknown_names` that every
//! operation refuses the query parameters and body fields it does not document. `reliability` holds the
//! hardening tests (endpoint health and operational events, retention, the outbound proxy) on
//! both stores, and `hostile` receivers that answer in every broken way a socket allows.

mod api;
mod browser;
mod common;
mod console;
mod delivery;
mod docs_tables;
mod hostile;
mod openapi;
mod reliability;
mod seeds;
mod unknown_names;
