//! GET /tasks: only the caller's tasks, newest first, filtered and paged.

use serde_json::{Value, json};

use crate::helpers::{TestApi, task_id, with_query};

async fn create_titled(api: &TestApi, titles: &[&str]) -> Vec<String> {
    let mut ids = Vec::new();
    for title in titles {
        ids.push(task_id(&api.create(json!({ "title": title })).await));
        // Distinct createdAt milliseconds make the expected order unambiguous.
        tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    }
    ids
}

fn ids_of(body: &Value) -> Vec<String> {
    body["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(task_id)
        .collect()
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn list_shows_only_the_callers_tasks_newest_first() {
    let alice = TestApi::dynamodb().await;
    let bob = alice.other_caller().await;
    let mut alice_ids = create_titled(&alice, &["first", "second", "third"]).await;
    create_titled(&bob, &["bob's"]).await;

    let response = alice.send(alice.event("list-tasks")).await;
    assert_eq!(response.status, 200, "{}", response.body);
    alice_ids.reverse();
    assert_eq!(ids_of(&response.body), alice_ids);
    assert_eq!(response.body["count"], 3);
    assert!(
        response.body.get("nextToken").is_none(),
        "{}",
        response.body
    );
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_caller_with_no_tasks_gets_an_empty_list() {
    let api = TestApi::dynamodb().await;
    let response = api.list(&[]).await;
    assert_eq!(response.body, json!({"tasks": [], "count": 0}));
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn status_filter_follows_status_changes() {
    let api = TestApi::dynamodb().await;
    let ids = create_titled(&api, &["a", "b", "c"]).await;
    assert_eq!(
        api.patch(&ids[1], json!({"status": "completed"}))
            .await
            .status,
        200
    );

    let pending = api.send(api.event("list-tasks-pending")).await;
    assert_eq!(ids_of(&pending.body), vec![ids[2].clone(), ids[0].clone()]);
    let completed = api.list(&[("status", "completed")]).await;
    assert_eq!(ids_of(&completed.body), vec![ids[1].clone()]);
    assert_eq!(
        api.list(&[("status", "in_progress")]).await.body["count"],
        0
    );
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn pages_cover_every_task_exactly_once_in_order() {
    let api = TestApi::dynamodb().await;
    let mut ids = create_titled(&api, &["1", "2", "3", "4", "5"]).await;
    ids.reverse();

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut query = vec![("limit", "2")];
        if let Some(token) = &token {
            query.push(("nextToken", token));
        }
        let response = api.list(&query).await;
        assert_eq!(response.status, 200, "{}", response.body);
        assert!(response.body["count"].as_u64().unwrap() <= 2);
        seen.extend(ids_of(&response.body));
        pages += 1;
        match response.body.get("nextToken") {
            Some(next) => token = Some(next.as_str().unwrap().to_owned()),
            None => break,
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(seen, ids);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn default_page_size_is_twenty() {
    let api = TestApi::dynamodb().await;
    for i in 0..21 {
        api.create(json!({ "title": format!("task {i}") })).await;
    }
    let first = api.list(&[]).await;
    assert_eq!(first.body["count"], 20);
    let token = first.body["nextToken"]
        .as_str()
        .expect("a second page exists")
        .to_owned();
    let second = api.list(&[("nextToken", &token)]).await;
    assert_eq!(second.body["count"], 1);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_token_from_another_caller_filter_or_altered_is_refused() {
    let alice = TestApi::dynamodb().await;
    let bob = alice.other_caller().await;
    create_titled(&alice, &["1", "2", "3"]).await;
    create_titled(&bob, &["1", "2", "3"]).await;
    let token = alice.list(&[("limit", "1")]).await.body["nextToken"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(
        alice
            .list(&[("limit", "1"), ("nextToken", &token)])
            .await
            .status,
        200
    );
    let mut altered = token.clone();
    altered.insert(3, 'x');
    for (api, query) in [
        (&bob, vec![("nextToken", token.as_str())]),
        (
            &alice,
            vec![("nextToken", token.as_str()), ("status", "pending")],
        ),
        (&alice, vec![("nextToken", altered.as_str())]),
        (&alice, vec![("nextToken", "bm90LWEtdG9rZW4")]),
    ] {
        let response = api.list(&query).await;
        assert_eq!(response.status, 400, "{query:?}: {}", response.body);
        assert_eq!(response.error_fields(), ["nextToken"]);
    }
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn bad_query_parameters_are_each_named() {
    let api = TestApi::dynamodb().await;
    let response = api.send(api.event("list-tasks-bad-query")).await;
    assert_eq!(response.status, 400, "{}", response.body);
    // Named in a stable order, whatever order the query's map iterates in.
    assert_eq!(response.error_fields(), ["colour", "limit", "status"]);

    for limit in ["101", "-1", "+5", " 5", "ten", ""] {
        let response = api.list(&[("limit", limit)]).await;
        assert_eq!(response.status, 400, "limit={limit}");
    }
    assert_eq!(api.list(&[("limit", "100")]).await.status, 200);
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn a_repeated_query_parameter_is_refused() {
    let api = TestApi::dynamodb().await;
    let mut event = with_query(api.event("list-tasks"), &[("limit", "5")]);
    event["multiValueQueryStringParameters"]["limit"] = json!(["5", "6"]);
    let response = api.send(event).await;
    assert_eq!(response.status, 400);
    assert_eq!(response.error_fields(), ["limit"]);
}
