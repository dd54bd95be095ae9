//! Live updates (#24): the `$connect` authorizer against tokens signed here with this test's
//! own RSA keys (tests/api/fixtures/live-test-keys.json), served as a JWKS on loopback; the
//! fan-out posting through the real management API client to a fake management endpoint on
//! loopback; and the connections store on the local DynamoDB (`make test` only).

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lambda_events::event::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use aws_sdk_apigatewaymanagement::config::{Credentials, Region, SharedCredentialsProvider};
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tasks::domain::UserId;
use tasks::events::EVENT_SOURCE;
use tasks::live::auth::{AuthError, TOKEN_QUERY_PARAMETER};
use tasks::live::connections::{CONNECTION_TTL_SECONDS, connections_key};
use tasks::live::fanout::FanoutReport;
use tasks::live::{
    Authorizer, ConnectionStore, DynamoConnections, Fanout, IdTokenVerifier, JwksClient,
    ManagementApiSender, MemoryConnections, Registration, management_client_from,
};

use crate::fake_http::{Answer, Handler, Request, serve};
use crate::helpers::event;

const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_LiveTests";
const OTHER_ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OtherPool";
const CLIENT: &str = "live-test-client";
const METHOD_ARN: &str = "arn:aws:execute-api:us-east-1:123456789012:abcdef1234/live/$connect";

/// One of the fixture's keys: the private half as DER (PKCS#1), the public half as a JWK.
struct TestKey {
    kid: String,
    der: Vec<u8>,
    jwk: Value,
}

fn keys() -> Vec<TestKey> {
    let path = crate::helpers::events_dir().join("../tests/api/fixtures/live-test-keys.json");
    let fixture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    fixture["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|key| TestKey {
            kid: key["kid"].as_str().unwrap().to_owned(),
            der: base64::engine::general_purpose::STANDARD
                .decode(key["rsaPrivateKeyDer"].as_str().unwrap())
                .unwrap(),
            jwk: key["jwk"].clone(),
        })
        .collect()
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The claims of a valid ID token for `sub`; a test changes what it needs.
fn id_claims(sub: &str) -> Value {
    json!({
        "sub": sub, "iss": ISSUER, "aud": CLIENT, "token_use": "id",
        "iat": now() - 10, "exp": now() + 3600, "auth_time": now() - 10,
        "cognito:username": sub, "email": "someone@example.com",
    })
}

/// `claims` signed with `key`, naming `kid` in the header.
fn sign(claims: &Value, key: &TestKey, kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_rsa_der(&key.der)).unwrap()
}

/// A JWKS served on loopback, whose keys a test can change (a rotation), counting fetches.
struct Jwks {
    url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
}

impl Jwks {
    async fn serve(keys: Vec<Value>) -> Self {
        let keys = Arc::new(Mutex::new(keys));
        let fetches = Arc::new(AtomicUsize::new(0));
        let (served, counted) = (keys.clone(), fetches.clone());
        let handler: Handler = Arc::new(move |request: Request| {
            let body = json!({ "keys": *served.lock().unwrap() }).to_string();
            counted.fetch_add(1, Ordering::SeqCst);
            Box::pin(async move {
                match request.path.as_str() {
                    "/us-east-1_LiveTests/.well-known/jwks.json" => Answer::new(200, body),
                    _ => Answer::new(404, "{}"),
                }
            })
        });
        let base = serve(handler).await;
        Self {
            url: format!("{base}/us-east-1_LiveTests/.well-known/jwks.json"),
            keys,
            fetches,
        }
    }

    fn verifier(&self) -> IdTokenVerifier {
        IdTokenVerifier::new(
            ISSUER,
            &[CLIENT.to_owned(), "another-allowed-client".to_owned()],
            JwksClient::new(&self.url).unwrap(),
        )
    }
}

