//! The rules of request bodies that no single field's schema can state, added to the generated
//! OpenAPI document by schema and operation name: two fields that exclude each other, a choice
//! of one of two fields, an object that must stay empty, and bodies that may be left out.
//!
//! The derive describes each field; these describe the relations between fields that the
//! handlers enforce (each entry names the check it mirrors). A test holds every entry to a
//! schema or operation that exists, so that a rename cannot leave a rule behind. This module
//! only describes: it must not be used to check a request.

use serde_json::{json, Value};

pub use ordered::Json;

mod ordered;

/// A relation between the fields of one component schema, merged into that schema. Each entry
/// says above it which handler check it mirrors.
struct SchemaRule {
    schema: &'static str,
    rule: fn() -> Value,
}

const SCHEMA_RULES: &[SchemaRule] = &[
    // Mirrors message_extras::retention: both retention fields is a 422 naming both.
    SchemaRule {
        schema: "MessageIn",
        rule: || {
            json!({"not": {
                "required": ["payloadRetentionPeriod", "payloadRetentionHours"],
                "properties": {
                    "payloadRetentionPeriod": {"type": "number"},
                    "payloadRetentionHours": {"type": "number"}
                }
            }})
        },
    },
    // Mirrors message_extras::transformations: with a rawPayload, payload must be {}.
    SchemaRule {
        schema: "MessageIn",
        rule: || {
            json!({
                "if": {
                    "required": ["transformationsParams"],
                    "properties": {"transformationsParams": {
                        "type": "object",
                        "required": ["rawPayload"],
                        "properties": {"rawPayload": {"type": "string"}}
                    }}
                },
                "then": {"properties": {"payload": {"maxProperties": 0}}}
            })
        },
    },
    // Mirrors bulk_resend::BulkResendIn::selection: msgIds, or a window from since.
    SchemaRule {
        schema: "BulkResendIn",
        rule: || {
            json!({"oneOf": [
                {
                    "required": ["msgIds"],
                    "properties": {
                        "msgIds": {"type": "array"},
                        "since": {"type": "null"},
                        "until": {"type": "null"},
                        "status": {"type": "null"}
                    }
                },
                {
                    "required": ["since"],
                    "properties": {"since": {"type": "string"}, "msgIds": {"type": "null"}}
                }
            ]})
        },
    },
    // Mirrors event_type_import::import_openapi: the document as spec or as specRaw.
    SchemaRule {
        schema: "EventTypeImportOpenApiIn",
        rule: || {
            // Each webhook's name becomes an event type's name.
            let webhooks = json!({
                "type": "object",
                "propertyNames": {"maxLength": 256, "pattern": r"^[a-zA-Z0-9\-_.]+$"}
            });
            json!({"oneOf": [
                {
                    "required": ["spec"],
                    "properties": {
                        "spec": {
                            "type": "object",
                            "anyOf": [
                                {
                                    "required": ["webhooks"],
                                    "properties": {"webhooks": webhooks}
                                },
                                {
                                    "required": ["x-webhooks"],
                                    "properties": {"x-webhooks": webhooks}
                                }
                            ]
                        },
                        "specRaw": {"type": "null"}
                    }
                },
                {
                    "required": ["specRaw"],
                    "properties": {"specRaw": {"type": "string"}, "spec": {"type": "null"}}
                }
            ]})
        },
    },
    // Mirrors environment::import: settings and connectors are refused unless empty.
    SchemaRule {
        schema: "EnvironmentIn",
        rule: || {
            json!({"properties": {
                "settings": {"maxProperties": 0},
                "connectors": {"maxItems": 0}
            }})
        },
    },
    // Mirrors hookd_core::options validation: a success code listed twice is a 422 (utoipa's
    // attributes have no `uniqueItems`).
    SchemaRule {
        schema: "EndpointOptions",
        rule: || json!({"properties": {"successStatusCodes": {"uniqueItems": true}}}),
    },
    // Mirrors auth::AppPortalAccessIn: a capability list must include ViewBase.
    SchemaRule {
        schema: "AppPortalAccessIn",
        rule: || json!({"properties": {"capabilities": {"contains": {"const": "ViewBase"}}}}),
    },
];

/// Operations whose body may be left out (read as `{}`: `extract::ApiJsonOrEmpty`).
const OPTIONAL_BODIES: &[&str] = &[
    "v1.authentication.app-portal-access",
    "v1.authentication.expire-all",
    "v1.message.bulk-expunge-content",
    "v1.endpoint.rotate-secret",
    "v1.operational-webhook.endpoint.rotate-secret",
];

/// Adds every rule to the document. Panics on a rule whose schema or operation is gone: the
/// document is built once per process and by the tests, so a stale rule fails there first.
pub fn apply(doc: &mut Json) {
    for rule in SCHEMA_RULES {
        let schema = doc
            .get_mut("components")
            .and_then(|c| c.get_mut("schemas"))
            .and_then(|s| s.get_mut(rule.schema))
            .unwrap_or_else(|| panic!("doc_rules: no component schema {}", rule.schema));
        schema.merge((rule.rule)().into());
    }
    let mut found = 0;
    if let Some(Json::Object(paths)) = doc.get_mut("paths") {
        for (_, item) in paths.iter_mut() {
            let Json::Object(ops) = item else { continue };
            for (_, op) in ops.iter_mut() {
                let id = match op.get("operationId") {
                    Some(Json::String(id)) => id.clone(),
                    _ => continue,
                };
                if OPTIONAL_BODIES.contains(&id.as_str()) {
                    let body = op
                        .get_mut("requestBody")
                        .unwrap_or_else(|| panic!("doc_rules: {id} has no request body"));
                    body.set("required", Json::Bool(false));
                    found += 1;
                }
            }
        }
    }
    assert_eq!(
        found,
        OPTIONAL_BODIES.len(),
        "doc_rules: an optional-body operation is gone"
    );
}
