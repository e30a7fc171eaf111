//! Encryption of endpoint signing secrets at rest, under operator keys (`HOOKD_ENCRYPTION_KEY`).
//!
//! A store that was given a [`Sealer`] writes each endpoint's current and rotated-out secrets
//! sealed, and opens them as it reads them, so the rest of hookd only ever sees `whsec_…`
//! text. Someone who reads the database (a backup, a replica, a leaked dump) learns nothing
//! that signs webhooks.
//!
//! # Format
//! `sealed:v1:<key id>:<base64 of nonce ‖ ciphertext>`, where the cipher is XChaCha20-Poly1305
//! (the `chacha20poly1305` crate), the nonce is 24 random bytes (large enough that random
//! nonces never collide), the key id is the first 4 bytes of the key's SHA-256 in hex (so a
//! reader picks the right key without trying each), and the endpoint's id is the associated
//! data: a sealed secret copied onto another endpoint's row does not open.
//!
//! # Rotation without downtime
//! A sealer holds one *primary* key, which seals, and any number of older keys, which only
//! open. To rotate: give every process `new,old` (they now read both and write with the new
//! one), run `hookd secrets reseal` (it rewrites every row under the primary key, see
//! `Directory::reseal_endpoint_secrets`), then drop `old`. Text that is not sealed (`whsec_…`,
//! written before encryption was turned on) is read as it is, so turning encryption on needs
//! no migration either; the reseal seals it.
//!
//! This module must not choose keys, read the environment or log anything it handles.

use base64::{engine::general_purpose::STANDARD, Engine as _};
use chacha20poly1305::{
    aead::{Aead, KeyInit, Payload},
    XChaCha20Poly1305, XNonce,
};
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};

use crate::{
    model::{Endpoint, OldSecret},
    store::{StoreError, StoreResult},
};

/// What every sealed value starts with, followed by the format version.
const PREFIX: &str = "sealed:v1:";
/// XChaCha20's nonce length: 192 bits, so random nonces are safe for any number of seals.
const NONCE_LEN: usize = 24;
/// Key length of XChaCha20-Poly1305.
const KEY_LEN: usize = 32;

/// Why a key or a sealed value was refused. Messages never repeat key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// No key was given.
    #[error("no encryption key given")]
    NoKey,
    /// A key is not base64 of exactly 32 bytes.
    #[error("encryption key {position} is not 32 bytes in base64 (generate one with `openssl rand -base64 32`)")]
    BadKey {
        /// The key's 1-based position in the list.
        position: usize,
    },
    /// The value was sealed with a key this sealer does not hold.
    #[error("a secret is sealed with key {key_id}, which is not among the configured keys")]
    UnknownKey {
        /// The id in the sealed value.
        key_id: String,
    },
    /// The value is damaged, or belongs to another endpoint.
    #[error("a sealed secret does not open: damaged, or copied from another endpoint")]
    Corrupt,
}

/// One key with its id.
#[derive(Clone)]
struct Key {
    id: String,
    cipher: XChaCha20Poly1305,
}

impl Key {
    fn new(bytes: &[u8; KEY_LEN]) -> Self {
        let digest = Sha256::digest(bytes);
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Self {
            id,
            cipher: XChaCha20Poly1305::new(bytes.into()),
        }
    }
}

/// Seals and opens secrets; see the module doc.
#[derive(Clone)]
pub struct Sealer {
    /// The primary key first, then the keys that only open.
    keys: Vec<Key>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Key ids only: they identify keys without revealing them.
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Sealer").field("key_ids", &ids).finish()
    }
}

