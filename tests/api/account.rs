//! `DELETE /account` (#25): the caller's tasks deleted, their assignments removed, nothing of
//! anyone else touched; the purge resumed after a crash, continued when out of time, and its
//! final pass; the user pool's user signed out and deleted.
//!
//! The handler tests run on the in-memory store in plain `cargo test` and on the local
//! DynamoDB in `make test`; those that need moto (the user pool, the queue) or DynamoDB
//! itself are ignored in plain `cargo test`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::types::{AuthFlowType, ExplicitAuthFlowsType};
use serde_json::{Value, json};
use tasks::account::{
    AccountDeletion, CognitoUserPool, Pass, PurgeMessage, PurgeOutcome, PurgeWorker, SqsPurgeQueue,
    purge_pass,
};
use tasks::domain::{Task, TaskChanges, TaskId, Timestamp, UserId, Version};
use tasks::store::{
    AccountStore, Creation, DynamoTaskStore, ListQuery, StoreError, TaskPage, TaskStore,
    dynamodb_client,
};

use crate::helpers::{TestApi, TestStore, event, task_id};
use crate::reminders::{add_user, user_pool};
use crate::task_events::moto_endpoint;

/// `DELETE /account` as API Gateway sends it, signed in as `api`'s caller.
fn delete_account_event(api: &TestApi) -> Value {
    let mut event = api.event("delete-task");
    event["resource"] = json!("/account");
    event["path"] = json!("/account");
    event["pathParameters"] = Value::Null;
    event["requestContext"]["resourcePath"] = json!("/account");
    event["requestContext"]["path"] = json!("/Prod/account");
    event
}

/// The same API and caller, deleting accounts as `deletion` says.
fn deleting(api: TestApi, deletion: AccountDeletion) -> TestApi {
    TestApi {
        app: api.app.with_account_deletion(deletion),
        caller: api.caller,
    }
}

async fn delete_account(api: &TestApi) -> crate::helpers::TestResponse {
    api.send(delete_account_event(api)).await
}

fn user(api: &TestApi) -> UserId {
    UserId::parse(&api.caller).unwrap()
}

async fn listed(api: &TestApi, scope: &str) -> Vec<Value> {
    let response = api.list(&[("scope", scope), ("limit", "100")]).await;
    assert_eq!(response.status, 200, "{}", response.body);
    response.body["tasks"].as_array().unwrap().clone()
}

/// `owner` creates a task shared with `assignee`.
async fn share(owner: &TestApi, assignee: &TestApi, title: &str) -> Value {
    owner
        .create(json!({ "title": title, "assignee": assignee.caller }))
        .await
}

#[tokio::test]
async fn delete_account_removes_the_callers_tasks_and_assignments_and_nothing_else() {
    let leaving = deleting(TestApi::new().await, AccountDeletion::default());
    let friend = leaving.other_caller().await;
    let stranger = leaving.other_caller().await;

    leaving.create(json!({ "title": "mine" })).await;
    let mine_shared = share(&leaving, &friend, "mine, shared with a friend").await;
    let theirs_shared = share(&friend, &leaving, "the friend's, shared with me").await;
    let friends_own = friend.create(json!({ "title": "the friend's own" })).await;
    let strangers = share(&stranger, &friend, "a stranger's, shared with the friend").await;

    let response = delete_account(&leaving).await;
    assert_eq!(response.status, 202, "{}", response.body);
    assert_eq!(response.body, json!({ "status": "deleting" }));

    assert!(listed(&leaving, "owned").await.is_empty());
    assert!(listed(&leaving, "assigned").await.is_empty());
    // The task the leaving user owned is gone for its assignee too.
    assert_eq!(friend.get(&task_id(&mine_shared)).await.status, 404);
    // The task shared with them keeps its owner and everything else; only the share is gone.
    let kept = friend.get(&task_id(&theirs_shared)).await;
    assert_eq!(kept.status, 200);
    let kept = &kept.body["task"];
    assert_eq!(kept["ownerId"], json!(friend.caller));
    assert_eq!(kept["assignee"], Value::Null);
    for field in [
        "title",
        "description",
        "status",
        "priority",
        "tags",
        "createdAt",
    ] {
        assert_eq!(kept[field], theirs_shared[field], "{field}");
    }
    assert_eq!(kept["version"], json!(2));
    // Nothing of anyone else's changed.
    let unchanged = friend.get(&task_id(&friends_own)).await;
    assert_eq!(unchanged.body["task"], friends_own);
    let unchanged = stranger.get(&task_id(&strangers)).await;
    assert_eq!(unchanged.body["task"], strangers);

    // Again: the same answer, and nothing more happens.
    let again = delete_account(&leaving).await;
    assert_eq!(again.status, 202, "{}", again.body);
    assert_eq!(again.body, json!({ "status": "deleting" }));
    assert_eq!(
        friend.get(&task_id(&friends_own)).await.body["task"],
        friends_own
    );
}

