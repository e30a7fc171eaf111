//! The [`Directory`] role: the objects a tenant configures (API tokens, applications, event
//! types, endpoints). The API reads and writes them; the engine reads endpoints through its
//! claims and changes only their health ([`Directory::disable_failing_endpoint`]). It must
//! not contain SQL or any I/O.

use async_trait::async_trait;

use super::StoreResult;
use crate::{
    id::{AppId, EndpointId, TokenId},
    model::{Application, Endpoint, EventType, Token},
    page::{ListQuery, Page},
    Timestamp,
};

/// Filters for listing applications (Svix's `ApplicationListOptions`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppFilter {
    /// Leave out applications without any endpoint.
    pub exclude_without_endpoints: bool,
    /// Leave out applications whose endpoints are all disabled (an application without
    /// endpoints has none disabled, and stays unless `exclude_without_endpoints`).
    pub exclude_all_disabled: bool,
    /// Leave out applications whose endpoints all point at Svix Play
    /// ([`SVIX_PLAY_URL_PREFIX`]); an application without endpoints stays.
    pub exclude_all_svix_play: bool,
}

/// Where Svix Play's inboxes live: endpoints under it are "Svix Play endpoints".
pub const SVIX_PLAY_URL_PREFIX: &str = "https://play.svix.com/";

/// What one call of [`Directory::reseal_endpoint_secrets`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResealBatch {
    /// The last endpoint id examined, to pass as `after` next time; `None` when no endpoint
    /// was left to examine.
    pub last: Option<EndpointId>,
    /// Endpoints examined.
    pub examined: u64,
    /// Endpoints whose stored secrets were rewritten.
    pub resealed: u64,
}

/// Tokens, applications, event types and endpoints.
#[async_trait]
pub trait Directory: Send + Sync + std::fmt::Debug {
    /// Stores a new token.
    async fn insert_token(&self, token: &Token) -> StoreResult<()>;

    /// Stores `token` only if no admin token exists yet; true if it was stored. Atomic, so
    /// that concurrent first starts create exactly one.
    async fn insert_admin_token_if_none(&self, token: &Token) -> StoreResult<bool>;

    /// Finds a token by the hash of its text.
    async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<Token>>;

    /// Deletes a token; true if it existed.
    async fn delete_token(&self, id: &TokenId) -> StoreResult<bool>;

    /// Every admin token (operators' and administrators', not applications'), by id. They
    /// are minted by people, so there are few; no paging.
    async fn list_admin_tokens(&self) -> StoreResult<Vec<Token>>;

    /// Makes the tokens of application `app` (only those minted with one of `session_ids`,
    /// when a non-empty list is given) expire at `at`, or keep an earlier expiry they already
    /// have: a token's life is only ever shortened. Returns how many tokens it matched.
    async fn expire_app_tokens(
        &self,
        app: &AppId,
        session_ids: Option<&[String]>,
        at: Timestamp,
    ) -> StoreResult<u64>;

    /// Creates an application; `Conflict` if its uid is taken.
    async fn create_app(&self, app: &Application) -> StoreResult<()>;

    /// Finds an application by id, else by uid.
    async fn get_app(&self, id_or_uid: &str) -> StoreResult<Option<Application>>;

    /// Lists applications by id, leaving out those `filter` excludes.
    async fn list_apps(
        &self,
        filter: &AppFilter,
        query: &ListQuery,
    ) -> StoreResult<Page<Application>>;

    /// Replaces an application's fields (found by `app.id`); `NotFound` or `Conflict`.
    async fn update_app(&self, app: &Application) -> StoreResult<()>;

    /// Deletes an application and everything it owns; true if it existed.
    async fn delete_app(&self, id: &AppId) -> StoreResult<bool>;

    /// Creates an event type; `Conflict` if the name is taken.
    async fn create_event_type(&self, et: &EventType) -> StoreResult<()>;

    /// Finds an event type by name.
    async fn get_event_type(&self, name: &str) -> StoreResult<Option<EventType>>;

    /// Lists event types by name.
    async fn list_event_types(
        &self,
        include_archived: bool,
        query: &ListQuery,
    ) -> StoreResult<Page<EventType>>;

    /// Replaces an event type's fields (found by name); `NotFound`.
    async fn update_event_type(&self, et: &EventType) -> StoreResult<()>;

    /// Deletes an event type for good; true if it existed.
    async fn delete_event_type(&self, name: &str) -> StoreResult<bool>;

    /// Creates an endpoint (healthy: `ep.failing_since` is not written); `Conflict` if its uid
    /// is taken in the application.
    async fn create_endpoint(&self, ep: &Endpoint) -> StoreResult<()>;

    /// Finds an endpoint of `app` by id, else by uid.
    async fn get_endpoint(&self, app: &AppId, id_or_uid: &str) -> StoreResult<Option<Endpoint>>;

    /// Lists an application's endpoints by id.
    async fn list_endpoints(&self, app: &AppId, query: &ListQuery) -> StoreResult<Page<Endpoint>>;

    /// Replaces an endpoint's fields (found by `ep.app_id` and `ep.id`); `NotFound`, `Conflict`.
    /// `ep.failing_since` is not written: the store keeps its own value, or clears it when
    /// `ep.disabled` differs from the stored flag.
    async fn update_endpoint(&self, ep: &Endpoint) -> StoreResult<()>;

    /// Rewrites, under the primary key of the store's [`crate::seal::Sealer`], the stored
    /// secrets of up to `limit` endpoints whose ids come after `after` (in id order), leaving
    /// those already sealed under it alone. Each row is rewritten only if it still holds what
    /// was read (so a concurrent rotation is never undone). A store without a sealer
    /// examines nothing.
    async fn reseal_endpoint_secrets(
        &self,
        after: Option<&EndpointId>,
        limit: u32,
    ) -> StoreResult<ResealBatch>;

    /// Deletes an endpoint with its deliveries and attempts; true if it existed.
    async fn delete_endpoint(&self, app: &AppId, id: &EndpointId) -> StoreResult<bool>;

    /// Disables the endpoint if it is enabled and has been failing since `failing_before` or
    /// earlier, clearing its [`Endpoint::failing_since`] and setting `updated_at` to `now`.
    /// Returns the time it had been failing since when this call disabled it, else `None`
    /// (already disabled, healthy again, failing only since later, or gone). The check and
    /// the change are one guarded statement, so when several workers or processes race, only
    /// one of them sees `Some` and reports it.
    async fn disable_failing_endpoint(
        &self,
        app: &AppId,
        id: &EndpointId,
        failing_before: Timestamp,
        now: Timestamp,
    ) -> StoreResult<Option<Timestamp>>;
}
