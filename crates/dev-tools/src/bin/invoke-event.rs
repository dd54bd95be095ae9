//! Sends API Gateway REST proxy events to the handlers in-process, as the four Lambda
//! binaries would, and prints each answer as a proxy response: what `sam local invoke`
//! of the same event must answer (tests/sam_local/test_invoke.py compares the two).
//!
//! One request per line on stdin, `{"function": "create-task", "event": {...}}`; for each,
//! one line on stdout, `invoke_event: {"statusCode": 201, "multiValueHeaders": {...},
//! "body": "...", "isBase64Encoded": false}` (other stdout lines are the functions' own
//! metrics). The configuration comes from the environment, as in the binaries, and the
//! DynamoDB endpoint must be a local one.
//!
//!     cargo run -p dev-tools --bin invoke-event < requests.jsonl

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use lambda_http::{Body, Response};
use serde_json::{Value, json};
use tasks::Config;
use tasks::api::App;
use tasks::api::routes::Function;
use tasks::store::DynamoTaskStore;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    // It writes to the table it is given: only ever a local one.
    tasks::store::local_endpoint()?;
    let config = Config::from_env()?;
    let app = App::new(DynamoTaskStore::connect(&config).await, config);
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let input: Value = serde_json::from_str(&line)?;
        let request = lambda_http::request::from_str(&input["event"].to_string())?;
        let name = input["function"].as_str().unwrap_or_default();
        let function =
            Function::parse(name).map_err(|_| format!("no function is called {name:?}"))?;
        let response = app.handle(function, request).await?;
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "invoke_event: {}", proxy_response(response))?;
        stdout.flush()?;
    }
    Ok(())
}

/// The REST proxy response, as `lambda_http` serializes it for API Gateway (v1).
fn proxy_response(response: Response<Body>) -> Value {
    let (parts, body) = response.into_parts();
    let mut headers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, value) in &parts.headers {
        headers
            .entry(name.as_str())
            .or_default()
            .push(value.to_str().unwrap_or_default());
    }
    let (body, is_base64_encoded) = match &body {
        Body::Empty => (Value::Null, false),
        Body::Text(text) => (json!(text), false),
        Body::Binary(bytes) => (json!(BASE64.encode(bytes)), true),
        _ => (Value::Null, false),
    };
    json!({
        "statusCode": parts.status.as_u16(),
        "headers": {},
        "multiValueHeaders": headers,
        "body": body,
        "isBase64Encoded": is_base64_encoded,
    })
}
