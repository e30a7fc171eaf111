//! Cases for objects created with ids hookd did not generate: an import from Svix
//! (`hookd import svix`) keeps Svix's ids, which are 27 base62 characters after the prefix
//! (KSUIDs), not hookd's 22, and keeps their creation times, which lie in the past. Stores
//! must keep such ids and times as given, list them in byte order among hookd's own, and
//! answer a taken id with `Conflict("id")` (the importer reports it rather than failing).
//!
//! These cases must not assume anything of an id beyond its prefix and its bytes.

use std::sync::Arc;

use chrono::Duration;
use hookd_core::{
    id::{AppId, EndpointId},
    store::{AppFilter, Store, StoreError},
};

use crate::{check::assert_pagination, fixture::Fixture};

/// Svix-shaped application ids, deliberately not in creation order and of mixed case, so
/// that only byte order sorts them as the store must.
const SVIX_APP_IDS: [&str; 3] = [
    "app_2ZTUIKbfYh0bX1WScDsGJ7vJmAY",
    "app_1srOrx2ZWZBpBUvZwXKQmoEYga2",
    "app_2zTUIKbfYh0bX1WScDsGJ7vJmAY",
];
/// A Svix-shaped endpoint id.
const SVIX_ENDPOINT_ID: &str = "ep_2ZTUIKeY6hcCrBMhcqMFfVg2eMu";

/// Applications and endpoints created with foreign ids and past times read back exactly as
/// written, by id and uid; they list in byte order among native ones; a taken id conflicts.
pub async fn foreign_ids_and_times_are_kept(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let native = fx.create_app(&*store).await;
    let mut ids = vec![native.id.to_string()];
    let mut first = None;
    for (i, id) in SVIX_APP_IDS.iter().enumerate() {
        let mut app = fx.app();
        app.id = AppId::from_trusted(*id);
        app.created_at = fx.now() - Duration::days(400 + i as i64);
        app.updated_at = fx.now() - Duration::days(1);
        store
            .create_app(&app)
            .await
            .expect("create with a given id");
        assert_eq!(store.get_app(id).await.unwrap(), Some(app.clone()));
        let uid = app.uid.clone().unwrap();
        assert_eq!(store.get_app(&uid).await.unwrap(), Some(app.clone()));
        ids.push((*id).to_owned());
        first.get_or_insert(app);
    }
    ids.sort();
    assert_pagination(
        "foreign app ids",
        &ids,
        |q| {
            let store = store.clone();
            async move { store.list_apps(&AppFilter::default(), &q).await }
        },
        |a| a.id.to_string(),
    )
    .await;

    let owner = first.unwrap();
    let mut twin = fx.app();
    twin.id = owner.id.clone();
    assert!(
        matches!(store.create_app(&twin).await, Err(StoreError::Conflict(k)) if k == "id"),
        "an application id taken"
    );

    let mut ep = fx.endpoint(&owner.id);
    ep.id = EndpointId::from_trusted(SVIX_ENDPOINT_ID);
    ep.created_at = owner.created_at;
    ep.updated_at = owner.updated_at;
    store
        .create_endpoint(&ep)
        .await
        .expect("create with a given id");
    assert_eq!(
        store
            .get_endpoint(&owner.id, SVIX_ENDPOINT_ID)
            .await
            .unwrap(),
        Some(ep.clone())
    );
    let mut elsewhere = fx.endpoint(&native.id);
    elsewhere.id = ep.id.clone();
    assert!(
        matches!(store.create_endpoint(&elsewhere).await, Err(StoreError::Conflict(k)) if k == "id"),
        "an endpoint id is unique across applications, as in Svix"
    );
    assert_eq!(
        store
            .get_endpoint(&native.id, SVIX_ENDPOINT_ID)
            .await
            .unwrap(),
        None
    );

    let mut et = fx.event_type("imported.type");
    et.created_at = owner.created_at;
    store.create_event_type(&et).await.unwrap();
    assert_eq!(
        store.get_event_type("imported.type").await.unwrap(),
        Some(et)
    );
}
