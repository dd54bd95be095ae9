//! The `$connect` authorizer (the `live-authorizer` function): a Lambda REQUEST authorizer
//! that verifies the Cognito ID token the client passes in the `token` query string
//! parameter, as API Gateway's own Cognito authorizer does for the REST API, plus the app
//! client check the REST functions make (`ALLOWED_CLIENT_IDS`):
//!
//! - the signature (RS256) against the user pool's JWKS, fetched once per execution
//!   environment and kept, fetched again when a token names a key id it does not hold (a
//!   key rotation), at most once per [`MIN_REFRESH_INTERVAL`];
//! - `iss` is the pool's issuer, `token_use` is `id` (an access token is refused), `aud` is
//!   one of the allowed app clients, `exp` is in the future (no leeway), `sub` is a user id.
//!
//! The verification is jsonwebtoken's, never hand-written. An accepted token gives an IAM
//! policy allowing the `$connect` route that was asked for, with the user's `sub` as the
//! principal and in the context, which API Gateway passes to every later event of the
//! connection. Anything else gives a deny (the handshake gets 403). The token is never
//! logged, nor any part of it: only why it was refused.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_lambda_events::event::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerResponse,
};
use aws_lambda_events::event::iam::{IamPolicyEffect, IamPolicyStatement};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_runtime::{Error, LambdaEvent};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{Mutex, RwLock};

use super::socket::USER_CONTEXT_KEY;
use crate::domain::UserId;

/// The query string parameter that carries the ID token at the handshake (the authorizer's
/// identity source). The stage's access log format never includes the query string.
pub const TOKEN_QUERY_PARAMETER: &str = "token";

/// How soon after a fetch an unknown key id may make the verifier fetch the JWKS again: a
/// stream of tokens with made-up key ids costs one fetch a minute, not one each.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(60);
/// One JWKS fetch, connection included.
pub const JWKS_FETCH_TIMEOUT: Duration = Duration::from_secs(2);
/// A JWKS is a few hundred bytes; a larger answer is not one.
const MAX_JWKS_BYTES: usize = 64 * 1024;

/// The issuer of a user pool's tokens.
pub fn cognito_issuer(region: &str, user_pool_id: &str) -> String {
    format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}")
}

/// Where an issuer publishes its keys.
pub fn jwks_url(issuer: &str) -> String {
    format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/'))
}

/// Why a token was refused, or could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no token")]
    Missing,
    #[error("the token is not a JWT with an RS256 header and a key id")]
    Malformed,
    #[error("no key of the pool has the token's key id")]
    UnknownKey,
    #[error("the token is refused: {0}")]
    Refused(String),
    #[error("the token is not an ID token")]
    NotAnIdToken,
    /// The pool's keys could not be read: not the client's fault.
    #[error("the JWKS cannot be fetched: {0}")]
    JwksUnavailable(String),
}

type HttpsClient = Client<hyper_rustls::HttpsConnector<HttpConnector>, Empty<Bytes>>;

/// Fetches a JWKS over HTTPS, trusting Amazon's roots only (Cognito's certificates chain to
/// them); over plain HTTP only from loopback (tests).
#[derive(Clone, Debug)]
pub struct JwksClient {
    url: String,
    client: HttpsClient,
}

