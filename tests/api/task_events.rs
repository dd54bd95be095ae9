//! Task events: the DynamoDB Streams samples in `events/stream-*.json`, and the task-events
//! handler publishing to a real local EventBridge (moto's server, which `make test` starts),
//! read back through a rule whose target is an SQS queue, as any consumer would receive them.
//!
//! The sample tests run in plain `cargo test`; the ones that need moto are ignored there.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use serde_json::{Value, json};
use tasks::domain::{
    Description, IdempotencyKey, Priority, Status, Tag, Tags, Task, TaskChanges, TaskId, Timestamp,
    Title, UserId,
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
    let fields = TaskChanges {
        description: Some(Description::parse("Quarterly figures for the board").unwrap()),
        priority: Some(Priority::High),
        due_date: Some(Some(at("2025-10-01T17:00:00Z"))),
        tags: Some(tags(&["work", "q4"]).unwrap()),
        ..TaskChanges::default()
    };
    let v1 = Task::create(
        TaskId::parse("2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b").unwrap(),
        UserId::parse("4f8e1c2a-0b3d-4e5f-8a9b-1c2d3e4f5a6b").unwrap(),
        Title::parse("Write report").unwrap(),
        &fields,
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
    let created = Timestamp::parse("2025-09-29T11:00:00Z").unwrap();
    let task = Task::create(
        TaskId::parse("7d2e9a41-5c3b-4f6e-8a1d-2b3c4d5e6f70").unwrap(),
        v1.owner.clone(),
        Title::parse("Book the venue").unwrap(),
        &TaskChanges::default(),
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
pub(crate) fn moto_endpoint(variable: &str) -> String {
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
pub(crate) struct Bus {
    pub(crate) name: String,
    pub(crate) endpoint: String,
    pub(crate) events: aws_sdk_eventbridge::Client,
    pub(crate) sqs: aws_sdk_sqs::Client,
    /// The queue of the rule that takes every event.
    pub(crate) all: Queue,
}

/// A consumer's queue: the target of one rule of the bus.
pub(crate) struct Queue {
    sqs: aws_sdk_sqs::Client,
    url: String,
}

impl Bus {
    pub(crate) async fn new() -> Self {
        let endpoint = moto_endpoint("AWS_ENDPOINT_URL_EVENTBRIDGE");
        let sqs_endpoint = moto_endpoint("AWS_ENDPOINT_URL_SQS");
        let sdk_config = aws_config::from_env().load().await;
        let events = client_from(&sdk_config, &endpoint);
        let sqs = aws_sdk_sqs::Client::from_conf(
            aws_sdk_sqs::config::Builder::from(&sdk_config)
                .endpoint_url(&sqs_endpoint)
                .build(),
        );
        let name = format!("tasks-{}", uuid::Uuid::new_v4().simple());
        events.create_event_bus().name(&name).send().await.unwrap();
        let mut bus = Self {
            name,
            endpoint,
            events,
            all: Queue {
                sqs: sqs.clone(),
                url: String::new(),
            },
            sqs,
        };
        bus.all = bus
            .consumer("all-task-events", json!({"source": ["task-api"]}))
            .await;
        bus
    }

    /// A consumer of this bus: a rule `rule` with `pattern`, whose target is a new queue.
    pub(crate) async fn consumer(&self, rule: &str, pattern: Value) -> Queue {
        let url = self
            .sqs
            .create_queue()
            .queue_name(format!("consumer-{}", uuid::Uuid::new_v4().simple()))
            .send()
            .await
            .unwrap()
            .queue_url
            .unwrap();
        let arn = self
            .sqs
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
            .send()
            .await
            .unwrap()
            .attributes
            .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
            .clone();
        self.events
            .put_rule()
            .name(rule)
            .event_bus_name(&self.name)
            .event_pattern(pattern.to_string())
            .send()
            .await
            .unwrap();
        self.events
            .put_targets()
            .rule(rule)
            .event_bus_name(&self.name)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("consumer")
                    .arn(arn)
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        Queue {
            sqs: self.sqs.clone(),
            url,
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

    /// Every event the consumer of all events has received so far (see [`Queue::received`]).
    async fn received(&self, expected: usize) -> Vec<Value> {
        self.all.received(expected).await
    }
}

impl Queue {
    /// Every event this consumer has received so far, in arrival order; waits for at least
    /// `expected` of them (at most a few seconds).
    pub(crate) async fn received(&self, expected: usize) -> Vec<Value> {
        let mut events = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let messages = self
                .sqs
                .receive_message()
                .queue_url(&self.url)
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
                    .queue_url(&self.url)
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
        // Never shared: no assignee, before or after.
        assert_eq!(detail["assignee"], Value::Null, "{sample}");
        assert_eq!(detail["previousAssignee"], Value::Null, "{sample}");
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
    // The first group only: its refused entry is not retried here (after its group's later
    // entries went out), and the second group is never sent.
    assert_eq!(proxy.put_events_sizes(), [10]);
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
async fn a_passing_refusal_is_published_by_the_stream_s_retry_in_order() {
    let bus = Bus::new().await;
    let batch = inserts(12);
    let proxy = PutEventsProxy::start(&bus.endpoint).await;
    proxy.refuse(&sequences(&batch, 2..3)[0], "ThrottlingException", 1);
    let report = bus
        .handler_via(&proxy.endpoint)
        .await
        .process(batch.clone(), None)
        .await;
    assert_eq!(failed(&report), sequences(&batch, 2..12));
    // Lambda's retry, from the refused record: it goes out, then everything after it.
    let mut retry = Event::default();
    retry.records = batch.records[2..].to_vec();
    let report = bus
        .handler_via(&proxy.endpoint)
        .await
        .process(retry, None)
        .await;
    assert!(report.failures.is_empty(), "{report:?}");
    assert_eq!(proxy.put_events_sizes(), [10, 10]);
    // The first try's nine, then the retry's ten (a standard queue keeps no order).
    let mut expected = sequences(&batch, 0..2);
    expected.extend(sequences(&batch, 3..10));
    expected.extend(sequences(&batch, 2..12));
    expected.sort();
    let mut received = dedup_keys(&bus.received(19).await);
    received.sort();
    assert_eq!(received, expected);
}

/// Bob and Carol, users a task is shared with (Cognito `sub`s, as the authorizer gives them).
const BOB: &str = "6c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f";
const CAROL: &str = "7d2e3f4a-5b6c-4d7e-9f8a-0b1c2d3e4f5a";

/// A record of the sample task's table shaped as the samples are (the insert sample, or the
/// modify-title one), with the images of `old` and `new` as the store writes them.
fn stream_record(old: Option<&Task>, new: Option<&Task>, sequence: usize) -> EventRecord {
    let sample = if old.is_some() {
        "stream-modify-title"
    } else {
        "stream-insert"
    };
    let mut record = stream_event(sample).records.remove(0);
    let task = new.or(old).unwrap();
    record.change.keys = [(
        "taskId".to_owned(),
        serde_dynamo::AttributeValue::S(task.id.to_string()),
    )]
    .into_iter()
    .collect::<std::collections::HashMap<_, _>>()
    .into();
    record.change.old_image = old.map(image).unwrap_or_default();
    record.change.new_image = new.map(image).unwrap_or_default();
    record.change.sequence_number = Some(format!("{:028}", 7000 + sequence));
    record
}

fn assignee(to: Option<&str>) -> TaskChanges {
    TaskChanges {
        assignee: Some(to.map(|user| UserId::parse(user).unwrap())),
        ..TaskChanges::default()
    }
}

/// The sample task shared, passed on, declined, completed and cleared, one record each,
/// after its creation and that of a task created already assigned to Bob.
fn sharing_batch() -> Event {
    let at = |raw| Timestamp::parse(raw).unwrap();
    let [created, ..] = sample_versions();
    let born_assigned = Task::create(
        TaskId::parse("7d2e9a41-5c3b-4f6e-8a1d-2b3c4d5e6f70").unwrap(),
        created.owner.clone(),
        Title::parse("Book the venue").unwrap(),
        &assignee(Some(BOB)),
        at("2025-09-29T11:00:00Z"),
    );
    let to_bob = created.apply(&assignee(Some(BOB)), at("2025-09-29T12:00:00Z"));
    let to_carol = to_bob.apply(&assignee(Some(CAROL)), at("2025-09-29T13:00:00Z"));
    // Carol declines: the same write as the owner clearing it.
    let declined = to_carol.apply(&assignee(None), at("2025-09-29T14:00:00Z"));
    // The owner gives it back to Bob and completes it, in one write.
    let mut back_done = assignee(Some(BOB));
    back_done.status = Some(Status::Completed);
    let to_bob_done = declined.apply(&back_done, at("2025-09-30T09:00:00Z"));
    let cleared = to_bob_done.apply(&assignee(None), at("2025-09-30T10:00:00Z"));
    let retitled = cleared.apply(
        &TaskChanges {
            title: Some(Title::parse("Write the final report").unwrap()),
            ..TaskChanges::default()
        },
        at("2025-09-30T11:00:00Z"),
    );
    let changes = [
        (None, Some(&created)),
        (None, Some(&born_assigned)),
        (Some(&created), Some(&to_bob)),
        (Some(&to_bob), Some(&to_carol)),
        (Some(&to_carol), Some(&declined)),
        (Some(&declined), Some(&to_bob_done)),
        (Some(&to_bob_done), Some(&cleared)),
        (Some(&cleared), Some(&retitled)),
    ];
    let mut batch = Event::default();
    batch.records = changes
        .into_iter()
        .enumerate()
        .map(|(sequence, (old, new))| stream_record(old, new, sequence))
        .collect();
    batch
}

#[test]
fn sharing_records_give_the_assignment_events() {
    use TaskEventKind::*;
    let events: Vec<_> = sharing_batch()
        .records
        .into_iter()
        .map(|record| task_event(record).unwrap().unwrap())
        .collect();
    let kinds: Vec<_> = events.iter().map(|event| event.kind).collect();
    assert_eq!(
        kinds,
        [
            Created, Created, Assigned, Assigned, Unassigned, Assigned, Unassigned, Updated
        ]
    );
    let previous: Vec<_> = events
        .iter()
        .map(|event| event.previous_assignee.as_ref().map(UserId::as_str))
        .collect();
    assert_eq!(
        previous,
        [
            None,
            None,
            None,
            Some(BOB),
            Some(CAROL),
            None,
            Some(BOB),
            None
        ]
    );
}

/// The rule of docs/events.md's consumer that notifies a task's new assignee.
fn notify_assignee_pattern() -> Value {
    json!({"source": ["task-api"], "detail-type": ["TaskAssigned", "TaskCreated"]})
}

/// The completion rule of template.yaml, with the branch for a completion that is part of
/// an assignment event (docs/events.md).
fn completions_pattern() -> Value {
    json!({"source": ["task-api"], "$or": [
        {"detail-type": ["TaskCompleted"]},
        {"detail-type": ["TaskCreated"], "detail": {"status": ["completed"]}},
        {"detail-type": ["TaskAssigned", "TaskUnassigned"],
         "detail": {"status": ["completed"], "previousStatus": ["pending", "in_progress"]}},
    ]})
}

fn by_dedup_key(events: &[Value]) -> BTreeMap<String, &Value> {
    events
        .iter()
        .map(|e| (e["detail"]["dedupKey"].as_str().unwrap().to_owned(), e))
        .collect()
}

#[tokio::test]
#[ignore = "needs the local EventBridge (moto) that make test starts"]
async fn assignments_reach_consumers_as_task_assigned_and_task_unassigned() {
    let bus = Bus::new().await;
    let notify = bus
        .consumer("notify-assignee", notify_assignee_pattern())
        .await;
    let completions = bus.consumer("completions", completions_pattern()).await;
    let batch = sharing_batch();
    let report = bus.handler().await.process(batch.clone(), None).await;
    assert!(report.failures.is_empty(), "{report:?}");
    assert_eq!(report.published, 8);

    let events = bus.received(8).await;
    let by_key = by_dedup_key(&events);
    assert_eq!(by_key.len(), 8, "each record once: {events:#?}");
    let keys = sequences(&batch, 0..8);
    let (null, bob, carol) = (Value::Null, json!(BOB), json!(CAROL));
    let (pending, completed) = (json!("pending"), json!("completed"));
    // (detail-type, assignee, previousAssignee, previousStatus, status, changedFields)
    let expected = [
        ("TaskCreated", &null, &null, &null, &pending, None),
        ("TaskCreated", &bob, &null, &null, &pending, None),
        (
            "TaskAssigned",
            &bob,
            &null,
            &pending,
            &pending,
            Some(json!(["assignee"])),
        ),
        (
            "TaskAssigned",
            &carol,
            &bob,
            &pending,
            &pending,
            Some(json!(["assignee"])),
        ),
        (
            "TaskUnassigned",
            &null,
            &carol,
            &pending,
            &pending,
            Some(json!(["assignee"])),
        ),
        (
            "TaskAssigned",
            &bob,
            &null,
            &pending,
            &completed,
            Some(json!(["assignee", "completedAt", "status"])),
        ),
        (
            "TaskUnassigned",
            &null,
            &bob,
            &completed,
            &completed,
            Some(json!(["assignee"])),
        ),
        (
            "TaskUpdated",
            &null,
            &null,
            &completed,
            &completed,
            Some(json!(["title"])),
        ),
    ];
    for (position, (detail_type, assignee, previous, previous_status, status, changed)) in
        expected.into_iter().enumerate()
    {
        let event = by_key[&keys[position]];
        let detail = &event["detail"];
        let at = format!("record {position}");
        assert_eq!(event["source"], "task-api", "{at}");
        assert_eq!(event["detail-type"], detail_type, "{at}");
        assert_eq!(&detail["assignee"], assignee, "{at}");
        assert_eq!(&detail["previousAssignee"], previous, "{at}");
        assert_eq!(&detail["previousStatus"], previous_status, "{at}");
        assert_eq!(&detail["status"], status, "{at}");
        assert_eq!(detail.get("changedFields"), changed.as_ref(), "{at}");
        assert_eq!(
            detail["ownerId"], "4f8e1c2a-0b3d-4e5f-8a9b-1c2d3e4f5a6b",
            "{at}"
        );
    }

    // The notifying consumer gets every assignment, and every creation, where it skips a
    // task created without an assignee: each new assignee once, the records' order kept
    // by `version` within a task.
    let notified = notify.received(5).await;
    let notified = by_dedup_key(&notified);
    let expected_keys: Vec<&String> = [0, 1, 2, 3, 5].iter().map(|p| &keys[*p]).collect();
    assert_eq!(notified.keys().collect::<Vec<_>>(), expected_keys);
    let to_notify: Vec<&str> = notified
        .values()
        .filter_map(|event| event["detail"]["assignee"].as_str())
        .collect();
    assert_eq!(to_notify, [BOB, BOB, CAROL, BOB]);

    // The completion rule, with its branch for assignment events, gets the completion that
    // came with the reassignment, and not the clearing of a task that stays completed.
    let completed = completions.received(1).await;
    assert_eq!(dedup_keys(&completed), [keys[5].clone()], "{completed:#?}");
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
pub(crate) async fn read_http(stream: &mut tokio::net::TcpStream) -> Option<(String, Vec<u8>)> {
    let message = crate::fault_proxy::read_message(stream).await?;
    let header_end = message.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&message[..header_end]).into_owned();
    Some((head, message[header_end..].to_vec()))
}