#[tokio::test]
async fn only_delete_is_served_on_the_account() {
    let api = deleting(TestApi::new().await, AccountDeletion::default());
    let task = api.create(json!({ "title": "kept" })).await;
    for method in ["GET", "POST", "PUT", "PATCH"] {
        let mut event = delete_account_event(&api);
        event["httpMethod"] = json!(method);
        event["requestContext"]["httpMethod"] = json!(method);
        let response = api.send(event).await;
        assert_eq!(response.status, 405, "{method}");
        assert_eq!(response.header("allow"), "DELETE");
    }
    assert_eq!(api.get(&task_id(&task)).await.status, 200);
}

#[tokio::test]
async fn the_task_functions_do_not_delete_accounts() {
    let api = TestApi::new().await;
    let task = api.create(json!({ "title": "kept" })).await;
    let response = api
        .send_to(
            tasks::api::routes::Function::DeleteTask,
            delete_account_event(&api),
        )
        .await;
    assert_eq!(response.status, 405);
    assert_eq!(api.get(&task_id(&task)).await.status, 200);
}

#[tokio::test]
async fn delete_account_without_claims_is_unauthenticated() {
    let api = deleting(TestApi::new().await, AccountDeletion::default());
    let task = api.create(json!({ "title": "kept" })).await;
    let mut event = delete_account_event(&api);
    event["requestContext"]["authorizer"] = json!({});
    assert_eq!(api.send(event).await.status, 401);
    assert_eq!(api.get(&task_id(&task)).await.status, 200);
}

/// A store that fails every write after the first `writes` deletes and unassignments: a
/// worker that crashes half-way.
struct Crashing<'a> {
    inner: &'a TestStore,
    left: AtomicUsize,
}

impl TaskStore for Crashing<'_> {
    async fn create(&self, task: &Task) -> Result<(), StoreError> {
        self.inner.create(task).await
    }
    async fn create_idempotent(
        &self,
        task: &Task,
        key: &tasks::domain::IdempotencyKey,
    ) -> Result<Creation, StoreError> {
        self.inner.create_idempotent(task, key).await
    }
    async fn get(&self, caller: &UserId, id: TaskId) -> Result<Option<Task>, StoreError> {
        self.inner.get(caller, id).await
    }
    async fn list(&self, caller: &UserId, query: &ListQuery) -> Result<TaskPage, StoreError> {
        self.inner.list(caller, query).await
    }
    async fn update(
        &self,
        caller: &UserId,
        id: TaskId,
        changes: &TaskChanges,
        expected: Option<Version>,
        now: Timestamp,
    ) -> Result<Task, StoreError> {
        self.inner.update(caller, id, changes, expected, now).await
    }
    async fn delete(
        &self,
        caller: &UserId,
        id: TaskId,
        expected: Option<Version>,
    ) -> Result<(), StoreError> {
        self.inner.delete(caller, id, expected).await
    }
}

impl Crashing<'_> {
    fn write(&self) -> Result<(), StoreError> {
        let left = self.left.load(Ordering::SeqCst);
        if left == 0 {
            return Err(StoreError::Unavailable("the worker crashed".into()));
        }
        self.left.store(left - 1, Ordering::SeqCst);
        Ok(())
    }
}

impl AccountStore for Crashing<'_> {
    async fn delete_owned(&self, owner: &UserId, id: TaskId) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.delete_owned(owner, id).await
    }
    async fn unassign(
        &self,
        assignee: &UserId,
        id: TaskId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        self.write()?;
        self.inner.unassign(assignee, id, now).await
    }
    async fn forget_owner(&self, owner: &UserId) -> Result<(), StoreError> {
        self.write()?;
        self.inner.forget_owner(owner).await
    }
}

/// How many tasks `api`'s caller owns, every page of them.
async fn owned_count(api: &TestApi) -> usize {
    let mut query = ListQuery {
        scope: tasks::domain::Scope::Owned,
        status: None,
        limit: 100,
        after: None,
    };
    let mut count = 0;
    loop {
        let page = api.app.store().list(&user(api), &query).await.unwrap();
        count += page.tasks.len();
        match page.next {
            Some(next) => query.after = Some(next),
            None => return count,
        }
    }
}

