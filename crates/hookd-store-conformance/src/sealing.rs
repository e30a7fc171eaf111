//! The sealing case: endpoint secrets encrypted at rest (`hookd_core::seal`) and the key
//! rotation that rewrites them. Unlike the other cases it must reopen one database under
//! different keys and look at the stored text itself, so a store crate runs it by handing
//! over an opener and a raw reader:
//!
//! ```ignore
//! hookd_store_conformance::sealing::secrets_sealed_at_rest_and_rotated(
//!     |sealer| async move { Arc::new(MyStore::open(path).await.unwrap().with_sealer(sealer)) as Arc<dyn Store> },
//!     || async { /* every endpoint's secret and old_secrets column, as text */ },
//! ).await;
//! ```
//!
//! This module must not know any particular store.

use std::{future::Future, sync::Arc};

use hookd_core::{
    id::EndpointId,
    page::{ListQuery, Order},
    seal::Sealer,
    store::Store,
};

use crate::fixture::{Fixture, OLD_SECRET, SECRET};

/// An ed25519 secret key (RFC 8032's first test key) as a Standard Webhooks `whsk_` secret.
const ED25519_SECRET: &str =
    "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2DXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg==";

/// Two fixed test keys (base64 of 32 bytes).
const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const KEY_B: &str = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

fn sealer(keys: &str) -> Option<Arc<Sealer>> {
    Some(Arc::new(Sealer::from_keys(keys).expect("test keys")))
}

/// Runs every reseal batch (of 1, to cross batch boundaries) and sums what was rewritten.
async fn reseal_all(store: &dyn Store) -> u64 {
    let mut after: Option<EndpointId> = None;
    let mut total = 0;
    loop {
        let batch = store
            .reseal_endpoint_secrets(after.as_ref(), 1)
            .await
            .expect("reseal");
        total += batch.resealed;
        match batch.last {
            Some(last) => after = Some(last),
            None => return total,
        }
    }
}

/// The case. `open` opens the one database under test with a sealer (or none); `raw` reads
/// every stored secret text (current and old) of every endpoint, as the database holds it.
pub async fn secrets_sealed_at_rest_and_rotated<O, OF, R, RF>(open: O, raw: R)
where
    O: Fn(Option<Arc<Sealer>>) -> OF,
    OF: Future<Output = Arc<dyn Store>>,
    R: Fn() -> RF,
    RF: Future<Output = Vec<String>>,
{
    let mut fx = Fixture::new();
    // An endpoint written before encryption was turned on.
    let plain_store = open(None).await;
    let app = fx.create_app(plain_store.as_ref()).await;
    let plain = fx.create_endpoint(plain_store.as_ref(), &app.id).await;
    assert!(raw().await.iter().any(|s| s.contains(SECRET)));

    // With key A: new endpoints are sealed, old plain ones still read.
    let store_a = open(sealer(KEY_A)).await;
    let sealed = fx.create_endpoint(store_a.as_ref(), &app.id).await;
    for ep in [&plain, &sealed] {
        let read = store_a
            .get_endpoint(&app.id, ep.id.as_str())
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(read.secret, SECRET);
        assert_eq!(read.old_secrets, ep.old_secrets);
    }
    let listed = store_a
        .list_endpoints(&app.id, &ListQuery::first(50, Order::Ascending))
        .await
        .expect("list");
    assert!(listed.data.iter().all(|e| e.secret == SECRET));
    // Workers get opened secrets with their claims.
    fx.publish(store_a.as_ref(), &app.id, "user.created").await;
    let claimed = fx.claim(store_a.as_ref(), 10).await;
    assert_eq!(claimed.len(), 2);
    assert!(claimed
        .iter()
        .all(|c| c.endpoint.secret == SECRET && c.endpoint.old_secrets[0].key == OLD_SECRET));
    // So do claims made by a publish as it writes.
    let token = fx.lease_token();
    let msg = fx.message(&app.id, "user.created");
    let created = store_a
        .create_messages(&[msg], Some(&fx.claim_request(&token, 10)))
        .await
        .expect("publish");
    assert_eq!(created.claimed.len(), 2);
    assert!(created
        .claimed
        .iter()
        .all(|c| c.endpoint.secret == SECRET && c.endpoint.old_secrets[0].key == OLD_SECRET));

    // Resealing under A seals the plain endpoint and leaves the sealed one alone.
    assert_eq!(reseal_all(store_a.as_ref()).await, 1);
    let stored = raw().await;
    assert_eq!(stored.len(), 4, "two endpoints, each with one old secret");
    for text in &stored {
        assert!(text.contains("sealed:v1:"), "{text}");
        assert!(!text.contains("whsec_"), "no secret in the clear: {text}");
    }
    assert_eq!(reseal_all(store_a.as_ref()).await, 0, "nothing left to do");

    // Rotation: B primary with A still readable, reseal, then B alone reads everything.
    let store_ba = open(sealer(&format!("{KEY_B},{KEY_A}"))).await;
    assert_eq!(reseal_all(store_ba.as_ref()).await, 2);
    let store_b = open(sealer(KEY_B)).await;
    for ep in [&plain, &sealed] {
        let read = store_b
            .get_endpoint(&app.id, ep.id.as_str())
            .await
            .expect("get")
            .expect("exists");
        assert_eq!(read.secret, SECRET);
        assert_eq!(read.old_secrets[0].key, OLD_SECRET);
    }
    // A store that lacks the key refuses to hand out what it cannot open.
    assert!(store_a
        .get_endpoint(&app.id, sealed.id.as_str())
        .await
        .is_err());
    assert!(plain_store
        .get_endpoint(&app.id, sealed.id.as_str())
        .await
        .is_err());

    // An ed25519 secret key is sealed like an HMAC secret, and opens to the same text.
    let ed = fx
        .create_endpoint_with(store_b.as_ref(), &app.id, |ep| {
            ep.secret = ED25519_SECRET.into();
        })
        .await;
    let read = store_b
        .get_endpoint(&app.id, ed.id.as_str())
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(read.secret, ED25519_SECRET);
    let stored = raw().await;
    assert_eq!(stored.len(), 6);
    assert!(
        stored.iter().all(|t| !t.contains("whsk_")),
        "no secret key in the clear: {stored:?}"
    );
}
