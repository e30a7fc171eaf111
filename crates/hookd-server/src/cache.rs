//! Short-lived caches of the two lookups every API request makes: the caller's token and the
//! application named in the path. Without them, each publish costs two extra database reads,
//! which on a two-core machine is a large share of the CPU a publish takes.
//!
//! Entries live for [`TTL`]. Changes made through this process (logout, application update or
//! delete) remove their entries at once; changes made by another process sharing the database
//! are seen within [`TTL`]. Only found entries are cached, so an unknown token always reaches
//! the database (and its rate limit) and a new application is visible at once. This module
//! must not decide anything about access; it only remembers answers.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

use hookd_core::{
    id::AppId,
    model::{Application, Token},
    store::{Directory, StoreResult},
};

/// How long a looked-up token or application is reused. One second bounds how long a token
/// revoked on another process keeps working there, and still saves all but one lookup per
/// second for a busy client.
pub const TTL: Duration = Duration::from_secs(1);
/// Entries kept at most per cache; past it the cache is cleared (a crude bound that only a
/// very large number of distinct live tokens or applications per second would ever hit).
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug)]
struct Ttl<V> {
    entries: Mutex<HashMap<String, (Instant, V)>>,
}

impl<V> Default for Ttl<V> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Clone> Ttl<V> {
    fn get(&self, key: &str) -> Option<V> {
        let entries = self.entries.lock().expect("cache lock");
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < TTL)
            .map(|(_, v)| v.clone())
    }

    fn put(&self, key: &str, value: V) {
        let mut entries = self.entries.lock().expect("cache lock");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key.to_owned(), (Instant::now(), value));
    }

    fn retain(&self, keep: impl Fn(&V) -> bool) {
        self.entries
            .lock()
            .expect("cache lock")
            .retain(|_, (_, v)| keep(v));
    }
}

/// The caches of one process.
#[derive(Debug, Default)]
pub struct LookupCache {
    tokens: Ttl<Token>,
    apps: Ttl<Application>,
}

impl LookupCache {
    /// The token with this hash, from the cache or the store.
    pub async fn token(&self, store: &dyn Directory, hash: &str) -> StoreResult<Option<Token>> {
        if let Some(token) = self.tokens.get(hash) {
            return Ok(Some(token));
        }
        let found = store.token_by_hash(hash).await?;
        if let Some(token) = &found {
            self.tokens.put(hash, token.clone());
        }
        Ok(found)
    }

    /// The application with this id or uid, from the cache or the store.
    pub async fn app(
        &self,
        store: &dyn Directory,
        id_or_uid: &str,
    ) -> StoreResult<Option<Application>> {
        if let Some(app) = self.apps.get(id_or_uid) {
            return Ok(Some(app));
        }
        let found = store.get_app(id_or_uid).await?;
        if let Some(app) = &found {
            self.apps.put(id_or_uid, app.clone());
        }
        Ok(found)
    }

    /// Forgets a token (it was revoked).
    pub fn forget_token(&self, hash: &str) {
        self.tokens.retain(|t| t.hash != hash);
    }

    /// Forgets an application under every key it was looked up by (it changed or is gone).
    pub fn forget_app(&self, id: &AppId) {
        self.apps.retain(|a| &a.id != id);
        // Tokens scoped to a deleted application are deleted with it.
        self.forget_app_tokens(id);
    }

    /// Forgets every token of an application (they were expired or deleted).
    pub fn forget_app_tokens(&self, id: &AppId) {
        self.tokens
            .retain(|t| !matches!(&t.scope, hookd_core::model::TokenScope::App(app) if app == id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_can_be_forgotten() {
        let ttl: Ttl<u32> = Ttl::default();
        ttl.put("a", 1);
        assert_eq!(ttl.get("a"), Some(1));
        ttl.retain(|v| *v != 1);
        assert_eq!(ttl.get("a"), None);
        ttl.entries
            .lock()
            .unwrap()
            .insert("b".into(), (Instant::now() - TTL, 2));
        assert_eq!(
            ttl.get("b"),
            None,
            "an entry older than the TTL is not used"
        );
    }
}
