//! Svix's side: its REST API v1 as this importer reads it (`wire`), the read-only client that
//! pages through it (`client`), and when that client retries (`retry`). Nothing here knows
//! hookd's store.

pub mod client;
pub mod retry;
pub mod wire;
