//! A fault-injecting HTTP proxy on loopback, in front of the real local DynamoDB.
//!
//! Each request the SDK sends is either forwarded to the server or answered with a fault
//! of the kind DynamoDB produces: throttling, a 500, a hang, or a dropped connection.
//! Per request, not per connection, because the SDK keeps connections alive.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Forward to the real server.
    None,
    /// 400 ThrottlingException, as DynamoDB sends when a table is over its capacity.
    Throttle,
    /// 500 InternalServerError.
    ServerError,
    /// Accept the request and never answer.
    Hang,
    /// Close the connection without an answer.
    Drop,
    /// Forward to the real server, which applies the request, then lose its answer.
    LoseAnswer,
}

struct State {
    /// Faults for the next requests, in order; then `default`.
    script: VecDeque<Fault>,
    default: Fault,
    requests: usize,
    faults: usize,
}

pub struct FaultProxy {
    pub endpoint: String,
    state: Arc<Mutex<State>>,
}

impl FaultProxy {
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            script: VecDeque::new(),
            default: Fault::None,
            requests: 0,
            faults: 0,
        }));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                tokio::spawn(serve(client, upstream.clone(), shared.clone()));
            }
        });
        Self { endpoint, state }
    }

    /// The fault for every request from now on.
    pub fn set(&self, fault: Fault) {
        let mut state = self.state.lock().unwrap();
        state.script.clear();
        state.default = fault;
    }

    /// Faults for the next requests, one each, before the current default resumes.
    pub fn then(&self, faults: &[Fault]) {
        self.state.lock().unwrap().script.extend(faults);
    }

    /// (requests seen, requests answered with a fault) since the proxy started.
    pub fn counts(&self) -> (usize, usize) {
        let state = self.state.lock().unwrap();
        (state.requests, state.faults)
    }
}

async fn serve(mut client: TcpStream, upstream: String, state: Arc<Mutex<State>>) {
    let _ = client.set_nodelay(true);
    while let Some(request) = read_message(&mut client).await {
        let fault = {
            let mut state = state.lock().unwrap();
            let fault = state.script.pop_front().unwrap_or(state.default);
            state.requests += 1;
            if fault != Fault::None {
                state.faults += 1;
            }
            fault
        };
        let response = match fault {
            Fault::None => match forward(&upstream, &request).await {
                Some(response) => response,
                None => return,
            },
            Fault::Throttle => error_response(
                "400 Bad Request",
                "ThrottlingException",
                "Rate of requests exceeds the allowed throughput.",
            ),
            Fault::ServerError => error_response(
                "500 Internal Server Error",
                "InternalServerError",
                "Internal error",
            ),
            Fault::Hang => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                return;
            }
            Fault::Drop => return,
            Fault::LoseAnswer => {
                let _ = forward(&upstream, &request).await;
                return;
            }
        };
        if client.write_all(&response).await.is_err() {
            return;
        }
    }
}

fn error_response(status: &str, kind: &str, message: &str) -> Vec<u8> {
    let body =
        format!(r#"{{"__type":"com.amazonaws.dynamodb.v20120810#{kind}","message":"{message}"}}"#);
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/x-amz-json-1.0\r\n\
         x-amzn-ErrorType: {kind}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn forward(upstream: &str, request: &[u8]) -> Option<Vec<u8>> {
    let address = upstream.trim_start_matches("http://");
    let mut server = TcpStream::connect(address).await.ok()?;
    let _ = server.set_nodelay(true);
    server.write_all(request).await.ok()?;
    read_message(&mut server).await
}

/// One HTTP/1.1 message with a Content-Length body (what the SDK and dynalite send).
pub async fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut message = Vec::new();
    let mut chunk = [0u8; 8192];
    let header_end = loop {
        if let Some(end) = message.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        message.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&message[..header_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    while message.len() < header_end + length {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        message.extend_from_slice(&chunk[..read]);
    }
    Some(message)
}
