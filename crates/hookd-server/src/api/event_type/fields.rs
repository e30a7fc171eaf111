//! An event type's wire types (Svix's `EventTypeIn`, `EventTypeUpdate`, `EventTypePatch`,
//! `EventTypeOut`, its list parameters) and the checks of their fields (schemas, feature flags,
//! options). It must not read or write the store: the handlers beside it do.

use super::*;

/// Svix's `EventTypeIn`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EventTypeIn {
    /// The event type's name.
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "user.signup"
    )]
    pub(super) name: String,
    /// What the event means (no control characters 0x00–0x08).
    #[schema(pattern = r"^[^\x00-\x08]*$", example = "A user has signed up")]
    pub(super) description: String,
    /// Whether it is archived (hidden from lists unless `include_archived=true`).
    #[serde(default)]
    pub(super) archived: bool,
    /// Whether it is deprecated.
    #[serde(default)]
    pub(super) deprecated: bool,
    /// The schema for the event type for a specific version as a JSON schema: an object
    /// mapping each version to a JSON schema object.
    #[serde(default)]
    #[schema(value_type = Option<HashMap<String, Object>>, example = json!({"1": {"title": "Invoice Paid Event", "type": "object", "properties": {"invoiceId": {"type": "string"}}, "examples": [{"invoiceId": "in_1"}]}}))]
    pub(super) schemas: Option<serde_json::Value>,
    /// The feature flags (no duplicates) that hide this event type from portal tokens holding
    /// none of them.
    #[serde(default)]
    #[schema(value_type = Option<Vec<FeatureFlag>>, example = json!(["cool-new-feature"]))]
    pub(super) feature_flags: Option<Vec<String>>,
    /// Deprecated: one feature flag, added to `featureFlags`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "cool-new-feature",
        deprecated
    )]
    pub(super) feature_flag: Option<String>,
    /// hookd's extensions; a PUT without them keeps the stored ones.
    #[serde(default)]
    #[schema(value_type = Option<EventTypeOptionsSchema>)]
    pub(super) options: Option<Box<RawValue>>,
}

/// Svix's `EventTypeUpdate` (the body of PUT; the name comes from the path).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EventTypeUpdate {
    /// What the event means (no control characters 0x00–0x08).
    #[schema(pattern = r"^[^\x00-\x08]*$", example = "A user has signed up")]
    pub(super) description: String,
    /// Whether it is archived.
    #[serde(default)]
    pub(super) archived: bool,
    /// Whether it is deprecated.
    #[serde(default)]
    pub(super) deprecated: bool,
    /// The schema for the event type for a specific version as a JSON schema: an object
    /// mapping each version to a JSON schema object.
    #[serde(default)]
    #[schema(value_type = Option<HashMap<String, Object>>, example = json!({"1": {"title": "Invoice Paid Event", "type": "object", "properties": {"invoiceId": {"type": "string"}}, "examples": [{"invoiceId": "in_1"}]}}))]
    pub(super) schemas: Option<serde_json::Value>,
    /// The feature flags (no duplicates) that hide this event type from portal tokens holding
    /// none of them.
    #[serde(default)]
    #[schema(value_type = Option<Vec<FeatureFlag>>, example = json!(["cool-new-feature"]))]
    pub(super) feature_flags: Option<Vec<String>>,
    /// Deprecated: one feature flag, added to `featureFlags`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 256,
        pattern = r"^[a-zA-Z0-9\-_.]+$",
        example = "cool-new-feature",
        deprecated
    )]
    pub(super) feature_flag: Option<String>,
    /// hookd's extensions; a PUT without them keeps the stored ones.
    #[serde(default)]
    #[schema(value_type = Option<EventTypeOptionsSchema>)]
    pub(super) options: Option<Box<RawValue>>,
}

/// Svix's `EventTypePatch`: only the fields present change; `null` clears a nullable one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[serde(deny_unknown_fields)]
pub struct EventTypePatch {
    /// What the event means.
    #[serde(default)]
    #[schema(pattern = r"^[^\x00-\x08]*$")]
    pub(super) description: Option<String>,
    /// Whether it is archived.
    #[serde(default)]
    pub(super) archived: Option<bool>,
    /// Whether it is deprecated.
    #[serde(default)]
    pub(super) deprecated: Option<bool>,
    /// The JSON schemas by version.
    #[serde(default)]
    #[schema(value_type = Option<HashMap<String, Object>>)]
    pub(super) schemas: Patch<serde_json::Value>,
    /// The feature flags (no duplicates), replacing the stored ones; `null` clears them.
    #[serde(default)]
    #[schema(value_type = Option<Vec<FeatureFlag>>, example = json!(["cool-new-feature"]))]
    pub(super) feature_flags: Patch<Vec<String>>,
    /// Deprecated: one feature flag replacing the stored ones (with `featureFlags`, added to
    /// them); `null` clears them.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 256, pattern = r"^[a-zA-Z0-9\-_.]+$", example = "cool-new-feature", deprecated)]
    pub(super) feature_flag: Patch<String>,
    /// hookd's extensions, option by option: each option given replaces the stored one,
    /// `null` resets it; `"options": null` resets them all.
    #[serde(default)]
    #[schema(value_type = Option<EventTypeOptionsSchema>)]
    pub(super) options: Patch<Box<RawValue>>,
}

