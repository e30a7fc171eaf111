//! Domain types as hookd stores and reasons about them. These are not the API's wire types:
//! the server crate maps them to Svix's JSON shapes, so a change of wire format never ripples
//! into storage. This module must not depend on serde field naming for its correctness.

use std::collections::{BTreeMap, BTreeSet};

use crate::{
    delivery::{DeliveryState, MessageStatus, TriggerType},
    id::{AppId, AttemptId, EndpointId, MsgId, TokenId},
    options::{EndpointOptions, EventTypeOptions},
    portal::PortalScope,
    signing::EndpointSecret,
    Timestamp,
};

/// Free-form string metadata, kept sorted so that its JSON form is stable.
pub type Metadata = BTreeMap<String, String>;

/// An application: one of the user's customers, who owns endpoints and receives messages.
#[derive(Debug, Clone, PartialEq)]
pub struct Application {
    /// The generated id.
    pub id: AppId,
    /// The user's own unique key for it, usable wherever the id is.
    pub uid: Option<String>,
    /// A display name.
    pub name: String,
    /// Messages per second across the application (stored as Svix does).
    pub throttle_rate: Option<u16>,
    /// Free-form metadata.
    pub metadata: Metadata,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// An event type in the catalogue.
#[derive(Debug, Clone, PartialEq)]
pub struct EventType {
    /// Its unique name, such as `invoice.paid`.
    pub name: String,
    /// What it means.
    pub description: String,
    /// Archived types are hidden from lists unless asked for, but still accepted.
    pub archived: bool,
    /// Deprecated types are still accepted; the flag is informative.
    pub deprecated: bool,
    /// JSON schemas by version, as given.
    pub schemas: Option<serde_json::Value>,
    /// The feature flags that gate who sees it: none, everyone; else tokens holding one of
    /// them (see [`PortalScope::sees_flags`]).
    pub feature_flags: BTreeSet<String>,
    /// hookd's extensions (payload envelope).
    pub options: EventTypeOptions,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

/// A signing secret that was rotated out and still signs until `expires_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct OldSecret {
    /// The secret, `whsec_…` (HMAC) or `whsk_…` (ed25519).
    pub key: String,
    /// When it stops signing.
    pub expires_at: Timestamp,
}

/// A URL of an application that receives webhooks.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    /// The generated id.
    pub id: EndpointId,
    /// The application it belongs to.
    pub app_id: AppId,
    /// The user's own unique key for it within the application.
    pub uid: Option<String>,
    /// Where webhooks go.
    pub url: String,
    /// A description.
    pub description: String,
    /// Disabled endpoints receive nothing.
    pub disabled: bool,
    /// Deliveries per second to this endpoint; `None` is unlimited.
    pub throttle_rate: Option<u16>,
    /// Only these event types are delivered; `None` means all.
    pub event_types: Option<Vec<String>>,
    /// Only messages in one of these channels are delivered; `None` means all.
    pub channels: Option<Vec<String>>,
    /// Free-form metadata.
    pub metadata: Metadata,
    /// Extra headers sent with every delivery.
    pub headers: BTreeMap<String, String>,
    /// The current signing secret: `whsec_…` (HMAC-SHA256) or `whsk_…` (an ed25519 key pair).
    pub secret: String,
    /// Rotated-out secrets still within their grace period.
    pub old_secrets: Vec<OldSecret>,
    /// hookd's extensions (retry policy, timeout, success codes, authentication, envelope).
    pub options: EndpointOptions,
    /// Since when every attempt to it has failed: the time of the first failed attempt after
    /// its last success, `None` while it is healthy. The store maintains it when it completes
    /// attempts (see [`crate::store::Queue::complete`]) and resets it whenever the endpoint is
    /// enabled or disabled; creating or updating an endpoint never sets it.
    pub failing_since: Option<Timestamp>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was last changed.
    pub updated_at: Timestamp,
}

