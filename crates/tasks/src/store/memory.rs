//! An in-memory [`TaskStore`], for running the handlers with nothing started (plain
//! `cargo test`). It keeps the contract of the trait: caller scoping and the permission
//! table, conditional writes, idempotent creates and newest-first listing of both scopes; `make test` runs the same handler tests
//! against the DynamoDB store, and the DynamoDB-only tests (faults, races, indexes) there.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use super::items::{idempotency_record_id, request_fingerprint, sort_key};
use super::{
    AccountStore, Claim, Creation, DEFAULT_TASK_LIMIT, DeliveryProgress, DeliveryStep,
    IDEMPOTENCY_KEY_TTL_SECONDS, ListQuery, PageCursor, ReminderLedger, StoreError, TaskPage,
    TaskStore,
};
use crate::domain::{
    IdempotencyKey, Scope, Task, TaskChanges, TaskId, Timestamp, UserId, Version, Write, authorize,
};

#[derive(Debug)]
pub struct MemoryTaskStore {
    state: Mutex<State>,
    /// How many tasks one owner may hold.
    task_limit: u32,
}

impl Default for MemoryTaskStore {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            task_limit: DEFAULT_TASK_LIMIT,
        }
    }
}

#[derive(Debug, Default)]
struct State {
    tasks: HashMap<TaskId, Task>,
    /// Idempotency records: the request's fingerprint, the task it created, when it expires.
    records: HashMap<String, (String, Task, i64)>,
    /// Reminder deliveries by key: the lease's end, what was done, whether complete.
    deliveries: HashMap<String, Delivery>,
}

#[derive(Debug, Default)]
struct Delivery {
    lease_until: Option<i64>,
    progress: DeliveryProgress,
    delivered: bool,
}

impl MemoryTaskStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// The same store, allowing each owner `limit` tasks.
    pub fn with_task_limit(self, limit: u32) -> Self {
        Self {
            task_limit: limit,
            ..self
        }
    }

    /// Refuses a new task of `owner` who holds the limit already.
    fn check_limit(&self, state: &State, owner: &UserId) -> Result<(), StoreError> {
        let held = state.tasks.values().filter(|t| t.owner == *owner).count();
        if held >= self.task_limit as usize {
            return Err(StoreError::TaskLimitReached {
                limit: self.task_limit,
            });
        }
        Ok(())
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave a half-written task: every change
        // is one insert or remove.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl State {
    /// Checks `write` against the task as it is now, under the lock: the same rules that
    /// the DynamoDB store's conditions state.
    fn authorize(
        &self,
        caller: &UserId,
        id: TaskId,
        write: Write<'_>,
        expected: Option<Version>,
    ) -> Result<&Task, StoreError> {
        let task = self.tasks.get(&id);
        authorize(task, caller, write, expected)?;
        task.ok_or(StoreError::NotFound)
    }
}

impl TaskStore for MemoryTaskStore {
    async fn create(&self, task: &Task) -> Result<(), StoreError> {
        let mut state = self.state();
        if state.tasks.contains_key(&task.id) {
            return Err(StoreError::AlreadyExists);
        }
        self.check_limit(&state, &task.owner)?;
        state.tasks.insert(task.id, task.clone());
        Ok(())
    }

    async fn create_idempotent(
        &self,
        task: &Task,
        key: &IdempotencyKey,
    ) -> Result<Creation, StoreError> {
        let record_id = idempotency_record_id(&task.owner, key);
        let fingerprint = request_fingerprint(task);
        let now = task.created_at.epoch_seconds();
        let mut state = self.state();
        if let Some((recorded, first, expires_at)) = state.records.get(&record_id)
            && *expires_at >= now
        {
            return if *recorded == fingerprint {
                Ok(Creation::Replayed(first.clone()))
            } else {
                Err(StoreError::IdempotencyKeyReused)
            };
        }
        if state.tasks.contains_key(&task.id) {
            return Err(StoreError::AlreadyExists);
        }
        self.check_limit(&state, &task.owner)?;
        state.records.insert(
            record_id,
            (fingerprint, task.clone(), now + IDEMPOTENCY_KEY_TTL_SECONDS),
        );
        state.tasks.insert(task.id, task.clone());
        Ok(Creation::Created(task.clone()))
    }

    async fn get(&self, caller: &UserId, id: TaskId) -> Result<Option<Task>, StoreError> {
        let state = self.state();
        let task = state.tasks.get(&id).filter(|t| t.is_visible_to(caller));
        Ok(task.cloned())
    }

