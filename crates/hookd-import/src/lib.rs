//! `hookd-import` copies a running Svix (its cloud, the open-source server, or anything that
//! serves Svix's REST API v1) into a hookd store: event types with their schemas, applications,
//! and endpoints with their secrets, headers, filters, rate limits and metadata, keeping
//! Svix's ids and uids so that the ids a user stored keep working. `hookd import svix` is its
//! command line; `docs/moving-from-svix.md` is its guide.
//!
//! It reads the source through the public API only (`GET`s with an organization token) and
//! writes through the [`Store`] trait, so it works on every store hookd has. It must not
//! change the source, and must not delete anything in hookd: objects hookd holds that the
//! source does not are left alone.

pub mod convert;
pub mod progress;
pub mod report;
pub mod svix;
mod sync;

use std::sync::Arc;

use hookd_core::{
    clock::Clock,
    store::{Store, StoreError},
};

pub use crate::{
    progress::Progress,
    report::{Kind, Report},
    svix::client::{Client, ClientError},
};

/// Why an import stopped before the end. What it had copied by then stays copied, and a
/// re-run picks up from there (it skips what is already up to date).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The source could not be read.
    #[error("reading the source")]
    Source(#[from] ClientError),
    /// hookd's store failed.
    #[error("writing to hookd's store")]
    Store(#[from] StoreError),
}

/// Copies everything the Svix server behind `client` shows into `store`, showing progress on
/// `progress`, and answers what it did and what it could not copy.
pub async fn import_svix(
    client: &Client,
    store: &dyn Store,
    clock: Arc<dyn Clock>,
    progress: &mut dyn Progress,
) -> Result<Report, ImportError> {
    sync::run(client, store, clock.now(), progress).await
}
