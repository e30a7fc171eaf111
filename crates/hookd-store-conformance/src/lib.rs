//! `hookd-store-conformance` is the one test suite every [`Store`] implementation must pass
//! unchanged: it pins down the contract written in `hookd_core::store`'s documentation
//! (lookups, conflicts, cascades, fan-out, pagination, filters, the delivery queue's guarded
//! transitions, endpoint health, retention, idempotency keys and tokens) as executable cases.
//!
//! A store crate runs the whole suite with one line in an integration test:
//!
//! ```ignore
//! async fn fresh_store() -> hookd_store_conformance::TestStore {
//!     let dir = tempfile::TempDir::new().unwrap();
//!     let store = MyStore::open(dir.path()).await.unwrap();
//!     hookd_store_conformance::TestStore::new(std::sync::Arc::new(store), dir)
//! }
//! hookd_store_conformance::conformance_tests!(fresh_store);
//! ```
//!
//! which expands to one `#[tokio::test]` per case (so each is reported on its own), each on a
//! fresh store. The calling crate needs `tokio` (with `macros` and `rt-multi-thread`) as a
//! dependency, because `#[tokio::test]` expands to code that names it.
//!
//! This crate must not know any particular store: it only calls the trait.

use std::{any::Any, sync::Arc};

use hookd_core::store::Store;

pub mod cases;
pub mod check;
pub mod fixture;
pub mod sealing;

/// A store under test, together with whatever must outlive it (a temporary directory, a
/// database container handle…), which is dropped only after the case has finished.
pub struct TestStore {
    store: Arc<dyn Store>,
    _keep_alive: Box<dyn Any + Send>,
}

impl TestStore {
    /// Wraps `store`, keeping `keep_alive` until the test ends.
    pub fn new(store: Arc<dyn Store>, keep_alive: impl Any + Send) -> Self {
        Self {
            store,
            _keep_alive: Box::new(keep_alive),
        }
    }

    /// The store, shareable across tasks.
    pub fn store(&self) -> Arc<dyn Store> {
        Arc::clone(&self.store)
    }
}

impl std::fmt::Debug for TestStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestStore")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

/// Expands to one `#[tokio::test]` per conformance case. The argument is an async factory (a
/// function or closure returning a future of [`TestStore`]) that opens a fresh, empty store;
/// it is called once per test.
///
/// Cases that exercise concurrency run on a multi-threaded runtime so that their tasks really
/// run in parallel; the others run on tokio's default test runtime.
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@single $factory;
            tokens::ping_answers,
            tokens::token_round_trip,
            tokens::admin_tokens_are_listed_by_id,
            tokens::admin_token_inserted_only_if_none,
            tokens::portal_scope_round_trips,
            tokens::expire_app_tokens_shortens_only_and_by_session,
            apps::app_crud_round_trip,
            apps::app_id_takes_precedence_over_uid,
            apps::app_uid_conflicts,
            apps::app_delete_cascades,
            apps::apps_paginate,
            event_types::event_type_crud_round_trip,
            event_types::event_types_list_by_name,
            foreign_ids::foreign_ids_and_times_are_kept,
            endpoints::endpoint_crud_round_trip,
            endpoints::endpoint_lookup_is_scoped_to_app,
            endpoints::endpoint_delete_cascades,
            endpoints::endpoints_paginate,
            messages::message_round_trip,
            messages::message_id_takes_precedence_over_event_id,
            messages::message_event_id_conflicts,
            messages::message_fans_out_to_accepting_endpoints,
            messages::message_to_only_endpoint,
            messages::message_batch_fans_out_and_isolates_conflicts,
            messages::messages_paginate,
            messages::message_list_filters,
            extras::scheduled_delivery_waits_for_deliver_at,
            extras::tags_round_trip_and_filter_lists,
            extras::raw_bodies_and_headers_round_trip,
            extras::app_list_filters_exclude_by_endpoints,
            deliveries::endpoint_deliveries_list_and_filter,
            deliveries::message_deliveries_list,
            attempts::attempt_lists_and_filters,
            attempts::attempts_paginate,
            attempts::attempt_requests_round_trip_and_lose_bodies_with_content,
            attempts::attempt_retry_facts_round_trip,
            queue::claim_takes_due_oldest_first_up_to_limit,
            queue::claim_respects_lease_until_it_expires,
            completion::complete_applies_transitions,
            completion::stale_completion_records_attempt_only,
            completion::repeated_completion_is_harmless,
            completion::batch_with_a_delivery_twice_judges_each_by_its_lease,
            completion::complete_deferred_and_canceled,
            completion::complete_after_endpoint_deleted,
            queue::resend_makes_delivery_due_now,
            queue::lost_claims_are_released_by_token,
            publish_claims::publish_claims_up_to_its_limit_as_it_writes,
            publish_claims::publish_without_a_claim_leaves_every_delivery_due,
            queue::recover_window,
            deliveries::endpoint_stats_count_by_status,
            queue::next_due_at_tracks_queue,
            queue::depth_counts_live_deliveries_and_the_oldest_due,
            idempotency::idempotency_lifecycle,
            idempotency::idempotency_expiry_and_prune,
            limits::throttle_paces_and_is_shared,
            limits::throttle_keys_are_independent,
            limits::attempt_buckets_count_by_time_outcome_and_duration,
            health::endpoint_health_follows_held_attempts,
            health::failing_endpoint_is_disabled_once,
            health::toggling_an_endpoint_resets_its_health,
            retention::payloads_expire_in_bounded_batches,
            retention::attempts_pruned_in_bounded_batches,
            tasks::task_ends_once,
            tasks::stale_tasks_fail,
            tasks::tasks_list_filter_and_paginate,
            tasks::audit_log_records_lists_and_prunes,
        );
        $crate::conformance_tests!(@parallel $factory;
            tokens::admin_token_inserted_once_under_concurrency,
            queue::concurrent_claims_never_overlap,
            health::failing_endpoint_is_disabled_once_under_concurrency,
        );
    };
    (@single $factory:expr; $($module:ident :: $case:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $case() {
                let harness: $crate::TestStore = ($factory)().await;
                $crate::cases::$module::$case(harness.store()).await;
            }
        )+
    };
    (@parallel $factory:expr; $($module:ident :: $case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let harness: $crate::TestStore = ($factory)().await;
                $crate::cases::$module::$case(harness.store()).await;
            }
        )+
    };
}
