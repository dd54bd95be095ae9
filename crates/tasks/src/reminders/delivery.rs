//! The task-reminders function: one firing of a reminder to at most one delivery.
//!
//! A firing comes from the task's schedule (or from task-events, for a reminder found
//! already past). It re-reads the task and delivers only if that reminder is still due
//! ([`super::is_due`]). Scheduler and Lambda may fire it more than once, so the delivery is
//! claimed first in the table (one claim per task and `remindAt`, under a lease), and each
//! step is recorded there: the `TaskReminderDue` event, then one email per recipient. A
//! retry after a failure does only the steps left; a firing that finds the reminder delivered
//! does nothing; one that finds another firing delivering it fails, so that Lambda retries it
//! after that firing's lease: if that one crashed, this one delivers.
//!
//! Failures: an error leaves the function, Lambda's asynchronous invocation retries it twice,
//! then sends it to the function's on-failure queue, whose alarm an operator answers. An
//! email sent just before a crash that could not record it may be sent again on the retry:
//! the only way a recipient gets one twice. Nothing ever reaches anyone but the task's owner
//! and assignee.

use std::time::Instant;

use chrono::Utc;
use lambda_runtime::LambdaEvent;
use serde::Serialize;

use super::mail::{Mailer, SesMailer, reminder_email};
use super::{Due, REMINDER_DUE, ReminderInput, delivery_key, is_due};
use crate::api::TaskView;
use crate::config::RemindersConfig;
use crate::domain::{Task, Timestamp};
use crate::events::publisher::EntryOutcome;
use crate::events::{EventBridgePublisher, EventEntry, EventPublisher, eventbridge_client};
use crate::store::{Claim, DeliveryStep, DynamoTaskStore, ReminderLedger, StoreError};
use crate::telemetry;

/// How long a firing holds a delivery: well over the function's timeout (template.yaml), and
/// under Lambda's first retry of a failed asynchronous invocation (about a minute), so that a
/// crashed firing's retry finds the lease ended.
pub const LEASE_MILLIS: i64 = 45_000;

/// What a firing came to (its answer, and a log line).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum DeliveryOutcome {
    /// Delivered now: the event, and this many emails.
    Delivered { emails: usize },
    /// Not due: the task is gone, completed, or has another `remindAt`.
    NotDue,
    /// Another firing delivered it already.
    AlreadyDelivered,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("the input is not a reminder: {0}")]
    BadInput(String),
    #[error("fired before the reminder's time")]
    Early,
    #[error("another firing is delivering it; retried after its lease")]
    Held,
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    #[error("the TaskReminderDue event was not published: {0}")]
    Publish(String),
    #[error("email: {0}")]
    Mail(#[from] super::mail::MailError),
}

/// The function's handler, built once in `main`. `M`: the mailer, if the stack has a sender.
pub struct DeliveryHandler<L, P, M> {
    ledger: L,
    publisher: P,
    mailer: Option<M>,
}

impl DeliveryHandler<DynamoTaskStore, EventBridgePublisher, SesMailer> {
    /// The handler of the deployed function: the table, the bus and, with a sender, SES.
    pub async fn connect(config: &RemindersConfig) -> Self {
        let ledger = DynamoTaskStore::connect_to(&config.table_name).await;
        let events = eventbridge_client(&config.eventbridge_endpoint).await;
        let mailer = match &config.mail {
            Some(mail) => Some(SesMailer::connect(mail.clone()).await),
            None => None,
        };
        Self::new(
            ledger,
            EventBridgePublisher::new(events, config.event_bus_name.clone()),
            mailer,
        )
    }
}

impl<L: ReminderLedger, P: EventPublisher, M: Mailer> DeliveryHandler<L, P, M> {
    pub fn new(ledger: L, publisher: P, mailer: Option<M>) -> Self {
        Self {
            ledger,
            publisher,
            mailer,
        }
    }

