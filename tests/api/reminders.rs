//! Reminders end to end on real parts: tasks written by the store to a table of moto's
//! DynamoDB with a stream, the stream's own records read back and handed to the task-events
//! handler, which writes schedules to moto's Scheduler; a schedule's input then fired at the
//! task-reminders handler as Scheduler would (no emulator fires schedules), which publishes to
//! a bus of moto's EventBridge (read back through a queue) and emails through moto's SES
//! users of moto's user pool (read back through moto's own record of what it sent).
//!
//! All need `make test`'s moto server: ignored in plain `cargo test`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_sdk_cognitoidentityprovider::types::{AttributeType, UsernameAttributeType};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    StreamSpecification, StreamViewType,
};
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use chrono::Utc;
use serde_json::Value;
use tasks::config::{MailConfig, ScheduleConfig};
use tasks::domain::{Status, Task, TaskChanges, TaskId, Timestamp, Title, UserId};
use tasks::events::handler::BatchReport;
use tasks::events::{EventBridgePublisher, StreamHandler};
use tasks::reminders::mail::SesMailer;
use tasks::reminders::{DeliveryHandler, DeliveryOutcome, ReminderInput, SchedulerReminders};
use tasks::store::{DynamoTaskStore, TaskStore};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::task_events::{Bus, moto_endpoint, read_http};

const TARGET_ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:task-reminders";
const SENDER: &str = "reminders@tasks.example.com";

type Delivery = DeliveryHandler<DynamoTaskStore, EventBridgePublisher, SesMailer>;

/// One stack's worth of reminders on moto: a table with its stream, a schedule group, a bus,
/// a user pool with an owner and an assignee, and both functions' handlers.
struct Stack {
    moto: String,
    store: DynamoTaskStore,
    streams: aws_sdk_dynamodbstreams::Client,
    stream_arn: String,
    /// Where each shard's reading goes on.
    iterators: Mutex<HashMap<String, String>>,
    scheduler: aws_sdk_scheduler::Client,
    group: String,
    events: StreamHandler<EventBridgePublisher, SchedulerReminders>,
    bus: Bus,
    /// What task-events handed to the reminders function directly (late reminders).
    invoked: Arc<Mutex<Vec<Value>>>,
    delivery: Delivery,
    pool: String,
    owner: UserId,
    owner_address: String,
    assignee: UserId,
    assignee_address: String,
}

impl Stack {
    async fn new() -> Self {
        Self::with_scheduler_at(None).await
    }

