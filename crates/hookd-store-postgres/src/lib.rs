//! `hookd-store-postgres` is the PostgreSQL implementation of [`hookd_core::store::Store`]:
//! one database shared by any number of `hookd serve` processes, which split the delivery work
//! between them through the queue in the `deliveries` table.
//!
//! # Sharing one database
//! Nothing in this crate assumes it is the only writer. Every guarded transition is a single
//! statement or a short transaction whose row locks decide races: claims take rows with
//! `FOR UPDATE SKIP LOCKED`, so concurrent workers in any process skip each other's rows
//! instead of waiting for them; completions only change a delivery still claimed under their
//! lease token; the one-off admin token and the shared rate limits serialise on a lock. No
//! transaction outlives the method call that opened it.
//!
//! Work published by one process reaches the others' workers within milliseconds: the methods
//! that make deliveries due (`create_message`, `resend`, `recover`) send a `NOTIFY` inside
//! their transaction, and [`hookd_core::store::Capabilities::subscribe_work`] listens for it (see
//! `notify`).
//!
//! # Schema
//! Migrations are embedded from `migrations/` and applied by [`PgStore::connect`] under
//! sqlx's migration lock (a session-level `pg_advisory_lock` keyed on the database name, taken
//! before the migrations table is even read), so processes that start together apply each
//! migration exactly once: the others wait, then find it applied.
//!
//! # Layout
//! The `Store` methods live in one module per entity, as in the SQLite store: the shared
//! queries come from [`hookd_store_sql::queries`] and run through `run` (how this store binds
//! a shared statement); the entity modules here hold PostgreSQL's own. `codec` turns rows into
//! domain types, `error` turns database errors into [`hookd_core::store::StoreError`], and
//! `notify` owns the cross-process wake-up.
//!
//! This crate must not decide anything the trait's contract or `hookd-core` decides (which
//! endpoints accept a message, where a delivery goes after an attempt, how pages are cut,
//! whether a rate limit allows a request): it translates those decisions into SQL and nothing
//! more.

mod codec;
mod complete;
mod endpoints;
mod error;
mod idempotency;
mod limits;
mod messages;
mod notify;
mod queue;
mod retention;
mod run;
mod store_impl;
#[cfg(any(test, feature = "test-util"))]
pub mod testing;
mod tokens;

pub use notify::LISTENER_APPLICATION_NAME;

use std::{str::FromStr, sync::Arc, time::Duration};

use rand::RngCore;
use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
    ConnectOptions, Connection, Postgres, Transaction,
};
use tokio::sync::watch;

use hookd_core::store::StoreResult;

/// The schema, embedded at compile time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// Connections per process. hookd's database work is short statements (a claim, a batch of
/// completions, an API lookup), so a connection is busy only for a round trip and the
/// database's CPUs, not the pool, bound throughput. PostgreSQL's own sizing rule of thumb is
/// twice the cores plus one; on the 2-core machines hookd targets that is 5, which lets the
/// claim loop, the completer and a few API requests run at once without queueing behind one
/// another, while ten processes sharing one server stay well under PostgreSQL's default
/// `max_connections` of 100. The work listener holds one more connection of its own.
const POOL_SIZE: u32 = 5;

/// Concurrent publish batches (group commits) per process: fewer than the pool, so claims,
/// completions and API reads always find a connection.
pub(crate) const PUBLISH_WRITERS: usize = 2;

/// How long a caller waits for a pooled connection before the operation fails as unavailable.
/// While the database is down every operation waits this long (the pool retries connecting
/// until then), and an API request may chain a few, so it is short next to a publisher's
/// timeout: a stopped database becomes a "try again" within seconds (the failure drill
/// measures it). A healthy pool hands a connection out in well under a millisecond, so this
/// only fails a database that stalls for seconds.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);

/// The URL schemes of PostgreSQL connection URLs, as libpq accepts them.
const URL_SCHEMES: [&str; 2] = ["postgres://", "postgresql://"];

/// The `application_name` the store's connections report when the URL sets none, so that
/// operators can tell hookd's sessions apart in `pg_stat_activity`.
const APPLICATION_NAME: &str = "hookd";