    /// Lambda's entry point.
    pub async fn handle(
        &self,
        invocation: LambdaEvent<ReminderInput>,
    ) -> Result<DeliveryOutcome, lambda_runtime::Error> {
        let started = Instant::now();
        let cold_start = telemetry::take_cold_start();
        let request_id = invocation.context.request_id;
        let result = self.deliver(&invocation.payload).await;
        // The task id and the time, never the title or any address.
        match &result {
            Ok(outcome) => tracing::info!(
                requestId = request_id,
                taskId = invocation.payload.task_id,
                remindAt = invocation.payload.remind_at,
                outcome = ?outcome,
                coldStart = cold_start,
                durationMs = telemetry::millis(started.elapsed()),
                "reminder firing"
            ),
            Err(error) => tracing::warn!(
                requestId = request_id,
                taskId = invocation.payload.task_id,
                remindAt = invocation.payload.remind_at,
                error = %error,
                coldStart = cold_start,
                durationMs = telemetry::millis(started.elapsed()),
                "reminder firing failed; Lambda retries it"
            ),
        }
        Ok(result?)
    }

    /// Delivers the reminder of `input` if it is still due and was not delivered yet.
    pub async fn deliver(&self, input: &ReminderInput) -> Result<DeliveryOutcome, DeliveryError> {
        let (task_id, remind_at) = input.parse().map_err(DeliveryError::BadInput)?;
        let task = self.ledger.task(task_id).await?;
        match is_due(task.as_ref(), remind_at, Utc::now()) {
            Due::Yes => {}
            Due::No(reason) => {
                tracing::info!(taskId = input.task_id, reason, "reminder not due");
                return Ok(DeliveryOutcome::NotDue);
            }
            Due::Early => return Err(DeliveryError::Early),
        }
        let Some(task) = task else {
            return Ok(DeliveryOutcome::NotDue);
        };
        let key = delivery_key(task_id, remind_at);
        let now = Utc::now().timestamp_millis();
        let progress = match self.ledger.claim_delivery(&key, now, LEASE_MILLIS).await? {
            Claim::Taken(progress) => progress,
            Claim::Delivered => return Ok(DeliveryOutcome::AlreadyDelivered),
            Claim::Held => return Err(DeliveryError::Held),
        };
        let delivered = self.deliver_claimed(&task, &key, progress).await;
        if delivered.is_err() {
            // The next firing may take it at once; if this fails too, the lease just ends.
            if let Err(error) = self.ledger.release_delivery(&key).await {
                tracing::warn!(error = %error, "the delivery's lease was not released");
            }
        }
        delivered
    }

    async fn deliver_claimed(
        &self,
        task: &Task,
        key: &str,
        progress: crate::store::DeliveryProgress,
    ) -> Result<DeliveryOutcome, DeliveryError> {
        if !progress.published {
            self.publish(task, key).await?;
            self.record(key, DeliveryStep::Published).await?;
        }
        let mut emails = 0;
        if let Some(mailer) = &self.mailer {
            let recipients = std::iter::once(&task.owner).chain(task.assignee.as_ref());
            for recipient in recipients {
                if progress.notified.contains(recipient) {
                    continue;
                }
                match mailer.address_of(recipient).await? {
                    Some(address) => {
                        let email = reminder_email(task, recipient, mailer.web_app_url());
                        mailer.send(&address, &email).await?;
                        emails += 1;
                    }
                    None => tracing::info!(
                        taskId = %task.id,
                        "a recipient has no verified address in the user pool; not emailed"
                    ),
                }
                self.record(key, DeliveryStep::Notified(recipient.clone()))
                    .await?;
            }
        }
        self.record(key, DeliveryStep::Delivered).await?;
        Ok(DeliveryOutcome::Delivered { emails })
    }

    async fn record(&self, key: &str, step: DeliveryStep) -> Result<(), DeliveryError> {
        Ok(self
            .ledger
            .record_delivery(key, step, Timestamp::now())
            .await?)
    }

