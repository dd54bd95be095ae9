//! The `update-task` Lambda function: wiring only; the behaviour is in `tasks::api::update_task`.

use lambda_http::{Error, run, service_fn};
use tasks::api::{App, update_task};
use tasks::store::{DynamoTaskStore, dynamodb_client};
use tasks::{Config, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env()?;
    // Built once per execution environment and reused by every invocation.
    let store = DynamoTaskStore::new(dynamodb_client().await, &config.table_name);
    let app = App::new(store, config);
    run(service_fn(|request| update_task(&app, request))).await
}
