//! The `hookd` binary: `hookd serve` runs the API and the delivery workers on the configured
//! store; `hookd token create` mints an admin token and `hookd token revoke` revokes one;
//! `hookd secrets reseal` rewrites endpoint secrets under the current encryption key;
//! `hookd import svix` copies a running Svix into the store (`hookd-import`). It owns
//! process concerns only — configuration, logging, signals, printing — and must not contain
//! API or delivery logic.

mod config;
mod tokens;

use std::{path::PathBuf, sync::Arc};

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use hookd_core::{
    clock::Clock,
    store::{Directory, Store},
};
use hookd_server::{
    clock::SystemClock,
    telemetry::Exporter,
    worker::{Engine, EngineContext},
    AppState,
};
use hookd_store_postgres::PgStore;
use hookd_store_sqlite::SqliteStore;

use crate::{
    config::{FlagOverrides, LogFormat, Settings},
    tokens::TokenCommand,
};

/// The SQLite file inside the data directory.
const SQLITE_FILE: &str = "hookd.db";

#[derive(Debug, Parser)]
#[command(
    name = "hookd",
    version,
    about = "A webhook delivery server that speaks the Svix v1 API"
)]
struct Cli {
    /// A TOML file with settings (also HOOKD_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Directory of the embedded database (also HOOKD_DATA_DIR) [default: ./hookd-data].
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL: a sqlite: URL or file path (also HOOKD_DATABASE_URL) [default: the
    /// embedded SQLite file in the data directory].
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the API and the delivery workers.
    Serve {
        /// Address to listen on (also HOOKD_LISTEN) [default: 127.0.0.1:8071].
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// The URL this server is reached under, for portal links (also HOOKD_PUBLIC_URL).
        #[arg(long)]
        public_url: Option<String>,
        /// Comma-separated CIDRs that deliveries may reach although they are private,
        /// loopback or link-local (also HOOKD_ALLOWED_NETWORKS), e.g. 127.0.0.0/8.
        #[arg(long)]
        allowed_networks: Option<String>,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage the encryption of endpoint secrets at rest.
    Secrets {
        #[command(subcommand)]
        command: SecretsCommand,
    },
    /// Copy another webhook service's configuration into this hookd's store.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// Copy a running Svix (cloud or open source) through its REST API: event types,
    /// applications and endpoints with their secrets, keeping Svix's ids. Safe to re-run: it
    /// creates nothing twice and updates what changed. See docs/moving-from-svix.md.
    Svix {
        /// The Svix server's base URL, e.g. https://api.eu.svix.com (also SVIX_URL).
        #[arg(long, env = "SVIX_URL")]
        url: String,
        /// An organization API token of that Svix (also SVIX_TOKEN).
        #[arg(long, env = "SVIX_TOKEN", hide_env_values = true)]
        token: String,
    },
}

#[derive(Debug, Subcommand)]
enum SecretsCommand {
    /// Rewrite every endpoint's stored secrets under the first key of HOOKD_ENCRYPTION_KEY
    /// (sealing plain ones, moving ones sealed under older keys). Safe while hookd serves.
    Reseal,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let mut flags = FlagOverrides {
        data_dir: cli.data_dir.clone(),
        database_url: cli.database_url.clone(),
        ..FlagOverrides::default()
    };
    if let Command::Serve {
        listen,
        public_url,
        allowed_networks,
    } = &cli.command
    {
        flags.listen = *listen;
        flags.public_url = public_url.clone();
        flags.allowed_networks = allowed_networks.clone();
    }
    let settings = Settings::load(cli.config.clone(), &flags)?;
    init_logs(&settings)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Serve { .. } => serve(settings).await,
            Command::Secrets {
                command: SecretsCommand::Reseal,
            } => {
                anyhow::ensure!(
                    settings.encryption_key.is_some(),
                    "no encryption_key is configured (HOOKD_ENCRYPTION_KEY): nothing to seal with"
                );
                let store = open_store(&settings).await?;
                let (examined, resealed) = reseal(store.as_ref()).await?;
                println!("examined {examined} endpoints, resealed {resealed}");
                Ok(())
            }
            Command::Import {
                command: ImportCommand::Svix { url, token },
            } => {
                let store = open_store(&settings).await?;
                let clock: Arc<dyn Clock> = Arc::new(SystemClock);
                let client = hookd_import::Client::new(&url, &token, clock.clone())?;
                let mut progress = hookd_import::progress::to_stderr();
                let report =
                    hookd_import::import_svix(&client, store.as_ref(), clock, progress.as_mut())
                        .await
                        .context(
                            "importing from Svix (what was copied so far stays; re-run to go on)",
                        )?;
                print!("{report}");
                Ok(())
            }
            Command::Token { command } => {
                let store = open_existing_store(&settings).await?;
                tokens::run(command, store.as_ref(), &SystemClock).await
            }
        }
    })
}

