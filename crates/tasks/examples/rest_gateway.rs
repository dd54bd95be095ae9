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
//!     cargo run --example rest_gateway -- PORT CALLER

use std::collections::BTreeMap;
use std::convert::Infallible;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::http::request::Parts;
use lambda_http::http::{Method, StatusCode};
use lambda_http::{Body, Response};
use serde_json::{Value, json};
use tasks::Config;
use tasks::api::App;
use tasks::api::routes::{self, Resource};
use tasks::store::{DynamoTaskStore, dynamodb_client};
use tokio::net::TcpListener;

type Gateway = &'static (App<DynamoTaskStore>, String);

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let args: Vec<String> = std::env::args().collect();
    let port = args.get(1).map(String::as_str).unwrap_or("9100");
    let caller = args.get(2).cloned().unwrap_or("local-rest-gateway".into());
    // It writes to the table it is given: only ever a local one.
    tasks::store::local_endpoint()?;
    let config = Config::from_env()?;
    let store = DynamoTaskStore::new(dynamodb_client().await, &config.table_name);
    let gateway: Gateway = Box::leak(Box::new((App::new(store, config), caller)));
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    eprintln!(
        "REST gateway on http://127.0.0.1:{port} as caller {}",
        gateway.1
    );
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
    (app, caller): Gateway,
    request: hyper::Request<Incoming>,
) -> Result<hyper::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let response = match resource(parts.uri.path()) {
        // API Gateway's own answer where no resource matches (the template's gateway
        // response makes it a 404 problem).
        None => gateway_404(),
        Some(_) if parts.method == Method::OPTIONS => preflight(),
        Some((resource, task_id)) => match routes::find(resource, &parts.method) {
            // A method API Gateway's REST APIs do not route at all (TRACE, CONNECT, ...):
            // API Gateway refuses it itself; here it gets the resource's 405 and `Allow`.
            None => method_not_allowed(resource),
            Some(route) => {
                let event = event(&parts, &body, resource, task_id, caller);
                match lambda_http::request::from_str(&event.to_string()) {
                    Ok(request) => app
                        .handle(route.function, request)
                        .await
                        .unwrap_or_else(|_| {
                            plain(StatusCode::BAD_GATEWAY, "Internal server error")
                        }),
                    Err(_) => plain(StatusCode::BAD_REQUEST, "Bad request"),
                }
            }
        },
    };
    let (parts, body) = response.into_parts();
    Ok(hyper::Response::from_parts(
        parts,
        Full::new(Bytes::copy_from_slice(&body)),
    ))
}

/// The API's resource for a path, and the `{taskId}` of an item path.
fn resource(path: &str) -> Option<(Resource, Option<String>)> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["tasks"] => Some((Resource::Collection, None)),
        [_, id] if !id.is_empty() && segments[0] == "tasks" => {
            let id = percent_encoding::percent_decode_str(id).decode_utf8_lossy();
            Some((Resource::Item, Some(id.into_owned())))
        }
        _ => None,
    }
}

/// The REST proxy event API Gateway would send for this request.
fn event(
    parts: &Parts,
    body: &[u8],
    resource: Resource,
    task_id: Option<String>,
    caller: &str,
) -> Value {
    let mut multi_query: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
        multi_query
            .entry(name.into_owned())
            .or_default()
            .push(value.into_owned());
    }
    let last = |values: &Vec<String>| values.last().cloned();
    let single_query: BTreeMap<&String, String> = multi_query
        .iter()
        .filter_map(|(k, v)| last(v).map(|value| (k, value)))
        .collect();
    let mut multi_headers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, value) in &parts.headers {
        multi_headers
            .entry(name.as_str())
            .or_default()
            .push(value.to_str().unwrap_or_default());
    }
    let single_headers: BTreeMap<&&str, &&str> = multi_headers
        .iter()
        .filter_map(|(k, v)| v.last().map(|value| (k, value)))
        .collect();
    let (body, is_base64) = match std::str::from_utf8(body) {
        _ if body.is_empty() => (Value::Null, false),
        Ok(text) => (json!(text), false),
        Err(_) => (json!(BASE64.encode(body)), true),
    };
    let query = |value: Value| {
        if multi_query.is_empty() {
            Value::Null
        } else {
            value
        }
    };
    let path = parts.uri.path();
    json!({
        "resource": resource.path(),
        "path": path,
        "httpMethod": parts.method.as_str(),
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query(json!(single_query)),
        "multiValueQueryStringParameters": query(json!(multi_query)),
        "pathParameters": task_id.map(|id| json!({ "taskId": id })),
        "stageVariables": null,
        "requestContext": {
            "resourcePath": resource.path(),
            "httpMethod": parts.method.as_str(),
            "path": format!("/local{path}"),
            "stage": "local",
            "requestId": uuid::Uuid::new_v4().to_string(),
            "authorizer": { "claims": { "sub": caller, "token_use": "id" } },
            "identity": { "sourceIp": "127.0.0.1" }
        },
        "body": body,
        "isBase64Encoded": is_base64
    })
}

/// template.yaml's `UnknownPathResponse`.
fn gateway_404() -> Response<Body> {
    let problem = json!({
        "type": format!("{}not-found", tasks::config::DEFAULT_PROBLEM_TYPE_BASE),
        "title": "Not found",
        "status": 404,
        "detail": "no resource of the API has this path",
    });
    let mut response = Response::new(Body::from(problem.to_string()));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response.headers_mut().insert(
        "content-type",
        "application/problem+json".parse().expect("a valid header"),
    );
    response
}

fn method_not_allowed(resource: Resource) -> Response<Body> {
    let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
    if let Ok(allow) = resource.allow().parse() {
        response.headers_mut().insert("allow", allow);
    }
    response
}

/// API Gateway's CORS preflight answer (template.yaml, `Cors`).
fn preflight() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    let headers = response.headers_mut();
    for (name, value) in [
        ("access-control-allow-origin", "*"),
        (
            "access-control-allow-methods",
            "GET,POST,PUT,PATCH,DELETE,OPTIONS",
        ),
        (
            "access-control-allow-headers",
            "Authorization,Content-Type,If-Match,Idempotency-Key",
        ),
    ] {
        headers.insert(name, value.parse().expect("a valid header"));
    }
    response
}

fn plain(status: StatusCode, message: &str) -> Response<Body> {
    let mut response = Response::new(Body::from(json!({ "message": message }).to_string()));
    *response.status_mut() = status;
    response.headers_mut().insert(
        "content-type",
        "application/json".parse().expect("a valid header"),
    );
    response
}
