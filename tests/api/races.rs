//! Real parallel requests against the local stack: each rule holds under contention.

use std::sync::Arc;

use serde_json::json;

use crate::helpers::{TestApi, for_task, task_id, with_body, with_header};

const RACERS: usize = 8;

/// Sends `RACERS` copies of a request at once and returns their statuses.
async fn race(api: &Arc<TestApi>, event: serde_json::Value) -> Vec<u16> {
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..RACERS {
        let (api, event) = (api.clone(), event.clone());
        requests.spawn(async move { api.send(event).await.status });
    }
    let mut statuses = Vec::new();
    while let Some(status) = requests.join_next().await {
        statuses.push(status.unwrap());
    }
    statuses.sort();
    statuses
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn of_racing_updates_with_the_same_if_match_exactly_one_wins() {
    let api = Arc::new(TestApi::dynamodb().await);
    let id = task_id(&api.create(json!({"title": "Contested"})).await);
    let event = with_header(
        with_body(
            for_task(api.event("patch-task"), &id),
            &json!({"priority": "high"}),
        ),
        "If-Match",
        "\"1\"",
    );
    let statuses = race(&api, event).await;
    assert_eq!(statuses, [vec![200], vec![412; RACERS - 1]].concat());
    assert_eq!(api.get(&id).await.body["task"]["version"], 2);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn of_racing_deletes_exactly_one_succeeds() {
    let api = Arc::new(TestApi::dynamodb().await);
    let id = task_id(&api.create(json!({"title": "Deleted by many"})).await);
    let statuses = race(&api, for_task(api.event("delete-task"), &id)).await;
    assert_eq!(statuses, [vec![200], vec![404; RACERS - 1]].concat());
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn racing_updates_and_a_delete_never_resurrect_the_task() {
    let api = Arc::new(TestApi::dynamodb().await);
    let id = task_id(&api.create(json!({"title": "Racing its deletion"})).await);
    let mut requests = tokio::task::JoinSet::new();
    for i in 0..RACERS {
        let (api, id) = (api.clone(), id.clone());
        requests.spawn(async move {
            if i == RACERS / 2 {
                api.send(for_task(api.event("delete-task"), &id))
                    .await
                    .status
            } else {
                api.patch(&id, json!({"description": format!("racer {i}")}))
                    .await
                    .status
            }
        });
    }
    while let Some(status) = requests.join_next().await {
        assert!(matches!(status.unwrap(), 200 | 404));
    }
    assert_eq!(
        api.get(&id).await.status,
        404,
        "no update may write the task back"
    );
    assert_eq!(api.list(&[]).await.body["count"], 0);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn racing_creates_without_a_key_each_create_their_own_task() {
    let api = Arc::new(TestApi::dynamodb().await);
    let statuses = race(&api, api.event("create-task")).await;
    assert_eq!(statuses, vec![201; RACERS]);
    assert_eq!(api.list(&[]).await.body["count"], RACERS);
}
