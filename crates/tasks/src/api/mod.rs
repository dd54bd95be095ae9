//! From a `lambda_http::Request` to a `Response`: [`App::handle`] resolves the request's
//! operation from the routing table ([`routes`]), identifies the caller, runs the
//! operation's own method, and turns any error into a problem response. It never fails.

pub mod error;
pub mod input;
pub mod page_token;
pub mod routes;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use lambda_http::http::{HeaderValue, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::json;

use crate::account::{AccountDeletion, PurgeMessage, purge_pass};
use crate::config::Config;
use crate::domain::{Task, TaskId, Timestamp, UserId, Version};
use crate::store::{AccountStore, Creation, ListQuery, TaskStore};
use crate::telemetry::{self, RequestRecord};
pub use error::{ApiError, FieldError};
use page_token::{Listing, PageTokenSigner};
use routes::{Function, Operation, Resource};

/// The response headers a cross-origin client may read (`Access-Control-Expose-Headers`),
/// on every response of the functions and of API Gateway's own (template.yaml, checked).
pub const EXPOSED_HEADERS: &str = "ETag, Location, Retry-After, Idempotent-Replayed";

/// What every handler needs, built once per process in `main`.
pub struct App<S> {
    store: S,
    config: Config,
    /// Present where `PAGE_TOKEN_SECRET` is configured: the function that lists tasks.
    page_tokens: Option<PageTokenSigner>,
    /// Present in the function that deletes accounts.
    account: Option<AccountDeletion>,
}

impl<S: TaskStore + AccountStore> App<S> {
    pub fn new(store: S, config: Config) -> Self {
        if let Some(caller) = &config.local_caller {
            tracing::warn!(
                caller = caller.as_str(),
                "TASKS_LOCAL_CALLER_ID is set: requests without Cognito claims act as this caller (local development only)"
            );
        }
        if config.local_caller_ignored {
            tracing::warn!(
                "TASKS_LOCAL_CALLER_ID is set but ignored: this build has no local caller (the local-caller feature is for local tooling only)"
            );
        }
        let page_tokens = config
            .page_token_secret
            .as_deref()
            .map(PageTokenSigner::new);
        // The app is built in `main`, last before the runtime polls for a request.
        telemetry::init_done();
        Self {
            store,
            config,
            page_tokens,
            account: None,
        }
    }

    /// The same app, deleting accounts as `deletion` says (`delete-account`).
    pub fn with_account_deletion(self, deletion: AccountDeletion) -> Self {
        Self {
            account: Some(deletion),
            ..self
        }
    }

    /// The store this app works on.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Answers one request that API Gateway sent to `function`.
    pub async fn handle(
        &self,
        function: Function,
        request: Request,
    ) -> Result<Response<Body>, lambda_http::Error> {
        let invocation = Invocation::start();
        let operation = routes::operation(function, &request);
        let outcome = match operation {
            None => Err(ApiError::MethodNotAllowed {
                allow: Resource::of(&request).allow(),
            }),
            Some(operation) => self.perform(operation, &invocation, &request).await,
        };
        Ok(self.respond(&request, operation, invocation, outcome))
    }

    async fn perform(
        &self,
        operation: Operation,
        invocation: &Invocation,
        request: &Request,
    ) -> Result<Response<Body>, ApiError> {
        let config = &self.config;
        let caller = input::caller(
            request,
            &config.allowed_client_ids,
            config.local_caller.as_ref(),
        )?;
        match operation {
            Operation::CreateTask => self.create_task(invocation, caller, request).await,
            Operation::ListTasks => self.list_tasks(invocation, caller, request).await,
            Operation::GetTask => self.get_task(invocation, caller, request).await,
            Operation::UpdateTask | Operation::PatchTask => {
                self.update_task(invocation, caller, request).await
            }
            Operation::DeleteTask => self.delete_task(invocation, caller, request).await,
            Operation::DeleteAccount => self.delete_account(invocation, caller).await,
        }
    }

