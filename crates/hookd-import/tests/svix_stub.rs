//! The importer against a stub that answers as Svix's cloud does where hookd cannot stand in
//! for it: Svix-shaped ids (27 characters), timestamps in microseconds, one item per page,
//! an ed25519 endpoint (whose secret Svix shows as a `whpk_` public key), sensitive headers
//! shown by name only, event types with several feature flags and a group, fields this
//! importer does not know, and rate limiting (429 with `Retry-After`). The copy lands in a
//! real SQLite store, read back through the `Store` trait.
//!
//! This file must not sleep: the stub answers at once, and retries wait zero seconds (the
//! stub's `Retry-After: 0`) or the test client's tiny backoff.

use hookd_core::store::Directory;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
    Json, Router,
};
use hookd_core::{clock::ManualClock, id::AppId, store::Store};
use hookd_import::{progress::Silent, Client, ClientError, ImportError, Kind, Report};
use hookd_store_sqlite::SqliteStore;
use serde_json::{json, Value};

const TOKEN: &str = "testsk_stub";
const APP: &str = "app_2ZTUIKbfYh0bX1WScDsGJ7vJmAY";
const APP2: &str = "app_2ZTUIOqXR6Ut4uY6Gz3Nk0lG2PA";
const EP_HMAC: &str = "ep_2ZTUIKeY6hcCrBMhcqMFfVg2eMu";
const EP_ED25519: &str = "ep_2ZTUIMbF0nVO2VZB3tPYWhXcPcQ";
const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const ROTATED: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// What the stub serves, changeable between runs.
struct Source {
    apps: Vec<Value>,
    endpoints: BTreeMap<String, Vec<Value>>,
    secrets: BTreeMap<String, String>,
    headers: BTreeMap<String, Value>,
    event_types: Vec<Value>,
    /// Requests to answer with 429 before serving the app list.
    throttle: u32,
    /// Requests seen, by path.
    seen: BTreeMap<String, u32>,
}

type Shared = Arc<Mutex<Source>>;

fn source() -> Source {
    let ts = "2024-03-01T10:11:12.345678Z";
    Source {
        apps: vec![
            json!({"id": APP, "uid": "acme", "name": "Acme", "throttleRate": 40,
                   "metadata": {"plan": "pro"}, "createdAt": ts, "updatedAt": ts}),
            json!({"id": APP2, "name": "Bare", "metadata": {},
                   "createdAt": ts, "updatedAt": ts}),
        ],
        endpoints: BTreeMap::from([(
            APP.to_owned(),
            vec![
                json!({"id": EP_HMAC, "uid": "main", "url": "https://hooks.acme.example/in",
                       "description": "main", "rateLimit": 7, "disabled": false,
                       "filterTypes": ["invoice.paid"], "channels": ["eu"],
                       "metadata": {"team": "billing"}, "version": 1,
                       "createdAt": ts, "updatedAt": ts}),
                json!({"id": EP_ED25519, "url": "https://edge.acme.example/in",
                       "description": "", "metadata": {}, "version": 1,
                       "transformation": {"enabled": true},
                       "createdAt": ts, "updatedAt": ts}),
            ],
        )]),
        secrets: BTreeMap::from([
            (EP_HMAC.to_owned(), SECRET.to_owned()),
            (
                EP_ED25519.to_owned(),
                "whpk_1SiA4o9hyqTCpIqC5V9HUakiiaeACeqfZTInDBbOir4=".to_owned(),
            ),
        ]),
        headers: BTreeMap::from([(
            EP_HMAC.to_owned(),
            json!({"headers": {"X-Tenant": "acme"}, "sensitive": ["Authorization"]}),
        )]),
        event_types: vec![
            json!({"name": "invoice.paid", "description": "Paid", "archived": false,
                   "deprecated": false, "schemas": {"1": {"type": "object"}},
                   "featureFlags": ["beta", "billing"], "groupName": "invoices",
                   "createdAt": ts, "updatedAt": ts}),
            json!({"name": "invoice.void", "description": "Voided", "archived": true,
                   "deprecated": true, "createdAt": ts, "updatedAt": ts}),
        ],
        throttle: 1,
        seen: BTreeMap::new(),
    }
}

