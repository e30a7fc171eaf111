//! Fuzzes id bodies (`hookd_core::id`): every (milliseconds, random bits) pair encodes to
//! exactly 22 base62 characters, and ids compare as text exactly as their (48-bit
//! milliseconds, random bits) compare as numbers, which is what lets lists paginate by id in
//! creation order. `looks_like` tells ids from uids by prefix alone. It must not assert
//! anything the module's documentation does not promise.

#![no_main]

use arbitrary::Arbitrary;
use hookd_core::id::{encode_body, AppId, MsgId, ID_BODY_LEN};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    a: (u64, [u8; 10]),
    b: (u64, [u8; 10]),
    text: String,
}

/// The number an id body encodes: 48 bits of milliseconds, then 80 random bits.
fn value((millis, random): (u64, [u8; 10])) -> u128 {
    let mut v = u128::from(millis & 0xFFFF_FFFF_FFFF) << 80;
    for (i, b) in random.iter().enumerate() {
        v |= u128::from(*b) << (8 * (9 - i));
    }
    v
}

fuzz_target!(|input: Input| {
    let a = encode_body(input.a.0, input.a.1);
    let b = encode_body(input.b.0, input.b.1);
    for body in [&a, &b] {
        assert_eq!(body.len(), ID_BODY_LEN, "{body}");
        assert!(body.bytes().all(|c| c.is_ascii_alphanumeric()), "{body}");
    }
    assert_eq!(
        a.cmp(&b),
        value(input.a).cmp(&value(input.b)),
        "{a} and {b} sort against their values"
    );
    // Distinct values never share a body.
    assert_eq!(a == b, value(input.a) == value(input.b));

    let id = format!("{}{a}", AppId::PREFIX);
    assert!(AppId::looks_like(&id));
    assert!(!MsgId::looks_like(&id));
    assert_eq!(
        AppId::looks_like(&input.text),
        input.text.starts_with(AppId::PREFIX)
    );
});
