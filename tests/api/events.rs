//! The sample events are real API Gateway REST proxy events that every user can replay
//! (besides the stream records of task-events, the firing of task-reminders and the events
//! of the live-update functions).

use lambda_http::RequestExt;
use lambda_http::request::RequestContext;

use crate::helpers::events_dir;

#[test]
fn every_sample_event_is_a_rest_proxy_event_for_a_contract_route() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(events_dir()).unwrap() {
        let path = entry.unwrap().path();
        // DynamoDB Streams samples, for task-events: checked in task_events.rs; a reminder's
        // firing, for task-reminders: checked in reminders.rs; the live-update functions'
        // events: checked in live.rs.
        let name = path.file_name().unwrap().to_string_lossy();
        if name.starts_with("stream-") || name.starts_with("reminder-") || name.starts_with("live-")
        {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let request = lambda_http::request::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            matches!(
                request.request_context_ref(),
                Some(RequestContext::ApiGatewayV1(_))
            ),
            "{} is not a REST API (v1) event",
            path.display()
        );
        let event: serde_json::Value = serde_json::from_str(&text).unwrap();
        let route = (
            event["httpMethod"].as_str().unwrap(),
            event["resource"].as_str().unwrap(),
        );
        assert!(
            matches!(
                route,
                ("POST" | "GET", "/tasks")
                    | ("GET" | "PUT" | "PATCH" | "DELETE", "/tasks/{taskId}")
            ),
            "{}: {route:?} is not a route of the API",
            path.display()
        );
        names.push(path.file_stem().unwrap().to_string_lossy().into_owned());
    }
    // One sample per route at least.
    for required in [
        "create-task",
        "list-tasks",
        "get-task",
        "update-task",
        "patch-task",
        "delete-task",
    ] {
        assert!(
            names.iter().any(|n| n == required),
            "events/{required}.json is missing"
        );
    }
}
