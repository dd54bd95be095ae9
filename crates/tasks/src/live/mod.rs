//! Live updates: hints pushed to the users' open WebSocket connections when a task they can
//! read changes, so that a client re-reads it through the REST API with its own token.
//!
//! - here: which users get which hint for one task event ([`hints`]), pure and synchronous,
//!   and the messages on the wire;
//! - [`auth`]: the `$connect` authorizer's verification of a Cognito ID token against the
//!   pool's JWKS, and its IAM policy (the `live-authorizer` function);
//! - [`connections`]: a user's open connections ([`ConnectionStore`]), in the tasks table
//!   or in memory;
//! - [`sender`]: posting to a connection ([`ConnectionSender`]) through API Gateway's
//!   management API;
//! - [`socket`]: the `$connect`, `$disconnect` and default routes (the `live-socket`
//!   function);
//! - [`fanout`]: one task event from the bus to hints posted to every connection of its
//!   recipients (the `live-fanout` function).
//!
//! A hint never carries a title or any other content of the task: only its id, and for a
//! change its version. `docs/live-updates.md` describes the endpoint for its clients.

pub mod auth;
pub mod connections;
pub mod fanout;
pub mod sender;
pub mod socket;

use serde::{Deserialize, Serialize};

use crate::domain::UserId;
use crate::events::TaskEventKind;

pub use auth::{AuthError, Authorizer, IdTokenVerifier, JwksClient};
pub use connections::{ConnectionStore, DynamoConnections, MemoryConnections, Registration};
pub use fanout::Fanout;
pub use sender::{
    ConnectionSender, ManagementApiSender, PostOutcome, management_client, management_client_from,
};
pub use socket::SocketHandler;

/// The connections store and the sender of the `live-socket` and `live-fanout` functions,
/// from their configuration; built once per execution environment.
pub async fn connect(
    config: &crate::config::LiveConfig,
) -> (DynamoConnections, ManagementApiSender) {
    let connections =
        DynamoConnections::connect(&config.table_name, config.max_connections_per_user).await;
    let sender = ManagementApiSender::new(management_client(&config.management_endpoint).await);
    (connections, sender)
}

/// A hint, server to client, as one JSON text frame.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum Hint {
    /// The task was created or changed, and the user can read it: re-read it.
    #[serde(rename = "task.changed", rename_all = "camelCase")]
    Changed { task_id: String, version: u64 },
    /// The task was deleted, or the user lost access to it: drop it.
    #[serde(rename = "task.removed", rename_all = "camelCase")]
    Removed { task_id: String },
}

impl Hint {
    /// The frame's text.
    pub fn to_json(&self) -> String {
        // Serializing this plain enum cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The answer to a client's `{"type": "ping"}`.
pub const PONG: &str = r#"{"type":"pong"}"#;

/// Whether a client's frame is a ping (anything else is ignored).
pub fn is_ping(body: &str) -> bool {
    #[derive(Deserialize)]
    struct Frame<'a> {
        #[serde(borrow, rename = "type")]
        kind: Option<std::borrow::Cow<'a, str>>,
    }
    serde_json::from_str::<Frame>(body).is_ok_and(|frame| frame.kind.as_deref() == Some("ping"))
}

/// What the fan-out reads of a task event's `detail` (`crate::events::TaskEvent::detail`):
/// who can read the task, who could before, and its version. The rest of the detail (the
/// title, the description...) is never read, so it cannot reach a hint.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventAudience {
    pub task_id: String,
    pub owner_id: String,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default)]
    pub previous_assignee: Option<String>,
    pub version: u64,
}

/// One user's hint for one event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recipient {
    pub user: UserId,
    pub hint: Hint,
}

