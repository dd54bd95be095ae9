//! The DynamoDB implementation of [`TaskStore`]: conditional writes, index queries, and
//! the items of [`super::items`].

use std::collections::HashMap;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::client::dynamodb_client;
use super::items::{
    self, ASSIGNEE_INDEX, IdempotencyRecord, Item, OWNER_INDEX, OWNER_STATUS_INDEX, TaskCount,
    TaskItem, owner_status, sort_key, task_count_id, task_from_item,
};
use super::{
    AccountStore, Claim, Creation, DEFAULT_TASK_LIMIT, DeliveryProgress, DeliveryStep,
    IDEMPOTENCY_KEY_TTL_SECONDS, ListQuery, ReminderLedger, StoreError, TaskPage, TaskStore,
};
use crate::config::Config;
use crate::domain::{
    IdempotencyKey, Role, Scope, Status, Task, TaskChanges, TaskId, Timestamp, UserId, Version,
    Write, authorize,
};

#[derive(Clone, Debug)]
pub struct DynamoTaskStore {
    client: Client,
    table: String,
    /// How many tasks one owner may hold.
    task_limit: u32,
}

/// How long init may spend opening the connection to DynamoDB.
pub const OPEN_CONNECTION_BUDGET: Duration = Duration::from_millis(200);

impl DynamoTaskStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            task_limit: DEFAULT_TASK_LIMIT,
        }
    }

    /// The same store, allowing each owner `limit` tasks.
    pub fn with_task_limit(self, limit: u32) -> Self {
        Self {
            task_limit: limit,
            ..self
        }
    }

    /// The store of a function's `main`: the client from the environment, the configured
    /// table and task limit, and, if `DYNAMODB_OPEN_CONNECTION_ON_INIT` (on by default), the
    /// connection opened before the first invocation.
    /// The store of the table `table`, for the functions that are not the API's (no task
    /// limit applies to them: they create no task).
    pub async fn connect_to(table: &str) -> Self {
        let store = Self::new(dynamodb_client().await, table);
        store.open_connection().await;
        store
    }

    pub async fn connect(config: &Config) -> Self {
        let store = Self::new(dynamodb_client().await, &config.table_name)
            .with_task_limit(config.max_tasks_per_owner);
        if config.open_connection_on_init {
            store.open_connection().await;
        }
        store
    }

    /// Opens the connection to DynamoDB (TLS handshake, credentials, first use of the random
    /// generator) with a read of a key that no item has. Lambda runs init with a whole vCPU
    /// but a 128 MB function's invocations with a fraction of one, so this work is several
    /// times cheaper here than in the first request. Bounded in time; a failure is logged and
    /// only means the first request opens the connection itself.
    pub async fn open_connection(&self) {
        let read = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("taskId", s("connection-check"))
            .customize()
            .config_override(
                aws_sdk_dynamodb::config::Config::builder()
                    .retry_config(RetryConfig::disabled())
                    .timeout_config(
                        TimeoutConfig::builder()
                            .operation_timeout(OPEN_CONNECTION_BUDGET)
                            .build(),
                    ),
            )
            .send()
            .await;
        if let Err(error) = read {
            tracing::warn!(
                error = %DisplayErrorContext(&error),
                budget_ms = OPEN_CONNECTION_BUDGET.as_millis() as u64,
                "could not open the DynamoDB connection during init; the first request will"
            );
        }
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

/// Sorts SDK failures into "try again later" and "something is wrong".
pub(crate) fn classify<E, R>(error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    const THROTTLING: [&str; 3] = [
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
    ];
    let code = error.code().unwrap_or_default();
    let transient = matches!(
        error,
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
    ) || ["InternalServerError", "ServiceUnavailable"].contains(&code);
    if THROTTLING.contains(&code) {
        StoreError::Throttled(Box::new(error))
    } else if transient {
        StoreError::Unavailable(Box::new(error))
    } else {
        StoreError::Failed(Box::new(error))
    }
}

pub(crate) fn is_condition_failure<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    matches!(error, SdkError::ServiceError(_))
        && error.code() == Some("ConditionalCheckFailedException")
}

