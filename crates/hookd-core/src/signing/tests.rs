//! Tests of Standard Webhooks signing: known answers for both schemes, parsing and refusal of
//! secrets, and rotation headers that mix schemes.

use super::*;
use rand::{rngs::StdRng, SeedableRng};

/// The two known-answer vectors published by the Standard Webhooks reference library and
/// the Svix server's tests (see shared/reference/anchors.md).
const VECTORS: [(&str, &str, i64, &str, &str); 2] = [
    (
        "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
        "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
        1649367553,
        r#"{"email":"test@example.com","username":"test_user"}"#,
        "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=",
    ),
    (
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        r#"{"test": 2432232314}"#,
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    ),
];

/// The ed25519 key of RFC 8032 §7.1, TEST 1 (seed 9d61b1…7f60, public key d75a98…511a),
/// written as a Standard Webhooks `whsk_` secret, and its `whpk_` public key.
const ED25519_SECRET: &str =
    "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2DXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg==";
const ED25519_PUBLIC: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

/// ed25519 known answers over the same messages as the HMAC vectors. They were computed
/// independently of this crate, with Python's `cryptography` 48.0.0
/// (`Ed25519PrivateKey.from_private_bytes(seed).sign(b"{id}.{ts}.{body}")`); ed25519 signatures
/// are deterministic, so any correct implementation gives the same bytes.
const ED25519_VECTORS: [(&str, i64, &str, &str); 2] = [
    (
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        r#"{"test": 2432232314}"#,
        "v1a,fldxM4gAKugP6nnt1hdz3sgGfZ6d99nzrMFnZOELIxbzEHoVmAb2ADpkJK7zgPePmPsle0zV9jSeGlHFG2NVAw==",
    ),
    (
        "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk",
        1649367553,
        r#"{"email":"test@example.com","username":"test_user"}"#,
        "v1a,jfp5j4J3Buv9EPOcc9Bqo8rJqAO1H6lrRl0WZQdzVZI6IttNPT8HSLyPvUvY54dJJt2BQGA01di1ePvigCwlCw==",
    ),
];

#[test]
fn known_answer_vectors() {
    for (secret, id, ts, body, expected) in VECTORS {
        let secret = EndpointSecret::parse(secret).unwrap();
        assert_eq!(secret.kind(), SignatureType::Hmac);
        assert_eq!(secret.sign(id, ts, body.as_bytes()), expected);
        assert!(verify(&secret, expected, id, ts, body.as_bytes()));
    }
}

#[test]
fn ed25519_known_answer_vectors() {
    let secret = EndpointSecret::parse(ED25519_SECRET).unwrap();
    assert_eq!(secret.kind(), SignatureType::Ed25519);
    assert_eq!(secret.to_text(), ED25519_SECRET, "stored as given");
    assert_eq!(secret.to_verification_text(), ED25519_PUBLIC);
    for (id, ts, body, expected) in ED25519_VECTORS {
        assert_eq!(secret.sign(id, ts, body.as_bytes()), expected);
        assert!(verify(&secret, expected, id, ts, body.as_bytes()));
        assert!(verify_public(
            ED25519_PUBLIC,
            expected,
            id,
            ts,
            body.as_bytes()
        ));
        assert!(!verify_public(
            ED25519_PUBLIC,
            expected,
            id,
            ts + 1,
            body.as_bytes()
        ));
    }
}

