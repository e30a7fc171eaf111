//! From what Svix shows to what hookd stores: one function per kind of object, each given the
//! source object and the copy hookd already holds (from an earlier run), answering the object
//! hookd should hold now and the notes for the report about what could not come along.
//!
//! The rules that make a re-run idempotent live here:
//! - Every field Svix shows is mirrored; ids, uids and creation times are Svix's.
//! - What Svix does not show is kept from the existing copy: hookd's own `options`, the values
//!   of sensitive headers (Svix shows their names only), rotated-out secrets, and the secret of
//!   an endpoint whose key Svix cannot give (ed25519: it shows the public key only).
//! - A secret that changed on Svix since the last run replaces hookd's, which keeps the one it
//!   replaces signing for [`ROTATION_GRACE`], as a rotation would.
//!
//! This module must not do I/O: the caller reads the source and writes the store.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DurationRound, TimeDelta};
use hookd_core::{
    id::{AppId, EndpointId},
    model::{Application, Endpoint, EventType, OldSecret},
    signing::EndpointSecret,
    validate, Timestamp,
};

use crate::svix::wire::{ApplicationOut, EndpointHeadersOut, EndpointOut, EventTypeOut, Extra};

/// How long the secret an endpoint had in hookd keeps signing after Svix's replaced it:
/// Svix's own rotation grace (24 hours), so a receiver that has not switched yet keeps
/// verifying, exactly as it would have on Svix.
pub const ROTATION_GRACE: TimeDelta = TimeDelta::hours(24);

/// The prefix of the public key Svix shows for an ed25519 endpoint.
pub const PUBLIC_KEY_PREFIX: &str = "whpk_";

/// An object hookd should hold, and what the report should say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Converted<T> {
    /// The object to store.
    pub value: T,
    /// What of the source object could not be copied, each a sentence.
    pub notes: Vec<String>,
    /// When the source last changed it, which becomes hookd's `updated_at` when the copy
    /// changes (`value` carries the existing copy's, so that an unchanged object compares
    /// equal).
    pub source_updated_at: Timestamp,
}

/// Why an object cannot be copied at all: a sentence for the report.
pub type Refusal = String;

/// hookd stores times to the millisecond; Svix shows microseconds. Cutting them here makes a
/// second run compare equal to what the first one stored.
fn ms(t: Timestamp) -> Timestamp {
    t.duration_trunc(TimeDelta::milliseconds(1)).unwrap_or(t)
}

/// The field a hookd source adds to Svix's shapes for its own extensions.
const HOOKD_OPTIONS_FIELD: &str = "options";

fn extra_notes(extra: &Extra, notes: &mut Vec<String>) {
    for (field, value) in extra {
        if value.is_null() {
            continue;
        }
        if field == HOOKD_OPTIONS_FIELD {
            // Only a hookd source shows these, and without their secrets: copying a hookd is
            // done by copying its database, not through its API.
            notes.push(
                "its hookd `options` were not copied: the API shows them without their \
                 secrets; to move a hookd, move its database"
                    .into(),
            );
        } else {
            notes.push(format!(
                "field `{field}` has no counterpart in hookd and was not copied"
            ));
        }
    }
}

fn check<T>(result: Result<T, validate::Violation>, what: &str) -> Result<T, Refusal> {
    result.map_err(|v| format!("its {what} {} (hookd refuses it)", v.msg))
}

fn check_uid(uid: Option<&str>, id_prefix: &str) -> Result<(), Refusal> {
    let Some(uid) = uid else { return Ok(()) };
    check(validate::uid(&["uid"], uid), "uid")?;
    if uid.starts_with(id_prefix) {
        return Err(format!(
            "its uid {uid:?} starts with {id_prefix:?}, which hookd keeps for ids"
        ));
    }
    Ok(())
}

fn check_rate(rate: Option<u16>) -> Result<Option<u16>, Refusal> {
    match rate {
        Some(0) => Err("its rate limit is 0, which hookd refuses".into()),
        other => Ok(other),
    }
}

/// The application hookd should hold for `src`.
pub fn application(
    src: &ApplicationOut,
    existing: Option<&Application>,
) -> Result<Converted<Application>, Refusal> {
    if !AppId::looks_like(&src.id) {
        return Err(format!("its id {:?} does not start with app_", src.id));
    }
    if src.name.is_empty() {
        return Err("its name is empty, which hookd refuses".into());
    }
    check_uid(src.uid.as_deref(), AppId::PREFIX)?;
    let mut notes = Vec::new();
    extra_notes(&src.extra, &mut notes);
    let value = Application {
        id: AppId::from_trusted(&src.id),
        uid: src.uid.clone(),
        name: src.name.clone(),
        throttle_rate: check_rate(src.throttle_rate.or(src.rate_limit))?,
        metadata: src.metadata.clone(),
        created_at: ms(src.created_at),
        updated_at: existing.map_or(ms(src.updated_at), |e| e.updated_at),
    };
    Ok(Converted {
        value,
        notes,
        source_updated_at: ms(src.updated_at),
    })
}