    async fn list(&self, caller: &UserId, query: &ListQuery) -> Result<TaskPage, StoreError> {
        let state = self.state();
        let after = query
            .after
            .as_ref()
            .map(|cursor| sort_key(cursor.created_at, cursor.task_id));
        // Newest first, as the indexes' sort key orders them.
        let mut tasks: Vec<(String, &Task)> = state
            .tasks
            .values()
            .filter(|task| match query.scope {
                Scope::Owned => task.owner == *caller,
                Scope::Assigned => task.assignee.as_ref() == Some(caller),
            })
            .filter(|task| query.status.is_none_or(|status| task.status == status))
            .map(|task| (sort_key(task.created_at, task.id), task))
            .filter(|(key, _)| after.as_ref().is_none_or(|after| key < after))
            .collect();
        tasks.sort_by(|(a, _), (b, _)| b.cmp(a));
        let limit = usize::from(query.limit);
        let more = tasks.len() > limit;
        let page: Vec<Task> = tasks
            .into_iter()
            .take(limit)
            .map(|(_, task)| task.clone())
            .collect();
        let next = page.last().filter(|_| more).map(|last| PageCursor {
            created_at: last.created_at,
            task_id: last.id,
        });
        Ok(TaskPage { tasks: page, next })
    }

    async fn update(
        &self,
        caller: &UserId,
        id: TaskId,
        changes: &TaskChanges,
        expected: Option<Version>,
        now: Timestamp,
    ) -> Result<Task, StoreError> {
        let mut state = self.state();
        let current = state.authorize(caller, id, Write::Update(changes), expected)?;
        let updated = current.apply(changes, now);
        state.tasks.insert(id, updated.clone());
        Ok(updated)
    }

    async fn delete(
        &self,
        caller: &UserId,
        id: TaskId,
        expected: Option<Version>,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        state.authorize(caller, id, Write::Delete, expected)?;
        state.tasks.remove(&id);
        Ok(())
    }
}

impl AccountStore for MemoryTaskStore {
    async fn delete_owned(&self, owner: &UserId, id: TaskId) -> Result<bool, StoreError> {
        let mut state = self.state();
        if state
            .tasks
            .get(&id)
            .is_some_and(|task| task.owner == *owner)
        {
            state.tasks.remove(&id);
            return Ok(true);
        }
        Ok(false)
    }

    async fn unassign(
        &self,
        assignee: &UserId,
        id: TaskId,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut state = self.state();
        let Some(task) = state
            .tasks
            .get(&id)
            .filter(|task| task.assignee.as_ref() == Some(assignee))
        else {
            return Ok(false);
        };
        let decline = TaskChanges {
            assignee: Some(None),
            ..TaskChanges::default()
        };
        let declined = task.apply(&decline, now);
        state.tasks.insert(id, declined);
        Ok(true)
    }

    /// This store keeps no counts (it counts the owner's tasks when asked).
    async fn forget_owner(&self, _owner: &UserId) -> Result<(), StoreError> {
        Ok(())
    }
}

impl ReminderLedger for MemoryTaskStore {
    async fn task(&self, id: TaskId) -> Result<Option<Task>, StoreError> {
        Ok(self.state().tasks.get(&id).cloned())
    }

    async fn claim_delivery(
        &self,
        key: &str,
        now: i64,
        lease_millis: i64,
    ) -> Result<Claim, StoreError> {
        let mut state = self.state();
        let delivery = state.deliveries.entry(key.to_owned()).or_default();
        if delivery.delivered {
            return Ok(Claim::Delivered);
        }
        if delivery.lease_until.is_some_and(|until| until >= now) {
            return Ok(Claim::Held);
        }
        delivery.lease_until = Some(now + lease_millis);
        Ok(Claim::Taken(delivery.progress.clone()))
    }

    async fn record_delivery(
        &self,
        key: &str,
        step: DeliveryStep,
        _now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut state = self.state();
        let delivery = state
            .deliveries
            .get_mut(key)
            .ok_or_else(|| StoreError::CorruptItem {
                task_id: key.to_owned(),
                reason: "a step of a delivery that was never claimed".into(),
            })?;
        match step {
            DeliveryStep::Published => delivery.progress.published = true,
            DeliveryStep::Notified(user) => delivery.progress.notified.push(user),
            DeliveryStep::Delivered => {
                delivery.delivered = true;
                delivery.lease_until = None;
            }
        }
        Ok(())
    }

    async fn release_delivery(&self, key: &str) -> Result<(), StoreError> {
        if let Some(delivery) = self.state().deliveries.get_mut(key) {
            delivery.lease_until = None;
        }
        Ok(())
    }
}
