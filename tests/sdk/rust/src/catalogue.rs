//! The event type catalogue's families: event types imported from an OpenAPI document
//! (`import_openapi`, dry run, `spec` and `spec_raw`) and the environment export and import
//! (a type lost and one changed after the export both come back as exported). Each goes
//! through the SDK's own calls and checks what hookd gives back against what was sent. It
//! must not start hookd (the flow does).

use serde_json::{json, Value};
use svix::{
    api::{EventTypeDeleteOptions, Svix},
    error::Error,
    models::{EnvironmentIn, EventTypeImportOpenApiIn, EventTypeIn, EventTypePatch},
};

use crate::report::{status_of, Report};

/// The body schema of `pet.adopted`, as hookd stores it once the `$ref` is resolved.
fn pet() -> Value {
    json!({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]})
}

/// A small OpenAPI 3.1 document: two webhooks, one whose body schema is a `$ref` into
/// `components`, one deprecated and without a body.
fn openapi() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": {"title": "Pets", "version": "1.0.0"},
        "webhooks": {
            "pet.adopted": {"post": {
                "summary": "Adopted", "description": "A pet found a home",
                "requestBody": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Pet"}}}},
            }},
            "pet.retired": {"post": {"summary": "A pet retired", "deprecated": true}},
        },
        "components": {"schemas": {"Pet": pet()}},
    })
}

pub async fn step(svix: &Svix, r: &mut Report) -> Result<(), String> {
    openapi_import(svix, r).await?;
    environment(svix, r).await
}

async fn openapi_import(svix: &Svix, r: &mut Report) -> Result<(), String> {
    let e = |e: Error| format!("{e:?}");
    let import = |spec: EventTypeImportOpenApiIn| async move {
        svix.event_type()
            .import_openapi(spec, None)
            .await
            .map(|out| out.data)
    };
    let both = ["pet.adopted", "pet.retired"];

    let dry = import(EventTypeImportOpenApiIn {
        spec: Some(openapi()),
        dry_run: Some(true),
        ..Default::default()
    })
    .await
    .map_err(e)?;
    let mut listed: Vec<&str> = dry.to_modify.iter().flatten().map(|t| &*t.name).collect();
    listed.sort_unstable();
    r.check(
        "import_openapi dry_run lists both webhooks and writes nothing",
        listed == both
            && dry.modified.is_empty()
            && status_of(svix.event_type().get("pet.adopted".into()).await) == Some(404),
        &dry,
    );
    let mut done = import(EventTypeImportOpenApiIn {
        spec: Some(openapi()),
        ..Default::default()
    })
    .await
    .map_err(e)?;
    done.modified.sort();
    r.check(
        "import_openapi creates an event type per webhook",
        done.modified == both,
        &done.modified,
    );
    let adopted = svix
        .event_type()
        .get("pet.adopted".into())
        .await
        .map_err(e)?;
    r.check(
        "the imported type has the webhook's description and its resolved body schema as version 1",
        adopted.description == "A pet found a home"
            && adopted.schemas == Some(json!({"1": pet()}))
            && !adopted.deprecated,
        &adopted,
    );
    let retired = svix
        .event_type()
        .get("pet.retired".into())
        .await
        .map_err(e)?;
    r.check(
        "a deprecated webhook without a body: summary as description, deprecated, no schema",
        retired.description == "A pet retired" && retired.deprecated && retired.schemas.is_none(),
        &retired,
    );
    // The same document again, as text this time: nothing left to change.
    let again = import(EventTypeImportOpenApiIn {
        spec_raw: Some(openapi().to_string()),
        ..Default::default()
    })
    .await
    .map_err(e)?;
    r.check(
        "importing the same document again (as spec_raw) modifies nothing",
        again.modified.is_empty(),
        &again,
    );
    Ok(())
}

async fn environment(svix: &Svix, r: &mut Report) -> Result<(), String> {
    let e = |e: Error| format!("{e:?}");
    let types = svix.event_type();
    let schemas = json!({"1": {"type": "object", "properties": {"sku": {"type": "string"}}}});
    let kept_in = EventTypeIn {
        schemas: Some(schemas.clone()),
        ..EventTypeIn::new("env.kept".into(), "Kept across import".into())
    };
    for et in [
        kept_in,
        EventTypeIn::new("env.changed".into(), "As exported".into()),
        EventTypeIn::new("env.archived".into(), "Archived before export".into()),
    ] {
        types.create(et, None).await.map_err(e)?;
    }
    types.delete("env.archived".into(), None).await.map_err(e)?;

    let exported = svix.environment().export(None).await.map_err(e)?;
    let find = |name: &str| exported.event_types.iter().find(|t| t.name == name);
    r.check(
        "export carries every event type, with schemas and the archived flag",
        find("env.kept").is_some_and(|t| t.schemas.as_ref() == Some(&schemas))
            && find("env.archived").is_some_and(|t| t.archived == Some(true))
            && find("invoice.paid").is_some()
            && find("pet.adopted").is_some(),
        exported.event_types.len(),
    );
    r.check(
        "export has no settings and no connectors",
        exported.settings.is_none() && exported.connectors.is_empty(),
        (&exported.settings, exported.connectors.len()),
    );

    // Lose one type and change another, then import the export: both come back as exported.
    let expunge = EventTypeDeleteOptions {
        expunge: Some(true),
    };
    types
        .delete("env.kept".into(), Some(expunge))
        .await
        .map_err(e)?;
    let patch = EventTypePatch {
        description: Some("Changed after export".into()),
        ..EventTypePatch::new()
    };
    types.patch("env.changed".into(), patch).await.map_err(e)?;
    r.check(
        "the expunged type is gone before the import",
        status_of(types.get("env.kept".into()).await) == Some(404),
        (),
    );
    // An exported EventTypeOut as the EventTypeIn that writes it back.
    let event_types = exported
        .event_types
        .iter()
        .map(|t| EventTypeIn {
            archived: t.archived,
            deprecated: Some(t.deprecated),
            schemas: t.schemas.clone(),
            group_name: t.group_name.clone(),
            feature_flags: t.feature_flags.clone(),
            ..EventTypeIn::new(t.name.clone(), t.description.clone())
        })
        .collect();
    let env_in = EnvironmentIn {
        event_types: Some(event_types),
        ..EnvironmentIn::new()
    };
    svix.environment().import(env_in, None).await.map_err(e)?;
    let kept = types.get("env.kept".into()).await.map_err(e)?;
    r.check(
        "import recreates the expunged type with its schema",
        kept.description == "Kept across import" && kept.schemas == Some(schemas),
        &kept,
    );
    let changed = types.get("env.changed".into()).await.map_err(e)?;
    r.check(
        "import restores the changed description",
        changed.description == "As exported",
        &changed.description,
    );
    let archived = types.get("env.archived".into()).await.map_err(e)?;
    r.check(
        "import keeps the archived type archived",
        archived.archived == Some(true),
        archived.archived,
    );
    let with_settings = EnvironmentIn {
        settings: Some(json!({"colour": "blue"})),
        ..EnvironmentIn::new()
    };
    r.check(
        "an import carrying settings is refused (422), not dropped",
        status_of(svix.environment().import(with_settings, None).await) == Some(422),
        (),
    );
    Ok(())
}
