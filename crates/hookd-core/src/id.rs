//! Typed, prefixed identifiers (`app_…`, `ep_…`, `msg_…`, `atmpt_…`) as Svix uses them.
//!
//! An id is a prefix, an underscore and 22 base62 characters that encode a 48-bit millisecond
//! timestamp followed by 80 random bits. Because the timestamp leads and the encoding is fixed
//! width, ids sort by creation time (to the millisecond), which is what lets list endpoints
//! paginate by id alone. This module must not draw randomness or time on its own: callers pass
//! both in.

use std::fmt;

use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::Timestamp;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// 128 bits need 22 base62 digits (62^22 > 2^128), so every id body has exactly this length.
pub const ID_BODY_LEN: usize = 22;

/// Encodes 48 bits of milliseconds and 80 random bits as a fixed-width base62 string.
pub fn encode_body(millis: u64, random: [u8; 10]) -> String {
    let mut value: u128 = u128::from(millis & 0xFFFF_FFFF_FFFF) << 80;
    for (i, b) in random.iter().enumerate() {
        value |= u128::from(*b) << (8 * (9 - i));
    }
    let mut out = [b'0'; ID_BODY_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(out.to_vec()).expect("base62 is ascii")
}

/// A fresh id body for `now` with randomness from `rng`.
pub fn new_body(now: Timestamp, rng: &mut dyn RngCore) -> String {
    let mut random = [0u8; 10];
    rng.fill_bytes(&mut random);
    encode_body(now.timestamp_millis().max(0) as u64, random)
}

/// Ids of one kind made by one process in the order they were made, even within a
/// millisecond or when the clock steps back: each body takes the later of the clock's
/// millisecond and the last one's, and, within the same millisecond, the last one's random part
/// plus one. For logs whose order is their meaning (the audit log); other ids need no order
/// finer than the millisecond.
#[derive(Debug, Default)]
pub struct Monotonic {
    last: std::sync::Mutex<Option<(u64, [u8; 10])>>,
}

impl Monotonic {
    /// A generator that has made nothing yet.
    pub const fn new() -> Self {
        Monotonic {
            last: std::sync::Mutex::new(None),
        }
    }

    /// The next body, after every one this generator made.
    pub fn next_body(&self, now: Timestamp, rng: &mut dyn RngCore) -> String {
        let ms = now.timestamp_millis().max(0) as u64;
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let (ms, random) = match *last {
            Some((last_ms, mut random)) if ms <= last_ms => {
                // Big-endian increment: the next body in the same millisecond sorts after.
                for byte in random.iter_mut().rev() {
                    *byte = byte.wrapping_add(1);
                    if *byte != 0 {
                        break;
                    }
                }
                (last_ms, random)
            }
            _ => {
                let mut random = [0u8; 10];
                rng.fill_bytes(&mut random);
                (ms, random)
            }
        };
        *last = Some((ms, random));
        encode_body(ms, random)
    }
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The prefix, including its underscore.
            pub const PREFIX: &'static str = $prefix;

            /// A new id created at `now`.
            pub fn generate(now: Timestamp, rng: &mut dyn RngCore) -> Self {
                Self(format!("{}{}", Self::PREFIX, new_body(now, rng)))
            }

            /// A new id created at `now` that sorts after every id `order` made before it.
            pub fn generate_after(order: &Monotonic, now: Timestamp, rng: &mut dyn RngCore) -> Self {
                Self(format!("{}{}", Self::PREFIX, order.next_body(now, rng)))
            }

            /// Wraps an id read back from storage. It is not checked: storage only holds ids
            /// this module generated.
            pub fn from_trusted(s: impl Into<String>) -> Self {
                Self(s.into())
            }

            /// Whether `s` has this id's prefix, which is how an id is told apart from a `uid`.
            pub fn looks_like(s: &str) -> bool {
                s.starts_with(Self::PREFIX)
            }

            /// The full id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

prefixed_id!(
    /// An application (a tenant of the user: one of their customers).
    AppId,
    "app_"
);
prefixed_id!(
    /// An endpoint: a URL of an application that receives webhooks.
    EndpointId,
    "ep_"
);
prefixed_id!(
    /// A message: one event published to an application.
    MsgId,
    "msg_"
);
prefixed_id!(
    /// One HTTP attempt to deliver a message to an endpoint.
    AttemptId,
    "atmpt_"
);
prefixed_id!(
    /// An API token's public id (the secret part is never stored).
    TokenId,
    "tok_"
);
prefixed_id!(
    /// A background task such as an endpoint recovery.
    TaskId,
    "qtask_"
);
prefixed_id!(
    /// One entry of the audit log: a change made through the API.
    AuditId,
    "audit_"
);

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Duration};
    use rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn ids_have_prefix_and_fixed_width() {
        let mut rng = StdRng::seed_from_u64(1);
        let now = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let id = MsgId::generate(now, &mut rng);
        assert!(id.as_str().starts_with("msg_"));
        assert_eq!(id.as_str().len(), 4 + ID_BODY_LEN);
        assert!(MsgId::looks_like(id.as_str()));
        assert!(!AppId::looks_like(id.as_str()));
    }

    #[test]
    fn ids_sort_by_creation_millisecond() {
        let mut rng = StdRng::seed_from_u64(2);
        let t0 = DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        let mut prev = AppId::generate(t0, &mut rng);
        for ms in 1..200 {
            let next = AppId::generate(t0 + Duration::milliseconds(ms), &mut rng);
            assert!(next > prev, "{next} should sort after {prev}");
            prev = next;
        }
    }

    #[test]
    fn extreme_values_encode_without_overflow() {
        assert_eq!(encode_body(0, [0; 10]), "0".repeat(ID_BODY_LEN));
        let max = encode_body(u64::MAX, [0xFF; 10]);
        assert_eq!(max.len(), ID_BODY_LEN);
        assert!(max > encode_body(u64::MAX, [0xFE; 10]));
    }
}

#[cfg(test)]
mod monotonic_tests {
    use chrono::DateTime;

    use super::*;

    #[test]
    fn ids_of_one_generator_sort_in_the_order_they_were_made() {
        let order = Monotonic::new();
        let t = DateTime::from_timestamp_millis(1_000).unwrap();
        let earlier = DateTime::from_timestamp_millis(900).unwrap();
        let mut rng = rand::thread_rng();
        let ids: Vec<AuditId> = [t, t, t, earlier, t]
            .into_iter()
            .map(|at| AuditId::generate_after(&order, at, &mut rng))
            .collect();
        let mut sorted = ids.clone();
        sorted.sort();
        assert_eq!(
            sorted, ids,
            "same millisecond and a clock step back keep the order"
        );
        let later = AuditId::generate_after(
            &order,
            DateTime::from_timestamp_millis(2_000).unwrap(),
            &mut rng,
        );
        assert!(later > ids[4]);
    }
}
