//! Reminders: a task's `remindAt`, delivered once when it is due.
//!
//! - here: what a write does to a task's reminder ([`ReminderChange`]), when a schedule
//!   fires ([`fire_at`]), whether a firing is still due ([`is_due`]), and the firing's input
//!   ([`ReminderInput`]); pure and synchronous;
//! - [`schedule`]: what task-events needs to keep one schedule per task ([`ReminderSchedules`])
//!   and its EventBridge Scheduler implementation;
//! - [`delivery`]: the task-reminders function: one firing to at most one delivery;
//! - [`mail`]: the recipients' addresses (the user pool) and the email (SES).
//!
//! The flow: every committed write reaches task-events through the table's stream; it
//! compares the reminder wanted before and after the write and creates, moves or deletes the
//! task's one schedule (`reminder-<taskId>`). The schedule fires task-reminders with the task
//! id and the `remindAt` it was made for; task-reminders re-reads the task and delivers only
//! if that reminder is still due. A reminder that is already past when its record is read (a
//! slow stream) is handed to task-reminders at once instead. Only committed writes schedule
//! anything, and the API functions do no more work than before.

pub mod delivery;
pub mod mail;
pub mod schedule;

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{Status, Task, TaskId, Timestamp};

pub use delivery::{DeliveryHandler, DeliveryOutcome};
pub use schedule::{ReminderSchedules, SchedulerReminders};

pub use crate::config::RemindersConfig;

/// The `detail-type` of a delivered reminder on the task bus.
pub const REMINDER_DUE: &str = "TaskReminderDue";

/// A schedule is made at least this long before it fires: Scheduler refuses a time that has
/// passed by the time the request arrives.
const SCHEDULE_LEAD: Duration = Duration::seconds(5);

/// A firing this much before its `remindAt` still counts as on time: the clocks of Scheduler
/// and Lambda are not ours. Schedules fire at whole minutes no earlier than `remindAt`.
const CLOCK_SKEW: Duration = Duration::seconds(2);

/// The reminder a task wants: its `remindAt`, unless it is completed (or gone).
pub fn wanted(task: Option<&Task>) -> Option<Timestamp> {
    task.filter(|task| task.status != Status::Completed)
        .and_then(|task| task.remind_at)
}

/// What one write does to the task's reminder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReminderChange {
    /// Nothing to do: the same reminder is wanted as before (or none, before and after).
    Keep,
    /// Remove the task's schedule: no reminder is wanted any more (cleared, completed,
    /// deleted), or the one wanted had passed when the write made it wanted.
    Cancel,
    /// Create or move the task's schedule.
    Schedule(ReminderInput),
    /// The reminder was wanted before its time but its record is read after it (a slow
    /// stream): deliver it now, through the same function a schedule fires.
    DeliverNow(ReminderInput),
}

impl ReminderChange {
    /// The change from `old` to `new` (`None`: no such task before, or after), read at `now`.
    pub fn of(old: Option<&Task>, new: Option<&Task>, now: DateTime<Utc>) -> Self {
        let (before, after) = (wanted(old), wanted(new));
        if before == after {
            return ReminderChange::Keep;
        }
        let cancel = if before.is_some() {
            ReminderChange::Cancel
        } else {
            ReminderChange::Keep
        };
        match (after, new) {
            (Some(at), Some(task)) => {
                // Wanted only from this write on, but already past then: a task reopened
                // after its reminder's time. It was not due when the time passed (the task
                // was completed then), so it is not delivered now either.
                if at <= task.updated_at {
                    return cancel;
                }
                let input = ReminderInput::new(task.id, at);
                if at.as_datetime() <= now {
                    ReminderChange::DeliverNow(input)
                } else {
                    ReminderChange::Schedule(input)
                }
            }
            _ => cancel,
        }
    }
}

