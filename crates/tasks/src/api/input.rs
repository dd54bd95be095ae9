//! Turning a request into validated domain values, collecting every problem at once.

use lambda_http::http::{HeaderMap, header};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::{Map, Value};

use super::error::{ApiError, FieldError};
use crate::domain::{
    Description, IdempotencyKey, Priority, Rejection, Scope, Status, Tag, Tags, TaskChanges,
    TaskId, Timestamp, Title, UserId, Version,
};

/// Bodies over this size are refused with 413 before they are parsed.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
pub const DEFAULT_PAGE_SIZE: u16 = 20;
pub const MAX_PAGE_SIZE: u16 = 100;

const WRITABLE_FIELDS: &str =
    "title, description, status, priority, dueDate, remindAt, tags, assignee";

/// The header that names the caller of a local request (`make dev`, the tests), honoured
/// only where a local caller is configured: never in a deployed function.
pub const LOCAL_CALLER_HEADER: &str = "x-local-caller";
const READ_ONLY_FIELDS: &[&str] = &[
    "taskId",
    "createdAt",
    "updatedAt",
    "completedAt",
    "version",
    "ownerId",
    "owner",
    "userId",
];

/// The authenticated caller: the Cognito `sub` that API Gateway's authorizer put in the
/// REST request context. Never from the body or the query; from a header only locally. The
/// authorizer has checked the token's signature, issuer and expiry, not which app client it
/// was issued to: where `allowed_client_ids` is configured, the ID token's `aud` must be one
/// of them. Without claims, and only where a local caller is configured (local builds): the
/// caller that `X-Local-Caller` names, else the local caller. Else 401.
pub fn caller(
    request: &Request,
    allowed_client_ids: &[String],
    local_caller: Option<&UserId>,
) -> Result<UserId, ApiError> {
    let claims = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.authorizer.fields.get("claims"),
        _ => None,
    };
    let Some(claims) = claims else {
        let local_caller = local_caller.ok_or(ApiError::Unauthenticated)?;
        return match request.headers().get(LOCAL_CALLER_HEADER) {
            None => Ok(local_caller.clone()),
            Some(named) => named
                .to_str()
                .ok()
                .and_then(|id| UserId::parse(id).ok())
                .ok_or(ApiError::Unauthenticated),
        };
    };
    let claim = |name: &str| claims.get(name).and_then(Value::as_str);
    if !allowed_client_ids.is_empty() {
        let issued_to_us = claim("token_use") == Some("id")
            && claim("aud").is_some_and(|aud| allowed_client_ids.iter().any(|id| id == aud));
        if !issued_to_us {
            tracing::warn!(
                aud = claim("aud"),
                token_use = claim("token_use"),
                "token refused: not an ID token of an allowed app client"
            );
            return Err(ApiError::Unauthenticated);
        }
    }
    claim("sub")
        .ok_or(ApiError::Unauthenticated)
        .and_then(|sub| UserId::parse(sub).map_err(|_| ApiError::Unauthenticated))
}

/// The `{taskId}` of `/tasks/{taskId}`. Path parameters come from API Gateway and from
/// `cargo lambda watch`'s router alike.
pub fn task_id(request: &Request) -> Result<TaskId, ApiError> {
    let raw = request
        .path_parameters_ref()
        .and_then(|params| params.first("taskId"))
        .unwrap_or_default();
    TaskId::parse(raw).map_err(|message| ApiError::field("taskId", message))
}

/// `If-Match: "<version>"` (or `*`, which any existing task matches).
pub fn if_match(headers: &HeaderMap) -> Result<Option<Version>, ApiError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    const EXPECTED: Rejection = "must be an entity tag from ETag, such as \"3\", or *";
    let value = value
        .to_str()
        .map_err(|_| ApiError::field("If-Match", EXPECTED))?
        .trim();
    if value == "*" {
        return Ok(None);
    }
    value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .and_then(digits)
        .map(|v| Some(Version::new(v)))
        .ok_or_else(|| ApiError::field("If-Match", EXPECTED))
}

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// `Idempotency-Key`, if the client sent one.
pub fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let raw = value.to_str().unwrap_or("\u{0}");
    IdempotencyKey::parse(raw)
        .map(Some)
        .map_err(|message| ApiError::field("Idempotency-Key", message))
}

