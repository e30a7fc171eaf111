//! What Svix's REST API v1 answers, as the importer reads it: the `…Out` shapes of
//! applications, endpoints, their secrets and headers, event types, and list pages.
//!
//! Both spellings Svix has used are read (`throttleRate`/`rateLimit`,
//! `eventTypes`/`filterTypes`, `featureFlag`/`featureFlags`), and every field this importer
//! does not know lands in `extra`, so that the report can name it instead of dropping it
//! unseen. This module must not decide what is copied: it only parses.

use std::collections::{BTreeMap, BTreeSet};

use hookd_core::Timestamp;
use serde::Deserialize;

/// Fields of an object that this importer does not know, by name.
pub type Extra = BTreeMap<String, serde_json::Value>;

/// One page of a list (`ListResponse…Out`).
#[derive(Debug, Clone, Deserialize)]
pub struct ListResponse<T> {
    /// The items of this page.
    pub data: Vec<T>,
    /// The cursor of the next page.
    #[serde(default)]
    pub iterator: Option<String>,
    /// Whether this is the last page.
    pub done: bool,
}

/// `ApplicationOut`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationOut {
    /// The id, `app_…`.
    pub id: String,
    /// The user's unique key.
    #[serde(default)]
    pub uid: Option<String>,
    /// Display name.
    pub name: String,
    /// Messages per second.
    #[serde(default)]
    pub throttle_rate: Option<u16>,
    /// The older name of `throttleRate`.
    #[serde(default)]
    pub rate_limit: Option<u16>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Anything else.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `EndpointOut`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EndpointOut {
    /// The id, `ep_…`.
    pub id: String,
    /// The user's unique key within the application.
    #[serde(default)]
    pub uid: Option<String>,
    /// Where deliveries go.
    pub url: String,
    /// A description.
    #[serde(default)]
    pub description: String,
    /// Whether deliveries are paused (absent means enabled).
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Deliveries per second.
    #[serde(default)]
    pub throttle_rate: Option<u16>,
    /// The older name of `throttleRate`.
    #[serde(default)]
    pub rate_limit: Option<u16>,
    /// The event types it receives; absent for all.
    #[serde(default)]
    pub event_types: Option<Vec<String>>,
    /// The older name of `eventTypes`.
    #[serde(default)]
    pub filter_types: Option<Vec<String>>,
    /// The channels it listens to; absent for all.
    #[serde(default)]
    pub channels: Option<Vec<String>>,
    /// Free-form metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// Deprecated in Svix and always 1; nothing to copy.
    #[serde(default)]
    pub version: Option<serde_json::Value>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Anything else.
    #[serde(flatten)]
    pub extra: Extra,
}

/// `EndpointSecretOut`.
#[derive(Debug, Clone, Deserialize)]
pub struct EndpointSecretOut {
    /// `whsec_…` for HMAC endpoints; `whpk_…` (the public key) for ed25519 ones.
    pub key: String,
}

/// `EndpointHeadersOut`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EndpointHeadersOut {
    /// The headers whose values Svix shows.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// The names of the headers whose values Svix never shows (credentials).
    #[serde(default)]
    pub sensitive: BTreeSet<String>,
}

/// `EventTypeOut`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeOut {
    /// Its unique name.
    pub name: String,
    /// What it means.
    #[serde(default)]
    pub description: String,
    /// Whether it is archived (absent means not).
    #[serde(default)]
    pub archived: Option<bool>,
    /// Whether it is deprecated.
    #[serde(default)]
    pub deprecated: bool,
    /// JSON schemas by version.
    #[serde(default)]
    pub schemas: Option<serde_json::Value>,
    /// The feature flag that gates it (older single-flag form).
    #[serde(default)]
    pub feature_flag: Option<String>,
    /// The feature flags that gate it (newer form).
    #[serde(default)]
    pub feature_flags: Option<Vec<String>>,
    /// The group it is shown under in Svix's consoles.
    #[serde(default)]
    pub group_name: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Anything else.
    #[serde(flatten)]
    pub extra: Extra,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_kept_for_the_report() {
        let ep: EndpointOut = serde_json::from_value(serde_json::json!({
            "id": "ep_2aBcDeFgHiJkLmNoPqRsTuVwXyZ",
            "url": "https://example.com/hook",
            "description": "",
            "version": 1,
            "filterTypes": ["a.b"],
            "createdAt": "2024-01-02T03:04:05.678901Z",
            "updatedAt": "2024-01-02T03:04:05.678901Z",
            "metadata": {},
            "transformation": {"enabled": true}
        }))
        .unwrap();
        assert_eq!(ep.filter_types, Some(vec!["a.b".into()]));
        assert_eq!(ep.extra.keys().collect::<Vec<_>>(), ["transformation"]);
    }
}
