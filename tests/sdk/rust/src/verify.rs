//! An independent Standard Webhooks verifier, built on RustCrypto's `hmac`/`sha2` and
//! `ed25519-dalek` rather than the SDK's `webhooks` module: `v1,` HMAC-SHA256 signatures for
//! `whsec_` secrets, and `v1a,` ed25519 signatures checked with an endpoint's `whpk_` public
//! key. It must not use the svix crate: the point is to check hookd with code that shares
//! nothing with the SDK under test.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD, Engine};
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Standard Webhooks' tolerance between the signed timestamp and the receiver's clock.
const TOLERANCE_SECS: i64 = 5 * 60;

fn signed_content(headers: &BTreeMap<String, String>, body: &[u8]) -> Option<Vec<u8>> {
    let id = headers.get("webhook-id")?;
    let ts = headers.get("webhook-timestamp")?;
    let now = chrono::Utc::now().timestamp();
    if (now - ts.parse::<i64>().ok()?).abs() > TOLERANCE_SECS {
        return None;
    }
    let mut content = format!("{id}.{ts}.").into_bytes();
    content.extend_from_slice(body);
    Some(content)
}

/// The decoded signatures of `version` (`v1`, `v1a`) in `webhook-signature`.
fn signatures(headers: &BTreeMap<String, String>, version: &str) -> Vec<Vec<u8>> {
    let prefix = format!("{version},");
    headers
        .get("webhook-signature")
        .map(String::as_str)
        .unwrap_or_default()
        .split(' ')
        .filter_map(|s| s.strip_prefix(prefix.as_str()))
        .filter_map(|s| STANDARD.decode(s).ok())
        .collect()
}

/// Whether some `v1,` signature of the delivery is the HMAC of `whsec_…` `secret`.
pub fn hmac(secret: &str, headers: &BTreeMap<String, String>, body: &[u8]) -> bool {
    let Some(content) = signed_content(headers, body) else {
        return false;
    };
    let Ok(key) = STANDARD.decode(secret.trim_start_matches("whsec_")) else {
        return false;
    };
    signatures(headers, "v1").iter().any(|sig| {
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes any key length");
        mac.update(&content);
        // `verify_slice` compares in constant time.
        mac.verify_slice(sig).is_ok()
    })
}

/// Whether some `v1a,` signature of the delivery verifies with `whpk_…` `public_key`.
pub fn ed25519(public_key: &str, headers: &BTreeMap<String, String>, body: &[u8]) -> bool {
    let Some(content) = signed_content(headers, body) else {
        return false;
    };
    let Some(key) = STANDARD
        .decode(public_key.trim_start_matches("whpk_"))
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
    else {
        return false;
    };
    signatures(headers, "v1a").iter().any(|sig| {
        Signature::from_slice(sig).is_ok_and(|sig| key.verify_strict(&content, &sig).is_ok())
    })
}

/// Signs a delivery with a fixed key of our own and checks that the verifier accepts it, and
/// refuses it tampered: the ed25519 path is exercised before hookd signs with it.
pub fn ed25519_self_test() -> bool {
    let key = SigningKey::from_bytes(&[7; 32]);
    let public = format!("whpk_{}", STANDARD.encode(key.verifying_key().as_bytes()));
    let mut headers = BTreeMap::from([
        ("webhook-id".to_owned(), "msg_selftest".to_owned()),
        (
            "webhook-timestamp".to_owned(),
            chrono::Utc::now().timestamp().to_string(),
        ),
    ]);
    let body = br#"{"self":"test"}"#;
    let content = signed_content(&headers, body).expect("fresh headers");
    let sig = STANDARD.encode(key.sign(&content).to_bytes());
    headers.insert(
        "webhook-signature".to_owned(),
        format!("v1,bm90LWhtYWM= v1a,{sig}"),
    );
    ed25519(&public, &headers, body) && !ed25519(&public, &headers, br#"{"self":"tampered"}"#)
}

/// A new `whsk_` secret from a fixed seed: the seed followed by the public key, in base64
/// (the layout of an ed25519 key pair's bytes).
pub fn ed25519_secret(seed: u8) -> String {
    let key = SigningKey::from_bytes(&[seed; 32]);
    format!("whsk_{}", STANDARD.encode(key.to_keypair_bytes()))
}
