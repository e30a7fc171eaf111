//! Standard Webhooks signing over `{webhook-id}.{webhook-timestamp}.{body}`, with either kind
//! of secret the spec defines:
//!
//! - symmetric: HMAC-SHA256 under random bytes shown as `whsec_<base64>`; signatures read
//!   `v1,<base64>`, and receivers verify with the same secret;
//! - asymmetric: ed25519 (the `ed25519-dalek` crate) under a key pair written as
//!   `whsk_<base64 of the 64-byte secret key>`, which is the 32-byte seed followed by its
//!   32-byte public key (the layout Svix reads and writes); signatures read `v1a,<base64>`, and
//!   receivers verify with the public key alone, shown as `whpk_<base64>`.
//!
//! This module only computes and checks signatures; it must not choose secrets' lifetimes
//! (rotation policy lives with the endpoint model) nor draw randomness except through the
//! `rng` it is handed.

use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The prefix that marks a symmetric Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// The prefix that marks an ed25519 secret key (seed and public key).
pub const ED25519_SECRET_PREFIX: &str = "whsk_";
/// The prefix that marks an ed25519 public key, what receivers of an ed25519 endpoint hold.
pub const ED25519_PUBLIC_PREFIX: &str = "whpk_";

/// The spec asks for 24 to 64 random bytes; Svix accepts up to 75 (its input pattern allows
/// 100 base64 characters), and we accept what Svix accepts so its users' secrets carry over.
pub const MIN_SECRET_BYTES: usize = 24;
/// See [`MIN_SECRET_BYTES`].
pub const MAX_SECRET_BYTES: usize = 75;
/// Generated secrets use the spec's minimum, as Svix does: 192 bits is ample for HMAC keys.
pub const GENERATED_SECRET_BYTES: usize = 24;
/// An ed25519 secret key as the spec and Svix serialize it: the 32-byte seed, then the 32-byte
/// public key derived from it (so that a reader can check the two belong together).
pub const ED25519_KEYPAIR_BYTES: usize = 64;

/// What [`EndpointSecret::parse`] accepts, as a regular expression for the API's document:
/// canonical base64 (padded, no stray bits) of 24 to 75 bytes, bare or after `whsec_`, or
/// `whsk_` and the base64 of 64 bytes. That the public half of a `whsk_` key belongs to its
/// seed is the one rule no pattern can say.
pub const SECRET_PATTERN: &str = concat!(
    r"^(?:(?:whsec_)?(?:(?:[A-Za-z0-9+/]{4}){8,25}|(?:[A-Za-z0-9+/]{4}){8,24}",
    r"(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=))",
    r"|whsk_(?:[A-Za-z0-9+/]{4}){21}[A-Za-z0-9+/][AQgw]==)$"
);

/// Which kind of secret signs: what a new endpoint gets when its creator gives none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignatureType {
    /// HMAC-SHA256 (`v1,`), Svix's default. `hmac256` is Svix's spelling of the setting.
    #[default]
    #[serde(alias = "hmac256")]
    Hmac,
    /// ed25519 (`v1a,`).
    Ed25519,
}

/// Why a secret string was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SecretError {
    /// The text after the prefix is not base64.
    #[error("the secret is not valid base64")]
    NotBase64,
    /// A symmetric key is outside the accepted length.
    #[error("the secret must decode to between {MIN_SECRET_BYTES} and {MAX_SECRET_BYTES} bytes")]
    BadLength,
    /// A `whsk_` key is not a whole key pair.
    #[error(
        "a whsk_ secret must decode to {ED25519_KEYPAIR_BYTES} bytes: the ed25519 seed, then \
         its public key"
    )]
    BadKeyPairLength,
    /// The public half of a `whsk_` key is not the one its seed derives.
    #[error("the public key in this whsk_ secret does not belong to its seed")]
    KeyPairMismatch,
    /// A `whpk_` public key was given where a signing secret is needed.
    #[error("a whpk_ public key cannot sign; give the whsk_ secret key")]
    PublicKeyGiven,
}

/// The key material of a secret.
#[derive(Clone, PartialEq, Eq)]
enum Key {
    Hmac(Vec<u8>),
    Ed25519(Box<SigningKey>),
}

/// An endpoint's signing secret, of either kind.
#[derive(Clone, PartialEq, Eq)]
pub struct EndpointSecret {
    key: Key,
}

impl std::fmt::Debug for EndpointSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach logs, not even through Debug.
        write!(f, "EndpointSecret({:?}, ..)", self.kind())
    }
}

/// The signed content: `{msg_id}.{timestamp}.{body}`.
fn signed_content(msg_id: &str, timestamp: i64, body: &[u8]) -> Vec<u8> {
    let ts = timestamp.to_string();
    let mut content = Vec::with_capacity(msg_id.len() + ts.len() + body.len() + 2);
    content.extend_from_slice(msg_id.as_bytes());
    content.push(b'.');
    content.extend_from_slice(ts.as_bytes());
    content.push(b'.');
    content.extend_from_slice(body);
    content
}

