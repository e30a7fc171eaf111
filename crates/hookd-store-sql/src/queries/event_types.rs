//! The event type catalogue, keyed and listed by name.
//!
//! This module must not check that messages use catalogued types: whether an unknown type is
//! accepted is the API's decision.

use hookd_core::{
    model::EventType,
    page::{ListQuery, Page},
    store::{StoreError, StoreResult},
};

use crate::{decode, ms, queries::page::push_page, Arg, Database, Statement, EVENT_TYPE_COLUMNS};

pub async fn create(db: &impl Database, et: &EventType) -> StoreResult<()> {
    db.write(
        Statement::new(
            "INSERT INTO event_types (name, description, archived, deprecated, schemas, \
             feature_flags, created_at, updated_at, options) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&et.name)
        .bind(&et.description)
        .bind(et.archived)
        .bind(et.deprecated)
        .bind(Arg::opt_json(et.schemas.as_ref())?)
        .bind(Arg::names(et.feature_flags.iter().map(String::as_str)))
        .bind(ms(et.created_at))
        .bind(ms(et.updated_at))
        .bind(Arg::json(&et.options)?),
    )
    .await?;
    Ok(())
}

pub async fn get<D: Database>(db: &D, name: &str) -> StoreResult<Option<EventType>> {
    let row = db
        .read_optional(
            Statement::new(format!(
                "SELECT {EVENT_TYPE_COLUMNS} FROM event_types et WHERE et.name = $1"
            ))
            .bind(name),
        )
        .await?;
    row.as_ref()
        .map(|r| decode::event_type(&D::columns(r)))
        .transpose()
}

pub async fn list<D: Database>(
    db: &D,
    include_archived: bool,
    query: &ListQuery,
) -> StoreResult<Page<EventType>> {
    let mut st = Statement::new(format!(
        "SELECT {EVENT_TYPE_COLUMNS} FROM event_types et WHERE TRUE"
    ));
    if !include_archived {
        st.push(" AND NOT et.archived");
    }
    push_page(&mut st, "et.name", query);
    let types = db
        .read_all(st)
        .await?
        .iter()
        .map(|r| decode::event_type(&D::columns(r)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(types, query, |t| t.name.clone()))
}

pub async fn update(db: &impl Database, et: &EventType) -> StoreResult<()> {
    let changed = db
        .write(
            Statement::new(
                "UPDATE event_types SET description = $1, archived = $2, deprecated = $3, \
                 schemas = $4, feature_flags = $5, updated_at = $6, options = $7 \
                 WHERE name = $8",
            )
            .bind(&et.description)
            .bind(et.archived)
            .bind(et.deprecated)
            .bind(Arg::opt_json(et.schemas.as_ref())?)
            .bind(Arg::names(et.feature_flags.iter().map(String::as_str)))
            .bind(ms(et.updated_at))
            .bind(Arg::json(&et.options)?)
            .bind(&et.name),
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

pub async fn delete(db: &impl Database, name: &str) -> StoreResult<bool> {
    let changed = db
        .write(Statement::new("DELETE FROM event_types WHERE name = $1").bind(name))
        .await?;
    Ok(changed > 0)
}