/// The body as a JSON object: 413 over the size limit, 415 if declared as something other
/// than JSON or not declared at all, 400 if empty, malformed or not an object. Requiring
/// the declaration also keeps browsers from sending a body cross-site without a CORS
/// preflight (a "simple" request can only declare a form or plain text).
pub fn json_object(request: &Request) -> Result<Map<String, Value>, ApiError> {
    let body: &[u8] = request.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::PayloadTooLarge {
            limit: MAX_BODY_BYTES,
        });
    }
    let declared_json = request
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|content_type| is_json(content_type.to_str().unwrap_or_default()));
    if !declared_json && !body.is_empty() {
        return Err(ApiError::UnsupportedMediaType);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidBody(
            "a JSON object body is required".into(),
        ));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::InvalidBody(
            "the body must be a JSON object".into(),
        )),
        Err(error) => Err(ApiError::InvalidBody(format!(
            "the body is not valid JSON: {error}"
        ))),
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// Validates the writable fields of a body into changes; every bad field is reported.
/// `caller` may not name themselves as the assignee: an owner does not assign a task to
/// themselves, and an assignee declines with `null`. `now` is the moment of the write: a
/// reminder must be later.
pub fn task_changes(
    body: &Map<String, Value>,
    caller: &UserId,
    now: Timestamp,
) -> Result<TaskChanges, ApiError> {
    let mut errors = Vec::new();
    let mut changes = TaskChanges::default();
    for (name, value) in body {
        let mut check = |result: Result<(), Rejection>| {
            if let Err(message) = result {
                errors.push(FieldError::new(name, message));
            }
        };
        match name.as_str() {
            "title" => check(parsed(value, Title::parse).map(|v| changes.title = Some(v))),
            "description" => {
                check(parsed(value, Description::parse).map(|v| changes.description = Some(v)))
            }
            "status" => check(parsed(value, Status::parse).map(|v| changes.status = Some(v))),
            "priority" => check(parsed(value, Priority::parse).map(|v| changes.priority = Some(v))),
            "dueDate" => check(due_date(value).map(|due| changes.due_date = Some(due))),
            "remindAt" => check(remind_at(value, now).map(|at| changes.remind_at = Some(at))),
            "assignee" => check(assignee(value, caller).map(|a| changes.assignee = Some(a))),
            "tags" => match tags(value) {
                Ok(tags) => changes.tags = Some(tags),
                Err(tag_errors) => errors.extend(tag_errors),
            },
            read_only if READ_ONLY_FIELDS.contains(&read_only) => {
                check(Err("is set by the server and cannot be sent"))
            }
            _ => check(Err("is not a known field")),
        }
    }
    if errors.is_empty() {
        Ok(changes)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// The body of `POST /tasks`: `title` and any other writable field.
pub fn new_task(
    body: &Map<String, Value>,
    caller: &UserId,
    now: Timestamp,
) -> Result<(Title, TaskChanges), ApiError> {
    const REQUIRED: Rejection = "is required";
    let mut fields = match task_changes(body, caller, now) {
        Err(ApiError::Validation(mut errors)) if !body.contains_key("title") => {
            errors.insert(0, FieldError::new("title", REQUIRED));
            return Err(ApiError::Validation(errors));
        }
        result => result?,
    };
    let title = fields
        .title
        .take()
        .ok_or(ApiError::field("title", REQUIRED))?;
    Ok((title, fields))
}

/// The body of `PUT`/`PATCH /tasks/{taskId}`: at least one writable field.
pub fn update(
    body: &Map<String, Value>,
    caller: &UserId,
    now: Timestamp,
) -> Result<TaskChanges, ApiError> {
    let changes = task_changes(body, caller, now)?;
    if changes.is_empty() {
        return Err(ApiError::InvalidBody(format!(
            "the body must hold at least one of {WRITABLE_FIELDS}"
        )));
    }
    Ok(changes)
}

/// `null` clears the due date; a string sets it.
fn due_date(value: &Value) -> Result<Option<Timestamp>, Rejection> {
    match value {
        Value::Null => Ok(None),
        value => string(value).and_then(Timestamp::parse).map(Some),
    }
}

/// `null` clears the reminder; a time later than `now` sets it. A reminder already due when
/// it is written would be delivered at once or never: the client meant something else.
fn remind_at(value: &Value, now: Timestamp) -> Result<Option<Timestamp>, Rejection> {
    match due_date(value)? {
        Some(at) if at <= now => Err("must be later than now"),
        at => Ok(at),
    }
}

/// `null` clears the assignee; a user id other than the caller's sets it.
fn assignee(value: &Value, caller: &UserId) -> Result<Option<UserId>, Rejection> {
    match value {
        Value::Null => Ok(None),
        value => match string(value).and_then(UserId::parse)? {
            own if own == *caller => Err(
                "must not be your own id: an owner does not assign a task to themselves, and an assignee declines with null",
            ),
            assignee => Ok(Some(assignee)),
        },
    }
}

/// A whole number written in ASCII digits only (no sign, no spaces), as `u64::from_str`
/// alone would also take `+5`.
fn digits(raw: &str) -> Option<u64> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse().ok()
}

fn string(value: &Value) -> Result<&str, Rejection> {
    value.as_str().ok_or("must be a string")
}

/// A string field through its type's parser.
fn parsed<T>(value: &Value, parse: fn(&str) -> Result<T, Rejection>) -> Result<T, Rejection> {
    string(value).and_then(parse)
}

fn tags(value: &Value) -> Result<Tags, Vec<FieldError>> {
    let Some(values) = value.as_array() else {
        return Err(vec![FieldError::new("tags", "must be an array of strings")]);
    };
    let mut errors = Vec::new();
    let mut tags = Vec::with_capacity(values.len());
    for (i, value) in values.iter().enumerate() {
        match string(value).and_then(Tag::parse) {
            Ok(tag) => tags.push(tag),
            Err(message) => errors.push(FieldError::new(format!("tags[{i}]"), message)),
        }
    }
    match Tags::new(tags) {
        Ok(tags) if errors.is_empty() => Ok(tags),
        Ok(_) => Err(errors),
        Err(message) => {
            errors.insert(0, FieldError::new("tags", message));
            Err(errors)
        }
    }
}

/// The query of `GET /tasks`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ListParams {
    pub scope: Scope,
    pub status: Option<Status>,
    pub limit: u16,
    pub next_token: Option<String>,
}

