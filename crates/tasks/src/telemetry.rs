//! Logs and metrics: set up once at start-up, then one record per request.
//!
//! - Logs are JSON lines on stdout (CloudWatch Logs), at the level of `AWS_LAMBDA_LOG_LEVEL`
//!   (Lambda's log-level control) or `RUST_LOG`, `info` by default. At `info` each request
//!   writes exactly one line: ids, operation and outcome, never bodies, titles or tokens.
//!   Details of refused requests are at `debug`; server faults at `error` with their cause.
//! - Metrics are CloudWatch Embedded Metric Format (EMF) records, one per request, also on
//!   stdout: CloudWatch turns them into metrics without any API call from the function.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tracing::Subscriber;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Sets up logging for the process; call once, first thing in `main`: the function's own
/// measure of its init starts here.
pub fn init() {
    let _ = STARTED.set(Instant::now());
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    // Fails only if a subscriber is already set (a second call): harmless.
    let _ = tracing::subscriber::set_global_default(json_subscriber(&level, std::io::stdout));
}

/// The JSON-lines subscriber `init` installs, writing to any writer (tests capture it).
/// Event fields are top-level keys, so Logs Insights can query them directly.
pub fn json_subscriber<W>(level: &str, writer: W) -> impl Subscriber + Send + Sync + 'static
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_new(level.to_lowercase()).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

static COLD_START: AtomicBool = AtomicBool::new(true);
static STARTED: OnceLock<Instant> = OnceLock::new();
static INIT: OnceLock<Duration> = OnceLock::new();

/// Marks the end of init (the app is built; the runtime polls next). From `init()` to here
/// is what the first request reports as `InitDuration`: Lambda's own figure also counts
/// loading the executable before `main`, a few milliseconds more, and is only in the
/// platform's REPORT line, which the template's SystemLogLevel WARN leaves out.
pub fn init_done() {
    if let Some(started) = STARTED.get() {
        let _ = INIT.set(started.elapsed());
    }
}

/// How long this execution environment's init took, if it was measured.
pub fn init_duration() -> Option<Duration> {
    INIT.get().copied()
}

/// True for the first request of this execution environment, false afterwards.
pub fn take_cold_start() -> bool {
    COLD_START.swap(false, Ordering::Relaxed)
}

/// What one request did, for its log line and its metrics.
#[derive(Clone, Debug)]
pub struct RequestRecord<'a> {
    pub request_id: &'a str,
    pub trace_id: Option<&'a str>,
    pub function: &'a str,
    pub operation: &'static str,
    pub status: u16,
    /// The problem type of an error answer (`validation-error`, ...).
    pub error_kind: Option<&'static str>,
    pub throttled: bool,
    pub cold_start: bool,
    /// On a cold start: the init before it (see [`init_done`]).
    pub init: Option<Duration>,
    pub duration: Duration,
    /// Time spent waiting for DynamoDB, retries included.
    pub dynamodb: Duration,
}

/// Milliseconds with microsecond precision, as every log line and metric reports them.
pub(crate) fn millis(duration: Duration) -> f64 {
    (duration.as_secs_f64() * 1e6).round() / 1e3
}

