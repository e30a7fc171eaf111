//! Test data for the conformance cases: a [`Fixture`] owns a stopped [`ManualClock`] and a
//! seeded random generator, and builds fully populated domain values whose ids increase with
//! time, because pagination by id is only meaningful if ids are created in time order.
//!
//! This module must not assert anything about a store beyond "this call succeeded"; the
//! expectations live in the cases.

use std::collections::BTreeMap;

use chrono::Duration;
use hookd_core::{
    clock::{Clock, ManualClock},
    delivery::{is_success_status, MessageStatus, Transition},
    id::{AppId, AttemptId, EndpointId, MsgId, TokenId},
    model::{
        Application, Attempt, Endpoint, EventType, Message, Metadata, OldSecret, SentBody,
        SentRequest, Token, TokenScope, MASKED,
    },
    store::{ClaimRequest, Claimed, Completion, Outcome, Store},
    token, Timestamp,
};
use rand::{rngs::StdRng, SeedableRng};

/// A fixed seed: a failing case then fails the same way on every run.
const SEED: u64 = 0x0068_6f6f_6b64;

/// The lease most cases claim with. Comfortably longer than anything a case does between a
/// claim and its completion, and round so that expiry arithmetic in the cases is obvious.
pub const LEASE: Duration = Duration::seconds(30);

/// How long the fixture's messages keep their payloads: Svix's default, and far longer than
/// any case moves its clock unless it means to expire them.
pub const PAYLOAD_RETENTION: Duration = Duration::days(90);

/// A claim limit larger than any case's backlog, for "claim everything that is due".
pub const CLAIM_ALL: u32 = 1_000;

/// A valid `whsec_` secret (stores do not validate secrets, but the data should be realistic).
pub const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
/// A second valid secret, for rotated-out secrets.
pub const OLD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// Builds test data on a manual clock.
#[derive(Debug)]
pub struct Fixture {
    /// The case's clock; it only moves when the case (or a builder) moves it.
    pub clock: ManualClock,
    rng: StdRng,
    counter: u64,
}

impl Default for Fixture {
    fn default() -> Self {
        Self::new()
    }
}

impl Fixture {
    /// A fixture at [`ManualClock::at_epoch`] with a fixed seed.
    pub fn new() -> Self {
        Self {
            clock: ManualClock::at_epoch(),
            rng: StdRng::seed_from_u64(SEED),
            counter: 0,
        }
    }

    /// The current time.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    /// Moves the clock one millisecond forward and returns the new time. Every builder ticks
    /// before it generates an id, so ids (which sort by their millisecond) strictly increase.
    pub fn tick(&mut self) -> Timestamp {
        self.clock.advance(Duration::milliseconds(1));
        self.clock.now()
    }

