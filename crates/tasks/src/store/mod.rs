//! What the handlers need from storage, and nothing HTTP.
//!
//! Every operation is scoped to the caller: a task that is neither theirs nor shared with
//! them behaves exactly as a missing one, so callers cannot learn that it exists. Who may
//! do what is [`crate::domain::authorize`]; each store enforces it in the write itself.

mod client;
pub(crate) mod dynamodb;
pub mod items;
mod memory;

use std::future::Future;

pub(crate) use client::{AMAZON_ROOT_CAS, budget, https_client};
pub use client::{ATTEMPT_TIMEOUT, MAX_ATTEMPTS, OPERATION_TIMEOUT, client_from, dynamodb_client};
pub use dynamodb::DynamoTaskStore;
pub use memory::MemoryTaskStore;

use crate::domain::{
    IdempotencyKey, Refusal, Scope, Status, Task, TaskChanges, TaskId, Timestamp, UserId, Version,
};

/// The DynamoDB endpoint that local tooling and tests must use: `AWS_ENDPOINT_URL_DYNAMODB`,
/// and only on this machine's loopback. A missing or remote endpoint is an error, never a
/// fall-back to the real service (the SDK would otherwise pick AWS's own endpoint).
pub fn local_endpoint() -> Result<String, String> {
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB").unwrap_or_default();
    if is_loopback_url(&endpoint) {
        Ok(endpoint)
    } else {
        Err(format!(
            "AWS_ENDPOINT_URL_DYNAMODB must be a local DynamoDB on loopback \
             (http://127.0.0.1:PORT), not {endpoint:?}; source tools/local-env.sh"
        ))
    }
}

pub(crate) fn is_loopback_url(url: &str) -> bool {
    url_host(url).is_some_and(|host| {
        host.eq_ignore_ascii_case("localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    })
}

/// The host of an `http://` or `https://` URL, without brackets or port; `None` for
/// anything else, or for a URL with user info (which can make a host read as another).
pub(crate) fn url_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return None;
    }
    Some(match authority.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    })
}

/// Boxed error source kept for the log; never shown to clients.
pub type ErrorSource = Box<dyn std::error::Error + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no such task for this caller")]
    NotFound,
    /// The caller sees the task but may not make this change (an assignee).
    #[error("the caller may not change {fields:?}")]
    Forbidden { fields: Vec<&'static str> },
    #[error("the task is at version {current}")]
    VersionMismatch { current: Version },
    /// A task with this id exists already (create never overwrites).
    #[error("a task with this id already exists")]
    AlreadyExists,
    /// The owner holds as many tasks as the store allows ([`DEFAULT_TASK_LIMIT`]).
    #[error("the owner already holds {limit} tasks")]
    TaskLimitReached { limit: u32 },
    /// The idempotency key was first used with another request.
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    /// DynamoDB refused for capacity (throttling), after the SDK's retries.
    #[error("DynamoDB throttled the request")]
    Throttled(#[source] ErrorSource),
    /// A 5xx, a timeout or a refused connection, after the SDK's retries.
    #[error("DynamoDB is unavailable")]
    Unavailable(#[source] ErrorSource),
    /// Anything else the SDK reports (bad configuration, missing table, ...).
    #[error("DynamoDB request failed")]
    Failed(#[source] ErrorSource),
    /// An item that does not map back to a task (written by something else).
    #[error("stored item {task_id} is malformed: {reason}")]
    CorruptItem { task_id: String, reason: String },
}

impl From<Refusal> for StoreError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotFound => Self::NotFound,
            Refusal::Forbidden(fields) => Self::Forbidden { fields },
            Refusal::Stale { current } => Self::VersionMismatch { current },
        }
    }
}

/// Where a listing resumes: just after this task in newest-first order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageCursor {
    pub created_at: Timestamp,
    pub task_id: TaskId,
}

/// One page of the caller's own tasks, or of those shared with them, newest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    pub scope: Scope,
    pub status: Option<Status>,
    pub limit: u16,
    pub after: Option<PageCursor>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    /// Present when there may be more tasks after this page.
    pub next: Option<PageCursor>,
}

/// What an idempotent create did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Creation {
    /// This request created the task.
    Created(Task),
    /// An earlier request with the same key and request created it; this is that task as
    /// it was created.
    Replayed(Task),
}

/// How many tasks one owner may hold unless configured otherwise (`MAX_TASKS_PER_OWNER`):
/// far above a person's use, and small enough that an account's data stays cheap to list,
/// export and delete.
pub const DEFAULT_TASK_LIMIT: u32 = 10_000;

/// How long an idempotency key is remembered, in seconds.
pub const IDEMPOTENCY_KEY_TTL_SECONDS: i64 = 24 * 60 * 60;