impl Endpoint {
    /// Whether a message of `event_type` in `channels` goes to this endpoint. Disabled
    /// endpoints match nothing. An endpoint with channels only takes messages that share one
    /// of them, as in Svix.
    pub fn accepts(&self, event_type: &str, channels: Option<&[String]>) -> bool {
        if self.disabled {
            return false;
        }
        if let Some(types) = &self.event_types {
            if !types.iter().any(|t| t == event_type) {
                return false;
            }
        }
        if let Some(wanted) = &self.channels {
            let Some(have) = channels else {
                return false;
            };
            if !wanted.iter().any(|c| have.contains(c)) {
                return false;
            }
        }
        true
    }

    /// The secrets that sign a delivery made at `now`: the current one first, then every old
    /// one still within its grace period. Unparseable stored secrets are skipped (they cannot
    /// exist: secrets are validated before they are stored).
    pub fn signing_secrets(&self, now: Timestamp) -> Vec<EndpointSecret> {
        std::iter::once(self.secret.as_str())
            .chain(
                self.old_secrets
                    .iter()
                    .filter(|s| s.expires_at > now)
                    .map(|s| s.key.as_str()),
            )
            .filter_map(|s| EndpointSecret::parse(s).ok())
            .collect()
    }
}

/// A published event.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// The generated id; it is also the `webhook-id` on every delivery and retry.
    pub id: MsgId,
    /// The application it was published to.
    pub app_id: AppId,
    /// The user's idempotency key for the event (`eventId`), unique per application.
    pub event_id: Option<String>,
    /// Its event type.
    pub event_type: String,
    /// The JSON object exactly as published (its text); `None` once expunged.
    pub payload: Option<String>,
    /// Channels it was published to.
    pub channels: Option<Vec<String>>,
    /// When its payload expires: from then on, retention removes it as an expunge would.
    /// `None` keeps it until it is expunged.
    pub payload_expires_at: Option<Timestamp>,
    /// When it was accepted.
    pub created_at: Timestamp,
    /// Svix's newer `MessageIn` fields: tags, scheduled delivery, a raw body and per-message
    /// headers. Grouped so that a message without them is `MessageExtras::default()`.
    pub extras: MessageExtras,
}

/// What a message carries beyond Svix's original fields. Every store persists all of it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MessageExtras {
    /// Free-form tags that message and attempt lists filter by; `None` when none were given.
    pub tags: Option<Vec<String>>,
    /// No attempt is made before this time (`deliverAt`): the message's first deliveries are
    /// due at it. `None` delivers at once.
    pub deliver_at: Option<Timestamp>,
    /// Whether [`Message::payload`] is a raw body (`transformationsParams.rawPayload`), sent
    /// and signed byte for byte, rather than the published JSON object. A raw body is any
    /// text (form-encoded, XML, …) and never goes through an envelope.
    pub raw_payload: bool,
    /// Headers added to every request of this message (`transformationsParams.headers`), by
    /// name as given; see the worker for how they rank against the endpoint's.
    pub headers: BTreeMap<String, String>,
}

impl Message {
    /// When the message's first deliveries are due: its `deliverAt`, or its creation when it
    /// has none or that time has passed.
    pub fn first_due_at(&self) -> Timestamp {
        self.extras
            .deliver_at
            .map_or(self.created_at, |at| at.max(self.created_at))
    }
}

/// One (message, endpoint) pair on its way through the delivery state machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The message.
    pub msg_id: MsgId,
    /// The endpoint.
    pub endpoint_id: EndpointId,
    /// The application of both.
    pub app_id: AppId,
    /// Where it is in the state machine.
    pub state: DeliveryState,
    /// Attempts completed so far.
    pub attempts: u32,
    /// When it is next due, in a claimable state.
    pub next_attempt_at: Option<Timestamp>,
    /// What triggers the next attempt.
    pub trigger: TriggerType,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed state.
    pub updated_at: Timestamp,
}

