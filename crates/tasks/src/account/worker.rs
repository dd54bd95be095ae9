//! The `account-purge` function: each job of the purge queue to one pass over the user's
//! data, within the invocation's time.
//!
//! A job that is not due yet (the final pass, for up to 65 minutes) is put back with the
//! longest delay SQS allows, or what is left of the wait. A pass that runs out of time puts
//! its continuation on the queue (the same job: a pass starts from the beginning of the
//! user's listings, where only what is left remains) and counts as handled. A job that fails
//! (DynamoDB, or the queue itself) is reported in the batch response: SQS delivers it again
//! after the visibility timeout, and after five receives moves it to the dead-letter queue,
//! whose alarm calls an operator (docs/operations.md). A crash half-way is the same as a
//! failure: the job comes back and the pass starts again, finding only what is left.

use std::time::{Duration, Instant};

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::LambdaEvent;

use super::deletion::SqsPurgeQueue;
use super::{Pass, PassOutcome, PurgeMessage, purge_pass};
use crate::store::{AccountStore, TaskStore};

/// Time kept back from the invocation's deadline: the last page's writes (bounded by the
/// DynamoDB client's budget) and the continuation's SendMessage fit in it.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(15);

/// What one job came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PurgeOutcome {
    /// The pass went through all of the user's data; after the final pass nothing of theirs
    /// is left in the table.
    Done(PassOutcome),
    /// The time ran out: the job is on the queue again.
    Continued(PassOutcome),
    /// The final pass is not due yet: the job is on the queue again, delayed this long.
    Waiting { seconds: i64 },
}

pub struct PurgeWorker<S> {
    store: S,
    queue: SqsPurgeQueue,
}

impl<S: TaskStore + AccountStore> PurgeWorker<S> {
    pub fn new(store: S, queue: SqsPurgeQueue) -> Self {
        Self { store, queue }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// One batch of jobs, one after the other, within the invocation's deadline; the failed
    /// ones reported, for SQS to deliver again.
    pub async fn handle(
        &self,
        event: LambdaEvent<SqsEvent>,
    ) -> Result<SqsBatchResponse, lambda_runtime::Error> {
        let deadline_millis = i64::try_from(event.context.deadline).unwrap_or(i64::MAX);
        let left = deadline_millis - chrono::Utc::now().timestamp_millis();
        let left = Duration::from_millis(u64::try_from(left).unwrap_or(0));
        let deadline = Instant::now() + left.saturating_sub(DEADLINE_MARGIN);
        let mut response = SqsBatchResponse::default();
        for record in event.payload.records {
            let id = record.message_id.clone().unwrap_or_default();
            let body = record.body.unwrap_or_default();
            match self.run(&body, deadline).await {
                Ok(_) => {}
                Err(error) => {
                    tracing::error!(message_id = id, error, "purge job failed; SQS retries it");
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = id;
                    response.batch_item_failures.push(failure);
                }
            }
        }
        Ok(response)
    }

    /// One job (a message's body) until `deadline`.
    pub async fn run(&self, body: &str, deadline: Instant) -> Result<PurgeOutcome, String> {
        let (job, user) = PurgeMessage::parse(body)?;
        let wait = job.wait(chrono::Utc::now().timestamp());
        if wait > 0 {
            self.queue.send(&job, wait).await.map_err(|e| e.0)?;
            tracing::info!(pass = ?job.pass, wait, "purge pass not due yet; delayed again");
            return Ok(PurgeOutcome::Waiting { seconds: wait });
        }
        let outcome = purge_pass(&self.store, &user, deadline)
            .await
            .map_err(|error| format!("purge pass failed: {error}"))?;
        let log = |what: &str| {
            tracing::info!(
                pass = ?job.pass,
                round = job.round,
                deleted = outcome.deleted,
                unassigned = outcome.unassigned,
                "{what}"
            );
        };
        if !outcome.complete {
            let next = PurgeMessage {
                round: job.round + 1,
                ..job.clone()
            };
            self.queue.send(&next, 0).await.map_err(|e| e.0)?;
            log("purge pass ran out of time; continued");
            return Ok(PurgeOutcome::Continued(outcome));
        }
        if job.pass == Pass::Final {
            self.store
                .forget_owner(&user)
                .await
                .map_err(|error| format!("could not delete the task count: {error}"))?;
        }
        log("purge pass complete");
        Ok(PurgeOutcome::Done(outcome))
    }
}