/// One item per page, so every list takes several pages; the iterator is the item's index.
fn page(items: &[Value], query: &BTreeMap<String, String>) -> Json<Value> {
    let start: usize = query.get("iterator").map_or(0, |i| i.parse().unwrap());
    let data: Vec<Value> = items.iter().skip(start).take(1).cloned().collect();
    let done = start + 1 >= items.len();
    Json(
        json!({"data": data, "iterator": (start + 1).to_string(), "prevIterator": null,
                "done": done}),
    )
}

fn authorized(headers: &HeaderMap) -> bool {
    headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

async fn serve(
    State(s): State<Shared>,
    Path(path): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&headers) {
        return (StatusCode::UNAUTHORIZED, "{}").into_response();
    }
    let mut s = s.lock().unwrap();
    *s.seen.entry(path.clone()).or_default() += 1;
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["event-type"] => {
            assert_eq!(
                query.get("include_archived").map(String::as_str),
                Some("true")
            );
            assert_eq!(query.get("with_content").map(String::as_str), Some("true"));
            page(&s.event_types, &query).into_response()
        }
        ["app"] if s.throttle > 0 => {
            s.throttle -= 1;
            (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "0")], "{}").into_response()
        }
        ["app"] => page(&s.apps, &query).into_response(),
        ["app", app, "endpoint"] => {
            page(s.endpoints.get(*app).map_or(&[][..], |v| v), &query).into_response()
        }
        ["app", _, "endpoint", ep, "secret"] => {
            Json(json!({"key": s.secrets[*ep]})).into_response()
        }
        ["app", _, "endpoint", ep, "headers"] => Json(
            s.headers
                .get(*ep)
                .cloned()
                .unwrap_or(json!({"headers": {}, "sensitive": []})),
        )
        .into_response(),
        _ => (StatusCode::NOT_FOUND, "{}").into_response(),
    }
}

async fn start(source: Source) -> (String, Shared) {
    let shared = Arc::new(Mutex::new(source));
    let app = Router::new()
        .route("/api/v1/{*path}", get(serve))
        .route(
            "/down/api/v1/{*path}",
            get(|| async { StatusCode::SERVICE_UNAVAILABLE }),
        )
        .route(
            "/stuck/api/v1/{*path}",
            get(|| async {
                Json(
                    json!({"data": [{"name": "a.b", "description": "", "deprecated": false,
                    "createdAt": "2024-01-01T00:00:00Z", "updatedAt": "2024-01-01T00:00:00Z"}],
                    "iterator": "same", "done": false}),
                )
            }),
        )
        .with_state(shared.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, shared)
}

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new("2024-06-01T00:00:00Z".parse().unwrap()))
}

async fn import(url: &str, store: &dyn Store, clock: Arc<ManualClock>) -> Report {
    let client = Client::new(url, TOKEN, clock.clone())
        .unwrap()
        .with_backoff(Duration::from_millis(1));
    hookd_import::import_svix(&client, store, clock, &mut Silent)
        .await
        .unwrap()
}

fn issues_about<'a>(report: &'a Report, object: &str) -> Vec<&'a str> {
    report
        .issues
        .iter()
        .filter(|i| i.object.contains(object))
        .map(|i| i.what.as_str())
        .collect()
}