/// The event type hookd should hold for `src`, with every feature flag of both of Svix's
/// forms.
pub fn event_type(
    src: &EventTypeOut,
    existing: Option<&EventType>,
) -> Result<Converted<EventType>, Refusal> {
    check(
        validate::key(&["name"], &src.name, validate::MAX_KEY_LEN),
        "name",
    )?;
    let mut notes = Vec::new();
    extra_notes(&src.extra, &mut notes);
    if let Some(group) = &src.group_name {
        notes.push(format!(
            "its group {group:?} was not copied: hookd has no event type groups"
        ));
    }
    // Both of Svix's forms (the single `featureFlag` and the list) come along, every flag.
    let feature_flags: BTreeSet<String> = src
        .feature_flag
        .iter()
        .chain(src.feature_flags.iter().flatten())
        .cloned()
        .collect();
    for flag in &feature_flags {
        check(
            validate::key(&["featureFlags"], flag, validate::MAX_KEY_LEN),
            "feature flag",
        )?;
    }
    let value = EventType {
        name: src.name.clone(),
        description: src.description.clone(),
        archived: src.archived.unwrap_or(false),
        deprecated: src.deprecated,
        schemas: src.schemas.clone(),
        feature_flags,
        options: existing.map(|e| e.options.clone()).unwrap_or_default(),
        created_at: ms(src.created_at),
        updated_at: existing.map_or(ms(src.updated_at), |e| e.updated_at),
    };
    Ok(Converted {
        value,
        notes,
        source_updated_at: ms(src.updated_at),
    })
}

/// What Svix's `GET …/secret` gave, as far as hookd can use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSecret {
    /// A secret hookd signs with, in its canonical form (`whsec_` HMAC, or a `whsk_` ed25519
    /// key pair, which Svix never shows but a caller may hold): copied, receivers keep
    /// verifying.
    Signing(String),
    /// A key hookd cannot sign with; the sentence says why.
    Unusable(String),
}

impl SourceSecret {
    /// Classifies a key as Svix shows it.
    pub fn classify(key: &str) -> Self {
        if key.starts_with(PUBLIC_KEY_PREFIX) {
            return Self::Unusable(
                "it signs with ed25519 and Svix shows only its public key (whpk_), not the \
                 signing key"
                    .into(),
            );
        }
        match EndpointSecret::parse(key) {
            Ok(secret) => Self::Signing(secret.to_text()),
            Err(e) => Self::Unusable(format!("its secret is not one hookd accepts: {e}")),
        }
    }
}

fn filter(
    list: Option<&Vec<String>>,
    what: &str,
    check_list: impl Fn(&[String]) -> Result<(), validate::Violation>,
) -> Result<Option<Vec<String>>, Refusal> {
    let Some(list) = list else { return Ok(None) };
    let mut seen = std::collections::BTreeSet::new();
    let list: Vec<String> = list.iter().filter(|v| seen.insert(*v)).cloned().collect();
    check(check_list(&list), what)?;
    Ok(Some(list))
}

/// The custom headers: those Svix shows, plus the values hookd already holds for those it
/// hides; a hidden header hookd has no value for is reported.
fn headers(
    src: &EndpointHeadersOut,
    existing: Option<&Endpoint>,
    notes: &mut Vec<String>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (name, value) in &src.headers {
        let valid = validate::custom_header_name(&["headers"], name)
            .and_then(|()| validate::custom_header_value(&["headers"], value));
        match valid {
            Ok(()) => {
                out.insert(name.clone(), value.clone());
            }
            Err(v) => notes.push(format!("header {name:?} was not copied: {}", v.msg)),
        }
    }
    for name in &src.sensitive {
        let kept = existing.and_then(|e| {
            e.headers
                .iter()
                .find(|(have, _)| have.eq_ignore_ascii_case(name))
        });
        match kept {
            Some((have, value)) => {
                out.insert(have.clone(), value.clone());
            }
            None => notes.push(format!(
                "header {name:?} was not copied: Svix never shows the value of a sensitive \
                 header; set it with PATCH …/headers"
            )),
        }
    }
    out
}

/// What an endpoint's conversion needs besides the endpoint itself.
#[derive(Debug, Clone)]
pub struct EndpointSource<'a> {
    /// The application it belongs to (by its Svix id, which hookd keeps).
    pub app_id: &'a AppId,
    /// The endpoint as Svix lists it.
    pub endpoint: &'a EndpointOut,
    /// Its secret.
    pub secret: SourceSecret,
    /// Its custom headers.
    pub headers: &'a EndpointHeadersOut,
}

