//! Fuzzes the signature header (`hookd_core::signing`): `verify` never panics on any header,
//! secret text parses or is refused without panicking and survives `whsec_` round trips, a
//! header signed with a secret verifies with it (also beside another secret's signature, as
//! during a rotation), and it does not verify for another timestamp or another secret (as HMAC
//! defines "another": see below). It must not assert anything the module's documentation does
//! not promise.

#![no_main]

use arbitrary::Arbitrary;
use hookd_core::signing::{signature_header, verify, EndpointSecret};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    secret_text: String,
    key_a: [u8; 24],
    key_b: [u8; 32],
    header: String,
    msg_id: String,
    timestamp: i64,
    body: Vec<u8>,
}

/// A secret from raw key bytes, through the text form users send.
fn secret(key: &[u8]) -> EndpointSecret {
    use base64_alphabet::encode;
    EndpointSecret::parse(&format!("whsec_{}", encode(key))).expect("24 to 75 bytes parse")
}

/// Standard base64, written out here so the target needs no encoder of its own choosing.
mod base64_alphabet {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

fuzz_target!(|input: Input| {
    // Whether `header` verifies for `secret` over the input's message.
    let verifies = |secret: &EndpointSecret, header: &str| {
        verify(secret, header, &input.msg_id, input.timestamp, &input.body)
    };

    if let Ok(parsed) = EndpointSecret::parse(&input.secret_text) {
        let again = EndpointSecret::parse(&parsed.to_whsec()).expect("a shown secret parses");
        assert_eq!(again, parsed);
        let _ = verifies(&parsed, &input.header);
    }

    let a = secret(&input.key_a);
    let b = secret(&input.key_b);
    let _ = verifies(&a, &input.header);

    let signed = a.sign(&input.msg_id, input.timestamp, &input.body);
    assert!(verifies(&a, &signed));
    // A receiver holding either secret during a rotation verifies the two-signature header.
    let both = signature_header([&b, &a], &input.msg_id, input.timestamp, &input.body);
    assert!(verifies(&a, &both));
    assert!(verifies(&b, &both));
    // Another secret does not verify. HMAC pads a key shorter than its 64-byte block with
    // zeros, so a key and the same key followed by zeros are one key (the fuzzer found this
    // within seconds); only keys that differ once padded are different secrets.
    let padded_key = |key: &[u8]| {
        let mut block = [0u8; 64];
        block[..key.len()].copy_from_slice(key);
        block
    };
    if padded_key(&input.key_a) != padded_key(&input.key_b) {
        assert!(!verifies(&b, &signed));
    }
    // Nor does another timestamp.
    let other = input.timestamp.wrapping_add(1);
    assert!(!verify(&a, &signed, &input.msg_id, other, &input.body));
    // Appending junk after a space leaves a valid signature valid.
    assert!(verifies(
        &a,
        &format!("{signed} {}", input.header.replace(' ', ""))
    ));
});
