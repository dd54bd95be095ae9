use std::path::PathBuf;

use lambda_http::http::HeaderMap;
use serde_json::{Value, json};
use std::sync::OnceLock;

use aws_sdk_dynamodb::types::AttributeValue;
use tasks::Config;
use tasks::api::App;
use tasks::api::routes::{self, Function, Resource};
use tasks::domain::{IdempotencyKey, Task, TaskChanges, TaskId, Timestamp, UserId, Version};
use tasks::store::items::task_count_id;
use tasks::store::{
    AccountStore, Creation, DynamoTaskStore, ListQuery, MemoryTaskStore, StoreError, TaskPage,
    TaskStore, client_from, dynamodb_client,
};

pub const TEST_SECRET: &str = "integration-tests-page-token-secret-0123";
/// The app client (`aud`) of the ID tokens in `events/`; the tests' API accepts only it.
pub const EVENTS_CLIENT_ID: &str = "1example23456789example";

pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../events")
}

/// A sample event from `events/`, parsed as JSON so a test can adjust it.
pub fn event(name: &str) -> Value {
    let path = events_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// The local DynamoDB's endpoint; a test refuses to run against any other.
pub fn local_endpoint() -> String {
    tasks::store::local_endpoint()
        .unwrap_or_else(|reason| panic!("integration tests need `make test`'s DynamoDB: {reason}"))
}

/// The table `make test` created.
pub fn table_name() -> String {
    local_endpoint();
    std::env::var("TABLE_NAME").expect("TABLE_NAME is set by `make test`")
}

/// Where the handler tests keep tasks: `make test`'s local DynamoDB when it is configured
/// (`AWS_ENDPOINT_URL_DYNAMODB`, which must then be on loopback), else one in-memory store
/// shared by the whole test run, as a table is.
pub enum TestStore {
    Dynamo(DynamoTaskStore),
    Memory(&'static MemoryTaskStore),
}

fn shared_memory_store() -> &'static MemoryTaskStore {
    static STORE: OnceLock<MemoryTaskStore> = OnceLock::new();
    STORE.get_or_init(MemoryTaskStore::new)
}

/// Delegates each operation to the store inside.
macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            TestStore::Dynamo($store) => $call.await,
            TestStore::Memory($store) => $call.await,
        }
    };
}

impl TaskStore for TestStore {
    async fn create(&self, task: &Task) -> Result<(), StoreError> {
        delegate!(self, store => store.create(task))
    }
    async fn create_idempotent(
        &self,
        task: &Task,
        key: &IdempotencyKey,
    ) -> Result<Creation, StoreError> {
        delegate!(self, store => store.create_idempotent(task, key))
    }
    async fn get(&self, owner: &UserId, id: TaskId) -> Result<Option<Task>, StoreError> {
        delegate!(self, store => store.get(owner, id))
    }
    async fn list(&self, owner: &UserId, query: &ListQuery) -> Result<TaskPage, StoreError> {
        delegate!(self, store => store.list(owner, query))
    }
    async fn update(
        &self,
        owner: &UserId,
        id: TaskId,
        changes: &TaskChanges,
        expected: Option<Version>,
        now: Timestamp,
    ) -> Result<Task, StoreError> {
        delegate!(self, store => store.update(owner, id, changes, expected, now))
    }
    async fn delete(
        &self,
        owner: &UserId,
        id: TaskId,
        expected: Option<Version>,
    ) -> Result<(), StoreError> {
        delegate!(self, store => store.delete(owner, id, expected))
    }
}

impl AccountStore for TestStore {
    async fn delete_owned(&self, owner: &UserId, id: TaskId) -> Result<bool, StoreError> {
        delegate!(self, store => store.delete_owned(owner, id))
    }
    async fn unassign(
        &self,
        assignee: &UserId,
        id: TaskId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        delegate!(self, store => store.unassign(assignee, id, now))
    }
    async fn forget_owner(&self, owner: &UserId) -> Result<(), StoreError> {
        delegate!(self, store => store.forget_owner(owner))
    }
}

