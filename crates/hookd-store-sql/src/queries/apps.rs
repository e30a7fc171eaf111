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

use crate::{decode, ms, queries::page::push_page, Arg, Database, Statement, APP_COLUMNS};

pub async fn create(db: &impl Database, app: &Application) -> StoreResult<()> {
    db.write(
        Statement::new(
            "INSERT INTO applications (id, uid, name, throttle_rate, metadata, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(app.id.as_str())
        .bind(app.uid.as_deref())
        .bind(&app.name)
        .bind(app.throttle_rate.map(i64::from))
        .bind(Arg::json(&app.metadata)?)
        .bind(ms(app.created_at))
        .bind(ms(app.updated_at)),
    )
    .await?;
    Ok(())
}

/// The id is tried first and wins: a uid that happens to equal another application's id can
/// never shadow it.
pub async fn get<D: Database>(db: &D, id_or_uid: &str) -> StoreResult<Option<Application>> {
    let row = db
        .read_optional(
            Statement::new(format!(
                "SELECT {APP_COLUMNS} FROM applications a WHERE a.id = $1 OR a.uid = $1 \
                 ORDER BY a.id = $1 DESC LIMIT 1"
            ))
            .bind(id_or_uid),
        )
        .await?;
    row.as_ref()
        .map(|r| decode::app(&D::columns(r)))
        .transpose()
}

/// The condition "has endpoints, and every one of them is `{0}`", for the application
/// list's filters; `endpoints_app` serves each probe.
const ALL_ENDPOINTS_ARE: &str = "(EXISTS (SELECT 1 FROM endpoints e WHERE e.app_id = a.id) \
    AND NOT EXISTS (SELECT 1 FROM endpoints e WHERE e.app_id = a.id AND NOT ({0})))";

pub async fn list<D: Database>(
    db: &D,
    filter: &AppFilter,
    query: &ListQuery,
) -> StoreResult<Page<Application>> {
    let mut st = Statement::new(format!(
        "SELECT {APP_COLUMNS} FROM applications a WHERE TRUE"
    ));
    if filter.exclude_without_endpoints {
        st.push(" AND EXISTS (SELECT 1 FROM endpoints e WHERE e.app_id = a.id)");
    }
    if filter.exclude_all_disabled {
        st.push(" AND NOT ");
        st.push(&ALL_ENDPOINTS_ARE.replace("{0}", "e.disabled"));
    }
    if filter.exclude_all_svix_play {
        // The prefix is a constant of ours, so it may be spelled into the statement.
        let play = format!(
            "substr(e.url, 1, {}) = '{SVIX_PLAY_URL_PREFIX}'",
            SVIX_PLAY_URL_PREFIX.len()
        );
        st.push(" AND NOT ");
        st.push(&ALL_ENDPOINTS_ARE.replace("{0}", &play));
    }
    push_page(&mut st, "a.id", query);
    let apps = db
        .read_all(st)
        .await?
        .iter()
        .map(|r| decode::app(&D::columns(r)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(apps, query, |a| a.id.to_string()))
}

pub async fn update(db: &impl Database, app: &Application) -> StoreResult<()> {
    let changed = db
        .write(
            Statement::new(
                "UPDATE applications SET uid = $1, name = $2, throttle_rate = $3, \
                 metadata = $4, updated_at = $5 WHERE id = $6",
            )
            .bind(app.uid.as_deref())
            .bind(&app.name)
            .bind(app.throttle_rate.map(i64::from))
            .bind(Arg::json(&app.metadata)?)
            .bind(ms(app.updated_at))
            .bind(app.id.as_str()),
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn delete(db: &impl Database, id: &AppId) -> StoreResult<bool> {
    let changed = db
        .write(Statement::new("DELETE FROM applications WHERE id = $1").bind(id.as_str()))
        .await?;
    Ok(changed > 0)
}
