//! Task events: the DynamoDB Streams samples in `events/stream-*.json`, and the task-events
//! handler publishing to a real local EventBridge (moto's server, which `make test` starts),
//! read back through a rule whose target is an SQS queue, as any consumer would receive them.
//!
//! The sample tests run in plain `cargo test`; the ones that need moto are ignored there.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lambda_events::event::dynamodb::Event;
use serde_json::{Value, json};
use tasks::domain::{
    Description, IdempotencyKey, NewTask, UserId, Priority, Status, Tag, Tags, Task, TaskChanges,
    TaskId, Timestamp, Title,
};
use tasks::events::client::client_from;
use tasks::events::handler::BatchReport;
use tasks::events::{EventBridgePublisher, StreamHandler, TaskEventKind, task_event};
use tasks::store::IDEMPOTENCY_KEY_TTL_SECONDS;
use tasks::store::items::{
    IdempotencyRecord, TaskItem, idempotency_record_id, request_fingerprint,
};

use crate::helpers::{event, events_dir};

/// The samples, in the order of their sequence numbers: a task's life, then the
/// idempotency record of a keyed create, written and later expired by DynamoDB's TTL.
const SAMPLES: [&str; 7] = [
    "stream-insert",
    "stream-modify-title",
    "stream-modify-completed",
    "stream-modify-reopened",
    "stream-remove",
    "stream-idempotency-record",
    "stream-idempotency-expired",
];

/// The function's timeout in template.yaml: a batch must end well inside it.
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(10);

fn stream_event(name: &str) -> Event {
    serde_json::from_value(event(name))
        .unwrap_or_else(|e| panic!("events/{name}.json is not a DynamoDB Streams event: {e}"))
}

/// The samples' single records as one batch, in order.
fn lifecycle_batch() -> Event {
    let mut batch = Event::default();
    batch.records = SAMPLES
        .iter()
        .flat_map(|name| stream_event(name).records)
        .collect();
    batch
}

fn sequence_number(name: &str) -> String {
    stream_event(name).records[0]
        .change
        .sequence_number
        .clone()
        .unwrap()
}

#[test]
fn every_stream_sample_is_a_dynamodb_streams_event_of_the_tasks_table() {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(events_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if let Some(name) = name.strip_prefix("stream-") {
            names.push(format!("stream-{}", name.trim_end_matches(".json")));
        }
    }
    names.sort();
    let mut expected = SAMPLES.map(str::to_owned).to_vec();
    expected.sort();
    assert_eq!(names, expected, "each sample is listed in SAMPLES");

    for name in SAMPLES {
        let raw = event(name);
        let record = &raw["Records"][0];
        assert_eq!(raw["Records"].as_array().unwrap().len(), 1, "{name}");
        assert_eq!(record["eventSource"], "aws:dynamodb", "{name}");
        assert!(
            record["eventSourceARN"]
                .as_str()
                .unwrap()
                .contains(":table/task-api-dev-TasksTable-"),
            "{name}"
        );
        assert_eq!(
            record["dynamodb"]["StreamViewType"], "NEW_AND_OLD_IMAGES",
            "{name}"
        );
        let images = match record["eventName"].as_str().unwrap() {
            "INSERT" => ["NewImage"].as_slice(),
            "MODIFY" => &["OldImage", "NewImage"],
            "REMOVE" => &["OldImage"],
            other => panic!("{name}: eventName {other}"),
        };
        for image in ["OldImage", "NewImage"] {
            assert_eq!(
                record["dynamodb"].get(image).is_some(),
                images.contains(&image),
                "{name}: {image}"
            );
        }
        assert_eq!(
            record["dynamodb"]["Keys"]["taskId"], record["dynamodb"][images[0]]["taskId"],
            "{name}: the key is the image's"
        );
        // The sample parses as the function receives it.
        let parsed = stream_event(name);
        assert!(parsed.records[0].change.sequence_number.is_some(), "{name}");
    }
}