fn no_deadline() -> Instant {
    Instant::now() + Duration::from_secs(600)
}

#[tokio::test]
async fn a_purge_stopped_half_way_resumes_and_deletes_only_what_is_left() {
    let api = TestApi::with_task_limit(150).await;
    let friend = api.other_caller().await;
    let mut created = 0;
    while created < 150 {
        api.create(json!({ "title": format!("task {created}") }))
            .await;
        created += 1;
    }
    let shared = share(&friend, &api, "shared with the leaving user").await;

    let crashing = Crashing {
        inner: api.app.store(),
        left: AtomicUsize::new(40),
    };
    let stopped = purge_pass(&crashing, &user(&api), no_deadline()).await;
    assert!(stopped.is_err(), "the worker stopped after 40 writes");
    let left = owned_count(&api).await;
    assert_eq!(left, 110, "40 of 150 deleted before the crash");

    let resumed = purge_pass(api.app.store(), &user(&api), no_deadline())
        .await
        .unwrap();
    assert!(resumed.complete);
    assert_eq!(resumed.deleted, left);
    assert_eq!(resumed.unassigned, 1);
    assert!(listed(&api, "owned").await.is_empty());
    assert!(listed(&api, "assigned").await.is_empty());
    assert_eq!(friend.get(&task_id(&shared)).await.status, 200);

    // Run twice: nothing more is written.
    let twice = purge_pass(api.app.store(), &user(&api), no_deadline())
        .await
        .unwrap();
    assert_eq!(
        (twice.deleted, twice.unassigned, twice.complete),
        (0, 0, true)
    );
    let task = friend.get(&task_id(&shared)).await.body["task"].clone();
    assert_eq!(task["version"], json!(2), "unassigned once");
}

#[tokio::test]
async fn a_pass_out_of_time_stops_before_its_next_page_and_goes_on_from_there() {
    let api = TestApi::new().await;
    for n in 0..3 {
        api.create(json!({ "title": format!("task {n}") })).await;
    }
    let past = Instant::now();
    let cut = purge_pass(api.app.store(), &user(&api), past)
        .await
        .unwrap();
    assert!(!cut.complete);
    assert_eq!(cut.deleted, 0);
    let done = purge_pass(api.app.store(), &user(&api), no_deadline())
        .await
        .unwrap();
    assert!(done.complete);
    assert_eq!(done.deleted, 3);
}

/// The caller's task count item as stored (`owner#<sub>`), on the local DynamoDB.
#[tokio::test]
#[ignore = "needs make test's local DynamoDB"]
async fn nothing_of_the_user_is_left_in_the_table() {
    let api = deleting(TestApi::dynamodb().await, AccountDeletion::default());
    let friend = api.other_caller().await;
    for n in 0..5 {
        api.create(json!({ "title": format!("task {n}") })).await;
    }
    share(&api, &friend, "shared by the leaving user").await;
    share(&friend, &api, "shared with the leaving user").await;
    assert_eq!(api.task_count().await, Some(6));
    let friend_count = friend.task_count().await;

    assert_eq!(delete_account(&api).await.status, 202);
    assert_eq!(
        api.task_count().await,
        None,
        "the task count is deleted too"
    );
    assert!(listed(&api, "owned").await.is_empty());
    assert!(listed(&friend, "assigned").await.is_empty());
    assert_eq!(friend.task_count().await, friend_count);
}

/// A user of a fresh user pool on moto, as the stack's pool makes them (email as username:
/// the username is the `sub`); the pool's client and the user's id.
async fn pool_with_user() -> (aws_sdk_cognitoidentityprovider::Client, String, UserId) {
    let (cognito, pool, user, _) = pool_with_signed_in_user().await;
    (cognito, pool, user)
}

