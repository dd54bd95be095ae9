//! The `live-socket` function: the WebSocket API's three routes.
//!
//! - `$connect` (after the authorizer let the handshake through): registers the connection
//!   under the user the authorizer named; past the per-user cap it answers 429, which
//!   refuses the handshake;
//! - `$disconnect`: forgets the connection (API Gateway may not deliver it: a connection
//!   also expires by itself);
//! - the default route (every client frame, as the route selection `$request.body.type`
//!   matches no other route): `{"type": "ping"}` is answered with `{"type": "pong"}` through
//!   the management API; anything else is ignored.
//!
//! The user is the `sub` the authorizer put in its context, which API Gateway passes with
//! every event of the connection (`requestContext.authorizer`). A local gateway does the
//! same for its stand-in caller.

use aws_lambda_events::event::apigw::{ApiGatewayProxyResponse, ApiGatewayWebsocketProxyRequest};
use lambda_runtime::{Error, LambdaEvent};

use super::connections::{ConnectionStore, Registration};
use super::sender::{ConnectionSender, PostOutcome};
use super::{PONG, is_ping};
use crate::domain::UserId;

/// The key of the user's id in the authorizer's context.
pub const USER_CONTEXT_KEY: &str = "sub";

/// One handler for the three routes.
pub struct SocketHandler<C, S> {
    connections: C,
    sender: S,
}

fn status(code: i64) -> ApiGatewayProxyResponse {
    let mut response = ApiGatewayProxyResponse::default();
    response.status_code = code;
    response
}

impl<C: ConnectionStore, S: ConnectionSender> SocketHandler<C, S> {
    pub fn new(connections: C, sender: S) -> Self {
        Self {
            connections,
            sender,
        }
    }

    pub fn connections(&self) -> &C {
        &self.connections
    }

    /// The Lambda handler.
    pub async fn handle(
        &self,
        event: LambdaEvent<ApiGatewayWebsocketProxyRequest>,
    ) -> Result<ApiGatewayProxyResponse, Error> {
        Ok(self
            .respond(event.payload, chrono::Utc::now().timestamp())
            .await)
    }

    /// The answer to one event at `now` (epoch seconds).
    pub async fn respond(
        &self,
        event: ApiGatewayWebsocketProxyRequest,
        now: i64,
    ) -> ApiGatewayProxyResponse {
        let context = event.request_context;
        let route = context.route_key.as_deref().unwrap_or_default();
        let Some(connection) = context.connection_id.as_deref() else {
            tracing::error!(route, "an event without a connection id");
            return status(400);
        };
        let user = context
            .authorizer
            .fields
            .get(USER_CONTEXT_KEY)
            .and_then(|sub| sub.as_str())
            .and_then(|sub| UserId::parse(sub).ok());
        match route {
            "$connect" => {
                // The authorizer always names the user; without one, refuse.
                let Some(user) = user else {
                    tracing::error!("$connect without the authorizer's user");
                    return status(401);
                };
                match self.connections.register(&user, connection, now).await {
                    Ok(Registration::Registered) => status(200),
                    Ok(Registration::Refused { open }) => {
                        tracing::warn!(
                            user = user.as_str(),
                            open,
                            "connection cap reached; refused"
                        );
                        status(429)
                    }
                    Err(error) => {
                        tracing::error!(error = %error, "cannot register the connection");
                        status(500)
                    }
                }
            }
            "$disconnect" => {
                if let Some(user) = user
                    && let Err(error) = self.connections.forget(&user, connection).await
                {
                    // It expires by itself.
                    tracing::warn!(error = %error, "cannot forget the connection");
                }
                status(200)
            }
            _ => {
                if is_ping(event.body.as_deref().unwrap_or_default()) {
                    match self.sender.post(connection, PONG).await {
                        PostOutcome::Delivered => {}
                        PostOutcome::Gone => {
                            if let Some(user) = user {
                                let _ = self.connections.forget(&user, connection).await;
                            }
                        }
                        PostOutcome::Failed(reason) => {
                            tracing::warn!(reason, "pong not delivered")
                        }
                    }
                }
                status(200)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::live::connections::MemoryConnections;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<(String, String)>>);

    impl ConnectionSender for Recorder {
        async fn post(&self, connection: &str, frame: &str) -> PostOutcome {
            self.0
                .lock()
                .unwrap()
                .push((connection.to_owned(), frame.to_owned()));
            PostOutcome::Delivered
        }
    }

    fn event(
        route: &str,
        connection: &str,
        user: Option<&str>,
        body: Option<&str>,
    ) -> ApiGatewayWebsocketProxyRequest {
        let mut event = ApiGatewayWebsocketProxyRequest::default();
        event.request_context.route_key = Some(route.to_owned());
        event.request_context.connection_id = Some(connection.to_owned());
        if let Some(user) = user {
            event
                .request_context
                .authorizer
                .fields
                .insert(USER_CONTEXT_KEY.to_owned(), user.into());
        }
        event.body = body.map(str::to_owned);
        event
    }

    #[tokio::test]
    async fn connect_registers_up_to_the_cap_and_disconnect_forgets() {
        let handler = SocketHandler::new(MemoryConnections::with_cap(2), Recorder::default());
        let alice = UserId::parse("alice").unwrap();
        for (connection, expected) in [("c1", 200), ("c2", 200), ("c3", 429)] {
            let answer = handler
                .respond(event("$connect", connection, Some("alice"), None), 0)
                .await;
            assert_eq!(answer.status_code, expected, "{connection}");
        }
        assert_eq!(
            handler
                .respond(event("$connect", "c4", None, None), 0)
                .await
                .status_code,
            401
        );
        assert_eq!(
            handler
                .respond(event("$disconnect", "c1", Some("alice"), None), 0)
                .await
                .status_code,
            200
        );
        assert_eq!(
            handler.connections().connections(&alice, 0).await.unwrap(),
            ["c2"]
        );
    }

    #[tokio::test]
    async fn a_ping_is_answered_and_anything_else_ignored() {
        let handler = SocketHandler::new(MemoryConnections::default(), Recorder::default());
        for body in [r#"{"type":"ping"}"#, r#"{"type":"subscribe"}"#, "hello"] {
            let answer = handler
                .respond(event("$default", "c1", Some("alice"), Some(body)), 0)
                .await;
            assert_eq!(answer.status_code, 200);
        }
        let sent = handler.sender.0.lock().unwrap().clone();
        assert_eq!(sent, [("c1".to_owned(), PONG.to_owned())]);
    }
}