/// Svix's `EventTypeOut`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventTypeOut {
    /// The event type's name.
    #[schema(example = "user.signup")]
    pub(super) name: String,
    /// What the event means.
    #[schema(example = "A user has signed up")]
    pub(super) description: String,
    /// Whether it is archived.
    pub(super) archived: bool,
    /// Whether it is deprecated.
    pub(super) deprecated: bool,
    /// The JSON schemas by version (`null` in lists without `with_content=true`).
    #[schema(value_type = Option<HashMap<String, Object>>)]
    pub(super) schemas: Option<serde_json::Value>,
    /// When it was created.
    #[schema(format = DateTime)]
    pub(super) created_at: String,
    /// When it last changed.
    #[schema(format = DateTime)]
    pub(super) updated_at: String,
    /// The feature flags that gate who sees it (`null`: none, every token sees it).
    #[schema(value_type = Option<Vec<FeatureFlag>>, example = json!(["cool-new-feature"]))]
    pub(super) feature_flags: Option<Vec<String>>,
    /// Deprecated: the first of `featureFlags`, for clients that know a single flag.
    #[schema(example = "cool-new-feature", deprecated)]
    pub(super) feature_flag: Option<String>,
    /// hookd's extensions, present only when not all default (and in lists only with
    /// `with_content=true`).
    #[serde(skip_serializing_if = "EventTypeOptions::is_default")]
    #[schema(value_type = EventTypeOptionsSchema, required = false)]
    pub(super) options: EventTypeOptions,
}

impl EventTypeOut {
    pub(super) fn new(et: EventType, with_schemas: bool) -> Self {
        Self {
            options: if with_schemas {
                et.options
            } else {
                EventTypeOptions::default()
            },
            name: et.name,
            description: et.description,
            archived: et.archived,
            deprecated: et.deprecated,
            schemas: if with_schemas { et.schemas } else { None },
            created_at: ts(et.created_at),
            updated_at: ts(et.updated_at),
            feature_flag: et.feature_flags.first().cloned(),
            feature_flags: (!et.feature_flags.is_empty())
                .then(|| et.feature_flags.into_iter().collect()),
        }
    }
}

impl From<EventType> for EventTypeOut {
    fn from(et: EventType) -> Self {
        Self::new(et, true)
    }
}

/// Svix keeps schemas as a map from version to a JSON schema object.
pub(super) fn check_schemas(checks: &mut Checks, schemas: Option<&serde_json::Value>) {
    let Some(schemas) = schemas else { return };
    let valid = schemas
        .as_object()
        .is_some_and(|versions| versions.values().all(serde_json::Value::is_object));
    if !valid {
        checks.push(ValidationItem::value(
            &["body", "schemas"],
            "must be an object mapping versions to JSON schema objects",
        ));
    }
}

pub(super) fn check_common(
    checks: &mut Checks,
    description: Option<&str>,
    schemas: Option<&serde_json::Value>,
) {
    if let Some(description) = description {
        wire::no_control_chars(checks, &["body", "description"], description);
    }
    check_schemas(checks, schemas);
}

/// Checks `featureFlags` and the deprecated `featureFlag`, and returns the flags they give
/// together (`None` when neither was given).
pub(super) fn check_flags(
    checks: &mut Checks,
    flags: Option<&[String]>,
    flag: Option<&str>,
) -> Option<BTreeSet<String>> {
    if let Some(flags) = flags {
        // A list of flags is a set, as Svix's lists are: a repeat is one flag, not an error.
        let flags = &wire::dedupe(flags.to_vec());
        checks.check(validate::feature_flags(
            &["body", "featureFlags"],
            flags,
            None,
        ));
    }
    if let Some(flag) = flag {
        checks.check(validate::key(
            &["body", "featureFlag"],
            flag,
            validate::MAX_KEY_LEN,
        ));
    }
    if flags.is_none() && flag.is_none() {
        return None;
    }
    let mut all: BTreeSet<String> = flags.unwrap_or_default().iter().cloned().collect();
    all.extend(flag.map(str::to_owned));
    Some(all)
}

/// Parses and checks the `options` of a body.
pub(super) fn parse_options(raw: Option<&RawValue>) -> ApiResult<Option<EventTypeOptions>> {
    let Some(raw) = raw else { return Ok(None) };
    let options = wire_options::parse_event_type(raw)?;
    wire_options::check_event_type(&options)?;
    Ok(Some(options))
}

/// The filters of the event-type list.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct EventTypeListParams {
    /// When `true` archived (deleted but not expunged) items are included in the response
    #[param(default = false)]
    pub(super) include_archived: Option<bool>,
    /// When `true` the full item (including the schema) is included in the response
    #[param(default = false)]
    pub(super) with_content: Option<bool>,
}

/// `expunge` of event-type deletion.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct ExpungeParam {
    /// By default event types are archived when "deleted". Passing this to `true` deletes them
    /// entirely.
    #[param(default = false)]
    pub(super) expunge: Option<bool>,
}

/// The list of `EventTypeOut`s by name, for `#[utoipa::path]` bodies: an alias
/// hides the generic argument from the macro, which then takes the envelope's own
/// `ToSchema` (Svix's `ListResponse_…_` names) instead of composing a generic one.
pub type ListEventTypeOut = ListResponse<EventTypeOut>;