impl DynamoTaskStore {
    /// The item with this key, read strongly consistently.
    async fn get_item(&self, key: &str) -> Result<Option<Item>, StoreError> {
        let read = self.client.get_item().table_name(&self.table);
        let output = read
            .key("taskId", s(key))
            .consistent_read(true)
            .send()
            .await;
        Ok(output.map_err(classify)?.item)
    }

    /// One UpdateItem of the item `key` on `condition`, its attribute names read off the
    /// expressions: `Ok(false)` when the condition refused it.
    async fn conditional_update(
        &self,
        key: &str,
        update: &str,
        condition: &str,
        values: Item,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("taskId", s(key))
            .update_expression(update)
            .condition_expression(condition)
            .set_expression_attribute_names(Some(attribute_names(&[update, condition])))
            // DynamoDB refuses an empty map of values: none at all, then.
            .set_expression_attribute_values((!values.is_empty()).then_some(values))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if is_condition_failure(&error) => Ok(false),
            Err(error) => Err(classify(error)),
        }
    }

    /// The stored task, whoever's it is, and the id of the write that last changed it: only
    /// to explain a refused write.
    async fn read(&self, id: TaskId) -> Result<Option<(Task, Option<String>)>, StoreError> {
        let key = id.to_string();
        let Some(item) = self.get_item(&key).await? else {
            return Ok(None);
        };
        let mut item: TaskItem = items::from_item(item, &key)?;
        let write_id = item.write_id.take();
        Ok(Some((item.into_task()?, write_id)))
    }

    /// Puts a new task as the write `write_id`; never overwrites. A put refused because the
    /// item exists is ours when the item carries our write id: the SDK retried a put whose
    /// answer was lost. Only that attribute is read (create-task may read no task's content).
    async fn put_task(&self, task: &Task, write_id: &str) -> Result<(), StoreError> {
        let mut item = TaskItem::from(task);
        item.write_id = Some(write_id.to_owned());
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(items::to_item(&item)?))
            .condition_expression("attribute_not_exists(#taskId)")
            .expression_attribute_names("#taskId", "taskId")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failure(&error) => {
                let stored = self
                    .client
                    .get_item()
                    .table_name(&self.table)
                    .key("taskId", s(task.id.to_string()))
                    .projection_expression("#taskId, #writeId")
                    .expression_attribute_names("#taskId", "taskId")
                    .expression_attribute_names("#writeId", "writeId")
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(classify)?
                    .item;
                let ours = stored
                    .and_then(|mut item| item.remove("writeId"))
                    .is_some_and(|stored| stored == s(write_id));
                if ours {
                    Ok(())
                } else {
                    Err(StoreError::AlreadyExists)
                }
            }
            Err(error) => Err(classify(error)),
        }
    }

    /// Puts a task that an idempotency record describes. If it is already there, another
    /// request for the same record put it (the id is the record's), which is the goal.
    async fn put_recorded_task(&self, task: &Task) -> Result<(), StoreError> {
        match self.put_task(task, &new_write_id()).await {
            Err(StoreError::AlreadyExists) => Ok(()),
            other => other,
        }
    }

    /// Changes `owner`'s task count by one, as the write `write_id`: up while below the
    /// limit, down while above zero (tasks created before counting began were never
    /// counted). The write's id is kept beside the count, apart for ups and downs, so the
    /// SDK's retry of a change whose answer was lost finds it and is refused, not applied
    /// twice. `Ok(false)`: DynamoDB refused the change by its condition.
    async fn change_count(
        &self,
        owner: &UserId,
        write_id: &str,
        up: bool,
    ) -> Result<bool, StoreError> {
        let (update, condition) = if up {
            (
                "SET #taskCount = if_not_exists(#taskCount, :zero) + :one, #lastWriteId = :writeId",
                "(attribute_not_exists(#taskCount) OR #taskCount < :limit) \
                 AND (attribute_not_exists(#lastWriteId) OR #lastWriteId <> :writeId)",
            )
        } else {
            (
                "SET #taskCount = #taskCount - :one, #lastReleaseId = :writeId",
                "#taskCount > :zero \
                 AND (attribute_not_exists(#lastReleaseId) OR #lastReleaseId <> :writeId)",
            )
        };
        let mut values = Item::from([
            (":zero".into(), AttributeValue::N("0".into())),
            (":one".into(), AttributeValue::N("1".into())),
            (":writeId".into(), s(write_id)),
        ]);
        if up {
            values.insert(
                ":limit".into(),
                AttributeValue::N(self.task_limit.to_string()),
            );
        }
        self.conditional_update(&task_count_id(owner), update, condition, values)
            .await
    }

    /// Counts one more task for `owner`, as the write `write_id`, if the owner holds fewer
    /// than the limit; else [`StoreError::TaskLimitReached`].
    async fn count_up(&self, owner: &UserId, write_id: &str) -> Result<(), StoreError> {
        let key = task_count_id(owner);
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            if self.change_count(owner, write_id, true).await? {
                return Ok(());
            }
            // Refused: our own earlier try, the limit, or a change in between. The count says.
            let Some(item) = self.get_item(&key).await? else {
                continue;
            };
            let count: TaskCount = items::from_item(item, &key)?;
            if count.last_write_id.as_deref() == Some(write_id) {
                return Ok(());
            }
            if count.task_count >= i64::from(self.task_limit) {
                return Err(StoreError::TaskLimitReached {
                    limit: self.task_limit,
                });
            }
        }
        Err(StoreError::Unavailable(
            "the task count kept changing".into(),
        ))
    }

    /// Counts one task fewer for `owner` after the write `write_id` removed one (or a
    /// counted create did not put it). A failure is logged, not returned: the task is gone
    /// either way, and a count left one too high only makes the limit stricter by one.
    async fn count_down(&self, owner: &UserId, write_id: &str) {
        if let Err(error) = self.change_count(owner, write_id, false).await {
            tracing::warn!(
                error = ?error,
                "could not count down the owner's tasks; their count stays one too high"
            );
        }
    }

    async fn mark_record_done(&self, record_id: &str) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("taskId", s(record_id))
            .update_expression("SET #done = :done")
            .expression_attribute_names("#done", "done")
            .expression_attribute_values(":done", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    /// A later request with the key: the same request is answered with the first task
    /// (finishing its creation if the first request stopped half-way), another is refused.
    async fn replay(
        &self,
        record_id: &str,
        item: Item,
        fingerprint: &str,
    ) -> Result<Creation, StoreError> {
        let record: IdempotencyRecord = items::from_item(item, record_id)?;
        if record.request_hash != fingerprint {
            return Err(StoreError::IdempotencyKeyReused);
        }
        let task = record.task.into_task()?;
        if !record.done {
            self.put_recorded_task(&task).await?;
            self.mark_record_done(record_id).await?;
        }
        Ok(Creation::Replayed(task))
    }
}

