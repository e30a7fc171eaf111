//! Fresh, private PostgreSQL databases for tests (this crate's and any other crate's that
//! enables the `test-util` feature), so that tests running in parallel, and runs repeated or
//! interrupted, never see each other's data.
//!
//! Every [`TestDatabase`] is a new database on the server named by `HOOKD_TEST_DATABASE_URL`
//! (default [`DEFAULT_BASE_URL`]), dropped again when the value is dropped. A run that was
//! killed before it could drop its databases leaves them behind; the first database a later
//! run creates removes every leftover older than [`STALE_AFTER`], which no test run lasts, so
//! that a concurrent run's databases are never touched. Names carry their creation time for
//! that reason.
//!
//! Test databases are created with a linguistic default collation (ICU `en-US`) when the
//! server supports it, on purpose: the schema must sort ids byte-wise through its own
//! `COLLATE "C"` declarations, and a test database with a `C` default would hide a column that
//! lacks one.
//!
//! This module must not be used by production code: it creates and drops databases.

use std::{
    str::FromStr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use rand::RngCore;
use sqlx::{postgres::PgConnectOptions, ConnectOptions, Connection, PgConnection};
use tokio::sync::OnceCell;

/// The environment variable naming the server (and a database on it to connect to while
/// creating and dropping test databases).
pub const BASE_URL_VAR: &str = "HOOKD_TEST_DATABASE_URL";

/// The server used when [`BASE_URL_VAR`] is unset: a local PostgreSQL with trust auth.
pub const DEFAULT_BASE_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Every test database's name starts with this, and only test databases' names do.
const PREFIX: &str = "hookd_test_";

/// How old a leftover test database must be before a later run drops it. No test run comes
/// near an hour, so anything older belongs to a run that died.
const STALE_AFTER: Duration = Duration::from_secs(60 * 60);

/// Leftovers are swept once per test process.
static SWEPT: OnceCell<()> = OnceCell::const_new();

/// The connect options of the base database.
pub fn base_options() -> PgConnectOptions {
    let url = std::env::var(BASE_URL_VAR).unwrap_or_else(|_| DEFAULT_BASE_URL.to_owned());
    PgConnectOptions::from_str(&url)
        .unwrap_or_else(|e| panic!("{BASE_URL_VAR} is not a PostgreSQL URL: {e}"))
}

/// Connects to the base database, for creating and dropping databases.
async fn admin(base: &PgConnectOptions) -> PgConnection {
    base.connect().await.unwrap_or_else(|e| {
        panic!(
            "cannot reach the test PostgreSQL server (set {BASE_URL_VAR}; \
             is it running?): {e}"
        )
    })
}

/// A database that exists for the lifetime of this value.
#[derive(Debug)]
pub struct TestDatabase {
    name: String,
    base: PgConnectOptions,
}

impl TestDatabase {
    /// Creates an empty database (without hookd's schema: connecting a store applies it).
    pub async fn create() -> TestDatabase {
        let base = base_options();
        let mut conn = admin(&base).await;
        SWEPT.get_or_init(|| sweep_leftovers(&base)).await;
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_secs();
        let mut random = [0u8; 6];
        rand::thread_rng().fill_bytes(&mut random);
        let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let name = format!("{PREFIX}{created}_{suffix}");
        // `template0` is the template that accepts a locale different from the server's.
        let icu = format!(
            "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' \
             LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
        );
        if sqlx::raw_sql(&icu).execute(&mut conn).await.is_err() {
            // A server built without ICU, or older than PostgreSQL 15: its default will do.
            sqlx::raw_sql(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .await
                .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        }
        let _ = conn.close().await;
        TestDatabase { name, base }
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Options that connect to this database.
    pub fn options(&self) -> PgConnectOptions {
        self.base.clone().database(&self.name)
    }

    /// A URL of this database, for code that takes one.
    pub fn url(&self) -> String {
        self.options().to_url_lossy().to_string()
    }
}

impl Drop for TestDatabase {
    /// Drops the database, ending any session still connected to it. `Drop` cannot await, and
    /// may run on a runtime that is busy or shutting down, so the work happens on a thread
    /// with a runtime of its own; waiting for it keeps the drop finished before the test
    /// reports. A failure is only reported: a later run sweeps the leftover.
    fn drop(&mut self) {
        let base = self.base.clone();
        let name = self.name.clone();
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut conn = base.connect().await.map_err(|e| e.to_string())?;
                drop_database(&mut conn, &name)
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = conn.close().await;
                Ok::<(), String>(())
            })
        });
        match dropper.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("left test database {} behind: {e}", self.name),
            Err(_) => eprintln!(
                "left test database {} behind: the dropper panicked",
                self.name
            ),
        }
    }
}

/// Drops database `name`, disconnecting its sessions (PostgreSQL 13 and later).
async fn drop_database(conn: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(conn)
        .await?;
    Ok(())
}

/// Drops the test databases that earlier, interrupted runs left behind.
async fn sweep_leftovers(base: &PgConnectOptions) {
    let mut conn = admin(base).await;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname",
    )
    .bind(PREFIX)
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    for name in names {
        let created = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<u64>().ok());
        let stale = created.is_some_and(|secs| now.saturating_sub(secs) > STALE_AFTER.as_secs());
        if stale {
            if let Err(e) = drop_database(&mut conn, &name).await {
                eprintln!("cannot drop leftover test database {name}: {e}");
            }
        }
    }
    let _ = conn.close().await;
}

/// A TCP proxy in front of the PostgreSQL server that a test can cut (every connection
/// dropped, new ones refused at once) and restore: the database going away, as a store sees
/// it, with nothing mocked. Connect through [`CutProxy::url_for`].
#[derive(Debug)]
pub struct CutProxy {
    addr: std::net::SocketAddr,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pipes: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl CutProxy {
    /// Starts a proxy to the server that [`base_options`] names.
    pub async fn start() -> CutProxy {
        use std::sync::atomic::Ordering;
        let base = base_options();
        let upstream = format!("{}:{}", base.get_host(), base.get_port());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let proxy = CutProxy {
            addr,
            down: Default::default(),
            pipes: Default::default(),
        };
        let (down, pipes) = (proxy.down.clone(), proxy.pipes.clone());
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if down.load(Ordering::SeqCst) {
                    continue;
                }
                let upstream = upstream.clone();
                let pipe = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                pipes.lock().expect("proxy lock").push(pipe);
            }
        });
        proxy
    }

    /// The address clients connect to.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// `db`'s URL through this proxy.
    pub fn url_for(&self, db: &TestDatabase) -> String {
        self.options_for(db).to_url_lossy().to_string()
    }

    /// Options that connect to `db` through this proxy.
    pub fn options_for(&self, db: &TestDatabase) -> PgConnectOptions {
        db.options()
            .host(&self.addr.ip().to_string())
            .port(self.addr.port())
    }

    /// Drops every connection and refuses new ones until [`CutProxy::restore`].
    pub fn cut(&self) {
        self.down.store(true, std::sync::atomic::Ordering::SeqCst);
        for pipe in self.pipes.lock().expect("proxy lock").drain(..) {
            pipe.abort();
        }
    }

    /// Forwards new connections again.
    pub fn restore(&self) {
        self.down.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}
