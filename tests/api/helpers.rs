use std::path::PathBuf;

use lambda_http::http::HeaderMap;
use serde_json::{Value, json};
use tasks::Config;
use tasks::api::{self, App};
use tasks::store::{DynamoTaskStore, client_from, dynamodb_client};

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
fn table_name() -> String {
    local_endpoint();
    std::env::var("TABLE_NAME").expect("TABLE_NAME is set by `make test`")
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
    pub app: App<DynamoTaskStore>,
    pub caller: String,
}

impl TestApi {
    pub async fn new() -> Self {
        Self::with_table(&table_name()).await
    }

    pub async fn with_table(table: &str) -> Self {
        local_endpoint();
        let store = DynamoTaskStore::new(dynamodb_client().await, table);
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
        Self {
            app: App::new(store, config(&table)),
            caller: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Another caller of the same API and table.
    pub async fn other_caller(&self) -> Self {
        Self::new().await
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
        let method = event["httpMethod"].as_str().unwrap().to_owned();
        let request = lambda_http::request::from_str(&event.to_string())
            .expect("the event is an API Gateway REST proxy event");
        let response = match method.as_str() {
            "POST" => api::create_task(&self.app, request).await,
            "GET" => api::get_tasks(&self.app, request).await,
            "PUT" | "PATCH" => api::update_task(&self.app, request).await,
            "DELETE" => api::delete_task(&self.app, request).await,
            other => panic!("no route for {other}"),
        }
        .expect("handlers answer every request");
        into_test_response(response)
    }

    pub async fn create(&self, body: Value) -> Value {
        let response = self.send(with_body(self.event("create-task"), &body)).await;
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
    assert_eq!(headers["access-control-expose-headers"], "ETag, Location");
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