impl TaskStore for DynamoTaskStore {
    async fn create(&self, task: &Task) -> Result<(), StoreError> {
        let write_id = new_write_id();
        self.count_up(&task.owner, &write_id).await?;
        let put = self.put_task(task, &write_id).await;
        // Only a put known not to have happened gives its count back; after a timeout it may
        // have, and a count one too high is the safe side.
        if let Err(StoreError::AlreadyExists) = put {
            self.count_down(&task.owner, &write_id).await;
        }
        put
    }

    async fn create_idempotent(
        &self,
        task: &Task,
        key: &IdempotencyKey,
    ) -> Result<Creation, StoreError> {
        // Without transactions (so that it runs on every DynamoDB-compatible server): first
        // claim the key with a record that holds the whole task, then put the task, then
        // mark the record done. Whoever finds the key claimed finishes the recorded task
        // instead, under the same id, so concurrent duplicates create exactly one task and
        // a request that died half-way is completed by its retry.
        let fingerprint = items::request_fingerprint(task);
        let record = IdempotencyRecord {
            task_id: items::idempotency_record_id(&task.owner, key),
            request_hash: fingerprint.clone(),
            task: TaskItem::from(task),
            done: false,
            expires_at: task.created_at.epoch_seconds() + IDEMPOTENCY_KEY_TTL_SECONDS,
        };
        let record_id = record.task_id.clone();
        let write_id = new_write_id();
        match self.count_up(&task.owner, &write_id).await {
            Ok(()) => {}
            // At the limit, a retry of a request that created its task is still answered.
            Err(StoreError::TaskLimitReached { limit }) => {
                return match self.get_item(&record_id).await? {
                    Some(item) => self.replay(&record_id, item, &fingerprint).await,
                    None => Err(StoreError::TaskLimitReached { limit }),
                };
            }
            Err(error) => return Err(error),
        }
        let claim = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(items::to_item(&record)?))
            // An expired record that DynamoDB's TTL has not removed yet counts as absent.
            .condition_expression("attribute_not_exists(#taskId) OR #expiresAt < :now")
            .expression_attribute_names("#taskId", "taskId")
            .expression_attribute_names("#expiresAt", "expiresAt")
            .expression_attribute_values(
                ":now",
                AttributeValue::N(task.created_at.epoch_seconds().to_string()),
            )
            .send()
            .await;
        match claim {
            Ok(_) => {
                // The record's task is counted (above): whoever finishes it puts it uncounted.
                self.put_task(task, &write_id).await?;
                self.mark_record_done(&record_id).await?;
                Ok(Creation::Created(task.clone()))
            }
            Err(error) if is_condition_failure(&error) => {
                // The key's first request counted its task; this one creates none.
                self.count_down(&task.owner, &write_id).await;
                // Gone between our refused put and this read: it expired just now. Rare
                // enough that the client's retry (503) is the simplest correct answer.
                let item = self.get_item(&record_id).await?.ok_or_else(|| {
                    StoreError::Unavailable("idempotency record expired mid-request".into())
                })?;
                self.replay(&record_id, item, &fingerprint).await
            }
            Err(error) => Err(classify(error)),
        }
    }

    async fn get(&self, caller: &UserId, id: TaskId) -> Result<Option<Task>, StoreError> {
        let task = self.read(id).await?.map(|(task, _)| task);
        Ok(task.filter(|task| task.is_visible_to(caller)))
    }

    async fn list(&self, caller: &UserId, query: &ListQuery) -> Result<TaskPage, StoreError> {
        // The partition is always the authenticated caller's, never the cursor's, so a
        // cursor can only move within the caller's own listing.
        let caller_id = || caller.as_str().to_owned();
        let (index, partition_name, partition, status_filter) = match (query.scope, query.status) {
            (Scope::Owned, None) => (OWNER_INDEX, "ownerId", caller_id(), None),
            (Scope::Owned, Some(status)) => (
                OWNER_STATUS_INDEX,
                "ownerStatus",
                owner_status(caller, status),
                None,
            ),
            // Shared tasks are fewer: one sparse index, the status as a filter.
            (Scope::Assigned, status) => (ASSIGNEE_INDEX, "assignee", caller_id(), status),
        };
        let limit = usize::from(query.limit);
        let mut tasks = Vec::with_capacity(limit);
        let mut after = query.after.clone();
        // A filtered query reads `Limit` items and returns those that match, so a page is
        // filled with a few more queries, bounded in number and in items read (and so in
        // read units: never more than the largest unfiltered page); past either bound it is
        // returned short, with the token to go on.
        let mut items_read = 0;
        for _ in 0..MAX_QUERIES_PER_PAGE {
            let read = (limit - tasks.len()).min(MAX_ITEMS_READ_PER_PAGE - items_read);
            items_read += read;
            let start_key = after.as_ref().map(|cursor| {
                Item::from([
                    ("taskId".into(), s(cursor.task_id.to_string())),
                    (partition_name.into(), s(partition.clone())),
                    (
                        "sortKey".into(),
                        s(sort_key(cursor.created_at, cursor.task_id)),
                    ),
                ])
            });
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#partition = :partition")
                .expression_attribute_names("#partition", partition_name)
                .expression_attribute_values(":partition", s(partition.clone()))
                .scan_index_forward(false)
                .limit(i32::try_from(read).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start_key);
            if let Some(status) = status_filter {
                request = request
                    .filter_expression("#status = :status")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":status", s(status.as_str()));
            }
            let output = request.send().await.map_err(classify)?;
            for item in output.items.unwrap_or_default() {
                tasks.push(task_from_item(item)?);
            }
            after = output
                .last_evaluated_key
                .as_ref()
                .map(items::cursor_of)
                .transpose()?;
            if after.is_none() || tasks.len() >= limit || items_read >= MAX_ITEMS_READ_PER_PAGE {
                break;
            }
        }
        Ok(TaskPage { tasks, next: after })
    }

    async fn update(
        &self,
        caller: &UserId,
        id: TaskId,
        changes: &TaskChanges,
        expected: Option<Version>,
        now: Timestamp,
    ) -> Result<Task, StoreError> {
        // One UpdateItem: the new values are computed by DynamoDB from the stored item, so
        // two concurrent updates are both applied, never one lost half-way. Its condition
        // states who may write; the first try assumes the caller is the owner (or, when
        // nothing needs the owner's id, either role).
        let mut basis = if changes.status.is_none() && !changes.need_owner() {
            Basis::EitherRole
        } else {
            Basis::Owner
        };
        let write_id = new_write_id();
        for _ in 0..MAX_UPDATE_ATTEMPTS {
            let (expression, condition, names, values) =
                update_expression(caller, &basis, changes, expected, now, &write_id);
            let request = self
                .client
                .update_item()
                .table_name(&self.table)
                .key("taskId", s(id.to_string()))
                .update_expression(expression)
                .condition_expression(condition)
                .set_expression_attribute_names(Some(names))
                .set_expression_attribute_values(Some(values))
                .return_values(ReturnValue::AllNew);
            match request.send().await {
                Ok(output) => {
                    let item = output.attributes.ok_or_else(|| StoreError::CorruptItem {
                        task_id: id.to_string(),
                        reason: "UpdateItem returned no attributes".into(),
                    })?;
                    return task_from_item(item);
                }
                Err(error) if is_condition_failure(&error) => {}
                Err(error) => return Err(classify(error)),
            }
            // Refused by DynamoDB: the task as it is now says why. Only used to answer.
            let Some((current, last_write)) = self.read(id).await? else {
                return Err(StoreError::NotFound);
            };
            // The SDK retried this very update after its first answer was lost: the stored
            // task carries our write's id, even if that write was a decline that took the
            // task out of the caller's sight. Nothing else counts as ours.
            if last_write.as_deref() == Some(write_id.as_str()) {
                return Ok(current);
            }
            basis = match authorize(Some(&current), caller, Write::Update(changes), expected)? {
                // An assignee's status change needs the owner's id for `ownerStatus`: the
                // condition then pins the owner and that the caller is still the assignee.
                Role::Assignee => Basis::Assignee {
                    owner: current.owner,
                },
                Role::Owner => Basis::Owner,
            };
            // Allowed now but refused a moment ago: the task changed in between; again.
        }
        Err(StoreError::Unavailable(
            "the task kept changing during the update".into(),
        ))
    }

    async fn delete(
        &self,
        caller: &UserId,
        id: TaskId,
        expected: Option<Version>,
    ) -> Result<(), StoreError> {
        let mut request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("taskId", s(id.to_string()))
            .condition_expression(match expected {
                None => "#ownerId = :caller",
                Some(_) => "#ownerId = :caller AND #version = :expected",
            })
            .expression_attribute_names("#ownerId", "ownerId")
            .expression_attribute_values(":caller", s(caller.as_str()));
        if let Some(version) = expected {
            request = request
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":expected", AttributeValue::N(version.to_string()));
        }
        match request.send().await {
            Ok(_) => {
                self.count_down(caller, &new_write_id()).await;
                Ok(())
            }
            Err(error) if is_condition_failure(&error) => {
                let current = self.read(id).await?.map(|(task, _)| task);
                authorize(current.as_ref(), caller, Write::Delete, expected)?;
                // Refused, yet allowed now: it changed in between; the caller retries.
                Err(StoreError::Unavailable(
                    "the task changed during the delete".into(),
                ))
            }
            Err(error) => Err(classify(error)),
        }
    }
}