pub fn config(table: &str) -> Config {
    Config::from_lookup(|name| match name {
        "TABLE_NAME" => Some(table.to_owned()),
        "PAGE_TOKEN_SECRET" => Some(TEST_SECRET.to_owned()),
        "CORS_ALLOW_ORIGIN" => Some("https://app.example.com".to_owned()),
        "ALLOWED_CLIENT_IDS" => Some(EVENTS_CLIENT_ID.to_owned()),
        _ => None,
    })
    .expect("test configuration is valid")
}

pub struct TestResponse {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }

    /// Fields named in a validation problem, in order.
    pub fn error_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The API as one caller sees it.
pub struct TestApi {
    pub app: App<TestStore>,
    pub caller: String,
}

impl TestApi {
    /// For handler tests: on the local DynamoDB in `make test`, in memory in plain
    /// `cargo test`.
    pub async fn new() -> Self {
        if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some() {
            Self::dynamodb().await
        } else {
            Self::on(TestStore::Memory(shared_memory_store()), "in-memory")
        }
    }

    /// For tests of DynamoDB itself (conditions, races, faults, indexes): `make test` only.
    pub async fn dynamodb() -> Self {
        Self::with_table(&table_name()).await
    }

    pub async fn with_table(table: &str) -> Self {
        local_endpoint();
        let store = DynamoTaskStore::new(dynamodb_client().await, table);
        Self::on(TestStore::Dynamo(store), table)
    }

