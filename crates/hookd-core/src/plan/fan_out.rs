//! Fan-out planning: the deliveries a batch of new messages gets, and which of them are
//! written already claimed (see [`crate::store::Queue::create_messages`]).

use std::collections::HashMap;

use crate::{
    id::AppId,
    model::{Endpoint, Message},
    store::{ClaimRequest, Claimed, Created, StoreError, StoreResult},
};

/// One new delivery: `message` to `endpoint`, and whether it is written claimed under the
/// plan's claim.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlannedDelivery<'a> {
    /// The message.
    pub message: &'a Message,
    /// The endpoint that accepts it.
    pub endpoint: &'a Endpoint,
    /// Whether it is written claimed (state `Claimed` under the claim's lease).
    pub claimed: bool,
}

/// What a batch of messages fans out to.
#[derive(Debug)]
pub struct FanOut<'a> {
    /// Per message, in order: how many deliveries it gets, or why it was refused.
    pub results: Vec<StoreResult<u32>>,
    /// Every new delivery, message by message in batch order, endpoints in the order given.
    pub deliveries: Vec<PlannedDelivery<'a>>,
}

impl FanOut<'_> {
    /// How many of the deliveries are written claimed.
    pub fn claimed_count(&self) -> usize {
        self.deliveries.iter().filter(|d| d.claimed).count()
    }

    /// What the store reports once the plan is committed: the results, and the claimed
    /// deliveries as [`crate::store::Queue::claim_due`] would have handed them out.
    pub fn created(self, claim: Option<&ClaimRequest<'_>>) -> Created {
        let claimed = match claim {
            Some(c) => {
                let expires = c.now + c.lease;
                self.deliveries
                    .iter()
                    .filter(|d| d.claimed)
                    .map(|d| Claimed::at_creation(d.message, d.endpoint, c, expires))
                    .collect()
            }
            None => Vec::new(),
        };
        Created {
            results: self.results,
            claimed,
        }
    }
}

