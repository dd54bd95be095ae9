//! What one caller can spend: the tasks one owner may hold, and the items one page reads.

use std::sync::Arc;

use serde_json::json;

use crate::helpers::{TestApi, task_id, with_body, with_header};

#[tokio::test]
async fn a_create_past_the_owner_s_task_limit_is_a_409_problem_and_creates_nothing() {
    let api = TestApi::with_task_limit(2).await;
    let first = api.create(json!({"title": "one"})).await;
    api.create(json!({"title": "two"})).await;

    let refused = api.post_task(json!({"title": "three"})).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(refused.header("content-type"), "application/problem+json");
    assert!(
        refused.body["type"]
            .as_str()
            .unwrap()
            .ends_with("/task-limit-reached")
    );
    assert!(
        refused.body["detail"].as_str().unwrap().contains("2 tasks"),
        "{}",
        refused.body
    );
    assert_eq!(api.list(&[]).await.body["count"], 2);

    // Deleting one makes room for one.
    assert_eq!(api.delete(&task_id(&first), None).await.status, 200);
    api.create(json!({"title": "three"})).await;
    let again = api.post_task(json!({"title": "four"})).await;
    assert_eq!(again.status, 409);
}

#[tokio::test]
async fn the_limit_counts_each_owner_s_own_tasks_only() {
    let alice = TestApi::with_task_limit(1).await;
    let bob = alice.other_caller().await;
    let bobs = bob
        .create(json!({"title": "bob's", "assignee": alice.caller}))
        .await;
    assert_eq!(alice.get(&task_id(&bobs)).await.status, 200);
    // Shared with Alice, Bob's task is not hers to count.
    alice.create(json!({"title": "alice's"})).await;
    for api in [&alice, &bob] {
        let refused = api.post_task(json!({"title": "x"})).await;
        assert_eq!(refused.status, 409, "{}", refused.body);
    }
}

#[tokio::test]
async fn a_keyed_create_replayed_at_the_limit_still_gets_its_task() {
    let api = TestApi::with_task_limit(1).await;
    let keyed = |key: &str| {
        with_header(
            with_body(api.event("create-task"), &json!({"title": "once"})),
            "Idempotency-Key",
            key,
        )
    };
    let first = api.send(keyed("only-one")).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let replay = api.send(keyed("only-one")).await;
    assert_eq!(replay.status, 201, "{}", replay.body);
    assert_eq!(replay.header("idempotent-replayed"), "true");
    assert_eq!(replay.body["task"], first.body["task"]);
    assert_eq!(api.send(keyed("another")).await.status, 409);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn racing_creates_never_pass_the_limit_and_each_refused_one_gives_its_count_back() {
    let api = Arc::new(TestApi::with_task_limit(5).await);
    let mut creates = Vec::new();
    for n in 0..16 {
        let api = Arc::clone(&api);
        creates.push(tokio::spawn(async move {
            let body = json!({ "title": format!("racer {n}") });
            api.post_task(body).await.status
        }));
    }
    let mut statuses = Vec::new();
    for create in creates {
        statuses.push(create.await.unwrap());
    }
    statuses.sort();
    assert_eq!(statuses, [[201; 5].as_slice(), &[409; 11]].concat());
    assert_eq!(api.list(&[]).await.body["count"], 5);
    assert_eq!(api.task_count().await, Some(5));
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_filtered_assigned_page_reads_at_most_a_full_page_and_ends_short_with_a_token() {
    let alice = TestApi::dynamodb().await;
    let bob = alice.other_caller().await;
    // 120 tasks shared with Bob, of which only the oldest is completed.
    let mut ids = Vec::new();
    for n in 0..120 {
        let task = alice
            .create(json!({ "title": format!("shared {n}"), "assignee": bob.caller }))
            .await;
        ids.push(task_id(&task));
    }
    let completed = alice.patch(&ids[0], json!({"status": "completed"})).await;
    assert_eq!(completed.status, 200);

    // The first page reads the 100 newest (one full page's worth) and finds none.
    let query = [
        ("scope", "assigned"),
        ("status", "completed"),
        ("limit", "100"),
    ];
    let first = bob.list(&query).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["count"], 0, "read on past one page's worth");
    let token = first.body["nextToken"].as_str().expect("a token to go on");
    let next = [query.as_slice(), &[("nextToken", token)]].concat();
    let second = bob.list(&next).await;
    assert_eq!(second.body["count"], 1);
    assert_eq!(task_id(&second.body["tasks"][0]), ids[0]);
}