/// The authorizer's event for a handshake with `token` (API Gateway's REQUEST event for a
/// WebSocket `$connect`).
fn handshake(token: Option<&str>) -> ApiGatewayCustomAuthorizerRequestTypeRequest {
    let query = match token {
        Some(token) => json!({ TOKEN_QUERY_PARAMETER: token }),
        None => json!({}),
    };
    serde_json::from_value(json!({
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "headers": { "Host": "abcdef1234.execute-api.us-east-1.amazonaws.com", "Sec-WebSocket-Version": "13" },
        "multiValueHeaders": {},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {},
        "stageVariables": {},
        "requestContext": {
            "routeKey": "$connect", "eventType": "CONNECT", "extendedRequestId": "x",
            "requestTime": "07/Dec/2026:15:00:00 +0000", "messageDirection": "IN", "stage": "live",
            "connectedAt": 1, "requestTimeEpoch": 1, "requestId": "x",
            "domainName": "abcdef1234.execute-api.us-east-1.amazonaws.com",
            "connectionId": "abc123=", "apiId": "abcdef1234",
            "identity": { "sourceIp": "192.0.2.1" },
        },
    }))
    .unwrap()
}

/// The effect of the policy for a handshake with `token`, and the user in its context.
async fn decide(authorizer: &Authorizer, token: &str) -> (String, Value) {
    let policy = authorizer.decide(&handshake(Some(token))).await.unwrap();
    let policy = serde_json::to_value(policy).unwrap();
    let statement = &policy["policyDocument"]["Statement"][0];
    assert_eq!(statement["Resource"], json!([METHOD_ARN]));
    (
        statement["Effect"].as_str().unwrap().to_owned(),
        policy["context"]["sub"].clone(),
    )
}

#[tokio::test]
async fn the_authorizer_admits_a_valid_id_token_and_refuses_the_others() {
    let keys = keys();
    let (pool_key, other_pool_key) = (&keys[0], &keys[2]);
    let jwks = Jwks::serve(vec![pool_key.jwk.clone()]).await;
    let authorizer = Authorizer::new(jwks.verifier());

    let valid = sign(&id_claims("alice"), pool_key, &pool_key.kid);
    assert_eq!(
        decide(&authorizer, &valid).await,
        ("Allow".into(), json!("alice"))
    );
    // Another allowed app client is allowed too.
    let mut claims = id_claims("alice");
    claims["aud"] = json!("another-allowed-client");
    assert_eq!(
        decide(&authorizer, &sign(&claims, pool_key, &pool_key.kid))
            .await
            .0,
        "Allow"
    );

    let mut refused: Vec<(&str, String)> = Vec::new();
    let mut claims = id_claims("alice");
    claims["exp"] = json!(now() - 5);
    refused.push(("expired", sign(&claims, pool_key, &pool_key.kid)));
    let mut claims = id_claims("alice");
    claims["iss"] = json!(OTHER_ISSUER);
    refused.push((
        "another pool's issuer",
        sign(&claims, pool_key, &pool_key.kid),
    ));
    // Another pool's token: its own key, whose kid this pool does not have.
    let mut claims = id_claims("alice");
    claims["iss"] = json!(OTHER_ISSUER);
    refused.push((
        "another pool's key",
        sign(&claims, other_pool_key, &other_pool_key.kid),
    ));
    // A forged token naming this pool's key id but signed with another key.
    refused.push((
        "another key, this kid",
        sign(&id_claims("alice"), other_pool_key, &pool_key.kid),
    ));
    let mut claims = id_claims("alice");
    claims["aud"] = json!("some-other-client");
    refused.push(("another app client", sign(&claims, pool_key, &pool_key.kid)));
    // An access token of the same pool and client: no aud, client_id instead.
    let access = json!({
        "sub": "alice", "iss": ISSUER, "client_id": CLIENT, "token_use": "access",
        "scope": "openid", "iat": now() - 10, "exp": now() + 3600, "username": "alice",
    });
    refused.push(("access token", sign(&access, pool_key, &pool_key.kid)));
    // An access token that does carry an allowed aud is still not an ID token.
    let mut access_with_aud = access.clone();
    access_with_aud["aud"] = json!(CLIENT);
    refused.push((
        "access token with aud",
        sign(&access_with_aud, pool_key, &pool_key.kid),
    ));
    // The payload changed after signing (another user), and a signature changed.
    let (head, rest) = valid.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let forged_payload =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id_claims("mallory").to_string());
    refused.push((
        "payload tampered",
        format!("{head}.{forged_payload}.{signature}"),
    ));
    let mut bytes = valid.clone().into_bytes();
    let last = bytes.len() - 2;
    bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
    refused.push(("signature tampered", String::from_utf8(bytes).unwrap()));
    // Signed with HS256 using the public key's text as the secret (algorithm confusion).
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(pool_key.kid.clone());
    let hs = jsonwebtoken::encode(
        &header,
        &id_claims("alice"),
        &EncodingKey::from_secret(pool_key.jwk.to_string().as_bytes()).unwrap(),
    )
    .unwrap();
    refused.push(("HS256", hs));
    let mut claims = id_claims("alice");
    claims.as_object_mut().unwrap().remove("exp");
    refused.push(("no expiry", sign(&claims, pool_key, &pool_key.kid)));
    refused.push(("not a JWT", "not-a-token".to_owned()));
    refused.push(("empty", String::new()));

    for (case, token) in refused {
        assert_eq!(
            decide(&authorizer, &token).await,
            ("Deny".into(), Value::Null),
            "{case}"
        );
    }
    // No token at all.
    let policy = authorizer.decide(&handshake(None)).await.unwrap();
    assert_eq!(
        serde_json::to_value(policy).unwrap()["policyDocument"]["Statement"][0]["Effect"],
        "Deny"
    );
}