impl Sealer {
    /// A sealer from `HOOKD_ENCRYPTION_KEY`'s form: base64 keys of 32 bytes, separated by
    /// commas, the primary first.
    pub fn from_keys(text: &str) -> Result<Self, SealError> {
        let keys = text
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .enumerate()
            .map(|(i, k)| {
                let bytes: [u8; KEY_LEN] = STANDARD
                    .decode(k)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or(SealError::BadKey { position: i + 1 })?;
                Ok(Key::new(&bytes))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(SealError::NoKey);
        }
        Ok(Self { keys })
    }

    /// The id of the key that seals.
    pub fn primary_key_id(&self) -> &str {
        &self.keys[0].id
    }

    /// Seals `secret` for the endpoint `endpoint_id` under the primary key.
    pub fn seal(
        &self,
        endpoint_id: &str,
        secret: &str,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> String {
        let key = &self.keys[0];
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: endpoint_id.as_bytes(),
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}:{}", key.id, STANDARD.encode(out))
    }

    /// Opens what [`Self::seal`] wrote for `endpoint_id`; text that is not sealed is returned
    /// as it is.
    pub fn open(&self, endpoint_id: &str, stored: &str) -> Result<String, SealError> {
        let Some(rest) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let (key_id, data) = rest.split_once(':').ok_or(SealError::Corrupt)?;
        let key =
            self.keys
                .iter()
                .find(|k| k.id == key_id)
                .ok_or_else(|| SealError::UnknownKey {
                    key_id: key_id.to_owned(),
                })?;
        let data = STANDARD.decode(data).map_err(|_| SealError::Corrupt)?;
        if data.len() < NONCE_LEN {
            return Err(SealError::Corrupt);
        }
        let (nonce, sealed) = data.split_at(NONCE_LEN);
        let plain = key
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: endpoint_id.as_bytes(),
                },
            )
            .map_err(|_| SealError::Corrupt)?;
        String::from_utf8(plain).map_err(|_| SealError::Corrupt)
    }

    /// Whether `stored` is sealed under the primary key (so resealing it would change nothing).
    pub fn is_current(&self, stored: &str) -> bool {
        stored
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split_once(':'))
            .is_some_and(|(key_id, _)| key_id == self.keys[0].id)
    }

    /// `ep` with its current and old secrets sealed, as a store writes it.
    pub fn seal_endpoint(&self, ep: &Endpoint, rng: &mut (impl RngCore + CryptoRng)) -> Endpoint {
        let id = ep.id.as_str();
        let mut sealed = ep.clone();
        sealed.secret = self.seal(id, &ep.secret, rng);
        for old in &mut sealed.old_secrets {
            old.key = self.seal(id, &old.key, rng);
        }
        sealed
    }

    /// `ep` as read from the store, with its secrets opened.
    pub fn open_endpoint(&self, mut ep: Endpoint) -> Result<Endpoint, SealError> {
        let id = ep.id.as_str().to_owned();
        ep.secret = self.open(&id, &ep.secret)?;
        let opened = ep
            .old_secrets
            .iter()
            .map(|old| {
                Ok(OldSecret {
                    key: self.open(&id, &old.key)?,
                    ..old.clone()
                })
            })
            .collect::<Result<Vec<_>, SealError>>()?;
        ep.old_secrets = opened;
        Ok(ep)
    }

    /// `secret` and `old` (as stored for `endpoint_id`) sealed under the primary key, or
    /// `None` when they already are: what a reseal writes back.
    pub fn reseal(
        &self,
        endpoint_id: &str,
        secret: &str,
        old: &[OldSecret],
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Result<Option<(String, Vec<OldSecret>)>, SealError> {
        if self.is_current(secret) && old.iter().all(|o| self.is_current(&o.key)) {
            return Ok(None);
        }
        let secret = self.seal(endpoint_id, &self.open(endpoint_id, secret)?, rng);
        let old = old
            .iter()
            .map(|o| {
                Ok(OldSecret {
                    key: self.seal(endpoint_id, &self.open(endpoint_id, &o.key)?, rng),
                    expires_at: o.expires_at,
                })
            })
            .collect::<Result<Vec<_>, SealError>>()?;
        Ok(Some((secret, old)))
    }
}

/// `ep` as a store given `sealer` (or none) writes it.
pub fn seal_for_store<'a>(
    sealer: Option<&Sealer>,
    ep: &'a Endpoint,
    rng: &mut (impl RngCore + CryptoRng),
) -> std::borrow::Cow<'a, Endpoint> {
    match sealer {
        Some(sealer) => std::borrow::Cow::Owned(sealer.seal_endpoint(ep, rng)),
        None => std::borrow::Cow::Borrowed(ep),
    }
}

