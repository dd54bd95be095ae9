//! The `live-fanout` Lambda function: task events from the bus in, hints out to the users'
//! WebSocket connections. Wiring only; the behaviour is in `tasks::live::fanout`.

use lambda_runtime::{Error, run, service_fn};
use tasks::config::LiveConfig;
use tasks::live::{self, Fanout};
use tasks::telemetry;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = LiveConfig::from_env()?;
    // Built once per execution environment and reused by every invocation.
    let (connections, sender) = live::connect(&config).await;
    let fanout = Fanout::new(connections, sender);
    run(service_fn(|event| fanout.handle(event))).await
}
