//! Cases for background task records: they end once, heartbeats keep them alive, stale ones
//! fail, and lists filter and page by id.
//!
//! These cases must not depend on other entities: tasks belong to no application.

use std::sync::Arc;

use chrono::Duration;
use hookd_core::{
    id::TaskId,
    store::{Store, StoreError},
    task::{Task, TaskFilter, TaskStatus},
};
use rand::{rngs::StdRng, SeedableRng};
use serde_json::json;

use crate::{
    check::{assert_pagination, everything},
    fixture::Fixture,
};

/// A fixed seed, so that a failing case names the same ids every run.
const SEED: u64 = 13;

/// A running task of `kind` started at the fixture's next millisecond.
fn running(fx: &mut Fixture, rng: &mut StdRng, kind: &str) -> Task {
    let now = fx.tick();
    Task {
        id: TaskId::generate(now, rng),
        kind: kind.into(),
        status: TaskStatus::Running,
        data: json!({}),
        created_at: now,
        updated_at: now,
    }
}

/// A task reads back as written, ends exactly once, and a heartbeat moves only a running
/// task's `updated_at`, never backwards.
pub async fn task_ends_once(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let mut rng = StdRng::seed_from_u64(SEED);
    let task = running(&mut fx, &mut rng, "endpoint.recover");
    store.create_task(&task).await.unwrap();
    assert_eq!(store.get_task(&task.id).await.unwrap(), Some(task.clone()));
    assert!(matches!(
        store.create_task(&task).await,
        Err(StoreError::Conflict(_))
    ));

    let later = fx.tick();
    assert!(store.touch_task(&task.id, later).await.unwrap());
    // A heartbeat from a clock behind the last one leaves the later time.
    assert!(store.touch_task(&task.id, task.created_at).await.unwrap());
    let alive = store.get_task(&task.id).await.unwrap().unwrap();
    assert_eq!(alive.updated_at, later);
    assert_eq!(alive.status, TaskStatus::Running);

    let end = fx.tick();
    let data = json!({ "recovered": 3 });
    assert!(store
        .end_task(&task.id, TaskStatus::Finished, &data, end)
        .await
        .unwrap());
    let ended = Task {
        status: TaskStatus::Finished,
        data: data.clone(),
        updated_at: end,
        ..task.clone()
    };
    assert_eq!(store.get_task(&task.id).await.unwrap(), Some(ended.clone()));

    // Ended is final: neither a second end nor a heartbeat changes it.
    let after = fx.tick();
    assert!(!store
        .end_task(
            &task.id,
            TaskStatus::Failed,
            &json!({ "error": "x" }),
            after
        )
        .await
        .unwrap());
    assert!(!store.touch_task(&task.id, after).await.unwrap());
    assert_eq!(store.get_task(&task.id).await.unwrap(), Some(ended));

    let ghost = running(&mut fx, &mut rng, "endpoint.recover");
    assert_eq!(store.get_task(&ghost.id).await.unwrap(), None);
    assert!(!store
        .end_task(&ghost.id, TaskStatus::Finished, &data, after)
        .await
        .unwrap());
}

/// Running tasks whose heartbeat is older than the bound fail with the given data; fresh ones
/// and ended ones are left alone.
pub async fn stale_tasks_fail(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let mut rng = StdRng::seed_from_u64(SEED);
    let stale = running(&mut fx, &mut rng, "endpoint.replay");
    let fresh = running(&mut fx, &mut rng, "endpoint.replay");
    let done = running(&mut fx, &mut rng, "endpoint.replay");
    for t in [&stale, &fresh, &done] {
        store.create_task(t).await.unwrap();
    }
    fx.advance(Duration::minutes(10));
    let bound = fx.now();
    assert!(store.touch_task(&fresh.id, fx.tick()).await.unwrap());
    let finished = json!({ "replayed": 1 });
    assert!(store
        .end_task(&done.id, TaskStatus::Finished, &finished, fx.tick())
        .await
        .unwrap());

    let why = json!({ "error": "abandoned" });
    let now = fx.tick();
    assert_eq!(store.fail_stale_tasks(bound, &why, now).await.unwrap(), 1);
    let failed = store.get_task(&stale.id).await.unwrap().unwrap();
    assert_eq!(
        (failed.status, failed.data, failed.updated_at),
        (TaskStatus::Failed, why.clone(), now)
    );
    let fresh = store.get_task(&fresh.id).await.unwrap().unwrap();
    assert_eq!(fresh.status, TaskStatus::Running);
    let done = store.get_task(&done.id).await.unwrap().unwrap();
    assert_eq!((done.status, done.data), (TaskStatus::Finished, finished));
    // Nothing is left to fail at the same bound.
    assert_eq!(store.fail_stale_tasks(bound, &why, now).await.unwrap(), 0);
}

