//! The read side of messages: one by id or `eventId`, the filtered list, and the
//! message-level filters that the delivery and attempt lists share. Writing a message with its
//! deliveries is each store's own transaction.
//!
//! This module must not change anything.

use hookd_core::{
    id::AppId,
    model::Message,
    page::{ListQuery, Page},
    store::{MessageFilter, StoreResult},
};

use crate::{decode, ms, ms_ceil, queries::page::push_page, Database, Statement, MESSAGE_COLUMNS};

/// Appends the message-level filters to a statement that selects from `messages m`, comparing
/// `before` and `after` with `time_column` (the message's own creation time, or an attempt's).
/// The statement must end inside a `WHERE` clause.
pub fn push_message_filter<'a, D: Database>(
    st: &mut Statement<'a>,
    filter: &'a MessageFilter,
    time_column: &str,
) {
    if let Some(before) = filter.before {
        st.push(&format!(" AND {time_column} < "));
        st.push_bind(ms_ceil(before));
    }
    if let Some(after) = filter.after {
        // Stored times are whole milliseconds, so "after `after`" is "after its millisecond".
        st.push(&format!(" AND {time_column} > "));
        st.push_bind(ms(after));
    }
    if let Some(channel) = &filter.channel {
        push_holds::<D>(st, "m.channels", channel);
    }
    if let Some(types) = &filter.event_types {
        if types.is_empty() {
            // An empty list matches nothing, and `IN ()` is not valid SQL everywhere.
            st.push(" AND FALSE");
        } else {
            st.push(" AND m.event_type IN ").push_list(types);
        }
    }
    if let Some(tag) = &filter.tag {
        push_holds::<D>(st, "m.tags", tag);
    }
}

/// Appends ` AND` "`list_column` holds `name`".
fn push_holds<'a, D: Database>(st: &mut Statement<'a>, list_column: &str, name: &'a str) {
    let placeholder = st.bind_next(name);
    st.push(" AND ")
        .push(&D::holds_name(list_column, &placeholder));
}

/// The id is tried first and wins over an `eventId` equal to it.
pub async fn get<D: Database>(
    db: &D,
    app: &AppId,
    id_or_event_id: &str,
) -> StoreResult<Option<Message>> {
    let row = db
        .read_optional(
            Statement::new(format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages m \
                 WHERE m.app_id = $1 AND (m.id = $2 OR m.event_id = $2) \
                 ORDER BY m.id = $2 DESC LIMIT 1"
            ))
            .bind(app.as_str())
            .bind(id_or_event_id),
        )
        .await?;
    row.as_ref()
        .map(|r| decode::message(&D::columns(r)))
        .transpose()
}

pub async fn list<D: Database>(
    db: &D,
    app: &AppId,
    filter: &MessageFilter,
    query: &ListQuery,
) -> StoreResult<Page<Message>> {
    let mut st = Statement::new(format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.app_id = $1"
    ))
    .bind(app.as_str());
    push_message_filter::<D>(&mut st, filter, "m.created_at");
    push_page(&mut st, "m.id", query);
    let msgs = db
        .read_all(st)
        .await?
        .iter()
        .map(|r| decode::message(&D::columns(r)))
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::assemble(msgs, query, |m| m.id.to_string()))
}
