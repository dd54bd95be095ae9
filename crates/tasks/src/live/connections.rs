//! A user's open WebSocket connections: registered at `$connect` (refused past the per-user
//! cap), forgotten at `$disconnect` or when a post finds the connection gone, listed by the
//! fan-out.
//!
//! In DynamoDB, each user's connections are one item of the tasks table, keyed
//! `connections#<userId>`, holding a map of connection id to expiry (epoch seconds), so no
//! index is added: the fan-out reads a user's connections with one consistent GetItem.
//! Registering reads the item, drops the expired entries, checks the cap and writes the item
//! back under a condition on its `revision` (or its absence), retrying on a conflict, so two
//! tabs connecting at once cannot pass the cap together. An entry expires after
//! [`CONNECTION_TTL_SECONDS`] (API Gateway closes any connection within two hours), so a
//! connection whose `$disconnect` was lost stops counting by itself; the item's `expiresAt`
//! (the table's TTL attribute) is its latest entry's expiry, so a user who is gone leaves
//! nothing behind. The item has no `ownerId`, so the stream's filter keeps it from
//! task-events, and its key is no task id, so no task read reaches it.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Mutex;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::domain::UserId;
use crate::store::StoreError;
use crate::store::dynamodb::{classify, is_condition_failure};
pub use crate::store::items::{CONNECTIONS_KEY_PREFIX, ConnectionsItem, connections_key};

/// How long a connection counts, from `$connect`: API Gateway's longest connection.
pub const CONNECTION_TTL_SECONDS: i64 = 2 * 60 * 60;

/// How many connections one user may hold open by default: a few devices with a few tabs
/// each. The next `$connect` is refused until one closes or expires.
pub const DEFAULT_MAX_CONNECTIONS_PER_USER: usize = 10;

/// How often registering retries after another write to the same user's item won.
const REGISTER_ATTEMPTS: usize = 5;

/// What became of a `$connect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Registration {
    Registered,
    /// The user already holds `open` unexpired connections, the cap.
    Refused {
        open: usize,
    },
}

pub trait ConnectionStore: Send + Sync {
    /// Adds `connection` to `user`'s connections at `now` (epoch seconds), unless they hold
    /// the cap already.
    fn register(
        &self,
        user: &UserId,
        connection: &str,
        now: i64,
    ) -> impl Future<Output = Result<Registration, StoreError>> + Send;

    /// Removes `connection` from `user`'s connections; nothing if it is not there.
    fn forget(
        &self,
        user: &UserId,
        connection: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// `user`'s connections unexpired at `now`, in id order.
    fn connections(
        &self,
        user: &UserId,
        now: i64,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
}

/// The entries of `connections` unexpired at `now`.
fn live_entries(connections: &BTreeMap<String, i64>, now: i64) -> BTreeMap<String, i64> {
    connections
        .iter()
        .filter(|(_, expires)| **expires > now)
        .map(|(id, expires)| (id.clone(), *expires))
        .collect()
}

/// The entries after `connection` joins them at `now`: the expired ones dropped, and the
/// new one (or one registered again) counted once; refused if `cap` are open already.
fn admit(
    connections: &BTreeMap<String, i64>,
    connection: &str,
    now: i64,
    cap: usize,
) -> Result<BTreeMap<String, i64>, Registration> {
    let mut entries = live_entries(connections, now);
    entries.remove(connection);
    if entries.len() >= cap {
        return Err(Registration::Refused {
            open: entries.len(),
        });
    }
    entries.insert(connection.to_owned(), now + CONNECTION_TTL_SECONDS);
    Ok(entries)
}

/// The connections in the tasks table.
#[derive(Clone, Debug)]
pub struct DynamoConnections {
    client: Client,
    table: String,
    cap: usize,
}

impl DynamoConnections {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            cap: DEFAULT_MAX_CONNECTIONS_PER_USER,
        }
    }

    /// The same store, allowing each user `cap` connections.
    pub fn with_cap(self, cap: usize) -> Self {
        Self { cap, ..self }
    }

    /// The store of `table`, with the DynamoDB client of the API functions.
    pub async fn connect(table: &str, cap: usize) -> Self {
        Self::new(crate::store::dynamodb_client().await, table).with_cap(cap)
    }

    async fn read(&self, user: &UserId) -> Result<Option<ConnectionsItem>, StoreError> {
        let key = connections_key(user);
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("taskId", AttributeValue::S(key.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(classify)?;
        output
            .item
            .map(|item| {
                serde_dynamo::from_item(item).map_err(|error| StoreError::CorruptItem {
                    task_id: key.clone(),
                    reason: error.to_string(),
                })
            })
            .transpose()
    }
}

impl ConnectionStore for DynamoConnections {
    async fn register(
        &self,
        user: &UserId,
        connection: &str,
        now: i64,
    ) -> Result<Registration, StoreError> {
        for _ in 0..REGISTER_ATTEMPTS {
            let read = self.read(user).await?;
            let revision = read.as_ref().map(|item| item.revision);
            let entries = read.map(|item| item.connections).unwrap_or_default();
            let entries = match admit(&entries, connection, now, self.cap) {
                Ok(entries) => entries,
                Err(refused) => return Ok(refused),
            };
            let item = ConnectionsItem {
                task_id: connections_key(user),
                expires_at: entries.values().copied().max().unwrap_or(now),
                connections: entries,
                revision: revision.map_or(1, |r| r + 1),
            };
            let item: HashMap<String, AttributeValue> =
                serde_dynamo::to_item(item).map_err(|error| StoreError::CorruptItem {
                    task_id: connections_key(user),
                    reason: error.to_string(),
                })?;
            let put = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item));
            let put = match revision {
                None => put.condition_expression("attribute_not_exists(taskId)"),
                Some(revision) => put
                    .condition_expression("revision = :read")
                    .expression_attribute_values(":read", AttributeValue::N(revision.to_string())),
            };
            match put.send().await {
                Ok(_) => return Ok(Registration::Registered),
                // Another connect or disconnect of this user wrote first: read again.
                Err(error) if is_condition_failure(&error) => continue,
                Err(error) => return Err(classify(error)),
            }
        }
        Err(StoreError::Unavailable(
            "the user's connections kept changing while registering".into(),
        ))
    }

