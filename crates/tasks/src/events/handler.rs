//! One batch of stream records: each record's event published in the records' order, at most
//! ten per PutEvents request, and what could not be published reported back to Lambda.
//!
//! The event source mapping uses `ReportBatchItemFailures`: the answer lists the records
//! that failed, and Lambda takes the lowest sequence number among them as the point to
//! resume from; every record before it counts as done. Records of one shard (all of one
//! task's changes among them) arrive in order, so the answer names the first record that
//! could not be published **and every record after it**, whether or not those were
//! published: the retry then republishes from that record on, in order, and never publishes
//! a task's later change without its earlier one. A record published twice carries the same
//! `dedupKey` both times (its sequence number), so consumers can drop the copy.
//!
//! EventBridge may refuse some entries of a request and publish the others. So that such a
//! refusal can never put a task's later event before its earlier one, one request never
//! holds two events of the same task, and a refused entry is not retried here, after the
//! request's later entries went out: the batch is reported from its record, and the stream
//! mapping's retry (bounded, template.yaml) republishes from there, in order. The SDK's own
//! retries of a whole request that failed stay: they send the same entries in the same order.
//!
//! What ends a batch early, reported from that record on:
//! - a record that cannot become an event (an image that is not a task): Lambda retries it
//!   a bounded number of times, bisecting the batch, then sends its position to the
//!   on-failure queue (template.yaml), so a poison record never blocks the shard for good
//!   and is never dropped silently;
//! - a PutEvents request that fails as a whole after the client's retries (EventBridge
//!   unreachable, throttling);
//! - an entry that EventBridge refused, whatever the reason;
//! - too little time left before the invocation's deadline to start one more request.

use std::ops::Range;
use std::time::{Duration, Instant, SystemTime};

use aws_lambda_events::event::dynamodb::Event;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::LambdaEvent;

use super::client::OPERATION_TIMEOUT;
use super::publisher::{EntryOutcome, EventEntry, EventPublisher, MAX_ENTRIES_PER_PUT};
use super::{TaskChange, task_change};
use crate::domain::TaskId;
use crate::reminders::ReminderChange;
use crate::reminders::schedule::{NoReminders, ReminderSchedules};
use crate::telemetry;

/// A request starts only with this much time left before the invocation's deadline: a
/// request ends within [`OPERATION_TIMEOUT`], and the answer needs a moment to leave.
pub const TIME_NEEDED_PER_PUT: Duration =
    OPERATION_TIMEOUT.saturating_add(Duration::from_millis(500));

/// The task-events function's handler, built once in `main`: each record's event, and its
/// effect on the task's reminder schedule (`crate::reminders`).
pub struct StreamHandler<P, R = NoReminders> {
    publisher: P,
    reminders: R,
}

/// What one batch came to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchReport {
    pub records: usize,
    /// Events published (records before the first failure).
    pub published: usize,
    /// Records that are no task's (idempotency records, owners' task counts, reminders'
    /// deliveries).
    pub skipped: usize,
    /// Reminder schedules created, moved or deleted, and late reminders handed over.
    pub reminders: usize,
    /// The records to retry: the first that could not be published, and all after it.
    pub failures: Vec<DynamoDbBatchItemFailure>,
}

impl<P: EventPublisher> StreamHandler<P> {
    /// A handler that publishes events and schedules no reminders.
    pub fn new(publisher: P) -> Self {
        Self::with_reminders(publisher, NoReminders)
    }
}

impl<P: EventPublisher, R: ReminderSchedules> StreamHandler<P, R> {
    pub fn with_reminders(publisher: P, reminders: R) -> Self {
        Self {
            publisher,
            reminders,
        }
    }

    /// The reminder schedules this handler writes.
    pub fn reminders(&self) -> &R {
        &self.reminders
    }

    /// The publisher this handler puts events with.
    pub fn publisher(&self) -> &P {
        &self.publisher
    }

