//! Create, read, update and delete, as the contract describes them.

use std::sync::Arc;

use serde_json::json;

use crate::helpers::{TestApi, for_task, task_id, with_body, with_header};

#[tokio::test]
async fn create_answers_201_with_location_etag_and_the_normalised_task() {
    let api = TestApi::new().await;
    let response = api.send(api.event("create-task")).await;

    assert_eq!(response.status, 201, "{}", response.body);
    assert_eq!(response.body["message"], "Task created successfully");
    let task = &response.body["task"];
    let id = task_id(task);
    assert!(
        uuid::Uuid::parse_str(&id).is_ok_and(|u| u.get_version_num() == 4),
        "{id}"
    );
    assert_eq!(response.header("location"), format!("/tasks/{id}"));
    assert_eq!(response.header("etag"), "\"1\"");
    assert_eq!(task["title"], "Write the quarterly report");
    assert_eq!(task["priority"], "high");
    assert_eq!(task["status"], "pending");
    // 17:00 at +02:00 is 15:00 UTC.
    assert_eq!(task["dueDate"], "2025-10-01T15:00:00.000Z");
    assert_eq!(task["tags"], json!(["work", "q3"]));
    assert_eq!(task["version"], 1);
    assert_eq!(task["completedAt"], json!(null));
    assert_eq!(task["createdAt"], task["updatedAt"]);
    assert_eq!(
        task["createdAt"].as_str().unwrap().len(),
        "2025-09-29T10:00:00.000Z".len()
    );
    assert_eq!(
        task["ownerId"],
        api.caller.as_str(),
        "read-only, the creator"
    );
    assert_eq!(task["assignee"], json!(null), "not shared unless asked");
}

#[tokio::test]
async fn create_with_only_a_title_takes_the_defaults() {
    let api = TestApi::new().await;
    let task = api.create(json!({"title": "  Buy milk  "})).await;
    assert_eq!(task["title"], "Buy milk");
    assert_eq!(task["description"], "");
    assert_eq!(task["status"], "pending");
    assert_eq!(task["priority"], "medium");
    assert_eq!(task["dueDate"], json!(null));
    assert_eq!(task["tags"], json!([]));
}

#[tokio::test]
async fn a_created_task_reads_back_identically_with_its_etag() {
    let api = TestApi::new().await;
    let created = api
        .create(json!({"title": "Read me back", "tags": ["a"]}))
        .await;
    let response = api.get(&task_id(&created)).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body, json!({ "task": created }));
    assert_eq!(response.header("etag"), "\"1\"");
}

#[tokio::test]
async fn an_uppercase_task_id_finds_the_same_task() {
    let api = TestApi::new().await;
    let created = api.create(json!({"title": "Case"})).await;
    let response = api.get(&task_id(&created).to_uppercase()).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.body["task"]["taskId"], created["taskId"]);
}

#[tokio::test]
async fn another_callers_task_is_indistinguishable_from_a_missing_one() {
    let alice = TestApi::new().await;
    let bob = alice.other_caller().await;
    let id = task_id(&alice.create(json!({"title": "Alice's"})).await);

    let missing = bob.get(&uuid::Uuid::new_v4().to_string()).await;
    let foreign = bob.get(&id).await;
    assert_eq!((missing.status, foreign.status), (404, 404));
    assert_eq!(missing.body["type"], foreign.body["type"]);
    assert_eq!(missing.body["detail"], foreign.body["detail"]);

    assert_eq!(
        bob.patch(&id, json!({"title": "Bob's now"})).await.status,
        404
    );
    let delete = bob.send(for_task(bob.event("delete-task"), &id)).await;
    assert_eq!(delete.status, 404);

    let unchanged = alice.get(&id).await;
    assert_eq!(unchanged.body["task"]["title"], "Alice's");
    assert_eq!(unchanged.body["task"]["version"], 1);
}

#[tokio::test]
async fn put_and_patch_change_only_the_fields_they_carry() {
    let api = TestApi::new().await;
    let created = api
        .create(json!({"title": "Draft", "description": "keep me", "tags": ["x"]}))
        .await;
    let id = task_id(&created);

    let put = api
        .send(with_body(
            for_task(api.event("update-task"), &id),
            &json!({"priority": "high"}),
        ))
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["message"], "Task updated successfully");
    assert_eq!(put.header("etag"), "\"2\"");
    let task = &put.body["task"];
    assert_eq!(task["priority"], "high");
    assert_eq!(task["title"], "Draft");
    assert_eq!(task["description"], "keep me");
    assert_eq!(task["tags"], json!(["x"]));
    assert_eq!(task["createdAt"], created["createdAt"]);
    assert_eq!(task["version"], 2);

    let patch = api.patch(&id, json!({"title": "Final", "tags": []})).await;
    assert_eq!(patch.status, 200);
    assert_eq!(patch.body["task"]["title"], "Final");
    assert_eq!(patch.body["task"]["tags"], json!([]));
    assert_eq!(patch.body["task"]["priority"], "high");
    assert_eq!(patch.body["task"]["version"], 3);
    assert_eq!(api.get(&id).await.body["task"], patch.body["task"]);
}