/// The sample task's versions, made by the domain as the API makes them: created, retitled
/// and tagged, completed, reopened.
fn sample_versions() -> [Task; 4] {
    let at = |raw| Timestamp::parse(raw).unwrap();
    let tags = |names: &[&str]| Tags::new(names.iter().map(|n| Tag::parse(n).unwrap()).collect());
    let mut new = NewTask::new(Title::parse("Write report").unwrap());
    new.description = Description::parse("Quarterly figures for the board").unwrap();
    new.priority = Priority::High;
    new.due_date = Some(at("2025-10-01T17:00:00Z"));
    new.tags = tags(&["work", "q4"]).unwrap();
    let v1 = Task::create(
        TaskId::parse("2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b").unwrap(),
        UserId::parse("4f8e1c2a-0b3d-4e5f-8a9b-1c2d3e4f5a6b").unwrap(),
        new,
        at("2025-09-29T10:00:00Z"),
    );
    let v2 = v1.apply(
        &TaskChanges {
            title: Some(Title::parse("Write the quarterly report").unwrap()),
            tags: Some(tags(&["work", "q4", "board"]).unwrap()),
            ..TaskChanges::default()
        },
        at("2025-09-29T10:05:00Z"),
    );
    let status = |status| TaskChanges {
        status: Some(status),
        ..TaskChanges::default()
    };
    let v3 = v2.apply(&status(Status::Completed), at("2025-09-30T16:00:00Z"));
    let v4 = v3.apply(&status(Status::InProgress), at("2025-10-01T08:30:00Z"));
    [v1, v2, v3, v4]
}

fn image(task: &Task) -> serde_dynamo::Item {
    serde_dynamo::to_item(TaskItem::from(task)).unwrap()
}

#[test]
fn the_samples_images_are_exactly_what_the_store_writes() {
    let [v1, v2, v3, v4] = sample_versions();
    let record = |name| stream_event(name).records.remove(0).change;
    let images = |name| {
        let change = record(name);
        (change.old_image, change.new_image)
    };
    let none = serde_dynamo::Item::default();
    assert_eq!(images("stream-insert"), (none.clone(), image(&v1)));
    assert_eq!(images("stream-modify-title"), (image(&v1), image(&v2)));
    assert_eq!(images("stream-modify-completed"), (image(&v2), image(&v3)));
    assert_eq!(images("stream-modify-reopened"), (image(&v3), image(&v4)));
    assert_eq!(images("stream-remove"), (image(&v4), none.clone()));

    // A keyed create's record, written before its task (the same owner, another task).
    let mut new = NewTask::new(Title::parse("Book the venue").unwrap());
    new.description = Description::default();
    let created = Timestamp::parse("2025-09-29T11:00:00Z").unwrap();
    let task = Task::create(
        TaskId::parse("7d2e9a41-5c3b-4f6e-8a1d-2b3c4d5e6f70").unwrap(),
        v1.owner.clone(),
        new,
        created,
    );
    let key = IdempotencyKey::parse("3b1f4c8e-create-report").unwrap();
    let stored = IdempotencyRecord {
        task_id: idempotency_record_id(&task.owner, &key),
        request_hash: request_fingerprint(&task),
        task: TaskItem::from(&task),
        done: false,
        expires_at: created.epoch_seconds() + IDEMPOTENCY_KEY_TTL_SECONDS,
    };
    let expected: serde_dynamo::Item = serde_dynamo::to_item(&stored).unwrap();
    assert_eq!(
        images("stream-idempotency-record"),
        (none.clone(), expected)
    );
    let keys = record("stream-idempotency-record").keys;
    assert_eq!(
        keys["taskId"],
        serde_dynamo::AttributeValue::S(stored.task_id.clone())
    );
    // A day later, done, DynamoDB's TTL deletes it.
    let done = IdempotencyRecord {
        done: true,
        ..stored
    };
    let expected: serde_dynamo::Item = serde_dynamo::to_item(&done).unwrap();
    assert_eq!(images("stream-idempotency-expired"), (expected, none));
}