/// When a schedule for `remind_at`, made at `now`, fires: `remind_at` rounded up to the
/// whole minute (Scheduler's `at()` fires at minute precision, never before the minute it
/// names), a minute later if that is too close to `now` to be accepted.
pub fn fire_at(remind_at: Timestamp, now: DateTime<Utc>) -> DateTime<Utc> {
    let at = remind_at.as_datetime();
    let floor = at.duration_trunc(Duration::minutes(1)).unwrap_or(at);
    let mut fire = if floor == at {
        at
    } else {
        floor + Duration::minutes(1)
    };
    while fire < now + SCHEDULE_LEAD {
        fire += Duration::minutes(1);
    }
    fire
}

/// Scheduler's one-time expression for `at` (UTC; the schedule names its time zone).
pub fn at_expression(at: DateTime<Utc>) -> String {
    format!("at({})", at.format("%Y-%m-%dT%H:%M:%S"))
}

/// The name of a task's one schedule: derived from the task, so that a retried stream batch
/// updates the schedule it made instead of making a second one.
pub fn schedule_name(task: TaskId) -> String {
    format!("reminder-{task}")
}

/// What a schedule (or task-events, for a late reminder) invokes task-reminders with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReminderInput {
    pub task_id: String,
    /// As stored and shown: UTC with milliseconds.
    pub remind_at: String,
}

impl ReminderInput {
    pub fn new(task: TaskId, remind_at: Timestamp) -> Self {
        Self {
            task_id: task.to_string(),
            remind_at: remind_at.to_rfc3339(),
        }
    }

