//! Cases for the event type catalogue.
//!
//! These cases must not rely on creation order: event types list by name.

use std::sync::Arc;

use hookd_core::store::{Store, StoreError};

use crate::{
    check::{assert_pagination, everything},
    fixture::Fixture,
};

/// An event type reads back as written; its name is unique; updates and deletes report what
/// they found.
pub async fn event_type_crud_round_trip(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let mut et = fx.event_type("invoice.paid");
    // Flags are a set: they read back sorted and distinct.
    et.feature_flags = ["beta".to_owned(), "alpha".to_owned()].into();
    store.create_event_type(&et).await.unwrap();
    assert_eq!(
        store.get_event_type("invoice.paid").await.unwrap(),
        Some(et.clone())
    );
    assert_eq!(store.get_event_type("invoice.void").await.unwrap(), None);

    let dup = fx.event_type("invoice.paid");
    assert!(matches!(
        store.create_event_type(&dup).await,
        Err(StoreError::Conflict(_))
    ));

    let mut changed = et.clone();
    changed.description = "Paid, at last".into();
    changed.archived = true;
    changed.deprecated = true;
    changed.schemas = None;
    changed.feature_flags.clear();
    changed.updated_at = fx.tick();
    store.update_event_type(&changed).await.unwrap();
    assert_eq!(
        store.get_event_type("invoice.paid").await.unwrap(),
        Some(changed.clone())
    );

    let ghost = fx.event_type("never.created");
    assert!(matches!(
        store.update_event_type(&ghost).await,
        Err(StoreError::NotFound)
    ));

    assert!(store.delete_event_type("invoice.paid").await.unwrap());
    assert!(!store.delete_event_type("invoice.paid").await.unwrap());
    assert_eq!(store.get_event_type("invoice.paid").await.unwrap(), None);
    // The name is free again.
    store.create_event_type(&et).await.unwrap();
}

/// Event types list by name (not creation order), hide archived ones unless asked, and page
/// in both orders and directions.
pub async fn event_types_list_by_name(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    // Created out of alphabetical order, so that a list by creation time would differ.
    let names = [
        "c.one", "a.two", "g.three", "b.four", "f.five", "e.six", "d.seven",
    ];
    for name in names {
        let mut et = fx.event_type(name);
        et.archived = name == "b.four" || name == "f.five";
        store.create_event_type(&et).await.unwrap();
    }
    let mut all: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    all.sort();
    let visible: Vec<String> = all
        .iter()
        .filter(|n| *n != "b.four" && *n != "f.five")
        .cloned()
        .collect();

    let page = store.list_event_types(false, &everything()).await.unwrap();
    let listed: Vec<String> = page.data.iter().map(|e| e.name.clone()).collect();
    assert_eq!(listed, visible);

    assert_pagination(
        "event types (with archived)",
        &all,
        |q| {
            let store = Arc::clone(&store);
            async move { store.list_event_types(true, &q).await }
        },
        |e| e.name.clone(),
    )
    .await;
    assert_pagination(
        "event types (without archived)",
        &visible,
        |q| {
            let store = Arc::clone(&store);
            async move { store.list_event_types(false, &q).await }
        },
        |e| e.name.clone(),
    )
    .await;
}
