//! API token text and its stored hash. A token's text is shown once, at creation; only its
//! SHA-256 is stored. A plain fast hash is right here (unlike for passwords) because token
//! text is 190 bits of randomness: there is nothing to brute-force, and every API request has
//! to look a token up.
//!
//! This module must not store or log token text.

use rand::{distributions::Alphanumeric, Rng, RngCore};
use sha2::{Digest, Sha256};

/// Prefix of admin tokens (full access).
pub const ADMIN_TOKEN_PREFIX: &str = "hk_";
/// Prefix of application-scoped tokens such as the portal's, as Svix names them.
pub const APP_TOKEN_PREFIX: &str = "appsk_";
/// 32 base62 characters carry about 190 bits.
const TOKEN_BODY_LEN: usize = 32;

/// A new token text with `prefix`. It contains no `.`, because Svix SDKs read a region from a
/// dotted suffix of the token.
pub fn generate_text(prefix: &str, rng: &mut dyn RngCore) -> String {
    let body: String = (0..TOKEN_BODY_LEN)
        .map(|_| char::from(rng.sample(Alphanumeric)))
        .collect();
    format!("{prefix}{body}")
}

/// The hex SHA-256 of a token text: what the store keeps and looks up.
pub fn hash_text(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn tokens_are_prefixed_random_and_hash_stably() {
        let mut rng = StdRng::seed_from_u64(9);
        let a = generate_text(ADMIN_TOKEN_PREFIX, &mut rng);
        let b = generate_text(ADMIN_TOKEN_PREFIX, &mut rng);
        assert!(a.starts_with("hk_") && a.len() == 35 && !a.contains('.'));
        assert_ne!(a, b);
        assert_eq!(hash_text(&a), hash_text(&a));
        assert_ne!(hash_text(&a), hash_text(&b));
        assert_eq!(
            hash_text("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