#[tokio::test]
async fn the_jwks_is_fetched_once_and_again_for_a_rotated_key() {
    let keys = keys();
    let (old, new) = (&keys[0], &keys[1]);
    let jwks = Jwks::serve(vec![old.jwk.clone()]).await;
    let verifier = jwks.verifier().with_min_refresh_interval(Duration::ZERO);

    for _ in 0..3 {
        let token = sign(&id_claims("alice"), old, &old.kid);
        assert_eq!(verifier.verify(&token).await.unwrap().as_str(), "alice");
    }
    assert_eq!(
        jwks.fetches.load(Ordering::SeqCst),
        1,
        "fetched once, then cached"
    );

    // The pool rotates: tokens signed with the new key name a kid the cache lacks.
    jwks.keys.lock().unwrap().push(new.jwk.clone());
    let rotated = sign(&id_claims("bob"), new, &new.kid);
    assert_eq!(verifier.verify(&rotated).await.unwrap().as_str(), "bob");
    assert_eq!(
        jwks.fetches.load(Ordering::SeqCst),
        2,
        "fetched again for the new kid"
    );
    assert_eq!(verifier.verify(&rotated).await.unwrap().as_str(), "bob");
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), 2);

    // With the production interval, made-up key ids do not make a fetch each.
    let limited = jwks.verifier();
    let token = sign(&id_claims("alice"), old, &old.kid);
    limited.verify(&token).await.unwrap();
    let before = jwks.fetches.load(Ordering::SeqCst);
    for n in 0..5 {
        let unknown = sign(&id_claims("alice"), old, &format!("made-up-{n}"));
        assert!(matches!(
            limited.verify(&unknown).await,
            Err(AuthError::UnknownKey)
        ));
    }
    assert_eq!(jwks.fetches.load(Ordering::SeqCst), before);
}

#[tokio::test]
async fn an_unreachable_jwks_fails_the_handshake_as_an_error_not_a_refusal() {
    let keys = keys();
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    drop(listener);
    let authorizer = Authorizer::new(IdTokenVerifier::new(
        ISSUER,
        &[CLIENT.to_owned()],
        JwksClient::new(url).unwrap(),
    ));
    let token = sign(&id_claims("alice"), &keys[0], &keys[0].kid);
    assert!(matches!(
        authorizer.decide(&handshake(Some(&token))).await,
        Err(AuthError::JwksUnavailable(_))
    ));
}

/// A fake management API: answers each connection by its name's prefix (`gone-`: 410,
/// `fail-`: 500, `slow-`: after 5 s, anything else: 200) and keeps what it was sent.
struct ManagementApi {
    endpoint: String,
    posts: Arc<Mutex<Vec<(String, String)>>>,
}