/// How many queries may fill one page of a filtered listing.
const MAX_QUERIES_PER_PAGE: usize = 5;
/// How many items the queries of one page may read in all: the largest page's `limit`.
pub const MAX_ITEMS_READ_PER_PAGE: usize = 100;
/// How many conditional writes one update may try (the task changing in between).
const MAX_UPDATE_ATTEMPTS: usize = 3;

/// Who an update's condition says the caller is, and what that lets it compute.
enum Basis {
    /// The owner: `ownerStatus` is the caller's.
    Owner,
    /// The owner or the assignee, for changes that need neither's id (a decline).
    EitherRole,
    /// The assignee of `owner`'s task: `ownerStatus` is that owner's.
    Assignee { owner: UserId },
}

/// The UpdateItem of a partial update: its update expression, its condition (who may make
/// it, per `basis`, and at `expected` if given), and the names and values they use.
fn update_expression(
    caller: &UserId,
    basis: &Basis,
    changes: &TaskChanges,
    expected: Option<Version>,
    now: Timestamp,
    write_id: &str,
) -> (String, String, HashMap<String, String>, Item) {
    let mut sets = vec![
        "#updatedAt = :now".to_owned(),
        "#version = #version + :one".to_owned(),
        "#writeId = :writeId".to_owned(),
    ];
    let mut removes = Vec::new();
    let mut values = Item::from([
        (":now".into(), s(now.to_rfc3339())),
        (":one".into(), AttributeValue::N("1".into())),
        (":caller".into(), s(caller.as_str())),
        (":writeId".into(), s(write_id)),
    ]);
    let mut set = |attribute: &str, value: AttributeValue| {
        sets.push(format!("#{attribute} = :{attribute}"));
        values.insert(format!(":{attribute}"), value);
    };
    if let Some(title) = &changes.title {
        set("title", s(title.as_str()));
    }
    if let Some(description) = &changes.description {
        set("description", s(description.as_str()));
    }
    if let Some(priority) = changes.priority {
        set("priority", s(priority.as_str()));
    }
    if let Some(tags) = &changes.tags {
        set(
            "tags",
            AttributeValue::L(tags.iter().map(|t| s(t.as_str())).collect()),
        );
    }
    match changes.due_date {
        Some(Some(due)) => set("dueDate", s(due.to_rfc3339())),
        Some(None) => removes.push("#dueDate"),
        None => {}
    }
    match changes.remind_at {
        Some(Some(at)) => set("remindAt", s(at.to_rfc3339())),
        Some(None) => removes.push("#remindAt"),
        None => {}
    }
    match &changes.assignee {
        Some(Some(assignee)) => set("assignee", s(assignee.as_str())),
        Some(None) => removes.push("#assignee"),
        None => {}
    }
    let owner = match basis {
        Basis::Assignee { owner } => owner,
        Basis::Owner | Basis::EitherRole => caller,
    };
    if let Some(status) = changes.status {
        set("status", s(status.as_str()));
        set("ownerStatus", s(owner_status(owner, status)));
        if status == Status::Completed {
            // Keeps the first completion time if it was already completed.
            sets.push("#completedAt = if_not_exists(#completedAt, :now)".into());
        } else {
            removes.push("#completedAt");
        }
    }
    let mut expression = format!("SET {}", sets.join(", "));
    if !removes.is_empty() {
        expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
    }
    let mut condition = String::from(match basis {
        Basis::Owner => "#ownerId = :caller",
        Basis::EitherRole => "(#ownerId = :caller OR #assignee = :caller)",
        Basis::Assignee { .. } => "#assignee = :caller AND #ownerId = :owner",
    });
    if let Basis::Assignee { owner } = basis {
        values.insert(":owner".into(), s(owner.as_str()));
    }
    if let Some(version) = expected {
        condition.push_str(" AND #version = :expected");
        values.insert(":expected".into(), AttributeValue::N(version.to_string()));
    }
    // A retry of this very write (its answer lost) is refused, not applied twice.
    condition.push_str(" AND (attribute_not_exists(#writeId) OR #writeId <> :writeId)");
    let names = attribute_names(&[&expression, &condition]);
    (expression, condition, names, values)
}

