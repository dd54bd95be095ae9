//! The `live-socket` Lambda function: the WebSocket API's `$connect`, `$disconnect` and
//! default routes. Wiring only; the behaviour is in `tasks::live::socket`.

use lambda_runtime::{Error, run, service_fn};
use tasks::config::LiveConfig;
use tasks::live::{self, SocketHandler};
use tasks::telemetry;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = LiveConfig::from_env()?;
    // Built once per execution environment and reused by every invocation.
    let (connections, sender) = live::connect(&config).await;
    let handler = SocketHandler::new(connections, sender);
    run(service_fn(|event| handler.handle(event))).await
}