impl ManagementApi {
    async fn serve() -> Self {
        let posts = Arc::new(Mutex::new(Vec::new()));
        let kept = posts.clone();
        let handler: Handler = Arc::new(move |request: Request| {
            let kept = kept.clone();
            Box::pin(async move {
                let Some(connection) = request.path.strip_prefix("/live/@connections/") else {
                    return Answer::new(404, "{}");
                };
                let connection = percent_decoded(connection);
                assert_eq!(request.method, "POST");
                if connection.starts_with("gone-") {
                    return Answer::new(410, r#"{"message":null}"#)
                        .header("x-amzn-ErrorType", "GoneException");
                }
                if connection.starts_with("fail-") {
                    return Answer::new(500, r#"{"message":"Internal server error"}"#);
                }
                if connection.starts_with("slow-") {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                }
                kept.lock().unwrap().push((connection, request.body));
                Answer::new(200, "")
            })
        });
        let base = serve(handler).await;
        Self {
            endpoint: format!("{base}/live"),
            posts,
        }
    }

    fn sender(&self) -> ManagementApiSender {
        let sdk_config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "test", "test", None, None, "tests",
            )))
            .build();
        ManagementApiSender::new(management_client_from(&sdk_config, &self.endpoint))
    }
}

/// A path segment with its %XX escapes decoded (connection ids end in `=`).
fn percent_decoded(segment: &str) -> String {
    let mut bytes = Vec::new();
    let mut rest = segment.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' && tail.len() >= 2 {
            let hex = std::str::from_utf8(&tail[..2]).unwrap();
            bytes.push(u8::from_str_radix(hex, 16).unwrap());
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).unwrap()
}

fn user(id: &str) -> UserId {
    UserId::parse(id).unwrap()
}

#[tokio::test]
async fn the_fanout_posts_each_recipient_its_hint_through_the_management_api() {
    let api = ManagementApi::serve().await;
    let connections = MemoryConnections::default();
    // Three tabs of the owner, one of the new assignee, one of the previous assignee, and
    // a bystander's.
    for (who, connection) in [
        ("owner", "o-1"),
        ("owner", "o-2"),
        ("owner", "o/3="),
        ("assignee", "a-1"),
        ("previous", "p-1"),
        ("bystander", "b-1"),
    ] {
        connections
            .register(&user(who), connection, now())
            .await
            .unwrap();
    }
    let fanout = Fanout::new(connections, api.sender());
    let detail = json!({
        "taskId": "6f1c2e0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b", "ownerId": "owner",
        "assignee": "assignee", "previousAssignee": "previous", "version": 4,
        "title": "Private title", "description": "Private description",
    });
    let report = fanout
        .deliver_event(EVENT_SOURCE, "TaskAssigned", detail, now())
        .await
        .unwrap();
    assert_eq!(
        report,
        FanoutReport {
            delivered: 5,
            ..Default::default()
        }
    );
    let posts: BTreeSet<(String, String)> = api.posts.lock().unwrap().iter().cloned().collect();
    let changed =
        r#"{"type":"task.changed","taskId":"6f1c2e0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b","version":4}"#;
    let removed = r#"{"type":"task.removed","taskId":"6f1c2e0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b"}"#;
    let expected: BTreeSet<(String, String)> = [
        ("o-1", changed),
        ("o-2", changed),
        ("o/3=", changed),
        ("a-1", changed),
        ("p-1", removed),
    ]
    .iter()
    .map(|(c, f)| (c.to_string(), f.to_string()))
    .collect();
    assert_eq!(posts, expected);
    assert!(posts.iter().all(|(_, frame)| !frame.contains("Private")));
}