impl EndpointSecret {
    /// Parses `whsk_<base64>` (ed25519), or `whsec_<base64>` or bare base64 (HMAC), as the
    /// Svix API accepts all three. A `whsk_` key must hold a seed and the public key that seed
    /// derives: a mismatch would sign with one key while showing receivers another.
    pub fn parse(s: &str) -> Result<Self, SecretError> {
        if s.starts_with(ED25519_PUBLIC_PREFIX) {
            return Err(SecretError::PublicKeyGiven);
        }
        if let Some(body) = s.strip_prefix(ED25519_SECRET_PREFIX) {
            let bytes = B64.decode(body).map_err(|_| SecretError::NotBase64)?;
            let pair: &[u8; ED25519_KEYPAIR_BYTES] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| SecretError::BadKeyPairLength)?;
            let key =
                SigningKey::from_keypair_bytes(pair).map_err(|_| SecretError::KeyPairMismatch)?;
            return Ok(Self {
                key: Key::Ed25519(Box::new(key)),
            });
        }
        let body = s.strip_prefix(SECRET_PREFIX).unwrap_or(s);
        let key = B64.decode(body).map_err(|_| SecretError::NotBase64)?;
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&key.len()) {
            return Err(SecretError::BadLength);
        }
        Ok(Self {
            key: Key::Hmac(key),
        })
    }

    /// A new random secret of `kind`.
    pub fn generate(kind: SignatureType, rng: &mut dyn RngCore) -> Self {
        match kind {
            SignatureType::Hmac => {
                let mut key = vec![0u8; GENERATED_SECRET_BYTES];
                rng.fill_bytes(&mut key);
                Self {
                    key: Key::Hmac(key),
                }
            }
            SignatureType::Ed25519 => {
                // An ed25519 secret key is 32 uniformly random bytes (RFC 8032 §5.1.5).
                let mut seed = [0u8; ed25519_dalek::SECRET_KEY_LENGTH];
                rng.fill_bytes(&mut seed);
                Self {
                    key: Key::Ed25519(Box::new(SigningKey::from_bytes(&seed))),
                }
            }
        }
    }

    /// Which kind of secret this is.
    pub fn kind(&self) -> SignatureType {
        match &self.key {
            Key::Hmac(_) => SignatureType::Hmac,
            Key::Ed25519(_) => SignatureType::Ed25519,
        }
    }

    /// The secret's own serialization, what is stored: `whsec_…` or `whsk_…`.
    pub fn to_text(&self) -> String {
        match &self.key {
            Key::Hmac(key) => format!("{SECRET_PREFIX}{}", B64.encode(key)),
            Key::Ed25519(key) => {
                format!(
                    "{ED25519_SECRET_PREFIX}{}",
                    B64.encode(key.to_keypair_bytes())
                )
            }
        }
    }

    /// What receivers verify with, as `GET …/secret` shows it: the `whsec_` secret itself for
    /// HMAC (a symmetric scheme has nothing else to give), the `whpk_` public key for ed25519
    /// (the secret key never leaves hookd).
    pub fn to_verification_text(&self) -> String {
        match &self.key {
            Key::Hmac(_) => self.to_text(),
            Key::Ed25519(key) => format!(
                "{ED25519_PUBLIC_PREFIX}{}",
                B64.encode(key.verifying_key().as_bytes())
            ),
        }
    }

    /// The signature of one message: `v1,<base64>` for HMAC, `v1a,<base64>` for ed25519.
    pub fn sign(&self, msg_id: &str, timestamp: i64, body: &[u8]) -> String {
        let content = signed_content(msg_id, timestamp, body);
        match &self.key {
            Key::Hmac(key) => {
                let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any size");
                mac.update(&content);
                format!("v1,{}", B64.encode(mac.finalize().into_bytes()))
            }
            Key::Ed25519(key) => format!("v1a,{}", B64.encode(key.sign(&content).to_bytes())),
        }
    }
}

/// The value of the `webhook-signature` header: one signature per secret, space-separated, so
/// a receiver holding either the new or the old secret during a rotation can verify. Secrets
/// of both kinds may be mixed (a rotation from HMAC to ed25519 or back): each signs in its own
/// scheme, and each receiver checks the entries of the scheme it knows.
pub fn signature_header<'a>(
    secrets: impl IntoIterator<Item = &'a EndpointSecret>,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .into_iter()
        .map(|s| s.sign(msg_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether any signature in `header` was made with `secret` over this message: a `v1` entry
/// for an HMAC secret (compared in constant time by HMAC's own `verify_slice`), a `v1a` entry
/// for an ed25519 one. Used by tests and by our own fake receivers; real receivers use a
/// Standard Webhooks library.
pub fn verify(
    secret: &EndpointSecret,
    header: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> bool {
    let content = signed_content(msg_id, timestamp, body);
    header.split(' ').any(|part| match &secret.key {
        Key::Hmac(key) => part
            .strip_prefix("v1,")
            .and_then(|sig| B64.decode(sig).ok())
            .is_some_and(|bytes| {
                let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes keys of any size");
                mac.update(&content);
                mac.verify_slice(&bytes).is_ok()
            }),
        Key::Ed25519(key) => verify_v1a(&key.verifying_key(), part, &content),
    })
}

/// Whether any `v1a` signature in `header` verifies under the `whpk_` public key `public_key`
/// over this message: what a receiver of an ed25519 endpoint does. `false` for a malformed key.
pub fn verify_public(
    public_key: &str,
    header: &str,
    msg_id: &str,
    timestamp: i64,
    body: &[u8],
) -> bool {
    let Some(key) = public_key
        .strip_prefix(ED25519_PUBLIC_PREFIX)
        .and_then(|b| B64.decode(b).ok())
        .and_then(|b| <[u8; 32]>::try_from(b.as_slice()).ok())
        .and_then(|b| VerifyingKey::from_bytes(&b).ok())
    else {
        return false;
    };
    let content = signed_content(msg_id, timestamp, body);
    header
        .split(' ')
        .any(|part| verify_v1a(&key, part, &content))
}

fn verify_v1a(key: &VerifyingKey, part: &str, content: &[u8]) -> bool {
    part.strip_prefix("v1a,")
        .and_then(|sig| B64.decode(sig).ok())
        .and_then(|bytes| ed25519_dalek::Signature::from_slice(&bytes).ok())
        .is_some_and(|sig| key.verify(content, &sig).is_ok())
}

#[cfg(test)]
mod tests;
