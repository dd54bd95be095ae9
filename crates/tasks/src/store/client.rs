//! The DynamoDB client: its HTTPS stack with a compiled-in trust store (which the
//! EventBridge client of `events` shares), and this project's retry and timeout budget.
//! Built once per process in `main`.

use std::time::Duration;

use aws_sdk_dynamodb::Client;

/// Time budget of one DynamoDB operation, retries included. A request makes at most four
/// operations in sequence (an idempotent create that finishes another's work), so the
/// worst case, 4 x 2 s, stays inside the functions' 10 s timeout and the client gets a 503
/// instead of a Lambda timeout.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(2);
/// One attempt; DynamoDB answers in milliseconds, so this only cuts off a hung connection.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(600);
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Attempts per operation (the first and two retries), with jittered exponential backoff
/// from 25 ms, for throttling, 5xx, timeouts and connection failures.
pub const MAX_ATTEMPTS: u32 = 3;

/// The roots that AWS endpoints' certificates chain to (Amazon Trust Services).
pub(crate) const AMAZON_ROOT_CAS: &str = include_str!("amazon-root-cas.pem");

/// The SDK's HTTPS client (rustls with aws-lc, as by default), trusting Amazon's roots.
///
/// By default the client loads the operating system's trust store when it is built, before
/// the function's first poll: on Linux it reads the CA bundle and then every file of
/// /etc/ssl/certs, about 140 here. That was most of the functions' init time (`make bench`).
/// The five roots compiled in cost no file access, and trust is narrower: these clients only
/// ever talk to AWS (the SDK clients; the live authorizer's JWKS fetch trusts the same
/// roots). A local endpoint over plain HTTP needs no roots at all; one over
/// TLS (`make bench` puts a TLS proxy in front of the local DynamoDB) may add its own roots.
pub(crate) fn https_client(
    extra_roots: Option<&[u8]>,
) -> aws_sdk_dynamodb::config::SharedHttpClient {
    use aws_smithy_http_client::tls;
    let builder = aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(
        tls::rustls_provider::CryptoMode::AwsLc,
    ));
    match tls_context(extra_roots) {
        Ok(context) => builder.tls_context(context).build_https(),
        // Cannot happen with the bundled PEM (a unit test builds it); fall back to the
        // system's roots rather than fail.
        Err(_) => builder.build_https(),
    }
}

fn tls_context(
    extra_roots: Option<&[u8]>,
) -> Result<aws_smithy_http_client::tls::TlsContext, aws_smithy_http_client::HttpClientError> {
    use aws_smithy_http_client::tls;
    let mut roots = tls::TrustStore::empty()
        .with_native_roots(false)
        .with_pem_certificate(AMAZON_ROOT_CAS.as_bytes());
    if let Some(pem) = extra_roots {
        roots = roots.with_pem_certificate(pem);
    }
    tls::TlsContext::builder().with_trust_store(roots).build()
}

/// Roots for a custom DynamoDB endpoint: the PEM file that `SSL_CERT_FILE` names, read only
/// when the configured endpoint (`AWS_ENDPOINT_URL_DYNAMODB`, else `AWS_ENDPOINT_URL`) is
/// not one of AWS's own. A function talking to DynamoDB itself trusts Amazon's roots only,
/// whatever its environment says.
fn custom_endpoint_roots(lookup: impl Fn(&str) -> Option<String>) -> Option<Vec<u8>> {
    let endpoint = lookup("AWS_ENDPOINT_URL_DYNAMODB").or_else(|| lookup("AWS_ENDPOINT_URL"))?;
    let host = super::url_host(&endpoint)
        .unwrap_or_default()
        .to_ascii_lowercase();
    let aws_own = [".amazonaws.com", ".amazonaws.com.cn", ".api.aws"]
        .iter()
        .any(|suffix| host.ends_with(suffix));
    if aws_own {
        return None;
    }
    let file = lookup("SSL_CERT_FILE")?;
    match std::fs::read(&file) {
        Ok(pem) => Some(pem),
        Err(error) => {
            tracing::warn!(file, %error, "SSL_CERT_FILE cannot be read; trusting Amazon's roots only");
            None
        }
    }
}

/// Builds the SDK client from the environment (region, credentials, and
/// `AWS_ENDPOINT_URL_DYNAMODB` for a local server). Call once per process.
pub async fn dynamodb_client() -> Client {
    let extra_roots = custom_endpoint_roots(|name| std::env::var(name).ok());
    let sdk_config = aws_config::from_env()
        .http_client(https_client(extra_roots.as_deref()))
        .load()
        .await;
    client_from(&sdk_config)
}

/// The client with this project's retry and timeout budget, from any SDK configuration.
pub fn client_from(sdk_config: &aws_config::SdkConfig) -> Client {
    let (retry, timeouts) = budget(MAX_ATTEMPTS, ATTEMPT_TIMEOUT, OPERATION_TIMEOUT);
    let config = aws_sdk_dynamodb::config::Builder::from(sdk_config)
        .retry_config(retry)
        .timeout_config(timeouts)
        .build();
    Client::from_conf(config)
}

/// The retry and timeout discipline of this project's SDK clients (DynamoDB, EventBridge):
/// `attempts` tries with jittered exponential backoff from 25 ms (at most 250 ms), each
/// attempt cut off after `attempt`, the whole operation after `operation`.
pub(crate) fn budget(
    attempts: u32,
    attempt: Duration,
    operation: Duration,
) -> (
    aws_config::retry::RetryConfig,
    aws_config::timeout::TimeoutConfig,
) {
    let retry = aws_config::retry::RetryConfig::standard()
        .with_max_attempts(attempts)
        .with_initial_backoff(Duration::from_millis(25))
        .with_max_backoff(Duration::from_millis(250));
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(attempt)
        .operation_timeout(operation)
        .build();
    (retry, timeouts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_amazon_roots_make_a_tls_context() {
        assert_eq!(AMAZON_ROOT_CAS.matches("BEGIN CERTIFICATE").count(), 5);
        assert!(tls_context(None).is_ok());
    }

    #[test]
    fn extra_roots_are_read_only_for_an_endpoint_that_is_not_aws() {
        let pem = std::env::temp_dir().join(format!("roots-{}.pem", std::process::id()));
        std::fs::write(&pem, AMAZON_ROOT_CAS).unwrap();
        let env = |endpoint: Option<&'static str>| {
            let pem = pem.to_string_lossy().into_owned();
            move |name: &str| match name {
                "AWS_ENDPOINT_URL_DYNAMODB" => endpoint.map(str::to_owned),
                "SSL_CERT_FILE" => Some(pem.clone()),
                _ => None,
            }
        };
        assert!(custom_endpoint_roots(env(Some("https://127.0.0.1:8443"))).is_some());
        assert!(
            custom_endpoint_roots(env(None)).is_none(),
            "no endpoint configured"
        );
        for aws in [
            "https://dynamodb.us-east-1.amazonaws.com",
            "https://dynamodb.cn-north-1.amazonaws.com.cn",
            "https://dynamodb.eu-west-1.api.aws",
        ] {
            assert!(custom_endpoint_roots(env(Some(aws))).is_none(), "{aws}");
        }
        std::fs::remove_file(pem).unwrap();
    }
}