#[tokio::test]
async fn a_svix_cloud_copy_keeps_ids_secrets_and_says_what_it_left() {
    let (url, shared) = start(source()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hookd.db"))
        .await
        .unwrap();
    let report = import(&url, &store, clock()).await;

    let ms = |s: &str| s.parse::<hookd_core::Timestamp>().unwrap();
    let app = store.get_app(APP).await.unwrap().expect("app kept its id");
    assert_eq!(app.uid.as_deref(), Some("acme"));
    assert_eq!(app.throttle_rate, Some(40));
    assert_eq!(app.metadata["plan"], "pro");
    assert_eq!(app.created_at, ms("2024-03-01T10:11:12.345Z"));
    assert_eq!(store.get_app("acme").await.unwrap().unwrap().id, app.id);
    assert!(store.get_app(APP2).await.unwrap().is_some());

    let app_id = AppId::from_trusted(APP);
    let ep = store.get_endpoint(&app_id, "main").await.unwrap().unwrap();
    assert_eq!(ep.id.as_str(), EP_HMAC);
    assert_eq!(ep.secret, SECRET);
    assert_eq!(ep.throttle_rate, Some(7), "rateLimit, the older spelling");
    assert_eq!(ep.event_types, Some(vec!["invoice.paid".to_owned()]));
    assert_eq!(ep.channels, Some(vec!["eu".to_owned()]));
    assert_eq!(
        ep.headers,
        BTreeMap::from([("X-Tenant".into(), "acme".into())])
    );
    assert!(!ep.disabled);

    let ed = store
        .get_endpoint(&app_id, EP_ED25519)
        .await
        .unwrap()
        .unwrap();
    assert!(
        ed.disabled,
        "an endpoint whose key could not come along waits, disabled"
    );
    assert!(ed.secret.starts_with("whsec_"), "{}", ed.secret);

    let paid = store.get_event_type("invoice.paid").await.unwrap().unwrap();
    assert_eq!(paid.schemas, Some(json!({"1": {"type": "object"}})));
    // Every flag comes along.
    assert_eq!(
        paid.feature_flags,
        ["beta".to_owned(), "billing".to_owned()].into()
    );
    let void = store.get_event_type("invoice.void").await.unwrap().unwrap();
    assert!(void.archived && void.deprecated);

    let c = report.counts(Kind::Endpoint);
    assert_eq!((c.read, c.created), (2, 2));
    assert_eq!(report.counts(Kind::Application).created, 2);
    assert_eq!(report.counts(Kind::EventType).created, 2);
    let main = issues_about(&report, EP_HMAC);
    assert_eq!(main.len(), 1, "{main:?}");
    assert!(main[0].contains("\"Authorization\"") && main[0].contains("sensitive"));
    let ed_issues = issues_about(&report, EP_ED25519).join("\n");
    assert!(ed_issues.contains("whpk_"), "{ed_issues}");
    assert!(ed_issues.contains("`transformation`"), "{ed_issues}");
    let et = issues_about(&report, "invoice.paid").join("\n");
    assert!(
        et.contains("\"invoices\"") && !et.contains("feature flags"),
        "{et}"
    );
    assert_eq!(
        shared.lock().unwrap().seen["app"],
        3,
        "one 429, then two pages"
    );

    // A re-run over the same source changes nothing and creates nothing.
    let again = import(&url, &store, clock()).await;
    assert!(again.changed_nothing(), "{again}");
    assert_eq!(again.counts(Kind::Endpoint).unchanged, 2);
    assert_eq!(
        store.get_endpoint(&app_id, EP_HMAC).await.unwrap(),
        Some(ep.clone())
    );
    assert_eq!(
        store.get_endpoint(&app_id, EP_ED25519).await.unwrap(),
        Some(ed.clone())
    );

    // The operator fills in the hidden header and hands the ed25519 receiver its new secret.
    let mut filled = ep.clone();
    filled
        .headers
        .insert("Authorization".into(), "Bearer s3cret".into());
    store.update_endpoint(&filled).await.unwrap();
    let mut enabled = ed.clone();
    enabled.disabled = false;
    store.update_endpoint(&enabled).await.unwrap();
    // Meanwhile on Svix: the main endpoint's secret is rotated and its URL moves.
    {
        let mut s = shared.lock().unwrap();
        s.secrets.insert(EP_HMAC.into(), ROTATED.into());
        let list = s.endpoints.get_mut(APP).unwrap();
        list[0]["url"] = json!("https://new.acme.example/in");
        list[0]["updatedAt"] = json!("2024-05-01T00:00:00.000001Z");
    }
    let later = clock();
    let third = import(&url, &store, later.clone()).await;
    let c = third.counts(Kind::Endpoint);
    assert_eq!((c.updated, c.unchanged, c.created), (1, 1, 0), "{third}");
    let ep = store.get_endpoint(&app_id, EP_HMAC).await.unwrap().unwrap();
    assert_eq!(ep.url, "https://new.acme.example/in");
    assert_eq!(ep.secret, ROTATED);
    assert_eq!(
        ep.old_secrets.len(),
        1,
        "the replaced secret still signs for a while"
    );
    assert_eq!(ep.old_secrets[0].key, SECRET);
    assert_eq!(
        ep.headers["Authorization"], "Bearer s3cret",
        "hookd's value is kept"
    );
    assert_eq!(ep.updated_at, ms("2024-05-01T00:00:00Z"));
    assert!(issues_about(&third, EP_HMAC).is_empty(), "{third}");
    let ed = store
        .get_endpoint(&app_id, EP_ED25519)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !ed.disabled,
        "enabling it after the first import is not undone"
    );
    assert_eq!(ed.secret, enabled.secret);
}

