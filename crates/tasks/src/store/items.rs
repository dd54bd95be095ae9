//! The items of the tasks table, as plain structs: a stored item's whole layout is here.
//! serde_dynamo maps them to and from DynamoDB's attribute values; the domain stays free of
//! serde. The table and its indexes are defined once, in `template.yaml`:
//!
//! - partition key `taskId`;
//! - `byOwner` index: `ownerId` + `sortKey`, an owner's tasks;
//! - `byOwnerStatus` index: `ownerStatus` (`<owner>#<status>`) + `sortKey`, for the filter;
//! - `byAssignee` index: `assignee` + `sortKey`, the tasks shared with a user. Sparse: an
//!   unassigned task has no `assignee` attribute, so it costs this index nothing;
//! - `sortKey` is `<createdAt>#<taskId>`: fixed-width UTC timestamps sort as strings, so a
//!   descending query is newest first, ties broken by `taskId`;
//! - `writeId` on a task: a fresh random id of the write that last put or changed it, never
//!   shown. A write that DynamoDB refused because its own earlier attempt (whose answer was
//!   lost) already applied finds its id there: exact, never a coincidence of values;
//! - idempotency records share the table under `taskId` = `idempotency#<hash>`, each owner's
//!   task count under `owner#<owner id>` ([`TaskCount`]), and each user's live-update
//!   connections under `connections#<user id>` ([`ConnectionsItem`]). None carries `ownerId`,
//!   `ownerStatus` or `sortKey`, so they never appear in the indexes (nor pass the stream's
//!   filter), and a task id is always a UUID, so no task read can reach them.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::{PageCursor, StoreError};
use crate::digest::hex_sha256;
use crate::domain::{
    Description, IdempotencyKey, Priority, Status, Tag, Tags, Task, TaskId, Timestamp, Title,
    UserId, Version,
};

pub type Item = std::collections::HashMap<String, AttributeValue>;

pub const OWNER_INDEX: &str = "byOwner";
pub const OWNER_STATUS_INDEX: &str = "byOwnerStatus";
pub const ASSIGNEE_INDEX: &str = "byAssignee";

/// A task as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskItem {
    pub task_id: String,
    pub owner_id: String,
    /// Partition key of `byAssignee`; absent when the task is not shared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    pub title: String,
    pub description: String,
    pub status: String,
    pub priority: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_date: Option<String>,
    /// When to remind; absent when there is no reminder. Read by `task-events` (the
    /// schedule) and `task-reminders` (whether a firing is still due).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind_at: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<String>,
    pub version: u64,
    /// Sort key of both indexes.
    pub sort_key: String,
    /// Partition key of `byOwnerStatus`.
    pub owner_status: String,
    /// The id of the write that last put or changed the item (see the module's notes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_id: Option<String>,
}

/// How many tasks one owner holds: counted up by each create before its task is put, down
/// by each delete after its task is gone, so that a create past the owner's limit is refused
/// by a condition of DynamoDB's, exactly, whatever runs at the same time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskCount {
    /// `owner#<owner id>`
    pub task_id: String,
    pub task_count: i64,
    /// The `writeId` of the create that last counted up: a create retried after its answer
    /// was lost finds its own id here instead of counting twice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_write_id: Option<String>,
    /// The same for the write that last counted down (a delete, or a create that put nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_release_id: Option<String>,
}

/// The record that makes a keyed create idempotent: the task it creates, written before
/// the task itself, and whether that task has been put yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyRecord {
    /// `idempotency#<hash of owner and key>`
    pub task_id: String,
    /// [`request_fingerprint`] of the request that first used the key.
    pub request_hash: String,
    pub task: TaskItem,
    pub done: bool,
    /// Epoch seconds; DynamoDB's TTL removes the record some time after.
    pub expires_at: i64,
}

pub fn sort_key(created_at: Timestamp, id: TaskId) -> String {
    format!("{created_at}#{id}")
}

/// Where a listing resumes after the item with this key (a query's `LastEvaluatedKey`).
pub fn cursor_of(key: &Item) -> Result<PageCursor, StoreError> {
    let corrupt = |reason: &str| StoreError::CorruptItem {
        task_id: String::new(),
        reason: format!("LastEvaluatedKey {reason}"),
    };
    let sort_key = key
        .get("sortKey")
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| corrupt("has no sortKey"))?;
    let (created_at, task_id) = sort_key
        .split_once('#')
        .ok_or_else(|| corrupt("has a malformed sortKey"))?;
    Ok(PageCursor {
        created_at: Timestamp::parse(created_at).map_err(corrupt)?,
        task_id: TaskId::parse(task_id).map_err(corrupt)?,
    })
}