#[test]
fn each_sample_gives_its_event() {
    let event_of = |name| task_event(stream_event(name).records.remove(0)).unwrap();
    let expect = |name, kind: TaskEventKind, previous: Option<Status>, changed: Option<&[&str]>| {
        let event = event_of(name).unwrap_or_else(|| panic!("{name} gives an event"));
        assert_eq!(event.kind, kind, "{name}");
        assert_eq!(event.previous_status, previous, "{name}");
        assert_eq!(
            event.changed_fields,
            changed.map(|c| c.iter().map(|f| f.to_string()).collect()),
            "{name}"
        );
        assert_eq!(event.dedup_key, sequence_number(name), "{name}");
    };
    let pending = Some(Status::Pending);
    expect("stream-insert", TaskEventKind::Created, None, None);
    expect(
        "stream-modify-title",
        TaskEventKind::Updated,
        pending,
        Some(&["tags", "title"]),
    );
    expect(
        "stream-modify-completed",
        TaskEventKind::Completed,
        pending,
        Some(&["completedAt", "status"]),
    );
    expect(
        "stream-modify-reopened",
        TaskEventKind::Reopened,
        Some(Status::Completed),
        Some(&["completedAt", "status"]),
    );
    expect(
        "stream-remove",
        TaskEventKind::Deleted,
        Some(Status::InProgress),
        None,
    );
    assert!(event_of("stream-idempotency-record").is_none());
    assert!(event_of("stream-idempotency-expired").is_none());
}

// ---- Against moto's EventBridge and SQS --------------------------------------------------

/// An endpoint of `make test`'s moto server, from `variable`; a test refuses any other.
fn moto_endpoint(variable: &str) -> String {
    let endpoint = std::env::var(variable).unwrap_or_default();
    let port = endpoint
        .strip_prefix("http://127.0.0.1:")
        .map(|port| port.trim_end_matches('/'));
    assert!(
        port.is_some_and(|port| port.parse::<u16>().is_ok()),
        "{variable} must be make test's local moto server (http://127.0.0.1:PORT), not {endpoint:?}"
    );
    endpoint
}

/// A bus of its own on moto, with a rule that sends everything from `task-api` to a queue:
/// what a test publishes can be read back exactly as a consumer gets it.
struct Bus {
    name: String,
    endpoint: String,
    sqs: aws_sdk_sqs::Client,
    queue_url: String,
}

impl Bus {
    async fn new() -> Self {
        let endpoint = moto_endpoint("AWS_ENDPOINT_URL_EVENTBRIDGE");
        let sqs_endpoint = moto_endpoint("AWS_ENDPOINT_URL_SQS");
        let sdk_config = aws_config::from_env().load().await;
        let events = client_from(&sdk_config, &endpoint);
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&sdk_config)
                .endpoint_url(&sqs_endpoint)
                .build(),
        );
        let id = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("tasks-{id}");
        events.create_event_bus().name(&name).send().await.unwrap();
        let queue_url = sqs
            .create_queue()
            .queue_name(format!("consumer-{id}"))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let queue_arn = sqs
            .get_queue_attributes()
            .queue_url(&queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        events
            .put_rule()
            .name("all-task-events")
            .event_bus_name(&name)
            .event_pattern(json!({"source": ["task-api"]}).to_string())
            .send()
            .await
            .unwrap();
        events
            .put_targets()
            .rule("all-task-events")
            .event_bus_name(&name)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("consumer")
                    .arn(queue_arn)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        Self {
            name,
            endpoint,
            sqs,
            queue_url,
        }
    }

    /// The handler as `main` builds it, publishing to this bus at `endpoint` (the bus's
    /// own, or a proxy in front of it, or nothing at all).
    async fn handler_via(&self, endpoint: &str) -> StreamHandler<EventBridgePublisher> {
        let sdk_config = aws_config::from_env().load().await;
        let client = client_from(&sdk_config, endpoint);
        StreamHandler::new(EventBridgePublisher::new(client, &self.name))
    }

    async fn handler(&self) -> StreamHandler<EventBridgePublisher> {
        self.handler_via(&self.endpoint.clone()).await
    }

    /// Every event the consumer has received so far, in arrival order; waits for at least
    /// `expected` of them (at most a few seconds).
    async fn received(&self, expected: usize) -> Vec<Value> {
        let mut events = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let messages = self
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .max_number_of_messages(10)
                .wait_time_seconds(if events.len() >= expected { 0 } else { 1 })
                .send()
                .await
                .unwrap()
                .messages
                .unwrap_or_default();
            if messages.is_empty() && (events.len() >= expected || Instant::now() > deadline) {
                return events;
            }
            for message in messages {
                events.push(serde_json::from_str(message.body().unwrap()).unwrap());
                self.sqs
                    .delete_message()
                    .queue_url(&self.queue_url)
                    .receipt_handle(message.receipt_handle().unwrap())
                    .send()
                    .await
                    .unwrap();
            }
        }
    }
}

