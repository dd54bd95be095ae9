//! The `create-task` Lambda function: wiring only; the behaviour is in `tasks::api`.

use lambda_http::{Error, run, service_fn};
use tasks::api::App;
use tasks::api::routes::Function;
use tasks::store::DynamoTaskStore;
use tasks::{Config, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env()?;
    // Built once per execution environment and reused by every invocation.
    let store = DynamoTaskStore::connect(&config).await;
    let app = App::new(store, config);
    run(service_fn(|request| {
        app.handle(Function::CreateTask, request)
    }))
    .await
}