    async fn publish(&self, task: &Task, key: &str) -> Result<(), DeliveryError> {
        let entry = reminder_due_event(task, key);
        let outcomes = self
            .publisher
            .put_events(std::slice::from_ref(&entry))
            .await
            .map_err(|error| DeliveryError::Publish(error.to_string()))?;
        match outcomes.first() {
            Some(EntryOutcome::Published) => Ok(()),
            Some(EntryOutcome::Failed { code, message }) => {
                Err(DeliveryError::Publish(format!("{code}: {message}")))
            }
            None => Err(DeliveryError::Publish("no outcome for the entry".into())),
        }
    }
}

/// The `TaskReminderDue` event: the task as the API shows it, and `dedupKey`, the same for
/// every delivery of one task and `remindAt` (the claim's key).
pub fn reminder_due_event(task: &Task, dedup_key: &str) -> EventEntry {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Detail<'a> {
        #[serde(flatten)]
        task: TaskView<'a>,
        dedup_key: &'a str,
    }
    let detail = Detail {
        task: TaskView::from(task),
        dedup_key,
    };
    EventEntry {
        detail_type: REMINDER_DUE,
        // Serializing these plain structs cannot fail.
        detail: serde_json::to_string(&detail).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::Value;

    use super::super::mail::{Email, MailError};
    use super::*;
    use crate::domain::{Status, TaskChanges, TaskId, Title, UserId};
    use crate::events::publisher::PublishError;
    use crate::store::{MemoryTaskStore, TaskStore};

    #[derive(Default)]
    struct Bus {
        events: Mutex<Vec<EventEntry>>,
        failing: Mutex<bool>,
    }

    impl EventPublisher for Bus {
        async fn put_events(
            &self,
            entries: &[EventEntry],
        ) -> Result<Vec<EntryOutcome>, PublishError> {
            if *self.failing.lock().unwrap() {
                return Err(PublishError("unreachable".into()));
            }
            self.events.lock().unwrap().extend_from_slice(entries);
            Ok(vec![EntryOutcome::Published; entries.len()])
        }
    }

    #[derive(Default)]
    struct Mailbox {
        sent: Mutex<Vec<(String, Email)>>,
        /// Sends to this address fail.
        failing_to: Mutex<Option<String>>,
    }

    impl Mailer for Mailbox {
        async fn address_of(&self, user: &UserId) -> Result<Option<String>, MailError> {
            Ok((user.as_str() != "no-address").then(|| format!("{}@example.com", user.as_str())))
        }

        async fn send(&self, to: &str, email: &Email) -> Result<(), MailError> {
            if self.failing_to.lock().unwrap().as_deref() == Some(to) {
                return Err(MailError("refused".into()));
            }
            self.sent
                .lock()
                .unwrap()
                .push((to.to_owned(), email.clone()));
            Ok(())
        }

        fn web_app_url(&self) -> &str {
            "https://tasks.example.com"
        }
    }

    type Handler = DeliveryHandler<MemoryTaskStore, Bus, Mailbox>;

    fn handler() -> Handler {
        DeliveryHandler::new(
            MemoryTaskStore::new(),
            Bus::default(),
            Some(Mailbox::default()),
        )
    }

    /// A task of `owner`, shared with `assignee`, reminding at a time just passed.
    async fn due_task(handler: &Handler, assignee: Option<&str>) -> (Task, ReminderInput) {
        let remind_at =
            Timestamp::parse(&(Utc::now() - chrono::Duration::seconds(1)).to_rfc3339()).unwrap();
        let fields = TaskChanges {
            remind_at: Some(Some(remind_at)),
            assignee: Some(assignee.map(|a| UserId::parse(a).unwrap())),
            ..Default::default()
        };
        let task = Task::create(
            TaskId::new_random(),
            UserId::parse("owner").unwrap(),
            Title::parse("Pay rent").unwrap(),
            &fields,
            Timestamp::parse("2026-01-01T00:00:00Z").unwrap(),
        );
        handler.ledger.create(&task).await.unwrap();
        let input = ReminderInput::new(task.id, remind_at);
        (task, input)
    }

    /// The owner changes `task` now.
    async fn change(handler: &Handler, task: &Task, changes: TaskChanges) {
        let ledger = &handler.ledger;
        let now = Timestamp::now();
        ledger
            .update(&task.owner, task.id, &changes, None, now)
            .await
            .unwrap();
    }

    fn recipients(handler: &Handler) -> Vec<String> {
        let mailer = handler.mailer.as_ref().unwrap();
        mailer
            .sent
            .lock()
            .unwrap()
            .iter()
            .map(|(to, _)| to.clone())
            .collect()
    }

    #[tokio::test]
    async fn a_due_reminder_is_one_event_and_an_email_to_owner_and_assignee() {
        let handler = handler();
        let (task, input) = due_task(&handler, Some("assignee")).await;
        let outcome = handler.deliver(&input).await.unwrap();
        assert_eq!(outcome, DeliveryOutcome::Delivered { emails: 2 });
        assert_eq!(
            recipients(&handler),
            ["owner@example.com", "assignee@example.com"]
        );
        let events = handler.publisher.events.lock().unwrap().clone();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].detail_type, "TaskReminderDue");
        let detail: Value = serde_json::from_str(&events[0].detail).unwrap();
        assert_eq!(detail["taskId"], task.id.to_string());
        assert_eq!(detail["remindAt"], input.remind_at);
        assert_eq!(detail["title"], "Pay rent");
        assert_eq!(
            detail["dedupKey"],
            format!("reminder#{}#{}", task.id, input.remind_at)
        );
    }

    #[tokio::test]
    async fn a_second_firing_delivers_nothing() {
        let handler = handler();
        let (_, input) = due_task(&handler, None).await;
        handler.deliver(&input).await.unwrap();
        assert_eq!(
            handler.deliver(&input).await.unwrap(),
            DeliveryOutcome::AlreadyDelivered
        );
        assert_eq!(handler.publisher.events.lock().unwrap().len(), 1);
        assert_eq!(recipients(&handler), ["owner@example.com"]);
    }

    #[tokio::test]
    async fn a_firing_while_another_holds_the_delivery_fails_to_be_retried() {
        let handler = handler();
        let (task, input) = due_task(&handler, None).await;
        let key = delivery_key(task.id, input.parse().unwrap().1);
        let now = Utc::now().timestamp_millis();
        assert!(matches!(
            handler
                .ledger
                .claim_delivery(&key, now, LEASE_MILLIS)
                .await
                .unwrap(),
            Claim::Taken(_)
        ));
        assert!(matches!(
            handler.deliver(&input).await,
            Err(DeliveryError::Held)
        ));
        assert!(handler.publisher.events.lock().unwrap().is_empty());
        // The holder crashed: once its lease ends, a firing delivers.
        let later = now + LEASE_MILLIS + 1;
        assert!(matches!(
            handler
                .ledger
                .claim_delivery(&key, later, LEASE_MILLIS)
                .await
                .unwrap(),
            Claim::Taken(_)
        ));
    }

    #[tokio::test]
    async fn a_stale_firing_delivers_nothing() {
        let handler = handler();
        let (task, input) = due_task(&handler, None).await;
        let owner = task.owner.clone();
        let complete = TaskChanges {
            status: Some(Status::Completed),
            ..Default::default()
        };
        change(&handler, &task, complete).await;
        assert_eq!(
            handler.deliver(&input).await.unwrap(),
            DeliveryOutcome::NotDue
        );

        let (task, input) = due_task(&handler, None).await;
        let moved = TaskChanges {
            remind_at: Some(Some(Timestamp::parse("2099-01-01T00:00:00Z").unwrap())),
            ..Default::default()
        };
        change(&handler, &task, moved).await;
        assert_eq!(
            handler.deliver(&input).await.unwrap(),
            DeliveryOutcome::NotDue
        );

        let (task, input) = due_task(&handler, None).await;
        handler.ledger.delete(&owner, task.id, None).await.unwrap();
        assert_eq!(
            handler.deliver(&input).await.unwrap(),
            DeliveryOutcome::NotDue
        );
        assert!(handler.publisher.events.lock().unwrap().is_empty());
        assert!(recipients(&handler).is_empty());
    }

    #[tokio::test]
    async fn a_retry_after_a_failure_does_only_what_is_left() {
        let handler = handler();
        let (_, input) = due_task(&handler, Some("assignee")).await;
        let mailer = handler.mailer.as_ref().unwrap();
        *mailer.failing_to.lock().unwrap() = Some("assignee@example.com".into());
        assert!(matches!(
            handler.deliver(&input).await,
            Err(DeliveryError::Mail(_))
        ));
        assert_eq!(handler.publisher.events.lock().unwrap().len(), 1);
        assert_eq!(recipients(&handler), ["owner@example.com"]);

        *mailer.failing_to.lock().unwrap() = None;
        let retried = handler.deliver(&input).await.unwrap();
        assert_eq!(retried, DeliveryOutcome::Delivered { emails: 1 });
        assert_eq!(
            handler.publisher.events.lock().unwrap().len(),
            1,
            "not published again"
        );
        assert_eq!(
            recipients(&handler),
            ["owner@example.com", "assignee@example.com"]
        );
    }

    #[tokio::test]
    async fn an_unpublished_event_fails_the_firing_and_is_published_on_the_retry() {
        let handler = handler();
        let (_, input) = due_task(&handler, None).await;
        *handler.publisher.failing.lock().unwrap() = true;
        assert!(matches!(
            handler.deliver(&input).await,
            Err(DeliveryError::Publish(_))
        ));
        assert!(recipients(&handler).is_empty(), "no email before the event");
        *handler.publisher.failing.lock().unwrap() = false;
        assert_eq!(
            handler.deliver(&input).await.unwrap(),
            DeliveryOutcome::Delivered { emails: 1 }
        );
    }

    #[tokio::test]
    async fn without_a_sender_the_event_alone_and_without_an_address_no_email() {
        let events_only: DeliveryHandler<_, _, Mailbox> =
            DeliveryHandler::new(MemoryTaskStore::new(), Bus::default(), None);
        let (_, input) = due_task(&events_only, None).await;
        assert_eq!(
            events_only.deliver(&input).await.unwrap(),
            DeliveryOutcome::Delivered { emails: 0 }
        );
        assert_eq!(events_only.publisher.events.lock().unwrap().len(), 1);

        let handler = handler();
        let (_, input) = due_task(&handler, Some("no-address")).await;
        assert_eq!(
            handler.deliver(&input).await.unwrap(),
            DeliveryOutcome::Delivered { emails: 1 }
        );
        assert_eq!(recipients(&handler), ["owner@example.com"]);
    }

    #[tokio::test]
    async fn a_firing_before_its_time_or_with_a_bad_input_fails() {
        let handler = handler();
        let (task, _) = due_task(&handler, None).await;
        let future = Timestamp::parse("2099-01-01T00:00:00Z").unwrap();
        let moved = TaskChanges {
            remind_at: Some(Some(future)),
            ..Default::default()
        };
        change(&handler, &task, moved).await;
        let early = ReminderInput::new(task.id, future);
        assert!(matches!(
            handler.deliver(&early).await,
            Err(DeliveryError::Early)
        ));
        let bad = ReminderInput {
            task_id: task.id.to_string(),
            remind_at: "soon".into(),
        };
        assert!(matches!(
            handler.deliver(&bad).await,
            Err(DeliveryError::BadInput(_))
        ));
    }
}