    /// The input as JSON, as the schedule carries it.
    pub fn to_json(&self) -> String {
        // Two strings: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The task and the reminder's time, validated.
    pub fn parse(&self) -> Result<(TaskId, Timestamp), String> {
        let task = TaskId::parse(&self.task_id).map_err(|reason| format!("taskId {reason}"))?;
        let at =
            Timestamp::parse(&self.remind_at).map_err(|reason| format!("remindAt {reason}"))?;
        Ok((task, at))
    }
}

/// Whether a firing for `remind_at` delivers, with the task as it is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    Yes,
    /// The task is gone, completed, or has another `remindAt`: this reminder is stale.
    No(&'static str),
    /// Fired before its time (never expected): retried later rather than delivered early.
    Early,
}

/// A firing for `remind_at` is due if the task still exists, is not completed, still has
/// that `remindAt`, and the time has come.
pub fn is_due(task: Option<&Task>, remind_at: Timestamp, now: DateTime<Utc>) -> Due {
    let Some(task) = task else {
        return Due::No("the task was deleted");
    };
    if task.status == Status::Completed {
        return Due::No("the task is completed");
    }
    if task.remind_at != Some(remind_at) {
        return Due::No("the task's reminder was moved or cleared");
    }
    if remind_at.as_datetime() > now + CLOCK_SKEW {
        return Due::Early;
    }
    Due::Yes
}

/// Names one delivery: one per task and `remindAt`. It is the claim's key in the table and
/// the event's `dedupKey`, so a consumer that sees a delivery twice drops the copy.
pub fn delivery_key(task: TaskId, remind_at: Timestamp) -> String {
    format!(
        "{}{task}#{}",
        crate::store::items::REMINDER_KEY_PREFIX,
        remind_at.to_rfc3339()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{TaskChanges, Title, UserId, Version};

    fn at(raw: &str) -> Timestamp {
        Timestamp::parse(raw).unwrap()
    }

    fn time(raw: &str) -> DateTime<Utc> {
        at(raw).as_datetime()
    }

    /// A pending task written at 10:00 with a reminder at `remind_at`.
    fn task(remind_at: Option<&str>) -> Task {
        let fields = TaskChanges {
            remind_at: Some(remind_at.map(at)),
            ..Default::default()
        };
        Task::create(
            TaskId::parse("2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b").unwrap(),
            UserId::parse("owner").unwrap(),
            Title::parse("Call the bank").unwrap(),
            &fields,
            at("2026-12-07T10:00:00Z"),
        )
    }

    /// `task` after a write at `when` that sets `changes`.
    fn written(task: &Task, changes: TaskChanges, when: &str) -> Task {
        task.apply(&changes, at(when))
    }

    fn status(status: Status) -> TaskChanges {
        TaskChanges {
            status: Some(status),
            ..Default::default()
        }
    }

    const NOON: &str = "2026-12-07T12:00:00.000Z";

    fn schedule(remind_at: &str) -> ReminderChange {
        ReminderChange::Schedule(ReminderInput::new(task(None).id, at(remind_at)))
    }

    #[test]
    fn each_write_has_its_effect_on_the_schedule() {
        let now = time("2026-12-07T10:00:01Z");
        let none = task(None);
        let reminded = task(Some(NOON));
        let moved = written(
            &reminded,
            TaskChanges {
                remind_at: Some(Some(at("2026-12-07T13:00:00Z"))),
                ..Default::default()
            },
            "2026-12-07T10:00:01Z",
        );
        let cleared = written(
            &reminded,
            TaskChanges {
                remind_at: Some(None),
                ..Default::default()
            },
            "2026-12-07T10:00:01Z",
        );
        let completed = written(&reminded, status(Status::Completed), "2026-12-07T10:00:01Z");
        let reopened = written(&completed, status(Status::Pending), "2026-12-07T10:00:02Z");
        let retitled = written(
            &reminded,
            TaskChanges {
                title: Some(Title::parse("Call the bank today").unwrap()),
                ..Default::default()
            },
            "2026-12-07T10:00:01Z",
        );
        let reassigned = written(
            &reminded,
            TaskChanges {
                assignee: Some(Some(UserId::parse("assignee").unwrap())),
                ..Default::default()
            },
            "2026-12-07T10:00:01Z",
        );
        let of = |old: Option<&Task>, new: Option<&Task>| ReminderChange::of(old, new, now);

        assert_eq!(
            of(None, Some(&reminded)),
            schedule(NOON),
            "created with one"
        );
        assert_eq!(
            of(None, Some(&none)),
            ReminderChange::Keep,
            "created without"
        );
        assert_eq!(of(Some(&none), Some(&reminded)), schedule(NOON), "set");
        assert_eq!(
            of(Some(&reminded), Some(&moved)),
            schedule("2026-12-07T13:00:00Z"),
            "moved"
        );
        assert_eq!(
            of(Some(&reminded), Some(&cleared)),
            ReminderChange::Cancel,
            "cleared"
        );
        assert_eq!(
            of(Some(&reminded), Some(&completed)),
            ReminderChange::Cancel,
            "completed"
        );
        assert_eq!(
            of(Some(&completed), Some(&reopened)),
            schedule(NOON),
            "reopened"
        );
        assert_eq!(of(Some(&reminded), None), ReminderChange::Cancel, "deleted");
        assert_eq!(
            of(Some(&none), None),
            ReminderChange::Keep,
            "deleted without one"
        );
        assert_eq!(
            of(Some(&reminded), Some(&retitled)),
            ReminderChange::Keep,
            "retitled"
        );
        assert_eq!(
            of(Some(&reminded), Some(&reassigned)),
            ReminderChange::Keep,
            "reassigned"
        );
        let in_progress = written(
            &reminded,
            status(Status::InProgress),
            "2026-12-07T10:00:01Z",
        );
        assert_eq!(
            of(Some(&reminded), Some(&in_progress)),
            ReminderChange::Keep,
            "started"
        );
    }

    #[test]
    fn a_reminder_past_when_its_record_is_read_is_delivered_now() {
        let reminded = task(Some(NOON));
        let late = time("2026-12-07T12:05:00Z");
        assert_eq!(
            ReminderChange::of(None, Some(&reminded), late),
            ReminderChange::DeliverNow(ReminderInput::new(reminded.id, at(NOON)))
        );
    }

    #[test]
    fn a_task_reopened_after_its_reminders_time_is_not_reminded() {
        let reminded = task(Some(NOON));
        let completed = written(&reminded, status(Status::Completed), "2026-12-07T11:00:00Z");
        let reopened = written(&completed, status(Status::Pending), "2026-12-07T12:30:00Z");
        let now = time("2026-12-07T12:30:01Z");
        assert_eq!(
            ReminderChange::of(Some(&completed), Some(&reopened), now),
            ReminderChange::Keep,
            "nothing was scheduled while completed, and nothing is due now"
        );
        // Reopened before the time: the reminder is back, even if the record is read late.
        let early = written(&completed, status(Status::Pending), "2026-12-07T11:30:00Z");
        assert_eq!(
            ReminderChange::of(Some(&completed), Some(&early), now),
            ReminderChange::DeliverNow(ReminderInput::new(reminded.id, at(NOON)))
        );
    }

    #[test]
    fn a_schedule_fires_at_the_whole_minute_not_before_the_reminder_nor_too_soon() {
        let now = time("2026-12-07T10:00:00Z");
        assert_eq!(fire_at(at(NOON), now), time(NOON), "a whole minute stays");
        assert_eq!(
            fire_at(at("2026-12-07T12:00:00.001Z"), now),
            time("2026-12-07T12:01:00Z"),
            "any part of a minute rounds up"
        );
        assert_eq!(
            fire_at(at("2026-12-07T10:00:03Z"), now),
            time("2026-12-07T10:01:00Z")
        );
        let close = time("2026-12-07T10:00:57Z");
        assert_eq!(
            fire_at(at("2026-12-07T10:00:58Z"), close),
            time("2026-12-07T10:02:00Z"),
            "10:01:00 is within the lead Scheduler needs"
        );
        assert_eq!(at_expression(time(NOON)), "at(2026-12-07T12:00:00)");
    }

    #[test]
    fn a_firing_delivers_only_the_reminder_the_task_still_has() {
        let reminded = task(Some(NOON));
        let now = time("2026-12-07T12:00:30Z");
        assert_eq!(is_due(Some(&reminded), at(NOON), now), Due::Yes);
        assert!(matches!(is_due(None, at(NOON), now), Due::No(_)));
        let moved = task(Some("2026-12-07T13:00:00Z"));
        assert!(matches!(is_due(Some(&moved), at(NOON), now), Due::No(_)));
        let mut completed = reminded.clone();
        completed.status = Status::Completed;
        completed.version = Version::new(2);
        assert!(matches!(
            is_due(Some(&completed), at(NOON), now),
            Due::No(_)
        ));
        let early = time("2026-12-07T11:59:00Z");
        assert_eq!(is_due(Some(&reminded), at(NOON), early), Due::Early);
        let skewed = time("2026-12-07T11:59:59Z");
        assert_eq!(is_due(Some(&reminded), at(NOON), skewed), Due::Yes);
    }

    #[test]
    fn the_input_round_trips_and_refuses_what_is_not_a_reminder() {
        let input = ReminderInput::new(task(None).id, at(NOON));
        assert_eq!(
            input.to_json(),
            r#"{"taskId":"2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b","remindAt":"2026-12-07T12:00:00.000Z"}"#
        );
        let back: ReminderInput = serde_json::from_str(&input.to_json()).unwrap();
        assert_eq!(back.parse().unwrap(), (task(None).id, at(NOON)));
        let bad = ReminderInput {
            task_id: "x".into(),
            remind_at: NOON.into(),
        };
        assert!(bad.parse().unwrap_err().starts_with("taskId"));
        assert!(serde_json::from_str::<ReminderInput>(r#"{"taskId":"x"}"#).is_err());
        assert_eq!(
            delivery_key(task(None).id, at(NOON)),
            "reminder#2f1c3a52-8d0e-4f7a-9b1e-0c2d3e4f5a6b#2026-12-07T12:00:00.000Z"
        );
    }
}
