//! `hookd-store-sqlite` is the embedded SQLite implementation of [`hookd_core::store::Store`]:
//! a single database file that holds everything hookd persists, including the delivery queue.
//!
//! # Connections
//! SQLite allows one writer at a time. The store therefore keeps two pools: a **write pool
//! with exactly one connection**, through which every write transaction goes, so that writers
//! queue in the pool instead of failing with `SQLITE_BUSY`; and a small **read pool** whose
//! connections, in WAL mode, read the last committed state without ever waiting for the
//! writer. Write transactions start with `BEGIN IMMEDIATE`, so that even another process
//! writing the same file makes us wait (up to the busy timeout) at the start of a transaction
//! rather than fail half-way through it.
//!
//! # Durability
//! The database runs in WAL mode with `synchronous=NORMAL`. A committed transaction survives
//! a crash of the process: it is in the WAL file, which the operating system already holds.
//! What `NORMAL` gives up, compared with `FULL`, is durability across a power loss or kernel
//! crash: the last transactions committed before the machine went down may be rolled back
//! (the database is never corrupted, only slightly behind). For a webhook server that is the
//! right trade: a publisher whose request was acknowledged just before a power cut may find
//! that message missing, which is the same failure as losing the acknowledgement itself, and
//! every commit saves an `fsync`.
//!
//! # Failed writes
//! A write that fails because the disk is full (or on an I/O error) is reported as
//! `StoreError::Unavailable` and changes nothing. SQLite may have rolled its transaction back
//! by itself; the write connection is then replaced when it returns to the pool (`writer`),
//! so writes work again as soon as the disk has space, without reopening the store. On a full
//! disk the WAL cannot grow and the checkpoints cannot grow the database file either; both
//! resume by themselves once space returns.
//!
//! # Checkpoints
//! SQLite's default has the committing connection copy the WAL back into the database file
//! (and `fsync` both) once the WAL passes 1,000 pages, inside that commit: under steady load
//! that is a pause of tens of milliseconds on the one writer every fraction of a second, and it
//! was most of the publish latency tail. Instead a background task checkpoints (`PASSIVE`,
//! which never blocks the writer or readers) on a connection of its own every
//! [`CHECKPOINT_INTERVAL`], and the writer only checkpoints itself, as a safety net, past
//! [`WRITER_AUTOCHECKPOINT_PAGES`].
//!
//! # Layout
//! Schema migrations are embedded from `migrations/` and applied by [`SqliteStore::open`]. The
//! `Store` methods live in one module per entity: the queries both SQL stores share come
//! from [`hookd_store_sql::queries`], run through `run` (how this store binds and runs a shared
//! statement); the entity modules here hold SQLite's own. `codec` turns rows into domain types
//! and `error` turns database errors into [`hookd_core::store::StoreError`].
//!
//! This crate must not decide anything the trait's contract or `hookd-core` decides (which
//! endpoints accept a message, where a delivery goes after an attempt, how pages are cut): it
//! translates those decisions into SQL and nothing more.

mod checkpoint;
mod codec;
mod endpoints;
mod error;
mod idempotency;
mod limits;
mod messages;
mod queue;
mod retention;
mod run;
mod store_impl;
mod tokens;
mod writer;

use std::{path::Path, path::PathBuf, time::Duration};

use sqlx::{
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
    Sqlite, Transaction,
};

use hookd_core::store::StoreResult;

/// How long a connection waits for a lock held by another connection (another process, or a
/// checkpoint) before giving up with `SQLITE_BUSY`. Within this process writers queue in the
/// write pool and never hit the lock; this bounds how long an external writer can stall us.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a caller waits for a pooled connection before the operation fails as unavailable.
/// Writes queue behind the single write connection, so this is the worst write latency we
/// accept before reporting the store as overloaded rather than hanging a request.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);

/// Read connections. Reads never block each other or the writer in WAL mode; a handful covers
/// the API's concurrent list and lookup requests on the small machines SQLite is meant for.
const READ_POOL_SIZE: u32 = 4;

/// Exactly one write connection: SQLite has one writer, and queueing writers in the pool is
/// cheaper and fairer than letting them collide on the file lock.
const WRITE_POOL_SIZE: u32 = 1;

/// How often the background task copies the WAL into the database file. Short enough that
/// the WAL stays a few megabytes under any load this store sustains, long enough that its
/// `fsync`s are a handful per second.
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);

/// Pages (4 KiB) the WAL may hold before the writer checkpoints in a commit after all: 64 MiB,
/// reached only if the background checkpoints fall far behind (or a long read keeps them from
/// finishing), so the WAL cannot grow without bound.
pub const WRITER_AUTOCHECKPOINT_PAGES: u32 = 16_384;

/// Why the store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum SqliteError {
    /// The directory that should hold the database file could not be created.
    #[error("cannot create database directory {path}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The database file could not be opened or configured.
    #[error("cannot open database {path}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: sqlx::Error,
    },
    /// The schema migrations could not be applied.
    #[error("cannot migrate database {path}")]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
}

