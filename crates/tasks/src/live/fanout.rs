//! The `live-fanout` function: one task event from the bus (an EventBridge rule's target) to
//! a hint posted to every open connection of each of its recipients ([`super::hints`]).
//!
//! All posts of an event run at once, each bounded by the sender ([`super::sender`]), so a
//! slow or failing connection delays no other. A connection found gone (410) is forgotten;
//! any other failure is logged and the connection kept (it expires by itself). Hints are
//! best effort: the function fails (and EventBridge retries the event) only when no
//! recipient's connections could be read at all; a hint delivered twice is harmless (the
//! client re-reads).

use std::sync::Arc;

use lambda_runtime::{Error, LambdaEvent};
use serde::Deserialize;
use serde_json::Value;
use tokio::task::JoinSet;

use super::connections::ConnectionStore;
use super::sender::{ConnectionSender, PostOutcome};
use super::{EventAudience, Recipient, hints};
use crate::domain::UserId;
use crate::events::{EVENT_SOURCE, TaskEventKind};

/// What became of one event's hints, for the log and the tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FanoutReport {
    /// Connections posted to, and what became of the posts.
    pub delivered: usize,
    pub gone: usize,
    pub failed: usize,
    /// Recipients whose connections could not be read.
    pub unread: usize,
}

/// What the function reads of the event EventBridge delivers.
#[derive(Clone, Debug, Deserialize)]
pub struct BusEvent {
    pub source: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub detail: Value,
}

/// One event's fan-out, from a user's connections to posts.
pub struct Fanout<C, S> {
    connections: Arc<C>,
    sender: Arc<S>,
}

