//! Task events: the table's changes as domain events on EventBridge, for the fifth function
//! (`task-events`), which the table's stream (`NEW_AND_OLD_IMAGES`) invokes.
//!
//! - here: one stream record to at most one [`TaskEvent`], pure and synchronous;
//! - [`publisher`]: what publishing needs ([`EventPublisher`]) and its EventBridge
//!   implementation;
//! - [`handler`]: one batch of records to published events and the batch's item failures;
//! - [`client`]: the EventBridge client, built once in `main`.
//!
//! Each record of a task gives one event, named by its `detail-type`; the first row that
//! applies wins:
//!
//! | record | event |
//! |---|---|
//! | `INSERT` | `TaskCreated` (also when created with an assignee: see its `assignee`) |
//! | `MODIFY`, the assignee became a user other than before (assigned, reassigned) | `TaskAssigned` |
//! | `MODIFY`, the assignee became none (cleared by the owner, declined by the assignee) | `TaskUnassigned` |
//! | `MODIFY`, status became `completed` | `TaskCompleted` |
//! | `MODIFY`, status left `completed` | `TaskReopened` |
//! | any other `MODIFY` | `TaskUpdated` |
//! | `REMOVE` | `TaskDeleted` |
//!
//! One write that changes both the assignee and the status (completes and reassigns, say)
//! is one record, so one event: the assignment event. Its `previousStatus`, `status` and
//! `changedFields` still tell the status change, so a consumer of completions also takes the
//! assignment events with `status: [completed]` and `previousStatus: [pending, in_progress]`
//! (as template.yaml's completion rule does). The other precedence would have hidden
//! assignments inside status events, to be found by an `assignee` that is not null, which a
//! pattern matches less simply than two strings. Every event carries `previousAssignee`, as
//! it carries `previousStatus`.
//!
//! Idempotency records share the table but are not tasks: they never give an event (the
//! event source mapping's filter keeps them from invoking the function at all; this module
//! skips them too, for a record that reaches it another way). `docs/events.md` describes the
//! events for their consumers.

pub mod client;
pub mod handler;
pub mod publisher;

use aws_lambda_events::event::dynamodb::EventRecord;
use serde::Serialize;

use crate::api::TaskView;
use crate::domain::{Status, Task, UserId};
use crate::store::items::{
    IDEMPOTENCY_KEY_PREFIX, REMINDER_KEY_PREFIX, TASK_COUNT_KEY_PREFIX, TaskItem,
};

pub use client::eventbridge_client;
pub use handler::StreamHandler;
pub use publisher::{EventBridgePublisher, EventEntry, EventPublisher};

/// The `source` of every event this project publishes.
pub const EVENT_SOURCE: &str = "task-api";

/// Fields that change with every write, so naming them among the changed fields says nothing.
const ALWAYS_CHANGED: [&str; 2] = ["updatedAt", "version"];

wire_enum!(
    /// What happened to a task, by the event's name: its `detail-type` on EventBridge.
    TaskEventKind, "is not a task event", {
        Created => "TaskCreated",
        Updated => "TaskUpdated",
        Completed => "TaskCompleted",
        Reopened => "TaskReopened",
        /// The assignee became a user other than before: assigned, or reassigned.
        Assigned => "TaskAssigned",
        /// The assignee became none: cleared by the owner, or declined by the assignee.
        Unassigned => "TaskUnassigned",
        Deleted => "TaskDeleted",
    }
);

/// One change of one task, as its consumers see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskEvent {
    pub kind: TaskEventKind,
    /// The task after the change; as it was, for a deleted task.
    pub task: Task,
    /// The status before the change; `None` for a created task.
    pub previous_status: Option<Status>,
    /// The assignee before the change; `None` for a created task, or one that had none.
    pub previous_assignee: Option<UserId>,
    /// For a modification: the API names of the fields whose value changed, sorted
    /// (`updatedAt` and `version` change with every write and are not listed). `None` for a
    /// created or deleted task.
    pub changed_fields: Option<Vec<String>>,
    /// The stream record's sequence number. A record published twice (a batch retried after
    /// a partial failure, or a lost PutEvents answer) has the same key both times, so a
    /// consumer drops the second copy.
    pub dedup_key: String,
}

