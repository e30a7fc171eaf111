//! `GET /api/v1/hookd/audit`: the audit log, every change made through the API with a token
//! (who, which operation on which object, when, the answer, from which address), newest first.
//! hookd's extension, for admin tokens and operators' read-only ones; recorded by the request
//! layer (`request_log`), pruned after `audit_retention_days`. This module only reads.

use axum::{extract::State, Json};
use hookd_core::{page::Order, store::AuditEntry};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    extract::QueryParams,
    schema::{Errors, OrderParam, Pagination, Unavailable},
    wire::{ts, ListResponse},
};
use crate::{error::ApiResult, AppState};

/// One change made through the API.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditOut {
    /// The entry's id.
    #[schema(example = "audit_0357lMKL1aAakJe8IKdg4b")]
    id: String,
    /// When it was answered.
    #[schema(format = DateTime)]
    at: String,
    /// The id of the token that made it (`tok_…`).
    token_id: String,
    /// The HTTP method.
    #[schema(example = "PATCH")]
    method: String,
    /// Which operation: the route's template.
    #[schema(example = "/api/v1/app/{app_id}/endpoint/{endpoint_id}")]
    route: String,
    /// Which object: the path as requested.
    #[schema(example = "/api/v1/app/acme/endpoint/ep_0357lMKL1aAakJe8IKdg4b")]
    path: String,
    /// The status answered: whether the change took effect.
    status: u16,
    /// The client's address, when known.
    #[schema(example = "203.0.113.7:52144")]
    client: Option<String>,
}

impl From<AuditEntry> for AuditOut {
    fn from(e: AuditEntry) -> Self {
        AuditOut {
            id: e.id.to_string(),
            at: ts(e.at),
            token_id: e.token_id.to_string(),
            method: e.method,
            route: e.route,
            path: e.path,
            status: e.status,
            client: e.client,
        }
    }
}

/// See [`super::application::ListApplicationOut`].
pub type ListAuditOut = ListResponse<AuditOut>;

/// `GET /api/v1/hookd/audit`: newest first unless `order=ascending`.
#[utoipa::path(
    get,
    path = "/api/v1/hookd/audit",
    operation_id = "hookd.audit.list",
    tag = "hookd",
    summary = "List Audit Log",
    description = "hookd's extension: every change made through the API with a token (publishing \
                   messages only with `audit_messages`), newest first.",
    params(Pagination, OrderParam),
    responses((status = 200, body = ListAuditOut), Errors, Unavailable)
)]
pub async fn list(
    State(state): State<AppState>,
    query: QueryParams,
) -> ApiResult<Json<ListAuditOut>> {
    let q = query.list_query(Order::Descending, true)?;
    let page = state.audit.list_audit(&q).await?;
    Ok(Json(ListResponse::from_page(page, AuditOut::from)))
}