#[tokio::test]
async fn a_source_that_stays_down_is_given_up_on_after_a_bounded_number_of_tries() {
    let (url, _) = start(source()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hookd.db"))
        .await
        .unwrap();
    let clock = clock();
    let client = Client::new(&format!("{url}/down"), TOKEN, clock.clone())
        .unwrap()
        .with_backoff(Duration::from_millis(1));
    let err = hookd_import::import_svix(&client, &store, clock, &mut Silent)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::Source(ClientError::Status { status: 503, .. })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_wrong_token_stops_at_once() {
    let (url, shared) = start(source()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hookd.db"))
        .await
        .unwrap();
    let clock = clock();
    let client = Client::new(&format!("{url}/api/v1/"), "wrong", clock.clone()).unwrap();
    let err = hookd_import::import_svix(&client, &store, clock, &mut Silent)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::Source(ClientError::Status { status: 401, .. })
        ),
        "{err:?}"
    );
    assert!(shared.lock().unwrap().seen.is_empty(), "401 is not retried");
}

#[tokio::test]
async fn a_list_that_never_advances_is_an_error_not_a_loop() {
    let (url, _) = start(source()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hookd.db"))
        .await
        .unwrap();
    let clock = clock();
    let client = Client::new(&format!("{url}/stuck"), TOKEN, clock.clone()).unwrap();
    let err = hookd_import::import_svix(&client, &store, clock, &mut Silent)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ImportError::Source(ClientError::Stuck { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_application_whose_uid_hookd_already_gave_away_is_reported_with_its_endpoints() {
    let (url, _) = start(source()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("hookd.db"))
        .await
        .unwrap();
    let now: hookd_core::Timestamp = "2024-06-01T00:00:00Z".parse().unwrap();
    let mine = hookd_core::model::Application {
        id: AppId::from_trusted("app_0000000000000000000001"),
        uid: Some("acme".into()),
        name: "Already here".into(),
        throttle_rate: None,
        metadata: Default::default(),
        created_at: now,
        updated_at: now,
    };
    store.create_app(&mine).await.unwrap();
    let report = import(&url, &store, clock()).await;
    assert_eq!(report.counts(Kind::Application).skipped, 1, "{report}");
    assert_eq!(report.counts(Kind::Endpoint).skipped, 2, "{report}");
    let app = issues_about(&report, &format!("application {APP}")).join("\n");
    assert!(app.contains("uid is already taken"), "{report}");
    let eps = issues_about(&report, EP_HMAC).join("\n");
    assert!(eps.contains("its application was not copied"), "{report}");
    assert_eq!(
        store.get_app("acme").await.unwrap(),
        Some(mine),
        "hookd's own is untouched"
    );
    assert!(
        store.get_app(APP2).await.unwrap().is_some(),
        "the others are copied"
    );
}