    /// The stack, with task-events reaching Scheduler at `scheduler` (a closed port, say)
    /// instead of moto.
    async fn with_scheduler_at(scheduler_endpoint: Option<&str>) -> Self {
        let moto = moto_endpoint("AWS_ENDPOINT_URL_EVENTBRIDGE");
        let sdk_config = aws_config::from_env().load().await;
        let unique = uuid::Uuid::new_v4().simple().to_string();

        let dynamodb = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk_config)
                .endpoint_url(&moto)
                .build(),
        );
        let table = format!("tasks-{unique}");
        let stream_arn = create_streamed_table(&dynamodb, &table).await;
        let store = DynamoTaskStore::new(dynamodb, &table);
        let streams = aws_sdk_dynamodbstreams::Client::from_conf(
            aws_sdk_dynamodbstreams::config::Builder::from(&sdk_config)
                .endpoint_url(&moto)
                .build(),
        );

        let scheduler = aws_sdk_scheduler::Client::from_conf(
            aws_sdk_scheduler::config::Builder::from(&sdk_config)
                .endpoint_url(&moto)
                .build(),
        );
        let group = format!("reminders-{unique}");
        scheduler
            .create_schedule_group()
            .name(&group)
            .send()
            .await
            .unwrap();
        let (lambda_endpoint, invoked) = fake_lambda().await;
        let schedules = SchedulerReminders::connect(ScheduleConfig {
            group: group.clone(),
            target_arn: TARGET_ARN.into(),
            role_arn: "arn:aws:iam::123456789012:role/reminders-scheduler".into(),
            dead_letter_arn: "arn:aws:sqs:us-east-1:123456789012:reminder-failures".into(),
            scheduler_endpoint: scheduler_endpoint.unwrap_or(&moto).to_owned(),
            lambda_endpoint,
        })
        .await;

        let bus = Bus::new().await;
        let publisher = || {
            let client = tasks::events::client::client_from(&sdk_config, &bus.endpoint);
            EventBridgePublisher::new(client, &bus.name)
        };
        let events = StreamHandler::with_reminders(publisher(), schedules);

        let (cognito, pool) = user_pool(&sdk_config, &moto).await;
        let owner_address = format!("owner-{unique}@example.com");
        let assignee_address = format!("assignee-{unique}@example.com");
        let owner = add_user(&cognito, &pool, &owner_address).await;
        let assignee = add_user(&cognito, &pool, &assignee_address).await;
        let ses = aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(&sdk_config)
                .endpoint_url(&moto)
                .build(),
        );
        ses.create_email_identity()
            .email_identity(SENDER)
            .send()
            .await
            .unwrap();
        let mailer = SesMailer::new(
            ses,
            cognito,
            MailConfig {
                sender: SENDER.into(),
                user_pool_id: pool.clone(),
                web_app_url: "https://tasks.example.com".into(),
                ses_endpoint: moto.clone(),
                cognito_endpoint: moto.clone(),
            },
        );
        let delivery = DeliveryHandler::new(store.clone(), publisher(), Some(mailer));

        let stack = Self {
            moto,
            store,
            streams,
            stream_arn,
            iterators: Mutex::default(),
            scheduler,
            group,
            events,
            bus,
            invoked,
            delivery,
            pool,
            owner,
            owner_address,
            assignee,
            assignee_address,
        };
        // Reading starts at the stream's beginning: the table is new.
        stack.stream_records().await;
        stack
    }

    /// The records the stream holds since the last read, as Lambda hands them over.
    async fn stream_records(&self) -> Event {
        let shards = self
            .streams
            .describe_stream()
            .stream_arn(&self.stream_arn)
            .send()
            .await
            .unwrap()
            .stream_description
            .unwrap()
            .shards
            .unwrap_or_default();
        let mut batch = Event::default();
        for shard in shards {
            let shard_id = shard.shard_id.unwrap();
            let known = self.iterators.lock().unwrap().get(&shard_id).cloned();
            let iterator = match known {
                Some(iterator) => iterator,
                None => self
                    .streams
                    .get_shard_iterator()
                    .stream_arn(&self.stream_arn)
                    .shard_id(&shard_id)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await
                    .unwrap()
                    .shard_iterator
                    .unwrap(),
            };
            let output = self
                .streams
                .get_records()
                .shard_iterator(iterator)
                .send()
                .await
                .unwrap();
            for record in output.records.unwrap_or_default() {
                batch.records.push(lambda_record(record));
            }
            if let Some(next) = output.next_shard_iterator {
                self.iterators.lock().unwrap().insert(shard_id, next);
            }
        }
        batch
    }

    /// Hands the stream's new records to task-events, as its event source mapping would.
    async fn stream(&self) -> BatchReport {
        let batch = self.stream_records().await;
        assert!(!batch.records.is_empty(), "the write left a stream record");
        self.events.process(batch, None).await
    }

    /// The task's schedule: its expression and its input, if it has one.
    async fn schedule(&self, task: TaskId) -> Option<(String, ReminderInput)> {
        let found = self
            .scheduler
            .get_schedule()
            .name(format!("reminder-{task}"))
            .group_name(&self.group)
            .send()
            .await;
        let schedule = match found {
            Ok(schedule) => schedule,
            Err(error) => {
                use aws_sdk_scheduler::error::ProvideErrorMetadata;
                assert_eq!(error.code(), Some("ResourceNotFoundException"), "{error:?}");
                return None;
            }
        };
        let target = schedule.target.unwrap();
        assert_eq!(target.arn, TARGET_ARN);
        assert!(target.dead_letter_config.is_some(), "a dead-letter queue");
        assert_eq!(
            schedule.schedule_expression_timezone.as_deref(),
            Some("UTC")
        );
        let input = serde_json::from_str(target.input.as_deref().unwrap()).unwrap();
        Some((schedule.schedule_expression.unwrap(), input))
    }

    async fn schedules(&self) -> usize {
        let listed = self
            .scheduler
            .list_schedules()
            .group_name(&self.group)
            .send()
            .await
            .unwrap();
        listed.schedules.len()
    }

    /// A task of the owner, written through the store, with these fields.
    async fn create(&self, fields: TaskChanges) -> Task {
        let task = Task::create(
            TaskId::new_random(),
            self.owner.clone(),
            Title::parse("Renew the passport").unwrap(),
            &fields,
            Timestamp::now(),
        );
        self.store.create(&task).await.unwrap();
        task
    }

    async fn change(&self, task: &Task, changes: TaskChanges) -> Task {
        self.store
            .update(&self.owner, task.id, &changes, None, Timestamp::now())
            .await
            .unwrap()
    }

    /// Fires `input` at the reminders function, as the schedule would.
    async fn fire(&self, input: &ReminderInput) -> DeliveryOutcome {
        self.delivery.deliver(input).await.unwrap()
    }

    /// What moto's SES sent to `address`: (the recipients of each message, its text).
    async fn mail_to(&self, address: &str) -> Vec<(Vec<String>, String)> {
        let data = moto_data(&self.moto).await;
        let messages = data["ses"]["Message"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        messages
            .iter()
            .filter_map(|message| {
                let to: Vec<String> =
                    serde_json::from_value(message["destinations"]["ToAddresses"].clone()).ok()?;
                to.contains(&address.to_owned()).then(|| {
                    assert_eq!(message["source"], SENDER);
                    let text = format!("{}\n{}", message["subject"], message["body"]);
                    (to, text)
                })
            })
            .collect()
    }
}