/// The same, signed in: also an app client of the pool, and a refresh token it issued.
async fn pool_with_signed_in_user() -> (
    aws_sdk_cognitoidentityprovider::Client,
    String,
    UserId,
    (String, String),
) {
    let moto = moto_endpoint("AWS_ENDPOINT_URL_EVENTBRIDGE");
    let sdk_config = aws_config::from_env().load().await;
    let (cognito, pool) = user_pool(&sdk_config, &moto).await;
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let address = format!("leaving-{unique}@example.com");
    let user = add_user(&cognito, &pool, &address).await;
    let client = cognito
        .create_user_pool_client()
        .user_pool_id(&pool)
        .client_name("web")
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowAdminUserPasswordAuth)
        .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
        .send()
        .await
        .unwrap()
        .user_pool_client
        .unwrap()
        .client_id
        .unwrap();
    let password = "Correct-Horse-9-Battery";
    cognito
        .admin_set_user_password()
        .user_pool_id(&pool)
        .username(user.as_str())
        .password(password)
        .permanent(true)
        .send()
        .await
        .unwrap();
    let refresh = cognito
        .admin_initiate_auth()
        .user_pool_id(&pool)
        .client_id(&client)
        .auth_flow(AuthFlowType::AdminUserPasswordAuth)
        .auth_parameters("USERNAME", &address)
        .auth_parameters("PASSWORD", password)
        .send()
        .await
        .unwrap()
        .authentication_result
        .unwrap()
        .refresh_token
        .unwrap();
    (cognito, pool, user, (client, refresh))
}

/// Whether the session's refresh token still gets new tokens from the pool.
async fn refreshes(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    pool: &str,
    (client, refresh): &(String, String),
) -> bool {
    cognito
        .admin_initiate_auth()
        .user_pool_id(pool)
        .client_id(client)
        .auth_flow(AuthFlowType::RefreshTokenAuth)
        .auth_parameters("REFRESH_TOKEN", refresh)
        .send()
        .await
        .is_ok()
}

/// A queue of its own on moto, its client and its URL.
async fn queue() -> (aws_sdk_sqs::Client, String) {
    let endpoint = moto_endpoint("AWS_ENDPOINT_URL_SQS");
    let sdk_config = aws_config::from_env().load().await;
    let sqs = aws_sdk_sqs::Client::from_conf(
        aws_sdk_sqs::config::Builder::from(&sdk_config)
            .endpoint_url(&endpoint)
            .build(),
    );
    let name = format!("account-purge-{}", uuid::Uuid::new_v4().simple());
    let url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    (sqs, url)
}