impl JwksClient {
    pub fn new(url: impl Into<String>) -> Result<Self, AuthError> {
        let url = url.into();
        let https = url.starts_with("https://");
        if !https && !crate::store::is_loopback_url(&url) {
            return Err(AuthError::JwksUnavailable(format!(
                "{url} is neither HTTPS nor on loopback"
            )));
        }
        let mut roots = rustls::RootCertStore::empty();
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        for certificate in
            CertificateDer::pem_slice_iter(crate::store::AMAZON_ROOT_CAS.as_bytes()).flatten()
        {
            let _ = roots.add(certificate);
        }
        let tls = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|error| AuthError::JwksUnavailable(error.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls);
        let connector = if https {
            connector.https_only().enable_http1().build()
        } else {
            connector.https_or_http().enable_http1().build()
        };
        let client = Client::builder(TokioExecutor::new()).build(connector);
        Ok(Self { url, client })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// The key set, within [`JWKS_FETCH_TIMEOUT`].
    pub async fn fetch(&self) -> Result<JwkSet, AuthError> {
        let unavailable = |reason: String| AuthError::JwksUnavailable(reason);
        let uri: hyper::Uri = self
            .url
            .parse()
            .map_err(|error: hyper::http::uri::InvalidUri| unavailable(error.to_string()))?;
        let fetch = async {
            let response = self
                .client
                .get(uri)
                .await
                .map_err(|error| unavailable(error.to_string()))?;
            if !response.status().is_success() {
                return Err(unavailable(format!("status {}", response.status())));
            }
            let body = Limited::new(response.into_body(), MAX_JWKS_BYTES)
                .collect()
                .await
                .map_err(|error| unavailable(error.to_string()))?
                .to_bytes();
            serde_json::from_slice::<JwkSet>(&body).map_err(|error| unavailable(error.to_string()))
        };
        tokio::time::timeout(JWKS_FETCH_TIMEOUT, fetch)
            .await
            .map_err(|_| unavailable(format!("no answer within {JWKS_FETCH_TIMEOUT:?}")))?
    }
}

/// The claims read besides those jsonwebtoken checks.
#[derive(Deserialize)]
struct IdClaims {
    sub: String,
    token_use: Option<String>,
}

struct KeyCache {
    keys: HashMap<String, DecodingKey>,
    fetched_at: Option<Instant>,
}

/// Verifies Cognito ID tokens of one pool for some app clients.
pub struct IdTokenVerifier {
    validation: Validation,
    jwks: JwksClient,
    cache: RwLock<KeyCache>,
    /// Held while fetching, so that concurrent verifications fetch once.
    fetching: Mutex<()>,
    min_refresh_interval: Duration,
}

impl IdTokenVerifier {
    /// For tokens of `issuer` issued to one of `client_ids`, signed with a key of `jwks`.
    pub fn new(issuer: &str, client_ids: &[String], jwks: JwksClient) -> Self {
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(client_ids);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        Self {
            validation,
            jwks,
            cache: RwLock::new(KeyCache {
                keys: HashMap::new(),
                fetched_at: None,
            }),
            fetching: Mutex::new(()),
            min_refresh_interval: MIN_REFRESH_INTERVAL,
        }
    }

    /// The same verifier, fetching again after an unknown key id at most once per
    /// `interval` (tests rotate keys faster than a minute).
    pub fn with_min_refresh_interval(self, interval: Duration) -> Self {
        Self {
            min_refresh_interval: interval,
            ..self
        }
    }

    /// The key with id `kid`: from the cache, or from the JWKS fetched again.
    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        if let Some(key) = self.cache.read().await.keys.get(kid) {
            return Ok(key.clone());
        }
        let _fetching = self.fetching.lock().await;
        // Another verification may have fetched while this one waited.
        {
            let cache = self.cache.read().await;
            if let Some(key) = cache.keys.get(kid) {
                return Ok(key.clone());
            }
            if cache
                .fetched_at
                .is_some_and(|at| at.elapsed() < self.min_refresh_interval)
            {
                return Err(AuthError::UnknownKey);
            }
        }
        let set = self.jwks.fetch().await?;
        let keys: HashMap<String, DecodingKey> = set
            .keys
            .iter()
            .filter_map(|jwk: &Jwk| {
                let kid = jwk.common.key_id.clone()?;
                DecodingKey::from_jwk(jwk).ok().map(|key| (kid, key))
            })
            .collect();
        tracing::info!(keys = keys.len(), url = self.jwks.url(), "JWKS fetched");
        let mut cache = self.cache.write().await;
        cache.keys = keys;
        cache.fetched_at = Some(Instant::now());
        cache.keys.get(kid).cloned().ok_or(AuthError::UnknownKey)
    }

    /// The user of a valid ID token.
    pub async fn verify(&self, token: &str) -> Result<UserId, AuthError> {
        if token.is_empty() {
            return Err(AuthError::Missing);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| AuthError::Malformed)?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Malformed);
        }
        let kid = header.kid.ok_or(AuthError::Malformed)?;
        let key = self.key(&kid).await?;
        let claims = jsonwebtoken::decode::<IdClaims>(token, &key, &self.validation)
            .map_err(|error| AuthError::Refused(format!("{:?}", error.kind())))?
            .claims;
        if claims.token_use.as_deref() != Some("id") {
            return Err(AuthError::NotAnIdToken);
        }
        UserId::parse(&claims.sub).map_err(|reason| AuthError::Refused(format!("sub {reason}")))
    }
}

