//! hookd-server's integration tests, built as one binary to save link time.
//!
//! `common` holds the in-process harness for API tests, `api` the router tests per resource,
//! `delivery` the worker tests against a fake receiver.

mod api;
mod common;
mod delivery;
