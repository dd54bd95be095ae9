//! A local stand-in for API Gateway's REST API, for fuzzing the handlers with the events
//! they get in AWS. Each HTTP request (served by hyper) becomes an API Gateway REST proxy
//! event (v1) with Cognito claims for one fixed caller, routed by the API's routing table
//! (`tasks::api::routes`) and handled in-process by the real handlers, against the local
//! DynamoDB of the environment (`tools/local-env.sh`; any other endpoint is refused).
//!
//! `cargo lambda watch` (what `make dev` runs) sends the HTTP API (v2) shape instead, and
//! refuses bodies that are not UTF-8 before any function runs; API Gateway delivers them,
//! as base64 where they are not text. This gateway does the same.
//!
//!     cargo run -p dev-tools --bin rest-gateway -- PORT CALLER

use std::collections::HashMap;
use std::convert::Infallible;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::aws_lambda_events::apigw::ApiGatewayProxyRequest;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::header::{self, HeaderName, HeaderValue};
use lambda_http::http::request::Parts;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Response};
use serde_json::{Value, json};
use tasks::Config;
use tasks::account::AccountDeletion;
use tasks::api::App;
use tasks::api::routes::{self, Resource};
use tasks::store::DynamoTaskStore;
use tokio::net::TcpListener;

const JSON: (HeaderName, &str) = (header::CONTENT_TYPE, "application/json");