/// The REQUEST authorizer of the `$connect` route.
pub struct Authorizer {
    verifier: IdTokenVerifier,
}

impl Authorizer {
    pub fn new(verifier: IdTokenVerifier) -> Self {
        Self { verifier }
    }

    /// The Lambda handler. Fails (the handshake gets 500) only when the pool's keys cannot
    /// be read, so that an outage shows in the function's errors rather than as refusals.
    pub async fn handle(
        &self,
        event: LambdaEvent<ApiGatewayCustomAuthorizerRequestTypeRequest>,
    ) -> Result<ApiGatewayCustomAuthorizerResponse, Error> {
        self.decide(&event.payload).await.map_err(Error::from)
    }

    /// The policy for one handshake.
    pub async fn decide(
        &self,
        request: &ApiGatewayCustomAuthorizerRequestTypeRequest,
    ) -> Result<ApiGatewayCustomAuthorizerResponse, AuthError> {
        let resource = request.method_arn.clone().unwrap_or_default();
        let token = request
            .query_string_parameters
            .first(TOKEN_QUERY_PARAMETER)
            .unwrap_or_default();
        match self.verifier.verify(token).await {
            Ok(user) => Ok(policy(Some(&user), IamPolicyEffect::Allow, resource)),
            Err(error @ AuthError::JwksUnavailable(_)) => {
                tracing::error!(error = %error, "cannot verify tokens");
                Err(error)
            }
            Err(error) => {
                tracing::warn!(reason = %error, "handshake refused");
                Ok(policy(None, IamPolicyEffect::Deny, resource))
            }
        }
    }
}

/// A policy of one statement on `resource` (the `$connect` route's ARN).
pub fn policy(
    user: Option<&UserId>,
    effect: IamPolicyEffect,
    resource: String,
) -> ApiGatewayCustomAuthorizerResponse {
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = effect;
    statement.resource = vec![resource];
    let mut document = ApiGatewayCustomAuthorizerPolicy::default();
    document.version = Some("2012-10-17".to_owned());
    document.statement = vec![statement];
    let mut response = ApiGatewayCustomAuthorizerResponse::default();
    response.principal_id = Some(user.map_or("anonymous", UserId::as_str).to_owned());
    response.policy_document = document;
    // An object either way: API Gateway reads the context's values as strings.
    response.context = match user {
        Some(user) => json!({ USER_CONTEXT_KEY: user.as_str() }),
        None => json!({}),
    };
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_and_its_keys_are_the_pools() {
        let issuer = cognito_issuer("eu-west-1", "eu-west-1_AbC");
        assert_eq!(
            issuer,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC"
        );
        assert_eq!(
            jwks_url(&issuer),
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC/.well-known/jwks.json"
        );
    }

    #[test]
    fn a_jwks_is_fetched_over_https_or_from_loopback_only() {
        assert!(
            JwksClient::new("https://cognito-idp.eu-west-1.amazonaws.com/p/.well-known/jwks.json")
                .is_ok()
        );
        assert!(JwksClient::new("http://127.0.0.1:9/jwks.json").is_ok());
        assert!(JwksClient::new("http://example.com/jwks.json").is_err());
    }

    #[test]
    fn the_policy_allows_the_route_for_the_user_or_denies_it() {
        let arn = "arn:aws:execute-api:eu-west-1:123456789012:abc/live/$connect".to_owned();
        let allow = serde_json::to_value(policy(
            Some(&UserId::parse("alice").unwrap()),
            IamPolicyEffect::Allow,
            arn.clone(),
        ))
        .unwrap();
        assert_eq!(allow["principalId"], "alice");
        assert_eq!(allow["context"], json!({"sub": "alice"}));
        assert_eq!(allow["policyDocument"]["Statement"][0]["Effect"], "Allow");
        assert_eq!(
            allow["policyDocument"]["Statement"][0]["Resource"],
            json!([arn])
        );
        assert_eq!(
            allow["policyDocument"]["Statement"][0]["Action"],
            json!(["execute-api:Invoke"])
        );
        let deny = serde_json::to_value(policy(None, IamPolicyEffect::Deny, arn)).unwrap();
        assert_eq!(deny["policyDocument"]["Statement"][0]["Effect"], "Deny");
        assert_eq!(deny["context"], json!({}));
        assert_eq!(deny["principalId"], "anonymous");
    }
}