    fn on(store: TestStore, table: &str) -> Self {
        Self {
            app: App::new(store, config(table)),
            caller: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// The API reaching DynamoDB through `endpoint` (a fault proxy), with the production
    /// client's retry and timeout budget.
    pub async fn through(endpoint: &str) -> Self {
        let table = table_name();
        let sdk_config = aws_config::from_env().endpoint_url(endpoint).load().await;
        let store = DynamoTaskStore::new(client_from(&sdk_config), &table);
        Self::on(TestStore::Dynamo(store), &table)
    }

    /// For tests of the task limit: a store of its own that allows each owner `limit`
    /// tasks, on the local DynamoDB in `make test`, in memory in plain `cargo test`.
    pub async fn with_task_limit(limit: u32) -> Self {
        if std::env::var_os("AWS_ENDPOINT_URL_DYNAMODB").is_some() {
            let table = table_name();
            let store =
                DynamoTaskStore::new(dynamodb_client().await, &table).with_task_limit(limit);
            Self::on(TestStore::Dynamo(store), &table)
        } else {
            let store = MemoryTaskStore::new().with_task_limit(limit);
            Self::on(TestStore::Memory(Box::leak(Box::new(store))), "in-memory")
        }
    }

    /// The caller's task count as stored (see `TaskCount`), read directly from the local
    /// DynamoDB; `None` before the caller's first create.
    pub async fn task_count(&self) -> Option<i64> {
        let item = dynamodb_client()
            .await
            .get_item()
            .table_name(table_name())
            .key(
                "taskId",
                AttributeValue::S(task_count_id(&UserId::parse(&self.caller).unwrap())),
            )
            .consistent_read(true)
            .send()
            .await
            .expect("the local DynamoDB answers")
            .item?;
        Some(item["taskCount"].as_n().unwrap().parse().unwrap())
    }

    /// Another caller of the same API and store.
    pub async fn other_caller(&self) -> Self {
        let store = match &self.app.store() {
            TestStore::Dynamo(store) => TestStore::Dynamo(store.clone()),
            TestStore::Memory(store) => TestStore::Memory(store),
        };
        Self::on(store, "shared")
    }

    /// A sample event, signed in as this caller.
    pub fn event(&self, name: &str) -> Value {
        let mut event = event(name);
        if let Some(claims) = event.pointer_mut("/requestContext/authorizer/claims") {
            claims["sub"] = json!(self.caller);
        }
        event
    }

    /// Sends an event to the function API Gateway would route it to, as API Gateway
    /// does, and checks the headers every response must carry.
    pub async fn send(&self, event: Value) -> TestResponse {
        let request = lambda_http::request::from_str(&event.to_string())
            .expect("the event is an API Gateway REST proxy event");
        let route = routes::find(Resource::of(&request), request.method())
            .unwrap_or_else(|| panic!("no route for {} {}", request.method(), request.uri()));
        self.send_to(route.function, event).await
    }

    /// Sends an event to `function`, whether or not API Gateway would route it there.
    pub async fn send_to(&self, function: Function, event: Value) -> TestResponse {
        let request = lambda_http::request::from_str(&event.to_string())
            .expect("the event is an API Gateway REST proxy event");
        let response = self
            .app
            .handle(function, request)
            .await
            .expect("handlers answer every request");
        into_test_response(response)
    }

    /// `POST /tasks` with this body, whatever the answer.
    pub async fn post_task(&self, body: Value) -> TestResponse {
        self.send(with_body(self.event("create-task"), &body)).await
    }

    pub async fn create(&self, body: Value) -> Value {
        let response = self.post_task(body).await;
        assert_eq!(response.status, 201, "{}", response.body);
        response.body["task"].clone()
    }

    pub async fn get(&self, task_id: &str) -> TestResponse {
        self.send(for_task(self.event("get-task"), task_id)).await
    }

    pub async fn patch(&self, task_id: &str, body: Value) -> TestResponse {
        self.send(with_body(
            for_task(self.event("patch-task"), task_id),
            &body,
        ))
        .await
    }

    pub async fn patch_if_match(&self, task_id: &str, body: Value, version: &str) -> TestResponse {
        let event = with_body(for_task(self.event("patch-task"), task_id), &body);
        self.send(with_header(event, "If-Match", version)).await
    }

    /// `DELETE /tasks/{taskId}`, with `If-Match: <version>` if given.
    pub async fn delete(&self, task_id: &str, if_match: Option<&str>) -> TestResponse {
        let mut event = for_task(self.event("delete-task"), task_id);
        if let Some(version) = if_match {
            event = with_header(event, "If-Match", version);
        }
        self.send(event).await
    }

    pub async fn list(&self, query: &[(&str, &str)]) -> TestResponse {
        self.send(with_query(self.event("list-tasks"), query)).await
    }
}

pub fn into_test_response(response: lambda_http::Response<lambda_http::Body>) -> TestResponse {
    let (parts, body) = response.into_parts();
    let headers = parts.headers;
    // Every response of a function carries CORS headers.
    assert_eq!(
        headers["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(
        headers["access-control-expose-headers"],
        "ETag, Location, Retry-After, Idempotent-Replayed"
    );
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).expect("every response body is JSON")
    };
    let content_type = headers["content-type"].to_str().unwrap();
    if parts.status.is_success() {
        assert_eq!(content_type, "application/json");
    } else {
        assert_eq!(content_type, "application/problem+json");
        assert_eq!(body["status"], parts.status.as_u16());
    }
    TestResponse {
        status: parts.status.as_u16(),
        headers,
        body,
    }
}

pub fn with_body(mut event: Value, body: &Value) -> Value {
    event["body"] = json!(body.to_string());
    event
}

/// Points an item event (`/tasks/{taskId}`) at another task.
pub fn for_task(mut event: Value, task_id: &str) -> Value {
    event["path"] = json!(format!("/tasks/{task_id}"));
    event["pathParameters"] = json!({ "taskId": task_id });
    event["requestContext"]["path"] = json!(format!("/Prod/tasks/{task_id}"));
    event
}

pub fn with_query(mut event: Value, query: &[(&str, &str)]) -> Value {
    let single: serde_json::Map<String, Value> = query
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let multi: serde_json::Map<String, Value> = query
        .iter()
        .map(|(k, v)| (k.to_string(), json!([v])))
        .collect();
    event["queryStringParameters"] = Value::Object(single);
    event["multiValueQueryStringParameters"] = Value::Object(multi);
    event
}

pub fn with_header(mut event: Value, name: &str, value: &str) -> Value {
    event["headers"][name] = json!(value);
    event["multiValueHeaders"][name] = json!([value]);
    event
}

pub fn task_id(task: &Value) -> String {
    task["taskId"].as_str().unwrap().to_owned()
}
