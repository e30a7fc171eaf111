//! The import itself: reads the source through the [`Client`], converts each object
//! ([`crate::convert`]), and brings hookd's store in line, object by object: created when
//! hookd does not have it, updated when its copy differs, left alone when it matches. That is
//! what makes a re-run safe: it creates nothing twice and only rewrites what changed on the
//! source. Objects hookd has and the source does not are never touched.
//!
//! Order matters for what a reader of hookd sees mid-import: event types first (endpoints
//! filter on them), then each application followed by its endpoints.
//!
//! This module must not parse Svix's wire format or decide field mappings (that is
//! `svix::wire` and `convert`); it owns the sequence and the store calls.

use hookd_core::{
    id::AppId,
    model::{Application, Endpoint, EventType},
    signing::{EndpointSecret, SignatureType},
    store::{Store, StoreError},
    Timestamp,
};

use crate::{
    convert::{self, EndpointSource, SourceSecret},
    progress::Progress,
    report::{Kind, Outcome, Report},
    svix::{
        client::{Client, ClientError},
        wire::ApplicationOut,
    },
    ImportError,
};

/// Copies everything the source shows into `store` and reports what it did.
pub async fn run(
    client: &Client,
    store: &dyn Store,
    now: Timestamp,
    progress: &mut dyn Progress,
) -> Result<Report, ImportError> {
    let mut report = Report::default();
    event_types(client, store, progress, &mut report).await?;
    progress.phase("reading applications", None);
    let apps = client.applications().await?;
    progress.finish();
    progress.phase("applications", Some(apps.len() as u64));
    for app in &apps {
        application(client, store, now, app, &mut report).await?;
        progress.step(&app.id);
    }
    progress.finish();
    Ok(report)
}

/// What to do with a converted object, given the copy hookd holds.
enum Write {
    Create,
    Update,
    Nothing,
}

/// A conversion carries the existing copy's `updated_at`, so an object that did not change on
/// the source compares equal to its copy.
fn decide<T: PartialEq>(existing: Option<&T>, value: &T) -> Write {
    match existing {
        None => Write::Create,
        Some(old) if old == value => Write::Nothing,
        Some(_) => Write::Update,
    }
}

/// A store write's result as the report sees it: a conflict is the object's problem (skipped,
/// with the reason), anything else stops the import.
fn stored(result: Result<Outcome, StoreError>) -> Result<Result<Outcome, String>, ImportError> {
    match result {
        Ok(outcome) => Ok(Ok(outcome)),
        Err(StoreError::Conflict(key)) => Ok(Err(conflict(&key))),
        Err(e) => Err(ImportError::Store(e)),
    }
}

fn conflict(key: &str) -> String {
    match key {
        "id" => "its id is already taken in hookd by an object of another application".into(),
        "uid" => "its uid is already taken in hookd by another object".into(),
        other => format!("hookd already holds an object with the same {other}"),
    }
}

async fn event_types(
    client: &Client,
    store: &dyn Store,
    progress: &mut dyn Progress,
    report: &mut Report,
) -> Result<(), ImportError> {
    progress.phase("reading event types", None);
    let types = client.event_types().await?;
    progress.finish();
    progress.phase("event types", Some(types.len() as u64));
    for src in &types {
        let object = format!("event type {}", src.name);
        let existing = store.get_event_type(&src.name).await?;
        let outcome = write_converted(
            report,
            &object,
            existing.as_ref(),
            convert::event_type(src, existing.as_ref()),
            async |v| store.create_event_type(v).await,
            async |v| store.update_event_type(v).await,
        )
        .await?;
        record(report, Kind::EventType, &object, outcome);
        progress.step(&src.name);
    }
    progress.finish();
    Ok(())
}

/// Writes one converted object: its notes go into the report, then it is created, updated
/// (taking the source's `updated_at`) or left alone, as [`decide`] says. A refusal or a
/// conflict is the object's outcome; any other store error ends the import.
async fn write_converted<T: PartialEq + Touched>(
    report: &mut Report,
    object: &str,
    existing: Option<&T>,
    converted: Result<convert::Converted<T>, convert::Refusal>,
    create: impl AsyncFnOnce(&T) -> Result<(), StoreError>,
    update: impl AsyncFnOnce(&T) -> Result<(), StoreError>,
) -> Result<Result<Outcome, String>, ImportError> {
    let mut conv = match converted {
        Ok(conv) => conv,
        Err(why) => return Ok(Err(why)),
    };
    for note in std::mem::take(&mut conv.notes) {
        report.issue(object, note);
    }
    let result = match decide(existing, &conv.value) {
        Write::Nothing => Ok(Outcome::Unchanged),
        Write::Create => create(&conv.value).await.map(|()| Outcome::Created),
        Write::Update => {
            conv.value.touch(conv.source_updated_at);
            update(&conv.value).await.map(|()| Outcome::Updated)
        }
    };
    stored(result)
}

