//! The floor for `make bench`: the smallest useful `lambda_runtime` function, built with
//! the same release profile and the same runtime crate as the four task functions. It
//! answers each event with a fixed JSON body and touches nothing else.

use lambda_http::lambda_runtime::{self, LambdaEvent, service_fn};
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|_event: LambdaEvent<Value>| async {
        Ok::<_, lambda_runtime::Error>(json!({ "statusCode": 200, "body": "hello" }))
    }))
    .await
}
