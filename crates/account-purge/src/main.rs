//! The `account-purge` Lambda function: the jobs of the account purge queue, each one pass
//! over a deleted user's data. Wiring only; the behaviour is in `tasks::account`.

use lambda_runtime::{Error, run, service_fn};
use tasks::account::{PurgeWorker, SqsPurgeQueue};
use tasks::config::PurgeConfig;
use tasks::store::{DynamoTaskStore, dynamodb_client};
use tasks::telemetry;

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = PurgeConfig::from_env()?;
    // Clients built once per execution environment and reused by every invocation.
    // No read at init: this function may not read items (template.yaml), only list and write.
    let store = DynamoTaskStore::new(dynamodb_client().await, &config.table_name);
    let queue = SqsPurgeQueue::connect(&config.queue.url, &config.queue.endpoint).await;
    let worker = PurgeWorker::new(store, queue);
    run(service_fn(|event| worker.handle(event))).await
}