pub fn owner_status(owner: &UserId, status: Status) -> String {
    format!("{}#{}", owner.as_str(), status)
}

/// How the key of a [`ReminderDelivery`] begins.
pub const REMINDER_KEY_PREFIX: &str = "reminder#";

/// How long a [`ReminderDelivery`] is kept: long past any retry of its firing.
pub const REMINDER_DELIVERY_TTL_SECONDS: i64 = 7 * 24 * 60 * 60;

/// The claim on delivering one reminder (a task and its `remindAt`), so that a firing
/// retried by Scheduler or Lambda, or two firings at once, deliver it once; and how far the
/// delivery got, so that a retry after a failure does only what is left. Not a task: no
/// `ownerId`, so the stream's filter keeps it from task-events.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReminderDelivery {
    /// `reminder#<taskId>#<remindAt>` (`crate::reminders::delivery_key`).
    pub task_id: String,
    /// Epoch milliseconds until which the firing that claimed it is delivering it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<i64>,
    /// The `TaskReminderDue` event was put on the bus.
    #[serde(default)]
    pub published: bool,
    /// The users who were emailed (or have no address to email).
    #[serde(default)]
    pub notified: Vec<String>,
    /// When the delivery was complete; a claim on a delivered reminder is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    /// Epoch seconds; DynamoDB's TTL removes the record some time after.
    pub expires_at: i64,
}

/// How the key of a user's connections item begins.
pub const CONNECTIONS_KEY_PREFIX: &str = "connections#";

/// The key of `user`'s connections item.
pub fn connections_key(user: &UserId) -> String {
    format!("{CONNECTIONS_KEY_PREFIX}{}", user.as_str())
}

/// A user's open live-update connections (`crate::live::connections`): not a task, no
/// `ownerId`, so in no index and kept from task-events by the stream's filter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionsItem {
    /// `connections#<userId>`
    pub task_id: String,
    /// Connection id to the epoch second it stops counting.
    #[serde(default)]
    pub connections: std::collections::BTreeMap<String, i64>,
    /// Counts every write, for the conditional write of [`ConnectionStore::register`].
    #[serde(default)]
    pub revision: u64,
    /// Epoch seconds: the latest entry's expiry; DynamoDB's TTL removes the item after.
    pub expires_at: i64,
}

/// How the key of an idempotency record begins; a task's key is a UUID, which never does.
pub const IDEMPOTENCY_KEY_PREFIX: &str = "idempotency#";

/// How the key of an owner's [`TaskCount`] begins.
pub const TASK_COUNT_KEY_PREFIX: &str = "owner#";

/// The key of `owner`'s [`TaskCount`].
pub fn task_count_id(owner: &UserId) -> String {
    format!("{TASK_COUNT_KEY_PREFIX}{}", owner.as_str())
}

/// The key of the idempotency record of one owner's key; hashed to a fixed length.
pub fn idempotency_record_id(owner: &UserId, key: &IdempotencyKey) -> String {
    let hash = hex_sha256([owner.as_str().as_bytes(), key.as_str().as_bytes()]);
    format!("{IDEMPOTENCY_KEY_PREFIX}{hash}")
}

/// Identifies what a create asked for, not how it was spelt: two bodies that validate to the
/// same task (other key order, white space, `+02:00` for `Z`) have the same fingerprint.
pub fn request_fingerprint(task: &Task) -> String {
    let due = task.due_date.map(Timestamp::to_rfc3339).unwrap_or_default();
    let tags: Vec<&str> = task.tags.iter().map(Tag::as_str).collect();
    let tags = tags.join(",");
    let fields = [
        task.title.as_str().as_bytes(),
        task.description.as_str().as_bytes(),
        task.status.as_str().as_bytes(),
        task.priority.as_str().as_bytes(),
        due.as_bytes(),
        tags.as_bytes(),
    ];
    // The assignee and the reminder are parts only when there is one, so that the
    // fingerprints of records written before sharing or reminders existed still match their
    // retries. The reminder is two parts, a label and the time: an assignee is one part and
    // cannot hold the label's length prefix (a user id has no control characters).
    let assignee = task.assignee.as_ref().map(|a| a.as_str().as_bytes());
    let remind_at = task.remind_at.map(Timestamp::to_rfc3339);
    let reminder = remind_at
        .as_deref()
        .into_iter()
        .flat_map(|at| [b"remindAt".as_slice(), at.as_bytes()]);
    hex_sha256(fields.into_iter().chain(assignee).chain(reminder))
}