    /// Lambda's entry point. Never fails: what was not published is in the answer.
    pub async fn handle(
        &self,
        invocation: LambdaEvent<Event>,
    ) -> Result<DynamoDbEventResponse, lambda_runtime::Error> {
        let started = Instant::now();
        let cold_start = telemetry::take_cold_start();
        let context = invocation.context;
        // A deadline that has passed before anything started is no deadline: a test's
        // default context has 0, and `cargo lambda watch` sends a fixed 600000 (1970).
        let deadline = Some(context.deadline()).filter(|deadline| *deadline > SystemTime::now());
        let report = self.process(invocation.payload, deadline).await;
        tracing::info!(
            requestId = context.request_id,
            records = report.records,
            published = report.published,
            skipped = report.skipped,
            reminders = report.reminders,
            failed = report.failures.len(),
            firstFailedSequenceNumber = report
                .failures
                .first()
                .and_then(|f| f.item_identifier.as_deref())
                .unwrap_or(""),
            coldStart = cold_start,
            durationMs = telemetry::millis(started.elapsed()),
            "stream batch"
        );
        let mut response = DynamoDbEventResponse::default();
        response.batch_item_failures = report.failures;
        Ok(response)
    }

    /// Publishes the events of a batch's records, in order, until the first record that
    /// cannot be published; `deadline`: when the invocation times out.
    pub async fn process(&self, event: Event, deadline: Option<SystemTime>) -> BatchReport {
        let records = event.records.len();
        let mut sequence_numbers = Vec::with_capacity(records);
        // Each event's entry, the position of its record in the batch, and its task.
        let (mut positions, mut entries, mut tasks) = (Vec::new(), Vec::new(), Vec::new());
        // Each task change and the position of its record, for the reminders.
        let mut changes: Vec<(usize, TaskChange)> = Vec::new();
        let mut skipped = 0;
        // The first record that cannot be published; none from it on is.
        let mut stop_at = records;
        for (position, record) in event.records.into_iter().enumerate() {
            let sequence_number = record.change.sequence_number.clone();
            if stop_at == records {
                match task_change(record) {
                    Ok(Some(change)) => {
                        if let Some(event) = change.event() {
                            positions.push(position);
                            entries.push(event.entry());
                            tasks.push(event.task.id);
                        }
                        changes.push((position, change));
                    }
                    Ok(None) => skipped += 1,
                    Err(error) => {
                        tracing::error!(
                            sequenceNumber = sequence_number.as_deref().unwrap_or(""),
                            error = %error,
                            "a stream record cannot become a task event; it and the records after it are reported as failed"
                        );
                        stop_at = position;
                    }
                }
            }
            sequence_numbers.push(sequence_number);
        }

        for group in requests(&tasks) {
            let (positions, entries) = (&positions[group.clone()], &entries[group]);
            if let Err(position) = self.publish(positions, entries, deadline).await {
                stop_at = position;
                break;
            }
        }
        let published = positions.iter().filter(|p| **p < stop_at).count();

        // Then each published record's effect on its task's reminder, in the records' order
        // (so a task's later change is applied after its earlier one), until one fails: it
        // and every record after it are reported, and the retry does them again (writing a
        // schedule is idempotent: its name is the task's).
        let now = chrono::Utc::now();
        let mut reminders = 0;
        for (position, change) in changes {
            if position >= stop_at {
                break;
            }
            let reminder = ReminderChange::of(change.old.as_ref(), change.new.as_ref(), now);
            let Some(task) = change
                .task_id()
                .filter(|_| reminder != ReminderChange::Keep)
            else {
                continue;
            };
            if too_little_time_left(deadline) {
                tracing::warn!("too little time left before the deadline to write more schedules");
                stop_at = position;
                break;
            }
            if let Err(error) = self.reminders.apply(task, &reminder, now).await {
                tracing::warn!(
                    taskId = %task,
                    error = %error,
                    "a reminder's schedule was not written; the batch is reported from its record"
                );
                stop_at = position;
                break;
            }
            reminders += 1;
        }

        BatchReport {
            records,
            published,
            skipped,
            reminders,
            // Without a sequence number the failure names no record, which Lambda takes as
            // a failure of the whole batch: still a retry, never a loss.
            failures: sequence_numbers
                .into_iter()
                .skip(stop_at)
                .map(|item_identifier| {
                    let mut failure = DynamoDbBatchItemFailure::default();
                    failure.item_identifier = item_identifier;
                    failure
                })
                .collect(),
        }
    }