impl TaskEvent {
    /// The event of a change from `old` to `new` (`None`: no such task before, or after).
    pub fn of_change(old: Option<Task>, new: Option<Task>, dedup_key: String) -> Option<Self> {
        let (kind, changed_fields) = match (&old, &new) {
            (None, Some(_)) => (TaskEventKind::Created, None),
            (Some(_), None) => (TaskEventKind::Deleted, None),
            (Some(old), Some(new)) => (modification_kind(old, new), Some(changed_fields(old, new))),
            (None, None) => return None,
        };
        let previous_status = old.as_ref().map(|old| old.status);
        let previous_assignee = old.as_ref().and_then(|old| old.assignee.clone());
        Some(TaskEvent {
            kind,
            task: new.or(old)?,
            previous_status,
            previous_assignee,
            changed_fields,
            dedup_key,
        })
    }

    /// The event's `detail`: the task as the API shows it (`ownerId` and `assignee`
    /// included), plus `previousStatus`, `previousAssignee`, `changedFields` (modifications
    /// only) and `dedupKey`.
    pub fn detail(&self) -> String {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Detail<'a> {
            #[serde(flatten)]
            task: TaskView<'a>,
            previous_status: Option<&'static str>,
            previous_assignee: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            changed_fields: Option<&'a [String]>,
            dedup_key: &'a str,
        }
        let detail = Detail {
            task: TaskView::from(&self.task),
            previous_status: self.previous_status.map(Status::as_str),
            previous_assignee: self.previous_assignee.as_ref().map(UserId::as_str),
            changed_fields: self.changed_fields.as_deref(),
            dedup_key: &self.dedup_key,
        };
        // Serializing these plain structs cannot fail.
        serde_json::to_string(&detail).unwrap_or_default()
    }

    /// The entry to put on the bus.
    pub fn entry(&self) -> EventEntry {
        EventEntry {
            detail_type: self.kind.as_str(),
            detail: self.detail(),
        }
    }
}

/// What a modification from `old` to `new` is, by the module's table: a change of the
/// assignee first, then a change into or out of `completed`.
fn modification_kind(old: &Task, new: &Task) -> TaskEventKind {
    if new.assignee != old.assignee {
        return match new.assignee {
            Some(_) => TaskEventKind::Assigned,
            None => TaskEventKind::Unassigned,
        };
    }
    let was = old.status == Status::Completed;
    let is = new.status == Status::Completed;
    match (was, is) {
        (false, true) => TaskEventKind::Completed,
        (true, false) => TaskEventKind::Reopened,
        _ => TaskEventKind::Updated,
    }
}

/// The fields of the task as the API shows it whose value differs, by their API names:
/// whatever `TaskView` shows is compared, so a field added to the API is covered too.
fn changed_fields(old: &Task, new: &Task) -> Vec<String> {
    let view = |task| serde_json::to_value(TaskView::from(task)).unwrap_or_default();
    let (old, new) = (view(old), view(new));
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return Vec::new();
    };
    // serde_json's map is ordered by key: the list comes out sorted.
    new.iter()
        .filter(|(name, value)| {
            !ALWAYS_CHANGED.contains(&name.as_str()) && old.get(name.as_str()) != Some(value)
        })
        .map(|(name, _)| name.clone())
        .collect()
}

/// Why a stream record cannot become an event. Such a record is reported as failed, never
/// skipped: Lambda retries it a bounded number of times and then sends its position to the
/// on-failure queue, where an operator finds it.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("the record has no sequence number")]
    NoSequenceNumber,
    #[error("the record's eventName {0:?} is none of INSERT, MODIFY, REMOVE")]
    UnknownEventName(String),
    #[error("a {event_name} record without its {image}: is the stream NEW_AND_OLD_IMAGES?")]
    MissingImage {
        event_name: &'static str,
        image: &'static str,
    },
    #[error("the {image} of {task_id} is not a task: {reason}")]
    NotATask {
        task_id: String,
        image: &'static str,
        reason: String,
    },
}

/// One stream record of a task: the task before and after the write (`None`: created, or
/// deleted), and the record's sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskChange {
    pub old: Option<Task>,
    pub new: Option<Task>,
    pub sequence_number: String,
}

impl TaskChange {
    /// The task's id (a change has at least one image).
    pub fn task_id(&self) -> Option<crate::domain::TaskId> {
        self.new.as_ref().or(self.old.as_ref()).map(|task| task.id)
    }