/// Every message on the queue now (delayed ones are not there yet), received and deleted.
async fn receive_all(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<PurgeMessage> {
    let mut jobs = Vec::new();
    loop {
        let received = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .unwrap();
        let messages = received.messages.unwrap_or_default();
        if messages.is_empty() {
            return jobs;
        }
        for message in messages {
            let (job, _) = PurgeMessage::parse(message.body().unwrap()).unwrap();
            jobs.push(job);
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(message.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
}

/// The whole deletion on moto's user pool and queue and the local DynamoDB: the request,
/// the first pass, a task created afterwards with a token issued before, the final pass.
#[tokio::test]
#[ignore = "needs make test's moto server and local DynamoDB"]
async fn a_deleted_account_is_signed_out_deleted_and_purged_to_the_last_item() {
    let (cognito, pool, sub, session) = pool_with_signed_in_user().await;
    assert!(refreshes(&cognito, &pool, &session).await, "signed in");
    let (sqs, url) = queue().await;
    let moto = moto_endpoint("AWS_ENDPOINT_URL_EVENTBRIDGE");
    let sqs_endpoint = moto_endpoint("AWS_ENDPOINT_URL_SQS");
    let deletion = AccountDeletion {
        queue: Some(SqsPurgeQueue::connect(&url, &sqs_endpoint).await),
        pool: Some(CognitoUserPool::connect(&pool, &moto).await),
    };
    let base = TestApi::dynamodb().await;
    let friend = base.other_caller().await;
    let api = deleting(
        TestApi {
            app: base.app,
            caller: sub.as_str().to_owned(),
        },
        deletion,
    );
    for n in 0..3 {
        api.create(json!({ "title": format!("task {n}") })).await;
    }
    let shared = share(&friend, &api, "shared with the leaving user").await;

    let response = delete_account(&api).await;
    assert_eq!(response.status, 202, "{}", response.body);
    assert_eq!(response.body, json!({ "status": "deleting" }));
    // Signed out and gone from the pool: no token can be issued to them any more.
    let gone = cognito
        .admin_get_user()
        .user_pool_id(&pool)
        .username(sub.as_str())
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        gone.as_service_error()
            .map(|e| e.is_user_not_found_exception()),
        Some(true)
    );
    assert!(
        !refreshes(&cognito, &pool, &session).await,
        "no new token for the session"
    );
    // The request does not delete the data itself: the worker does.
    assert_eq!(listed(&api, "owned").await.len(), 3);
    let jobs = receive_all(&sqs, &url).await;
    assert_eq!(
        jobs,
        vec![PurgeMessage::first(&sub)],
        "the final pass is delayed"
    );

    let table = std::env::var("TABLE_NAME").unwrap();
    let store = DynamoTaskStore::new(dynamodb_client().await, &table);
    let worker = PurgeWorker::new(store, SqsPurgeQueue::connect(&url, &sqs_endpoint).await);
    let first = worker.run(&jobs[0].to_json(), no_deadline()).await.unwrap();
    let PurgeOutcome::Done(outcome) = first else {
        panic!("{first:?}")
    };
    assert_eq!((outcome.deleted, outcome.unassigned), (3, 1));
    assert!(listed(&api, "owned").await.is_empty());
    assert_eq!(
        friend.get(&task_id(&shared)).await.body["task"]["assignee"],
        Value::Null
    );

    // A token issued before the request still passes the gateway until it expires.
    let late = api
        .create(json!({ "title": "created with an old token" }))
        .await;
    // A second request: the user is gone already; harmless.
    assert_eq!(delete_account(&api).await.status, 202);
    receive_all(&sqs, &url).await;

    // The final pass, not due yet: put back, delayed.
    let now = chrono::Utc::now().timestamp();
    let not_yet = PurgeMessage::last(&sub, now);
    let waiting = worker.run(&not_yet.to_json(), no_deadline()).await.unwrap();
    assert!(
        matches!(waiting, PurgeOutcome::Waiting { seconds } if (3890..=3900).contains(&seconds)),
        "{waiting:?}"
    );
    // Due: what the old token created goes, and then the task count.
    let due = PurgeMessage::last(&sub, now - 3900);
    let last = worker.run(&due.to_json(), no_deadline()).await.unwrap();
    assert!(matches!(last, PurgeOutcome::Done(outcome) if outcome.deleted == 1));
    assert_eq!(api.get(&task_id(&late)).await.status, 404);
    assert_eq!(api.task_count().await, None, "nothing of the user is left");
    assert_eq!(
        friend.get(&task_id(&shared)).await.body["task"]["ownerId"],
        json!(friend.caller)
    );

    // Out of time before the first page: the same job is put back, one round on.
    api.create(json!({ "title": "one more" })).await;
    let cut = worker
        .run(&PurgeMessage::first(&sub).to_json(), Instant::now())
        .await
        .unwrap();
    assert!(matches!(cut, PurgeOutcome::Continued(outcome) if outcome.deleted == 0));
    let continued = receive_all(&sqs, &url).await;
    assert_eq!(continued.len(), 1);
    assert_eq!(continued[0].pass, Pass::First);
    assert_eq!(continued[0].round, 1);
    let rest = worker
        .run(&continued[0].to_json(), no_deadline())
        .await
        .unwrap();
    assert!(matches!(rest, PurgeOutcome::Done(outcome) if outcome.deleted == 1));

    // A job that is not a purge job fails (SQS retries it, then the dead-letter queue).
    assert!(worker.run("{\"userId\": 1}", no_deadline()).await.is_err());
}

/// An account at a high task count, deleted by one worker well within an invocation: the
/// tests use 300 tasks; `ACCOUNT_PURGE_BENCH_TASKS=10000` measures the figure in
/// docs/cost.md (tools/cost.py, `ACCOUNT_PURGE_MEASURED`), printed with `--nocapture`.
#[tokio::test]
#[ignore = "needs make test's local DynamoDB"]
async fn an_account_at_a_high_task_count_is_purged_within_minutes() {
    let tasks: u32 = std::env::var("ACCOUNT_PURGE_BENCH_TASKS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(300);
    // Room above the count: under this machine's load an SDK retry of a count whose answer
    // was lost can count one create twice when others raced it (lastWriteId keeps only the
    // latest), which would refuse the last creates; the limit itself is tested in limits.rs.
    let api = TestApi::with_task_limit(tasks + tasks / 10 + 16).await;
    let owner = user(&api);
    let store = api.app.store();
    let now = Timestamp::now();
    let title = tasks::domain::Title::parse("bulk").unwrap();
    let started = Instant::now();
    let mut made = 0;
    while made < tasks {
        let batch: Vec<Task> = (0..(tasks - made).min(16))
            .map(|_| {
                Task::create(
                    TaskId::new_random(),
                    owner.clone(),
                    title.clone(),
                    &Default::default(),
                    now,
                )
            })
            .collect();
        let creates = batch.iter().map(|task| store.create(task));
        for created in futures_util::future::join_all(creates).await {
            created.unwrap();
        }
        made += batch.len() as u32;
    }
    eprintln!("created {tasks} tasks in {:?}", started.elapsed());

    let started = Instant::now();
    let pass = purge_pass(store, &owner, Instant::now() + Duration::from_secs(600))
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(pass.complete);
    assert_eq!(pass.deleted, tasks as usize);
    eprintln!(
        "purged {tasks} tasks in {took:?}: {:.0} tasks/s",
        f64::from(tasks) / took.as_secs_f64()
    );
    assert!(listed(&api, "owned").await.is_empty());
    assert_eq!(api.task_count().await, Some(0));
    assert!(took < Duration::from_secs(300), "{took:?}");
}

#[test]
fn the_account_event_is_routed_to_delete_account() {
    let event = {
        let mut event = event("delete-task");
        event["resource"] = json!("/account");
        event["path"] = json!("/account");
        event["pathParameters"] = Value::Null;
        event
    };
    let request = lambda_http::request::from_str(&event.to_string()).unwrap();
    let route =
        tasks::api::routes::find(tasks::api::routes::Resource::of(&request), request.method())
            .unwrap();
    assert_eq!(route.function.as_str(), "delete-account");
}

/// The jobs are queued before the user is touched: when the queue cannot take them, the
/// answer is 503 and the user can still sign in and try again.
#[tokio::test]
#[ignore = "needs make test's moto server and local DynamoDB"]
async fn when_the_purge_cannot_be_queued_the_user_is_kept_and_may_retry() {
    let (cognito, pool, sub) = pool_with_user().await;
    let moto = moto_endpoint("AWS_ENDPOINT_URL_EVENTBRIDGE");
    let sqs_endpoint = moto_endpoint("AWS_ENDPOINT_URL_SQS");
    let missing = format!("{sqs_endpoint}/123456789012/no-such-queue");
    let base = TestApi::dynamodb().await;
    let api = deleting(
        TestApi {
            app: base.app,
            caller: sub.as_str().to_owned(),
        },
        AccountDeletion {
            queue: Some(SqsPurgeQueue::connect(&missing, &sqs_endpoint).await),
            pool: Some(CognitoUserPool::connect(&pool, &moto).await),
        },
    );
    let task = api.create(json!({ "title": "kept" })).await;
    let response = delete_account(&api).await;
    assert_eq!(response.status, 503, "{}", response.body);
    assert_eq!(response.header("retry-after"), "1");
    assert_eq!(response.body["title"], "Service unavailable");
    let kept = cognito
        .admin_get_user()
        .user_pool_id(&pool)
        .username(sub.as_str())
        .send()
        .await;
    assert!(kept.is_ok(), "the user is still there");
    assert_eq!(api.get(&task_id(&task)).await.status, 200);
}

/// The worker as Lambda calls it: a batch's failed job reported by its message id, the
/// others handled.
#[tokio::test]
#[ignore = "needs make test's moto server and local DynamoDB"]
async fn a_batch_reports_only_its_failed_jobs() {
    use aws_lambda_events::event::sqs::{SqsEvent, SqsMessage};

    let (_, url) = queue().await;
    let sqs_endpoint = moto_endpoint("AWS_ENDPOINT_URL_SQS");
    let api = TestApi::dynamodb().await;
    api.create(json!({ "title": "one" })).await;
    let table = std::env::var("TABLE_NAME").unwrap();
    let store = DynamoTaskStore::new(dynamodb_client().await, &table);
    let worker = PurgeWorker::new(store, SqsPurgeQueue::connect(&url, &sqs_endpoint).await);
    let message = |id: &str, body: String| {
        let mut message = SqsMessage::default();
        message.message_id = Some(id.into());
        message.body = Some(body);
        message
    };
    let mut event = SqsEvent::default();
    event.records = vec![
        message("good", PurgeMessage::first(&user(&api)).to_json()),
        message("bad", "not a job".into()),
    ];
    let mut context = lambda_runtime::Context::default();
    context.deadline = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap() + 60_000;
    let response = worker
        .handle(lambda_runtime::LambdaEvent::new(event, context))
        .await
        .unwrap();
    let failed: Vec<_> = response
        .batch_item_failures
        .iter()
        .map(|failure| failure.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["bad"]);
    assert!(listed(&api, "owned").await.is_empty());
}
