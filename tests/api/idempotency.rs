//! `Idempotency-Key` on POST /tasks: retries are safe, and concurrent duplicates create one task.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::helpers::{TestApi, TestResponse, task_id, with_body, with_header};

async fn create_with_key(api: &TestApi, key: &str, body: &Value) -> TestResponse {
    let event = with_header(
        with_body(api.event("create-task"), body),
        "Idempotency-Key",
        key,
    );
    api.send(event).await
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_retry_with_the_same_key_and_body_gets_the_first_task_back() {
    let api = TestApi::dynamodb().await;
    let body = json!({"title": "Pay invoice", "priority": "high"});
    let first = create_with_key(&api, "invoice-42", &body).await;
    let retry = create_with_key(&api, "invoice-42", &body).await;

    assert_eq!((first.status, retry.status), (201, 201));
    assert_eq!(first.header("idempotent-replayed"), "");
    assert_eq!(retry.header("idempotent-replayed"), "true");
    assert_eq!(retry.body, first.body);
    assert_eq!(retry.header("location"), first.header("location"));
    assert_eq!(retry.header("etag"), first.header("etag"));
    assert_eq!(api.list(&[]).await.body["count"], 1);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn the_same_request_spelt_differently_is_still_a_retry() {
    let api = TestApi::dynamodb().await;
    let first = create_with_key(
        &api,
        "k1",
        &json!({"title": "Call", "dueDate": "2030-01-01T10:00:00+01:00"}),
    )
    .await;
    let retry = create_with_key(
        &api,
        "k1",
        &json!({"dueDate": "2030-01-01T09:00:00Z", "title": " Call "}),
    )
    .await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.body["task"]["taskId"], first.body["task"]["taskId"]);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn the_same_key_with_another_body_is_422_and_creates_nothing() {
    let api = TestApi::dynamodb().await;
    create_with_key(&api, "k2", &json!({"title": "One"})).await;
    let other = create_with_key(&api, "k2", &json!({"title": "Two"})).await;
    assert_eq!(other.status, 422, "{}", other.body);
    assert!(
        other.body["type"]
            .as_str()
            .unwrap()
            .ends_with("/idempotency-key-reused")
    );
    assert_eq!(api.list(&[]).await.body["count"], 1);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn keys_are_scoped_to_the_caller() {
    let alice = TestApi::dynamodb().await;
    let bob = alice.other_caller().await;
    let body = json!({"title": "Same key"});
    let a = create_with_key(&alice, "shared-key", &body).await;
    let b = create_with_key(&bob, "shared-key", &body).await;
    assert_eq!((a.status, b.status), (201, 201));
    assert_eq!(b.header("idempotent-replayed"), "");
    assert_ne!(a.body["task"]["taskId"], b.body["task"]["taskId"]);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_replay_answers_as_the_first_request_did_even_after_a_change() {
    let api = TestApi::dynamodb().await;
    let body = json!({"title": "Original"});
    let first = create_with_key(&api, "k3", &body).await;
    let id = task_id(&first.body["task"]);
    assert_eq!(
        api.patch(&id, json!({"title": "Changed"})).await.status,
        200
    );

    let retry = create_with_key(&api, "k3", &body).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.body["task"]["title"], "Original");
    assert_eq!(
        api.get(&id).await.body["task"]["title"],
        "Changed",
        "the replay wrote nothing"
    );
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn concurrent_duplicates_create_exactly_one_task() {
    let api = Arc::new(TestApi::dynamodb().await);
    let body = json!({"title": "Submitted eight times at once"});
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (api, body) = (api.clone(), body.clone());
        requests.spawn(async move { create_with_key(&api, "double-click", &body).await });
    }
    let mut ids = Vec::new();
    let mut fresh = 0;
    while let Some(response) = requests.join_next().await {
        let response = response.unwrap();
        assert_eq!(response.status, 201, "{}", response.body);
        if response.header("idempotent-replayed").is_empty() {
            fresh += 1;
        }
        ids.push(task_id(&response.body["task"]));
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "all eight got the same task");
    assert_eq!(fresh, 1, "exactly one response is the original");
    assert_eq!(api.list(&[]).await.body["count"], 1);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn without_a_key_each_post_creates_a_task() {
    let api = TestApi::dynamodb().await;
    api.create(json!({"title": "twice"})).await;
    api.create(json!({"title": "twice"})).await;
    assert_eq!(api.list(&[]).await.body["count"], 2);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_malformed_key_is_400() {
    let api = TestApi::dynamodb().await;
    for key in ["with space".to_string(), "k".repeat(256)] {
        let response = create_with_key(&api, &key, &json!({"title": "t"})).await;
        assert_eq!(response.status, 400, "{key}");
        assert_eq!(response.error_fields(), ["Idempotency-Key"]);
    }
}
