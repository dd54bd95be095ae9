//! The DynamoDB implementation of [`TaskStore`].
//!
//! Table layout (defined once, in `template.yaml`):
//! - partition key `taskId`;
//! - `byOwner` index: `ownerId` + `sortKey`, for listing an owner's tasks;
//! - `byOwnerStatus` index: `ownerStatus` (`<owner>#<status>`) + `sortKey`, for the status filter;
//! - `sortKey` is `<createdAt>#<taskId>`: fixed-width UTC timestamps sort as strings, so a
//!   descending query is newest first, ties broken by `taskId`.
//! - idempotency records share the table under `taskId` = `idempotency#<hash>`. They carry
//!   no `ownerId`, `ownerStatus` or `sortKey`, so they never appear in the indexes, and a
//!   task id is always a UUID, so no task read can reach them.

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::{
    Creation, IDEMPOTENCY_KEY_TTL_SECONDS, ListQuery, PageCursor, StoreError, TaskPage, TaskStore,
};
use crate::domain::{
    Description, IdempotencyKey, OwnerId, Priority, Status, Tag, Tags, Task, TaskChanges, TaskId,
    Timestamp, Title, Version, hex_digest,
};

pub const OWNER_INDEX: &str = "byOwner";
pub const OWNER_STATUS_INDEX: &str = "byOwnerStatus";

type Item = HashMap<String, AttributeValue>;

/// Time budget of one DynamoDB operation, retries included. A request makes at most four
/// operations in sequence (an idempotent create that finishes another's work), so the
/// worst case, 4 x 2 s, stays inside the functions' 10 s timeout and the client gets a 503
/// instead of a Lambda timeout.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(2);
/// One attempt; DynamoDB answers in milliseconds, so this only cuts off a hung connection.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(600);
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Attempts per operation (the first and two retries), with jittered exponential backoff
/// from 25 ms, for throttling, 5xx, timeouts and connection failures.
pub const MAX_ATTEMPTS: u32 = 3;

/// The roots that AWS endpoints' certificates chain to (Amazon Trust Services).
const AMAZON_ROOT_CAS: &str = include_str!("amazon-root-cas.pem");

/// The SDK's HTTPS client (rustls with aws-lc, as by default), trusting only Amazon's roots.
///
/// By default the client loads the operating system's trust store when it is built, before
/// the function's first poll: on Linux it reads the CA bundle and then every file of
/// /etc/ssl/certs, about 140 here. That was most of the functions' init time (`make bench`).
/// The five roots compiled in cost no file access, and trust is narrower: this client only
/// ever talks to DynamoDB. A local endpoint over plain HTTP needs no roots at all.
fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls;
    let builder = aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(
        tls::rustls_provider::CryptoMode::AwsLc,
    ));
    match amazon_tls_context() {
        Ok(context) => builder.tls_context(context).build_https(),
        // Cannot happen with the bundled PEM (a unit test builds it); fall back to the
        // system's roots rather than fail.
        Err(_) => builder.build_https(),
    }
}

fn amazon_tls_context()
-> Result<aws_smithy_http_client::tls::TlsContext, aws_smithy_http_client::HttpClientError> {
    use aws_smithy_http_client::tls;
    let roots = tls::TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_ROOT_CAS.as_bytes());
    tls::TlsContext::builder().with_trust_store(roots).build()
}

/// Builds the SDK client from the environment (region, credentials, and
/// `AWS_ENDPOINT_URL_DYNAMODB` for a local server). Call once per process.
pub async fn dynamodb_client() -> Client {
    let sdk_config = aws_config::from_env()
        .http_client(https_client())
        .load()
        .await;
    client_from(&sdk_config)
}

/// The client with this project's retry and timeout budget, from any SDK configuration.
pub fn client_from(sdk_config: &aws_config::SdkConfig) -> Client {
    let retry = aws_config::retry::RetryConfig::standard()
        .with_max_attempts(MAX_ATTEMPTS)
        .with_initial_backoff(Duration::from_millis(25))
        .with_max_backoff(Duration::from_millis(250));
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build();
    let config = aws_sdk_dynamodb::config::Builder::from(sdk_config)
        .retry_config(retry)
        .timeout_config(timeouts)
        .build();
    Client::from_conf(config)
}

#[derive(Clone, Debug)]
pub struct DynamoTaskStore {
    client: Client,
    table: String,
}

impl DynamoTaskStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn sort_key(created_at: Timestamp, id: TaskId) -> String {
    format!("{created_at}#{id}")
}