pub trait TaskStore: Send + Sync {
    /// Stores a new task; never overwrites an existing one. Refused with
    /// [`StoreError::TaskLimitReached`] when its owner holds as many tasks as allowed.
    fn create(&self, task: &Task) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Creates `task` once per owner and key. A retry that asks for the same task (same
    /// fields, [`items::request_fingerprint`]) gets the first task back; another gets
    /// [`StoreError::IdempotencyKeyReused`]. Concurrent duplicates create exactly one task.
    /// A replay is answered even when the owner has reached the limit since.
    fn create_idempotent(
        &self,
        task: &Task,
        key: &IdempotencyKey,
    ) -> impl Future<Output = Result<Creation, StoreError>> + Send;

    /// The task with this id if the caller sees it (owner or assignee), read strongly
    /// consistently.
    fn get(
        &self,
        caller: &UserId,
        id: TaskId,
    ) -> impl Future<Output = Result<Option<Task>, StoreError>> + Send;

    /// The caller's tasks of the query's scope, newest first, from an index: cost
    /// independent of other users' tasks.
    fn list(
        &self,
        caller: &UserId,
        query: &ListQuery,
    ) -> impl Future<Output = Result<TaskPage, StoreError>> + Send;

    /// Applies `changes` atomically in one conditional write, whose condition says who may
    /// make it ([`crate::domain::authorize`]), and returns the task after it. With
    /// `expected`, applies only if the task is still at that version. A refusal is
    /// `NotFound`, `Forbidden` or `VersionMismatch`, in that order.
    fn update(
        &self,
        caller: &UserId,
        id: TaskId,
        changes: &TaskChanges,
        expected: Option<Version>,
        now: Timestamp,
    ) -> impl Future<Output = Result<Task, StoreError>> + Send;

    /// Deletes the task if the caller owns it, only at `expected` version if given.
    fn delete(
        &self,
        caller: &UserId,
        id: TaskId,
        expected: Option<Version>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What the purge of a deleted account needs beyond [`TaskStore`] (which lists the account's
/// tasks, both scopes): writes on behalf of a user who is no longer there, each conditional
/// on that user as the API's own are, so that a retried or repeated purge never touches
/// anyone else's data (`crate::account`).
pub trait AccountStore: Send + Sync {
    /// Deletes the task if `owner` owns it, and counts it down from the owner's task count
    /// as a delete does. `Ok(false)`: it was not there, or not theirs (nothing written).
    fn delete_owned(
        &self,
        owner: &UserId,
        id: TaskId,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Removes `assignee` from the task if they are still its assignee, as their decline
    /// would (`updatedAt`, `version`). `Ok(false)`: gone, or not shared with them any more.
    fn unassign(
        &self,
        assignee: &UserId,
        id: TaskId,
        now: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Deletes `owner`'s task count (`owner#<owner id>`), the last item of an account that
    /// holds no task any more.
    fn forget_owner(&self, owner: &UserId) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What a claim on delivering a reminder found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// This firing delivers it, until the lease ends; what an earlier, failed firing did
    /// already is not done again.
    Taken(DeliveryProgress),
    /// It was delivered.
    Delivered,
    /// Another firing holds the lease and is delivering it now.
    Held,
}

/// How far a delivery got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeliveryStep {
    /// The `TaskReminderDue` event was put on the bus.
    Published,
    /// This user was emailed (or has no address to email).
    Notified(UserId),
    /// The delivery is complete.
    Delivered,
}

/// What an earlier firing that failed had done already.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeliveryProgress {
    pub published: bool,
    pub notified: Vec<UserId>,
}

/// What the task-reminders function needs from storage: the task whoever it belongs to, and
/// the claim on each delivery (one per task and `remindAt`, see
/// [`items::ReminderDelivery`]). Every write is conditional on the claim, so a retried or
/// duplicate firing never delivers twice.
pub trait ReminderLedger: Send + Sync {
    /// The task with this id, whoever's it is, read strongly consistently.
    fn task(&self, id: TaskId) -> impl Future<Output = Result<Option<Task>, StoreError>> + Send;

    /// Claims the delivery `key` at `now` (epoch milliseconds) for `lease_millis`: taken if
    /// it was neither delivered nor held under a lease that has not ended.
    fn claim_delivery(
        &self,
        key: &str,
        now: i64,
        lease_millis: i64,
    ) -> impl Future<Output = Result<Claim, StoreError>> + Send;

    /// Records a step of the delivery `key`; [`DeliveryStep::Delivered`] also ends the lease.
    fn record_delivery(
        &self,
        key: &str,
        step: DeliveryStep,
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ends the lease of a delivery that failed, so that the next firing may take it at once.
    fn release_delivery(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::is_loopback_url;

    #[test]
    fn only_loopback_endpoints_count_as_local() {
        for local in [
            "http://127.0.0.1:8000",
            "http://127.3.2.1:8000/",
            "http://localhost:8000",
            "http://[::1]:8000",
        ] {
            assert!(is_loopback_url(local), "{local}");
        }
        for remote in [
            "",
            "https://dynamodb.us-east-1.amazonaws.com",
            "http://127.0.0.1.example.com:8000",
            "http://127.0.0.1@example.com",
            "http://10.0.0.5:8000",
            "127.0.0.1:8000",
        ] {
            assert!(!is_loopback_url(remote), "{remote}");
        }
    }
}
