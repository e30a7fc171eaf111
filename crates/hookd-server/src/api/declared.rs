//! Refuses query parameters that an operation does not declare, so that a parameter hookd does
//! not know (a newer SDK's filter, a misspelling) is a 422 naming it instead of a request
//! answered as if it had not been sent.
//!
//! The declared names come from the OpenAPI document hookd serves ([`super::openapi`]): every
//! handler declares its query parameters in its `#[utoipa::path(params(…))]`, so "documented"
//! and "accepted" are the same list by construction, and a handler that starts reading a new
//! parameter must document it to receive it. Bodies are held to their schemas by the wire
//! types themselves (`#[serde(deny_unknown_fields)]`, shown in the document as
//! `additionalProperties: false`); this module only looks at the query string's names. It must
//! not judge values: the handlers parse and validate those.

use std::{
    collections::{BTreeSet, HashMap},
    sync::OnceLock,
};

use axum::{
    extract::{MatchedPath, Request},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde_json::Value;

use crate::error::{ApiError, ValidationItem};

/// Declared query parameter names by `(METHOD, path template)`, as the document lists them.
type Table = HashMap<(String, String), BTreeSet<String>>;

/// The table of the document this process serves, built once.
fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let doc: Value = serde_json::from_str(super::openapi::document_json())
            .expect("the served OpenAPI document is JSON");
        declared_query_names(&doc)
    })
}

/// Every operation's declared query parameter names (path-level parameters included).
pub fn declared_query_names(doc: &Value) -> Table {
    let mut out = Table::new();
    let Some(paths) = doc["paths"].as_object() else {
        return out;
    };
    let query_names = |params: &Value| -> Vec<String> {
        params
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect()
    };
    for (path, item) in paths {
        let shared = query_names(&item["parameters"]);
        let Some(ops) = item.as_object() else {
            continue;
        };
        for (method, op) in ops.iter().filter(|(m, _)| *m != "parameters") {
            let mut names: BTreeSet<String> = shared.iter().cloned().collect();
            names.extend(query_names(&op["parameters"]));
            out.insert((method.to_ascii_uppercase(), path.clone()), names);
        }
    }
    out
}

/// The parameter a query key names: `event_types[]` and `event_types[0]` are `event_types`
/// (the list forms `QueryParams::list` reads).
fn base_name(key: &str) -> &str {
    key.split_once('[').map_or(key, |(base, _)| base)
}

/// The query keys of `query` that `declared` lacks, in order, each once.
pub fn undeclared(query: &str, declared: &BTreeSet<String>) -> Vec<String> {
    let mut seen = BTreeSet::new();
    form_urlencoded::parse(query.as_bytes())
        .map(|(k, _)| base_name(&k).to_owned())
        .filter(|k| !k.is_empty() && !declared.contains(k))
        .filter(|k| seen.insert(k.clone()))
        .collect()
}

/// Middleware: answers 422 naming every query parameter the matched operation does not
/// declare. A `HEAD` is judged as the `GET` axum answers it with.
pub async fn refuse_undeclared_query(
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    if let (Some(path), Some(query)) = (matched, req.uri().query()) {
        let method = req.method();
        let lookup = |m: &Method| table().get(&(m.as_str().to_owned(), path.as_str().to_owned()));
        let declared = lookup(method).or_else(|| {
            (method == Method::HEAD)
                .then(|| lookup(&Method::GET))
                .flatten()
        });
        if let Some(refusal) = declared.and_then(|d| refusal(query, d)) {
            return refusal;
        }
    }
    next.run(req).await
}

/// Middleware for the routes outside the API's document that take no query parameter at all
/// (`/healthz`, `/readyz`, `/metrics`): any name is a 422 naming it, as on the API.
pub async fn refuse_every_query(req: Request, next: Next) -> Response {
    if let Some(refusal) = req.uri().query().and_then(|q| refusal(q, &BTreeSet::new())) {
        return refusal;
    }
    next.run(req).await
}

/// The 422 for the names of `query` that `declared` lacks, if any.
fn refusal(query: &str, declared: &BTreeSet<String>) -> Option<Response> {
    let unknown = undeclared(query, declared);
    if unknown.is_empty() {
        return None;
    }
    let known = declared.iter().cloned().collect::<Vec<_>>().join(", ");
    let items = unknown
        .iter()
        .map(|name| ValidationItem::unknown(&["query", name], "query parameter", &known))
        .collect();
    Some(ApiError::Validation(items).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn list_forms_count_as_their_parameter_and_unknown_names_are_reported_once() {
        let declared = names(&["limit", "event_types"]);
        assert!(undeclared("limit=1&event_types[]=a&event_types[0]=b", &declared).is_empty());
        assert_eq!(
            undeclared("tag=a&limit=2&tag=b&with_msg=true", &declared),
            vec!["tag", "with_msg"]
        );
        // An empty value still names the parameter: `?tag=` is a parameter hookd would drop.
        assert_eq!(undeclared("tag=", &declared), vec!["tag"]);
    }

    #[test]
    fn every_operation_of_the_served_document_is_in_the_table() {
        let t = table();
        let app_list = &t[&("GET".to_owned(), "/api/v1/app".to_owned())];
        assert!(app_list.contains("limit") && app_list.contains("iterator"));
        assert_eq!(
            t.get(&("GET".to_owned(), "/api/v1/app/{app_id}".to_owned())),
            Some(&BTreeSet::new())
        );
    }
}
