//! Deleting an account (`DELETE /account`): the caller's sign-in revoked and their user
//! deleted from the pool, then their data purged by a worker that cannot lose the job.
//!
//! - here: the job ([`PurgeMessage`]), one purge pass over a user's data ([`purge_pass`]),
//!   and when the final pass runs ([`FINAL_PASS_DELAY_SECONDS`]); pure but for the store;
//! - [`worker`]: the `account-purge` function: a message of the purge queue to one pass,
//!   continued, delayed or finished;
//! - [`deletion`]: what `delete-account` does for a request: the jobs queued, then the
//!   user pool's user signed out everywhere and deleted.
//!
//! The flow: `delete-account` queues two jobs for the caller, a first pass now and a final
//! pass once every token issued before the request has expired (a chain of delayed
//! messages on the same queue), then signs the user out everywhere and deletes them from the
//! pool, and answers 202. Each pass deletes the tasks the user owns (the `byOwner` index) and
//! removes the user from the tasks shared with them (the `byAssignee` index), each write
//! conditional on the user as the API's own are; the table's stream turns them into
//! `TaskDeleted` and `TaskUnassigned` events as for any delete or decline. The final pass
//! catches what a still-valid token created after the first, and then deletes the user's
//! task count, the last item of theirs in the table.

pub mod deletion;
pub mod worker;

use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use futures_util::{StreamExt, stream};
use serde::{Deserialize, Serialize};

use crate::domain::{Scope, TaskId, Timestamp, UserId};
use crate::store::{AccountStore, ListQuery, StoreError, TaskStore};

pub use deletion::{AccountDeletion, CognitoUserPool, SqsPurgeQueue};
pub use worker::{PurgeOutcome, PurgeWorker};

/// The longest lifetime of a token the API accepts: the user pool client's
/// `IdTokenValidity` and `AccessTokenValidity` (template.yaml), in seconds.
pub const TOKEN_LIFETIME_SECONDS: i64 = 60 * 60;

/// The final pass runs this long after the request: every token issued before it has
/// expired by then, with five minutes for clocks and for requests still in flight.
pub const FINAL_PASS_DELAY_SECONDS: i64 = TOKEN_LIFETIME_SECONDS + 5 * 60;

/// The longest delay SQS gives one message; a longer wait is a chain of such messages.
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;

/// How many conditional writes one pass has in flight at once. The owner's task count is
/// one item that every delete counts down, and one item takes at most 1,000 writes a
/// second: more in parallel would only be throttled.
pub const PARALLEL_WRITES: usize = 16;

/// How many tasks one listing of a pass reads (the API's largest page).
const PAGE: u16 = 100;

/// Which pass a job is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Pass {
    /// Right after the request.
    First,
    /// After [`FINAL_PASS_DELAY_SECONDS`]: what an old token created since, and the count.
    Final,
}

/// One job of the purge queue. It names the user only (their `sub`, never an address);
/// a pass always starts from the beginning of the user's listings, so a job that is
/// retried, continued or run twice needs no other state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PurgeMessage {
    pub user_id: String,
    pub pass: Pass,
    /// Epoch seconds before which the final pass must not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<i64>,
    /// How many times this pass was continued after running out of time (for the logs).
    #[serde(default)]
    pub round: u32,
}

impl PurgeMessage {
    /// The first pass for `user`.
    pub fn first(user: &UserId) -> Self {
        Self {
            user_id: user.as_str().to_owned(),
            pass: Pass::First,
            not_before: None,
            round: 0,
        }
    }

    /// The final pass for `user`, who asked for the deletion at `requested` (epoch seconds).
    pub fn last(user: &UserId, requested: i64) -> Self {
        Self {
            user_id: user.as_str().to_owned(),
            pass: Pass::Final,
            not_before: Some(requested + FINAL_PASS_DELAY_SECONDS),
            round: 0,
        }
    }