/// The `#attribute` placeholders that `expressions` use, each naming the attribute of its
/// name: every attribute goes through one, so none can collide with DynamoDB's reserved
/// words, and the map names exactly those used (DynamoDB refuses a request with others).
fn attribute_names(expressions: &[&str]) -> HashMap<String, String> {
    expressions
        .iter()
        .flat_map(|expression| expression.split(|c: char| !c.is_ascii_alphanumeric() && c != '#'))
        .filter_map(|word| word.strip_prefix('#'))
        .map(|attribute| (format!("#{attribute}"), attribute.to_owned()))
        .collect()
}

/// A fresh id for one write (see `writeId` in [`super::items`]).
fn new_write_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl AccountStore for DynamoTaskStore {
    async fn delete_owned(&self, owner: &UserId, id: TaskId) -> Result<bool, StoreError> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("taskId", s(id.to_string()))
            .condition_expression("#ownerId = :owner")
            .expression_attribute_names("#ownerId", "ownerId")
            .expression_attribute_values(":owner", s(owner.as_str()))
            .send()
            .await;
        match result {
            Ok(_) => {
                self.count_down(owner, &new_write_id()).await;
                Ok(true)
            }
            Err(error) if is_condition_failure(&error) => Ok(false),
            Err(error) => Err(classify(error)),
        }
    }

    async fn unassign(
        &self,
        assignee: &UserId,
        id: TaskId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        // The decline's own write (see `update_expression`), on the condition that the user
        // is still the assignee: never an owner's write, never anyone else's share.
        let update = "SET #updatedAt = :now, #version = #version + :one, #writeId = :writeId \
                      REMOVE #assignee";
        let condition = "#assignee = :assignee";
        let values = Item::from([
            (":now".into(), s(now.to_rfc3339())),
            (":one".into(), AttributeValue::N("1".into())),
            (":writeId".into(), s(new_write_id())),
            (":assignee".into(), s(assignee.as_str())),
        ]);
        self.conditional_update(&id.to_string(), update, condition, values)
            .await
    }

    async fn forget_owner(&self, owner: &UserId) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("taskId", s(task_count_id(owner)))
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }
}

