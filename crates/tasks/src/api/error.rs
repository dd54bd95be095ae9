//! The one error type of the API: every failure maps to a status and an RFC 9457
//! `application/problem+json` body. What a client must not see (SDK messages, table
//! names) is logged with the request id and replaced by a generic detail.

use std::borrow::Cow;
use std::error::Error;

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::domain::{Rejection, Version};
use crate::store::StoreError;

/// Seconds a client should wait before retrying after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 1;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed JSON, a missing body, a body that is not an object, an empty update.
    #[error("invalid body: {0}")]
    InvalidBody(String),
    /// One or more fields, query parameters, headers or path parameters are invalid.
    #[error("validation failed: {0:?}")]
    Validation(Vec<FieldError>),
    #[error("no authenticated caller")]
    Unauthenticated,
    #[error("no such task")]
    NotFound,
    /// The caller sees the task (its assignee) but may not do this: change these fields
    /// (an update) or, with none, delete it.
    #[error("forbidden: {fields:?}")]
    Forbidden { fields: Vec<&'static str> },
    #[error("method not allowed")]
    MethodNotAllowed { allow: String },
    #[error("If-Match does not match version {current}")]
    PreconditionFailed { current: Version },
    #[error("body over {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("body is not JSON by content type")]
    UnsupportedMediaType,
    #[error("Idempotency-Key reused with a different body")]
    IdempotencyKeyReused,
    /// The caller holds as many tasks as the stack allows (`MaxTasksPerOwner`).
    #[error("task limit of {limit} reached")]
    TaskLimitReached { limit: u32 },
    #[error("storage unavailable")]
    Unavailable(#[source] StoreError),
    /// A service other than DynamoDB (the user pool, a queue) failed or timed out, after
    /// its client's retries.
    #[error("{service} unavailable")]
    ServiceUnavailable {
        service: &'static str,
        #[source]
        source: crate::store::ErrorSource,
    },
    #[error("internal error")]
    Internal(#[source] StoreError),
    /// The function lacks configuration that this request needs.
    #[error("misconfigured: {0}")]
    Misconfigured(&'static str),
}

impl ApiError {
    pub fn field(field: impl Into<String>, message: Rejection) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// Every error's status, problem `type` (the last segment of its URI, documented in
    /// `docs/problems.md`), title and detail: the one table of what a client is told.
    fn describe(&self) -> (StatusCode, &'static str, &'static str, Cow<'_, str>) {
        use StatusCode as S;
        match self {
            Self::InvalidBody(detail) => (
                S::BAD_REQUEST,
                "invalid-body",
                "Invalid request body",
                detail.into(),
            ),
            Self::Validation(errors) => (
                S::BAD_REQUEST,
                "validation-error",
                "Validation failed",
                errors
                    .iter()
                    .map(|e| format!("{} {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
                    .into(),
            ),
            Self::Unauthenticated => (
                S::UNAUTHORIZED,
                "unauthenticated",
                "Authentication required",
                "the request carries no authenticated caller".into(),
            ),
            Self::NotFound => (
                S::NOT_FOUND,
                "not-found",
                "Task not found",
                "there is no task with this id for this caller".into(),
            ),
            Self::Forbidden { fields } if fields.is_empty() => (
                S::FORBIDDEN,
                "forbidden",
                "Forbidden",
                "only the task's owner may delete it; its assignee may decline it with {\"assignee\": null}".into(),
            ),
            Self::Forbidden { fields } => (
                S::FORBIDDEN,
                "forbidden",
                "Forbidden",
                format!(
                    "as the task's assignee you may change its status or decline it; not {}; nothing was changed",
                    fields.join(", ")
                )
                .into(),
            ),
            Self::MethodNotAllowed { allow } => (
                S::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "Method not allowed",
                format!("this path serves {allow}").into(),
            ),
            Self::PreconditionFailed { current } => (
                S::PRECONDITION_FAILED,
                "precondition-failed",
                "Precondition failed",
                format!(
                    "the task is at version {current}; fetch it and retry with If-Match: {}",
                    super::etag(*current)
                )
                .into(),
            ),
            Self::PayloadTooLarge { limit } => (
                S::PAYLOAD_TOO_LARGE,
                "payload-too-large",
                "Payload too large",
                format!("the body must be at most {limit} bytes").into(),
            ),
            Self::UnsupportedMediaType => (
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "the body must be sent as application/json".into(),
            ),
            Self::IdempotencyKeyReused => (
                S::UNPROCESSABLE_ENTITY,
                "idempotency-key-reused",
                "Idempotency key reused",
                "this Idempotency-Key was first used with a different body; use a new key".into(),
            ),
            Self::TaskLimitReached { limit } => (
                S::CONFLICT,
                "task-limit-reached",
                "Task limit reached",
                format!("you already have {limit} tasks, the most this service keeps for one user; delete some to create more").into(),
            ),
            Self::Unavailable(_) | Self::ServiceUnavailable { .. } => (
                S::SERVICE_UNAVAILABLE,
                "service-unavailable",
                "Service unavailable",
                "the service is temporarily unavailable; retry later".into(),
            ),
            Self::Internal(_) | Self::Misconfigured(_) => (
                S::INTERNAL_SERVER_ERROR,
                "internal-error",
                "Internal error",
                "an unexpected error occurred".into(),
            ),
        }
    }

    pub fn kind(&self) -> &'static str {
        self.describe().1
    }

    /// Renders the problem response. `instance` is the request id, which is also in
    /// every log line of the request, so a client report can be matched to the logs.
    pub fn to_response(&self, type_base: &str, request_id: &str) -> Response<Body> {
        #[derive(Serialize)]
        struct Problem<'a> {
            #[serde(rename = "type")]
            type_uri: String,
            title: &'a str,
            status: u16,
            detail: String,
            instance: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            errors: Option<Cow<'a, [FieldError]>>,
        }
        let (status, kind, title, detail) = self.describe();
        let problem = Problem {
            type_uri: format!("{type_base}{kind}"),
            title,
            status: status.as_u16(),
            detail: detail.into_owned(),
            instance: request_id,
            errors: match self {
                Self::Validation(errors) => Some(Cow::Borrowed(errors)),
                Self::Forbidden { fields } if !fields.is_empty() => Some(Cow::Owned(
                    fields
                        .iter()
                        .map(|field| FieldError::new(*field, forbidden_reason(field)))
                        .collect(),
                )),
                _ => None,
            },
        };
        let body = serde_json::to_string(&problem).unwrap_or_default();
        let mut response = Response::new(Body::Text(body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match self {
            Self::MethodNotAllowed { allow } => {
                if let Ok(allow) = HeaderValue::from_str(allow) {
                    headers.insert(header::ALLOW, allow);
                }
            }
            Self::PreconditionFailed { current } => {
                if let Ok(etag) = HeaderValue::from_str(&super::etag(*current)) {
                    headers.insert(header::ETAG, etag);
                }
            }
            Self::Unavailable(_) | Self::ServiceUnavailable { .. } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            }
            _ => {}
        }
        response
    }

    /// DynamoDB throttled this request (counted apart from other unavailability).
    pub fn is_throttle(&self) -> bool {
        matches!(self, Self::Unavailable(StoreError::Throttled(_)))
    }

    /// Writes what the response hides to the log: server faults with their whole cause
    /// chain at error; client errors only at debug (the request's info line says enough).
    pub fn log(&self, request_id: &str) {
        match self {
            Self::Internal(source) | Self::Unavailable(source) => {
                let causes = std::iter::successors(Some(source as &dyn Error), |&e| e.source());
                let chain: Vec<String> = causes.map(ToString::to_string).collect();
                let error = chain.join(": ");
                tracing::error!(request_id, kind = self.kind(), error, "request failed");
            }
            Self::ServiceUnavailable { service, source } => {
                let causes = std::iter::successors(Some(&**source as &dyn Error), |&e| e.source());
                let chain: Vec<String> = causes.map(ToString::to_string).collect();
                let error = chain.join(": ");
                tracing::error!(
                    request_id,
                    kind = self.kind(),
                    service,
                    error,
                    "request failed"
                );
            }
            Self::Misconfigured(error) => {
                tracing::error!(request_id, kind = self.kind(), error, "request failed");
            }
            Self::Validation(errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                tracing::debug!(request_id, kind = self.kind(), ?fields, "request refused");
            }
            _ => {
                tracing::debug!(request_id, kind = self.kind(), detail = %self.describe().3, "request refused")
            }
        }
    }
}

/// Why an assignee may not change `field`.
fn forbidden_reason(field: &str) -> &'static str {
    if field == "assignee" {
        "an assignee may only set it to null, to decline the task"
    } else {
        "may only be changed by the task's owner"
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound,
            StoreError::Forbidden { fields } => Self::Forbidden { fields },
            StoreError::VersionMismatch { current } => Self::PreconditionFailed { current },
            StoreError::Throttled(_) | StoreError::Unavailable(_) => Self::Unavailable(error),
            StoreError::IdempotencyKeyReused => Self::IdempotencyKeyReused,
            StoreError::TaskLimitReached { limit } => Self::TaskLimitReached { limit },
            StoreError::AlreadyExists | StoreError::Failed(_) | StoreError::CorruptItem { .. } => {
                Self::Internal(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_of(response: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    }

    #[test]
    fn validation_problem_lists_every_bad_field() {
        let error = ApiError::Validation(vec![
            FieldError::new("title", "must be 1 to 200 characters"),
            FieldError::new("status", "must be one of pending, in_progress, completed"),
        ]);
        let response = error.to_response("https://docs.example/problems/", "req-1");
        assert_eq!(response.status(), 400);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let body = body_of(&response);
        assert_eq!(
            body["type"],
            "https://docs.example/problems/validation-error"
        );
        assert_eq!(body["instance"], "req-1");
        assert_eq!(body["errors"].as_array().unwrap().len(), 2);
        assert_eq!(body["errors"][0]["field"], "title");
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .starts_with("title must be 1 to 200")
        );
    }

    #[test]
    fn internal_failures_never_show_their_cause() {
        let cause = StoreError::Failed("ResourceNotFoundException: table tasks-prod".into());
        let response = ApiError::from(cause).to_response("/p/", "req-2");
        assert_eq!(response.status(), 500);
        let text = String::from_utf8(response.body().to_vec()).unwrap();
        assert!(
            !text.contains("tasks-prod") && !text.contains("ResourceNotFound"),
            "{text}"
        );
        assert_eq!(body_of(&response)["detail"], "an unexpected error occurred");
    }

    #[test]
    fn unavailable_storage_gives_503_with_retry_after() {
        let response =
            ApiError::from(StoreError::Unavailable("throttled".into())).to_response("/p/", "req-3");
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
    }

    #[test]
    fn version_conflict_carries_the_current_etag() {
        let response = ApiError::from(StoreError::VersionMismatch {
            current: Version::new(4),
        })
        .to_response("/p/", "req-4");
        assert_eq!(response.status(), 412);
        assert_eq!(response.headers()["etag"], "\"4\"");
    }

    #[test]
    fn another_service_unavailable_gives_503_with_retry_after_and_hides_it() {
        let error = ApiError::ServiceUnavailable {
            service: "SQS",
            source: "SendMessage failed: AWS.SimpleQueueService.NonExistentQueue".into(),
        };
        let response = error.to_response("/p/", "req-5");
        assert_eq!(response.status(), 503);
        assert_eq!(response.headers()["retry-after"], "1");
        let text = String::from_utf8(response.body().to_vec()).unwrap();
        assert!(
            !text.contains("SQS") && !text.contains("SendMessage"),
            "{text}"
        );
        assert_eq!(body_of(&response)["type"], "/p/service-unavailable");
    }
}