    /// The change's event.
    pub fn event(&self) -> Option<TaskEvent> {
        TaskEvent::of_change(
            self.old.clone(),
            self.new.clone(),
            self.sequence_number.clone(),
        )
    }
}

/// The event of one stream record: `Ok(None)` for a record that is no task's (an
/// idempotency record, an owner's task count, a reminder's delivery, live connections).
pub fn task_event(record: EventRecord) -> Result<Option<TaskEvent>, RecordError> {
    Ok(task_change(record)?.and_then(|change| change.event()))
}

/// The task change of one stream record: `Ok(None)` for a record that is no task's.
pub fn task_change(record: EventRecord) -> Result<Option<TaskChange>, RecordError> {
    let change = record.change;
    let sequence_number = change
        .sequence_number
        .filter(|sequence| !sequence.is_empty())
        .ok_or(RecordError::NoSequenceNumber)?;
    let key = change
        .keys
        .get("taskId")
        .and_then(|value| match value {
            serde_dynamo::AttributeValue::S(id) => Some(id.clone()),
            _ => None,
        })
        .unwrap_or_default();
    // Not a task: an idempotency record, an owner's task count, a reminder's delivery, or a
    // user's live connections. The stream mapping's filter keeps them away; if one reaches
    // the function anyway, it is skipped, not poison.
    if [
        IDEMPOTENCY_KEY_PREFIX,
        TASK_COUNT_KEY_PREFIX,
        REMINDER_KEY_PREFIX,
        crate::live::connections::CONNECTIONS_KEY_PREFIX,
    ]
    .iter()
    .any(|prefix| key.starts_with(prefix))
    {
        return Ok(None);
    }
    let image = |item: serde_dynamo::Item, event_name, image| {
        if item.is_empty() {
            return Err(RecordError::MissingImage { event_name, image });
        }
        task_from_image(item, &key, image).map(Some)
    };
    let (old, new) = match record.event_name.as_str() {
        "INSERT" => (None, image(change.new_image, "INSERT", "NewImage")?),
        "MODIFY" => (
            image(change.old_image, "MODIFY", "OldImage")?,
            image(change.new_image, "MODIFY", "NewImage")?,
        ),
        "REMOVE" => (image(change.old_image, "REMOVE", "OldImage")?, None),
        _ => return Err(RecordError::UnknownEventName(record.event_name)),
    };
    Ok(Some(TaskChange {
        old,
        new,
        sequence_number,
    }))
}