fn owner_status(owner: &OwnerId, status: Status) -> String {
    format!("{}#{}", owner.as_str(), status)
}

fn tags_value(tags: &Tags) -> AttributeValue {
    AttributeValue::L(tags.iter().map(|t| s(t.as_str())).collect())
}

fn to_item(task: &Task) -> Item {
    let mut item = Item::from([
        ("taskId".into(), s(task.id.to_string())),
        ("ownerId".into(), s(task.owner.as_str())),
        ("title".into(), s(task.title.as_str())),
        ("description".into(), s(task.description.as_str())),
        ("status".into(), s(task.status.as_str())),
        ("priority".into(), s(task.priority.as_str())),
        ("tags".into(), tags_value(&task.tags)),
        ("createdAt".into(), s(task.created_at.to_rfc3339())),
        ("updatedAt".into(), s(task.updated_at.to_rfc3339())),
        (
            "version".into(),
            AttributeValue::N(task.version.to_string()),
        ),
        ("sortKey".into(), s(sort_key(task.created_at, task.id))),
        (
            "ownerStatus".into(),
            s(owner_status(&task.owner, task.status)),
        ),
    ]);
    if let Some(due) = task.due_date {
        item.insert("dueDate".into(), s(due.to_rfc3339()));
    }
    if let Some(done) = task.completed_at {
        item.insert("completedAt".into(), s(done.to_rfc3339()));
    }
    item
}

/// Reads an item back through the same validated types a client's input goes through,
/// so a task that leaves the store always satisfies the contract.
fn from_item(item: &Item) -> Result<Task, StoreError> {
    let task_id = item
        .get("taskId")
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default();
    let corrupt = |reason: String| StoreError::CorruptItem {
        task_id: task_id.clone(),
        reason,
    };
    let text = |name: &str| -> Result<&str, StoreError> {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
            .ok_or_else(|| corrupt(format!("{name} is missing or not a string")))
    };
    let field = |name: &str, reason: &str| corrupt(format!("{name} {reason}"));
    let optional_time = |name: &str| -> Result<Option<Timestamp>, StoreError> {
        match item.get(name) {
            None | Some(AttributeValue::Null(_)) => Ok(None),
            Some(_) => Timestamp::parse(text(name)?)
                .map(Some)
                .map_err(|e| field(name, e)),
        }
    };
    let tags = match item.get("tags") {
        None => Tags::default(),
        Some(AttributeValue::L(values)) => {
            let tags = values
                .iter()
                .map(|v| {
                    v.as_s()
                        .map_err(|_| "is not a string")
                        .and_then(|t| Tag::parse(t))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| field("tags", e))?;
            Tags::new(tags).map_err(|e| field("tags", e))?
        }
        Some(_) => return Err(field("tags", "is not a list")),
    };
    let version = item
        .get("version")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse::<u64>().ok())
        .ok_or_else(|| field("version", "is missing or not a whole number"))?;

    Ok(Task {
        id: TaskId::parse(text("taskId")?).map_err(|e| field("taskId", e))?,
        owner: OwnerId::parse(text("ownerId")?).map_err(|e| field("ownerId", e))?,
        title: Title::parse_stored(text("title")?).map_err(|e| field("title", e))?,
        description: Description::parse_stored(text("description")?)
            .map_err(|e| field("description", e))?,
        status: Status::parse(text("status")?).map_err(|e| field("status", e))?,
        priority: Priority::parse(text("priority")?).map_err(|e| field("priority", e))?,
        due_date: optional_time("dueDate")?,
        tags,
        created_at: Timestamp::parse(text("createdAt")?).map_err(|e| field("createdAt", e))?,
        updated_at: Timestamp::parse(text("updatedAt")?).map_err(|e| field("updatedAt", e))?,
        completed_at: optional_time("completedAt")?,
        version: Version::new(version),
    })
}

/// Sorts SDK failures into "try again later" and "something is wrong".
fn classify<E, R>(error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    let throttled = matches!(
        error.code(),
        Some(
            "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
        )
    );
    let transient = match &error {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(_) => {
            matches!(
                error.code(),
                Some("InternalServerError" | "ServiceUnavailable")
            )
        }
        _ => false,
    };
    if throttled {
        StoreError::Throttled(Box::new(error))
    } else if transient {
        StoreError::Unavailable(Box::new(error))
    } else {
        StoreError::Failed(Box::new(error))
    }
}

fn is_condition_failure<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    matches!(error, SdkError::ServiceError(_))
        && error.code() == Some("ConditionalCheckFailedException")
}

