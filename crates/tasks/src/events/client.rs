//! The EventBridge client: the same HTTPS stack and the same kind of budget as the DynamoDB
//! client (`store/client.rs`), sized for a batch of PutEvents calls. Built once per process
//! in `main`.

use std::time::Duration;

use aws_sdk_eventbridge::Client;

/// Time budget of one PutEvents request, retries included. The handler starts a request
/// only while this much time (and a margin) is left before the invocation's deadline, so a
/// batch always ends with an answer, never with a Lambda timeout.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(3);
/// One attempt: PutEvents answers in tens of milliseconds; this cuts off a hung connection.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);
/// Attempts per request (the first and two retries), with jittered exponential backoff from
/// 25 ms, for throttling, 5xx, timeouts and connection failures.
pub const MAX_ATTEMPTS: u32 = 3;

/// The client for `endpoint`, with region and credentials from the environment. The
/// endpoint is always explicit (`AWS_ENDPOINT_URL_EVENTBRIDGE`, read by the configuration):
/// the template gives the regional one, `make dev` and the tests a local server.
pub async fn eventbridge_client(endpoint: &str) -> Client {
    client_from(&sdk_config().await, endpoint)
}

/// The SDK configuration of the clients beside DynamoDB's, with region and credentials from
/// the environment and the DynamoDB client's HTTPS stack: Amazon's roots, compiled in, no
/// trust-store files read at init (store/client.rs has the measurements).
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::from_env()
        .http_client(crate::store::https_client(None))
        .load()
        .await
}

/// The retry and timeout budget above, for any of these clients.
pub fn budget() -> (
    aws_config::retry::RetryConfig,
    aws_config::timeout::TimeoutConfig,
) {
    crate::store::budget(MAX_ATTEMPTS, ATTEMPT_TIMEOUT, OPERATION_TIMEOUT)
}

/// The client with this project's retry and timeout budget, from any SDK configuration.
pub fn client_from(sdk_config: &aws_config::SdkConfig, endpoint: &str) -> Client {
    let (retry, timeouts) = budget();
    let config = aws_sdk_eventbridge::config::Builder::from(sdk_config)
        .endpoint_url(endpoint)
        .retry_config(retry)
        .timeout_config(timeouts)
        .build();
    Client::from_conf(config)
}

/// What a call of one of these clients came to, for a log line or an error kept in a queue:
/// the service's error code, never its message (which may quote a user's address).
pub fn failure_cause<E, R>(error: &aws_sdk_eventbridge::error::SdkError<E, R>) -> &str
where
    E: aws_sdk_eventbridge::error::ProvideErrorMetadata,
{
    use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
    match error {
        SdkError::ServiceError(_) => error.code().unwrap_or("an unnamed service error"),
        SdkError::TimeoutError(_) => "timed out",
        SdkError::DispatchFailure(_) => "no connection",
        _ => "no valid answer",
    }
}