pub fn list_params(request: &Request) -> Result<ListParams, ApiError> {
    let mut params = ListParams {
        limit: DEFAULT_PAGE_SIZE,
        ..ListParams::default()
    };
    let Some(query) = request.query_string_parameters_ref() else {
        return Ok(params);
    };
    let mut errors = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in query.iter() {
        if seen.contains(&name) {
            if !errors.iter().any(|e: &FieldError| e.field == name) {
                errors.push(FieldError::new(name, "must be given at most once"));
            }
            continue;
        }
        seen.push(name);
        let result = match name {
            "scope" => Scope::parse(value).map(|s| params.scope = s),
            "status" => Status::parse(value).map(|s| params.status = Some(s)),
            "limit" => digits(value)
                .filter(|n| (1..=u64::from(MAX_PAGE_SIZE)).contains(n))
                .map(|n| n as u16)
                .map(|n| params.limit = n)
                .ok_or("must be a whole number from 1 to 100"),
            "nextToken" => {
                params.next_token = Some(value.to_owned());
                Ok(())
            }
            _ => Err("is not a known query parameter (scope, status, limit, nextToken)"),
        };
        if let Err(message) = result {
            errors.push(FieldError::new(name, message));
        }
    }
    if errors.is_empty() {
        Ok(params)
    } else {
        // The query's map has no order: name the bad parameters in a stable one.
        errors.sort_by(|a, b| a.field.cmp(&b.field));
        Err(ApiError::Validation(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn me() -> UserId {
        UserId::parse("alice").unwrap()
    }

    fn now() -> Timestamp {
        Timestamp::parse("2026-12-07T12:00:00Z").unwrap()
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn fields(error: ApiError) -> Vec<String> {
        match error {
            ApiError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn create_needs_only_a_title() {
        let (title, fields) =
            new_task(&object(json!({"title": " Buy milk "})), &me(), now()).unwrap();
        assert_eq!(title.as_str(), "Buy milk");
        assert!(fields.is_empty(), "{fields:?}");
    }

    #[test]
    fn create_reports_every_bad_field_not_only_the_first() {
        let body = object(json!({
            "description": 5,
            "status": "done",
            "priority": "urgent",
            "dueDate": "tomorrow",
            "tags": ["ok", "Not-OK", "ok"],
            "taskId": "x",
            "colour": "red"
        }));
        let mut got = fields(new_task(&body, &me(), now()).unwrap_err());
        got.sort();
        let mut want = vec![
            "title",
            "description",
            "status",
            "priority",
            "dueDate",
            "tags",
            "tags[1]",
            "taskId",
            "colour",
        ];
        want.sort();
        assert_eq!(got, want);
    }

    #[test]
    fn update_without_any_writable_field_is_refused() {
        assert!(matches!(
            update(&Map::new(), &me(), now()),
            Err(ApiError::InvalidBody(_))
        ));
        let changes = update(&object(json!({"dueDate": null})), &me(), now()).unwrap();
        assert_eq!(changes.due_date, Some(None));
    }

    #[test]
    fn a_reminder_is_later_than_the_write_or_null() {
        let later = update(
            &object(json!({"remindAt": "2026-12-07T13:00:00+01:00"})),
            &me(),
            now(),
        );
        assert_eq!(
            later.unwrap_err().to_string(),
            ApiError::field("remindAt", "must be later than now").to_string(),
            "an offset is honoured: 13:00+01:00 is now"
        );
        for past in ["2026-12-07T11:59:59.999Z", "2020-01-01T00:00:00Z"] {
            let body = object(json!({"remindAt": past}));
            assert_eq!(
                fields(update(&body, &me(), now()).unwrap_err()),
                ["remindAt"],
                "{past}"
            );
        }
        let set = update(
            &object(json!({"remindAt": "2026-12-07T12:00:00.001Z"})),
            &me(),
            now(),
        );
        assert_eq!(
            set.unwrap().remind_at,
            Some(Some(Timestamp::parse("2026-12-07T12:00:00.001Z").unwrap()))
        );
        let cleared = update(&object(json!({"remindAt": null})), &me(), now()).unwrap();
        assert_eq!(cleared.remind_at, Some(None));
        for bad in [json!("tomorrow"), json!(5), json!("2026-12-08")] {
            let body = object(json!({ "remindAt": bad }));
            assert_eq!(
                fields(update(&body, &me(), now()).unwrap_err()),
                ["remindAt"],
                "{bad}"
            );
        }
    }

    #[test]
    fn null_is_not_a_string_except_for_due_date() {
        assert_eq!(
            fields(update(&object(json!({"title": null})), &me(), now()).unwrap_err()),
            ["title"]
        );
        assert_eq!(
            fields(update(&object(json!({"tags": null})), &me(), now()).unwrap_err()),
            ["tags"]
        );
    }

    #[test]
    fn if_match_accepts_a_strong_etag_or_star() {
        let mut headers = HeaderMap::new();
        assert_eq!(if_match(&headers).unwrap(), None);
        headers.insert(header::IF_MATCH, "\"3\"".parse().unwrap());
        assert_eq!(if_match(&headers).unwrap(), Some(Version::new(3)));
        headers.insert(header::IF_MATCH, "*".parse().unwrap());
        assert_eq!(if_match(&headers).unwrap(), None);
        for bad in ["3", "W/\"3\"", "\"three\"", "\"+3\"", "\"\""] {
            headers.insert(header::IF_MATCH, bad.parse().unwrap());
            assert_eq!(
                fields(if_match(&headers).unwrap_err()),
                ["If-Match"],
                "{bad}"
            );
        }
    }

    #[test]
    fn json_media_types_are_recognised() {
        assert!(is_json("application/json"));
        assert!(is_json("Application/JSON; charset=utf-8"));
        assert!(is_json("application/merge-patch+json"));
        assert!(!is_json("text/plain"));
        assert!(!is_json("application/x-www-form-urlencoded"));
    }

    #[test]
    fn assignee_is_a_user_id_or_null_but_never_the_caller() {
        let changes = update(&object(json!({"assignee": "bob"})), &me(), now()).unwrap();
        assert_eq!(changes.assignee, Some(Some(UserId::parse("bob").unwrap())));
        let changes = update(&object(json!({"assignee": null})), &me(), now()).unwrap();
        assert_eq!(changes.assignee, Some(None));
        for bad in [json!("alice"), json!("bob smith"), json!(""), json!(7)] {
            let body = object(json!({ "assignee": bad }));
            assert_eq!(
                fields(update(&body, &me(), now()).unwrap_err()),
                ["assignee"],
                "{bad}"
            );
        }
        let (_, fields) = new_task(
            &object(json!({"title": "t", "assignee": "bob"})),
            &me(),
            now(),
        )
        .unwrap();
        assert_eq!(fields.assignee, Some(Some(UserId::parse("bob").unwrap())));
    }

    #[test]
    fn a_local_request_acts_as_the_caller_its_header_names_only_where_one_is_configured() {
        let local = UserId::parse("local-user").unwrap();
        let named = |value: Option<&str>| {
            let mut request = Request::default();
            if let Some(value) = value {
                request
                    .headers_mut()
                    .insert(LOCAL_CALLER_HEADER, value.parse().unwrap());
            }
            request
        };
        let as_id = |result: Result<UserId, ApiError>| result.map(|id| id.as_str().to_owned());
        assert_eq!(
            as_id(caller(&named(None), &[], Some(&local))).unwrap(),
            "local-user"
        );
        assert_eq!(
            as_id(caller(&named(Some("bob")), &[], Some(&local))).unwrap(),
            "bob"
        );
        assert!(matches!(
            caller(&named(Some("two words")), &[], Some(&local)),
            Err(ApiError::Unauthenticated)
        ));
        // Deployed, no local caller is configured: the header is never honoured.
        assert!(matches!(
            caller(&named(Some("bob")), &[], None),
            Err(ApiError::Unauthenticated)
        ));
    }
}