/// One HTTP attempt, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The generated id.
    pub id: AttemptId,
    /// The message.
    pub msg_id: MsgId,
    /// The endpoint.
    pub endpoint_id: EndpointId,
    /// The application.
    pub app_id: AppId,
    /// The URL the request went to.
    pub url: String,
    /// `Success` or `Fail`.
    pub status: MessageStatus,
    /// The HTTP status, or 0 when no response was received.
    pub response_status_code: i16,
    /// The response body (truncated), or why no response was received; `None` once expunged.
    pub response: Option<String>,
    /// How long the request took.
    pub response_duration_ms: i64,
    /// Scheduled or manual.
    pub trigger_type: TriggerType,
    /// When the attempt started.
    pub created_at: Timestamp,
    /// What was sent, as recorded with the attempt; `None` for attempts recorded before hookd
    /// kept requests, and for attempts that never got as far as a request.
    pub request: Option<SentRequest>,
    /// When the delivery was due again after this attempt, as scheduled when the attempt was
    /// recorded; `None` when it was not retried (a success, the schedule used up, a manual
    /// attempt) and for attempts recorded before hookd kept it. A later resend does not
    /// change it.
    pub next_attempt_at: Option<Timestamp>,
    /// The receiver's `Retry-After` header as it came with a 429 or 503 answer, cut to
    /// [`crate::retry_after::MAX_RECORDED_BYTES`], whether or not it could be read.
    pub retry_after: Option<String>,
}

/// The request of an attempt, as recorded when it was made, so that the consoles show what
/// the receiver got rather than what the endpoint's settings would send today.
#[derive(Debug, Clone, PartialEq)]
pub struct SentRequest {
    /// Every header sent, in order, with secret values (authentication schemes' headers,
    /// credentials among the custom headers) replaced by [`MASKED`].
    pub headers: Vec<(String, String)>,
    /// The body sent.
    pub body: SentBody,
}

/// The body of a recorded request.
#[derive(Debug, Clone, PartialEq)]
pub enum SentBody {
    /// Byte for byte the message's payload as stored, the common case (no envelope). It is
    /// not stored a second time: readers take the message's payload, and once that is
    /// expunged or expired, the body is gone with it.
    Payload,
    /// The body as sent, because it was not the payload (an envelope's rendering, or `{}` for
    /// a payload expunged before the attempt), cut to a limit.
    Recorded {
        /// The body, or its first bytes (cut at a character boundary).
        text: String,
        /// Whether `text` is only the beginning of what was sent.
        truncated: bool,
    },
    /// Removed since: by an expunge of the attempt or of the message, or by the payload's
    /// expiry, whichever applied to a body that held payload data.
    Removed,
}

impl SentBody {
    /// How `sent` is recorded for a message whose stored payload is `payload`: as
    /// [`SentBody::Payload`] when they are the same bytes, else as text cut to `limit` bytes.
    pub fn of(sent: &str, payload: Option<&str>, limit: usize) -> Self {
        if payload == Some(sent) {
            return Self::Payload;
        }
        let mut end = sent.len().min(limit);
        while !sent.is_char_boundary(end) {
            end -= 1;
        }
        Self::Recorded {
            text: sent[..end].to_owned(),
            truncated: end < sent.len(),
        }
    }

    /// The stored name of this kind of body.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Payload => "payload",
            Self::Recorded {
                truncated: false, ..
            } => "recorded",
            Self::Recorded {
                truncated: true, ..
            } => "truncated",
            Self::Removed => "removed",
        }
    }

    /// The stored text, for the kinds that have one.
    pub fn text(&self) -> Option<&str> {
        match self {
            Self::Recorded { text, .. } => Some(text),
            Self::Payload | Self::Removed => None,
        }
    }

    /// Back from a stored kind and text; `None` for an unknown kind, or a kind that needs a
    /// text without one.
    pub fn from_stored(kind: &str, text: Option<String>) -> Option<Self> {
        match (kind, text) {
            ("payload", _) => Some(Self::Payload),
            ("removed", _) => Some(Self::Removed),
            ("recorded", Some(text)) => Some(Self::Recorded {
                text,
                truncated: false,
            }),
            ("truncated", Some(text)) => Some(Self::Recorded {
                text,
                truncated: true,
            }),
            _ => None,
        }
    }
}

/// Headers whose values are never shown (lower case), Svix's list: the headers API answers
/// their names only, and recorded requests mask their values.
pub const SENSITIVE_HEADERS: [&str; 6] = [
    "x-auth-token",
    "x-api-key",
    "www-authenticate",
    "authorization",
    "proxy-authenticate",
    "proxy-authorization",
];

/// What a recorded header shows instead of a secret value.
pub const MASKED: &str = "••••••";

/// What an API token may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenScope {
    /// Everything.
    Admin,
    /// One application's API only (portal and per-application tokens).
    App(AppId),
}