/// Who gets which hint for an event of kind `kind` (its `detail-type`) about `audience`:
///
/// - a deleted task: `task.removed` to its owner and its assignee;
/// - any other event: `task.changed` with the new version to the owner and the assignee,
///   and `task.removed` to the previous assignee if they are neither now (reassigned,
///   cleared, declined).
///
/// Each user gets one hint, in that order; an id that is not a valid user id is skipped.
pub fn hints(kind: TaskEventKind, audience: &EventAudience) -> Vec<Recipient> {
    let task_id = &audience.task_id;
    let changed = || match kind {
        TaskEventKind::Deleted => Hint::Removed {
            task_id: task_id.clone(),
        },
        _ => Hint::Changed {
            task_id: task_id.clone(),
            version: audience.version,
        },
    };
    let removed = || Hint::Removed {
        task_id: task_id.clone(),
    };
    let mut candidates = vec![(Some(&audience.owner_id), changed())];
    candidates.push((audience.assignee.as_ref(), changed()));
    candidates.push((audience.previous_assignee.as_ref(), removed()));
    let mut recipients: Vec<Recipient> = Vec::new();
    for (user, hint) in candidates {
        let Some(user) = user.and_then(|raw| UserId::parse(raw).ok()) else {
            continue;
        };
        if recipients.iter().any(|seen| seen.user == user) {
            continue;
        }
        recipients.push(Recipient { user, hint });
    }
    recipients
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::TaskEvent;
    use crate::events::tests::pending_task;

    fn audience(owner: &str, assignee: Option<&str>, previous: Option<&str>) -> EventAudience {
        EventAudience {
            task_id: "t1".into(),
            owner_id: owner.into(),
            assignee: assignee.map(str::to_owned),
            previous_assignee: previous.map(str::to_owned),
            version: 7,
        }
    }

    fn plan(kind: TaskEventKind, audience: &EventAudience) -> Vec<(String, String)> {
        hints(kind, audience)
            .into_iter()
            .map(|r| (r.user.as_str().to_owned(), r.hint.to_json()))
            .collect()
    }

    const CHANGED: &str = r#"{"type":"task.changed","taskId":"t1","version":7}"#;
    const REMOVED: &str = r#"{"type":"task.removed","taskId":"t1"}"#;

    fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
        expected
            .iter()
            .map(|(u, h)| (u.to_string(), h.to_string()))
            .collect()
    }

    #[test]
    fn owner_and_assignee_get_the_change_with_its_version() {
        assert_eq!(
            plan(TaskEventKind::Created, &audience("alice", None, None)),
            pairs(&[("alice", CHANGED)])
        );
        assert_eq!(
            plan(
                TaskEventKind::Updated,
                &audience("alice", Some("bob"), Some("bob"))
            ),
            pairs(&[("alice", CHANGED), ("bob", CHANGED)])
        );
        assert_eq!(
            plan(
                TaskEventKind::Assigned,
                &audience("alice", Some("bob"), None)
            ),
            pairs(&[("alice", CHANGED), ("bob", CHANGED)])
        );
    }

    #[test]
    fn the_previous_assignee_who_lost_access_gets_removed() {
        // Reassigned from carol to bob.
        assert_eq!(
            plan(
                TaskEventKind::Assigned,
                &audience("alice", Some("bob"), Some("carol"))
            ),
            pairs(&[("alice", CHANGED), ("bob", CHANGED), ("carol", REMOVED)])
        );
        // Cleared by the owner, or declined by the assignee.
        assert_eq!(
            plan(
                TaskEventKind::Unassigned,
                &audience("alice", None, Some("carol"))
            ),
            pairs(&[("alice", CHANGED), ("carol", REMOVED)])
        );
    }

    #[test]
    fn a_deleted_task_is_removed_for_owner_and_assignee() {
        assert_eq!(
            plan(
                TaskEventKind::Deleted,
                &audience("alice", Some("bob"), Some("bob"))
            ),
            pairs(&[("alice", REMOVED), ("bob", REMOVED)])
        );
    }

    #[test]
    fn each_user_gets_one_hint_and_invalid_ids_none() {
        assert_eq!(
            plan(
                TaskEventKind::Assigned,
                &audience("alice", Some("alice"), Some("alice"))
            ),
            pairs(&[("alice", CHANGED)])
        );
        assert_eq!(
            plan(TaskEventKind::Updated, &audience("", Some(""), None)),
            pairs(&[])
        );
    }

    #[test]
    fn hints_from_a_real_event_detail_carry_no_content() {
        let mut task = pending_task();
        task.assignee = Some(UserId::parse("bob").unwrap());
        let mut old = task.clone();
        old.assignee = Some(UserId::parse("carol").unwrap());
        let event = TaskEvent::of_change(Some(old), Some(task.clone()), "1".into()).unwrap();
        let detail = event.detail();
        let audience: EventAudience = serde_json::from_str(&detail).unwrap();
        let recipients = hints(event.kind, &audience);
        assert_eq!(recipients.len(), 3);
        for recipient in recipients {
            let frame: serde_json::Value = serde_json::from_str(&recipient.hint.to_json()).unwrap();
            let keys: Vec<&str> = frame
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            assert!(
                keys == ["taskId", "type", "version"] || keys == ["taskId", "type"],
                "{keys:?}"
            );
            assert!(!recipient.hint.to_json().contains(task.title.as_str()));
        }
    }

    #[test]
    fn only_a_ping_is_a_ping() {
        assert!(is_ping(r#"{"type":"ping"}"#));
        assert!(is_ping(r#"{"type": "ping", "extra": 1}"#));
        for other in [
            r#"{"type":"pong"}"#,
            r#"{"kind":"ping"}"#,
            "ping",
            "",
            r#"{"type":1}"#,
        ] {
            assert!(!is_ping(other), "{other}");
        }
    }
}
