//! The SQL half of pagination: appends [`ListQuery::plan`]'s key bound, sort and row limit to
//! a query. [`hookd_core::page::Page::assemble`] does the other half.
//!
//! This module must not decide pagination rules (which way a `-` iterator goes, how many rows
//! to fetch); it only spells the plan in SQL. Key columns are declared `COLLATE "C"` in the
//! schema, so the comparison and the sort here are byte-wise whatever the database's default
//! collation is.

use hookd_core::page::ListQuery;
use sqlx::{Postgres, QueryBuilder};

/// Appends ` AND key_column >|< $n ORDER BY key_column ASC|DESC LIMIT $m` per the query's
/// plan. The builder must end inside a `WHERE` clause (use `WHERE TRUE` when there is no
/// filter). `key_column` is always a constant from this crate, never input.
pub(crate) fn push_page(qb: &mut QueryBuilder<'_, Postgres>, key_column: &str, query: &ListQuery) {
    let plan = query.plan();
    if let Some((key, greater)) = plan.bound {
        qb.push(format!(
            " AND {key_column} {} ",
            if greater { ">" } else { "<" }
        ));
        qb.push_bind(key.to_owned());
    }
    qb.push(format!(
        " ORDER BY {key_column} {} LIMIT ",
        if plan.ascending { "ASC" } else { "DESC" }
    ));
    qb.push_bind(i64::from(plan.fetch));
}