/// The key of the idempotency record of one owner's key; hashed to a fixed length.
fn idempotency_record_id(owner: &OwnerId, key: &IdempotencyKey) -> String {
    let hash = hex_digest([owner.as_str().as_bytes(), key.as_str().as_bytes()]);
    format!("idempotency#{hash}")
}

/// Collects the clauses of an UpdateItem expression. Every attribute goes through a
/// `#name` placeholder, so no field can collide with DynamoDB's reserved words.
#[derive(Default)]
struct UpdateExpression {
    sets: Vec<String>,
    removes: Vec<String>,
    names: HashMap<String, String>,
    values: Item,
}

impl UpdateExpression {
    fn set(&mut self, attribute: &str, placeholder: &str, value: AttributeValue) {
        self.set_raw(
            &format!("#{attribute} = {placeholder}"),
            &[attribute],
            placeholder,
            value,
        );
    }

    fn set_raw(
        &mut self,
        clause: &str,
        attributes: &[&str],
        placeholder: &str,
        value: AttributeValue,
    ) {
        self.sets.push(clause.to_owned());
        for attribute in attributes {
            self.names
                .insert(format!("#{attribute}"), (*attribute).to_owned());
        }
        self.values.insert(placeholder.to_owned(), value);
    }

    fn remove(&mut self, attribute: &str) {
        self.removes.push(format!("#{attribute}"));
        self.names
            .insert(format!("#{attribute}"), attribute.to_owned());
    }

    fn build(self) -> (String, HashMap<String, String>, Item) {
        let mut expression = format!("SET {}", self.sets.join(", "));
        if !self.removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", self.removes.join(", ")));
        }
        (expression, self.names, self.values)
    }
}

impl DynamoTaskStore {
    /// After a conditional write was refused: the task as it is now, if the refusal can
    /// have come from `expected` (else, or if it is missing or someone else's, NotFound).
    /// Only used to answer; the write itself was already refused by DynamoDB.
    async fn task_after_refusal(
        &self,
        owner: &OwnerId,
        id: TaskId,
        expected: Option<Version>,
    ) -> Result<Task, StoreError> {
        // Without a version in the condition, only a missing or foreign task fails it.
        if expected.is_none() {
            return Err(StoreError::NotFound);
        }
        self.get(owner, id).await?.ok_or(StoreError::NotFound)
    }