/// A stream image read as the store reads an item: through `TaskItem` and the same
/// validated types as every task the API returns.
fn task_from_image(
    image: serde_dynamo::Item,
    task_id: &str,
    which: &'static str,
) -> Result<Task, RecordError> {
    let not_a_task = |reason: String| RecordError::NotATask {
        task_id: task_id.to_owned(),
        image: which,
        reason,
    };
    let item: TaskItem =
        serde_dynamo::from_item(image).map_err(|error| not_a_task(error.to_string()))?;
    item.into_task()
        .map_err(|error| not_a_task(error.to_string()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::{
        Description, Priority, Role, Tag, Tags, TaskChanges, Timestamp, Title, Version, Write,
        authorize,
    };
    use crate::store::items::{self, IdempotencyRecord};

    /// The sample task of the store's tests, pending.
    pub fn pending_task() -> Task {
        let mut task = items::tests::sample_task();
        task.status = Status::Pending;
        task.completed_at = None;
        task
    }

    fn completed(task: &Task) -> Task {
        let mut next = task.clone();
        next.status = Status::Completed;
        next.completed_at = Some(Timestamp::parse("2025-09-30T16:00:00Z").unwrap());
        next.updated_at = next.completed_at.unwrap();
        next.version = Version::new(task.version.get() + 1);
        next
    }

    fn image(task: &Task) -> serde_dynamo::Item {
        serde_dynamo::to_item(TaskItem::from(task)).unwrap()
    }

    /// A stream record as Lambda delivers it, with the given images.
    pub fn record(
        event_name: &str,
        sequence: &str,
        old: Option<serde_dynamo::Item>,
        new: Option<serde_dynamo::Item>,
    ) -> EventRecord {
        let key = old
            .as_ref()
            .or(new.as_ref())
            .and_then(|item| item.get("taskId").cloned())
            .unwrap();
        let mut record = EventRecord::default();
        record.event_name = event_name.to_owned();
        record.change.keys = [("taskId".to_owned(), key)]
            .into_iter()
            .collect::<std::collections::HashMap<_, _>>()
            .into();
        record.change.old_image = old.unwrap_or_default();
        record.change.new_image = new.unwrap_or_default();
        record.change.sequence_number = Some(sequence.to_owned());
        record
    }

    fn kind_of(old: Option<&Task>, new: Option<&Task>) -> TaskEventKind {
        TaskEvent::of_change(old.cloned(), new.cloned(), "1".into())
            .unwrap()
            .kind
    }

    #[test]
    fn each_kind_of_change_has_its_event() {
        let pending = pending_task();
        let done = completed(&pending);
        let mut in_progress = done.clone();
        in_progress.status = Status::InProgress;
        in_progress.completed_at = None;
        let mut retitled = pending.clone();
        retitled.title = Title::parse("Write the report").unwrap();

        assert_eq!(kind_of(None, Some(&pending)), TaskEventKind::Created);
        assert_eq!(kind_of(None, Some(&done)), TaskEventKind::Created);
        assert_eq!(
            kind_of(Some(&pending), Some(&done)),
            TaskEventKind::Completed
        );
        assert_eq!(
            kind_of(Some(&done), Some(&in_progress)),
            TaskEventKind::Reopened
        );
        assert_eq!(
            kind_of(Some(&pending), Some(&retitled)),
            TaskEventKind::Updated
        );
        assert_eq!(
            kind_of(Some(&done), Some(&done)),
            TaskEventKind::Updated,
            "still completed"
        );
        assert_eq!(kind_of(Some(&pending), None), TaskEventKind::Deleted);
        assert_eq!(TaskEvent::of_change(None, None, "1".into()), None);
    }

    #[test]
    fn changed_fields_are_the_api_names_of_what_changed_sorted() {
        let old = pending_task();
        let mut new = completed(&old);
        new.title = Title::parse("Write the report").unwrap();
        new.priority = Priority::Low;
        new.due_date = None;
        new.tags = Tags::new(vec![Tag::parse("work").unwrap()]).unwrap();
        new.description = Description::parse("with figures").unwrap();
        let event = TaskEvent::of_change(Some(old.clone()), Some(new), "7".into()).unwrap();
        assert_eq!(
            event.changed_fields.unwrap(),
            [
                "completedAt",
                "description",
                "dueDate",
                "priority",
                "status",
                "tags",
                "title"
            ]
        );

        // A write that changed nothing a client set still bumps the version: an update
        // with no changed fields.
        let mut touched = old.clone();
        touched.version = Version::new(2);
        touched.updated_at = Timestamp::parse("2025-09-30T00:00:00Z").unwrap();
        let event = TaskEvent::of_change(Some(old), Some(touched), "8".into()).unwrap();
        assert_eq!(event.kind, TaskEventKind::Updated);
        assert_eq!(event.changed_fields.unwrap(), Vec::<String>::new());
    }

    #[test]
    fn detail_is_the_task_as_the_api_shows_it_plus_what_was_before_and_key() {
        let old = pending_task();
        let event =
            TaskEvent::of_change(Some(old.clone()), Some(completed(&old)), "42".into()).unwrap();
        let detail: serde_json::Value = serde_json::from_str(&event.detail()).unwrap();
        let api_view = serde_json::to_value(TaskView::from(&event.task)).unwrap();
        for (name, value) in api_view.as_object().unwrap() {
            assert_eq!(&detail[name], value, "{name}");
        }
        assert_eq!(detail["ownerId"], "user-1");
        assert_eq!(detail["previousStatus"], "pending");
        assert_eq!(detail["status"], "completed");
        assert_eq!(detail["completedAt"], "2025-09-30T16:00:00.000Z");
        assert_eq!(
            detail["changedFields"],
            serde_json::json!(["completedAt", "status"])
        );
        assert_eq!(detail["dedupKey"], "42");
        assert!(detail["assignee"].is_null());
        assert!(detail["previousAssignee"].is_null());
        assert_eq!(
            detail.as_object().unwrap().len(),
            api_view.as_object().unwrap().len() + 4,
            "previousStatus, previousAssignee, changedFields, dedupKey"
        );

        let created = TaskEvent::of_change(None, Some(old), "1".into()).unwrap();
        let detail: serde_json::Value = serde_json::from_str(&created.detail()).unwrap();
        assert!(detail["previousStatus"].is_null());
        assert!(detail.get("changedFields").is_none());
        assert_eq!(created.entry().detail_type, "TaskCreated");
    }

    #[test]
    fn a_deleted_task_is_shown_as_it_was() {
        let old = completed(&pending_task());
        let event = TaskEvent::of_change(Some(old.clone()), None, "9".into()).unwrap();
        assert_eq!(event.kind, TaskEventKind::Deleted);
        assert_eq!(event.task, old);
        assert_eq!(event.previous_status, Some(Status::Completed));
    }

    #[test]
    fn records_map_to_events_through_the_stored_item_layout() {
        let old = pending_task();
        let new = completed(&old);
        let modify = record("MODIFY", "100", Some(image(&old)), Some(image(&new)));
        let event = task_event(modify).unwrap().unwrap();
        assert_eq!(event.kind, TaskEventKind::Completed);
        assert_eq!(
            (event.task, event.dedup_key),
            (new.clone(), "100".to_owned())
        );

        let insert = task_event(record("INSERT", "101", None, Some(image(&new))));
        assert_eq!(insert.unwrap().unwrap().kind, TaskEventKind::Created);
        let remove = task_event(record("REMOVE", "102", Some(image(&new)), None));
        assert_eq!(remove.unwrap().unwrap().kind, TaskEventKind::Deleted);
    }

    #[test]
    fn idempotency_records_never_give_an_event() {
        let task = pending_task();
        let key = crate::domain::IdempotencyKey::parse("k-1").unwrap();
        let id = items::idempotency_record_id(&task.owner, &key);
        assert!(id.starts_with(IDEMPOTENCY_KEY_PREFIX));
        let stored = IdempotencyRecord {
            task_id: id,
            request_hash: items::request_fingerprint(&task),
            task: TaskItem::from(&task),
            done: false,
            expires_at: 1,
        };
        let item: serde_dynamo::Item = serde_dynamo::to_item(&stored).unwrap();
        for (name, old, new) in [
            ("INSERT", None, Some(item.clone())),
            ("MODIFY", Some(item.clone()), Some(item.clone())),
            ("REMOVE", Some(item), None),
        ] {
            assert!(
                task_event(record(name, "5", old, new)).unwrap().is_none(),
                "{name}"
            );
        }
    }

    #[test]
    fn records_that_cannot_become_events_are_errors_not_skipped() {
        let task = image(&pending_task());
        let mut no_sequence = record("INSERT", "1", None, Some(task.clone()));
        no_sequence.change.sequence_number = None;
        assert!(matches!(
            task_event(no_sequence),
            Err(RecordError::NoSequenceNumber)
        ));

        let keys_only = record("MODIFY", "2", None, Some(task.clone()));
        assert!(matches!(
            task_event(keys_only),
            Err(RecordError::MissingImage {
                image: "OldImage",
                ..
            })
        ));

        let mut corrupt = task.clone();
        corrupt.insert(
            "status".into(),
            serde_dynamo::AttributeValue::S("done".into()),
        );
        let error = task_event(record("INSERT", "3", None, Some(corrupt))).unwrap_err();
        assert!(error.to_string().contains("status"), "{error}");

        let mut missing_title = task.clone();
        missing_title.remove("title");
        assert!(matches!(
            task_event(record(
                "MODIFY",
                "4",
                Some(task.clone()),
                Some(missing_title)
            )),
            Err(RecordError::NotATask {
                image: "NewImage",
                ..
            })
        ));

        assert!(matches!(
            task_event(record("UPSERT", "5", None, Some(task))),
            Err(RecordError::UnknownEventName(_))
        ));
    }

    // ---- The assignee ----------------------------------------------------------------

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    /// `task` after `changes`, as the API writes them (the next version).
    fn after(task: &Task, changes: &TaskChanges) -> Task {
        task.apply(changes, Timestamp::parse("2025-09-30T16:00:00Z").unwrap())
    }

    /// The changes that set the assignee to `to` (`None`: clear or decline).
    fn assignee(to: Option<&str>) -> TaskChanges {
        TaskChanges {
            assignee: Some(to.map(user)),
            ..TaskChanges::default()
        }
    }

    fn status(status: Status) -> TaskChanges {
        TaskChanges {
            status: Some(status),
            ..TaskChanges::default()
        }
    }

    fn change(old: &Task, new: &Task) -> TaskEvent {
        TaskEvent::of_change(Some(old.clone()), Some(new.clone()), "50".into()).unwrap()
    }

    fn detail(event: &TaskEvent) -> serde_json::Value {
        serde_json::from_str(&event.detail()).unwrap()
    }

    /// The pending sample task, assigned to bob.
    fn assigned_to_bob() -> Task {
        after(&pending_task(), &assignee(Some("bob")))
    }

    #[test]
    fn assigning_a_task_is_task_assigned_without_a_previous_assignee() {
        let old = pending_task();
        let new = assigned_to_bob();
        let event = change(&old, &new);
        assert_eq!(event.kind, TaskEventKind::Assigned);
        assert_eq!(event.previous_assignee, None);
        assert_eq!(event.previous_status, Some(Status::Pending));
        assert_eq!(event.changed_fields.as_deref().unwrap(), ["assignee"]);
        assert_eq!(event.entry().detail_type, "TaskAssigned");
        let detail = detail(&event);
        assert_eq!(detail["assignee"], "bob");
        assert!(detail["previousAssignee"].is_null());
        assert_eq!(detail["ownerId"], "user-1");
        assert_eq!(detail["changedFields"], serde_json::json!(["assignee"]));
    }

    #[test]
    fn reassigning_a_task_is_task_assigned_with_the_previous_assignee() {
        let old = assigned_to_bob();
        let new = after(&old, &assignee(Some("carol")));
        let event = change(&old, &new);
        assert_eq!(event.kind, TaskEventKind::Assigned);
        assert_eq!(event.previous_assignee, Some(user("bob")));
        let detail = detail(&event);
        assert_eq!(detail["assignee"], "carol");
        assert_eq!(detail["previousAssignee"], "bob");
        assert_eq!(detail["changedFields"], serde_json::json!(["assignee"]));
    }

    #[test]
    fn clearing_the_assignee_is_task_unassigned_with_the_previous_assignee() {
        let old = assigned_to_bob();
        let new = after(&old, &assignee(None));
        let event = change(&old, &new);
        assert_eq!(event.kind, TaskEventKind::Unassigned);
        assert_eq!(event.previous_assignee, Some(user("bob")));
        assert_eq!(event.entry().detail_type, "TaskUnassigned");
        let detail = detail(&event);
        assert!(detail["assignee"].is_null());
        assert_eq!(detail["previousAssignee"], "bob");
        assert_eq!(detail["changedFields"], serde_json::json!(["assignee"]));
    }

    #[test]
    fn a_decline_is_the_same_record_as_a_clear_so_the_same_event() {
        let task = assigned_to_bob();
        let (owner, bob) = (task.owner.clone(), user("bob"));
        let unassign = assignee(None);
        let write = Write::Update(&unassign);
        assert_eq!(authorize(Some(&task), &owner, write, None), Ok(Role::Owner));
        assert_eq!(
            authorize(Some(&task), &bob, write, None),
            Ok(Role::Assignee)
        );
        // Who wrote is in no image: the owner's clear and bob's decline store the same item.
        let (cleared, declined) = (after(&task, &unassign), after(&task, &unassign));
        assert!(
            !image(&declined).contains_key("assignee"),
            "the attribute is removed"
        );
        assert_eq!(image(&cleared), image(&declined));

        let event_of = |new: &Task, sequence| {
            task_event(record(
                "MODIFY",
                sequence,
                Some(image(&task)),
                Some(image(new)),
            ))
            .unwrap()
            .unwrap()
        };
        let (clear, decline) = (event_of(&cleared, "60"), event_of(&declined, "61"));
        assert_eq!(decline.kind, TaskEventKind::Unassigned);
        assert_eq!(decline.previous_assignee, Some(bob));
        assert_eq!(decline.task.assignee, None);
        assert_eq!(
            TaskEvent {
                dedup_key: "60".into(),
                ..decline
            },
            clear
        );
    }

    #[test]
    fn a_write_of_both_status_and_assignee_is_the_assignment_event_which_tells_the_status() {
        // The owner completes bob's task and hands it to carol in one write.
        let old = assigned_to_bob();
        let mut changes = assignee(Some("carol"));
        changes.status = Some(Status::Completed);
        let event = change(&old, &after(&old, &changes));
        assert_eq!(event.kind, TaskEventKind::Assigned);
        assert_eq!(
            (event.previous_status, event.task.status),
            (Some(Status::Pending), Status::Completed)
        );
        assert_eq!(event.previous_assignee, Some(user("bob")));
        assert_eq!(
            event.changed_fields.as_deref().unwrap(),
            ["assignee", "completedAt", "status"]
        );
        let detail = detail(&event);
        assert_eq!(
            (&detail["status"], &detail["previousStatus"]),
            (&"completed".into(), &"pending".into()),
            "what a completion rule matches on"
        );

        // Bob completes and declines in one write: an unassignment that completes.
        let mut changes = assignee(None);
        changes.status = Some(Status::Completed);
        let event = change(&old, &after(&old, &changes));
        assert_eq!(event.kind, TaskEventKind::Unassigned);
        assert_eq!(
            (event.previous_status, event.task.status),
            (Some(Status::Pending), Status::Completed)
        );

        // The owner reopens a completed task and gives it to carol: an assignment that
        // reopens.
        let done = after(&old, &status(Status::Completed));
        let mut changes = assignee(Some("carol"));
        changes.status = Some(Status::InProgress);
        let event = change(&done, &after(&done, &changes));
        assert_eq!(event.kind, TaskEventKind::Assigned);
        assert_eq!(
            (event.previous_status, event.task.status),
            (Some(Status::Completed), Status::InProgress)
        );
        assert_eq!(event.task.completed_at, None);
    }

    #[test]
    fn an_unchanged_assignee_gives_the_events_of_before() {
        let task = assigned_to_bob();
        let retitle = TaskChanges {
            title: Some(Title::parse("Write the report").unwrap()),
            ..TaskChanges::default()
        };
        let done = after(&task, &status(Status::Completed));
        let cases = [
            (
                after(&task, &retitle),
                TaskEventKind::Updated,
                vec!["title"],
            ),
            (
                done.clone(),
                TaskEventKind::Completed,
                vec!["completedAt", "status"],
            ),
            (
                after(&done, &status(Status::Pending)),
                TaskEventKind::Reopened,
                vec!["completedAt", "status"],
            ),
            // Bob set again: nothing to notify, a plain update with no changed field.
            (
                after(&task, &assignee(Some("bob"))),
                TaskEventKind::Updated,
                vec![],
            ),
        ];
        for (new, kind, changed) in cases {
            let old = if kind == TaskEventKind::Reopened {
                &done
            } else {
                &task
            };
            let event = change(old, &new);
            let changed: Vec<String> = changed.iter().map(|f| f.to_string()).collect();
            assert_eq!((event.kind, event.changed_fields.unwrap()), (kind, changed));
            assert_eq!(event.previous_assignee, Some(user("bob")), "{kind:?}");
            assert_eq!(event.task.assignee, Some(user("bob")), "{kind:?}");
        }
        // An unassigned task changing stays as before too.
        let old = pending_task();
        assert_eq!(
            change(&old, &completed(&old)).kind,
            TaskEventKind::Completed
        );
        assert_eq!(change(&old, &completed(&old)).previous_assignee, None);

        // Created already assigned: one TaskCreated, whose `assignee` says who.
        let created = TaskEvent::of_change(None, Some(task.clone()), "1".into()).unwrap();
        assert_eq!(created.kind, TaskEventKind::Created);
        let shown = detail(&created);
        assert_eq!(shown["assignee"], "bob");
        assert!(shown["previousAssignee"].is_null());
        assert!(shown["previousStatus"].is_null());

        // Deleted while assigned: the task as it was, and the assignee it had.
        let deleted = TaskEvent::of_change(Some(task.clone()), None, "2".into()).unwrap();
        assert_eq!(deleted.kind, TaskEventKind::Deleted);
        assert_eq!(deleted.previous_assignee, Some(user("bob")));
        assert_eq!(detail(&deleted)["previousAssignee"], "bob");
    }

    #[test]
    fn every_kind_has_a_distinct_detail_type() {
        let names: std::collections::HashSet<_> =
            TaskEventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), TaskEventKind::ALL.len());
    }
}
