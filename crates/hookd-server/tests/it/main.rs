//! hookd-server's integration tests, built as one binary to save link time.
//!
//! `common` holds the in-process harness for API tests, `api` the router tests per resource,
//! `delivery` the worker tests against a fake receiver, `console` the web consoles' pages and
//! routes over HTTP, and `browser` the consoles driven in headless Chromium.

mod api;
mod common;
mod console;
mod delivery;