impl From<&Task> for TaskItem {
    fn from(task: &Task) -> Self {
        Self {
            task_id: task.id.to_string(),
            owner_id: task.owner.as_str().to_owned(),
            assignee: task.assignee.as_ref().map(|a| a.as_str().to_owned()),
            title: task.title.as_str().to_owned(),
            description: task.description.as_str().to_owned(),
            status: task.status.as_str().to_owned(),
            priority: task.priority.as_str().to_owned(),
            due_date: task.due_date.map(Timestamp::to_rfc3339),
            remind_at: task.remind_at.map(Timestamp::to_rfc3339),
            tags: task.tags.iter().map(|t| t.as_str().to_owned()).collect(),
            created_at: task.created_at.to_rfc3339(),
            updated_at: task.updated_at.to_rfc3339(),
            completed_at: task.completed_at.map(Timestamp::to_rfc3339),
            version: task.version.get(),
            sort_key: sort_key(task.created_at, task.id),
            owner_status: owner_status(&task.owner, task.status),
            write_id: None,
        }
    }
}

impl TaskItem {
    /// Reads the item back through the same validated types a client's input goes through
    /// (in their lenient form for text stored under earlier rules), so a task that leaves the
    /// store always satisfies the contract.
    pub fn into_task(self) -> Result<Task, StoreError> {
        let task_id = self.task_id.clone();
        let field = |name: &'static str| {
            let task_id = task_id.clone();
            move |reason: &str| StoreError::CorruptItem {
                task_id,
                reason: format!("{name} {reason}"),
            }
        };
        let time = |name: &'static str, raw: &str| Timestamp::parse(raw).map_err(field(name));
        let tags = self
            .tags
            .iter()
            .map(|t| Tag::parse(t))
            .collect::<Result<Vec<_>, _>>()
            .and_then(Tags::new)
            .map_err(field("tags"))?;
        Ok(Task {
            id: TaskId::parse(&self.task_id).map_err(field("taskId"))?,
            owner: UserId::parse(&self.owner_id).map_err(field("ownerId"))?,
            assignee: self
                .assignee
                .as_deref()
                .map(UserId::parse)
                .transpose()
                .map_err(field("assignee"))?,
            title: Title::parse_stored(&self.title).map_err(field("title"))?,
            description: Description::parse_stored(&self.description)
                .map_err(field("description"))?,
            status: Status::parse(&self.status).map_err(field("status"))?,
            priority: Priority::parse(&self.priority).map_err(field("priority"))?,
            due_date: self.due_date.map(|raw| time("dueDate", &raw)).transpose()?,
            remind_at: self
                .remind_at
                .map(|raw| time("remindAt", &raw))
                .transpose()?,
            tags,
            created_at: time("createdAt", &self.created_at)?,
            updated_at: time("updatedAt", &self.updated_at)?,
            completed_at: self
                .completed_at
                .map(|raw| time("completedAt", &raw))
                .transpose()?,
            version: Version::new(self.version),
        })
    }
}

/// Any record to an item.
pub fn to_item(record: &impl Serialize) -> Result<Item, StoreError> {
    serde_dynamo::to_item(record).map_err(|error| StoreError::Failed(Box::new(error)))
}

/// An item to a record; `id` names it in the error if it does not have the record's shape.
pub fn from_item<T: for<'de> Deserialize<'de>>(item: Item, id: &str) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|error| StoreError::CorruptItem {
        task_id: id.to_owned(),
        reason: error.to_string(),
    })
}

