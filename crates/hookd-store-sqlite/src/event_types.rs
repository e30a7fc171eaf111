//! The event type catalogue, keyed and listed by name.
//!
//! This module must not check that messages use catalogued types: whether an unknown type is
//! accepted is the API's decision.

use hookd_core::{
    model::EventType,
    page::{ListQuery, Page},
    store::{StoreError, StoreResult},
};
use sqlx::QueryBuilder;

use crate::{
    codec::{self, ms, to_json, EVENT_TYPE_COLUMNS},
    error, list, SqliteStore,
};

pub(crate) async fn create(store: &SqliteStore, et: &EventType) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO event_types (name, description, archived, deprecated, schemas, \
         feature_flags, created_at, updated_at, options) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(&et.name)
    .bind(&et.description)
    .bind(et.archived)
    .bind(et.deprecated)
    .bind(et.schemas.as_ref().map(to_json).transpose()?)
    .bind(codec::to_json(&et.feature_flags)?)
    .bind(ms(et.created_at))
    .bind(ms(et.updated_at))
    .bind(to_json(&et.options)?)
    .execute(&store.write)
    .await
    .map_err(error::map)?;
    Ok(())
}

pub(crate) async fn get(store: &SqliteStore, name: &str) -> StoreResult<Option<EventType>> {
    let row = sqlx::query(&format!(
        "SELECT {EVENT_TYPE_COLUMNS} FROM event_types et WHERE et.name = ?"
    ))
    .bind(name)
    .fetch_optional(&store.read)
    .await
    .map_err(error::map)?;
    row.as_ref().map(codec::event_type).transpose()
}

pub(crate) async fn list(
    store: &SqliteStore,
    include_archived: bool,
    query: &ListQuery,
) -> StoreResult<Page<EventType>> {
    let mut qb = QueryBuilder::new(format!(
        "SELECT {EVENT_TYPE_COLUMNS} FROM event_types et WHERE TRUE"
    ));
    if !include_archived {
        qb.push(" AND et.archived = 0");
    }
    list::push_page(&mut qb, "et.name", query);
    let rows = qb
        .build()
        .fetch_all(&store.read)
        .await
        .map_err(error::map)?;
    let types = rows
        .iter()
        .map(codec::event_type)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(types, query, |t| t.name.clone()))
}

pub(crate) async fn update(store: &SqliteStore, et: &EventType) -> StoreResult<()> {
    let done = sqlx::query(
        "UPDATE event_types SET description = ?, archived = ?, deprecated = ?, schemas = ?, \
         feature_flags = ?, updated_at = ?, options = ? WHERE name = ?",
    )
    .bind(&et.description)
    .bind(et.archived)
    .bind(et.deprecated)
    .bind(et.schemas.as_ref().map(to_json).transpose()?)
    .bind(codec::to_json(&et.feature_flags)?)
    .bind(ms(et.updated_at))
    .bind(to_json(&et.options)?)
    .bind(&et.name)
    .execute(&store.write)
    .await
    .map_err(error::map)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub(crate) async fn delete(store: &SqliteStore, name: &str) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM event_types WHERE name = ?")
        .bind(name)
        .execute(&store.write)
        .await
        .map_err(error::map)?;
    Ok(done.rows_affected() > 0)
}