    /// Publishes one group of entries in one request; on failure, the position of the first
    /// record whose event may not have been published.
    async fn publish(
        &self,
        positions: &[usize],
        entries: &[EventEntry],
        deadline: Option<SystemTime>,
    ) -> Result<(), usize> {
        let first = positions[0];
        if too_little_time_left(deadline) {
            tracing::warn!(
                unpublished = entries.len(),
                "too little time left before the deadline to publish more events"
            );
            return Err(first);
        }
        let outcomes = match self.publisher.put_events(entries).await {
            // One outcome per entry, or none can be matched to its entry.
            Ok(outcomes) if outcomes.len() == entries.len() => outcomes,
            Ok(outcomes) => {
                tracing::warn!(
                    entries = entries.len(),
                    outcomes = outcomes.len(),
                    "PutEvents answered for another number of entries; none taken as published"
                );
                return Err(first);
            }
            Err(error) => {
                tracing::warn!(error = %error, entries = entries.len(), "events not published");
                return Err(first);
            }
        };
        let refused =
            outcomes
                .iter()
                .zip(entries)
                .zip(positions)
                .find_map(|((outcome, entry), position)| match outcome {
                    EntryOutcome::Published => None,
                    EntryOutcome::Failed { code, message } => {
                        Some((entry, code, message, *position))
                    }
                });
        match refused {
            None => Ok(()),
            Some((entry, code, message, position)) => {
                tracing::warn!(
                    detailType = entry.detail_type,
                    code,
                    message,
                    "EventBridge refused an event; the batch is reported from its record"
                );
                Err(position)
            }
        }
    }
}

/// Whether less than one request's budget is left before `deadline`. The schedule and
/// Lambda clients have the same budget as EventBridge's.
fn too_little_time_left(deadline: Option<SystemTime>) -> bool {
    deadline.is_some_and(|deadline| {
        deadline
            .duration_since(SystemTime::now())
            .unwrap_or_default()
            < TIME_NEEDED_PER_PUT
    })
}

