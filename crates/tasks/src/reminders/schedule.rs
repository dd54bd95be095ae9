//! What task-events needs to keep each task's one reminder schedule ([`ReminderSchedules`]),
//! and its implementation on EventBridge Scheduler and Lambda ([`SchedulerReminders`]). Unit
//! tests use a fake; the integration tests use the real clients against moto's Scheduler and
//! a local invoke endpoint.

use std::future::Future;

use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::InvocationType;
use aws_sdk_scheduler::error::{DisplayErrorContext, ProvideErrorMetadata};
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, DeadLetterConfig, FlexibleTimeWindow, FlexibleTimeWindowMode,
    RetryPolicy, ScheduleState, Target,
};
use chrono::{DateTime, Utc};

use super::{ReminderChange, ReminderInput, at_expression, fire_at, schedule_name};
use crate::config::ScheduleConfig;
use crate::domain::TaskId;

/// Scheduler retries a target it could not invoke (throttled, Lambda unavailable) this many
/// times, within [`MAXIMUM_EVENT_AGE_SECONDS`], then sends the input to the dead-letter queue.
pub const MAXIMUM_RETRY_ATTEMPTS: i32 = 185;
/// A reminder that could not be handed over in a day goes to the dead-letter queue.
pub const MAXIMUM_EVENT_AGE_SECONDS: i32 = 24 * 60 * 60;

/// A schedule that could not be written, or a late reminder that could not be handed over,
/// after the clients' retries: the stream batch is reported from its record.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ScheduleError(pub String);

pub trait ReminderSchedules: Send + Sync {
    /// Creates the task's schedule, or moves it, to fire `input` at `at`.
    fn put(
        &self,
        task: TaskId,
        input: &ReminderInput,
        at: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), ScheduleError>> + Send;

    /// Deletes the task's schedule; one that is not there (fired, or never made) is fine.
    fn delete(&self, task: TaskId) -> impl Future<Output = Result<(), ScheduleError>> + Send;

    /// Hands a reminder that is already due to the delivering function at once.
    fn deliver_now(
        &self,
        input: &ReminderInput,
    ) -> impl Future<Output = Result<(), ScheduleError>> + Send;

    /// Carries out one write's [`ReminderChange`] of `task` at `now`.
    fn apply(
        &self,
        task: TaskId,
        change: &ReminderChange,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), ScheduleError>> + Send {
        async move {
            match change {
                ReminderChange::Keep => Ok(()),
                ReminderChange::Cancel => self.delete(task).await,
                ReminderChange::Schedule(input) => {
                    let (_, remind_at) = input.parse().map_err(ScheduleError)?;
                    self.put(task, input, fire_at(remind_at, now)).await
                }
                ReminderChange::DeliverNow(input) => self.deliver_now(input).await,
            }
        }
    }
}

/// No reminders: what a stream handler built without them does (the events' own tests).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoReminders;

impl ReminderSchedules for NoReminders {
    async fn put(
        &self,
        _: TaskId,
        _: &ReminderInput,
        _: DateTime<Utc>,
    ) -> Result<(), ScheduleError> {
        Ok(())
    }

    async fn delete(&self, _: TaskId) -> Result<(), ScheduleError> {
        Ok(())
    }

    async fn deliver_now(&self, _: &ReminderInput) -> Result<(), ScheduleError> {
        Ok(())
    }
}

/// One-time schedules in the stack's schedule group, each invoking the task-reminders
/// function; late reminders invoked directly, asynchronously, as a schedule would.
#[derive(Clone, Debug)]
pub struct SchedulerReminders {
    scheduler: aws_sdk_scheduler::Client,
    lambda: aws_sdk_lambda::Client,
    config: ScheduleConfig,
}

impl SchedulerReminders {
    pub fn new(
        scheduler: aws_sdk_scheduler::Client,
        lambda: aws_sdk_lambda::Client,
        config: ScheduleConfig,
    ) -> Self {
        Self {
            scheduler,
            lambda,
            config,
        }
    }

    /// The clients of `config`'s endpoints, with the budget of the other clients.
    pub async fn connect(config: ScheduleConfig) -> Self {
        let sdk_config = crate::events::client::sdk_config().await;
        let scheduler =
            budgeted_client!(aws_sdk_scheduler, &sdk_config, &config.scheduler_endpoint);
        let lambda = budgeted_client!(aws_sdk_lambda, &sdk_config, &config.lambda_endpoint);
        Self::new(scheduler, lambda, config)
    }