    /// Puts a task that an idempotency record describes. If it is already there, another
    /// request for the same record put it (the id is the record's), which is the goal.
    async fn put_recorded_task(&self, task: &Task) -> Result<(), StoreError> {
        match self.create(task).await {
            Err(StoreError::AlreadyExists) => Ok(()),
            other => other,
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
    async fn replay(&self, record_id: &str, fingerprint: &str) -> Result<Creation, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("taskId", s(record_id))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        let corrupt = |reason: &str| StoreError::CorruptItem {
            task_id: record_id.to_owned(),
            reason: reason.to_owned(),
        };
        // Gone between our refused put and this read: it expired just now. Rare enough
        // that the client's retry (503) is the simplest correct answer.
        let record = output.item().ok_or_else(|| {
            StoreError::Unavailable("idempotency record expired mid-request".into())
        })?;
        if record
            .get("requestHash")
            .and_then(|v| v.as_s().ok())
            .map(String::as_str)
            != Some(fingerprint)
        {
            return Err(StoreError::IdempotencyKeyReused);
        }
        let snapshot = record
            .get("task")
            .and_then(|v| v.as_m().ok())
            .ok_or_else(|| corrupt("task snapshot is missing"))?;
        let task = from_item(snapshot)?;
        let done = record
            .get("done")
            .and_then(|v| v.as_bool().ok())
            .copied()
            .unwrap_or(false);
        if !done {
            self.put_recorded_task(&task).await?;
            self.mark_record_done(record_id).await?;
        }
        Ok(Creation::Replayed(task))
    }
}

impl TaskStore for DynamoTaskStore {
    async fn create(&self, task: &Task) -> Result<(), StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(task)))
            .condition_expression("attribute_not_exists(#taskId)")
            .expression_attribute_names("#taskId", "taskId")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Either the SDK retried a put whose first answer was lost (then the stored item
            // is exactly this task: success), or the id collides (never overwrite).
            Err(error) if is_condition_failure(&error) => {
                match self.get(&task.owner, task.id).await? {
                    Some(stored) if stored == *task => Ok(()),
                    _ => Err(StoreError::AlreadyExists),
                }
            }
            Err(error) => Err(classify(error)),
        }
    }

    async fn create_idempotent(
        &self,
        task: &Task,
        key: &IdempotencyKey,
        fingerprint: &str,
    ) -> Result<Creation, StoreError> {
        // Without transactions (so that it runs on every DynamoDB-compatible server): first
        // claim the key with a record that holds the whole task, then put the task, then
        // mark the record done. Whoever finds the key claimed finishes the recorded task
        // instead, under the same id, so concurrent duplicates create exactly one task and
        // a request that died half-way is completed by its retry.
        let record_id = idempotency_record_id(&task.owner, key);
        let expires_at = task.created_at.epoch_seconds() + IDEMPOTENCY_KEY_TTL_SECONDS;
        let claim = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("taskId", s(&record_id))
            .item("requestHash", s(fingerprint))
            .item("task", AttributeValue::M(to_item(task)))
            .item("done", AttributeValue::Bool(false))
            .item("expiresAt", AttributeValue::N(expires_at.to_string()))
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
                self.put_recorded_task(task).await?;
                self.mark_record_done(&record_id).await?;
                Ok(Creation::Created(task.clone()))
            }
            Err(error) if is_condition_failure(&error) => {
                self.replay(&record_id, fingerprint).await
            }
            Err(error) => Err(classify(error)),
        }
    }

    async fn get(&self, owner: &OwnerId, id: TaskId) -> Result<Option<Task>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("taskId", s(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        match output.item() {
            None => Ok(None),
            Some(item) => {
                let task = from_item(item)?;
                Ok((task.owner == *owner).then_some(task))
            }
        }
    }

    async fn list(&self, owner: &OwnerId, query: &ListQuery) -> Result<TaskPage, StoreError> {
        // The partition of the index is always derived from the authenticated owner here,
        // never from the cursor, so a cursor can only move within the owner's own tasks.
        let (index, partition_name, partition) = match query.status {
            None => (OWNER_INDEX, "ownerId", owner.as_str().to_owned()),
            Some(status) => (
                OWNER_STATUS_INDEX,
                "ownerStatus",
                owner_status(owner, status),
            ),
        };
        let start_key = query.after.as_ref().map(|cursor| {
            Item::from([
                ("taskId".into(), s(cursor.task_id.to_string())),
                (partition_name.into(), s(partition.clone())),
                (
                    "sortKey".into(),
                    s(sort_key(cursor.created_at, cursor.task_id)),
                ),
            ])
        });
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#partition = :partition")
            .expression_attribute_names("#partition", partition_name)
            .expression_attribute_values(":partition", s(partition))
            .scan_index_forward(false)
            .limit(i32::from(query.limit))
            .set_exclusive_start_key(start_key)
            .send()
            .await
            .map_err(classify)?;

        let tasks = output
            .items()
            .iter()
            .map(from_item)
            .collect::<Result<Vec<_>, _>>()?;
        let next = match (output.last_evaluated_key(), tasks.last()) {
            (Some(_), Some(last)) => Some(PageCursor {
                created_at: last.created_at,
                task_id: last.id,
            }),
            _ => None,
        };
        Ok(TaskPage { tasks, next })
    }

    async fn update(
        &self,
        owner: &OwnerId,
        id: TaskId,
        changes: &TaskChanges,
        expected: Option<Version>,
        now: Timestamp,
    ) -> Result<Task, StoreError> {
        // One UpdateItem: the new values are computed by DynamoDB from the stored item, so
        // two concurrent updates are both applied, never one lost half-way.
        let mut update = UpdateExpression::default();
        update.set("updatedAt", ":now", s(now.to_rfc3339()));
        update.set_raw(
            "#version = #version + :one",
            &["version"],
            ":one",
            AttributeValue::N("1".into()),
        );
        if let Some(title) = &changes.title {
            update.set("title", ":title", s(title.as_str()));
        }
        if let Some(description) = &changes.description {
            update.set("description", ":description", s(description.as_str()));
        }
        if let Some(priority) = changes.priority {
            update.set("priority", ":priority", s(priority.as_str()));
        }
        if let Some(tags) = &changes.tags {
            update.set("tags", ":tags", tags_value(tags));
        }
        match changes.due_date {
            Some(Some(due)) => update.set("dueDate", ":dueDate", s(due.to_rfc3339())),
            Some(None) => update.remove("dueDate"),
            None => {}
        }
        if let Some(status) = changes.status {
            update.set("status", ":status", s(status.as_str()));
            update.set(
                "ownerStatus",
                ":ownerStatus",
                s(owner_status(owner, status)),
            );
            if status == Status::Completed {
                // Keeps the first completion time if it was already completed.
                update.set_raw(
                    "#completedAt = if_not_exists(#completedAt, :now)",
                    &["completedAt"],
                    ":now",
                    s(now.to_rfc3339()),
                );
            } else {
                update.remove("completedAt");
            }
        }
        let (expression, mut names, mut values) = update.build();
        let mut condition = String::from("#ownerId = :owner");
        names.insert("#ownerId".into(), "ownerId".into());
        values.insert(":owner".into(), s(owner.as_str()));
        if let Some(version) = expected {
            condition.push_str(" AND #version = :expected");
            names.insert("#version".into(), "version".into());
            values.insert(":expected".into(), AttributeValue::N(version.to_string()));
        }

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
                let item = output.attributes().ok_or_else(|| StoreError::CorruptItem {
                    task_id: id.to_string(),
                    reason: "UpdateItem returned no attributes".into(),
                })?;
                from_item(item)
            }
            Err(error) if is_condition_failure(&error) => {
                let current = self.task_after_refusal(owner, id, expected).await?;
                // The SDK retried this very update after its first answer was lost: the
                // stored task is our write (next version, our timestamp, our values).
                let own_write = expected
                    .is_some_and(|version| current.version == Version::new(version.get() + 1))
                    && current.updated_at == now
                    && changes.are_reflected_in(&current);
                if own_write {
                    Ok(current)
                } else {
                    Err(StoreError::VersionMismatch {
                        current: current.version,
                    })
                }
            }
            Err(error) => Err(classify(error)),
        }
    }

    async fn delete(
        &self,
        owner: &OwnerId,
        id: TaskId,
        expected: Option<Version>,
    ) -> Result<(), StoreError> {
        let mut request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("taskId", s(id.to_string()))
            .condition_expression(match expected {
                None => "#ownerId = :owner",
                Some(_) => "#ownerId = :owner AND #version = :expected",
            })
            .expression_attribute_names("#ownerId", "ownerId")
            .expression_attribute_values(":owner", s(owner.as_str()));
        if let Some(version) = expected {
            request = request
                .expression_attribute_names("#version", "version")
                .expression_attribute_values(":expected", AttributeValue::N(version.to_string()));
        }
        match request.send().await {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failure(&error) => {
                let current = self.task_after_refusal(owner, id, expected).await?;
                Err(StoreError::VersionMismatch {
                    current: current.version,
                })
            }
            Err(error) => Err(classify(error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NewTask;

    fn sample_task() -> Task {
        let mut new = NewTask::new(Title::parse("Write report").unwrap());
        new.status = Status::Completed;
        new.due_date = Some(Timestamp::parse("2025-10-01T17:00:00Z").unwrap());
        new.tags = Tags::new(vec![Tag::parse("work").unwrap(), Tag::parse("q4").unwrap()]).unwrap();
        Task::create(
            TaskId::parse("2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b").unwrap(),
            OwnerId::parse("user-1").unwrap(),
            new,
            Timestamp::parse("2025-09-29T10:00:00Z").unwrap(),
        )
    }

    #[test]
    fn the_bundled_amazon_roots_make_a_tls_context() {
        assert_eq!(AMAZON_ROOT_CAS.matches("BEGIN CERTIFICATE").count(), 5);
        assert!(amazon_tls_context().is_ok());
    }

    #[test]
    fn a_task_survives_the_round_trip_through_an_item() {
        let task = sample_task();
        assert_eq!(from_item(&to_item(&task)).unwrap(), task);
    }

    #[test]
    fn item_carries_the_index_keys_newest_first_sortable() {
        let item = to_item(&sample_task());
        assert_eq!(
            item["sortKey"].as_s().unwrap(),
            "2025-09-29T10:00:00.000Z#2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b"
        );
        assert_eq!(item["ownerStatus"].as_s().unwrap(), "user-1#completed");
        assert_eq!(item["dueDate"].as_s().unwrap(), "2025-10-01T17:00:00.000Z");
    }

    #[test]
    fn an_item_that_breaks_the_rules_is_reported_as_corrupt() {
        let mut item = to_item(&sample_task());
        item.insert("status".into(), s("done"));
        let error = from_item(&item).unwrap_err();
        assert!(matches!(error, StoreError::CorruptItem { .. }), "{error:?}");
        assert!(error.to_string().contains("status"));
    }
}