/// A stored task item back to a task.
pub fn task_from_item(item: Item) -> Result<Task, StoreError> {
    let id = item
        .get("taskId")
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    from_item::<TaskItem>(item, &id)?.into_task()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::TaskChanges;

    pub fn sample_task() -> Task {
        let fields = TaskChanges {
            status: Some(Status::Completed),
            due_date: Some(Some(Timestamp::parse("2025-10-01T17:00:00Z").unwrap())),
            tags: Some(
                Tags::new(vec![Tag::parse("work").unwrap(), Tag::parse("q4").unwrap()]).unwrap(),
            ),
            ..Default::default()
        };
        Task::create(
            TaskId::parse("2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b").unwrap(),
            UserId::parse("user-1").unwrap(),
            Title::parse("Write report").unwrap(),
            &fields,
            Timestamp::parse("2025-09-29T10:00:00Z").unwrap(),
        )
    }

    #[test]
    fn a_task_survives_the_round_trip_through_an_item() {
        let task = sample_task();
        let item = to_item(&TaskItem::from(&task)).unwrap();
        assert_eq!(task_from_item(item).unwrap(), task);
    }

    #[test]
    fn item_has_the_layout_the_table_and_its_indexes_expect() {
        let item = to_item(&TaskItem::from(&sample_task())).unwrap();
        let text = |name: &str| item[name].as_s().unwrap().as_str();
        assert_eq!(
            text("sortKey"),
            "2025-09-29T10:00:00.000Z#2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b"
        );
        assert_eq!(text("ownerStatus"), "user-1#completed");
        assert_eq!(text("ownerId"), "user-1");
        assert_eq!(text("dueDate"), "2025-10-01T17:00:00.000Z");
        assert_eq!(item["version"].as_n().unwrap(), "1");
        assert_eq!(
            item["tags"].as_l().unwrap(),
            &vec![
                AttributeValue::S("work".into()),
                AttributeValue::S("q4".into())
            ]
        );
    }

    #[test]
    fn optional_fields_are_absent_not_null_and_read_back_from_null_too() {
        let mut task = sample_task();
        task.due_date = None;
        task.completed_at = None;
        let mut item = to_item(&TaskItem::from(&task)).unwrap();
        assert!(!item.contains_key("dueDate") && !item.contains_key("completedAt"));
        item.insert("dueDate".into(), AttributeValue::Null(true));
        assert_eq!(task_from_item(item).unwrap(), task);
    }

    #[test]
    fn an_item_that_breaks_the_rules_is_reported_as_corrupt() {
        let mut item = to_item(&TaskItem::from(&sample_task())).unwrap();
        item.insert("status".into(), AttributeValue::S("done".into()));
        let error = task_from_item(item).unwrap_err();
        assert!(matches!(error, StoreError::CorruptItem { .. }), "{error:?}");
        assert!(error.to_string().contains("status"));

        let mut item = to_item(&TaskItem::from(&sample_task())).unwrap();
        item.remove("title");
        assert!(matches!(
            task_from_item(item).unwrap_err(),
            StoreError::CorruptItem { .. }
        ));
    }

    #[test]
    fn fingerprint_ignores_spelling_but_not_content() {
        let task = |title: &str, fields: TaskChanges| {
            Task::create(
                TaskId::new_random(),
                UserId::parse("user-1").unwrap(),
                Title::parse(title).unwrap(),
                &fields,
                Timestamp::now(),
            )
        };
        let due = |at| TaskChanges {
            due_date: Some(Some(Timestamp::parse(at).unwrap())),
            ..Default::default()
        };
        let a = task("Report", due("2025-10-01T19:00:00+02:00"));
        let b = due("2025-10-01T17:00:00Z");
        assert_eq!(
            request_fingerprint(&a),
            request_fingerprint(&task("  Report ", b.clone()))
        );
        let high = TaskChanges {
            priority: Some(Priority::High),
            ..b
        };
        assert_ne!(
            request_fingerprint(&a),
            request_fingerprint(&task("Report", high))
        );
        let described = TaskChanges {
            description: Some(Description::parse("t").unwrap()),
            ..Default::default()
        };
        assert_ne!(
            request_fingerprint(&task("Report", TaskChanges::default())),
            request_fingerprint(&task("Repor", described))
        );
    }

    #[test]
    fn a_reminder_is_part_of_a_creates_fingerprint_and_cannot_pass_for_an_assignee() {
        let at = "2030-01-01T09:00:00.000Z";
        let task = |fields: TaskChanges| {
            let mut task = sample_task();
            task.assignee = fields.assignee.flatten();
            task.remind_at = fields.remind_at.flatten();
            task
        };
        let plain = task(TaskChanges::default());
        let reminded = task(TaskChanges {
            remind_at: Some(Some(Timestamp::parse(at).unwrap())),
            ..Default::default()
        });
        let assigned_a_time = task(TaskChanges {
            assignee: Some(Some(UserId::parse(&format!("remindAt{at}")).unwrap())),
            ..Default::default()
        });
        let fingerprints = [&plain, &reminded, &assigned_a_time].map(request_fingerprint);
        assert_ne!(fingerprints[0], fingerprints[1]);
        assert_ne!(fingerprints[1], fingerprints[2]);
    }
}