    /// Turns an outcome into the response: problems rendered and logged, the headers
    /// every response carries, and the request's log line and metrics.
    fn respond(
        &self,
        request: &Request,
        operation: Option<Operation>,
        invocation: Invocation,
        outcome: Result<Response<Body>, ApiError>,
    ) -> Response<Body> {
        let request_id = request_id(request);
        let (mut response, error) = match outcome {
            Ok(response) => (response, None),
            Err(error) => {
                error.log(&request_id);
                (
                    error.to_response(&self.config.problem_type_base, &request_id),
                    Some(error),
                )
            }
        };
        let headers = response.headers_mut();
        if let Ok(origin) = HeaderValue::from_str(&self.config.cors_allow_origin) {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        }
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSED_HEADERS),
        );
        // Responses hold one caller's private data.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));

        RequestRecord {
            request_id: &request_id,
            trace_id: trace_id(request).as_deref(),
            function: &self.config.function_name,
            operation: operation.map_or("unsupportedMethod", Operation::as_str),
            status: response.status().as_u16(),
            error_kind: error.as_ref().map(ApiError::kind),
            throttled: error.as_ref().is_some_and(ApiError::is_throttle),
            cold_start: invocation.cold_start,
            init: invocation
                .cold_start
                .then(telemetry::init_duration)
                .flatten(),
            duration: invocation.started.elapsed(),
            dynamodb: Duration::from_nanos(invocation.dynamodb_nanos.load(Ordering::Relaxed)),
        }
        .emit(&self.config.metrics_namespace);
        response
    }
}

/// One request in progress: when it started and how long it has waited for DynamoDB.
struct Invocation {
    started: Instant,
    cold_start: bool,
    dynamodb_nanos: AtomicU64,
}

impl Invocation {
    fn start() -> Self {
        Self {
            started: Instant::now(),
            cold_start: telemetry::take_cold_start(),
            dynamodb_nanos: AtomicU64::new(0),
        }
    }

    /// Awaits a store call, adding its time to the request's DynamoDB latency.
    async fn dynamodb<T>(&self, call: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let result = call.await;
        let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.dynamodb_nanos.fetch_add(nanos, Ordering::Relaxed);
        result
    }
}

/// The X-Ray trace id of the invocation (from Lambda), or of the request's header.
fn trace_id(request: &Request) -> Option<String> {
    request
        .lambda_context_ref()
        .and_then(|context| context.xray_trace_id.clone())
        .or_else(|| {
            request
                .headers()
                .get("x-amzn-trace-id")?
                .to_str()
                .ok()
                .map(str::to_owned)
        })
}

/// The Lambda request id, which is also on every log line of the invocation; API
/// Gateway's own request id when the function runs without a Lambda context (tests).
fn request_id(request: &Request) -> String {
    if let Some(context) = request.lambda_context_ref() {
        return context.request_id.clone();
    }
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(context)) => context.request_id.clone(),
        Some(RequestContext::ApiGatewayV2(context)) => context.request_id.clone(),
        _ => None,
    }
    .unwrap_or_else(|| "unknown".into())
}

/// A task as the API shows it (also the `detail` of task events, see `crate::events`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskView<'a> {
    task_id: String,
    owner_id: &'a str,
    assignee: Option<&'a str>,
    title: &'a str,
    description: &'a str,
    status: &'static str,
    priority: &'static str,
    due_date: Option<String>,
    remind_at: Option<String>,
    tags: Vec<&'a str>,
    created_at: String,
    updated_at: String,
    completed_at: Option<String>,
    version: u64,
}