    /// A number unique within this fixture, for names and uids.
    pub fn unique(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    /// A new application id.
    pub fn app_id(&mut self) -> AppId {
        let now = self.tick();
        AppId::generate(now, &mut self.rng)
    }

    /// A new endpoint id.
    pub fn endpoint_id(&mut self) -> EndpointId {
        let now = self.tick();
        EndpointId::generate(now, &mut self.rng)
    }

    /// A new message id.
    pub fn msg_id(&mut self) -> MsgId {
        let now = self.tick();
        MsgId::generate(now, &mut self.rng)
    }

    /// A new attempt id.
    pub fn attempt_id(&mut self) -> AttemptId {
        let now = self.tick();
        AttemptId::generate(now, &mut self.rng)
    }

    /// An application with every field set.
    pub fn app(&mut self) -> Application {
        let id = self.app_id();
        let n = self.unique();
        let now = self.now();
        Application {
            id,
            uid: Some(format!("app-uid-{n}")),
            name: format!("Application {n}"),
            throttle_rate: Some(100),
            metadata: Metadata::from([("tier".to_owned(), "gold".to_owned())]),
            created_at: now,
            updated_at: now,
        }
    }

    /// Creates an application in `store`.
    pub async fn create_app(&mut self, store: &dyn Store) -> Application {
        let app = self.app();
        store.create_app(&app).await.expect("create_app");
        app
    }

    /// An endpoint of `app` with every field set, accepting everything.
    pub fn endpoint(&mut self, app: &AppId) -> Endpoint {
        let id = self.endpoint_id();
        let n = self.unique();
        let now = self.now();
        Endpoint {
            id,
            app_id: app.clone(),
            uid: Some(format!("ep-uid-{n}")),
            url: format!("https://receiver.example/hook/{n}"),
            description: format!("Endpoint {n}"),
            disabled: false,
            throttle_rate: None,
            event_types: None,
            channels: None,
            metadata: Metadata::from([("team".to_owned(), "billing".to_owned())]),
            headers: BTreeMap::from([("X-Custom".to_owned(), format!("value-{n}"))]),
            secret: SECRET.to_owned(),
            old_secrets: vec![OldSecret {
                key: OLD_SECRET.to_owned(),
                expires_at: now + Duration::hours(24),
            }],
            options: Default::default(),
            failing_since: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Creates an endpoint in `store` after letting `customize` change it.
    pub async fn create_endpoint_with(
        &mut self,
        store: &dyn Store,
        app: &AppId,
        customize: impl FnOnce(&mut Endpoint),
    ) -> Endpoint {
        let mut ep = self.endpoint(app);
        customize(&mut ep);
        store.create_endpoint(&ep).await.expect("create_endpoint");
        ep
    }

    /// Creates an endpoint in `store` that accepts everything.
    pub async fn create_endpoint(&mut self, store: &dyn Store, app: &AppId) -> Endpoint {
        self.create_endpoint_with(store, app, |_| {}).await
    }

    /// A message of `event_type` to `app`, created now, with a small JSON payload.
    pub fn message(&mut self, app: &AppId, event_type: &str) -> Message {
        let id = self.msg_id();
        let n = self.unique();
        Message {
            id,
            app_id: app.clone(),
            event_id: None,
            event_type: event_type.to_owned(),
            payload: Some(format!(r#"{{"n":{n}}}"#)),
            channels: None,
            payload_expires_at: Some(self.now() + PAYLOAD_RETENTION),
            created_at: self.now(),
            extras: Default::default(),
        }
    }

    /// Creates a message (fanned out to the endpoints that accept it) and returns it.
    pub async fn publish(&mut self, store: &dyn Store, app: &AppId, event_type: &str) -> Message {
        let msg = self.message(app, event_type);
        store
            .create_message(&msg, None)
            .await
            .expect("create_message");
        msg
    }

    /// An event type named `name`, created now.
    pub fn event_type(&mut self, name: &str) -> EventType {
        let now = self.tick();
        EventType {
            name: name.to_owned(),
            description: format!("The {name} event"),
            archived: false,
            deprecated: false,
            schemas: Some(serde_json::json!({"1": {"type": "object"}})),
            feature_flags: Default::default(),
            options: Default::default(),
            created_at: now,
            updated_at: now,
        }
    }

    /// A token with `scope`, created now, with the hash of fresh random text.
    pub fn token(&mut self, scope: TokenScope) -> Token {
        let now = self.tick();
        let text = token::generate_text(token::ADMIN_TOKEN_PREFIX, &mut self.rng);
        Token {
            id: TokenId::generate(now, &mut self.rng),
            hash: token::hash_text(&text),
            scope,
            name: "conformance".to_owned(),
            created_at: now,
            expires_at: None,
            portal: hookd_core::portal::PortalScope::default(),
        }
    }

    /// A claim request at the current time with [`LEASE`].
    pub fn claim_request<'a>(&self, token: &'a str, limit: u32) -> ClaimRequest<'a> {
        ClaimRequest {
            owner: "conformance-worker",
            lease_token: token,
            now: self.now(),
            lease: LEASE,
            limit,
        }
    }

    /// A fresh lease token.
    pub fn lease_token(&mut self) -> String {
        format!("lease-{}", self.unique())
    }

    /// Claims up to `limit` due deliveries now under a fresh token.
    pub async fn claim(&mut self, store: &dyn Store, limit: u32) -> Vec<Claimed> {
        let token = self.lease_token();
        store
            .claim_due(&self.claim_request(&token, limit))
            .await
            .expect("claim_due")
    }

    /// The record of an attempt on `claimed` that got HTTP `code` (0: no response), made now.
    pub fn attempt(&mut self, claimed: &Claimed, code: i16) -> Attempt {
        let now = self.tick();
        let success = u16::try_from(code).is_ok_and(is_success_status);
        Attempt {
            id: AttemptId::generate(now, &mut self.rng),
            msg_id: claimed.delivery.msg_id.clone(),
            endpoint_id: claimed.delivery.endpoint_id.clone(),
            app_id: claimed.delivery.app_id.clone(),
            url: claimed.endpoint.url.clone(),
            status: if success {
                MessageStatus::Success
            } else {
                MessageStatus::Fail
            },
            response_status_code: code,
            response: Some(if code == 0 {
                "connection refused".to_owned()
            } else {
                format!("{{\"status\":{code}}}")
            }),
            response_duration_ms: 42,
            trigger_type: claimed.delivery.trigger,
            created_at: now,
            request: Some(SentRequest {
                headers: vec![
                    ("content-type".into(), "application/json".into()),
                    ("webhook-id".into(), claimed.delivery.msg_id.to_string()),
                    ("authorization".into(), MASKED.into()),
                ],
                body: Self::sent_body(claimed, now.timestamp_subsec_millis()),
            }),
            next_attempt_at: None,
            retry_after: None,
        }
    }

    /// A body an attempt on `claimed` may have sent, of each stored shape in turn (by `n`): the
    /// payload itself, an envelope's rendering kept whole, and one cut short.
    fn sent_body(claimed: &Claimed, n: u32) -> SentBody {
        let payload = claimed.message.payload.as_deref();
        let enveloped = format!(
            "{{\"id\":\"{}\",\"data\":{}}}",
            claimed.message.id,
            payload.unwrap_or("{}")
        );
        match n % 3 {
            0 => SentBody::of(payload.unwrap_or("{}"), payload, 16),
            1 => SentBody::of(&enveloped, payload, 1 << 16),
            _ => SentBody::of(&enveloped, payload, 16),
        }
    }

    /// A completion of `claimed` under its own lease, reported now.
    pub fn completion(&self, claimed: &Claimed, outcome: Outcome) -> Completion {
        Completion {
            msg_id: claimed.delivery.msg_id.clone(),
            endpoint_id: claimed.delivery.endpoint_id.clone(),
            lease_token: claimed.lease_token.clone(),
            outcome,
            now: self.now(),
        }
    }

    /// Completes `claimed` with an attempt that got `code` and moves it per `transition`;
    /// returns the attempt and whether the completion held its lease.
    pub async fn attempt_and_complete(
        &mut self,
        store: &dyn Store,
        claimed: &Claimed,
        code: i16,
        transition: Transition,
    ) -> (Attempt, bool) {
        let attempt = self.attempt(claimed, code);
        let completion = self.completion(
            claimed,
            Outcome::Attempted {
                attempt: attempt.clone(),
                transition,
            },
        );
        let held = store.complete(&[completion]).await.expect("complete");
        assert_eq!(held.len(), 1, "complete returns one flag per completion");
        (attempt, held[0])
    }
}