fn dedup_keys(events: &[Value]) -> Vec<String> {
    let mut keys: Vec<String> = events
        .iter()
        .map(|e| e["detail"]["dedupKey"].as_str().unwrap().to_owned())
        .collect();
    keys.sort();
    keys
}

fn failed(report: &BatchReport) -> Vec<String> {
    report
        .failures
        .iter()
        .map(|f| f.item_identifier.clone().unwrap())
        .collect()
}

/// `count` INSERT records of distinct tasks, from the insert sample, with increasing
/// sequence numbers.
fn inserts(count: usize) -> Event {
    let sample = event("stream-insert")["Records"][0].clone();
    let mut batch = Event::default();
    batch.records = (0..count)
        .map(|position| {
            let mut record = sample.clone();
            let id = uuid::Uuid::new_v4().to_string();
            let change = &mut record["dynamodb"];
            change["Keys"]["taskId"]["S"] = json!(id);
            change["NewImage"]["taskId"]["S"] = json!(id);
            change["NewImage"]["sortKey"]["S"] = json!(format!("2025-09-29T10:00:00.000Z#{id}"));
            change["SequenceNumber"] = json!(format!("{:028}", 5000 + position));
            serde_json::from_value(record).unwrap()
        })
        .collect();
    batch
}

fn sequences(batch: &Event, range: std::ops::Range<usize>) -> Vec<String> {
    batch.records[range]
        .iter()
        .map(|r| r.change.sequence_number.clone().unwrap())
        .collect()
}

#[tokio::test]
#[ignore = "needs the local EventBridge (moto) that make test starts"]
async fn the_samples_reach_a_consumer_of_the_bus_as_domain_events() {
    let bus = Bus::new().await;
    let report = bus.handler().await.process(lifecycle_batch(), None).await;
    assert_eq!((report.published, report.skipped), (5, 2));
    assert!(report.failures.is_empty(), "{report:?}");

    let events = bus.received(5).await;
    let by_key: BTreeMap<String, &Value> = events
        .iter()
        .map(|e| (e["detail"]["dedupKey"].as_str().unwrap().to_owned(), e))
        .collect();
    assert_eq!(by_key.len(), 5, "each record once: {events:#?}");
    let expected = [
        ("stream-insert", "TaskCreated", Value::Null, "pending", 1),
        (
            "stream-modify-title",
            "TaskUpdated",
            json!("pending"),
            "pending",
            2,
        ),
        (
            "stream-modify-completed",
            "TaskCompleted",
            json!("pending"),
            "completed",
            3,
        ),
        (
            "stream-modify-reopened",
            "TaskReopened",
            json!("completed"),
            "in_progress",
            4,
        ),
        (
            "stream-remove",
            "TaskDeleted",
            json!("in_progress"),
            "in_progress",
            4,
        ),
    ];
    for (sample, detail_type, previous, status, version) in expected {
        let event = by_key[&sequence_number(sample)];
        assert_eq!(event["source"], "task-api", "{sample}");
        assert_eq!(event["detail-type"], detail_type, "{sample}");
        let detail = &event["detail"];
        assert_eq!(detail["taskId"], "2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b");
        assert_eq!(detail["ownerId"], "4f8e1c2a-0b3d-4e5f-8a9b-1c2d3e4f5a6b");
        assert_eq!(detail["previousStatus"], previous, "{sample}");
        assert_eq!(detail["status"], status, "{sample}");
        assert_eq!(detail["version"], version, "{sample}");
    }
    let completed = &by_key[&sequence_number("stream-modify-completed")]["detail"];
    assert_eq!(completed["completedAt"], "2025-09-30T16:00:00.000Z");
    assert_eq!(completed["changedFields"], json!(["completedAt", "status"]));
    assert_eq!(completed["title"], "Write the quarterly report");
    assert_eq!(completed["tags"], json!(["work", "q4", "board"]));
}

