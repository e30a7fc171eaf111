//! The OpenAPI document of hookd's API, generated from the code and served at
//! `GET /api/v1/openapi.json` without a token.
//!
//! Every route under `/api/v1` is registered through `utoipa_axum` (see `api::routes`), from
//! handlers annotated with `#[utoipa::path]` and wire types deriving `ToSchema`, so a route
//! cannot exist without its entry here. Svix's operations keep Svix's operation ids, paths,
//! parameters, schema names and status codes (`/work/shared/reference`-style Svix v1
//! document); where hookd deliberately answers otherwise (extra 400s, 204 on expunge, the
//! rotate and send-example answers that follow the SDK generation, hookd's `options`), the
//! document says what hookd does. The committed snapshot
//! (`crates/hookd-server/tests/openapi.json`) makes every change to it visible in review.
//!
//! This module must not change what any route does: it only describes and serves.

use std::sync::OnceLock;

use axum::{
    http::{header::CONTENT_TYPE, HeaderValue},
    response::{IntoResponse, Response},
};
use utoipa::{
    openapi::{
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
        OpenApi as OpenApiDoc,
    },
    Modify, OpenApi,
};

/// The document's fixed parts: title, version, the bearer scheme and the tags.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "hookd API",
        description = "hookd's HTTP API: the open-source Svix v1 API (every Svix SDK works \
                       against it unchanged) plus hookd's documented extensions \
                       (`docs/extensions.md`): endpoint and event-type `options`, the signing \
                       token, test sends, bulk resend, `async` tasks and the console routes \
                       under `/api/v1/hookd/`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    // The schemas that only parameters and the shared error responses refer to: the derive
    // collects those of request and response bodies by itself, not these.
    components(schemas(
        crate::error::StandardBody,
        crate::error::ValidationBody,
        crate::error::ValidationItem,
        super::schema::Ordering,
        super::schema::MessageStatus,
        super::schema::StatusCodeClass,
    )),
    modifiers(&BearerAuth),
    security(("HTTPBearer" = [])),
    tags(
        (name = "Application"),
        (name = "Message"),
        (name = "Message Attempt"),
        (name = "Endpoint"),
        (name = "Event Type"),
        (name = "Authentication"),
        (name = "Health"),
        (name = "hookd", description = "hookd's own routes: its web consoles' session and \
                                         charts, and this document."),
    )
)]
pub struct BaseDoc;

/// Adds Svix's `HTTPBearer` security scheme, which the document requires by default.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "HTTPBearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "HTTP Bearer token passed in the `Authorization` header: an admin \
                         token (`hk_…`) or an application's portal token (`appsk_…`)",
                    ))
                    .build(),
            ),
        );
    }
}

/// The whole document as the derive builds it: the fixed parts and every documented route.
/// What is served is [`document_json`], which adds the rules between fields (`doc_rules`).
pub fn document() -> OpenApiDoc {
    let mut doc = super::routes().into_openapi();
    // The version is the server's, so a client can tell which hookd described itself.
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}

/// The document as pretty JSON, built once per process.
pub fn document_json() -> &'static str {
    static JSON: OnceLock<String> = OnceLock::new();
    JSON.get_or_init(|| {
        // Through the order-keeping `Json`, so that the document reads in the derive's order.
        let text = document()
            .to_json()
            .expect("the OpenAPI document serializes");
        let mut doc: super::doc_rules::Json =
            serde_json::from_str(&text).expect("the document reads back");
        super::doc_rules::apply(&mut doc);
        let mut text = serde_json::to_string_pretty(&doc).expect("a JSON value serializes");
        text.push('\n');
        text
    })
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "hookd.openapi.get",
    tag = "hookd",
    summary = "OpenAPI Document",
    description = "This document. It needs no token.",
    security(()),
    responses((status = 200, description = "The OpenAPI 3.1 document of this server", content_type = "application/json", body = Object))
)]
pub async fn serve() -> Response {
    (
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        document_json(),
    )
        .into_response()
}
