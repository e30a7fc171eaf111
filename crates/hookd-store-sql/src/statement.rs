//! A statement as the shared queries write it, and the [`Database`] that runs it: the seam that
//! lets one query text serve both SQL stores without either store's driver types leaking in.
//!
//! The text uses numbered placeholders (`$1`, `$2` …), which PostgreSQL and sqlx's SQLite
//! driver both read, so a placeholder may repeat. Values are [`Arg`]s, named by what they
//! are in the domain (a document, a list of names), not by how a database stores them: that
//! is each store's [`Database`] implementation.
//!
//! This module must not know any database's encoding, nor run anything itself.

use std::{borrow::Cow, future::Future};

use hookd_core::store::{StoreError, StoreResult};
use serde::Serialize;

use crate::Columns;

/// One value bound to a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg<'a> {
    /// Text, or `NULL`.
    Text(Option<Cow<'a, str>>),
    /// An integer, or `NULL`. Stored times are integers too (see [`crate::ms`]).
    Int(Option<i64>),
    /// A boolean.
    Bool(bool),
    /// A JSON document, already serialized, or `NULL`.
    Json(Option<String>),
    /// A list of names, or `NULL` (which the schema reads as "all", not "none").
    Names(Option<Vec<Cow<'a, str>>>),
}

impl<'a> Arg<'a> {
    /// `value` as a JSON document.
    pub fn json<T: Serialize + ?Sized>(value: &T) -> StoreResult<Self> {
        serde_json::to_string(value)
            .map(|text| Arg::Json(Some(text)))
            .map_err(|e| StoreError::Other(Box::new(e)))
    }

    /// `value` as a JSON document, `NULL` when absent.
    pub fn opt_json<T: Serialize>(value: Option<&T>) -> StoreResult<Self> {
        match value {
            Some(value) => Self::json(value),
            None => Ok(Arg::Json(None)),
        }
    }

    /// A list of names.
    pub fn names<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<Cow<'a, str>>,
    {
        Arg::Names(Some(names.into_iter().map(Into::into).collect()))
    }

    /// A list of names, `NULL` when absent.
    pub fn opt_names(names: Option<&'a [String]>) -> Self {
        match names {
            Some(names) => Self::names(names.iter().map(String::as_str)),
            None => Arg::Names(None),
        }
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(text: &'a str) -> Self {
        Arg::Text(Some(Cow::Borrowed(text)))
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(text: &'a String) -> Self {
        Arg::Text(Some(Cow::Borrowed(text)))
    }
}

impl From<String> for Arg<'_> {
    fn from(text: String) -> Self {
        Arg::Text(Some(Cow::Owned(text)))
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(text: Option<&'a str>) -> Self {
        Arg::Text(text.map(Cow::Borrowed))
    }
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Int(Some(n))
    }
}

impl From<Option<i64>> for Arg<'_> {
    fn from(n: Option<i64>) -> Self {
        Arg::Int(n)
    }
}

impl From<bool> for Arg<'_> {
    fn from(b: bool) -> Self {
        Arg::Bool(b)
    }
}

/// SQL text and its values, in placeholder order.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement<'a> {
    sql: String,
    args: Vec<Arg<'a>>,
}

impl<'a> Statement<'a> {
    /// A statement whose text numbers its own placeholders; [`bind`](Self::bind) supplies
    /// `$1`, `$2` … in order.
    pub fn new(sql: impl Into<String>) -> Self {
        Statement {
            sql: sql.into(),
            args: Vec::new(),
        }
    }

    /// The value of the next placeholder.
    pub fn bind(mut self, arg: impl Into<Arg<'a>>) -> Self {
        self.args.push(arg.into());
        self
    }

    /// Appends text (never input: values go through [`push_bind`](Self::push_bind)).
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends the next placeholder and its value.
    pub fn push_bind(&mut self, arg: impl Into<Arg<'a>>) -> &mut Self {
        let placeholder = self.bind_next(arg);
        self.push(&placeholder)
    }

    /// Binds the next value without writing its placeholder, which it returns, for a
    /// condition that spells it inside an expression of its own.
    pub fn bind_next(&mut self, arg: impl Into<Arg<'a>>) -> String {
        self.args.push(arg.into());
        format!("${}", self.args.len())
    }

    /// Appends `(` placeholders `)` for each of `values`, for an `IN` list.
    pub fn push_list<A: Into<Arg<'a>>>(
        &mut self,
        values: impl IntoIterator<Item = A>,
    ) -> &mut Self {
        self.push("(");
        for (i, value) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.push_bind(value);
        }
        self.push(")")
    }

    /// The text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The text and the values, for a store to bind.
    pub fn into_parts(self) -> (String, Vec<Arg<'a>>) {
        (self.sql, self.args)
    }
}

/// What a store lends the shared queries: running a [`Statement`] and reading its rows
/// through [`Columns`]. A store with a separate writer (SQLite) sends
/// [`write`](Self::write) there and reads elsewhere.
pub trait Database: Sync {
    /// One result row.
    type Row: Send + Sync;

    /// The row as [`Columns`], for the shared decoders.
    fn columns(row: &Self::Row) -> impl Columns + '_;

    /// The condition "the list of names in `list_column` holds the value of `placeholder`"
    /// (a whole element: `eu` never matches `e`): the one spelling that differs between the
    /// stores' dialects in the shared queries.
    fn holds_name(list_column: &str, placeholder: &str) -> String;

    /// Runs a change; how many rows it changed.
    fn write(&self, statement: Statement<'_>) -> impl Future<Output = StoreResult<u64>> + Send;

    /// Reads at most one row.
    fn read_optional(
        &self,
        statement: Statement<'_>,
    ) -> impl Future<Output = StoreResult<Option<Self::Row>>> + Send;

    /// Reads every row.
    fn read_all(
        &self,
        statement: Statement<'_>,
    ) -> impl Future<Output = StoreResult<Vec<Self::Row>>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pushed_values_are_numbered_after_the_written_ones() {
        let mut st = Statement::new("SELECT 1 WHERE a = $1").bind("x");
        st.push(" AND b IN ").push_list([1_i64, 2]);
        st.push(" AND c = ").push_bind(true);
        let (sql, args) = st.into_parts();
        assert_eq!(sql, "SELECT 1 WHERE a = $1 AND b IN ($2, $3) AND c = $4");
        assert_eq!(
            args,
            vec![
                Arg::Text(Some("x".into())),
                Arg::Int(Some(1)),
                Arg::Int(Some(2)),
                Arg::Bool(true)
            ]
        );
    }

    #[test]
    fn absent_documents_and_lists_are_null() {
        assert_eq!(Arg::opt_json::<u8>(None).unwrap(), Arg::Json(None));
        assert_eq!(Arg::opt_names(None), Arg::Names(None));
        assert_eq!(
            Arg::json(&vec![1]).unwrap(),
            Arg::Json(Some("[1]".to_owned()))
        );
    }
}