impl RequestRecord<'_> {
    /// The request's one info line, and its EMF record.
    pub fn emit(&self, namespace: &str) {
        tracing::info!(
            requestId = self.request_id,
            traceId = self.trace_id.unwrap_or(""),
            function = self.function,
            operation = self.operation,
            status = self.status,
            errorKind = self.error_kind.unwrap_or(""),
            coldStart = self.cold_start,
            durationMs = millis(self.duration),
            dynamodbMs = millis(self.dynamodb),
            "request"
        );
        let timestamp = chrono::Utc::now().timestamp_millis();
        println!("{}", self.emf(namespace, timestamp));
    }

    /// The EMF record: per `Operation`, latency (whose sample count is the request count),
    /// DynamoDB latency, cold starts and outcome counters. Kept small: each metric and
    /// dimension value is a billed custom metric, and every byte is ingested per request; the
    /// ids are on the request's log line, not repeated here (docs/cost.md).
    pub fn emf(&self, namespace: &str, timestamp_millis: i64) -> Value {
        const MS: &str = "Milliseconds";
        let count = |yes: bool| json!(u8::from(yes));
        let validation = matches!(self.error_kind, Some("validation-error" | "invalid-body"));
        let metrics = [
            ("Latency", MS, json!(millis(self.duration))),
            ("DynamoDbLatency", MS, json!(millis(self.dynamodb))),
            ("ColdStart", "Count", count(self.cold_start)),
            ("ValidationFailures", "Count", count(validation)),
            ("NotFound", "Count", count(self.status == 404)),
            ("PreconditionFailed", "Count", count(self.status == 412)),
            ("Throttles", "Count", count(self.throttled)),
            ("ServerErrors", "Count", count(self.status >= 500)),
        ];
        // Init duration is a metric of cold starts only: declared and set on them alone.
        let init = self
            .init
            .map(|init| ("InitDuration", MS, json!(millis(init))));
        let metrics: Vec<_> = metrics.into_iter().chain(init).collect();
        let declared: Vec<Value> = metrics
            .iter()
            .map(|(name, unit, _)| json!({ "Name": name, "Unit": unit }))
            .collect();
        let mut record = json!({
            "_aws": {
                "Timestamp": timestamp_millis,
                "CloudWatchMetrics": [{
                    "Namespace": namespace,
                    "Dimensions": [["Operation"]],
                    "Metrics": declared,
                }],
            },
            "Operation": self.operation,
        });
        for (name, _, value) in metrics {
            record[name] = value;
        }
        record
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: u16, error_kind: Option<&'static str>) -> RequestRecord<'static> {
        RequestRecord {
            request_id: "req-1",
            trace_id: Some("Root=1-abc"),
            function: "tasks-get",
            operation: "getTask",
            status,
            error_kind,
            throttled: false,
            cold_start: true,
            init: Some(Duration::from_micros(9_500)),
            duration: Duration::from_micros(4_250),
            dynamodb: Duration::from_micros(3_100),
        }
    }

    #[test]
    fn emf_record_declares_every_metric_it_carries() {
        let emf = record(200, None).emf("TaskApi/test", 1_700_000_000_000);
        let declared = &emf["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], "TaskApi/test");
        assert_eq!(emf["_aws"]["Timestamp"], 1_700_000_000_000i64);
        for metric in declared["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(emf[name].is_number(), "{name} is declared but not set");
        }
        for dimensions in declared["Dimensions"].as_array().unwrap() {
            for dimension in dimensions.as_array().unwrap() {
                assert!(emf[dimension.as_str().unwrap()].is_string());
            }
        }
        assert_eq!(emf["Operation"], "getTask");
        // The ids are on the request line, not repeated in the metrics record.
        assert!(emf.get("requestId").is_none() && emf.get("traceId").is_none());
        assert_eq!(
            (emf["Latency"].as_f64(), emf["DynamoDbLatency"].as_f64()),
            (Some(4.25), Some(3.1))
        );
        assert_eq!(emf["ColdStart"], 1);
        assert_eq!(emf["InitDuration"].as_f64(), Some(9.5));
    }

    #[test]
    fn init_duration_is_a_metric_of_cold_starts_only() {
        let mut warm = record(200, None);
        warm.cold_start = false;
        warm.init = None;
        let emf = warm.emf("n", 0);
        assert!(emf.get("InitDuration").is_none());
        let declared = emf["_aws"]["CloudWatchMetrics"][0]["Metrics"].to_string();
        assert!(!declared.contains("InitDuration"), "{declared}");
    }

    #[test]
    fn emf_counters_follow_the_outcome() {
        let invalid = record(400, Some("validation-error")).emf("n", 0);
        assert_eq!(
            (
                invalid["ValidationFailures"].as_u64(),
                invalid["ServerErrors"].as_u64()
            ),
            (Some(1), Some(0))
        );
        let missing = record(404, Some("not-found")).emf("n", 0);
        assert_eq!(
            (
                missing["NotFound"].as_u64(),
                missing["PreconditionFailed"].as_u64()
            ),
            (Some(1), Some(0))
        );
        let conflict = record(412, Some("precondition-failed")).emf("n", 0);
        assert_eq!(
            (
                conflict["NotFound"].as_u64(),
                conflict["PreconditionFailed"].as_u64()
            ),
            (Some(0), Some(1))
        );
        let mut throttled = record(503, Some("service-unavailable"));
        throttled.throttled = true;
        let throttled = throttled.emf("n", 0);
        assert_eq!(
            (
                throttled["Throttles"].as_u64(),
                throttled["ServerErrors"].as_u64()
            ),
            (Some(1), Some(1))
        );
    }
}