impl ReminderLedger for DynamoTaskStore {
    async fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError> {
        Ok(self.read(id).await?.map(|(task, _)| task))
    }

    async fn claim_delivery(
        &self,
        key: &str,
        now: i64,
        lease_millis: i64,
    ) -> Result<Claim, StoreError> {
        let expires = now / 1000 + items::REMINDER_DELIVERY_TTL_SECONDS;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("taskId", s(key))
            .update_expression(
                "SET #leaseUntil = :until, #expiresAt = if_not_exists(#expiresAt, :expires)",
            )
            .condition_expression(
                "attribute_not_exists(#deliveredAt) \
                 AND (attribute_not_exists(#leaseUntil) OR #leaseUntil < :now)",
            )
            .expression_attribute_names("#leaseUntil", "leaseUntil")
            .expression_attribute_names("#expiresAt", "expiresAt")
            .expression_attribute_names("#deliveredAt", "deliveredAt")
            .expression_attribute_values(
                ":until",
                AttributeValue::N((now + lease_millis).to_string()),
            )
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => {
                let item = output.attributes.unwrap_or_default();
                let delivery: items::ReminderDelivery = items::from_item(item, key)?;
                let notified = delivery
                    .notified
                    .iter()
                    .map(|user| UserId::parse(user))
                    .collect::<Result<_, _>>()
                    .map_err(|reason| StoreError::CorruptItem {
                        task_id: key.to_owned(),
                        reason: format!("notified {reason}"),
                    })?;
                Ok(Claim::Taken(DeliveryProgress {
                    published: delivery.published,
                    notified,
                }))
            }
            // Refused: delivered, or held. One read tells which (dynalite, make test's
            // DynamoDB, has no ReturnValuesOnConditionCheckFailure).
            Err(error) if is_condition_failure(&error) => {
                let item = self.get_item(key).await?.unwrap_or_default();
                Ok(if item.contains_key("deliveredAt") {
                    Claim::Delivered
                } else {
                    Claim::Held
                })
            }
            Err(error) => Err(classify(error)),
        }
    }

    async fn record_delivery(
        &self,
        key: &str,
        step: DeliveryStep,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (update, values) = match step {
            DeliveryStep::Published => (
                "SET #published = :true",
                Item::from([(":true".into(), AttributeValue::Bool(true))]),
            ),
            DeliveryStep::Notified(user) => (
                "SET #notified = list_append(if_not_exists(#notified, :none), :user)",
                Item::from([
                    (":none".into(), AttributeValue::L(Vec::new())),
                    (":user".into(), AttributeValue::L(vec![s(user.as_str())])),
                ]),
            ),
            DeliveryStep::Delivered => (
                "SET #deliveredAt = :now REMOVE #leaseUntil",
                Item::from([(":now".into(), s(now.to_rfc3339()))]),
            ),
        };
        // Only a claimed delivery moves on: never an item made up by this write.
        if self
            .conditional_update(key, update, "attribute_exists(#taskId)", values)
            .await?
        {
            Ok(())
        } else {
            Err(StoreError::CorruptItem {
                task_id: key.to_owned(),
                reason: "a step of a delivery that was never claimed".into(),
            })
        }
    }

    async fn release_delivery(&self, key: &str) -> Result<(), StoreError> {
        // A delivery never claimed has no lease to end.
        self.conditional_update(
            key,
            "REMOVE #leaseUntil",
            "attribute_exists(#taskId)",
            Item::new(),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Priority, Timestamp};
    use crate::store::items::tests::sample_task;

    #[test]
    fn updates_name_only_attributes_of_the_task_item() {
        let mut task = sample_task();
        task.remind_at = Some(Timestamp::parse("2025-10-01T16:00:00Z").unwrap());
        let assignee = UserId::parse("user-2").unwrap();
        task.assignee = Some(assignee.clone());
        let mut item = TaskItem::from(&task);
        item.write_id = Some(new_write_id());
        let item = items::to_item(&item).unwrap();
        let every_change = TaskChanges {
            title: Some(task.title.clone()),
            description: Some(task.description.clone()),
            status: Some(Status::Completed),
            priority: Some(Priority::High),
            due_date: Some(task.due_date),
            remind_at: Some(task.remind_at),
            tags: Some(task.tags.clone()),
            assignee: Some(Some(assignee.clone())),
        };
        let basis = Basis::Assignee {
            owner: task.owner.clone(),
        };
        let (_, condition, names, values) = update_expression(
            &assignee,
            &basis,
            &every_change,
            Some(task.version),
            Timestamp::now(),
            "write-1",
        );
        assert_eq!(names.len(), 14);
        assert_eq!(
            condition,
            "#assignee = :caller AND #ownerId = :owner AND #version = :expected \
             AND (attribute_not_exists(#writeId) OR #writeId <> :writeId)"
        );
        assert_eq!(
            values[":ownerStatus"],
            s("user-1#completed"),
            "the owner's, not the caller's"
        );
        for attribute in names.values() {
            assert!(
                item.contains_key(attribute),
                "{attribute} is not a task attribute"
            );
        }
    }
}