#[tokio::test]
async fn a_gone_connection_is_forgotten_and_a_slow_or_failing_one_delays_no_other() {
    let api = ManagementApi::serve().await;
    let connections = MemoryConnections::default();
    for connection in ["gone-1", "slow-1", "fail-1", "fine-1", "fine-2"] {
        connections
            .register(&user("owner"), connection, now())
            .await
            .unwrap();
    }
    let fanout = Fanout::new(connections, api.sender());
    let detail = json!({ "taskId": "t", "ownerId": "owner", "assignee": null,
        "previousAssignee": null, "version": 2 });
    let started = Instant::now();
    let report = fanout
        .deliver_event(EVENT_SOURCE, "TaskUpdated", detail.clone(), now())
        .await
        .unwrap();
    let took = started.elapsed();
    assert_eq!(
        report,
        FanoutReport {
            delivered: 2,
            gone: 1,
            failed: 2,
            unread: 0
        }
    );
    // The slow post is cut off at the sender's bound, not waited for (5 s).
    assert!(took < Duration::from_secs(4), "{took:?}");
    let mut delivered: Vec<String> = api
        .posts
        .lock()
        .unwrap()
        .iter()
        .map(|(c, _)| c.clone())
        .collect();
    delivered.sort();
    assert_eq!(delivered, ["fine-1", "fine-2"]);

    // The gone connection was forgotten: the next event does not post to it.
    api.posts.lock().unwrap().clear();
    let report = fanout
        .deliver_event(EVENT_SOURCE, "TaskUpdated", detail, now())
        .await
        .unwrap();
    assert_eq!(report.gone, 0);
    assert_eq!(report.delivered + report.failed, 4);
}