    pub fn to_json(&self) -> String {
        // Strings and numbers: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn parse(body: &str) -> Result<(Self, UserId), String> {
        let message: Self =
            serde_json::from_str(body).map_err(|error| format!("not a purge job: {error}"))?;
        let user = UserId::parse(&message.user_id).map_err(|reason| format!("userId {reason}"))?;
        Ok((message, user))
    }

    /// How long to wait before this job may run, at `now` (epoch seconds): zero when due.
    pub fn wait(&self, now: i64) -> i64 {
        self.not_before.map_or(0, |at| (at - now).max(0))
    }
}

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PassOutcome {
    /// Tasks of the user's deleted by this pass.
    pub deleted: usize,
    /// Tasks of others' from which the user was removed as assignee.
    pub unassigned: usize,
    /// Both listings were read to their end; `false`: the time ran out first.
    pub complete: bool,
}

/// One pass over `user`'s data, until `deadline`: every task they own deleted, then they are
/// removed from every task shared with them, [`PARALLEL_WRITES`] writes at a time. Each
/// write is conditional on the user (a task someone else owns, or shared with someone else
/// by now, is left as it is), so the pass can be cut off, retried or run twice. Stops at
/// the first page that starts after `deadline`, not complete.
pub async fn purge_pass<S: TaskStore + AccountStore>(
    store: &S,
    user: &UserId,
    deadline: Instant,
) -> Result<PassOutcome, StoreError> {
    let mut outcome = PassOutcome::default();
    for scope in [Scope::Owned, Scope::Assigned] {
        let mut query = ListQuery {
            scope,
            status: None,
            limit: PAGE,
            after: None,
        };
        loop {
            if Instant::now() >= deadline {
                return Ok(outcome);
            }
            let page = store.list(user, &query).await?;
            let now = Timestamp::now();
            let ids: Vec<TaskId> = page.tasks.iter().map(|task| task.id).collect();
            let writes = stream::iter(ids)
                .map(|id| write(store, user, scope, id, now))
                .buffer_unordered(PARALLEL_WRITES)
                .collect::<Vec<_>>()
                .await;
            for write in writes {
                if write? {
                    match scope {
                        Scope::Owned => outcome.deleted += 1,
                        Scope::Assigned => outcome.unassigned += 1,
                    }
                }
            }
            match page.next {
                Some(next) => query.after = Some(next),
                None => break,
            }
        }
    }
    outcome.complete = true;
    Ok(outcome)
}

/// One write of a pass: a boxed future, so that a pass's future stays `Send` for the runtime
/// whatever the store (the compiler cannot prove it for a closure's async block over it).
fn write<'a, S: AccountStore>(
    store: &'a S,
    user: &'a UserId,
    scope: Scope,
    id: TaskId,
    now: Timestamp,
) -> Pin<Box<dyn Future<Output = Result<bool, StoreError>> + Send + 'a>> {
    match scope {
        Scope::Owned => Box::pin(store.delete_owned(user, id)),
        Scope::Assigned => Box::pin(store.unassign(user, id, now)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_final_pass_waits_out_every_token_issued_before_the_request() {
        let user = UserId::parse("user-1").unwrap();
        let last = PurgeMessage::last(&user, 1_000);
        assert_eq!(last.wait(1_000), FINAL_PASS_DELAY_SECONDS);
        assert!(last.wait(1_000) > TOKEN_LIFETIME_SECONDS);
        assert_eq!(last.wait(1_000 + FINAL_PASS_DELAY_SECONDS + 1), 0);
        assert_eq!(PurgeMessage::first(&user).wait(0), 0);
    }

    #[test]
    fn jobs_round_trip_and_refuse_anything_else() {
        let user = UserId::parse("user-1").unwrap();
        let job = PurgeMessage::last(&user, 5);
        assert_eq!(PurgeMessage::parse(&job.to_json()).unwrap(), (job, user));
        assert!(PurgeMessage::parse(r#"{"userId": "", "pass": "first"}"#).is_err());
        assert!(PurgeMessage::parse(r#"{"userId": "u", "pass": "all"}"#).is_err());
        assert!(PurgeMessage::parse(r#"{"userId": "u", "pass": "first", "x": 1}"#).is_err());
    }
}
