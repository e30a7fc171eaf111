//! The delivery engine of one process: the publisher that writes messages (group commit), a
//! dispatcher that claims due deliveries in batches, one task per claimed delivery that makes
//! the HTTP attempt, and a completer that writes outcomes back in batches and publishes what
//! they report (the operational events). A publish batch also claims its new deliveries as it
//! writes them, for the slots that are free (the inbox); the dispatcher claims the rest,
//! retries and expired leases.
//!
//! ```text
//!   Engine::publish ──► publisher ──create_messages(claim n = free slots)──► store
//!        │ start, one reserved permit each           (unclaimed left: wake)
//!        │        wake ─┐
//!        │ poll / due ──┴─► dispatcher ──claim_due(n = reserved slots)──► store
//!        │                      │ spawn, one reserved permit each
//!        ▼                      ▼
//!              attempt tasks ──gate (per endpoint)──HTTP──► receivers
//!                          │ Completion (bounded channel)
//!                          ▼
//!                      completer ──complete(batch)──► store
//!                          │ events::plan, operational events
//!                          ▼
//!                      publisher (as any message)
//! ```
//!
//! Started once per process ([`Engine::start`]) with its own [`EngineContext`] (store, clock,
//! settings); everything else talks to it through the [`Engine`] handle.
//!
//! | module | job |
//! |---|---|
//! | `engine` | the context, the handle, starting and stopping |
//! | `publish` | group commit of publishes, the engine's one way in |
//! | `inbox` | deliveries a publish claimed as it wrote them, handed to the workers |
//! | `dispatch` | claiming due deliveries and starting their attempts |
//! | `attempt` | one delivery's attempt, from its endpoint's turn to its outcome |
//! | [`gate`], [`http`], [`request`], [`ssrf`] | admission per endpoint, the HTTP client, the signed request, the address guard |
//! | `complete` | writing outcomes back in batches |
//! | [`events`], [`operational`] | what a written batch reports; the operational events' names and shapes |
//! | `dedicated` | a thread of its own for a single-writer store's writers |
//!
//! **Architecture Invariant:** no store transaction is open while an HTTP request is in flight:
//! the claim commits before the attempt starts and the completion is a separate transaction.
//! A delivery is claimed under a lease longer than the HTTP timeout; if this process dies, the
//! lease expires and any process claims the delivery again (at-least-once). The completion is
//! guarded by the lease token in the store, so a late completion cannot overwrite a delivery
//! that was reclaimed.
//!
//! **Architecture Invariant:** the engine imports nothing from the API layer (`crate::api`,
//! `AppState`, the caches and rate limits): arrows run api → engine → core. This module must
//! not parse API input or format API output.

mod attempt;
mod complete;
mod dedicated;
mod dispatch;
mod engine;
pub mod events;
mod failure_log;
pub mod gate;
pub mod http;
mod inbox;
pub mod operational;
mod publish;
pub mod request;
pub mod ssrf;

use std::time::Duration;

pub use attempt::envelope_for;
pub use engine::{Engine, EngineContext, EngineError};
pub use publish::Publisher;

/// How long the dispatcher and completer wait before retrying after a store error.
const STORE_RETRY_BACKOFF: Duration = Duration::from_millis(500);

#[cfg(test)]
mod tests {
    /// The engine's one-way arrow, held as a fact: no file of the engine names the API layer
    /// or the API's state in code (doc comments may, to say so).
    #[test]
    fn the_engine_imports_nothing_from_the_api() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/worker");
        let mut files = vec![dir.clone()];
        let mut checked = 0;
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).expect("read the engine's sources") {
                    files.push(entry.expect("a directory entry").path());
                }
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read a source file");
            for (n, line) in text.lines().enumerate() {
                let code = line.trim_start();
                if code.starts_with("//") {
                    continue;
                }
                // Spelled in halves, so that this test does not find itself.
                for [left, right] in [
                    ["crate::", "api"],
                    ["App", "State"],
                    ["crate::", "cache"],
                    ["crate::", "ratelimit"],
                ] {
                    let banned = format!("{left}{right}");
                    assert!(
                        !code.contains(&banned),
                        "{}:{}: the engine must not use `{banned}`",
                        path.display(),
                        n + 1
                    );
                }
            }
            checked += 1;
        }
        assert!(checked > 10, "found the engine's sources");
    }
}
