//! The `task-events` Lambda function: the table's stream in, domain events out to
//! EventBridge and each task's reminder schedule kept. Wiring only; the behaviour is in `tasks::events`.

use lambda_runtime::{Error, run, service_fn};
use tasks::config::EventsConfig;
use tasks::events::{EventBridgePublisher, StreamHandler, eventbridge_client};
use tasks::reminders::SchedulerReminders;
use tasks::telemetry;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = EventsConfig::from_env()?;
    // Built once per execution environment and reused by every invocation.
    let client = eventbridge_client(&config.eventbridge_endpoint).await;
    let publisher = EventBridgePublisher::new(client, config.event_bus_name);
    let reminders = SchedulerReminders::connect(config.schedules).await;
    let handler = StreamHandler::with_reminders(publisher, reminders);
    run(service_fn(|event| handler.handle(event))).await
}