/// Plans the deliveries of `msgs` against `endpoints` (the enabled endpoints of their
/// applications, as the store read them in the writing transaction): one per endpoint of the
/// message's application that [`Endpoint::accepts`] it. A message for which `written` is
/// false (its `eventId` was taken) gets none and is refused with `Conflict`. With `claim`, the
/// first `claim.limit` deliveries due at `claim.now` (a `deliverAt` still ahead is not) are
/// marked claimed.
pub fn fan_out<'a>(
    msgs: &'a [Message],
    written: impl Fn(&Message) -> bool,
    endpoints: &'a [Endpoint],
    claim: Option<&ClaimRequest<'_>>,
) -> FanOut<'a> {
    let mut by_app: HashMap<&AppId, Vec<&Endpoint>> = HashMap::new();
    for ep in endpoints {
        by_app.entry(&ep.app_id).or_default().push(ep);
    }
    let mut claimable = claim.map_or(0, |c| usize::try_from(c.limit).unwrap_or(usize::MAX));
    let mut results = Vec::with_capacity(msgs.len());
    let mut deliveries = Vec::new();
    for msg in msgs {
        if !written(msg) {
            results.push(Err(StoreError::Conflict("eventId".into())));
            continue;
        }
        let due = claim.is_some_and(|c| msg.first_due_at() <= c.now);
        let mut n = 0u32;
        for &endpoint in by_app.get(&msg.app_id).into_iter().flatten() {
            if !endpoint.accepts(&msg.event_type, msg.channels.as_deref()) {
                continue;
            }
            let claimed = due && claimable > 0;
            if claimed {
                claimable -= 1;
            }
            deliveries.push(PlannedDelivery {
                message: msg,
                endpoint,
                claimed,
            });
            n = n.saturating_add(1);
        }
        results.push(Ok(n));
    }
    FanOut {
        results,
        deliveries,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Duration;

    use super::*;
    use crate::{
        clock::{Clock, ManualClock},
        delivery::DeliveryState,
        id::{EndpointId, MsgId},
        model::{MessageExtras, Metadata},
        options::EndpointOptions,
        Timestamp,
    };

    fn now() -> Timestamp {
        ManualClock::at_epoch().now()
    }

    fn endpoint(id: &str, app: &str, event_types: Option<&[&str]>) -> Endpoint {
        Endpoint {
            id: EndpointId::from_trusted(id),
            app_id: AppId::from_trusted(app),
            uid: None,
            url: "https://example.com".into(),
            description: String::new(),
            disabled: false,
            throttle_rate: None,
            event_types: event_types.map(|t| t.iter().map(|s| (*s).to_owned()).collect()),
            channels: None,
            metadata: Metadata::new(),
            headers: BTreeMap::new(),
            secret: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into(),
            old_secrets: vec![],
            options: EndpointOptions::default(),
            failing_since: None,
            created_at: now(),
            updated_at: now(),
        }
    }

    fn message(id: &str, app: &str, event_type: &str, deliver_at: Option<Timestamp>) -> Message {
        Message {
            id: MsgId::from_trusted(id),
            app_id: AppId::from_trusted(app),
            event_id: None,
            event_type: event_type.into(),
            payload: Some("{}".into()),
            channels: None,
            payload_expires_at: None,
            created_at: now(),
            extras: MessageExtras {
                deliver_at,
                ..MessageExtras::default()
            },
        }
    }

    fn claim(limit: u32) -> ClaimRequest<'static> {
        ClaimRequest {
            owner: "o",
            lease_token: "t",
            now: now(),
            lease: Duration::seconds(30),
            limit,
        }
    }

    fn pairs<'a>(plan: &FanOut<'a>) -> Vec<(&'a str, &'a str, bool)> {
        plan.deliveries
            .iter()
            .map(|d| (d.message.id.as_str(), d.endpoint.id.as_str(), d.claimed))
            .collect()
    }

    #[test]
    fn each_message_goes_to_the_accepting_endpoints_of_its_own_application() {
        let endpoints = [
            endpoint("ep_1", "app_1", None),
            endpoint("ep_2", "app_1", Some(&["b"])),
            endpoint("ep_3", "app_2", None),
        ];
        let msgs = [
            message("msg_1", "app_1", "a", None),
            message("msg_2", "app_2", "a", None),
            message("msg_3", "app_1", "b", None),
            message("msg_4", "app_3", "a", None),
        ];
        let plan = fan_out(&msgs, |_| true, &endpoints, None);
        assert_eq!(
            pairs(&plan),
            [
                ("msg_1", "ep_1", false),
                ("msg_2", "ep_3", false),
                ("msg_3", "ep_1", false),
                ("msg_3", "ep_2", false),
            ]
        );
        let counts: Vec<u32> = plan.results.iter().map(|r| *r.as_ref().unwrap()).collect();
        assert_eq!(counts, [1, 1, 2, 0]);
        assert!(plan.created(None).claimed.is_empty());
    }

    #[test]
    fn a_message_not_written_is_a_conflict_and_gets_nothing() {
        let endpoints = [endpoint("ep_1", "app_1", None)];
        let msgs = [
            message("msg_1", "app_1", "a", None),
            message("msg_2", "app_1", "a", None),
        ];
        let plan = fan_out(&msgs, |m| m.id.as_str() != "msg_1", &endpoints, None);
        assert!(matches!(&plan.results[0], Err(StoreError::Conflict(k)) if k == "eventId"));
        assert_eq!(plan.results[1].as_ref().ok(), Some(&1));
        assert_eq!(pairs(&plan), [("msg_2", "ep_1", false)]);
    }

    #[test]
    fn a_claim_takes_the_first_due_deliveries_up_to_its_limit() {
        let endpoints = [
            endpoint("ep_1", "app_1", None),
            endpoint("ep_2", "app_1", None),
        ];
        let later = now() + Duration::minutes(5);
        let msgs = [
            message("msg_1", "app_1", "a", Some(later)),
            message("msg_2", "app_1", "a", None),
            message("msg_3", "app_1", "a", None),
        ];
        let req = claim(3);
        let plan = fan_out(&msgs, |_| true, &endpoints, Some(&req));
        // A `deliverAt` still ahead is not claimed, and does not use up the limit.
        assert_eq!(
            pairs(&plan),
            [
                ("msg_1", "ep_1", false),
                ("msg_1", "ep_2", false),
                ("msg_2", "ep_1", true),
                ("msg_2", "ep_2", true),
                ("msg_3", "ep_1", true),
                ("msg_3", "ep_2", false),
            ]
        );
        assert_eq!(plan.claimed_count(), 3);
        let created = plan.created(Some(&req));
        assert_eq!(created.claimed.len(), 3);
        let first = &created.claimed[0];
        assert_eq!(first.delivery.state, DeliveryState::Claimed);
        assert_eq!(first.lease_token, "t");
        assert_eq!(first.lease_expires_at, now() + Duration::seconds(30));
        assert_eq!(
            (first.message.id.as_str(), first.endpoint.id.as_str()),
            ("msg_2", "ep_1")
        );
    }
}