/// The requests that publish `tasks`' events in order: consecutive runs of at most
/// [`MAX_ENTRIES_PER_PUT`] entries, none with two events of one task (so that no refusal
/// inside a request can reorder a task's events), as ranges of indexes.
fn requests(tasks: &[TaskId]) -> Vec<Range<usize>> {
    let mut groups: Vec<Range<usize>> = Vec::new();
    for (index, task) in tasks.iter().enumerate() {
        match groups.last_mut() {
            Some(group)
                if group.len() < MAX_ENTRIES_PER_PUT && !tasks[group.clone()].contains(task) =>
            {
                group.end = index + 1;
            }
            _ => groups.push(index..index + 1),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use aws_lambda_events::event::dynamodb::EventRecord;

    use super::*;
    use crate::events::publisher::PublishError;
    use crate::events::tests::{pending_task, record};
    use crate::store::items::TaskItem;

    /// An EventBridge stand-in: records each request, and fails requests or refuses
    /// entries as scripted.
    #[derive(Default)]
    struct FakeBus {
        requests: Mutex<Vec<Vec<EventEntry>>>,
        published: Mutex<Vec<EventEntry>>,
        /// Requests to fail as a whole, by number (0: the first).
        failing_requests: Mutex<Vec<usize>>,
        /// Entries to refuse: (dedupKey, error code, how many times).
        refusals: Mutex<Vec<(String, &'static str, usize)>>,
    }

    impl FakeBus {
        fn refuse(&self, dedup_key: &str, code: &'static str, times: usize) {
            self.refusals
                .lock()
                .unwrap()
                .push((dedup_key.to_owned(), code, times));
        }

        fn request_sizes(&self) -> Vec<usize> {
            self.requests.lock().unwrap().iter().map(Vec::len).collect()
        }

        /// The dedup keys of what was published, in order.
        fn published_keys(&self) -> Vec<String> {
            self.published
                .lock()
                .unwrap()
                .iter()
                .map(dedup_key)
                .collect()
        }
    }

    fn dedup_key(entry: &EventEntry) -> String {
        let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap();
        detail["dedupKey"].as_str().unwrap().to_owned()
    }

    impl EventPublisher for FakeBus {
        async fn put_events(
            &self,
            entries: &[EventEntry],
        ) -> Result<Vec<EntryOutcome>, PublishError> {
            assert!(entries.len() <= MAX_ENTRIES_PER_PUT);
            let number = {
                let mut requests = self.requests.lock().unwrap();
                requests.push(entries.to_vec());
                requests.len() - 1
            };
            if self.failing_requests.lock().unwrap().contains(&number) {
                return Err(PublishError("connection refused".into()));
            }
            let mut refusals = self.refusals.lock().unwrap();
            Ok(entries
                .iter()
                .map(|entry| {
                    let key = dedup_key(entry);
                    match refusals
                        .iter_mut()
                        .find(|(refused, _, times)| *refused == key && *times > 0)
                    {
                        Some((_, code, times)) => {
                            *times -= 1;
                            EntryOutcome::Failed {
                                code: (*code).to_owned(),
                                message: "refused".into(),
                            }
                        }
                        None => {
                            self.published.lock().unwrap().push(entry.clone());
                            EntryOutcome::Published
                        }
                    }
                })
                .collect())
        }
    }

    fn sequence(position: usize) -> String {
        format!("{:028}", 1000 + position)
    }

    /// An INSERT record of a new task at each position.
    fn inserts(count: usize) -> Vec<EventRecord> {
        (0..count)
            .map(|position| {
                let mut task = pending_task();
                task.id = TaskId::new_random();
                let image = serde_dynamo::to_item(TaskItem::from(&task)).unwrap();
                record("INSERT", &sequence(position), None, Some(image))
            })
            .collect()
    }

    fn batch(records: Vec<EventRecord>) -> Event {
        let mut event = Event::default();
        event.records = records;
        event
    }

    fn failed_from(report: &BatchReport) -> Vec<String> {
        report
            .failures
            .iter()
            .map(|f| f.item_identifier.clone().unwrap())
            .collect()
    }

    fn sequences(range: std::ops::Range<usize>) -> Vec<String> {
        range.map(sequence).collect()
    }

    #[tokio::test]
    async fn a_batch_is_published_in_order_ten_entries_per_request() {
        let handler = StreamHandler::new(FakeBus::default());
        let report = handler.process(batch(inserts(25)), None).await;
        assert_eq!(handler.publisher().request_sizes(), [10, 10, 5]);
        assert_eq!(handler.publisher().published_keys(), sequences(0..25));
        assert_eq!((report.published, report.failures.len()), (25, 0));
    }

    #[tokio::test]
    async fn an_owner_s_task_count_is_skipped() {
        let mut records = inserts(2);
        let count = crate::store::items::TaskCount {
            task_id: crate::store::items::task_count_id(&pending_task().owner),
            task_count: 1,
            last_write_id: Some("w".into()),
            last_release_id: None,
        };
        let image = serde_dynamo::to_item(&count).unwrap();
        records.insert(1, record("INSERT", "count", None, Some(image)));
        let handler = StreamHandler::new(FakeBus::default());
        let report = handler.process(batch(records), None).await;
        assert_eq!((report.published, report.skipped), (2, 1));
        assert!(report.failures.is_empty());
    }

    #[tokio::test]
    async fn a_user_s_live_connections_are_skipped() {
        let mut records = inserts(2);
        let item = crate::live::connections::ConnectionsItem {
            task_id: crate::live::connections::connections_key(&pending_task().owner),
            connections: [("c1".to_owned(), 50)].into_iter().collect(),
            revision: 1,
            expires_at: 50,
        };
        let image = serde_dynamo::to_item(&item).unwrap();
        records.insert(1, record("INSERT", "connections", None, Some(image)));
        let handler = StreamHandler::new(FakeBus::default());
        let report = handler.process(batch(records), None).await;
        assert_eq!((report.published, report.skipped), (2, 1));
        assert!(report.failures.is_empty());
    }

    #[tokio::test]
    async fn idempotency_records_are_skipped() {
        let mut records = inserts(3);
        let task = pending_task();
        let key = crate::domain::IdempotencyKey::parse("k").unwrap();
        let stored = crate::store::items::IdempotencyRecord {
            task_id: crate::store::items::idempotency_record_id(&task.owner, &key),
            request_hash: String::new(),
            task: TaskItem::from(&task),
            done: true,
            expires_at: 0,
        };
        let image = serde_dynamo::to_item(&stored).unwrap();
        records.insert(1, record("INSERT", "idem", None, Some(image)));
        let handler = StreamHandler::new(FakeBus::default());
        let report = handler.process(batch(records), None).await;
        assert_eq!((report.published, report.skipped), (3, 1));
        assert!(report.failures.is_empty());
        assert_eq!(handler.publisher().request_sizes(), [3]);
    }

    #[tokio::test]
    async fn a_poison_record_stops_the_batch_there_and_is_reported_with_all_after_it() {
        let mut records = inserts(25);
        records[12].change.new_image.remove("title");
        let handler = StreamHandler::new(FakeBus::default());
        let report = handler.process(batch(records), None).await;
        assert_eq!(handler.publisher().published_keys(), sequences(0..12));
        assert_eq!(failed_from(&report), sequences(12..25));
        assert_eq!(report.published, 12);
    }

    #[tokio::test]
    async fn an_unreachable_bus_fails_the_batch_from_the_first_unpublished_record() {
        let handler = StreamHandler::new(FakeBus::default());
        handler.publisher().failing_requests.lock().unwrap().push(0);
        let report = handler.process(batch(inserts(15)), None).await;
        assert_eq!(failed_from(&report), sequences(0..15));
        assert_eq!(
            handler.publisher().request_sizes(),
            [10],
            "no later group is tried"
        );

        // The second request fails: the first group stays published, the rest is reported.
        let handler = StreamHandler::new(FakeBus::default());
        handler.publisher().failing_requests.lock().unwrap().push(1);
        let report = handler.process(batch(inserts(25)), None).await;
        assert_eq!(handler.publisher().published_keys(), sequences(0..10));
        assert_eq!(failed_from(&report), sequences(10..25));
        assert_eq!(handler.publisher().request_sizes(), [10, 10]);
    }

    #[tokio::test]
    async fn a_refused_entry_ends_the_batch_at_its_record_without_a_retry_here() {
        for code in ["ThrottlingException", "InternalFailure", "MalformedDetail"] {
            let handler = StreamHandler::new(FakeBus::default());
            handler.publisher().refuse(&sequence(3), code, 1);
            let report = handler.process(batch(inserts(25)), None).await;
            assert_eq!(
                handler.publisher().request_sizes(),
                [10],
                "{code}: no retry, no later group"
            );
            assert_eq!(failed_from(&report), sequences(3..25), "{code}");
            assert_eq!(report.published, 3, "{code}");
        }
    }

    #[test]
    fn a_request_never_holds_two_events_of_one_task() {
        let (a, b, c) = (
            TaskId::new_random(),
            TaskId::new_random(),
            TaskId::new_random(),
        );
        assert_eq!(requests(&[a, b, a, c, a]), [0..2, 2..4, 4..5]);
        assert_eq!(requests(&[a, b, c]), vec![0..3]);
        let distinct: Vec<TaskId> = (0..23).map(|_| TaskId::new_random()).collect();
        assert_eq!(requests(&distinct), [0..10, 10..20, 20..23]);
        assert!(requests(&[]).is_empty());
    }

    #[tokio::test]
    async fn a_partly_refused_request_never_publishes_a_task_s_events_out_of_order() {
        // Task A is created, changed twice, and deleted; B and C are created in between.
        let (mut a, b, c) = (pending_task(), pending_task(), pending_task());
        let (b, c) = (with_new_id(b), with_new_id(c));
        a = with_new_id(a);
        let image =
            |task: &crate::domain::Task| serde_dynamo::to_item(TaskItem::from(task)).unwrap();
        let mut a2 = a.clone();
        a2.version = crate::domain::Version::new(2);
        let mut a3 = a2.clone();
        a3.version = crate::domain::Version::new(3);
        let records = vec![
            record("INSERT", &sequence(0), None, Some(image(&a))),
            record("INSERT", &sequence(1), None, Some(image(&b))),
            record("MODIFY", &sequence(2), Some(image(&a)), Some(image(&a2))),
            record("INSERT", &sequence(3), None, Some(image(&c))),
            record("MODIFY", &sequence(4), Some(image(&a2)), Some(image(&a3))),
            record("REMOVE", &sequence(5), Some(image(&a3)), None),
        ];
        let bus = FakeBus::default();
        // A's creation is refused once, in a request that also carries later records.
        bus.refuse(&sequence(0), "ThrottlingException", 1);
        let handler = StreamHandler::new(bus);
        let report = handler.process(batch(records.clone()), None).await;
        assert_eq!(failed_from(&report), sequences(0..6));
        // Lambda's retry: the batch again from the first reported record.
        let retry = handler.process(batch(records), None).await;
        assert!(retry.failures.is_empty());

        // What each task's consumer sees, copies dropped by dedupKey: its events in order.
        let published = handler.publisher().published.lock().unwrap().clone();
        for task in [a.id, b.id, c.id] {
            let mut seen: Vec<String> = Vec::new();
            for entry in published
                .iter()
                .filter(|e| e.detail.contains(&task.to_string()))
            {
                let key = dedup_key(entry);
                if !seen.contains(&key) {
                    seen.push(key);
                }
            }
            let mut ordered = seen.clone();
            ordered.sort();
            assert_eq!(seen, ordered, "task {task}: events out of order");
        }
        let mut every = handler.publisher().published_keys();
        every.sort();
        every.dedup();
        assert_eq!(every, sequences(0..6), "every event published");
    }

    fn with_new_id(mut task: crate::domain::Task) -> crate::domain::Task {
        task.id = TaskId::new_random();
        task
    }

    #[tokio::test]
    async fn no_request_starts_too_close_to_the_deadline() {
        let handler = StreamHandler::new(FakeBus::default());
        let deadline = SystemTime::now() + TIME_NEEDED_PER_PUT / 2;
        let report = handler.process(batch(inserts(4)), Some(deadline)).await;
        assert!(handler.publisher().request_sizes().is_empty());
        assert_eq!(failed_from(&report), sequences(0..4));

        let later = SystemTime::now() + TIME_NEEDED_PER_PUT * 2;
        let report = handler.process(batch(inserts(4)), Some(later)).await;
        assert!(report.failures.is_empty());
    }

    #[tokio::test]
    async fn the_answer_is_lambda_s_partial_batch_response() {
        let handler = StreamHandler::new(FakeBus::default());
        handler
            .publisher()
            .refuse(&sequence(1), "MalformedDetail", 1);
        // `cargo lambda watch` sends this deadline (1970): taken as none, not as passed.
        let mut context = lambda_runtime::Context::default();
        context.deadline = 600_000;
        let invocation = LambdaEvent::new(batch(inserts(3)), context);
        let response = handler.handle(invocation).await.unwrap();
        assert_eq!(
            serde_json::to_value(&response).unwrap(),
            serde_json::json!({"batchItemFailures": [
                {"itemIdentifier": sequence(1)},
                {"itemIdentifier": sequence(2)},
            ]})
        );
    }
}