#[tokio::test]
#[ignore = "needs the local EventBridge (moto) that make test starts"]
async fn an_unreachable_bus_fails_the_batch_from_its_first_record_and_loses_nothing() {
    let bus = Bus::new().await;
    // A loopback port with nothing listening.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let batch = inserts(15);
    let started = Instant::now();
    let report = bus
        .handler_via(&closed)
        .await
        .process(batch.clone(), None)
        .await;
    assert!(
        started.elapsed() < FUNCTION_TIMEOUT / 2,
        "{:?}",
        started.elapsed()
    );
    assert_eq!(failed(&report), sequences(&batch, 0..15));
    assert_eq!(report.published, 0);

    // Lambda retries from the first failure, the bus is back: every event arrives, once.
    let report = bus.handler().await.process(batch.clone(), None).await;
    assert!(report.failures.is_empty());
    assert_eq!(
        dedup_keys(&bus.received(15).await),
        sequences(&batch, 0..15)
    );
}

#[tokio::test]
#[ignore = "needs the local EventBridge (moto) that make test starts"]
async fn a_partial_failure_is_reported_from_the_first_refused_record_and_loses_nothing() {
    let bus = Bus::new().await;
    let batch = inserts(12);
    let refused = sequences(&batch, 4..5)[0].clone();
    let proxy = PutEventsProxy::start(&bus.endpoint).await;
    proxy.refuse(&refused, "InternalFailure", usize::MAX);

    let report = bus
        .handler_via(&proxy.endpoint)
        .await
        .process(batch.clone(), None)
        .await;
    assert_eq!(
        failed(&report),
        sequences(&batch, 4..12),
        "from the refused record on"
    );
    assert_eq!(report.published, 4);
    // The first group, then its refused entry retried alone, up to the budget; the second
    // group is never sent.
    assert_eq!(proxy.put_events_sizes(), [10, 1, 1]);
    let first_try = bus.received(9).await;
    let mut expected = sequences(&batch, 0..4);
    expected.extend(sequences(&batch, 5..10));
    assert_eq!(
        dedup_keys(&first_try),
        expected,
        "the other entries of the group went out"
    );

    // Lambda retries from the refused record once it is accepted: all of it arrives; the
    // entries that had gone out already arrive again, under the same dedup keys.
    proxy.refuse(&refused, "InternalFailure", 0);
    let mut retry = Event::default();
    retry.records = batch.records[4..].to_vec();
    let report = bus
        .handler_via(&proxy.endpoint)
        .await
        .process(retry, None)
        .await;
    assert!(report.failures.is_empty());
    let second_try = bus.received(8).await;
    assert_eq!(dedup_keys(&second_try), sequences(&batch, 4..12));
    let mut all = dedup_keys(&first_try);
    all.extend(dedup_keys(&second_try));
    all.sort();
    all.dedup();
    assert_eq!(all, sequences(&batch, 0..12), "nothing lost");
}

#[tokio::test]
#[ignore = "needs the local EventBridge (moto) that make test starts"]
async fn a_passing_refusal_is_absorbed_by_a_retry_of_that_entry_alone() {
    let bus = Bus::new().await;
    let batch = inserts(12);
    let proxy = PutEventsProxy::start(&bus.endpoint).await;
    proxy.refuse(&sequences(&batch, 2..3)[0], "ThrottlingException", 1);
    let report = bus
        .handler_via(&proxy.endpoint)
        .await
        .process(batch.clone(), None)
        .await;
    assert!(report.failures.is_empty(), "{report:?}");
    assert_eq!(proxy.put_events_sizes(), [10, 1, 2]);
    assert_eq!(
        dedup_keys(&bus.received(12).await),
        sequences(&batch, 0..12),
        "each once"
    );
}

/// An HTTP proxy on loopback in front of moto that turns PutEvents answers into partial
/// failures, as EventBridge gives them: a refused entry is taken out of the request before
/// it reaches moto (so it is truly not published) and reported as failed, in its place, in
/// the answer. One request per connection.
struct PutEventsProxy {
    endpoint: String,
    state: Arc<Mutex<ProxyState>>,
}

