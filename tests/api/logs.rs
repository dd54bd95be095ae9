//! What a handler writes to the log, read back through the production JSON subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tasks::telemetry;

use crate::helpers::{TestApi, for_task, task_id, with_body, with_header, with_query};

/// A writer that keeps what the subscriber writes.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub fn lines(&self) -> Vec<Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|line| serde_json::from_str(line).expect("every log line is JSON"))
            .collect()
    }
}

const SECRET_TITLE: &str = "Secret title 7c1e";
const SECRET_DESCRIPTION: &str = "private description d41d";

/// Runs a realistic mix of requests with the log captured at `level`.
async fn log_of_requests(level: &str) -> (Captured, TestApi) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = telemetry::json_subscriber(level, move || writer.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let api = TestApi::new().await;
    let task = api
        .create(json!({"title": SECRET_TITLE, "description": SECRET_DESCRIPTION}))
        .await;
    let id = task_id(&task);
    let token_page = api.list(&[("limit", "1")]).await;
    assert_eq!(token_page.status, 200);
    let stale = with_header(
        with_body(
            for_task(api.event("patch-task"), &id),
            &json!({"title": SECRET_TITLE}),
        ),
        "If-Match",
        "\"9\"",
    );
    assert_eq!(api.send(stale).await.status, 412);
    let invalid = with_body(
        api.event("create-task"),
        &json!({"title": "", "description": SECRET_DESCRIPTION}),
    );
    assert_eq!(api.send(invalid).await.status, 400);
    let token = with_query(
        api.event("list-tasks"),
        &[("nextToken", "secret-token-value")],
    );
    assert_eq!(api.send(token).await.status, 400);
    (captured, api)
}

#[tokio::test]
async fn each_request_writes_one_info_line_with_its_ids_and_outcome() {
    let (captured, _api) = log_of_requests("info").await;
    let lines = captured.lines();
    let requests: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "request" || l["message"] == "request")
        .collect();
    assert_eq!(requests.len(), 5, "one line per request: {lines:#?}");
    assert_eq!(lines.len(), 5, "nothing else at info: {lines:#?}");

    let operations: Vec<&str> = requests
        .iter()
        .map(|l| l["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        operations,
        [
            "createTask",
            "listTasks",
            "patchTask",
            "createTask",
            "listTasks"
        ]
    );
    let statuses: Vec<u64> = requests
        .iter()
        .map(|l| l["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [201, 200, 412, 400, 400]);
    for line in &requests {
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["requestId"], "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
        assert_eq!(line["traceId"], "Root=1-6717a1b2-0123456789abcdef01234567");
        assert_eq!(line["function"], "local");
        assert!(line["durationMs"].as_f64().unwrap() > 0.0);
        assert!(line["dynamodbMs"].is_number());
        assert!(line["coldStart"].is_boolean());
    }
    assert_eq!(requests[2]["errorKind"], "precondition-failed");
    assert_eq!(requests[3]["errorKind"], "validation-error");
    assert_eq!(requests[0]["errorKind"], "");
}

#[tokio::test]
async fn no_task_content_or_token_reaches_the_log_at_info() {
    let (captured, api) = log_of_requests("info").await;
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    // The log was captured (else the absence below would prove nothing): one line per
    // request, naming it.
    assert_eq!(captured.lines().len(), 5, "{text}");
    assert_eq!(
        text.matches("c6af9ac6-7b61-11e6-9a41-93e8deadbeef").count(),
        5,
        "{text}"
    );
    for secret in [
        SECRET_TITLE,
        SECRET_DESCRIPTION,
        "secret-token-value",
        api.caller.as_str(),
    ] {
        assert!(
            !text.contains(secret),
            "{secret:?} leaked into the log:\n{text}"
        );
    }
}

#[tokio::test]
async fn debug_adds_the_details_of_refused_requests() {
    let (captured, _api) = log_of_requests("debug").await;
    let refused: Vec<Value> = captured
        .lines()
        .into_iter()
        .filter(|l| l["message"] == "request refused")
        .collect();
    assert_eq!(refused.len(), 3, "{refused:#?}");
    assert!(
        refused
            .iter()
            .any(|l| l["fields"].as_str().unwrap_or_default().contains("title"))
    );
}