impl<C, S> Fanout<C, S>
where
    C: ConnectionStore + 'static,
    S: ConnectionSender + 'static,
{
    pub fn new(connections: C, sender: S) -> Self {
        Self {
            connections: Arc::new(connections),
            sender: Arc::new(sender),
        }
    }

    /// The Lambda handler: one event from the rule.
    pub async fn handle(&self, event: LambdaEvent<BusEvent>) -> Result<(), Error> {
        let event = event.payload;
        let now = chrono::Utc::now().timestamp();
        let report = self
            .deliver_event(&event.source, &event.detail_type, event.detail, now)
            .await;
        match report {
            Some(report)
                if report.unread > 0 && report.delivered + report.gone + report.failed == 0 =>
            {
                Err("no recipient's connections could be read".into())
            }
            _ => Ok(()),
        }
    }

    /// The hints of one event, `None` if it is no task event of ours (the rule's pattern
    /// keeps others away).
    pub async fn deliver_event(
        &self,
        source: &str,
        detail_type: &str,
        detail: Value,
        now: i64,
    ) -> Option<FanoutReport> {
        let kind = TaskEventKind::parse(detail_type).ok();
        let audience = serde_json::from_value::<EventAudience>(detail);
        let (Some(kind), Ok(audience), true) = (kind, audience, source == EVENT_SOURCE) else {
            tracing::warn!(source, detail_type, "not a task event; ignored");
            return None;
        };
        let report = self.deliver(&hints(kind, &audience), now).await;
        tracing::info!(
            detail_type,
            task_id = audience.task_id,
            delivered = report.delivered,
            gone = report.gone,
            failed = report.failed,
            unread = report.unread,
            "hints posted"
        );
        Some(report)
    }

    /// Posts each recipient's hint to each of their connections unexpired at `now`.
    pub async fn deliver(&self, recipients: &[Recipient], now: i64) -> FanoutReport {
        let mut report = FanoutReport::default();
        let mut posts = JoinSet::new();
        for recipient in recipients {
            let connections = match self.connections.connections(&recipient.user, now).await {
                Ok(connections) => connections,
                Err(error) => {
                    tracing::error!(user = recipient.user.as_str(), error = %error, "cannot read the user's connections");
                    report.unread += 1;
                    continue;
                }
            };
            let frame = Arc::new(recipient.hint.to_json());
            for connection in connections {
                let (sender, frame, user) =
                    (self.sender.clone(), frame.clone(), recipient.user.clone());
                posts.spawn(async move {
                    let outcome = sender.post(&connection, &frame).await;
                    (user, connection, outcome)
                });
            }
        }
        let mut gone: Vec<(UserId, String)> = Vec::new();
        while let Some(joined) = posts.join_next().await {
            let Ok((user, connection, outcome)) = joined else {
                report.failed += 1;
                continue;
            };
            match outcome {
                PostOutcome::Delivered => report.delivered += 1,
                PostOutcome::Gone => {
                    report.gone += 1;
                    gone.push((user, connection));
                }
                PostOutcome::Failed(reason) => {
                    tracing::warn!(connection, reason, "hint not delivered");
                    report.failed += 1;
                }
            }
        }
        for (user, connection) in gone {
            if let Err(error) = self.connections.forget(&user, &connection).await {
                tracing::warn!(connection, error = %error, "cannot forget a gone connection");
            }
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;
    use std::time::Duration;

    use super::*;
    use crate::live::connections::MemoryConnections;

    /// Answers each connection as told (delivered by default), after an optional delay, and
    /// keeps what it was sent.
    #[derive(Default)]
    struct FakeSender {
        outcomes: HashMap<String, (PostOutcome, Duration)>,
        sent: Mutex<Vec<(String, String)>>,
    }

    impl ConnectionSender for FakeSender {
        async fn post(&self, connection: &str, frame: &str) -> PostOutcome {
            let (outcome, delay) = self
                .outcomes
                .get(connection)
                .cloned()
                .unwrap_or((PostOutcome::Delivered, Duration::ZERO));
            tokio::time::sleep(delay).await;
            if outcome == PostOutcome::Delivered {
                self.sent
                    .lock()
                    .unwrap()
                    .push((connection.to_owned(), frame.to_owned()));
            }
            outcome
        }
    }

    fn user(id: &str) -> UserId {
        UserId::parse(id).unwrap()
    }

    fn detail(owner: &str, assignee: Option<&str>, previous: Option<&str>) -> Value {
        serde_json::json!({
            "taskId": "t1", "ownerId": owner, "assignee": assignee,
            "previousAssignee": previous, "version": 3, "title": "secret title",
        })
    }

    #[tokio::test]
    async fn a_gone_connection_is_forgotten_and_a_slow_one_blocks_no_other() {
        let store = MemoryConnections::default();
        for connection in ["gone", "slow", "failing", "fine"] {
            store.register(&user("alice"), connection, 0).await.unwrap();
        }
        let sender = FakeSender {
            outcomes: [
                ("gone".to_owned(), (PostOutcome::Gone, Duration::ZERO)),
                (
                    "slow".to_owned(),
                    (
                        PostOutcome::Failed("timed out".into()),
                        Duration::from_millis(300),
                    ),
                ),
                (
                    "failing".to_owned(),
                    (PostOutcome::Failed("500".into()), Duration::ZERO),
                ),
                (
                    "fine".to_owned(),
                    (PostOutcome::Delivered, Duration::from_millis(300)),
                ),
            ]
            .into_iter()
            .collect(),
            ..Default::default()
        };
        let fanout = Fanout::new(store, sender);
        let started = std::time::Instant::now();
        let report = fanout
            .deliver_event(EVENT_SOURCE, "TaskUpdated", detail("alice", None, None), 1)
            .await
            .unwrap();
        assert_eq!(
            report,
            FanoutReport {
                delivered: 1,
                gone: 1,
                failed: 2,
                unread: 0
            }
        );
        // Two posts of 300 ms each: one after the other would take 600.
        assert!(
            started.elapsed() < Duration::from_millis(550),
            "posts ran one after another"
        );
        let left = fanout
            .connections
            .connections(&user("alice"), 1)
            .await
            .unwrap();
        assert_eq!(left, ["failing", "fine", "slow"]);
    }

    #[tokio::test]
    async fn other_events_are_ignored() {
        let fanout = Fanout::new(MemoryConnections::default(), FakeSender::default());
        assert!(
            fanout
                .deliver_event("elsewhere", "TaskUpdated", detail("alice", None, None), 1)
                .await
                .is_none()
        );
        assert!(
            fanout
                .deliver_event(
                    EVENT_SOURCE,
                    "TaskReminderDue",
                    detail("alice", None, None),
                    1
                )
                .await
                .is_none()
        );
        assert!(
            fanout
                .deliver_event(EVENT_SOURCE, "TaskUpdated", serde_json::json!({}), 1)
                .await
                .is_none()
        );
    }
}
