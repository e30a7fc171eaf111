//! The store roles whose every method only hands over to the module of its entity, written
//! once for both SQL stores as [`operations!`](crate::operations): which module owns each
//! operation is the same in both, and only the modules' SQL differs.
//!
//! This module must not contain SQL.

/// Implements `Directory`, `Messages`, `Queue`, `History`, `Idempotency`, `Tasks` and `Audit` for
/// `$store` by calling, for each method, the function of the same job in the entity modules
/// named where the macro is invoked (`tokens`, `apps`, `event_types`, `endpoints`, `messages`,
/// `queue`, `deliveries`, `limits`, `retention`, `idempotency`, `tasks`: the store's own, or
/// the shared ones of [`crate::queries`] it imports), and `$complete` for a batch of
/// completions. `$store` must have a `sealer: Option<Arc<Sealer>>` field. The names the
/// methods' signatures use resolve where the macro is invoked, so the invoking module imports
/// them: it reads as the map of where each operation lives. `Capabilities` differs between
/// databases and stays with each store.
#[macro_export]
macro_rules! operations {
    ($store:ident, complete = $complete:path) => {
        impl $store {
            /// `ep` as it is written: with its secrets sealed when this store has a sealer.
            fn sealed<'a>(&self, ep: &'a Endpoint) -> std::borrow::Cow<'a, Endpoint> {
                hookd_core::seal::seal_for_store(
                    self.sealer.as_deref(),
                    ep,
                    &mut rand::thread_rng(),
                )
            }

            /// `ep` as read, with its secrets opened when this store has a sealer.
            fn opened(&self, ep: Endpoint) -> StoreResult<Endpoint> {
                hookd_core::seal::open_from_store(self.sealer.as_deref(), ep)
            }
        }

        #[::async_trait::async_trait]
        impl Directory for $store {
            async fn insert_token(&self, token: &Token) -> StoreResult<()> {
                tokens::insert(self, token).await
            }

            async fn insert_admin_token_if_none(&self, token: &Token) -> StoreResult<bool> {
                tokens::insert_admin_if_none(self, token).await
            }

            async fn token_by_hash(&self, hash: &str) -> StoreResult<Option<Token>> {
                tokens::by_hash(self, hash).await
            }

            async fn delete_token(&self, id: &TokenId) -> StoreResult<bool> {
                tokens::delete(self, id).await
            }

            async fn list_admin_tokens(&self) -> StoreResult<Vec<Token>> {
                tokens::list_admin(self).await
            }

            async fn expire_app_tokens(
                &self,
                app: &AppId,
                session_ids: Option<&[String]>,
                at: Timestamp,
            ) -> StoreResult<u64> {
                tokens::expire_app(self, app, session_ids, at).await
            }

            async fn create_app(&self, app: &Application) -> StoreResult<()> {
                apps::create(self, app).await
            }

            async fn get_app(&self, id_or_uid: &str) -> StoreResult<Option<Application>> {
                apps::get(self, id_or_uid).await
            }

            async fn list_apps(
                &self,
                filter: &AppFilter,
                query: &ListQuery,
            ) -> StoreResult<Page<Application>> {
                apps::list(self, filter, query).await
            }

            async fn update_app(&self, app: &Application) -> StoreResult<()> {
                apps::update(self, app).await
            }

            async fn delete_app(&self, id: &AppId) -> StoreResult<bool> {
                apps::delete(self, id).await
            }

            async fn create_event_type(&self, et: &EventType) -> StoreResult<()> {
                event_types::create(self, et).await
            }

            async fn get_event_type(&self, name: &str) -> StoreResult<Option<EventType>> {
                event_types::get(self, name).await
            }

            async fn list_event_types(
                &self,
                include_archived: bool,
                query: &ListQuery,
            ) -> StoreResult<Page<EventType>> {
                event_types::list(self, include_archived, query).await
            }

            async fn update_event_type(&self, et: &EventType) -> StoreResult<()> {
                event_types::update(self, et).await
            }

            async fn delete_event_type(&self, name: &str) -> StoreResult<bool> {
                event_types::delete(self, name).await
            }

            async fn create_endpoint(&self, ep: &Endpoint) -> StoreResult<()> {
                endpoints::create(self, &self.sealed(ep)).await
            }

            async fn get_endpoint(
                &self,
                app: &AppId,
                id_or_uid: &str,
            ) -> StoreResult<Option<Endpoint>> {
                endpoints::get(self, app, id_or_uid)
                    .await?
                    .map(|ep| self.opened(ep))
                    .transpose()
            }

            async fn list_endpoints(
                &self,
                app: &AppId,
                query: &ListQuery,
            ) -> StoreResult<Page<Endpoint>> {
                endpoints::list(self, app, query)
                    .await?
                    .try_map(|ep| self.opened(ep))
            }

            async fn update_endpoint(&self, ep: &Endpoint) -> StoreResult<()> {
                endpoints::update(self, &self.sealed(ep)).await
            }

            async fn reseal_endpoint_secrets(
                &self,
                after: Option<&EndpointId>,
                limit: u32,
            ) -> StoreResult<ResealBatch> {
                endpoints::reseal(self, after, limit).await
            }

            async fn delete_endpoint(&self, app: &AppId, id: &EndpointId) -> StoreResult<bool> {
                endpoints::delete(self, app, id).await
            }

            async fn disable_failing_endpoint(
                &self,
                app: &AppId,
                id: &EndpointId,
                failing_before: Timestamp,
                now: Timestamp,
            ) -> StoreResult<Option<Timestamp>> {
                endpoints::disable_failing(self, app, id, failing_before, now).await
            }
        }

        #[::async_trait::async_trait]
        impl Messages for $store {
            async fn get_message(
                &self,
                app: &AppId,
                id_or_event_id: &str,
            ) -> StoreResult<Option<Message>> {
                messages::get(self, app, id_or_event_id).await
            }

            async fn list_messages(
                &self,
                app: &AppId,
                filter: &MessageFilter,
                query: &ListQuery,
            ) -> StoreResult<Page<Message>> {
                messages::list(self, app, filter, query).await
            }

            async fn expunge_message_content(&self, app: &AppId, msg: &MsgId) -> StoreResult<bool> {
                messages::expunge_content(self, app, msg).await
            }

            async fn expire_payloads(&self, now: Timestamp, limit: u32) -> StoreResult<u64> {
                retention::expire_payloads(self, now, limit).await
            }
        }

        #[::async_trait::async_trait]
        impl Queue for $store {
            async fn create_message(
                &self,
                msg: &Message,
                only_endpoint: Option<&EndpointId>,
            ) -> StoreResult<u32> {
                messages::create(self, msg, only_endpoint).await
            }

            async fn create_messages(
                &self,
                msgs: &[Message],
                claim: Option<&ClaimRequest<'_>>,
            ) -> StoreResult<Created> {
                messages::create_many(self, msgs, claim)
                    .await?
                    .map_endpoints(|ep| self.opened(ep))
            }

            async fn claim_due(&self, req: &ClaimRequest<'_>) -> StoreResult<Vec<Claimed>> {
                queue::claim_due(self, req)
                    .await?
                    .into_iter()
                    .map(|mut c| {
                        c.endpoint = self.opened(c.endpoint)?;
                        Ok(c)
                    })
                    .collect()
            }

            async fn complete(&self, batch: &[Completion]) -> StoreResult<Vec<bool>> {
                $complete(self, batch).await
            }

            async fn resend(
                &self,
                app: &AppId,
                msg: &MsgId,
                endpoint: &EndpointId,
                now: Timestamp,
            ) -> StoreResult<()> {
                queue::resend(self, app, msg, endpoint, now).await
            }

            async fn recover(
                &self,
                app: &AppId,
                endpoint: &EndpointId,
                since: Timestamp,
                until: Option<Timestamp>,
                now: Timestamp,
            ) -> StoreResult<u64> {
                queue::recover(self, app, endpoint, since, until, now).await
            }

            async fn release_claims(&self, lease_token: &str, now: Timestamp) -> StoreResult<u64> {
                queue::release_claims(self, lease_token, now).await
            }

            async fn next_due_at(&self) -> StoreResult<Option<Timestamp>> {
                queue::next_due_at(self).await
            }

            async fn depth(&self, now: Timestamp) -> StoreResult<QueueDepth> {
                deliveries::depth(self, now).await
            }

            async fn throttle_take(
                &self,
                key: &str,
                per_second: u16,
                now: Timestamp,
            ) -> StoreResult<Result<(), Timestamp>> {
                limits::throttle_take(self, key, per_second, now).await
            }
        }

        #[::async_trait::async_trait]
        impl History for $store {
            async fn prune_attempts(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
                retention::prune_attempts(self, before, limit).await
            }

            async fn list_endpoint_deliveries(
                &self,
                app: &AppId,
                endpoint: &EndpointId,
                filter: &DeliveryFilter,
                query: &ListQuery,
            ) -> StoreResult<Page<(Message, Delivery)>> {
                deliveries::list_endpoint_deliveries(self, app, endpoint, filter, query).await
            }

            async fn list_message_deliveries(
                &self,
                app: &AppId,
                msg: &MsgId,
                query: &ListQuery,
            ) -> StoreResult<Page<(Endpoint, Delivery)>> {
                deliveries::list_message_deliveries(self, app, msg, query)
                    .await?
                    .try_map(|(ep, d)| Ok((self.opened(ep)?, d)))
            }

            async fn list_attempts_by_endpoint(
                &self,
                app: &AppId,
                endpoint: &EndpointId,
                filter: &AttemptFilter,
                query: &ListQuery,
            ) -> StoreResult<Page<Attempt>> {
                deliveries::list_attempts_by_endpoint(self, app, endpoint, filter, query).await
            }

            async fn list_attempts_by_msg(
                &self,
                app: &AppId,
                msg: &MsgId,
                filter: &AttemptFilter,
                query: &ListQuery,
            ) -> StoreResult<Page<Attempt>> {
                deliveries::list_attempts_by_msg(self, app, msg, filter, query).await
            }

            async fn get_attempt(
                &self,
                app: &AppId,
                msg: &MsgId,
                attempt: &AttemptId,
            ) -> StoreResult<Option<Attempt>> {
                deliveries::get_attempt(self, app, msg, attempt).await
            }

            async fn expunge_attempt_content(
                &self,
                app: &AppId,
                msg: &MsgId,
                attempt: &AttemptId,
            ) -> StoreResult<bool> {
                deliveries::expunge_attempt_content(self, app, msg, attempt).await
            }

            async fn endpoint_stats(
                &self,
                app: &AppId,
                endpoint: &EndpointId,
                since: Option<Timestamp>,
                until: Option<Timestamp>,
            ) -> StoreResult<EndpointStats> {
                deliveries::endpoint_stats(self, app, endpoint, since, until).await
            }

            async fn attempt_buckets(
                &self,
                query: &BucketQuery,
            ) -> StoreResult<Vec<AttemptBucket>> {
                limits::attempt_buckets(self, query).await
            }
        }

        #[::async_trait::async_trait]
        impl Idempotency for $store {
            async fn idempotency_begin(
                &self,
                key: &str,
                request_hash: &str,
                now: Timestamp,
                expired_before: Timestamp,
            ) -> StoreResult<IdempotencyBegin> {
                idempotency::begin(self, key, request_hash, now, expired_before).await
            }

            async fn idempotency_finish(
                &self,
                key: &str,
                response: &StoredResponse,
            ) -> StoreResult<()> {
                idempotency::finish(self, key, response).await
            }

            async fn idempotency_abandon(&self, key: &str) -> StoreResult<()> {
                idempotency::abandon(self, key).await
            }

            async fn idempotency_prune(&self, before: Timestamp) -> StoreResult<u64> {
                idempotency::prune(self, before).await
            }
        }

        #[::async_trait::async_trait]
        impl Tasks for $store {
            async fn create_task(&self, task: &Task) -> StoreResult<()> {
                tasks::create(self, task).await
            }

            async fn end_task(
                &self,
                id: &TaskId,
                status: TaskStatus,
                data: &serde_json::Value,
                now: Timestamp,
            ) -> StoreResult<bool> {
                tasks::end(self, id, status, data, now).await
            }

            async fn touch_task(&self, id: &TaskId, now: Timestamp) -> StoreResult<bool> {
                tasks::touch(self, id, now).await
            }

            async fn get_task(&self, id: &TaskId) -> StoreResult<Option<Task>> {
                tasks::get(self, id).await
            }

            async fn list_tasks(
                &self,
                filter: &TaskFilter,
                query: &ListQuery,
            ) -> StoreResult<Page<Task>> {
                tasks::list(self, filter, query).await
            }

            async fn fail_stale_tasks(
                &self,
                stale_before: Timestamp,
                data: &serde_json::Value,
                now: Timestamp,
            ) -> StoreResult<u64> {
                tasks::fail_stale(self, stale_before, data, now).await
            }
        }

        #[::async_trait::async_trait]
        impl Audit for $store {
            async fn record_audit(&self, entries: &[AuditEntry]) -> StoreResult<()> {
                hookd_store_sql::queries::audit::record(self, entries).await
            }

            async fn list_audit(&self, query: &ListQuery) -> StoreResult<Page<AuditEntry>> {
                hookd_store_sql::queries::audit::list(self, query).await
            }

            async fn prune_audit(&self, before: Timestamp, limit: u32) -> StoreResult<u64> {
                hookd_store_sql::queries::audit::prune(self, before, limit).await
            }
        }
    };
}
