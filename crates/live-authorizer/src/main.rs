//! The `live-authorizer` Lambda function: the WebSocket API's `$connect` REQUEST authorizer.
//! Wiring only; the behaviour is in `tasks::live::auth`.

use lambda_runtime::{Error, run, service_fn};
use tasks::config::LiveAuthConfig;
use tasks::live::{Authorizer, IdTokenVerifier, JwksClient};
use tasks::telemetry;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = LiveAuthConfig::from_env()?;
    // Built once per execution environment: the pool's keys are fetched at the first
    // handshake and kept for the next ones.
    let jwks = JwksClient::new(config.jwks_url)?;
    let verifier = IdTokenVerifier::new(&config.issuer, &config.allowed_client_ids, jwks);
    let authorizer = Authorizer::new(verifier);
    run(service_fn(|event| authorizer.handle(event))).await
}
