//! DynamoDB failing: bounded retries, then 503 with Retry-After; nothing half-written;
//! the next request works once DynamoDB is back.

use std::time::{Duration, Instant};

use serde_json::json;
use tasks::store::MAX_ATTEMPTS;

use crate::fault_proxy::{Fault, FaultProxy};
use crate::helpers::{TestApi, TestResponse, local_endpoint, task_id, with_body, with_header};

/// The functions' timeout in template.yaml: a request must end well inside it.
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

async fn api_behind_proxy() -> (TestApi, FaultProxy) {
    let proxy = FaultProxy::start(local_endpoint()).await;
    let api = TestApi::through(&proxy.endpoint).await;
    (api, proxy)
}

fn assert_unavailable(response: &TestResponse) {
    assert_eq!(response.status, 503, "{}", response.body);
    assert_eq!(response.header("retry-after"), "1");
    assert!(
        response.body["type"]
            .as_str()
            .unwrap()
            .ends_with("/service-unavailable")
    );
    assert_eq!(
        response.body["detail"],
        "the service is temporarily unavailable; retry later"
    );
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn throttling_is_retried_a_bounded_number_of_times_then_503() {
    let (api, proxy) = api_behind_proxy().await;
    proxy.set(Fault::Throttle);
    let response = api.send(api.event("create-task")).await;
    assert_unavailable(&response);
    assert_eq!(
        proxy.counts(),
        (MAX_ATTEMPTS as usize, MAX_ATTEMPTS as usize)
    );

    proxy.set(Fault::None);
    assert_eq!(api.send(api.event("create-task")).await.status, 201);
    assert_eq!(
        api.list(&[]).await.body["count"],
        1,
        "the throttled create wrote nothing"
    );
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_passing_fault_is_absorbed_by_a_retry() {
    let (api, proxy) = api_behind_proxy().await;
    proxy.then(&[Fault::ServerError, Fault::Drop]);
    let response = api.send(api.event("create-task")).await;
    assert_eq!(response.status, 201, "{}", response.body);
    // The owner's count up (failed twice, then through), then the task's put.
    assert_eq!(proxy.counts(), (4, 2));
    assert_eq!(api.list(&[]).await.body["count"], 1);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn server_errors_and_dropped_connections_end_in_503() {
    let (api, proxy) = api_behind_proxy().await;
    for fault in [Fault::ServerError, Fault::Drop] {
        proxy.set(fault);
        assert_unavailable(&api.list(&[]).await);
    }
    proxy.set(Fault::None);
    assert_eq!(api.list(&[]).await.status, 200);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_hung_dynamodb_gives_503_inside_the_function_timeout() {
    let (api, proxy) = api_behind_proxy().await;
    proxy.set(Fault::Hang);
    let started = Instant::now();
    let response = api.send(api.event("create-task")).await;
    let elapsed = started.elapsed();
    assert_unavailable(&response);
    assert!(elapsed < FUNCTION_TIMEOUT, "answered after {elapsed:?}");

    proxy.set(Fault::None);
    assert_eq!(api.send(api.event("create-task")).await.status, 201);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_refused_connection_gives_503() {
    // A port with nothing listening: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let api = TestApi::through(&format!("http://127.0.0.1:{port}")).await;
    let started = Instant::now();
    assert_unavailable(&api.send(api.event("create-task")).await);
    assert!(started.elapsed() < FUNCTION_TIMEOUT);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_failed_update_changes_nothing_and_the_next_one_applies() {
    let (api, proxy) = api_behind_proxy().await;
    let id = task_id(&api.create(json!({"title": "Before"})).await);
    proxy.set(Fault::Throttle);
    assert_unavailable(
        &api.patch(&id, json!({"title": "During", "status": "completed"}))
            .await,
    );
    proxy.set(Fault::None);

    let task = api.get(&id).await.body["task"].clone();
    assert_eq!(
        (task["title"].as_str(), task["version"].as_u64()),
        (Some("Before"), Some(1))
    );
    assert_eq!(task["completedAt"], json!(null));
    let after = api.patch(&id, json!({"title": "After"})).await;
    assert_eq!(after.body["task"]["version"], 2);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_keyed_create_that_died_half_way_is_completed_by_its_retry() {
    let (api, proxy) = api_behind_proxy().await;
    let event = with_header(
        with_body(api.event("create-task"), &json!({"title": "Half-way"})),
        "Idempotency-Key",
        "half-way",
    );
    // The task is counted and the key's record written, then DynamoDB fails for the task.
    proxy.set(Fault::Throttle);
    proxy.then(&[Fault::None, Fault::None]);
    assert_unavailable(&api.send(event.clone()).await);
    assert_eq!(proxy.counts().0, 2 + MAX_ATTEMPTS as usize);

    proxy.set(Fault::None);
    assert_eq!(
        api.list(&[]).await.body["count"],
        0,
        "no task yet, only the claimed key"
    );
    let retry = api.send(event).await;
    assert_eq!(retry.status, 201, "{}", retry.body);
    assert_eq!(retry.header("idempotent-replayed"), "true");
    let listed = api.list(&[]).await;
    assert_eq!(listed.body["count"], 1);
    assert_eq!(
        listed.body["tasks"][0]["taskId"],
        retry.body["task"]["taskId"]
    );
    assert_eq!(api.task_count().await, Some(1), "counted once");
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_create_whose_answer_was_lost_is_not_reported_as_a_failure() {
    let (api, proxy) = api_behind_proxy().await;
    // The task is counted; DynamoDB stores it, the answer is lost, the SDK retries the put.
    proxy.then(&[Fault::None, Fault::LoseAnswer]);
    let response = api.send(api.event("create-task")).await;
    assert_eq!(response.status, 201, "{}", response.body);
    // The count, the lost put, its retry (refused: the task exists), and the read that
    // finds our write's id on it.
    assert_eq!(proxy.counts(), (4, 1));
    let listed = api.list(&[]).await;
    assert_eq!(listed.body["count"], 1);
    assert_eq!(listed.body["tasks"][0], response.body["task"]);
    assert_eq!(api.task_count().await, Some(1));
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_count_whose_answer_was_lost_counts_the_task_once() {
    let (api, proxy) = api_behind_proxy().await;
    // The owner's count goes up, the answer is lost, the SDK retries the same update.
    proxy.then(&[Fault::LoseAnswer]);
    let response = api.send(api.event("create-task")).await;
    assert_eq!(response.status, 201, "{}", response.body);
    // The lost count, its retry (refused: our write's id is on it), the read of the count
    // that finds it, and the put.
    assert_eq!(proxy.counts(), (4, 1));
    assert_eq!(api.task_count().await, Some(1));
    let id = task_id(&response.body["task"]);
    assert_eq!(api.delete(&id, None).await.status, 200);
    assert_eq!(api.task_count().await, Some(0), "and down once on delete");
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn an_if_match_update_whose_answer_was_lost_is_not_reported_as_a_conflict() {
    let (api, proxy) = api_behind_proxy().await;
    let id = task_id(&api.create(json!({"title": "Guarded"})).await);
    let event = with_header(
        with_body(
            crate::helpers::for_task(api.event("patch-task"), &id),
            &json!({"title": "Changed"}),
        ),
        "If-Match",
        "\"1\"",
    );
    proxy.then(&[Fault::LoseAnswer]);
    let response = api.send(event).await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.header("etag"), "\"2\"");
    assert_eq!(response.body["task"]["title"], "Changed");

    // A genuinely stale If-Match is still refused.
    let stale = with_header(
        with_body(
            crate::helpers::for_task(api.event("patch-task"), &id),
            &json!({"title": "Changed"}),
        ),
        "If-Match",
        "\"1\"",
    );
    assert_eq!(api.send(stale).await.status, 412);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_decline_whose_answer_was_lost_is_still_a_decline() {
    let (alice, proxy) = api_behind_proxy().await;
    let bob = alice.other_caller().await;
    let task = alice
        .create(json!({"title": "Not mine to do", "assignee": bob.caller}))
        .await;
    let id = task_id(&task);
    // Applied, its answer lost, retried by the SDK: the retry is refused (version 2 now, and
    // Bob no longer the assignee), and the read after it finds Bob's own write.
    proxy.then(&[Fault::LoseAnswer]);
    let response = bob
        .patch_if_match(&id, json!({"assignee": null}), "\"1\"")
        .await;
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.body["task"]["assignee"], json!(null));
    assert_eq!(bob.get(&id).await.status, 404);
}
