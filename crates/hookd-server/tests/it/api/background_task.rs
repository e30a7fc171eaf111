//! Background tasks: every task-starting route leaves a row that `GET /api/v1/background-task`
//! lists and reads, across a restart; stale running tasks fail; replays (bulk and missing)
//! make the right messages due again.

use chrono::Duration;
use hookd_core::clock::Clock as _;
use hookd_core::{
    id::TaskId,
    task::{Task, TaskStatus},
};
use hookd_server::api::{background_task, wire::ts};
use serde_json::json;

use crate::common::Harness;

/// An app `a` with endpoint `e` and one message to it that failed for good; returns the
/// window's start.
async fn one_failed_delivery(h: &Harness) -> String {
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "e"}))
        .await;
    let since = ts(h.clock.now() - Duration::hours(1));
    h.message("a", json!({"eventType": "x.y", "payload": {"n": 1}}))
        .await;
    assert_eq!(h.attempt_due(500).await.len(), 1);
    h.advance_ms(1000);
    since
}

#[tokio::test]
async fn a_task_is_a_row_that_outlives_the_process() {
    let h = Harness::new().await;
    let since = one_failed_delivery(&h).await;
    let r = h
        .post("/api/v1/app/a/endpoint/e/recover", json!({"since": since}))
        .await
        .expect(202);
    let id = r.json["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("qtask_"));
    assert_eq!(r.json["status"], "finished");
    assert_eq!(r.json["data"], json!({"recovered": 1}));

    let h = h.restarted().await;
    let got = h
        .get(&format!("/api/v1/background-task/{id}"))
        .await
        .expect(200);
    assert_eq!(
        (
            &got.json["id"],
            &got.json["status"],
            &got.json["task"],
            &got.json["data"]
        ),
        (
            &json!(id),
            &json!("finished"),
            &json!("endpoint.recover"),
            &json!({"recovered": 1})
        )
    );
    assert!(got.json["updatedAt"].is_string());
    let listed = h.get("/api/v1/background-task").await.expect(200);
    assert_eq!(listed.json["data"][0]["id"], id.as_str());
    assert_eq!(listed.json["done"], true);

    h.get("/api/v1/background-task/qtask_2AAAAAAAAAAAAAAAAAAAAA")
        .await
        .expect(404);
    h.get("/api/v1/background-task/app_1").await.expect(404);
}

#[tokio::test]
async fn tasks_list_newest_first_and_filter() {
    let h = Harness::new().await;
    let since = one_failed_delivery(&h).await;
    let recover = h
        .post("/api/v1/app/a/endpoint/e/recover", json!({"since": since}))
        .await
        .expect(202);
    h.advance_ms(10);
    let replay = h
        .post(
            "/api/v1/app/a/endpoint/e/replay-missing",
            json!({"since": since}),
        )
        .await
        .expect(202);
    assert_eq!(replay.json["task"], "endpoint.replay");
    let ids = |r: &crate::common::Resp| -> Vec<String> {
        r.json["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.json_id())
            .collect()
    };
    let (recover, replay) = (recover.json_id(), replay.json_id());

    let all = h.get("/api/v1/background-task").await.expect(200);
    assert_eq!(ids(&all), vec![replay.clone(), recover.clone()]);
    let asc = h
        .get("/api/v1/background-task?order=ascending&limit=1")
        .await
        .expect(200);
    assert_eq!(ids(&asc), vec![recover.clone()]);
    assert_eq!(asc.json["done"], false);
    let by_kind = h
        .get("/api/v1/background-task?task=endpoint.recover")
        .await
        .expect(200);
    assert_eq!(ids(&by_kind), vec![recover.clone()]);
    let running = h
        .get("/api/v1/background-task?status=running")
        .await
        .expect(200);
    assert!(ids(&running).is_empty());
    let finished = h
        .get("/api/v1/background-task?status=finished&task=endpoint.replay")
        .await
        .expect(200);
    assert_eq!(ids(&finished), vec![replay]);

    let r = h
        .get("/api/v1/background-task?status=done")
        .await
        .expect(422);
    assert_eq!(r.loc(), vec!["query", "status"]);

    // Tasks belong to no application: a portal token cannot list them.
    let app = hookd_core::id::AppId::from_trusted(h.app("b").await);
    let portal = h
        .insert_token(hookd_core::model::TokenScope::App(app), None)
        .await;
    h.call(
        axum::http::Method::GET,
        "/api/v1/background-task",
        &portal,
        None,
    )
    .await
    .expect(403);
}

#[tokio::test]
async fn a_running_task_without_heartbeat_fails() {
    let h = Harness::new().await;
    let now = h.clock.now();
    let task = Task {
        id: TaskId::generate(now, &mut rand::thread_rng()),
        kind: "endpoint.replay".into(),
        status: TaskStatus::Running,
        data: json!({}),
        created_at: now,
        updated_at: now,
    };
    h.store().create_task(&task).await.unwrap();
    let path = format!("/api/v1/background-task/{}", task.id);
    assert_eq!(h.get(&path).await.expect(200).json["status"], "running");

    // Within the bound, a sweep leaves it running.
    let bound = Duration::from_std(background_task::STALE_AFTER).unwrap();
    h.clock.advance(bound - Duration::seconds(1));
    assert_eq!(background_task::fail_stale(&h.state).await.unwrap(), 0);
    h.clock.advance(Duration::seconds(2));
    assert_eq!(background_task::fail_stale(&h.state).await.unwrap(), 1);
    let r = h.get(&path).await.expect(200);
    assert_eq!(r.json["status"], "failed");
    assert!(r.json["data"]["error"]
        .as_str()
        .unwrap()
        .contains("stopped"));
}

/// Ids of the messages the next worker pass attempts, answering 200.
async fn attempted_msgs(h: &Harness) -> Vec<String> {
    let mut ids: Vec<String> = h
        .attempt_due(200)
        .await
        .iter()
        .map(|a| a.msg_id.to_string())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn bulk_replay_resends_the_window_with_filters() {
    let h = Harness::new().await;
    h.app("a").await;
    h.endpoint("a", json!({"url": "https://e.com", "uid": "e"}))
        .await;
    let since = ts(h.clock.now());
    let m1 = h
        .message(
            "a",
            json!({"eventType": "x.y", "payload": {}, "channels": ["c1"]}),
        )
        .await;
    h.advance_ms(5);
    let m2 = h
        .message(
            "a",
            json!({"eventType": "x.z", "payload": {}, "tags": ["t2"]}),
        )
        .await;
    assert_eq!(h.attempt_due(200).await.len(), 2);
    h.advance_ms(5);
    let until = ts(h.clock.now());
    h.advance_ms(5);
    h.message("a", json!({"eventType": "x.y", "payload": {}}))
        .await;
    assert_eq!(h.attempt_due(500).await.len(), 1, "after the window");

    let replay = |body: serde_json::Value| {
        let h = &h;
        async move {
            h.post("/api/v1/app/a/endpoint/e/bulk-replay", body)
                .await
                .expect(202)
        }
    };
    let r = replay(json!({"since": since, "until": until})).await;
    assert_eq!(
        (&r.json["status"], &r.json["task"], &r.json["data"]),
        (
            &json!("finished"),
            &json!("endpoint.bulk-replay"),
            &json!({"replayed": 2, "skipped": 0})
        )
    );
    let mut both = vec![m1.json_id(), m2.json_id()];
    both.sort();
    assert_eq!(attempted_msgs(&h).await, both);

    let r = replay(json!({"since": since, "until": until, "eventTypes": ["x.z"]})).await;
    assert_eq!(r.json["data"]["replayed"], 1);
    assert_eq!(attempted_msgs(&h).await, vec![m2.json_id()]);
    let r = replay(json!({"since": since, "channel": "c1"})).await;
    assert_eq!(r.json["data"]["replayed"], 1);
    assert_eq!(attempted_msgs(&h).await, vec![m1.json_id()]);
    let r = replay(json!({"since": since, "tag": "t2"})).await;
    assert_eq!(r.json["data"]["replayed"], 1);
    assert_eq!(attempted_msgs(&h).await, vec![m2.json_id()]);
    // The message after the window failed (status 2, a 5xx).
    let r = replay(json!({"since": since, "status": 2})).await;
    assert_eq!(r.json["data"]["replayed"], 1);
    h.attempt_due(500).await;
    let r = replay(json!({"since": since, "statusCodeClass": 500})).await;
    assert_eq!(r.json["data"]["replayed"], 1);
    h.attempt_due(200).await;
    let r = replay(json!({"since": since, "statusCodeClass": 400})).await;
    assert_eq!(r.json["data"]["replayed"], 0);

    // Refused, not ignored: malformed filters.
    for (body, loc) in [
        (json!({"since": since, "tag": "not a tag"}), "tag"),
        (json!({"since": since, "status": 9}), "status"),
        (
            json!({"since": since, "statusCodeClass": 201}),
            "statusCodeClass",
        ),
    ] {
        let r = h
            .post("/api/v1/app/a/endpoint/e/bulk-replay", body)
            .await
            .expect(422);
        assert_eq!(r.loc(), vec!["body", loc]);
    }
    h.post(
        "/api/v1/app/a/endpoint/zzz/bulk-replay",
        json!({"since": since}),
    )
    .await
    .expect(404);
}

#[tokio::test]
async fn replay_missing_sends_only_what_the_endpoint_never_got() {
    let h = Harness::new().await;
    h.app("a").await;
    let since = ts(h.clock.now());
    // Published before the endpoint existed: missing if it accepts them.
    let before = h
        .message("a", json!({"eventType": "x.y", "payload": {}}))
        .await;
    h.message("a", json!({"eventType": "other.type", "payload": {}}))
        .await;
    h.advance_ms(5);
    h.event_type("x.y").await;
    h.endpoint(
        "a",
        json!({"url": "https://e.com", "uid": "e", "filterTypes": ["x.y"]}),
    )
    .await;
    h.advance_ms(5);
    h.message("a", json!({"eventType": "x.y", "payload": {}}))
        .await;
    // Delivered already (failed): not missing.
    assert_eq!(h.attempt_due(500).await.len(), 1);

    let r = h
        .post(
            "/api/v1/app/a/endpoint/e/replay-missing",
            json!({"since": since}),
        )
        .await
        .expect(202);
    assert_eq!(r.json["data"], json!({"replayed": 1, "skipped": 0}));
    assert_eq!(attempted_msgs(&h).await, vec![before.json_id()]);
    // Now it has them all.
    let r = h
        .post(
            "/api/v1/app/a/endpoint/e/replay-missing",
            json!({"since": since}),
        )
        .await
        .expect(202);
    assert_eq!(r.json["data"]["replayed"], 0);
    h.post("/api/v1/app/a/endpoint/e/replay-missing", json!({}))
        .await
        .expect(422);
}

/// The `id` of a JSON object.
trait JsonId {
    fn json_id(&self) -> String;
}

impl JsonId for serde_json::Value {
    fn json_id(&self) -> String {
        self["id"].as_str().expect("an id").to_owned()
    }
}

impl JsonId for crate::common::Resp {
    fn json_id(&self) -> String {
        self.json.json_id()
    }
}

#[tokio::test]
async fn an_async_task_answers_running_and_its_row_ends_finished() {
    let h = Harness::new().await;
    let since = one_failed_delivery(&h).await;
    let r = h
        .post(
            "/api/v1/app/a/endpoint/e/recover?async=true",
            json!({"since": since}),
        )
        .await
        .expect(202);
    assert_eq!(
        (&r.json["status"], &r.json["data"]),
        (&json!("running"), &json!({}))
    );
    let id = TaskId::from_trusted(r.json_id());
    // The work runs on this test's runtime: each yield lets it take its next step, so the
    // row ends within a bounded number of them (no timer involved).
    let mut ended = None;
    for _ in 0..1000 {
        let task = h.store().get_task(&id).await.unwrap().unwrap();
        if task.status != TaskStatus::Running {
            ended = Some(task);
            break;
        }
        tokio::task::yield_now().await;
    }
    let task = ended.expect("the background task ended");
    assert_eq!(
        (task.status, task.data),
        (TaskStatus::Finished, json!({"recovered": 1}))
    );
}
