//! The `delete-account` Lambda function (`DELETE /account`): wiring only; the behaviour is
//! in `tasks::api` and `tasks::account`.

use lambda_http::{Error, run, service_fn};
use tasks::account::AccountDeletion;
use tasks::api::App;
use tasks::api::routes::Function;
use tasks::config::DeletionConfig;
use tasks::store::DynamoTaskStore;
use tasks::{Config, telemetry};

#[tokio::main]
async fn main() -> Result<(), Error> {
    telemetry::init();
    let config = Config::from_env()?;
    let deletion = DeletionConfig::from_env()?;
    // Built once per execution environment and reused by every invocation.
    let store = DynamoTaskStore::connect(&config).await;
    let deletion = AccountDeletion::connect(&deletion).await;
    let app = App::new(store, config).with_account_deletion(deletion);
    run(service_fn(|request| {
        app.handle(Function::DeleteAccount, request)
    }))
    .await
}
