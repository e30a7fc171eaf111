//! A delivery queue that forwards to a real store's until it is told to fail: the one role a
//! test wraps to inject faults (the store's other roles stay the real ones). It counts the
//! deliveries claims hand out and can lose a publish batch's answer after its commit, which
//! no real database can be made to do on cue.

use std::sync::{
    atomic::{AtomicU8, AtomicUsize, Ordering},
    Arc,
};

use hookd_core::{
    id::{AppId, EndpointId, MsgId},
    model::Message,
    store::{ClaimRequest, Claimed, Completion, Created, Queue, StoreError, StoreResult},
    Timestamp,
};

/// How a [`FlakyQueue`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum QueueMode {
    /// Forwards every call.
    Up = 0,
    /// Fails every call with `Unavailable`, as a database that went away.
    Unavailable = 1,
    /// Commits the next publish batch (`create_messages`) but answers it with `Unavailable`,
    /// as when the connection drops between commit and answer; then forwards every call.
    LoseNextBatchAnswer = 2,
}

/// See the module doc.
#[derive(Debug)]
pub struct FlakyQueue {
    inner: Arc<dyn Queue>,
    mode: AtomicU8,
    /// Deliveries handed out by `claim_due` so far.
    claimed: AtomicUsize,
}

impl FlakyQueue {
    /// Wraps `inner`, up.
    pub fn new(inner: Arc<dyn Queue>) -> Self {
        Self {
            inner,
            mode: AtomicU8::new(QueueMode::Up as u8),
            claimed: AtomicUsize::new(0),
        }
    }

    /// How many deliveries `claim_due` has handed out (claims made by publishes not counted).
    pub fn claimed_by_claim_due(&self) -> usize {
        self.claimed.load(Ordering::SeqCst)
    }

    /// Switches the behaviour.
    pub fn set(&self, mode: QueueMode) {
        self.mode.store(mode as u8, Ordering::SeqCst);
    }

    fn check(&self) -> StoreResult<()> {
        if self.mode.load(Ordering::SeqCst) == QueueMode::Unavailable as u8 {
            return Err(StoreError::Unavailable(
                "database file is locked at /secret/path".into(),
            ));
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Queue for FlakyQueue {
    async fn create_message(
        &self,
        msg: &Message,
        only_endpoint: Option<&EndpointId>,
    ) -> StoreResult<u32> {
        self.check()?;
        self.inner.create_message(msg, only_endpoint).await
    }

    async fn create_messages(
        &self,
        msgs: &[Message],
        claim: Option<&ClaimRequest<'_>>,
    ) -> StoreResult<Created> {
        self.check()?;
        let created = self.inner.create_messages(msgs, claim).await?;
        let lose = QueueMode::LoseNextBatchAnswer as u8;
        let up = QueueMode::Up as u8;
        if self
            .mode
            .compare_exchange(lose, up, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            return Err(StoreError::Unavailable("connection reset".into()));
        }
        Ok(created)
    }

    async fn claim_due(&self, req: &ClaimRequest<'_>) -> StoreResult<Vec<Claimed>> {
        self.check()?;
        let claimed = self.inner.claim_due(req).await?;
        self.claimed.fetch_add(claimed.len(), Ordering::SeqCst);
        Ok(claimed)
    }

    async fn complete(&self, batch: &[Completion]) -> StoreResult<Vec<bool>> {
        self.check()?;
        self.inner.complete(batch).await
    }

    async fn resend(
        &self,
        app: &AppId,
        msg: &MsgId,
        endpoint: &EndpointId,
        now: Timestamp,
    ) -> StoreResult<()> {
        self.check()?;
        self.inner.resend(app, msg, endpoint, now).await
    }

    async fn recover(
        &self,
        app: &AppId,
        endpoint: &EndpointId,
        since: Timestamp,
        until: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<u64> {
        self.check()?;
        self.inner.recover(app, endpoint, since, until, now).await
    }

    async fn release_claims(&self, lease_token: &str, now: Timestamp) -> StoreResult<u64> {
        self.check()?;
        self.inner.release_claims(lease_token, now).await
    }

    async fn next_due_at(&self) -> StoreResult<Option<Timestamp>> {
        self.check()?;
        self.inner.next_due_at().await
    }

    async fn depth(&self, now: Timestamp) -> StoreResult<hookd_core::store::QueueDepth> {
        self.check()?;
        self.inner.depth(now).await
    }

    async fn throttle_take(
        &self,
        key: &str,
        per_second: u16,
        now: Timestamp,
    ) -> StoreResult<Result<(), Timestamp>> {
        self.check()?;
        self.inner.throttle_take(key, per_second, now).await
    }
}