/// `ep` as a store given `sealer` (or none) returns it after reading it. Without a sealer a
/// sealed secret cannot be opened, which is an error rather than a secret that silently fails
/// every signature check.
pub fn open_from_store(sealer: Option<&Sealer>, ep: Endpoint) -> StoreResult<Endpoint> {
    match sealer {
        Some(sealer) => Ok(sealer.open_endpoint(ep)?),
        None if ep.secret.starts_with(PREFIX) => Err(SealError::UnknownKey {
            key_id: "(no HOOKD_ENCRYPTION_KEY is set)".into(),
        }
        .into()),
        None => Ok(ep),
    }
}

impl From<SealError> for StoreError {
    fn from(e: SealError) -> Self {
        StoreError::Other(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
    const KEY_B: &str = "HxwdHhsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA=";

    #[test]
    fn seals_and_opens_bound_to_the_endpoint() {
        let sealer = Sealer::from_keys(KEY_A).unwrap();
        let mut rng = rand::thread_rng();
        let sealed = sealer.seal("ep_1", "whsec_abc", &mut rng);
        assert!(sealed.starts_with("sealed:v1:"), "{sealed}");
        assert!(!sealed.contains("whsec_abc"));
        assert_ne!(
            sealed,
            sealer.seal("ep_1", "whsec_abc", &mut rng),
            "fresh nonce"
        );
        assert_eq!(sealer.open("ep_1", &sealed).unwrap(), "whsec_abc");
        assert_eq!(sealer.open("ep_2", &sealed), Err(SealError::Corrupt));
        assert!(sealer.is_current(&sealed));
    }

    #[test]
    fn plain_text_reads_as_is() {
        let sealer = Sealer::from_keys(KEY_A).unwrap();
        assert_eq!(sealer.open("ep_1", "whsec_abc").unwrap(), "whsec_abc");
        assert!(!sealer.is_current("whsec_abc"));
    }

    #[test]
    fn rotation_reads_old_keys_and_seals_with_the_new() {
        let old = Sealer::from_keys(KEY_A).unwrap();
        let both = Sealer::from_keys(&format!("{KEY_B}, {KEY_A}")).unwrap();
        let new = Sealer::from_keys(KEY_B).unwrap();
        let mut rng = rand::thread_rng();
        let under_old = old.seal("ep_1", "whsec_abc", &mut rng);
        assert_eq!(both.open("ep_1", &under_old).unwrap(), "whsec_abc");
        assert!(!both.is_current(&under_old));
        let resealed = both.seal("ep_1", "whsec_abc", &mut rng);
        assert!(both.is_current(&resealed));
        assert_eq!(new.open("ep_1", &resealed).unwrap(), "whsec_abc");
        assert!(matches!(
            new.open("ep_1", &under_old),
            Err(SealError::UnknownKey { .. })
        ));
    }

    #[test]
    fn damaged_values_and_bad_keys_are_refused() {
        let sealer = Sealer::from_keys(KEY_A).unwrap();
        let id = sealer.primary_key_id().to_owned();
        for bad in [
            format!("sealed:v1:{id}"),
            format!("sealed:v1:{id}:!!!"),
            format!("sealed:v1:{id}:AAAA"),
        ] {
            assert_eq!(sealer.open("ep_1", &bad), Err(SealError::Corrupt), "{bad}");
        }
        let mut sealed = sealer.seal("ep_1", "whsec_abc", &mut rand::thread_rng());
        let last = sealed.pop().unwrap();
        sealed.push(if last == 'A' { 'B' } else { 'A' });
        assert!(sealer.open("ep_1", &sealed).is_err());
        assert!(matches!(Sealer::from_keys(""), Err(SealError::NoKey)));
        assert!(matches!(
            Sealer::from_keys(&format!("{KEY_A},c2hvcnQ=")),
            Err(SealError::BadKey { position: 2 })
        ));
    }
}