/// The endpoint hookd should hold for `src`. `fresh_secret` is used only for a new endpoint
/// whose secret cannot be copied: such an endpoint is created disabled, so nothing is sent
/// that its receiver cannot verify until someone hands the receiver the new key.
pub fn endpoint(
    src: &EndpointSource<'_>,
    existing: Option<&Endpoint>,
    now: Timestamp,
    fresh_secret: impl FnOnce() -> String,
) -> Result<Converted<Endpoint>, Refusal> {
    let ep = src.endpoint;
    if !EndpointId::looks_like(&ep.id) {
        return Err(format!("its id {:?} does not start with ep_", ep.id));
    }
    check(validate::endpoint_url(&["url"], &ep.url), "url")?;
    check_uid(ep.uid.as_deref(), EndpointId::PREFIX)?;
    let event_types = filter(
        ep.event_types.as_ref().or(ep.filter_types.as_ref()),
        "event type filter",
        |l| validate::event_types(&["eventTypes"], l),
    )?;
    let channels = filter(ep.channels.as_ref(), "channel filter", |l| {
        validate::channels(&["channels"], l, validate::MAX_ENDPOINT_CHANNELS)
    })?;
    let mut notes = Vec::new();
    extra_notes(&ep.extra, &mut notes);
    let source_disabled = ep.disabled.unwrap_or(false);
    let (secret, old_secrets, disabled) = match (&src.secret, existing) {
        (SourceSecret::Signing(key), Some(have)) if *key != have.secret => {
            let mut old = have.old_secrets.clone();
            old.push(OldSecret {
                key: have.secret.clone(),
                expires_at: now + ROTATION_GRACE,
            });
            (key.clone(), old, source_disabled)
        }
        (SourceSecret::Signing(key), have) => (
            key.clone(),
            have.map(|h| h.old_secrets.clone()).unwrap_or_default(),
            source_disabled,
        ),
        (SourceSecret::Unusable(why), Some(have)) => {
            // Copied on an earlier run: keep hookd's secret, and its disabled flag unless
            // Svix disables it, so that someone who gave the receiver the new key and
            // enabled it is not undone.
            notes.push(format!(
                "its secret was not copied: {why}; it keeps the secret hookd gave it"
            ));
            (
                have.secret.clone(),
                have.old_secrets.clone(),
                source_disabled || have.disabled,
            )
        }
        (SourceSecret::Unusable(why), None) => {
            notes.push(format!(
                "its secret was not copied: {why}; it was created disabled with a new whsec_ \
                 secret: give its receiver the new secret (GET …/secret), then enable it"
            ));
            (fresh_secret(), Vec::new(), true)
        }
    };
    let value = Endpoint {
        id: EndpointId::from_trusted(&ep.id),
        app_id: src.app_id.clone(),
        uid: ep.uid.clone(),
        url: ep.url.clone(),
        description: ep.description.clone(),
        disabled,
        throttle_rate: check_rate(ep.throttle_rate.or(ep.rate_limit))?,
        event_types,
        channels,
        metadata: ep.metadata.clone(),
        headers: headers(src.headers, existing, &mut notes),
        secret,
        old_secrets,
        options: existing.map(|e| e.options.clone()).unwrap_or_default(),
        failing_since: existing.and_then(|e| e.failing_since),
        created_at: ms(ep.created_at),
        updated_at: existing.map_or(ms(ep.updated_at), |e| e.updated_at),
    };
    Ok(Converted {
        value,
        notes,
        source_updated_at: ms(ep.updated_at),
    })
}

/// Whether storing `new` over `old` changes anything (`updated_at` aside, which a conversion
/// carries over from `old`).
pub fn changed<T: PartialEq>(new: &T, old: Option<&T>) -> bool {
    old != Some(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_copied_only_when_hookd_can_sign_with_them() {
        let whsec = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
        assert_eq!(
            SourceSecret::classify(whsec),
            SourceSecret::Signing(whsec.into())
        );
        assert_eq!(
            SourceSecret::classify("C2FVsBQIhrscChlQIMV+b5sSYspob7oD"),
            SourceSecret::Signing(whsec.into()),
            "bare base64, which Svix also accepts, is stored in its canonical form"
        );
        for (key, says) in [
            (
                "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=",
                "public key",
            ),
            (
                "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbc=",
                "ed25519",
            ),
            ("whsec_dG9vc2hvcnQ=", "between"),
        ] {
            match SourceSecret::classify(key) {
                SourceSecret::Unusable(why) => assert!(why.contains(says), "{key}: {why}"),
                other => panic!("{key}: {other:?}"),
            }
        }
    }

    #[test]
    fn times_are_cut_to_what_hookd_stores() {
        let t: Timestamp = "2024-03-01T10:11:12.345678Z".parse().unwrap();
        assert_eq!(
            ms(t),
            "2024-03-01T10:11:12.345Z".parse::<Timestamp>().unwrap()
        );
    }
}