/// Tasks list by id, filter by status and kind (together), and page in both orders and
/// directions.
pub async fn tasks_list_filter_and_paginate(store: Arc<dyn Store>) {
    let mut fx = Fixture::new();
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut all = Vec::new();
    for i in 0..7 {
        let kind = if i % 2 == 0 {
            "endpoint.recover"
        } else {
            "endpoint.replay"
        };
        let task = running(&mut fx, &mut rng, kind);
        store.create_task(&task).await.unwrap();
        if i % 3 == 0 {
            store
                .end_task(&task.id, TaskStatus::Finished, &json!({}), fx.tick())
                .await
                .unwrap();
        }
        all.push(store.get_task(&task.id).await.unwrap().unwrap());
    }
    let ids = |filter: &TaskFilter| -> Vec<String> {
        all.iter()
            .filter(|t| filter.matches(t))
            .map(|t| t.id.to_string())
            .collect()
    };
    let filters = [
        TaskFilter::default(),
        TaskFilter {
            status: Some(TaskStatus::Running),
            kind: None,
        },
        TaskFilter {
            status: None,
            kind: Some("endpoint.replay".into()),
        },
        TaskFilter {
            status: Some(TaskStatus::Finished),
            kind: Some("endpoint.recover".into()),
        },
        TaskFilter {
            status: Some(TaskStatus::Failed),
            kind: None,
        },
    ];
    for filter in filters {
        let listed: Vec<String> = store
            .list_tasks(&filter, &everything())
            .await
            .unwrap()
            .data
            .iter()
            .map(|t| t.id.to_string())
            .collect();
        assert_eq!(listed, ids(&filter), "tasks filtered by {filter:?}");
    }
    assert_pagination(
        "tasks",
        &ids(&TaskFilter::default()),
        |q| {
            let store = Arc::clone(&store);
            async move { store.list_tasks(&TaskFilter::default(), &q).await }
        },
        |t| t.id.to_string(),
    )
    .await;
}

/// Audit entries are written in a batch, listed newest first (ids sort by time) page by page,
/// kept whole (an absent client too), and pruned oldest first in bounded batches.
pub async fn audit_log_records_lists_and_prunes(store: Arc<dyn Store>) {
    use hookd_core::{
        id::{AuditId, TokenId},
        page::{ListQuery, Order},
        store::AuditEntry,
    };
    let mut fx = Fixture::new();
    let mut entries = Vec::new();
    for n in 0..5u16 {
        let at = fx.tick();
        entries.push(AuditEntry {
            id: AuditId::generate(at, &mut rand::thread_rng()),
            at,
            token_id: TokenId::from_trusted("tok_a"),
            method: "POST".into(),
            route: "/api/v1/app/{app_id}/endpoint".into(),
            path: format!("/api/v1/app/acme-{n}/endpoint"),
            status: 201 + n,
            client: (n % 2 == 0).then(|| "127.0.0.1:5000".to_owned()),
        });
        fx.advance(Duration::seconds(1));
    }
    store.record_audit(&entries).await.unwrap();
    let first = store
        .list_audit(&ListQuery::first(3, Order::Descending))
        .await
        .unwrap();
    let newest: Vec<_> = entries.iter().rev().take(3).cloned().collect();
    assert_eq!(first.data, newest);
    assert!(!first.done);
    let rest = store
        .list_audit(&ListQuery::from_params(
            Some(3),
            first.iterator.as_deref(),
            Order::Descending,
        ))
        .await
        .unwrap();
    assert_eq!(rest.data.len(), 2);

    // Pruning takes the oldest first, at most `limit` a call.
    let cut = entries[3].at;
    assert_eq!(store.prune_audit(cut, 2).await.unwrap(), 2);
    assert_eq!(store.prune_audit(cut, 2).await.unwrap(), 1);
    assert_eq!(store.prune_audit(cut, 2).await.unwrap(), 0);
    let left = store
        .list_audit(&ListQuery::first(10, Order::Ascending))
        .await
        .unwrap();
    assert_eq!(left.data, entries[3..].to_vec());
}
