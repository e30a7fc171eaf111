//! The SQL half of pagination: appends [`ListQuery::plan`]'s key bound, sort and row limit to
//! a statement. [`hookd_core::page::Page::assemble`] does the other half.
//!
//! This module must not decide pagination rules (which way a `-` iterator goes, how many rows
//! to fetch); it only spells the plan in SQL. Key columns compare byte-wise in both stores
//! (PostgreSQL declares them `COLLATE "C"`; SQLite's default collation is binary).

use hookd_core::page::ListQuery;

use crate::Statement;

/// Appends ` AND key_column >|< $n ORDER BY key_column ASC|DESC LIMIT $m` per the query's
/// plan. The statement must end inside a `WHERE` clause (use `WHERE TRUE` when there is no
/// filter). `key_column` is always a constant of the stores, never input.
pub fn push_page(st: &mut Statement<'_>, key_column: &str, query: &ListQuery) {
    let plan = query.plan();
    if let Some((key, greater)) = plan.bound {
        st.push(&format!(
            " AND {key_column} {} ",
            if greater { ">" } else { "<" }
        ));
        st.push_bind(key.to_owned());
    }
    st.push(&format!(
        " ORDER BY {key_column} {} LIMIT ",
        if plan.ascending { "ASC" } else { "DESC" }
    ));
    st.push_bind(i64::from(plan.fetch));
}