impl<'a> From<&'a Task> for TaskView<'a> {
    fn from(task: &'a Task) -> Self {
        Self {
            task_id: task.id.to_string(),
            owner_id: task.owner.as_str(),
            assignee: task.assignee.as_ref().map(UserId::as_str),
            title: task.title.as_str(),
            description: task.description.as_str(),
            status: task.status.as_str(),
            priority: task.priority.as_str(),
            due_date: task.due_date.map(Timestamp::to_rfc3339),
            remind_at: task.remind_at.map(Timestamp::to_rfc3339),
            tags: task.tags.iter().map(|t| t.as_str()).collect(),
            created_at: task.created_at.to_rfc3339(),
            updated_at: task.updated_at.to_rfc3339(),
            completed_at: task.completed_at.map(Timestamp::to_rfc3339),
            version: task.version.get(),
        }
    }
}

fn json_response(status: StatusCode, body: &impl Serialize) -> Response<Body> {
    // Serializing these plain structs cannot fail.
    let body = serde_json::to_string(body).unwrap_or_default();
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A version as an entity tag: `"3"`. `If-Match` takes the same form.
pub fn etag(version: Version) -> String {
    format!("\"{version}\"")
}

/// A response about one task, `{message?, task}`, with its version as the `ETag`. Typed:
/// `json!` would sort the task's fields.
fn task_response(status: StatusCode, task: &Task, message: Option<&str>) -> Response<Body> {
    #[derive(Serialize)]
    struct TaskBody<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<&'a str>,
        task: TaskView<'a>,
    }
    let body = TaskBody {
        message,
        task: task.into(),
    };
    let mut response = json_response(status, &body);
    if let Ok(etag) = HeaderValue::from_str(&etag(task.version)) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

impl<S: TaskStore + AccountStore> App<S> {
    /// `POST /tasks`
    async fn create_task(
        &self,
        invocation: &Invocation,
        caller: UserId,
        request: &Request,
    ) -> Result<Response<Body>, ApiError> {
        let key = input::idempotency_key(request.headers())?;
        let now = Timestamp::now();
        let (title, fields) = input::new_task(&input::json_object(request)?, &caller, now)?;
        let task = Task::create(TaskId::new_random(), caller, title, &fields, now);
        let (task, replayed) = match key {
            None => {
                invocation.dynamodb(self.store.create(&task)).await?;
                (task, false)
            }
            Some(key) => match invocation
                .dynamodb(self.store.create_idempotent(&task, &key))
                .await?
            {
                Creation::Created(task) => (task, false),
                Creation::Replayed(task) => (task, true),
            },
        };

        let created = Some("Task created successfully");
        let mut response = task_response(StatusCode::CREATED, &task, created);
        let headers = response.headers_mut();
        if let Ok(location) = HeaderValue::from_str(&format!("/tasks/{}", task.id)) {
            headers.insert(header::LOCATION, location);
        }
        if replayed {
            headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
        }
        Ok(response)
    }

    /// `GET /tasks/{taskId}`
    async fn get_task(
        &self,
        invocation: &Invocation,
        caller: UserId,
        request: &Request,
    ) -> Result<Response<Body>, ApiError> {
        let id = input::task_id(request)?;
        let task = invocation
            .dynamodb(self.store.get(&caller, id))
            .await?
            .ok_or(ApiError::NotFound)?;

        Ok(task_response(StatusCode::OK, &task, None))
    }

    /// `GET /tasks`
    async fn list_tasks(
        &self,
        invocation: &Invocation,
        caller: UserId,
        request: &Request,
    ) -> Result<Response<Body>, ApiError> {
        let params = input::list_params(request)?;
        // `main` of the listing function refuses to start without the secret.
        let page_tokens = self
            .page_tokens
            .as_ref()
            .ok_or(ApiError::Misconfigured("PAGE_TOKEN_SECRET is not set"))?;
        let listing = Listing {
            caller: &caller,
            scope: params.scope,
            status: params.status,
        };
        let after = params.next_token.as_deref().map(|token| {
            let not_ours = "is not a token from a previous page of this listing";
            page_tokens
                .verify(&listing, token)
                .ok_or_else(|| ApiError::field("nextToken", not_ours))
        });
        let query = ListQuery {
            scope: params.scope,
            status: params.status,
            limit: params.limit,
            after: after.transpose()?,
        };
        let page = invocation
            .dynamodb(self.store.list(&caller, &query))
            .await?;

        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Listed<'a> {
            tasks: Vec<TaskView<'a>>,
            count: usize,
            #[serde(skip_serializing_if = "Option::is_none")]
            next_token: Option<String>,
        }
        let body = Listed {
            tasks: page.tasks.iter().map(TaskView::from).collect(),
            count: page.tasks.len(),
            next_token: page.next.map(|cursor| page_tokens.sign(&listing, &cursor)),
        };
        Ok(json_response(StatusCode::OK, &body))
    }

    /// `PUT /tasks/{taskId}` and `PATCH /tasks/{taskId}`: both a partial update.
    async fn update_task(
        &self,
        invocation: &Invocation,
        caller: UserId,
        request: &Request,
    ) -> Result<Response<Body>, ApiError> {
        let id = input::task_id(request)?;
        let expected = input::if_match(request.headers())?;
        let now = Timestamp::now();
        let changes = input::update(&input::json_object(request)?, &caller, now)?;
        let task = invocation
            .dynamodb(self.store.update(&caller, id, &changes, expected, now))
            .await?;

        let updated = Some("Task updated successfully");
        Ok(task_response(StatusCode::OK, &task, updated))
    }

    /// `DELETE /tasks/{taskId}`
    async fn delete_task(
        &self,
        invocation: &Invocation,
        caller: UserId,
        request: &Request,
    ) -> Result<Response<Body>, ApiError> {
        let id = input::task_id(request)?;
        let expected = input::if_match(request.headers())?;
        invocation
            .dynamodb(self.store.delete(&caller, id, expected))
            .await?;

        let body = json!({ "message": "Task deleted successfully", "taskId": id.to_string() });
        Ok(json_response(StatusCode::OK, &body))
    }

    /// `DELETE /account`: the caller's own account. Deployed: the purge jobs queued first
    /// (once they are, the deletion of the data cannot be lost), then the user signed out
    /// everywhere and deleted from the pool. Every step is idempotent, so a retry after a
    /// failure, or a second request, does no harm. Locally (no queue): one purge pass in
    /// the request itself; a token issued before cannot outlive it there.
    async fn delete_account(
        &self,
        invocation: &Invocation,
        caller: UserId,
    ) -> Result<Response<Body>, ApiError> {
        let deletion = self.account.as_ref().ok_or(ApiError::Misconfigured(
            "this function does not delete accounts",
        ))?;
        let unavailable = |service| {
            move |error: crate::account::deletion::ServiceError| ApiError::ServiceUnavailable {
                service,
                source: Box::new(error),
            }
        };
        match &deletion.queue {
            Some(queue) => {
                let now = Timestamp::now().epoch_seconds();
                let first = PurgeMessage::first(&caller);
                queue.send(&first, 0).await.map_err(unavailable("SQS"))?;
                let last = PurgeMessage::last(&caller, now);
                let wait = last.wait(now);
                queue.send(&last, wait).await.map_err(unavailable("SQS"))?;
            }
            None => loop {
                let deadline = Instant::now() + Duration::from_secs(3600);
                let pass = invocation
                    .dynamodb(purge_pass(&self.store, &caller, deadline))
                    .await?;
                if pass.complete {
                    invocation
                        .dynamodb(self.store.forget_owner(&caller))
                        .await?;
                    break;
                }
            },
        }
        if let Some(pool) = &deletion.pool {
            pool.remove(&caller)
                .await
                .map_err(unavailable("the user pool"))?;
        }
        let body = json!({ "status": "deleting" });
        Ok(json_response(StatusCode::ACCEPTED, &body))
    }
}