    fn target(&self, input: &ReminderInput) -> Result<Target, ScheduleError> {
        let retry = RetryPolicy::builder()
            .maximum_retry_attempts(MAXIMUM_RETRY_ATTEMPTS)
            .maximum_event_age_in_seconds(MAXIMUM_EVENT_AGE_SECONDS)
            .build();
        let dead_letters = DeadLetterConfig::builder()
            .arn(&self.config.dead_letter_arn)
            .build();
        Target::builder()
            .arn(&self.config.target_arn)
            .role_arn(&self.config.role_arn)
            .input(input.to_json())
            .retry_policy(retry)
            .dead_letter_config(dead_letters)
            .build()
            .map_err(|error| ScheduleError(error.to_string()))
    }
}

fn off() -> Result<FlexibleTimeWindow, ScheduleError> {
    FlexibleTimeWindow::builder()
        .mode(FlexibleTimeWindowMode::Off)
        .build()
        .map_err(|error| ScheduleError(error.to_string()))
}

/// The function name Lambda's Invoke takes from a function's ARN:
/// `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` to `<name>[:<qualifier>]`,
/// which Lambda accepts in the function's own account and `cargo lambda watch` serves locally.
pub fn function_name(target_arn: &str) -> &str {
    match target_arn.split_once(":function:") {
        Some((_, name)) => name,
        None => target_arn,
    }
}

impl ReminderSchedules for SchedulerReminders {
    async fn put(
        &self,
        task: TaskId,
        input: &ReminderInput,
        at: DateTime<Utc>,
    ) -> Result<(), ScheduleError> {
        let name = schedule_name(task);
        let expression = at_expression(at);
        let target = self.target(input)?;
        // The same request for both: UpdateSchedule replaces the schedule whole.
        macro_rules! schedule {
            ($request:expr) => {
                $request
                    .name(&name)
                    .group_name(&self.config.group)
                    .schedule_expression(&expression)
                    .schedule_expression_timezone("UTC")
                    .flexible_time_window(off()?)
                    .action_after_completion(ActionAfterCompletion::Delete)
                    .state(ScheduleState::Enabled)
                    .target(target.clone())
                    .send()
                    .await
            };
        }
        match schedule!(self.scheduler.create_schedule()) {
            Ok(_) => Ok(()),
            // The task has a schedule already: move it.
            Err(error) if error.code() == Some("ConflictException") => {
                schedule!(self.scheduler.update_schedule())
                    .map(|_| ())
                    .map_err(|error| ScheduleError(DisplayErrorContext(&error).to_string()))
            }
            Err(error) => Err(ScheduleError(DisplayErrorContext(&error).to_string())),
        }
    }

    async fn delete(&self, task: TaskId) -> Result<(), ScheduleError> {
        let deleted = self
            .scheduler
            .delete_schedule()
            .name(schedule_name(task))
            .group_name(&self.config.group)
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(error) if error.code() == Some("ResourceNotFoundException") => Ok(()),
            Err(error) => Err(ScheduleError(DisplayErrorContext(&error).to_string())),
        }
    }

    async fn deliver_now(&self, input: &ReminderInput) -> Result<(), ScheduleError> {
        let output = self
            .lambda
            .invoke()
            .function_name(function_name(&self.config.target_arn))
            .invocation_type(InvocationType::Event)
            .payload(Blob::new(input.to_json()))
            .send()
            .await
            .map_err(|error| {
                ScheduleError(aws_sdk_lambda::error::DisplayErrorContext(&error).to_string())
            })?;
        match output.function_error() {
            None => Ok(()),
            Some(error) => Err(ScheduleError(format!(
                "the reminders function failed: {error}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invoke_takes_the_name_and_qualifier_from_the_targets_arn() {
        assert_eq!(
            function_name(
                "arn:aws:lambda:eu-west-1:123456789012:function:stack-TaskReminders-x:live"
            ),
            "stack-TaskReminders-x:live"
        );
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:task-reminders"),
            "task-reminders"
        );
        assert_eq!(function_name("task-reminders"), "task-reminders");
    }
}
