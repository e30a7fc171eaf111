//! Endpoints: an application's webhook receivers, unique by uid within their application.
//! Disabling a failing endpoint and re-sealing secrets take each store's own locking, and stay
//! with the store.
//!
//! This module must not decide which endpoints a message goes to (that is
//! [`hookd_core::model::Endpoint::accepts`]), nor remove an endpoint's deliveries and attempts
//! by hand: the schema's cascades do that atomically. Secrets arrive sealed (or not) from the
//! caller; this module never sees the sealer.

use hookd_core::{
    id::{AppId, EndpointId},
    model::Endpoint,
    page::{ListQuery, Page},
    store::{StoreError, StoreResult},
};

use crate::{
    decode, ms, queries::page::push_page, stored_old_secrets, Arg, Database, Statement,
    ENDPOINT_COLUMNS,
};

pub async fn create(db: &impl Database, ep: &Endpoint) -> StoreResult<()> {
    db.write(
        Statement::new(
            "INSERT INTO endpoints (id, app_id, uid, url, description, disabled, throttle_rate, \
             event_types, channels, metadata, headers, secret, old_secrets, created_at, \
             updated_at, options) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(ep.id.as_str())
        .bind(ep.app_id.as_str())
        .bind(ep.uid.as_deref())
        .bind(&ep.url)
        .bind(&ep.description)
        .bind(ep.disabled)
        .bind(ep.throttle_rate.map(i64::from))
        .bind(Arg::opt_names(ep.event_types.as_deref()))
        .bind(Arg::opt_names(ep.channels.as_deref()))
        .bind(Arg::json(&ep.metadata)?)
        .bind(Arg::json(&ep.headers)?)
        .bind(&ep.secret)
        .bind(Arg::json(&stored_old_secrets(&ep.old_secrets))?)
        .bind(ms(ep.created_at))
        .bind(ms(ep.updated_at))
        .bind(Arg::json(&ep.options)?),
    )
    .await?;
    Ok(())
}

/// The id is tried first and wins over a uid equal to it, as for applications.
pub async fn get<D: Database>(
    db: &D,
    app: &AppId,
    id_or_uid: &str,
) -> StoreResult<Option<Endpoint>> {
    let row = db
        .read_optional(
            Statement::new(format!(
                "SELECT {ENDPOINT_COLUMNS} FROM endpoints e \
                 WHERE e.app_id = $1 AND (e.id = $2 OR e.uid = $2) \
                 ORDER BY e.id = $2 DESC LIMIT 1"
            ))
            .bind(app.as_str())
            .bind(id_or_uid),
        )
        .await?;
    row.as_ref()
        .map(|r| decode::endpoint(&D::columns(r)))
        .transpose()
}

pub async fn list<D: Database>(
    db: &D,
    app: &AppId,
    query: &ListQuery,
) -> StoreResult<Page<Endpoint>> {
    let mut st = Statement::new(format!(
        "SELECT {ENDPOINT_COLUMNS} FROM endpoints e WHERE e.app_id = $1"
    ))
    .bind(app.as_str());
    push_page(&mut st, "e.id", query);
    let eps = db
        .read_all(st)
        .await?
        .iter()
        .map(|r| decode::endpoint(&D::columns(r)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(eps, query, |e| e.id.to_string()))
}

/// An endpoint that stays as enabled or disabled as it was keeps its failing-since time; one
/// that changes loses it (re-enabled endpoints start a fresh failure window).
pub async fn update(db: &impl Database, ep: &Endpoint) -> StoreResult<()> {
    let changed = db
        .write(
            Statement::new(
                "UPDATE endpoints SET uid = $1, url = $2, description = $3, disabled = $4, \
                 failing_since = CASE WHEN disabled = $4 THEN failing_since END, \
                 throttle_rate = $5, event_types = $6, channels = $7, metadata = $8, \
                 headers = $9, secret = $10, old_secrets = $11, updated_at = $12, \
                 options = $13 WHERE app_id = $14 AND id = $15",
            )
            .bind(ep.uid.as_deref())
            .bind(&ep.url)
            .bind(&ep.description)
            .bind(ep.disabled)
            .bind(ep.throttle_rate.map(i64::from))
            .bind(Arg::opt_names(ep.event_types.as_deref()))
            .bind(Arg::opt_names(ep.channels.as_deref()))
            .bind(Arg::json(&ep.metadata)?)
            .bind(Arg::json(&ep.headers)?)
            .bind(&ep.secret)
            .bind(Arg::json(&stored_old_secrets(&ep.old_secrets))?)
            .bind(ms(ep.updated_at))
            .bind(Arg::json(&ep.options)?)
            .bind(ep.app_id.as_str())
            .bind(ep.id.as_str()),
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn delete(db: &impl Database, app: &AppId, id: &EndpointId) -> StoreResult<bool> {
    let changed = db
        .write(
            Statement::new("DELETE FROM endpoints WHERE app_id = $1 AND id = $2")
                .bind(app.as_str())
                .bind(id.as_str()),
        )
        .await?;
    Ok(changed > 0)
}
