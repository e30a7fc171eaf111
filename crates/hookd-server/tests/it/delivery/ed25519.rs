//! ed25519 signatures through the whole delivery path: endpoints created and rotated through
//! the API, their `whpk_` public key read back, and every delivery checked the way a receiver
//! would check it, with `ed25519-dalek`'s own verification (not hookd's signing code) against
//! the public key it was given. Also across rotations that mix HMAC and ed25519 secrets.

use super::*;
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use ed25519_dalek::{Signature, VerifyingKey};
use hookd_core::signing::SignatureType;
use serde_json::json;

/// RFC 8032 §7.1 TEST 1's key pair as a `whsk_` secret, and its public key as the RFC prints
/// it (hex), so the receiver's key does not come from hookd at all.
const RFC8032_SECRET: &str =
    "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2DXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg==";
const RFC8032_PUBLIC_HEX: &str = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";

fn rfc8032_public() -> VerifyingKey {
    let bytes: Vec<u8> = (0..RFC8032_PUBLIC_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&RFC8032_PUBLIC_HEX[i..i + 2], 16).unwrap())
        .collect();
    VerifyingKey::from_bytes(&bytes.try_into().unwrap()).unwrap()
}

/// A `whpk_` key as a receiver reads it.
fn public_key(whpk: &str) -> VerifyingKey {
    let bytes = B64
        .decode(whpk.strip_prefix("whpk_").expect("a whpk_ key"))
        .unwrap();
    VerifyingKey::from_bytes(&bytes.try_into().unwrap()).unwrap()
}

/// Whether some `v1a,` signature of the request verifies under `key` (strictly, as
/// `ed25519-dalek` recommends for verifiers).
fn verifies(seen: &receiver::Seen, key: &VerifyingKey) -> bool {
    let signed = [
        seen.header("webhook-id").as_bytes(),
        b".",
        seen.header("webhook-timestamp").as_bytes(),
        b".",
        &seen.body,
    ]
    .concat();
    seen.header("webhook-signature").split(' ').any(|part| {
        part.strip_prefix("v1a,")
            .and_then(|s| B64.decode(s).ok())
            .and_then(|b| Signature::from_slice(&b).ok())
            .is_some_and(|sig| key.verify_strict(&signed, &sig).is_ok())
    })
}

/// The schemes of the request's signatures, sorted.
fn schemes(seen: &receiver::Seen) -> Vec<&str> {
    let mut out: Vec<&str> = seen
        .header("webhook-signature")
        .split(' ')
        .map(|p| p.split(',').next().unwrap())
        .collect();
    out.sort_unstable();
    out
}

/// Publishes one message to `app` and returns the request its endpoint received.
async fn deliver(
    h: &crate::common::Harness,
    rx: &mut Receiver,
    workers: &Engine,
    app: &str,
    n: usize,
) -> receiver::Seen {
    h.message(
        app,
        json!({"eventType": "invoice.paid", "payload": {"n": n}}),
    )
    .await;
    let seen = rx.wait_requests(n).await;
    tokio::time::timeout(Duration::from_secs(20), workers.wait_completed(n as u64))
        .await
        .expect("completed");
    seen[n - 1].clone()
}

#[tokio::test]
async fn a_whsk_endpoint_signs_v1a_that_its_whpk_key_verifies_through_rotations() {
    let (h, _store, workers) = api_world(|_| {}).await;
    let mut rx = Receiver::start(&[]).await;
    let app = h.app("ed").await;
    let ep = h
        .endpoint(
            &app,
            json!({"url": rx.url("/a"), "uid": "ed", "secret": RFC8032_SECRET}),
        )
        .await;
    assert!(
        !ep.to_string().contains("whsk_"),
        "the endpoint never shows its secret key"
    );
    let secret_path = format!("/api/v1/app/{app}/endpoint/ed/secret");
    let shown = h.get(&secret_path).await.expect(200).json["key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        public_key(&shown),
        rfc8032_public(),
        "GET …/secret is the public key"
    );

    let first = deliver(&h, &mut rx, &workers, &app, 1).await;
    assert_eq!(schemes(&first), ["v1a"]);
    assert!(verifies(&first, &rfc8032_public()));
    assert_eq!(
        first.header("svix-signature"),
        first.header("webhook-signature")
    );

    // Rotating to an HMAC secret: during the grace period both sign, each in its scheme.
    let rotated = h
        .raw(
            axum::http::Method::POST,
            &format!("{secret_path}/rotate"),
            Some(h.admin.as_str()),
            Some(&json!({"key": SECRET}).to_string()),
            &[("prefer", "return=representation")],
        )
        .await
        .expect(200);
    assert_eq!(rotated.json["key"], SECRET);
    let second = deliver(&h, &mut rx, &workers, &app, 2).await;
    assert_eq!(schemes(&second), ["v1", "v1a"]);
    assert!(verify(&second, SECRET));
    assert!(verifies(&second, &rfc8032_public()));

    // Rotating back to ed25519, with a new key pair: three secrets sign, two in each scheme's
    // turn.
    let generated = hookd_core::signing::EndpointSecret::generate(
        SignatureType::Ed25519,
        &mut rand::thread_rng(),
    );
    h.post(
        &format!("{secret_path}/rotate"),
        json!({"key": generated.to_text()}),
    )
    .await
    .expect(204);
    let new_public = h.get(&secret_path).await.expect(200).json["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let third = deliver(&h, &mut rx, &workers, &app, 3).await;
    assert_eq!(schemes(&third), ["v1", "v1a", "v1a"]);
    assert!(verifies(&third, &public_key(&new_public)));
    assert!(verifies(&third, &rfc8032_public()));
    assert!(verify(&third, SECRET));

    // After the grace period only the current key signs.
    h.clock.advance(ChronoDuration::hours(25));
    let fourth = deliver(&h, &mut rx, &workers, &app, 4).await;
    assert_eq!(schemes(&fourth), ["v1a"]);
    assert!(verifies(&fourth, &public_key(&new_public)));
    assert!(!verifies(&fourth, &rfc8032_public()));
    workers.shutdown().await;
}

/// With `default_signature_type = "ed25519"`, an endpoint created without a secret gets a
/// generated ed25519 key: its secret reads as `whpk_`, and its deliveries verify under it.
#[tokio::test]
async fn the_default_signature_type_decides_what_a_new_endpoint_gets() {
    let (h, _store, workers) =
        api_world(|c| c.default_signature_type = SignatureType::Ed25519).await;
    let mut rx = Receiver::start(&[]).await;
    let app = h.app("ed-default").await;
    h.endpoint(&app, json!({"url": rx.url("/a"), "uid": "gen"}))
        .await;
    let shown = h
        .get(&format!("/api/v1/app/{app}/endpoint/gen/secret"))
        .await
        .expect(200)
        .json["key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(shown.starts_with("whpk_"), "{shown}");
    let seen = deliver(&h, &mut rx, &workers, &app, 1).await;
    assert_eq!(schemes(&seen), ["v1a"]);
    assert!(verifies(&seen, &public_key(&shown)));
    // A secret given explicitly still decides: HMAC here.
    h.endpoint(
        &app,
        json!({"url": rx.url("/b"), "uid": "given", "secret": SECRET}),
    )
    .await;
    let shown = h
        .get(&format!("/api/v1/app/{app}/endpoint/given/secret"))
        .await
        .expect(200);
    assert_eq!(shown.json["key"], SECRET);
    workers.shutdown().await;
}