/// API Gateway's CORS preflight answer (template.yaml, `Cors`).
const PREFLIGHT: [(HeaderName, &str); 3] = [
    (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
    (
        header::ACCESS_CONTROL_ALLOW_METHODS,
        "GET,POST,PUT,PATCH,DELETE,OPTIONS",
    ),
    (
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        "Authorization,Content-Type,If-Match,Idempotency-Key",
    ),
];

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let mut args = std::env::args().skip(1);
    let port = args.next().unwrap_or("9100".into());
    let caller = args.next().unwrap_or("local-rest-gateway".into());
    // It writes to the table it is given: only ever a local one.
    tasks::store::local_endpoint()?;
    let config = Config::from_env()?;
    let store = DynamoTaskStore::connect(&config).await;
    // The claims API Gateway's Cognito authorizer passes: an ID token of an allowed client.
    let client = config
        .allowed_client_ids
        .first()
        .cloned()
        .unwrap_or_default();
    let claims = json!({ "sub": caller, "token_use": "id", "aud": client });
    // DELETE /account as make dev serves it: no queue, no user pool; the caller's tasks and
    // assignments are removed in the request.
    let app = App::new(store, config).with_account_deletion(AccountDeletion::default());
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    eprintln!("REST gateway on http://127.0.0.1:{port} as caller {caller}");
    // Shared by every connection for as long as the process runs.
    let gateway: &'static _ = Box::leak(Box::new((app, claims)));
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        tokio::spawn(async move {
            let service = service_fn(move |request| serve(gateway, request));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn serve(
    (app, claims): &'static (App<DynamoTaskStore>, Value),
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.unwrap_or_default().to_bytes();
    let response = match resource(parts.uri.path()) {
        // API Gateway's own answer where no resource matches: template.yaml's
        // `UnknownPathResponse` makes it a 404 problem.
        None => {
            let problem = json!({
                "type": format!("{}not-found", tasks::config::DEFAULT_PROBLEM_TYPE_BASE),
                "title": "Not found",
                "status": 404,
                "detail": "no resource of the API has this path",
            });
            let content_type = (header::CONTENT_TYPE, "application/problem+json");
            answer(StatusCode::NOT_FOUND, &[content_type], &problem.to_string())
        }
        Some(_) if parts.method == Method::OPTIONS => answer(StatusCode::OK, &PREFLIGHT, ""),
        Some((resource, params)) => match routes::find(resource, &parts.method) {
            // A method API Gateway's REST APIs do not route at all (TRACE, CONNECT, ...):
            // API Gateway refuses it itself; here it gets the resource's 405 and `Allow`.
            None => answer(
                StatusCode::METHOD_NOT_ALLOWED,
                &[JSON, (header::ALLOW, &resource.allow())],
                &json!({ "message": "Method not allowed" }).to_string(),
            ),
            Some(route) => {
                // Through JSON, so that the handler gets the event as Lambda's parser makes it.
                let event = serde_json::to_string(&event(&parts, &body, resource, params, claims));
                match event.and_then(|event| lambda_http::request::from_str(&event)) {
                    Ok(request) => match app.handle(route.function, request).await {
                        Ok(response) => response,
                        Err(_) => message(StatusCode::BAD_GATEWAY, "Internal server error"),
                    },
                    Err(_) => message(StatusCode::BAD_REQUEST, "Bad request"),
                }
            }
        },
    };
    Ok(response.map(|body| Full::new(Bytes::copy_from_slice(&body))))
}

/// The API's resource for a path, and its path parameters (`taskId`, percent-decoded).
fn resource(path: &str) -> Option<(Resource, HashMap<String, String>)> {
    match path.trim_matches('/').split('/').collect::<Vec<_>>()[..] {
        ["tasks"] => Some((Resource::Collection, HashMap::new())),
        ["account"] => Some((Resource::Account, HashMap::new())),
        ["tasks", id] => {
            let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
            let params = HashMap::from([("taskId".into(), id.into())]);
            Some((Resource::Item, params))
        }
        _ => None,
    }
}

/// The REST proxy event API Gateway would send for this request.
fn event(
    parts: &Parts,
    body: &[u8],
    resource: Resource,
    path_parameters: HashMap<String, String>,
    claims: &Value,
) -> ApiGatewayProxyRequest {
    let mut event = ApiGatewayProxyRequest::default();
    event.resource = Some(resource.path().into());
    event.path = Some(parts.uri.path().into());
    event.http_method = parts.method.clone();
    // As in API Gateway, the single-value maps hold the last of repeated values.
    for (name, value) in &parts.headers {
        // The event carries header values as text: one that is not visible ASCII is empty.
        let value = match value.to_str() {
            Ok(_) => value.clone(),
            Err(_) => HeaderValue::from_static(""),
        };
        event.multi_value_headers.append(name, value.clone());
        event.headers.insert(name, value);
    }
    let Ok(query) = parts.uri.query().unwrap_or_default().parse::<QueryMap>();
    let last: HashMap<String, String> = query.iter().map(|(k, v)| (k.into(), v.into())).collect();
    event.query_string_parameters = last.into();
    event.multi_value_query_string_parameters = query;
    event.path_parameters = path_parameters;
    let context = &mut event.request_context;
    context.resource_path = event.resource.clone();
    context.http_method = parts.method.clone();
    context.path = Some(format!("/local{}", parts.uri.path()));
    context.stage = Some("local".into());
    context.request_id = Some(uuid::Uuid::new_v4().to_string());
    context
        .authorizer
        .fields
        .insert("claims".into(), claims.clone());
    context.identity.source_ip = Some("127.0.0.1".into());
    (event.body, event.is_base64_encoded) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (None, false),
        Ok(text) => (Some(text.into()), false),
        Err(_) => (Some(BASE64.encode(body)), true),
    };
    event
}

/// An answer of the gateway itself rather than of a handler.
fn answer(status: StatusCode, headers: &[(HeaderName, &str)], body: &str) -> Response<Body> {
    let mut response = Response::builder().status(status);
    for (name, value) in headers {
        response = response.header(name, *value);
    }
    response.body(body.into()).expect("a valid response")
}

/// API Gateway's own JSON error, `{"message": ...}`.
fn message(status: StatusCode, message: &str) -> Response<Body> {
    answer(status, &[JSON], &json!({ "message": message }).to_string())
}