async fn create_streamed_table(dynamodb: &aws_sdk_dynamodb::Client, table: &str) -> String {
    let created = dynamodb
        .create_table()
        .table_name(table)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("taskId")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("taskId")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        // As template.yaml's table: both images, which task-events needs.
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    created
        .table_description
        .unwrap()
        .latest_stream_arn
        .expect("the table has a stream")
}

/// A new user pool on moto (users sign in with their address), and its client.
pub(crate) async fn user_pool(
    sdk_config: &aws_config::SdkConfig,
    moto: &str,
) -> (aws_sdk_cognitoidentityprovider::Client, String) {
    let cognito = aws_sdk_cognitoidentityprovider::Client::from_conf(
        aws_sdk_cognitoidentityprovider::config::Builder::from(sdk_config)
            .endpoint_url(moto)
            .build(),
    );
    let pool = cognito
        .create_user_pool()
        .pool_name(format!("users-{}", uuid::Uuid::new_v4().simple()))
        .username_attributes(UsernameAttributeType::Email)
        .send()
        .await
        .unwrap()
        .user_pool
        .unwrap()
        .id
        .unwrap();
    (cognito, pool)
}

/// A confirmed user of the pool with a verified address; their `sub`.
pub(crate) async fn add_user(
    cognito: &aws_sdk_cognitoidentityprovider::Client,
    pool: &str,
    address: &str,
) -> UserId {
    let user = cognito
        .admin_create_user()
        .user_pool_id(pool)
        .username(address)
        .user_attributes(
            AttributeType::builder()
                .name("email_verified")
                .value("true")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .user
        .unwrap();
    let sub = user
        .attributes()
        .iter()
        .find(|attribute| attribute.name() == "sub")
        .and_then(|attribute| attribute.value())
        .unwrap();
    UserId::parse(sub).unwrap()
}

/// A stream record of the SDK as Lambda delivers it to a function.
fn lambda_record(record: aws_sdk_dynamodbstreams::types::Record) -> EventRecord {
    let change = record.dynamodb.unwrap();
    let mut lambda = EventRecord::default();
    lambda.event_name = record.event_name.unwrap().as_str().to_owned();
    lambda.event_source = Some("aws:dynamodb".into());
    lambda.change.keys = change.keys.unwrap_or_default().into();
    lambda.change.new_image = change.new_image.unwrap_or_default().into();
    lambda.change.old_image = change.old_image.unwrap_or_default().into();
    lambda.change.sequence_number = change.sequence_number;
    lambda
}

/// A Lambda Invoke endpoint that accepts every asynchronous invocation and keeps its
/// payload: where task-events hands late reminders over.
async fn fake_lambda() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let invoked = Arc::new(Mutex::new(Vec::new()));
    let kept = invoked.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                if let Some((head, body)) = read_http(&mut stream).await {
                    assert!(
                        head.contains("/functions/task-reminders/invocations"),
                        "{head}"
                    );
                    assert!(
                        head.to_ascii_lowercase()
                            .contains("x-amz-invocation-type: event")
                    );
                    kept.lock()
                        .unwrap()
                        .push(serde_json::from_slice(&body).unwrap());
                    let answer =
                        b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
                    let _ = stream.write_all(answer).await;
                }
            });
        }
    });
    (endpoint, invoked)
}