#[derive(Default)]
struct ProxyState {
    /// dedupKey -> (error code, refusals left)
    refusals: BTreeMap<String, (String, usize)>,
    /// Entries per PutEvents request received.
    put_events_sizes: Vec<usize>,
}

impl PutEventsProxy {
    async fn start(upstream: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(ProxyState::default()));
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(proxy_one(client, upstream.clone(), shared.clone()));
            }
        });
        Self { endpoint, state }
    }

    fn refuse(&self, dedup_key: &str, code: &str, times: usize) {
        self.state
            .lock()
            .unwrap()
            .refusals
            .insert(dedup_key.to_owned(), (code.to_owned(), times));
    }

    fn put_events_sizes(&self) -> Vec<usize> {
        self.state.lock().unwrap().put_events_sizes.clone()
    }
}

async fn proxy_one(
    mut client: tokio::net::TcpStream,
    upstream: String,
    state: Arc<Mutex<ProxyState>>,
) {
    use tokio::io::AsyncWriteExt;
    let Some((head, body)) = read_http(&mut client).await else {
        return;
    };
    let put_events = head
        .to_ascii_lowercase()
        .contains("x-amz-target: awsevents.putevents");
    // Positions of the refused entries, with their error codes.
    let mut refused: Vec<(usize, String)> = Vec::new();
    let mut body = body;
    if put_events {
        let mut request: Value = serde_json::from_slice(&body).unwrap();
        let entries = request["Entries"].as_array_mut().unwrap();
        {
            let mut state = state.lock().unwrap();
            state.put_events_sizes.push(entries.len());
            for (position, entry) in entries.iter().enumerate() {
                let detail: Value =
                    serde_json::from_str(entry["Detail"].as_str().unwrap()).unwrap();
                let key = detail["dedupKey"].as_str().unwrap_or_default();
                match state.refusals.get_mut(key) {
                    Some((code, left)) if *left > 0 => {
                        *left -= 1;
                        refused.push((position, code.clone()));
                    }
                    _ => {}
                }
            }
        }
        for (position, _) in refused.iter().rev() {
            entries.remove(*position);
        }
        body = serde_json::to_vec(&request).unwrap();
    }
    let answer = if put_events && body_entries(&body) == 0 {
        // Everything refused: nothing to forward.
        json!({"FailedEntryCount": 0, "Entries": []})
    } else {
        let Ok(mut server) = tokio::net::TcpStream::connect(&upstream).await else {
            return;
        };
        let _ = server.write_all(&with_body(&head, &body)).await;
        let Some((response_head, response_body)) = read_http(&mut server).await else {
            return;
        };
        if !put_events {
            let _ = client
                .write_all(&with_body(&response_head, &response_body))
                .await;
            return;
        }
        serde_json::from_slice(&response_body).unwrap()
    };
    let mut answer = answer;
    let results = answer["Entries"].as_array_mut().unwrap();
    for (position, code) in &refused {
        results.insert(
            *position,
            json!({"ErrorCode": code, "ErrorMessage": "refused by the test's proxy"}),
        );
    }
    let failed = results
        .iter()
        .filter(|r| r.get("ErrorCode").is_some())
        .count();
    answer["FailedEntryCount"] = json!(failed);
    let body = serde_json::to_vec(&answer).unwrap();
    let head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nConnection: close\r\n";
    let _ = client.write_all(&with_body(head, &body)).await;
}

fn body_entries(body: &[u8]) -> usize {
    serde_json::from_slice::<Value>(body).unwrap()["Entries"]
        .as_array()
        .map_or(0, Vec::len)
}

/// The message with `head`'s start line and headers (its own Content-Length and Connection
/// replaced) and `body`.
fn with_body(head: &str, body: &[u8]) -> Vec<u8> {
    let mut message = String::new();
    for line in head.split("\r\n").filter(|line| !line.is_empty()) {
        let name = line
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if name != "content-length" && name != "connection" {
            message.push_str(line);
            message.push_str("\r\n");
        }
    }
    message.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = message.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// One HTTP/1.1 message with a Content-Length body: (start line and headers, body).
async fn read_http(stream: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let message = crate::fault_proxy::read_message(stream).await?;
    let header_end = message.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&message[..header_end]).into_owned();
    Some((head, message[header_end..].to_vec()))
}
