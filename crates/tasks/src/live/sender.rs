//! Posting one frame to one connection, and its implementation on API Gateway's management
//! API (`POST /@connections/{id}`). Unit tests use a fake; the integration tests use the
//! real client against a fake management endpoint on loopback.

use std::future::Future;
use std::time::Duration;

use aws_sdk_apigatewaymanagement::Client;
use aws_sdk_apigatewaymanagement::error::{DisplayErrorContext, SdkError};
use aws_sdk_apigatewaymanagement::primitives::Blob;

/// The longest one post may take, retries included: a hint is worth little later, and a
/// slow connection must not hold the others (they are posted concurrently anyway).
pub const POST_TIMEOUT: Duration = Duration::from_secs(2);
/// One attempt: the management API answers in milliseconds.
pub const POST_ATTEMPT_TIMEOUT: Duration = Duration::from_millis(800);
/// The first attempt and one retry (throttling, 5xx, a dropped connection).
pub const POST_ATTEMPTS: u32 = 2;

/// What became of one post.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PostOutcome {
    Delivered,
    /// The connection is gone (410): the client closed it or the gateway did. Forget it.
    Gone,
    /// Anything else, after the client's retries or past [`POST_TIMEOUT`]. The connection
    /// is kept: it expires by itself if it is really dead.
    Failed(String),
}

pub trait ConnectionSender: Send + Sync {
    /// Sends `frame` (JSON text) to `connection`, within [`POST_TIMEOUT`].
    fn post(&self, connection: &str, frame: &str) -> impl Future<Output = PostOutcome> + Send;
}

/// The management API client for `endpoint` (`https://<api id>.execute-api.<region>.
/// amazonaws.com/<stage>`), with the shared HTTPS stack and the budget above.
pub async fn management_client(endpoint: &str) -> Client {
    management_client_from(&crate::events::client::sdk_config().await, endpoint)
}

/// The same client from any SDK configuration (tests give their own credentials).
pub fn management_client_from(sdk_config: &aws_config::SdkConfig, endpoint: &str) -> Client {
    let (retry, timeouts) = crate::store::budget(POST_ATTEMPTS, POST_ATTEMPT_TIMEOUT, POST_TIMEOUT);
    Client::from_conf(
        aws_sdk_apigatewaymanagement::config::Builder::from(sdk_config)
            .endpoint_url(endpoint)
            .retry_config(retry)
            .timeout_config(timeouts)
            .build(),
    )
}

/// Posts through the management API of one stage.
#[derive(Clone, Debug)]
pub struct ManagementApiSender {
    client: Client,
}

impl ManagementApiSender {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

impl ConnectionSender for ManagementApiSender {
    async fn post(&self, connection: &str, frame: &str) -> PostOutcome {
        let request = self
            .client
            .post_to_connection()
            .connection_id(connection)
            .data(Blob::new(frame.as_bytes()))
            .send();
        // The client's operation timeout bounds the post already; this also bounds what the
        // client does not count (credentials, endpoint resolution).
        match tokio::time::timeout(POST_TIMEOUT, request).await {
            Ok(Ok(_)) => PostOutcome::Delivered,
            Ok(Err(error)) => {
                let gone = error
                    .as_service_error()
                    .is_some_and(|error| error.is_gone_exception())
                    || matches!(&error, SdkError::ServiceError(service)
                        if service.raw().status().as_u16() == 410);
                if gone {
                    PostOutcome::Gone
                } else {
                    PostOutcome::Failed(DisplayErrorContext(&error).to_string())
                }
            }
            Err(_) => PostOutcome::Failed(format!("no answer within {POST_TIMEOUT:?}")),
        }
    }
}