#[test]
fn bare_base64_and_prefixed_parse_alike() {
    let a = EndpointSecret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    let b = EndpointSecret::parse("C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    assert_eq!(a, b);
    assert_eq!(a.to_text(), "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
    assert_eq!(
        a.to_verification_text(),
        a.to_text(),
        "HMAC shows its secret"
    );
}

#[test]
fn bad_secrets_are_refused() {
    let cases = [
        ("whsec_!!!", SecretError::NotBase64),
        ("whsec_c2hvcnQ=", SecretError::BadLength),
        ("whsk_!!!", SecretError::NotBase64),
        // The seed alone (32 bytes), without its public key.
        (
            "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
            SecretError::BadKeyPairLength,
        ),
        // Svix's own test of a damaged key: the public half does not match the seed.
        (
            "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlaaaaaaaaaaAJ6p9lMicMFs6Kvg==",
            SecretError::KeyPairMismatch,
        ),
        (ED25519_PUBLIC, SecretError::PublicKeyGiven),
    ];
    for (text, expected) in cases {
        assert_eq!(EndpointSecret::parse(text), Err(expected), "{text}");
    }
    // Svix's valid counterpart of the damaged key parses.
    let svix = "whsk_6Xb/dCcHpPea21PS1N9VY/NZW723CEc77N4rJCubMbfVKIDij2HKpMKkioLlX0dRqSKJp4AJ6p9lMicMFs6Kvg==";
    assert_eq!(EndpointSecret::parse(svix).unwrap().to_text(), svix);
}

#[test]
fn generated_secrets_round_trip_and_are_of_their_kind() {
    let mut rng = StdRng::seed_from_u64(11);
    for kind in [SignatureType::Hmac, SignatureType::Ed25519] {
        let secret = EndpointSecret::generate(kind, &mut rng);
        assert_eq!(secret.kind(), kind);
        assert_eq!(EndpointSecret::parse(&secret.to_text()).unwrap(), secret);
        assert!(!format!("{secret:?}").contains(&secret.to_text()[6..]));
    }
    let ed = EndpointSecret::generate(SignatureType::Ed25519, &mut rng);
    assert!(ed.to_text().starts_with("whsk_"));
    assert!(ed.to_verification_text().starts_with("whpk_"));
    let sig = ed.sign("msg_x", 1, b"{}");
    assert!(verify_public(
        &ed.to_verification_text(),
        &sig,
        "msg_x",
        1,
        b"{}"
    ));
}

#[test]
fn rotation_header_verifies_with_either_secret() {
    let mut rng = StdRng::seed_from_u64(7);
    let old = EndpointSecret::generate(SignatureType::Hmac, &mut rng);
    let new = EndpointSecret::generate(SignatureType::Hmac, &mut rng);
    let header = signature_header([&new, &old], "msg_x", 1_700_000_000, b"{}");
    assert_eq!(header.split(' ').count(), 2);
    assert!(verify(&old, &header, "msg_x", 1_700_000_000, b"{}"));
    assert!(verify(&new, &header, "msg_x", 1_700_000_000, b"{}"));
    let stranger = EndpointSecret::generate(SignatureType::Hmac, &mut rng);
    assert!(!verify(&stranger, &header, "msg_x", 1_700_000_000, b"{}"));
    assert!(!verify(&new, &header, "msg_x", 1_700_000_000, b"{\"a\":1}"));
}

#[test]
fn mixed_rotation_signs_in_both_schemes() {
    let mut rng = StdRng::seed_from_u64(9);
    let hmac = EndpointSecret::generate(SignatureType::Hmac, &mut rng);
    let ed = EndpointSecret::generate(SignatureType::Ed25519, &mut rng);
    let header = signature_header([&ed, &hmac], "msg_y", 1_700_000_000, b"[]");
    let parts: Vec<&str> = header.split(' ').collect();
    assert!(parts[0].starts_with("v1a,") && parts[1].starts_with("v1,"));
    assert!(verify(&hmac, &header, "msg_y", 1_700_000_000, b"[]"));
    assert!(verify(&ed, &header, "msg_y", 1_700_000_000, b"[]"));
    assert!(verify_public(
        &ed.to_verification_text(),
        &header,
        "msg_y",
        1_700_000_000,
        b"[]"
    ));
    // An HMAC secret never accepts the ed25519 entry, nor the reverse.
    assert!(!verify(&hmac, parts[0], "msg_y", 1_700_000_000, b"[]"));
    assert!(!verify(&ed, parts[1], "msg_y", 1_700_000_000, b"[]"));
}

#[test]
fn the_signature_type_setting_reads_svix_spellings() {
    let read = |s: &str| serde_json::from_str::<SignatureType>(s);
    assert_eq!(read(r#""hmac""#).unwrap(), SignatureType::Hmac);
    assert_eq!(read(r#""hmac256""#).unwrap(), SignatureType::Hmac);
    assert_eq!(read(r#""ed25519""#).unwrap(), SignatureType::Ed25519);
    assert!(read(r#""rsa""#).is_err());
}
