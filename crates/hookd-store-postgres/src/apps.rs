//! Applications: the tenants that own endpoints, messages and app-scoped tokens.
//!
//! This module must not delete an application's dependents by hand: the schema's cascades do
//! that, in the same statement, so a crash can never leave orphans behind.

use hookd_core::{
    id::AppId,
    model::Application,
    page::{ListQuery, Page},
    store::{AppFilter, StoreError, StoreResult, SVIX_PLAY_URL_PREFIX},
};
use sqlx::{types::Json, QueryBuilder};

use crate::{
    codec::{self, ms, rate, APP_COLUMNS},
    error, list, PgStore,
};

pub(crate) async fn create(store: &PgStore, app: &Application) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO applications (id, uid, name, throttle_rate, metadata, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(app.id.as_str())
    .bind(app.uid.as_deref())
    .bind(&app.name)
    .bind(rate(app.throttle_rate))
    .bind(Json(&app.metadata))
    .bind(ms(app.created_at))
    .bind(ms(app.updated_at))
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    Ok(())
}

/// The id is tried first and wins: a uid that happens to equal another application's id can
/// never shadow it.
pub(crate) async fn get(store: &PgStore, id_or_uid: &str) -> StoreResult<Option<Application>> {
    let row = sqlx::query(&format!(
        "SELECT {APP_COLUMNS} FROM applications a WHERE a.id = $1 OR a.uid = $1 \
         ORDER BY a.id = $1 DESC LIMIT 1"
    ))
    .bind(id_or_uid)
    .fetch_optional(&store.pool)
    .await
    .map_err(error::map)?;
    row.as_ref().map(codec::app).transpose()
}

/// The condition "has endpoints, and every one of them is `{0}`", for the application
/// list's filters; `endpoints_app` serves each probe.
const ALL_ENDPOINTS_ARE: &str = "(EXISTS (SELECT 1 FROM endpoints e WHERE e.app_id = a.id) \
    AND NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.app_id = a.id AND NOT ({0})))";

pub(crate) async fn list(
    store: &PgStore,
    filter: &AppFilter,
    query: &ListQuery,
) -> StoreResult<Page<Application>> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {APP_COLUMNS} FROM applications a WHERE TRUE"
    ));
    if filter.exclude_without_endpoints {
        qb.push(" AND EXISTS (SELECT 1 FROM endpoints e WHERE e.app_id = a.id)");
    }
    if filter.exclude_all_disabled {
        qb.push(" AND NOT ");
        qb.push(ALL_ENDPOINTS_ARE.replace("{0}", "e.disabled"));
    }
    if filter.exclude_all_svix_play {
        // The prefix is a constant of ours, so it may be spelled into the statement.
        let play = format!(
            "substr(e.url, 1, {}) = '{SVIX_PLAY_URL_PREFIX}'",
            SVIX_PLAY_URL_PREFIX.len()
        );
        qb.push(" AND NOT ");
        qb.push(ALL_ENDPOINTS_ARE.replace("{0}", &play));
    }
    list::push_page(&mut qb, "a.id", query);
    let rows = qb
        .build()
        .fetch_all(&store.pool)
        .await
        .map_err(error::map)?;
    let apps = rows
        .iter()
        .map(codec::app)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(apps, query, |a| a.id.to_string()))
}

pub(crate) async fn update(store: &PgStore, app: &Application) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE applications SET uid = $1, name = $2, throttle_rate = $3, metadata = $4, \
         updated_at = $5 WHERE id = $6",
    )
    .bind(app.uid.as_deref())
    .bind(&app.name)
    .bind(rate(app.throttle_rate))
    .bind(Json(&app.metadata))
    .bind(ms(app.updated_at))
    .bind(app.id.as_str())
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(crate) async fn delete(store: &PgStore, id: &AppId) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM applications WHERE id = $1")
        .bind(id.as_str())
        .execute(&store.pool)
        .await
        .map_err(error::map)?;
    Ok(done.rows_affected() > 0)
}