/// Why the store could not be opened. The database URL is never part of these messages: it
/// may carry a password.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    /// The URL is not a valid PostgreSQL connection URL.
    #[error("invalid PostgreSQL URL")]
    InvalidUrl {
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// The database could not be reached or refused the connection.
    #[error("cannot connect to PostgreSQL")]
    Connect {
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// The schema migrations could not be applied.
    #[error("cannot migrate the PostgreSQL database")]
    Migrate {
        /// Why.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

/// hookd's store on one PostgreSQL database. Cloning is cheap and shares the pool; work
/// listeners started by [`hookd_core::store::Capabilities::subscribe_work`] stop when the store is
/// closed or its last clone is dropped.
#[derive(Clone)]
pub struct PgStore {
    /// The connections every operation uses.
    pool: PgPool,
    /// How to connect, kept for the work listener's own connection.
    options: PgConnectOptions,
    /// A random name for this store instance, sent as the payload of its `NOTIFY`s so that
    /// its own listener can tell its own work (already announced in memory) from other
    /// processes'.
    instance: Arc<str>,
    /// Changed by [`PgStore::close`] and dropped with the last clone; either tells the
    /// listener tasks to stop.
    shutdown: Arc<watch::Sender<()>>,
    /// Seals endpoint secrets as they are written and opens them as they are read; `None`
    /// keeps them as plain text (see `hookd_core::seal`).
    sealer: Option<Arc<hookd_core::seal::Sealer>>,
}

impl std::fmt::Debug for PgStore {
    /// The connect options are left out: they hold the password.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("pool", &self.pool)
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database?…`)
    /// and applies the embedded migrations.
    pub async fn connect(url: &str) -> Result<PgStore, PgError> {
        // sqlx reads any scheme as PostgreSQL; another database's URL is a mistake to report,
        // not a host to try.
        if !URL_SCHEMES.iter().any(|scheme| url.starts_with(scheme)) {
            return Err(PgError::InvalidUrl {
                source: sqlx::Error::Configuration(
                    format!("the URL must start with {}", URL_SCHEMES.join(" or ")).into(),
                ),
            });
        }
        let options =
            PgConnectOptions::from_str(url).map_err(|source| PgError::InvalidUrl { source })?;
        Self::connect_with(options).await
    }

    /// Like [`PgStore::connect`], with options built in code.
    pub async fn connect_with(mut options: PgConnectOptions) -> Result<PgStore, PgError> {
        if options.get_application_name().is_none() {
            options = options.application_name(APPLICATION_NAME);
        }
        migrate(&options).await?;
        // Each connection is checked (one empty round trip) before it is handed out, so that
        // after a database restart or failover the pool replaces its dead connections
        // instead of failing one operation per dead connection; a round trip on the local
        // network is cheap next to a failed claim or publish.
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(true)
            .connect_with(options.clone())
            .await
            .map_err(|source| PgError::Connect { source })?;
        let mut instance = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut instance);
        let instance: String = instance.iter().map(|b| format!("{b:02x}")).collect();
        let (shutdown, _) = watch::channel(());
        tracing::info!(
            host = options.get_host(),
            database = options.get_database().unwrap_or_default(),
            "opened PostgreSQL store"
        );
        Ok(PgStore {
            pool,
            options,
            instance: instance.into(),
            shutdown: Arc::new(shutdown),
            sealer: None,
        })
    }

    /// This store with endpoint secrets sealed at rest under `sealer` (or not, with `None`).
    pub fn with_sealer(mut self, sealer: Option<Arc<hookd_core::seal::Sealer>>) -> Self {
        self.sealer = sealer;
        self
    }

    /// Stops the work listeners and closes the pool, waiting for connections in use to be
    /// returned. Every clone of this store is closed with it.
    pub async fn close(&self) {
        // The listeners stop when the value changes, not only when the last clone is dropped.
        self.shutdown.send_replace(());
        self.pool.close().await;
    }

    /// Checks that the database answers, through the pool (so a pool that cannot get a
    /// connection reports the database as unavailable).
    async fn ping_database(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(error::map)?;
        Ok(())
    }

    /// Starts a transaction (PostgreSQL's default READ COMMITTED: each statement sees what
    /// was committed before it started, and row locks settle races).
    async fn begin(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(error::map)
    }
}

/// Applies the migrations on a connection of its own rather than a pooled one. sqlx's
/// migrator holds a session-level advisory lock while it works and releases it only on
/// success; closing (or, on failure, dropping) this dedicated connection ends the session, so
/// the lock can never be left behind in a pooled connection.
async fn migrate(options: &PgConnectOptions) -> Result<(), PgError> {
    let mut conn = options
        .connect()
        .await
        .map_err(|source| PgError::Connect { source })?;
    MIGRATOR
        .run(&mut conn)
        .await
        .map_err(|source| PgError::Migrate { source })?;
    // The schema is in place; a failure to say goodbye cleanly changes nothing.
    let _ = conn.close().await;
    Ok(())
}
