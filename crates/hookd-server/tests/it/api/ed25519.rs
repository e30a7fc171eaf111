//! ed25519 endpoint secrets through the API: creating an endpoint with a `whsk_` secret, the
//! `whpk_` public key it reads back as, refusals that name the field, rotation (keeping the
//! endpoint's kind when no key is given, mixing kinds when one is), and the server's default
//! signature type for endpoints created without a secret (by POST and by PUT).

use hookd_core::{
    clock::Clock,
    id::AppId,
    signing::{EndpointSecret, SignatureType},
};
use hookd_server::config::ServerConfig;
use serde_json::json;

use crate::common::Harness;

/// RFC 8032 §7.1 TEST 1's key pair as a `whsk_` secret, and its `whpk_` public key.
const ED_SECRET: &str =
    "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2DXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg==";
const ED_PUBLIC: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
const HMAC_SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

/// Secrets that are refused, each with the reason's gist.
const BAD: [(&str, &str); 4] = [
    // The 32-byte seed alone.
    (
        "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
        "64 bytes",
    ),
    // Svix's damaged key: the public half does not belong to the seed.
    (
        "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlaaaaaaaaaaAJ6p9lMicMFs6Kvg==",
        "does not belong",
    ),
    (ED_PUBLIC, "public key"),
    ("whsk_not base64!", "base64"),
];

async fn secret_of(h: &Harness, app: &str, ep: &str) -> String {
    h.get(&format!("/api/v1/app/{app}/endpoint/{ep}/secret"))
        .await
        .expect(200)
        .json["key"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn stored(h: &Harness, app: &str, ep: &str) -> hookd_core::model::Endpoint {
    h.store()
        .get_endpoint(&AppId::from_trusted(app), ep)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn a_whsk_secret_is_kept_and_reads_back_as_its_public_key() {
    let h = Harness::new().await;
    let app = h.app("a").await;
    h.endpoint(
        "a",
        json!({"url": "https://e.com", "uid": "ed", "secret": ED_SECRET}),
    )
    .await;
    assert_eq!(secret_of(&h, "a", "ed").await, ED_PUBLIC);
    assert_eq!(stored(&h, &app, "ed").await.secret, ED_SECRET);
    for (secret, gist) in BAD {
        let r = h
            .post(
                "/api/v1/app/a/endpoint",
                json!({"url": "https://e.com", "secret": secret}),
            )
            .await
            .expect(422);
        assert_eq!(r.loc(), ["body", "secret"], "{secret}");
        let msg = r.json["detail"][0]["msg"].as_str().unwrap();
        assert!(msg.contains(gist), "{secret}: {msg}");
        let r = h
            .post(
                "/api/v1/app/a/endpoint/ed/secret/rotate",
                json!({"key": secret}),
            )
            .await
            .expect(422);
        assert_eq!(r.loc(), ["body", "key"], "{secret}");
    }
    assert_eq!(
        secret_of(&h, "a", "ed").await,
        ED_PUBLIC,
        "refused rotations change nothing"
    );
}

#[tokio::test]
async fn rotation_keeps_the_kind_unless_a_key_of_the_other_kind_is_given() {
    let h = Harness::new().await;
    let app = h.app("a").await;
    h.endpoint(
        "a",
        json!({"url": "https://e.com", "uid": "ed", "secret": ED_SECRET}),
    )
    .await;
    let rotate = "/api/v1/app/a/endpoint/ed/secret/rotate";

    // Without a key: a new ed25519 key pair; the old one keeps signing.
    h.post(rotate, json!({})).await.expect(204);
    let shown = secret_of(&h, "a", "ed").await;
    assert!(shown.starts_with("whpk_") && shown != ED_PUBLIC, "{shown}");
    let ep = stored(&h, &app, "ed").await;
    assert!(ep.secret.starts_with("whsk_"));
    assert_eq!(ep.old_secrets[0].key, ED_SECRET);

    // With an HMAC key: the endpoint switches kinds; the ed25519 keys keep signing beside it.
    h.post(rotate, json!({"key": HMAC_SECRET}))
        .await
        .expect(204);
    assert_eq!(secret_of(&h, "a", "ed").await, HMAC_SECRET);
    let ep = stored(&h, &app, "ed").await;
    let kinds: Vec<SignatureType> = ep
        .signing_secrets(h.clock.now())
        .iter()
        .map(EndpointSecret::kind)
        .collect();
    assert_eq!(
        kinds,
        [
            SignatureType::Hmac,
            SignatureType::Ed25519,
            SignatureType::Ed25519
        ]
    );

    // And back, without a key: HMAC it stays.
    h.post(rotate, json!({})).await.expect(204);
    assert!(secret_of(&h, "a", "ed").await.starts_with("whsec_"));

    // A 2.x SDK's rotation answer shows the public key too.
    h.post(rotate, json!({"key": ED_SECRET})).await.expect(204);
    let r = h
        .raw(
            axum::http::Method::POST,
            rotate,
            Some(h.admin.as_str()),
            Some("{}"),
            &[("user-agent", "svix-libs/2.9.1/python")],
        )
        .await
        .expect(200);
    let key = r.json["key"].as_str().unwrap();
    assert!(key.starts_with("whpk_") && key != ED_PUBLIC, "{key}");
}

#[tokio::test]
async fn new_endpoints_without_a_secret_get_the_default_signature_type() {
    let h = Harness::with_config(ServerConfig {
        default_signature_type: SignatureType::Ed25519,
        ..ServerConfig::default()
    })
    .await;
    let app = h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "posted"}))
        .await;
    h.put(
        "/api/v1/app/a/endpoint/upserted",
        json!({"url": "https://e.com/2"}),
    )
    .await
    .expect(201);
    for uid in ["posted", "upserted"] {
        assert!(secret_of(&h, "a", uid).await.starts_with("whpk_"), "{uid}");
        let secret = EndpointSecret::parse(&stored(&h, &app, uid).await.secret).unwrap();
        assert_eq!(secret.kind(), SignatureType::Ed25519, "{uid}");
    }
    // The server's default is HMAC, as in Svix.
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "plain"}))
        .await;
    assert!(secret_of(&h, "a", "plain").await.starts_with("whsec_"));
}
