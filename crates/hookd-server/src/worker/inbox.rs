//! The inbox: how the publisher hands this process's workers the deliveries it claimed as it
//! wrote them (see `Queue::create_messages`). Free worker slots are reserved before the
//! publish transaction, the deliveries that fit are written already claimed, and their
//! attempts start as soon as the transaction commits. This saves a claim transaction and a
//! trip through the dispatcher per delivery, which on a single-writer store is most of the
//! time between a publish and its first request.
//!
//! This module must not write to the store: the publisher does, with the claim it is given.

use std::sync::{Arc, Weak};

use hookd_core::{
    store::{ClaimRequest, Claimed},
    token, Timestamp,
};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

use super::{
    attempt::{self, Ctx},
    dispatch::{Queue, MAX_IN_DOUBT_CLAIMS},
};

/// Deliveries per published message that a publish may claim for this process's workers as
/// it writes them: the whole fan-out of a typical message, while a message with a large
/// fan-out leaves the rest to ordinary claims (which share the slots fairly among the due
/// work).
pub(super) const INBOX_PER_MESSAGE: usize = 8;

/// The publisher's way to this process's workers (it holds no strong reference to them: once
/// the workers are gone, nothing more is reserved or started).
#[derive(Clone)]
pub(super) struct Inbox {
    handle: tokio::runtime::Handle,
    ctx: Weak<Ctx>,
    slots: Arc<Semaphore>,
    owner: Arc<str>,
    lease: chrono::Duration,
    lost: Arc<std::sync::Mutex<Vec<String>>>,
    shutdown: watch::Receiver<bool>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("free_slots", &self.slots.available_permits())
            .finish_non_exhaustive()
    }
}

/// Worker slots reserved for the deliveries of one publish batch, and the claim that goes
/// with them.
#[derive(Debug)]
pub(super) struct Reservation {
    slots: OwnedSemaphorePermit,
    /// The lease token the batch's deliveries are claimed under.
    pub lease_token: String,
    /// Who claims, as the dispatcher names itself.
    pub owner: Arc<str>,
    /// How long the lease lasts.
    pub lease: chrono::Duration,
    /// The claim's time.
    pub now: Timestamp,
}

impl Reservation {
    /// The claim to pass to `Queue::create_messages`.
    pub(super) fn claim(&self) -> ClaimRequest<'_> {
        ClaimRequest {
            owner: &self.owner,
            lease_token: &self.lease_token,
            now: self.now,
            lease: self.lease,
            limit: u32::try_from(self.slots.num_permits()).unwrap_or(u32::MAX),
        }
    }
}

impl Inbox {
    /// Reserves up to `want` free worker slots, or none if no slot is free or the workers are
    /// stopping.
    pub(super) fn reserve(&self, want: usize) -> Option<Reservation> {
        if *self.shutdown.borrow() {
            return None;
        }
        let ctx = self.ctx.upgrade()?;
        let n = want.min(self.slots.available_permits());
        let slots = self
            .slots
            .clone()
            .try_acquire_many_owned(u32::try_from(n).ok().filter(|n| *n > 0)?)
            .ok()?;
        Some(Reservation {
            slots,
            lease_token: token::generate_text("lease_", &mut rand::thread_rng()),
            owner: self.owner.clone(),
            lease: self.lease,
            now: ctx.engine.clock.now(),
        })
    }

    /// Starts the attempts of deliveries claimed under `reservation`; slots it holds beyond
    /// them are freed.
    pub(super) fn start(&self, claimed: Vec<Claimed>, reservation: Reservation) {
        let Some(ctx) = self.ctx.upgrade() else {
            // The workers are gone; the claims' leases expire and any process takes them.
            return;
        };
        let mut slots = reservation.slots;
        for delivery in claimed {
            let slot = match slots.split(1) {
                Some(slot) => slot,
                // More deliveries than slots cannot happen (the store claims at most the
                // limit); if it did, the extra ones wait for their leases.
                None => break,
            };
            let ctx = ctx.clone();
            self.handle.spawn(async move {
                attempt::run(&ctx, delivery, slot).await;
            });
        }
    }

    /// Reports that the publish carrying `reservation` failed: it may have committed with its
    /// answer lost, leaving deliveries claimed that nobody works on, so the dispatcher
    /// releases its token (as for its own failed claims) instead of letting them wait out
    /// their leases.
    pub(super) fn lost(&self, reservation: Reservation) {
        {
            let mut lost = self.lost.lock().unwrap_or_else(|p| p.into_inner());
            if lost.len() < MAX_IN_DOUBT_CLAIMS {
                lost.push(reservation.lease_token);
            }
        }
        // The dispatcher releases it on its next round; this makes that round now.
        if let Some(ctx) = self.ctx.upgrade() {
            ctx.wake.notify_one();
        }
    }

    /// The inbox of the workers whose attempts run with `ctx` and claim through `queue`.
    pub(super) fn new(ctx: &Arc<Ctx>, queue: &Queue, shutdown: watch::Receiver<bool>) -> Self {
        Self {
            handle: tokio::runtime::Handle::current(),
            ctx: Arc::downgrade(ctx),
            slots: queue.slots.clone(),
            owner: queue.owner.clone(),
            lease: queue.lease,
            lost: queue.lost.clone(),
            shutdown,
        }
    }
}