/// Logs go to stderr, filtered by `log`, as `log_format` says: text (with colours only when
/// stderr is a terminal, so that files and journald get none) or one JSON object per line.
fn init_logs(settings: &Settings) -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    let filter =
        tracing_subscriber::EnvFilter::try_new(&settings.log).context("invalid log filter")?;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match settings.log_format {
        LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    Ok(())
}

/// How often the histograms' samples are folded into their buckets between scrapes: often
/// enough that an unscraped process holds a few seconds of samples at most.
const METRICS_UPKEEP: std::time::Duration = std::time::Duration::from_secs(5);

/// Endpoints a reseal rewrites per store call: small enough that each call is quick beside
/// live traffic, large enough that a hundred thousand endpoints take seconds.
const RESEAL_BATCH: u32 = 500;

/// Reseals every endpoint's secrets, batch by batch; answers (examined, resealed).
async fn reseal(store: &dyn Directory) -> anyhow::Result<(u64, u64)> {
    let (mut examined, mut resealed) = (0u64, 0u64);
    let mut after = None;
    loop {
        let batch = store
            .reseal_endpoint_secrets(after.as_ref(), RESEAL_BATCH)
            .await
            .context("resealing endpoint secrets")?;
        examined += batch.examined;
        resealed += batch.resealed;
        match batch.last {
            Some(last) => after = Some(last),
            None => return Ok((examined, resealed)),
        }
    }
}

/// The embedded SQLite file `settings` name, `None` when they name PostgreSQL.
fn sqlite_path(settings: &Settings) -> Option<PathBuf> {
    match settings.database_url.as_deref().filter(|u| !u.is_empty()) {
        None => Some(settings.data_dir.join(SQLITE_FILE)),
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => None,
        Some(url) => Some(PathBuf::from(
            url.strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url),
        )),
    }
}

/// The store of a hookd that has already run, for the commands that manage one
/// (`token create`, `token revoke`): a missing SQLite file is refused rather than created, since
/// a token minted into a new, empty database (a mistyped `--data-dir`, another working
/// directory) works nowhere.
async fn open_existing_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    if let Some(path) = sqlite_path(settings) {
        anyhow::ensure!(
            path.exists(),
            "no hookd database at {} (run `hookd serve` there first, or pass the --data-dir or \
             --database-url that `hookd serve` uses)",
            path.display()
        );
    }
    open_store(settings).await
}

async fn open_store(settings: &Settings) -> anyhow::Result<Arc<dyn Store>> {
    let sealer = settings.sealer()?;
    let Some(path) = sqlite_path(settings) else {
        let url = settings.database_url.as_deref().unwrap_or_default();
        let store = PgStore::connect(url)
            .await
            .context("connecting to PostgreSQL")?
            .with_sealer(sealer);
        tracing::info!("PostgreSQL store connected");
        return Ok(Arc::new(store));
    };
    let store = SqliteStore::open(&path)
        .await
        .with_context(|| format!("opening the SQLite database at {}", path.display()))?
        .with_sealer(sealer);
    tracing::info!(path = %path.display(), "SQLite store opened");
    Ok(Arc::new(store))
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let config = settings.server_config()?;
    let store = open_store(&settings).await?;
    let clock = Arc::new(SystemClock);
    // Bound before the first admin token is minted: a start that cannot listen (the address
    // is taken) must not use up the one token printed at first start.
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("binding {}", settings.listen))?;
    if let Some(text) = tokens::mint(
        store.as_ref(),
        clock.as_ref(),
        "created at first start",
        tokens::Role::Admin,
        None,
        true,
    )
    .await?
    {
        println!("No admin token existed, so one was created. It is shown only this once:");
        println!("{text}");
    }
    // The delivery engine starts once, before anything can publish; the API gets its handle.
    let engine = Engine::start(EngineContext::new(store.clone(), clock, Arc::new(config)))?;
    let mut state = AppState::new(store, engine.clone());
    if settings.metrics {
        let exporter = Exporter::install().context("installing the metrics recorder")?;
        exporter.spawn_upkeep(METRICS_UPKEEP);
        state = state.with_exporter(exporter);
        if let Some(address) = settings.metrics_listen {
            let listener = tokio::net::TcpListener::bind(address)
                .await
                .with_context(|| format!("binding metrics_listen {address}"))?;
            tokio::spawn(hookd_server::telemetry::serve(listener, state.clone()));
            println!("metrics on http://{address}/metrics");
        }
    }
    let maintenance = hookd_server::maintenance::spawn(state.clone());
    tracing::info!(listen = %settings.listen, "hookd is serving");
    let address = listener.local_addr()?;
    println!(
        "hookd {} listening on http://{address} (dashboard: http://{address}/dashboard)",
        env!("CARGO_PKG_VERSION"),
    );
    hookd_server::api::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("API stopped; finishing in-flight deliveries");
    maintenance.abort();
    engine.shutdown().await;
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