#[tokio::test]
async fn the_fine_connections_are_posted_to_at_once_while_a_slow_one_hangs() {
    let api = ManagementApi::serve().await;
    let connections = MemoryConnections::default();
    for connection in ["slow-1", "slow-2", "fine-1"] {
        connections
            .register(&user("owner"), connection, now())
            .await
            .unwrap();
    }
    let fanout = Arc::new(Fanout::new(connections, api.sender()));
    let detail = json!({ "taskId": "t", "ownerId": "owner", "version": 1 });
    let running = {
        let fanout = fanout.clone();
        tokio::spawn(async move {
            fanout
                .deliver_event(EVENT_SOURCE, "TaskCreated", detail, now())
                .await
        })
    };
    // The fine connection has its hint well before the slow posts are given up.
    let started = Instant::now();
    while api.posts.lock().unwrap().is_empty() {
        assert!(
            started.elapsed() < Duration::from_millis(1500),
            "the fine post waited"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let report = running.await.unwrap().unwrap();
    assert_eq!((report.delivered, report.failed), (1, 2));
}

#[tokio::test]
#[ignore = "needs the local DynamoDB that make test starts"]
async fn connections_are_kept_per_user_in_the_table_with_a_cap_and_a_ttl() {
    crate::helpers::local_endpoint();
    let table = crate::helpers::table_name();
    let store = DynamoConnections::connect(&table, 3).await;
    let alice = user(&format!("live-{}", uuid::Uuid::new_v4()));
    let bob = user(&format!("live-{}", uuid::Uuid::new_v4()));
    let t = now();

    assert!(store.connections(&alice, t).await.unwrap().is_empty());
    // Five tabs connect at once: exactly the cap get in, whatever the interleaving.
    let attempts: Vec<_> = (0..5)
        .map(|n| {
            let store = store.clone();
            let alice = alice.clone();
            tokio::spawn(async move { store.register(&alice, &format!("c{n}"), t).await.unwrap() })
        })
        .collect();
    let mut registered = 0;
    for attempt in attempts {
        if attempt.await.unwrap() == Registration::Registered {
            registered += 1;
        }
    }
    assert_eq!(registered, 3);
    let open = store.connections(&alice, t).await.unwrap();
    assert_eq!(open.len(), 3);
    assert_eq!(
        store.register(&alice, "c9", t).await.unwrap(),
        Registration::Refused { open: 3 }
    );
    // Another user has their own cap; registering again the same connection counts once.
    assert_eq!(
        store.register(&bob, "b1", t).await.unwrap(),
        Registration::Registered
    );
    assert_eq!(
        store.register(&bob, "b1", t).await.unwrap(),
        Registration::Registered
    );
    assert_eq!(store.connections(&bob, t).await.unwrap(), ["b1"]);

    // A disconnect frees a place; forgetting twice, or a stranger's, is harmless.
    store.forget(&alice, &open[0]).await.unwrap();
    store.forget(&alice, &open[0]).await.unwrap();
    store
        .forget(&user(&format!("live-{}", uuid::Uuid::new_v4())), "x")
        .await
        .unwrap();
    assert_eq!(store.connections(&alice, t).await.unwrap(), open[1..]);
    assert_eq!(
        store.register(&alice, "c9", t).await.unwrap(),
        Registration::Registered
    );

    // Past the TTL, nothing counts or receives, and new connections get in.
    let later = t + CONNECTION_TTL_SECONDS;
    assert!(store.connections(&alice, later).await.unwrap().is_empty());
    for n in 0..3 {
        assert_eq!(
            store
                .register(&alice, &format!("d{n}"), later)
                .await
                .unwrap(),
            Registration::Registered
        );
    }
    assert_eq!(
        store.connections(&alice, later).await.unwrap(),
        ["d0", "d1", "d2"]
    );

    // One item per user, no task attributes (the stream's filter and the indexes skip it),
    // its TTL the latest expiry.
    let client = tasks::store::dynamodb_client().await;
    let item = client
        .get_item()
        .table_name(&table)
        .key(
            "taskId",
            aws_sdk_dynamodb::types::AttributeValue::S(connections_key(&alice)),
        )
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let mut names: Vec<&str> = item.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["connections", "expiresAt", "revision", "taskId"]);
    assert_eq!(
        item["expiresAt"].as_n().unwrap(),
        &(later + CONNECTION_TTL_SECONDS).to_string()
    );
}

/// The live samples of `events/`, as API Gateway and EventBridge send them, drive the
/// handlers: the authorizer's REQUEST event (its token replaced by one signed here), the
/// socket's connect, ping and disconnect, and the fan-out's task event.
#[tokio::test]
async fn the_live_sample_events_drive_the_handlers() {
    let keys = keys();
    let jwks = Jwks::serve(vec![keys[0].jwk.clone()]).await;
    let authorizer = Authorizer::new(jwks.verifier());
    let mut request = event("live-connect-authorizer");
    let token = sign(&id_claims("e2e-owner-0000"), &keys[0], &keys[0].kid);
    request["queryStringParameters"]["token"] = json!(token);
    request["multiValueQueryStringParameters"]["token"] = json!([token]);
    let request: ApiGatewayCustomAuthorizerRequestTypeRequest =
        serde_json::from_value(request).unwrap();
    let policy = serde_json::to_value(authorizer.decide(&request).await.unwrap()).unwrap();
    assert_eq!(policy["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(
        policy["policyDocument"]["Statement"][0]["Resource"],
        json!([request.method_arn.clone().unwrap()])
    );
    // What API Gateway then hands every event of the connection is in the samples.
    let connect = event("live-connect");
    assert_eq!(
        connect["requestContext"]["authorizer"]["sub"],
        policy["context"]["sub"]
    );

    let api = ManagementApi::serve().await;
    let handler = tasks::live::SocketHandler::new(MemoryConnections::default(), api.sender());
    let owner = user("e2e-owner-0000");
    for (name, status) in [("live-connect", 200), ("live-ping", 200)] {
        let sample = serde_json::from_value(event(name)).unwrap();
        assert_eq!(
            handler.respond(sample, now()).await.status_code,
            status,
            "{name}"
        );
    }
    assert_eq!(
        handler
            .connections()
            .connections(&owner, now())
            .await
            .unwrap(),
        ["L0SM9cOFvHcCIhw="]
    );
    assert_eq!(
        api.posts.lock().unwrap().clone(),
        [(
            "L0SM9cOFvHcCIhw=".to_owned(),
            r#"{"type":"pong"}"#.to_owned()
        )]
    );
    let disconnect = serde_json::from_value(event("live-disconnect")).unwrap();
    assert_eq!(handler.respond(disconnect, now()).await.status_code, 200);
    assert!(
        handler
            .connections()
            .connections(&owner, now())
            .await
            .unwrap()
            .is_empty()
    );

    // The task event: the detail task-events really publishes has the sample's fields.
    let sample = event("live-task-assigned");
    let mut task = tasks::domain::Task::create(
        tasks::domain::TaskId::new_random(),
        user("e2e-owner-0000"),
        tasks::domain::Title::parse("Write the quarterly report").unwrap(),
        &tasks::domain::TaskChanges::default(),
        tasks::domain::Timestamp::parse("2026-12-07T14:00:00Z").unwrap(),
    );
    let mut old = task.clone();
    old.assignee = Some(user("e2e-previous-0000"));
    task.assignee = Some(user("e2e-assignee-0000"));
    let published: Value = serde_json::from_str(
        &tasks::events::TaskEvent::of_change(Some(old), Some(task), "1".into())
            .unwrap()
            .detail(),
    )
    .unwrap();
    let fields = |detail: &Value| -> BTreeSet<String> {
        detail.as_object().unwrap().keys().cloned().collect()
    };
    assert_eq!(fields(&sample["detail"]), fields(&published));

    let connections = MemoryConnections::default();
    for (who, connection) in [
        ("e2e-owner-0000", "o"),
        ("e2e-assignee-0000", "a"),
        ("e2e-previous-0000", "p"),
    ] {
        connections
            .register(&user(who), connection, now())
            .await
            .unwrap();
    }
    let fanout = Fanout::new(connections, api.sender());
    api.posts.lock().unwrap().clear();
    let bus_event: tasks::live::fanout::BusEvent = serde_json::from_value(sample).unwrap();
    let report = fanout
        .deliver_event(
            &bus_event.source,
            &bus_event.detail_type,
            bus_event.detail,
            now(),
        )
        .await
        .unwrap();
    assert_eq!(report.delivered, 3);
    let mut posts = api.posts.lock().unwrap().clone();
    posts.sort();
    let id = "6f1c2e0a-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
    assert_eq!(
        posts,
        [
            (
                "a".to_owned(),
                format!(r#"{{"type":"task.changed","taskId":"{id}","version":3}}"#)
            ),
            (
                "o".to_owned(),
                format!(r#"{{"type":"task.changed","taskId":"{id}","version":3}}"#)
            ),
            (
                "p".to_owned(),
                format!(r#"{{"type":"task.removed","taskId":"{id}"}}"#)
            ),
        ]
    );
}

/// Neither the token nor any content of a task reaches the log, at the most verbose level:
/// the authorizer logs why it refused, the fan-out what became of its posts.
#[tokio::test]
async fn no_token_and_no_task_content_in_the_log() {
    let captured = crate::logs::Captured::default();
    let writer = captured.clone();
    let subscriber = tasks::telemetry::json_subscriber("trace", move || writer.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let keys = keys();
    let jwks = Jwks::serve(vec![keys[0].jwk.clone()]).await;
    let authorizer = Authorizer::new(jwks.verifier());
    let valid = sign(&id_claims("alice"), &keys[0], &keys[0].kid);
    let mut expired = id_claims("alice");
    expired["exp"] = json!(now() - 5);
    let expired = sign(&expired, &keys[0], &keys[0].kid);
    let foreign = sign(&id_claims("alice"), &keys[2], &keys[2].kid);
    for token in [&valid, &expired, &foreign] {
        authorizer.decide(&handshake(Some(token))).await.unwrap();
    }

    let api = ManagementApi::serve().await;
    let connections = MemoryConnections::default();
    for connection in ["fine-1", "gone-1", "fail-1"] {
        connections
            .register(&user("alice"), connection, now())
            .await
            .unwrap();
    }
    let fanout = Fanout::new(connections, api.sender());
    let detail = json!({ "taskId": "t", "ownerId": "alice", "version": 2,
        "title": "Secret title 9f2e", "description": "private description 1b7a" });
    fanout
        .deliver_event(EVENT_SOURCE, "TaskUpdated", detail, now())
        .await
        .unwrap();

    let lines = captured.lines();
    let text = serde_json::to_string(&lines).unwrap();
    assert!(
        text.contains("handshake refused") && text.contains("hints posted"),
        "the log tells what happened: {text}"
    );
    for secret in [&valid, &expired, &foreign] {
        // Any of a token's three parts would be a leak, its signature above all.
        for part in secret.split('.') {
            assert!(!text.contains(part), "a token's part is in the log");
        }
    }
    for content in ["Secret title 9f2e", "private description 1b7a"] {
        assert!(!text.contains(content), "{content} is in the log");
    }
}
