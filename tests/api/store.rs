//! The store contract, run on both stores: the in-memory one that plain `cargo test` runs the
//! handlers on, and the DynamoDB one (`make test`). What the handlers see must not depend on
//! which store is behind them.

use tasks::domain::{
    IdempotencyKey, Priority, Scope, Status, Tag, Tags, Task, TaskChanges, TaskId, Timestamp,
    Title, UserId, Version,
};
use tasks::store::{
    Creation, DynamoTaskStore, ListQuery, MemoryTaskStore, StoreError, TaskStore, client_from,
};

use crate::helpers::TestApi;

#[tokio::test]
async fn memory_store_keeps_the_store_contract() {
    store_contract(&MemoryTaskStore::new()).await;
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn dynamodb_store_keeps_the_store_contract() {
    let api = TestApi::dynamodb().await;
    store_contract(api.app.store()).await;
}

fn owner() -> UserId {
    UserId::parse(&uuid::Uuid::new_v4().to_string()).unwrap()
}

/// A task created `seconds` after a fixed instant, so that listing order is known.
fn task(owner: &UserId, title: &str, seconds: i64) -> Task {
    let created = Timestamp::parse("2025-09-29T10:00:00Z")
        .unwrap()
        .epoch_seconds()
        + seconds;
    let created = Timestamp::parse(
        &chrono::DateTime::from_timestamp(created, 0)
            .unwrap()
            .to_rfc3339(),
    )
    .unwrap();
    let title = Title::parse(title).unwrap();
    Task::create(
        TaskId::new_random(),
        owner.clone(),
        title,
        &TaskChanges::default(),
        created,
    )
}

async fn store_contract(store: &impl TaskStore) {
    let (alice, bob) = (owner(), owner());

    // Create, read back, and nothing of it for another owner.
    let first = task(&alice, "first", 0);
    store.create(&first).await.unwrap();
    assert_eq!(
        store.get(&alice, first.id).await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(store.get(&bob, first.id).await.unwrap(), None);
    assert!(matches!(
        store.create(&first).await,
        Ok(()) | Err(StoreError::AlreadyExists)
    ));

    // Updates: what the store returns is exactly the domain's `Task::apply`.
    let now = Timestamp::now();
    let changes = TaskChanges {
        status: Some(Status::Completed),
        priority: Some(Priority::High),
        tags: Some(Tags::new(vec![Tag::parse("work").unwrap()]).unwrap()),
        due_date: Some(Some(now)),
        ..Default::default()
    };
    let updated = store
        .update(&alice, first.id, &changes, Some(Version::FIRST), now)
        .await
        .unwrap();
    assert_eq!(updated, first.apply(&changes, now));
    let later = Timestamp::now();
    let reopen = TaskChanges {
        status: Some(Status::InProgress),
        due_date: Some(None),
        ..Default::default()
    };
    let reopened = store
        .update(&alice, first.id, &reopen, None, later)
        .await
        .unwrap();
    assert_eq!(reopened, updated.apply(&reopen, later));
    assert_eq!(
        store.get(&alice, first.id).await.unwrap(),
        Some(reopened.clone())
    );

    // Conditional writes: a stale version, another owner, a missing task.
    assert!(matches!(
        store.update(&alice, first.id, &reopen, Some(Version::FIRST), later).await,
        Err(StoreError::VersionMismatch { current }) if current == reopened.version
    ));
    assert!(matches!(
        store.update(&bob, first.id, &reopen, None, later).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete(&alice, first.id, Some(Version::FIRST)).await,
        Err(StoreError::VersionMismatch { .. })
    ));
    assert!(matches!(
        store.delete(&bob, first.id, None).await,
        Err(StoreError::NotFound)
    ));

    // Listing: newest first, filtered, paged.
    let second = task(&alice, "second", 10);
    let third = task(&alice, "third", 20);
    store.create(&second).await.unwrap();
    store.create(&third).await.unwrap();
    let mut query = ListQuery {
        scope: Scope::Owned,
        status: None,
        limit: 2,
        after: None,
    };
    let page = store.list(&alice, &query).await.unwrap();
    let titles = |tasks: &[Task]| -> Vec<String> {
        tasks.iter().map(|t| t.title.as_str().to_owned()).collect()
    };
    assert_eq!(titles(&page.tasks), ["third", "second"]);
    query.after = page.next;
    let rest = store.list(&alice, &query).await.unwrap();
    assert_eq!(titles(&rest.tasks), ["first"]);
    assert_eq!(rest.next, None);
    query = ListQuery {
        scope: Scope::Owned,
        status: Some(Status::InProgress),
        limit: 10,
        after: None,
    };
    assert_eq!(
        titles(&store.list(&alice, &query).await.unwrap().tasks),
        ["first"]
    );
    assert!(store.list(&bob, &query).await.unwrap().tasks.is_empty());

    // Idempotent create: the same request is replayed, another is refused.
    let key = IdempotencyKey::parse("order-1").unwrap();
    let keyed = task(&alice, "keyed", 30);
    assert_eq!(
        store.create_idempotent(&keyed, &key).await.unwrap(),
        Creation::Created(keyed.clone())
    );
    let mut retry = task(&alice, "keyed", 31);
    retry.priority = keyed.priority;
    assert_eq!(
        store.create_idempotent(&retry, &key).await.unwrap(),
        Creation::Replayed(keyed.clone())
    );
    let other = task(&alice, "another body", 32);
    assert!(matches!(
        store.create_idempotent(&other, &key).await,
        Err(StoreError::IdempotencyKeyReused)
    ));
    // The key is the caller's own: another caller's identical key is a new request.
    let bobs = task(&bob, "keyed", 33);
    assert_eq!(
        store.create_idempotent(&bobs, &key).await.unwrap(),
        Creation::Created(bobs.clone())
    );

    // Delete, then it is gone.
    store
        .delete(&alice, first.id, Some(reopened.version))
        .await
        .unwrap();
    assert_eq!(store.get(&alice, first.id).await.unwrap(), None);
    assert!(matches!(
        store.delete(&alice, first.id, None).await,
        Err(StoreError::NotFound)
    ));

    shared_task_contract(store).await;
    strangers_contract(store).await;
}

/// Whoever may not write a task is refused even with the version the owner just wrote from,
/// at the owner's very instant, asking for what the owner's write holds: nothing in the
/// answer shows them the task. A former assignee is such a stranger.
async fn strangers_contract(store: &impl TaskStore) {
    let (alice, bob, carol) = (owner(), owner(), owner());
    let mut shared = task(&alice, "not theirs", 50);
    shared.assignee = Some(bob.clone());
    store.create(&shared).await.unwrap();

    let now = Timestamp::now();
    let clear = TaskChanges {
        assignee: Some(None),
        ..Default::default()
    };
    let cleared = store
        .update(&alice, shared.id, &clear, Some(Version::FIRST), now)
        .await
        .unwrap();
    assert_eq!(cleared.version, Version::new(2));
    for (who, name) in [(&bob, "the former assignee"), (&carol, "a stranger")] {
        assert!(
            matches!(
                store
                    .update(who, shared.id, &clear, Some(Version::FIRST), now)
                    .await,
                Err(StoreError::NotFound)
            ),
            "{name} learns nothing of the task"
        );
    }
    let nudge = TaskChanges {
        priority: Some(Priority::High),
        ..Default::default()
    };
    let nudged = store
        .update(&alice, shared.id, &nudge, Some(cleared.version), now)
        .await
        .unwrap();
    assert!(matches!(
        store
            .update(&carol, shared.id, &nudge, Some(cleared.version), now)
            .await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(
        store.get(&alice, shared.id).await.unwrap(),
        Some(nudged),
        "nothing of theirs applied"
    );
    store.delete(&alice, shared.id, None).await.unwrap();
}

/// What each role may do to a shared task, at the store: what the store returns is the
/// domain's `apply`, and a refusal is the domain's `authorize`.
async fn shared_task_contract(store: &impl TaskStore) {
    let (alice, bob, carol) = (owner(), owner(), owner());
    let mut shared = task(&alice, "shared", 40);
    shared.assignee = Some(bob.clone());
    store.create(&shared).await.unwrap();
    assert_eq!(
        store.get(&bob, shared.id).await.unwrap(),
        Some(shared.clone())
    );
    assert_eq!(store.get(&carol, shared.id).await.unwrap(), None);

    let now = Timestamp::now();
    let complete = TaskChanges {
        status: Some(Status::Completed),
        ..Default::default()
    };
    let completed = store
        .update(&bob, shared.id, &complete, Some(Version::FIRST), now)
        .await
        .unwrap();
    assert_eq!(
        completed,
        shared.apply(&complete, now),
        "the assignee moves it along"
    );
    let rename = TaskChanges {
        title: Some(Title::parse("mine").unwrap()),
        status: Some(Status::Pending),
        ..Default::default()
    };
    assert!(matches!(
        store.update(&bob, shared.id, &rename, None, now).await,
        Err(StoreError::Forbidden { fields }) if fields == ["title"]
    ));
    let to_carol = TaskChanges {
        assignee: Some(Some(carol.clone())),
        ..Default::default()
    };
    assert!(matches!(
        store.update(&bob, shared.id, &to_carol, None, now).await,
        Err(StoreError::Forbidden { fields }) if fields == ["assignee"]
    ));
    assert!(matches!(
        store.update(&carol, shared.id, &complete, None, now).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete(&bob, shared.id, None).await,
        Err(StoreError::Forbidden { fields }) if fields.is_empty()
    ));
    assert!(matches!(
        store.delete(&carol, shared.id, None).await,
        Err(StoreError::NotFound)
    ));

    // The listing of what is shared with Bob, then his decline takes it out.
    let assigned = ListQuery {
        scope: Scope::Assigned,
        status: Some(Status::Completed),
        limit: 10,
        after: None,
    };
    assert_eq!(
        store.list(&bob, &assigned).await.unwrap().tasks,
        std::slice::from_ref(&completed)
    );
    let decline = TaskChanges {
        assignee: Some(None),
        ..Default::default()
    };
    let declined = store
        .update(&bob, shared.id, &decline, None, now)
        .await
        .unwrap();
    assert_eq!(declined, completed.apply(&decline, now));
    assert_eq!(store.get(&bob, shared.id).await.unwrap(), None);
    assert!(store.list(&bob, &assigned).await.unwrap().tasks.is_empty());
    store.delete(&alice, shared.id, None).await.unwrap();
}

#[tokio::test]
async fn opening_the_connection_to_an_unreachable_dynamodb_gives_up_and_init_goes_on() {
    // A port nothing listens on, and explicit credentials and region: nothing leaves loopback.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sdk_config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "local", "local", None, None, "test",
        ))
        .load()
        .await;
    let store = DynamoTaskStore::new(client_from(&sdk_config), "tasks");
    // Liveness, not speed: the call has a 200 ms budget and must come back, whatever happens.
    tokio::time::timeout(std::time::Duration::from_secs(10), store.open_connection())
        .await
        .expect("init never hangs on an unreachable DynamoDB");
}