#[tokio::test]
async fn completing_sets_completed_at_and_reopening_clears_it() {
    let api = TestApi::new().await;
    let id = task_id(&api.create(json!({"title": "Finish me"})).await);

    let done = api.send(for_task(api.event("update-task"), &id)).await;
    assert_eq!(done.status, 200);
    let completed_at = done.body["task"]["completedAt"].clone();
    assert!(completed_at.is_string(), "{}", done.body);
    assert_eq!(completed_at, done.body["task"]["updatedAt"]);

    // Completing again keeps the first completion time.
    let again = api.patch(&id, json!({"status": "completed"})).await;
    assert_eq!(again.body["task"]["completedAt"], completed_at);

    let reopened = api.patch(&id, json!({"status": "in_progress"})).await;
    assert_eq!(reopened.body["task"]["completedAt"], json!(null));
    assert_eq!(reopened.body["task"]["status"], "in_progress");
}

#[tokio::test]
async fn due_date_null_clears_it() {
    let api = TestApi::new().await;
    let created = api
        .create(json!({"title": "Due", "dueDate": "2030-01-01T09:00:00Z"}))
        .await;
    assert_eq!(created["dueDate"], "2030-01-01T09:00:00.000Z");
    let id = task_id(&created);
    let cleared = api.send(for_task(api.event("patch-task"), &id)).await;
    assert_eq!(cleared.status, 200);
    assert_eq!(cleared.body["task"]["dueDate"], json!(null));
}

#[tokio::test]
async fn delete_answers_200_once_then_404() {
    let api = TestApi::new().await;
    let id = task_id(&api.create(json!({"title": "Short-lived"})).await);
    let event = for_task(api.event("delete-task"), &id);

    let first = api.send(event.clone()).await;
    assert_eq!(first.status, 200);
    assert_eq!(
        first.body,
        json!({"message": "Task deleted successfully", "taskId": id})
    );
    assert_eq!(api.send(event).await.status, 404);
    assert_eq!(api.get(&id).await.status, 404);
}

#[tokio::test]
async fn update_of_a_deleted_task_does_not_resurrect_it() {
    let api = TestApi::new().await;
    let id = task_id(&api.create(json!({"title": "Gone"})).await);
    assert_eq!(
        api.send(for_task(api.event("delete-task"), &id))
            .await
            .status,
        200
    );
    assert_eq!(api.patch(&id, json!({"title": "Back?"})).await.status, 404);
    assert_eq!(api.get(&id).await.status, 404);
}

#[tokio::test]
async fn concurrent_updates_are_each_applied_atomically() {
    let api = Arc::new(TestApi::new().await);
    let id = task_id(&api.create(json!({"title": "Contended"})).await);
    let mut updates = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (api, id) = (api.clone(), id.clone());
        updates.spawn(async move {
            api.patch(&id, json!({"description": format!("writer {i}")}))
                .await
                .status
        });
    }
    while let Some(status) = updates.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    assert_eq!(api.get(&id).await.body["task"]["version"], 9);
}

#[tokio::test]
async fn if_match_applies_only_to_the_current_version() {
    let api = TestApi::new().await;
    let id = task_id(&api.create(json!({"title": "Guarded"})).await);
    let patch = |etag: &str| {
        with_header(
            with_body(
                for_task(api.event("patch-task"), &id),
                &json!({"title": "Changed"}),
            ),
            "If-Match",
            etag,
        )
    };

    let stale = api.send(patch("\"7\"")).await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    assert_eq!(stale.header("etag"), "\"1\"");
    assert_eq!(api.get(&id).await.body["task"]["title"], "Guarded");

    let current = api.send(patch("\"1\"")).await;
    assert_eq!(current.status, 200);
    assert_eq!(current.header("etag"), "\"2\"");

    let delete_stale = api
        .send(with_header(
            for_task(api.event("delete-task"), &id),
            "If-Match",
            "\"1\"",
        ))
        .await;
    assert_eq!(delete_stale.status, 412);
    let delete = api
        .send(with_header(
            for_task(api.event("delete-task"), &id),
            "If-Match",
            "\"2\"",
        ))
        .await;
    assert_eq!(delete.status, 200);

    let missing = api.send(patch("\"2\"")).await;
    assert_eq!(
        missing.status, 404,
        "a missing task is 404 even with If-Match"
    );
}