/// The objects the import writes, whose `updated_at` an update sets.
trait Touched {
    fn touch(&mut self, at: Timestamp);
}

impl Touched for EventType {
    fn touch(&mut self, at: Timestamp) {
        self.updated_at = at;
    }
}

impl Touched for Application {
    fn touch(&mut self, at: Timestamp) {
        self.updated_at = at;
    }
}

impl Touched for Endpoint {
    fn touch(&mut self, at: Timestamp) {
        self.updated_at = at;
    }
}

fn record(report: &mut Report, kind: Kind, object: &str, outcome: Result<Outcome, String>) {
    match outcome {
        Ok(outcome) => report.record(kind, outcome),
        Err(why) => {
            report.record(kind, Outcome::Skipped);
            report.issue(object, format!("not copied: {why}"));
        }
    }
}

/// The copy hookd holds under exactly this id (a lookup by id falls back to uids, which must
/// not make a different object count as this one's copy).
async fn stored_app(store: &dyn Store, id: &str) -> Result<Option<Application>, StoreError> {
    Ok(store.get_app(id).await?.filter(|a| a.id.as_str() == id))
}

async fn stored_endpoint(
    store: &dyn Store,
    app: &AppId,
    id: &str,
) -> Result<Option<Endpoint>, StoreError> {
    Ok(store
        .get_endpoint(app, id)
        .await?
        .filter(|e| e.id.as_str() == id))
}

async fn application(
    client: &Client,
    store: &dyn Store,
    now: Timestamp,
    src: &ApplicationOut,
    report: &mut Report,
) -> Result<(), ImportError> {
    let object = format!("application {}", src.id);
    let existing = stored_app(store, &src.id).await?;
    let outcome = write_converted(
        report,
        &object,
        existing.as_ref(),
        convert::application(src, existing.as_ref()),
        async |v| store.create_app(v).await,
        async |v| store.update_app(v).await,
    )
    .await?;
    let copied = outcome.is_ok();
    record(report, Kind::Application, &object, outcome);
    let endpoints = client.endpoints(&src.id).await?;
    if !copied {
        for ep in &endpoints {
            record(
                report,
                Kind::Endpoint,
                &format!("endpoint {} of {}", ep.id, src.id),
                Err("its application was not copied".into()),
            );
        }
        return Ok(());
    }
    let app_id = AppId::from_trusted(&src.id);
    for ep in &endpoints {
        let object = format!("endpoint {} of {}", ep.id, src.id);
        let read = async {
            let secret = client.endpoint_secret(&src.id, &ep.id).await?;
            let headers = client.endpoint_headers(&src.id, &ep.id).await?;
            Ok::<_, ClientError>((secret, headers))
        };
        let (secret, headers) = match read.await {
            Ok(both) => both,
            // Deleted on the source while we read it: nothing left to copy.
            Err(e) if e.is_not_found() => {
                record(
                    report,
                    Kind::Endpoint,
                    &object,
                    Err("it was deleted on the source during the import".into()),
                );
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let existing = stored_endpoint(store, &app_id, &ep.id).await?;
        let source = EndpointSource {
            app_id: &app_id,
            endpoint: ep,
            secret: SourceSecret::classify(&secret.key),
            headers: &headers,
        };
        let fresh =
            || EndpointSecret::generate(SignatureType::Hmac, &mut rand::thread_rng()).to_text();
        let outcome = write_converted(
            report,
            &object,
            existing.as_ref(),
            convert::endpoint(&source, existing.as_ref(), now, fresh),
            async |v| store.create_endpoint(v).await,
            async |v| store.update_endpoint(v).await,
        )
        .await?;
        record(report, Kind::Endpoint, &object, outcome);
    }
    Ok(())
}