/// Everything moto holds, from its own API (what SES sent among it).
async fn moto_data(moto: &str) -> Value {
    let address = moto.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!("GET /moto-api/data.json HTTP/1.0\r\nHost: {address}\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let body = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    serde_json::from_slice(&response[body..]).unwrap()
}

fn remind_at(seconds_from_now: i64) -> Timestamp {
    let at = Utc::now() + chrono::Duration::seconds(seconds_from_now);
    Timestamp::parse(&at.to_rfc3339()).unwrap()
}

fn reminder(at: Option<Timestamp>) -> TaskChanges {
    TaskChanges {
        remind_at: Some(at),
        ..Default::default()
    }
}

fn status(status: Status) -> TaskChanges {
    TaskChanges {
        status: Some(status),
        ..Default::default()
    }
}

/// Scheduler's expression for the schedule of a reminder at `at` (whole minute, rounded up).
fn expression(at: Timestamp) -> String {
    tasks::reminders::at_expression(tasks::reminders::fire_at(at, Utc::now()))
}

#[tokio::test]
async fn the_sample_firing_is_what_a_schedule_carries_and_its_task_is_not_due_here() {
    let sample: ReminderInput = serde_json::from_value(crate::helpers::event("reminder-fired"))
        .expect("events/reminder-fired.json is a reminder's input");
    let (task, at) = sample.parse().unwrap();
    assert_eq!(
        sample,
        ReminderInput::new(task, at),
        "as task-events writes it"
    );
    type Memory = tasks::store::MemoryTaskStore;
    let handler: DeliveryHandler<Memory, NoBus, SesMailer> =
        DeliveryHandler::new(Memory::new(), NoBus, None);
    assert_eq!(
        handler.deliver(&sample).await.unwrap(),
        DeliveryOutcome::NotDue,
        "no such task: nothing is published (NoBus would fail)"
    );
}

/// A bus that refuses everything: publishing to it fails the test's delivery.
struct NoBus;

impl tasks::events::EventPublisher for NoBus {
    async fn put_events(
        &self,
        _: &[tasks::events::EventEntry],
    ) -> Result<Vec<tasks::events::publisher::EntryOutcome>, tasks::events::publisher::PublishError>
    {
        Err(tasks::events::publisher::PublishError("no bus here".into()))
    }
}

#[tokio::test]
#[ignore = "needs make test's moto server"]
async fn each_write_has_its_effect_on_the_tasks_one_schedule() {
    let stack = Stack::new().await;
    let first = remind_at(3600);
    let task = stack.create(reminder(Some(first))).await;
    let report = stack.stream().await;
    assert_eq!((report.reminders, report.failures.len()), (1, 0));
    let (at, input) = stack.schedule(task.id).await.expect("created");
    assert_eq!(at, expression(first));
    assert_eq!(input, ReminderInput::new(task.id, first));

    let moved = remind_at(7200);
    stack.change(&task, reminder(Some(moved))).await;
    stack.stream().await;
    let (at, input) = stack.schedule(task.id).await.expect("moved");
    assert_eq!(
        (at, input.remind_at),
        (expression(moved), moved.to_rfc3339())
    );

    stack.change(&task, reminder(None)).await;
    stack.stream().await;
    assert_eq!(stack.schedule(task.id).await, None, "cleared");

    stack.change(&task, reminder(Some(moved))).await;
    stack.change(&task, status(Status::Completed)).await;
    let report = stack.stream().await;
    assert_eq!(
        report.reminders, 2,
        "set, then completed: two changes in one batch, in order"
    );
    assert_eq!(stack.schedule(task.id).await, None, "completed");

    stack.change(&task, status(Status::InProgress)).await;
    stack.stream().await;
    assert!(
        stack.schedule(task.id).await.is_some(),
        "reopened before its time"
    );

    let reassigned = TaskChanges {
        assignee: Some(Some(stack.assignee.clone())),
        title: Some(Title::parse("Renew both passports").unwrap()),
        ..Default::default()
    };
    stack.change(&task, reassigned).await;
    let report = stack.stream().await;
    assert_eq!(
        report.reminders, 0,
        "reassigned and renamed: the schedule stays as it is"
    );
    assert_eq!(
        stack.schedule(task.id).await.unwrap().1.remind_at,
        moved.to_rfc3339()
    );

    stack
        .store
        .delete(&stack.owner, task.id, None)
        .await
        .unwrap();
    stack.stream().await;
    assert_eq!(stack.schedule(task.id).await, None, "deleted");
    assert_eq!(stack.schedules().await, 0);
    assert!(stack.invoked.lock().unwrap().is_empty());
}

#[tokio::test]
#[ignore = "needs make test's moto server"]
async fn a_retried_batch_leaves_one_schedule_at_the_latest_time() {
    let stack = Stack::new().await;
    let task = stack.create(reminder(Some(remind_at(3600)))).await;
    let latest = remind_at(5400);
    stack.change(&task, reminder(Some(latest))).await;
    let batch = stack.stream_records().await;
    for _ in 0..2 {
        let report = stack.events.process(batch.clone(), None).await;
        assert_eq!((report.reminders, report.failures.len()), (2, 0));
    }
    assert_eq!(stack.schedules().await, 1);
    assert_eq!(stack.schedule(task.id).await.unwrap().0, expression(latest));
}

#[tokio::test]
#[ignore = "needs make test's moto server"]
async fn a_reminder_past_when_the_stream_is_read_is_handed_over_at_once() {
    let stack = Stack::new().await;
    let at = remind_at(1);
    let task = stack.create(reminder(Some(at))).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let report = stack.stream().await;
    assert_eq!((report.reminders, report.failures.len()), (1, 0));
    assert_eq!(
        stack.schedule(task.id).await,
        None,
        "no schedule for a past time"
    );
    let invoked = stack.invoked.lock().unwrap().clone();
    assert_eq!(
        invoked,
        [serde_json::to_value(ReminderInput::new(task.id, at)).unwrap()]
    );
    // What was handed over delivers as a schedule's firing does.
    let input = serde_json::from_value(invoked[0].clone()).unwrap();
    assert_eq!(
        stack.fire(&input).await,
        DeliveryOutcome::Delivered { emails: 1 }
    );
}

#[tokio::test]
#[ignore = "needs make test's moto server"]
async fn a_due_reminder_is_delivered_once_to_the_owner_and_the_assignee_each_alone() {
    let stack = Stack::new().await;
    let at = remind_at(1);
    let fields = TaskChanges {
        remind_at: Some(Some(at)),
        assignee: Some(Some(stack.assignee.clone())),
        due_date: Some(Some(Timestamp::parse("2030-03-04T09:30:00Z").unwrap())),
        ..Default::default()
    };
    let task = stack.create(fields).await;
    stack.stream().await;
    let (_, input) = stack.schedule(task.id).await.expect("scheduled");
    tokio::time::sleep(Duration::from_millis(1200)).await;

    // Scheduler and Lambda may fire it more than once (at the same moment too: see
    // concurrent_firings_deliver_once, on a server whose conditional writes are atomic).
    assert_eq!(
        stack.fire(&input).await,
        DeliveryOutcome::Delivered { emails: 2 }
    );
    assert_eq!(stack.fire(&input).await, DeliveryOutcome::AlreadyDelivered);

    let events = stack.bus.all.received(1).await;
    let reminders: Vec<&Value> = events
        .iter()
        .filter(|event| event["detail-type"] == "TaskReminderDue")
        .collect();
    assert_eq!(reminders.len(), 1, "{events:#?}");
    let detail = &reminders[0]["detail"];
    assert_eq!(detail["taskId"], task.id.to_string());
    assert_eq!(detail["remindAt"], at.to_rfc3339());
    assert_eq!(detail["assignee"], stack.assignee.as_str());
    assert_eq!(detail["version"], 1, "delivering wrote nothing to the task");
    assert_eq!(
        detail["dedupKey"],
        format!("reminder#{}#{}", task.id, at.to_rfc3339())
    );

    for address in [&stack.owner_address, &stack.assignee_address] {
        let mail = stack.mail_to(address).await;
        assert_eq!(mail.len(), 1, "one email to {address}");
        let (to, text) = &mail[0];
        assert_eq!(to, std::slice::from_ref(address), "each recipient alone");
        assert!(text.contains("Reminder: Renew the passport"), "{text}");
        assert!(text.contains("Monday 4 March 2030 at 09:30 UTC"), "{text}");
        assert!(text.contains("https://tasks.example.com/"), "{text}");
    }
    assert_eq!(
        stack
            .store
            .get(&stack.owner, task.id)
            .await
            .unwrap()
            .unwrap()
            .version
            .get(),
        1
    );
}

#[tokio::test]
#[ignore = "needs make test's moto server"]
async fn a_stale_firing_delivers_nothing() {
    let stack = Stack::new().await;
    let completed = stack.create(reminder(Some(remind_at(1)))).await;
    let moved = stack.create(reminder(Some(remind_at(1)))).await;
    let deleted = stack.create(reminder(Some(remind_at(1)))).await;
    stack.stream().await;
    let mut inputs = Vec::new();
    for task in [&completed, &moved, &deleted] {
        inputs.push(stack.schedule(task.id).await.expect("scheduled").1);
    }
    // The schedules' own firings, had they raced with these writes.
    stack.change(&completed, status(Status::Completed)).await;
    stack.change(&moved, reminder(Some(remind_at(3600)))).await;
    stack
        .store
        .delete(&stack.owner, deleted.id, None)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for input in &inputs {
        assert_eq!(
            stack.fire(input).await,
            DeliveryOutcome::NotDue,
            "{input:?}"
        );
    }
    assert!(stack.mail_to(&stack.owner_address).await.is_empty());
    let events = stack.bus.all.received(0).await;
    assert!(
        events
            .iter()
            .all(|event| event["detail-type"] != "TaskReminderDue")
    );
}

#[tokio::test]
#[ignore = "needs make test's moto server"]
async fn an_unreachable_scheduler_fails_the_batch_from_the_record_whose_schedule_was_not_written() {
    // A port nothing listens on: the client's retries, then a failure.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let stack = Stack::with_scheduler_at(Some(&closed)).await;
    let plain = stack.create(TaskChanges::default()).await;
    let reminded = stack.create(reminder(Some(remind_at(3600)))).await;
    let batch = stack.stream_records().await;
    let sequences: Vec<_> = batch
        .records
        .iter()
        .map(|record| record.change.sequence_number.clone())
        .collect();
    // Among the records: both tasks' and their owner's task count's.
    let reminded_record = batch
        .records
        .iter()
        .position(|record| {
            record.change.keys.get("taskId")
                == Some(&serde_dynamo::AttributeValue::S(reminded.id.to_string()))
        })
        .unwrap();
    let report = stack.events.process(batch, None).await;
    assert_eq!(
        report.published, 2,
        "both events went out before the schedules"
    );
    let failed: Vec<_> = report
        .failures
        .iter()
        .map(|failure| failure.item_identifier.clone())
        .collect();
    assert_eq!(
        failed,
        sequences[reminded_record..],
        "from the reminded task's record on"
    );
    assert!(stack.schedule(plain.id).await.is_none());
    assert!(stack.schedule(reminded.id).await.is_none());
}

#[tokio::test]
#[ignore = "needs make test's moto server"]
async fn a_delivery_whose_email_fails_is_retried_without_publishing_twice() {
    let stack = Stack::new().await;
    let at = remind_at(1);
    let fields = TaskChanges {
        remind_at: Some(Some(at)),
        assignee: Some(Some(stack.assignee.clone())),
        ..Default::default()
    };
    let task = stack.create(fields).await;
    let input = ReminderInput::new(task.id, at);
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // A sender SES does not know: every send is refused.
    let unverified = Delivery::new(
        stack.store.clone(),
        {
            let sdk_config = aws_config::from_env().load().await;
            let client = tasks::events::client::client_from(&sdk_config, &stack.bus.endpoint);
            EventBridgePublisher::new(client, &stack.bus.name)
        },
        Some(
            SesMailer::connect(MailConfig {
                sender: "nobody@unverified.example.com".into(),
                user_pool_id: stack.pool.clone(),
                web_app_url: "https://tasks.example.com".into(),
                ses_endpoint: stack.moto.clone(),
                cognito_endpoint: stack.moto.clone(),
            })
            .await,
        ),
    );
    let refused = unverified.deliver(&input).await.unwrap_err().to_string();
    assert!(refused.starts_with("email: SendEmail failed"), "{refused}");
    assert!(
        !refused.contains('@'),
        "no address in what is logged and kept: {refused}"
    );
    assert!(stack.mail_to(&stack.owner_address).await.is_empty());
    // The retry (here through the stack's own mailer) finishes the delivery.
    assert_eq!(
        stack.fire(&input).await,
        DeliveryOutcome::Delivered { emails: 2 }
    );
    let events = stack.bus.all.received(1).await;
    let published = events
        .iter()
        .filter(|event| event["detail-type"] == "TaskReminderDue")
        .count();
    assert_eq!(published, 1, "published once, by the first firing");
    assert_eq!(stack.mail_to(&stack.owner_address).await.len(), 1);
    assert_eq!(stack.mail_to(&stack.assignee_address).await.len(), 1);
}

/// Firings at the same moment deliver once: the claim is one conditional write, which
/// DynamoDB applies atomically. Run on `make test`'s dynalite, which, like DynamoDB, applies
/// one request at a time; moto's server (the other tests' table, for its stream) runs
/// requests on threads without a lock, so two conditional writes there can both pass.
#[tokio::test]
#[ignore = "needs make test's local DynamoDB and moto server"]
async fn concurrent_firings_deliver_once() {
    let store = DynamoTaskStore::new(
        tasks::store::dynamodb_client().await,
        std::env::var("TABLE_NAME").expect("TABLE_NAME is set by make test"),
    );
    crate::helpers::local_endpoint();
    let at = remind_at(1);
    let task = Task::create(
        TaskId::new_random(),
        UserId::parse(&uuid::Uuid::new_v4().to_string()).unwrap(),
        Title::parse("Renew the passport").unwrap(),
        &reminder(Some(at)),
        Timestamp::now(),
    );
    store.create(&task).await.unwrap();
    let bus = Bus::new().await;
    let sdk_config = aws_config::from_env().load().await;
    let client = tasks::events::client::client_from(&sdk_config, &bus.endpoint);
    let delivery: DeliveryHandler<_, _, SesMailer> =
        DeliveryHandler::new(store, EventBridgePublisher::new(client, &bus.name), None);
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let input = ReminderInput::new(task.id, at);
    let firings = (0..4).map(|_| delivery.deliver(&input));
    let outcomes: Vec<String> = futures_util::future::join_all(firings)
        .await
        .into_iter()
        .map(|outcome| match outcome {
            Ok(outcome) => format!("{outcome:?}"),
            Err(error) => format!("retried later: {error}"),
        })
        .collect();
    let delivered = outcomes
        .iter()
        .filter(|o| o.starts_with("Delivered"))
        .count();
    assert_eq!(delivered, 1, "{outcomes:?}");
    let events = bus.all.received(1).await;
    let reminders = events
        .iter()
        .filter(|event| event["detail-type"] == "TaskReminderDue")
        .count();
    assert_eq!(reminders, 1, "{events:#?}");
}
