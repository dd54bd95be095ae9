//! The `task-reminders` Lambda function: one reminder's schedule fired (or a late reminder
//! handed over by task-events), delivered once if still due. Wiring only; the behaviour is
//! in `tasks::reminders`.

use lambda_runtime::{Error, run, service_fn};
use tasks::reminders::{DeliveryHandler, RemindersConfig};
use tasks::telemetry;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = RemindersConfig::from_env()?;
    // Clients built once per execution environment and reused by every invocation.
    let handler = DeliveryHandler::connect(&config).await;
    run(service_fn(|event| handler.handle(event))).await
}