    async fn forget(&self, user: &UserId, connection: &str) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("taskId", AttributeValue::S(connections_key(user)))
            .update_expression("REMOVE #connections.#id ADD revision :one")
            // Never creates the item: a user without one has nothing to forget.
            .condition_expression("attribute_exists(taskId)")
            .expression_attribute_names("#connections", "connections")
            .expression_attribute_names("#id", connection)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_condition_failure(&error) => Ok(()),
            Err(error) => Err(classify(error)),
        }
    }

    async fn connections(&self, user: &UserId, now: i64) -> Result<Vec<String>, StoreError> {
        Ok(self
            .read(user)
            .await?
            .map(|item| live_entries(&item.connections, now).into_keys().collect())
            .unwrap_or_default())
    }
}

/// The connections in memory: unit tests, and stores without DynamoDB.
#[derive(Debug)]
pub struct MemoryConnections {
    users: Mutex<HashMap<UserId, BTreeMap<String, i64>>>,
    cap: usize,
}

impl Default for MemoryConnections {
    fn default() -> Self {
        Self::with_cap(DEFAULT_MAX_CONNECTIONS_PER_USER)
    }
}

impl MemoryConnections {
    pub fn with_cap(cap: usize) -> Self {
        Self {
            users: Mutex::default(),
            cap,
        }
    }

    fn users(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, BTreeMap<String, i64>>> {
        self.users
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl ConnectionStore for MemoryConnections {
    async fn register(
        &self,
        user: &UserId,
        connection: &str,
        now: i64,
    ) -> Result<Registration, StoreError> {
        let mut users = self.users();
        let entries = users.entry(user.clone()).or_default();
        match admit(entries, connection, now, self.cap) {
            Ok(admitted) => {
                *entries = admitted;
                Ok(Registration::Registered)
            }
            Err(refused) => Ok(refused),
        }
    }

    async fn forget(&self, user: &UserId, connection: &str) -> Result<(), StoreError> {
        if let Some(entries) = self.users().get_mut(user) {
            entries.remove(connection);
        }
        Ok(())
    }

    async fn connections(&self, user: &UserId, now: i64) -> Result<Vec<String>, StoreError> {
        Ok(self
            .users()
            .get(user)
            .map(|entries| live_entries(entries, now).into_keys().collect())
            .unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    #[tokio::test]
    async fn the_memory_store_caps_forgets_and_expires() {
        let store = MemoryConnections::with_cap(2);
        let alice = user("alice");
        assert_eq!(
            store.register(&alice, "a", 100).await.unwrap(),
            Registration::Registered
        );
        assert_eq!(
            store.register(&alice, "b", 100).await.unwrap(),
            Registration::Registered
        );
        assert_eq!(
            store.register(&alice, "c", 100).await.unwrap(),
            Registration::Refused { open: 2 }
        );
        // Another user has their own cap.
        assert_eq!(
            store.register(&user("bob"), "d", 100).await.unwrap(),
            Registration::Registered
        );
        store.forget(&alice, "a").await.unwrap();
        store.forget(&alice, "never-there").await.unwrap();
        assert_eq!(store.connections(&alice, 100).await.unwrap(), ["b"]);
        // Past the TTL, a connection neither counts nor receives.
        let later = 100 + CONNECTION_TTL_SECONDS;
        assert!(store.connections(&alice, later).await.unwrap().is_empty());
        assert_eq!(
            store.register(&alice, "e", later).await.unwrap(),
            Registration::Registered
        );
        assert_eq!(
            store.register(&alice, "f", later).await.unwrap(),
            Registration::Registered
        );
    }

    #[test]
    fn the_item_round_trips_with_its_layout() {
        let item = ConnectionsItem {
            task_id: connections_key(&user("alice")),
            connections: [("c1".to_owned(), 50)].into_iter().collect(),
            revision: 3,
            expires_at: 50,
        };
        let stored: HashMap<String, AttributeValue> = serde_dynamo::to_item(item.clone()).unwrap();
        let mut names: Vec<&str> = stored.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, ["connections", "expiresAt", "revision", "taskId"]);
        assert_eq!(stored["taskId"].as_s().unwrap(), "connections#alice");
        assert_eq!(
            serde_dynamo::from_item::<_, ConnectionsItem>(stored).unwrap(),
            item
        );
    }
}
