//! Router tests, one file per resource, each test on its own fresh store and manual clock.
//! `protocol` covers what every route shares: authentication, errors, body limits, trailing
//! slashes and idempotency.

mod admin_token;
mod application;
mod attempt;
mod audit;
mod auth;
mod background_task;
mod document_limits;
mod ed25519;
mod endpoint;
mod event_type;
mod families;
mod families_config;
mod health;
mod message;
mod message_extras;
mod portal_access;
mod portal_scope;
mod protocol;
mod ratelimit;