/// An API token. Only a hash of its secret text is stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// Its public id.
    pub id: TokenId,
    /// Hex SHA-256 of the token text.
    pub hash: String,
    /// What it may reach.
    pub scope: TokenScope,
    /// Why it exists, for operators.
    pub name: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it stops working, if ever.
    pub expires_at: Option<Timestamp>,
    /// What an application token may do in its application (the default, everything, for
    /// admin tokens and tokens minted without a narrower scope). On an admin token,
    /// `read_only` makes it an operator's (see [`Token::is_operator`]).
    pub portal: PortalScope,
}

impl Token {
    /// An admin token that may only read: an operator's, who watches and investigates
    /// deliveries but changes nothing.
    pub fn is_operator(&self) -> bool {
        self.scope == TokenScope::Admin && self.portal.read_only
    }
}

/// Delivery counts of an endpoint by Svix status, for `stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EndpointStats {
    /// Delivered.
    pub success: i64,
    /// Exhausted.
    pub fail: i64,
    /// Waiting for an attempt.
    pub pending: i64,
    /// An attempt under way.
    pub sending: i64,
    /// Dropped because the endpoint was disabled.
    pub canceled: i64,
}

/// Upper bounds (inclusive, in ms) of the duration bins that [`AttemptBucket`] counts in. Log-
/// spaced, so percentiles read from them are within one bin of the truth at any scale; the
/// last bin takes everything slower.
pub const DURATION_BIN_UPPER_MS: [i64; 12] = [
    5,
    10,
    25,
    50,
    100,
    250,
    500,
    1000,
    2500,
    5000,
    15000,
    i64::MAX,
];

/// Attempts in one time bucket, for charts: counts by outcome and by duration bin.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttemptBucket {
    /// The bucket's start (aligned to a multiple of the bucket size since the epoch).
    pub start: Timestamp,
    /// Successful attempts.
    pub success: i64,
    /// Failed attempts.
    pub fail: i64,
    /// Attempts per duration bin, per [`DURATION_BIN_UPPER_MS`].
    pub duration_bins: [i64; 12],
}

impl AttemptBucket {
    /// The duration bin of an attempt that took `ms`.
    pub fn bin_of(ms: i64) -> usize {
        DURATION_BIN_UPPER_MS
            .iter()
            .position(|upper| ms <= *upper)
            .unwrap_or(DURATION_BIN_UPPER_MS.len() - 1)
    }

    /// Folds grouped counts — `(bucket start, attempt succeeded, duration bin, count)`, ordered
    /// by bucket start — into buckets, oldest first. Stores group in SQL and share this fold,
    /// so a chart reads the same whichever database is behind it.
    pub fn fold(rows: impl IntoIterator<Item = (Timestamp, bool, i64, i64)>) -> Vec<AttemptBucket> {
        let mut out: Vec<AttemptBucket> = Vec::new();
        for (start, success, bin, n) in rows {
            if out.last().is_none_or(|b| b.start != start) {
                out.push(AttemptBucket {
                    start,
                    ..AttemptBucket::default()
                });
            }
            let bucket = out.last_mut().expect("pushed above");
            if success {
                bucket.success += n;
            } else {
                bucket.fail += n;
            }
            if let Some(slot) = usize::try_from(bin)
                .ok()
                .and_then(|b| bucket.duration_bins.get_mut(b))
            {
                *slot += n;
            }
        }
        out
    }

    /// The upper bound of the bin that holds the `q` quantile (0 to 1) of this bucket's
    /// durations, or `None` for an empty bucket.
    pub fn quantile_upper_ms(&self, q: f64) -> Option<i64> {
        let total: i64 = self.duration_bins.iter().sum();
        if total == 0 {
            return None;
        }
        let rank = ((total as f64) * q.clamp(0.0, 1.0)).ceil().max(1.0) as i64;
        let mut seen = 0;
        for (i, n) in self.duration_bins.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(DURATION_BIN_UPPER_MS[i]);
            }
        }
        Some(i64::MAX)
    }
}

/// A response stored for an `Idempotency-Key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// The JSON body (may be empty).
    pub body: String,
}

#[cfg(test)]
mod tests;
