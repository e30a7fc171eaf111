//! The families whose work is a background task, or acts on many messages at once: the
//! statistics (`aggregate_app_stats`, `aggregate_event_types`) and the message expunges
//! (`bulk_expunge_content` by id and eventId, `expunge_all_contents`). Tasks are polled
//! through the background-task route until they finish, with a deadline. Each check compares
//! what hookd gives back with what was sent or created. It must not start hookd (the flow
//! does).

use std::{collections::BTreeMap, time::Instant};

use serde_json::json;
use svix::{
    api::{MessageGetOptions, Svix},
    error::Error,
    models::{
        AppUsageStatsIn, BackgroundTaskOut, BackgroundTaskStatus, BackgroundTaskType,
        BulkExpungeContentsIn, BulkExpungeStatus, MessageIn,
    },
};

use crate::{receiver::DEADLINE, report::Report, POLL};

/// The task once it is no longer running, or as it stands at the deadline: a task has no
/// completion signal but this read.
async fn finished(svix: &Svix, id: &str) -> Result<BackgroundTaskOut, String> {
    let deadline = Instant::now() + DEADLINE;
    loop {
        let task = svix
            .background_task()
            .get(id.to_owned())
            .await
            .map_err(|e| format!("{e:?}"))?;
        if task.status != BackgroundTaskStatus::Running || Instant::now() > deadline {
            return Ok(task);
        }
        tokio::time::sleep(POLL).await;
    }
}

pub async fn step(svix: &Svix, app_id: &str, r: &mut Report) -> Result<(), String> {
    let e = |e: Error| format!("{e:?}");
    let app = || app_id.to_owned();
    let payloads: Vec<_> = (0..3)
        .map(|i| json!({"name": format!("pet-{i}")}))
        .collect();
    let mut msgs = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        let mut msg_in = MessageIn::new("pet.adopted".into(), payload.clone());
        msg_in.event_id = Some(format!("fam-{i}"));
        msgs.push(
            svix.message()
                .create(app(), msg_in, None)
                .await
                .map_err(e)?,
        );
    }

    let now = chrono::Utc::now();
    let stats_in = AppUsageStatsIn {
        app_ids: Some([app(), "app_not_here".to_owned()].into()),
        ..AppUsageStatsIn::new(
            now - chrono::Duration::hours(1),
            now + chrono::Duration::minutes(1),
        )
    };
    let stats = svix
        .statistics()
        .aggregate_app_stats(stats_in, None)
        .await
        .map_err(e)?;
    r.check(
        "aggregate_app_stats answers an application.stats task naming the unknown id",
        stats.task == BackgroundTaskType::ApplicationStats
            && stats.unresolved_app_ids == ["app_not_here".to_owned()].into(),
        &stats,
    );
    let task = finished(svix, &stats.id).await?;
    r.check(
        "and the task, polled, finishes",
        task.id == stats.id
            && task.status == BackgroundTaskStatus::Finished
            && task.task == BackgroundTaskType::ApplicationStats,
        &task,
    );
    let rows = rows_of(&task.data, "appStats", app_id);
    r.check(
        "its data is the SDK's documented shape: appStats with messageDestinations",
        rows.len() == 1
            && rows[0].as_object().map(|o| o.len()) == Some(3)
            && rows[0]["messageDestinations"].is_u64()
            && rows[0].get("appUid").is_some(),
        &task.data,
    );
    let aggregate = svix.statistics().aggregate_event_types().await.map_err(e)?;
    let task = finished(svix, &aggregate.id).await?;
    r.check(
        "aggregate_event_types answers an event-type.aggregate task that finishes",
        aggregate.task == BackgroundTaskType::EventTypeAggregate
            && task.status == BackgroundTaskStatus::Finished,
        &task,
    );
    let rows = rows_of(&task.data, "event_types", app_id);
    r.check(
        "its data is the SDK's documented shape: event_types per application",
        rows.len() == 1
            && rows[0]["explicitlySubscribedEventTypes"].is_array()
            && rows[0]["hasCatchAllEndpoint"].is_boolean(),
        &task.data,
    );

    // bulk-expunge by id and by eventId; an unknown id is reported, not an error.
    let ids = [msgs[0].id.clone(), "fam-1".into(), "msg_not_here".into()];
    let bulk_in = BulkExpungeContentsIn {
        ids: Some(ids.iter().cloned().collect()),
    };
    let out = svix
        .message()
        .bulk_expunge_content(app(), bulk_in, None)
        .await
        .map_err(e)?;
    let expected = BTreeMap::from(ids.clone().map(|id| {
        let status = if id == "msg_not_here" {
            BulkExpungeStatus::NotFound
        } else {
            BulkExpungeStatus::Expunged
        };
        (id, status)
    }));
    r.check(
        "bulk_expunge_content answers per id",
        out.results == expected,
        &out.results,
    );
    // Read with content: this SDK asks for messages without their payloads by default.
    let payload_of = |msg_id: String| async move {
        let with_content = MessageGetOptions {
            with_content: Some(true),
        };
        svix.message()
            .get(app(), msg_id, Some(with_content))
            .await
            .map(|m| m.payload)
    };
    let mut kept = Vec::new();
    for (msg, payload) in msgs.iter().zip(&payloads) {
        kept.push(payload_of(msg.id.clone()).await.map_err(e)? == *payload);
    }
    r.check(
        "the expunged payloads are gone, the third is kept",
        kept == [false, false, true],
        &kept,
    );
    let purge = svix
        .message()
        .expunge_all_contents(app(), None)
        .await
        .map_err(e)?;
    let task = finished(svix, &purge.id).await?;
    r.check(
        "expunge_all_contents is an application.purge_content task that purged the one payload left",
        purge.task == BackgroundTaskType::ApplicationPurgeContent
            && task.status == BackgroundTaskStatus::Finished
            && task.data == json!({"messagesPurged": 1}),
        &task,
    );
    let last = payload_of(msgs[2].id.clone()).await.map_err(e)?;
    r.check("and that payload is gone too", last != payloads[2], &last);
    Ok(())
}

/// The rows of a statistics task's `data[key]` that belong to application `app_id`.
fn rows_of<'a>(data: &'a serde_json::Value, key: &str, app_id: &str) -> Vec<&'a serde_json::Value> {
    data[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|row| row["appId"] == app_id)
        .collect()
}
