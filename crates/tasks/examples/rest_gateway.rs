//! A local stand-in for API Gateway's REST API, for fuzzing the handlers with the events
//! they get in AWS. Each HTTP request becomes an API Gateway REST proxy event (v1) with
//! Cognito claims for one fixed caller, routed as template.yaml routes it (`ANY` included)
//! and handled in-process by the real handlers against the DynamoDB of the environment.
//!
//! `cargo lambda watch` (what `make dev` runs) sends the HTTP API (v2) shape instead, and
//! refuses bodies that are not UTF-8 before any function runs; API Gateway delivers them,
//! as base64 where they are not text. This gateway does the same.
//!
//!     cargo run --example rest_gateway -- PORT CALLER

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use tasks::Config;
use tasks::api::{self, App};
use tasks::store::{DynamoTaskStore, dynamodb_client};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let args: Vec<String> = std::env::args().collect();
    let port = args.get(1).map(String::as_str).unwrap_or("9100");
    let caller = args
        .get(2)
        .cloned()
        .unwrap_or_else(|| "local-rest-gateway".into());
    // It writes to the table it is given: only ever a local one.
    tasks::store::local_endpoint()?;
    let config = Config::from_env()?;
    let app = Box::leak(Box::new(App::new(
        DynamoTaskStore::new(dynamodb_client().await, &config.table_name),
        config,
    )));
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).await?;
    eprintln!("REST gateway on http://127.0.0.1:{port} as caller {caller}");
    loop {
        let (stream, _) = listener.accept().await?;
        let caller = caller.clone();
        let app: &'static App<DynamoTaskStore> = app;
        tokio::spawn(async move {
            let _ = serve(stream, app, &caller).await;
        });
    }
}

struct HttpRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

async fn serve(
    mut stream: TcpStream,
    app: &App<DynamoTaskStore>,
    caller: &str,
) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let Some(request) = read_request(&mut stream).await? else {
        return Ok(());
    };
    let response = match event(&request, caller) {
        Some((event, resource)) => handle(app, event, &request.method, resource).await,
        // No resource of the API matches: API Gateway's own answer.
        None => plain(403, r#"{"message":"Missing Authentication Token"}"#),
    };
    stream.write_all(&to_http(response)).await?;
    stream.shutdown().await
}

async fn handle(
    app: &App<DynamoTaskStore>,
    event: Value,
    method: &str,
    resource: &str,
) -> Response<Body> {
    let request: Request = match lambda_http::request::from_str(&event.to_string()) {
        Ok(request) => request,
        Err(_) => return plain(400, r#"{"message":"Bad request"}"#),
    };
    // The routes of template.yaml; every other method is the `ANY` route.
    let response = match (resource, method) {
        ("/tasks", "GET") | ("/tasks/{taskId}", "GET") => api::get_tasks(app, request).await,
        ("/tasks/{taskId}", "PUT" | "PATCH") => api::update_task(app, request).await,
        ("/tasks/{taskId}", _) => api::delete_task(app, request).await,
        _ => api::create_task(app, request).await,
    };
    response.unwrap_or_else(|_| plain(502, r#"{"message":"Internal server error"}"#))
}

/// The REST proxy event API Gateway would send, and the resource it matched.
fn event(request: &HttpRequest, caller: &str) -> Option<(Value, &'static str)> {
    let (path, query) = request
        .target
        .split_once('?')
        .unwrap_or((&request.target, ""));
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (resource, path_parameters) = match segments.as_slice() {
        ["tasks"] => ("/tasks", Value::Null),
        ["tasks", id] if !id.is_empty() => {
            ("/tasks/{taskId}", json!({ "taskId": percent_decode(id) }))
        }
        _ => return None,
    };
    let mut multi_query: HashMap<String, Vec<String>> = HashMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        multi_query
            .entry(percent_decode(name))
            .or_default()
            .push(percent_decode(value));
    }
    let single_query: HashMap<&String, &String> = multi_query
        .iter()
        .filter_map(|(k, v)| v.last().map(|last| (k, last)))
        .collect();
    let mut multi_headers: HashMap<&str, Vec<&str>> = HashMap::new();
    for (name, value) in &request.headers {
        multi_headers.entry(name).or_default().push(value);
    }
    let single_headers: HashMap<&&str, &&str> = multi_headers
        .iter()
        .filter_map(|(k, v)| v.last().map(|last| (k, last)))
        .collect();
    let (body, is_base64) = match std::str::from_utf8(&request.body) {
        _ if request.body.is_empty() => (Value::Null, false),
        Ok(text) => (json!(text), false),
        Err(_) => (json!(BASE64.encode(&request.body)), true),
    };
    let event = json!({
        "resource": resource,
        "path": path,
        "httpMethod": request.method,
        "headers": single_headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": if multi_query.is_empty() { Value::Null } else { json!(single_query) },
        "multiValueQueryStringParameters": if multi_query.is_empty() { Value::Null } else { json!(multi_query) },
        "pathParameters": path_parameters,
        "stageVariables": null,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": request.method,
            "path": format!("/local{path}"),
            "stage": "local",
            "requestId": uuid::Uuid::new_v4().to_string(),
            "authorizer": { "claims": { "sub": caller } },
            "identity": { "sourceIp": "127.0.0.1" }
        },
        "body": body,
        "isBase64Encoded": is_base64
    });
    Some((event, resource))
}

fn percent_decode(raw: &str) -> String {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(
                    std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                    16,
                ) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn plain(status: u16, body: &'static str) -> Response<Body> {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status.try_into().unwrap_or_default();
    response
        .headers_mut()
        .insert("content-type", "application/json".parse().unwrap());
    response
}

fn to_http(response: Response<Body>) -> Vec<u8> {
    let (parts, body) = response.into_parts();
    let mut out = format!(
        "HTTP/1.1 {} {}\r\n",
        parts.status.as_u16(),
        parts.status.canonical_reason().unwrap_or("")
    );
    for (name, value) in &parts.headers {
        out.push_str(&format!("{}: {}\r\n", name, value.to_str().unwrap_or("")));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<HttpRequest>> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or_default().split(' ');
    let method = request_line.next().unwrap_or_default().to_owned();
    let target = request_line.next().unwrap_or("/").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buffer[header_end..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..read]);
    }
    body.truncate(length);
    Ok(Some(HttpRequest {
        method,
        target,
        headers,
        body,
    }))
}
