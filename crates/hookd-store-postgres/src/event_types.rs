//! The event type catalogue, keyed and listed by name.
//!
//! This module must not check that messages use catalogued types: whether an unknown type is
//! accepted is the API's decision.

use hookd_core::{
    model::EventType,
    page::{ListQuery, Page},
    store::{StoreError, StoreResult},
};
use sqlx::{types::Json, QueryBuilder};

use crate::{
    codec::{self, ms, EVENT_TYPE_COLUMNS},
    error, list, PgStore,
};

pub(crate) async fn create(store: &PgStore, et: &EventType) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO event_types (name, description, archived, deprecated, schemas, \
         feature_flags, created_at, updated_at, options) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&et.name)
    .bind(&et.description)
    .bind(et.archived)
    .bind(et.deprecated)
    .bind(et.schemas.as_ref().map(Json))
    .bind(codec::name_list(&et.feature_flags))
    .bind(ms(et.created_at))
    .bind(ms(et.updated_at))
    .bind(Json(&et.options))
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    Ok(())
}

pub(crate) async fn get(store: &PgStore, name: &str) -> StoreResult<Option<EventType>> {
    let row = sqlx::query(&format!(
        "SELECT {EVENT_TYPE_COLUMNS} FROM event_types et WHERE et.name = $1"
    ))
    .bind(name)
    .fetch_optional(&store.pool)
    .await
    .map_err(error::map)?;
    row.as_ref().map(codec::event_type).transpose()
}

pub(crate) async fn list(
    store: &PgStore,
    include_archived: bool,
    query: &ListQuery,
) -> StoreResult<Page<EventType>> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {EVENT_TYPE_COLUMNS} FROM event_types et WHERE TRUE"
    ));
    if !include_archived {
        qb.push(" AND NOT et.archived");
    }
    list::push_page(&mut qb, "et.name", query);
    let rows = qb
        .build()
        .fetch_all(&store.pool)
        .await
        .map_err(error::map)?;
    let types = rows
        .iter()
        .map(codec::event_type)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(types, query, |t| t.name.clone()))
}

pub(crate) async fn update(store: &PgStore, et: &EventType) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE event_types SET description = $1, archived = $2, deprecated = $3, \
         schemas = $4, feature_flags = $5, updated_at = $6, options = $7 WHERE name = $8",
    )
    .bind(&et.description)
    .bind(et.archived)
    .bind(et.deprecated)
    .bind(et.schemas.as_ref().map(Json))
    .bind(codec::name_list(&et.feature_flags))
    .bind(ms(et.updated_at))
    .bind(Json(&et.options))
    .bind(&et.name)
    .execute(&store.pool)
    .await
    .map_err(error::map)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(crate) async fn delete(store: &PgStore, name: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM event_types WHERE name = $1")
        .bind(name)
        .execute(&store.pool)
        .await
        .map_err(error::map)?;
    Ok(done.rows_affected() > 0)
}