/// hookd's store on one SQLite file. Cloning is cheap and shares the pools.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    /// The single-connection pool for every write transaction.
    write: SqlitePool,
    /// Read-only connections for everything that does not write.
    read: SqlitePool,
    /// Seals endpoint secrets as they are written and opens them as they are read; `None`
    /// keeps them as plain text (see `hookd_core::seal`).
    sealer: Option<std::sync::Arc<hookd_core::seal::Sealer>>,
    /// The background checkpoints; they stop when the last clone of the store is dropped.
    checkpointer: std::sync::Arc<checkpoint::Checkpointer>,
}

impl SqliteStore {
    /// Opens (creating if missing, with its parent directory) the database at `path`, switches
    /// it to WAL mode and applies the embedded migrations.
    pub async fn open(path: &Path) -> Result<SqliteStore, SqliteError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| SqliteError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })?;
        }
        let open_err = |source| SqliteError::Open {
            path: path.to_path_buf(),
            source,
        };
        let base = SqliteConnectOptions::new()
            .filename(path)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let write_options = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .pragma(
                "wal_autocheckpoint",
                WRITER_AUTOCHECKPOINT_PAGES.to_string(),
            );
        // The write connection is not retired by age or idleness: it keeps its prepared
        // statements warm. It is replaced only when a failed write left it unusable (see
        // `writer`); the checkpointer's connection keeps the WAL and shared-memory files in
        // existence for the read-only connections meanwhile.
        let write = SqlitePoolOptions::new()
            .max_connections(WRITE_POOL_SIZE)
            .min_connections(WRITE_POOL_SIZE)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .after_release(|conn, _| Box::pin(writer::reusable(conn)))
            .connect_with(write_options)
            .await
            .map_err(open_err)?;
        sqlx::migrate!("./migrations")
            .run(&write)
            .await
            .map_err(|source| SqliteError::Migrate {
                path: path.to_path_buf(),
                source,
            })?;
        // Read connections are opened read-only, after the writer has created the file and
        // made it WAL (a persistent property of the file), so a bug can never write through
        // them and they never take the write lock.
        let read = SqlitePoolOptions::new()
            .max_connections(READ_POOL_SIZE)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(base.clone().read_only(true))
            .await
            .map_err(open_err)?;
        // The checkpointer writes the database file, so it cannot use a read-only connection,
        // and it must not take the writer's.
        let checkpointer = checkpoint::Checkpointer::start(
            sqlx::ConnectOptions::connect(&base)
                .await
                .map_err(open_err)?,
            CHECKPOINT_INTERVAL,
        );
        tracing::info!(path = %path.display(), "opened SQLite store");
        Ok(SqliteStore {
            write,
            read,
            sealer: None,
            checkpointer: std::sync::Arc::new(checkpointer),
        })
    }

    /// This store with endpoint secrets sealed at rest under `sealer` (or not, with `None`).
    pub fn with_sealer(mut self, sealer: Option<std::sync::Arc<hookd_core::seal::Sealer>>) -> Self {
        self.sealer = sealer;
        self
    }

    /// Stops the checkpoints and closes both pools, waiting for connections in use to be
    /// returned. Closing the last connection checkpoints the WAL into the main file.
    pub async fn close(&self) {
        self.checkpointer.stop().await;
        self.read.close().await;
        self.write.close().await;
    }

    /// How many background checkpoints have run: a signal for tests to wait on.
    pub fn checkpoints(&self) -> tokio::sync::watch::Receiver<u64> {
        self.checkpointer.count()
    }

    /// Starts a write transaction on the single write connection. `BEGIN IMMEDIATE` takes the
    /// write lock up front, so a transaction that reads before it writes can never find that
    /// another writer (another process) got in between and fail with `SQLITE_BUSY_SNAPSHOT`.
    async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.write
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(error::map)
    }

    /// Checks that the database answers, through the read pool (the one every API read uses).
    async fn ping_database(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(error::map)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_read_pool_cannot_write() {
        let dir = tempfile::TempDir::new().unwrap();
        let store = SqliteStore::open(&dir.path().join("hookd.db"))
            .await
            .unwrap();
        let err = sqlx::query("DELETE FROM applications")
            .execute(&store.read)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("readonly"), "{err}");
    }

    /// The state a write failing on a full disk leaves (see `writer`), made without one: the
    /// transaction ends under sqlx's feet, so sqlx's own rollback fails and it still counts
    /// the connection as inside a transaction. The next write gets a fresh connection.
    #[tokio::test]
    async fn a_connection_left_inside_a_transaction_is_replaced() {
        let dir = tempfile::TempDir::new().unwrap();
        let store = SqliteStore::open(&dir.path().join("hookd.db"))
            .await
            .unwrap();
        let mut tx = store.begin_write().await.unwrap();
        sqlx::query("ROLLBACK").execute(&mut *tx).await.unwrap();
        drop(tx);
        for _ in 0..3 {
            let mut tx = store
                .begin_write()
                .await
                .expect("a usable write connection");
            sqlx::query("DELETE FROM applications")
                .execute(&mut *tx)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    }
}
