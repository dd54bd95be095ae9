//! What `delete-account` does for a request, beside the API's own handling: the purge jobs
//! put on the queue ([`SqsPurgeQueue`]), then the user signed out everywhere and deleted
//! from the user pool ([`CognitoUserPool`]). The integration tests use both against moto.

use aws_sdk_cognitoidentityprovider::error::{ProvideErrorMetadata, SdkError};

use super::{MAX_DELAY_SECONDS, PurgeMessage};
use crate::config::DeletionConfig;
use crate::domain::UserId;

/// A call to SQS or the user pool that failed after its client's retries. It names the
/// operation and the service's error code only, never a message (which may quote a user).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ServiceError(pub String);

impl ServiceError {
    fn of<E: ProvideErrorMetadata, R>(operation: &str, error: &SdkError<E, R>) -> Self {
        let cause = crate::events::client::failure_cause(error);
        ServiceError(format!("{operation} failed: {cause}"))
    }
}

/// The purge queue (`ACCOUNT_PURGE_QUEUE_URL`): where jobs are put, continued and delayed.
#[derive(Clone, Debug)]
pub struct SqsPurgeQueue {
    client: aws_sdk_sqs::Client,
    url: String,
}

impl SqsPurgeQueue {
    pub fn new(client: aws_sdk_sqs::Client, url: impl Into<String>) -> Self {
        Self {
            client,
            url: url.into(),
        }
    }

    /// The queue at `url`, through SQS at `endpoint`, with the other clients' budget.
    pub async fn connect(url: &str, endpoint: &str) -> Self {
        let sdk_config = crate::events::client::sdk_config().await;
        Self::new(budgeted_client!(aws_sdk_sqs, &sdk_config, endpoint), url)
    }

    /// Puts `job` on the queue, to be received after `delay` seconds (at most SQS's 15
    /// minutes: a longer wait is taken again when the job is received, see the worker).
    pub async fn send(&self, job: &PurgeMessage, delay: i64) -> Result<(), ServiceError> {
        let delay = delay.clamp(0, MAX_DELAY_SECONDS) as i32;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(job.to_json())
            .delay_seconds(delay)
            .send()
            .await
            .map_err(|error| ServiceError::of("SendMessage", &error))?;
        Ok(())
    }
}

/// The user pool (`USER_POOL_ID`). Its users sign in with their email address
/// (`UsernameAttributes`), so each one's username is their `sub`: the caller's id names them.
#[derive(Clone, Debug)]
pub struct CognitoUserPool {
    client: aws_sdk_cognitoidentityprovider::Client,
    pool_id: String,
}

impl CognitoUserPool {
    pub fn new(
        client: aws_sdk_cognitoidentityprovider::Client,
        pool_id: impl Into<String>,
    ) -> Self {
        Self {
            client,
            pool_id: pool_id.into(),
        }
    }

    pub async fn connect(pool_id: &str, endpoint: &str) -> Self {
        let sdk_config = crate::events::client::sdk_config().await;
        let client = budgeted_client!(aws_sdk_cognitoidentityprovider, &sdk_config, endpoint);
        Self::new(client, pool_id)
    }

    /// Revokes every refresh token of `user` (AdminUserGlobalSignOut), so that no new ID
    /// or access token is issued to any of their sessions, then deletes them
    /// (AdminDeleteUser), so that they cannot sign in again. A user already gone is fine:
    /// a repeated request does the same.
    pub async fn remove(&self, user: &UserId) -> Result<(), ServiceError> {
        let signed_out = self
            .client
            .admin_user_global_sign_out()
            .user_pool_id(&self.pool_id)
            .username(user.as_str())
            .send()
            .await;
        match signed_out {
            Ok(_) => {}
            Err(error) if is_user_not_found(&error) => return Ok(()),
            Err(error) => return Err(ServiceError::of("AdminUserGlobalSignOut", &error)),
        }
        let deleted = self
            .client
            .admin_delete_user()
            .user_pool_id(&self.pool_id)
            .username(user.as_str())
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(error) if is_user_not_found(&error) => Ok(()),
            Err(error) => Err(ServiceError::of("AdminDeleteUser", &error)),
        }
    }
}

fn is_user_not_found<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    matches!(error, SdkError::ServiceError(_)) && error.code() == Some("UserNotFoundException")
}

/// How `delete-account` deletes an account. Deployed: both the queue and the pool. A local
/// build (`make dev`, no queue configured) purges in the request itself, and without a pool
/// has no sign-in to revoke.
#[derive(Clone, Debug, Default)]
pub struct AccountDeletion {
    pub queue: Option<SqsPurgeQueue>,
    pub pool: Option<CognitoUserPool>,
}

impl AccountDeletion {
    pub async fn connect(config: &DeletionConfig) -> Self {
        let queue = match &config.queue {
            Some(queue) => Some(SqsPurgeQueue::connect(&queue.url, &queue.endpoint).await),
            None => None,
        };
        let pool = match &config.pool {
            Some(pool) => Some(CognitoUserPool::connect(&pool.id, &pool.endpoint).await),
            None => None,
        };
        Self { queue, pool }
    }
}
