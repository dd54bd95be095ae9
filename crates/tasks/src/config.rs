//! Everything read from the environment, read once at start-up.

use std::env;

use crate::domain::UserId;
use crate::store::DEFAULT_TASK_LIMIT;

/// Default problem-type base: a documentation placeholder (RFC 2606) until a deployer
/// points `PROBLEM_TYPE_BASE_URL` at their own copy of `docs/problems.md`.
pub const DEFAULT_PROBLEM_TYPE_BASE: &str = "https://task-api.example/problems/";

#[derive(Clone, Debug)]
pub struct Config {
    /// `TABLE_NAME`: the tasks table.
    pub table_name: String,
    /// `PAGE_TOKEN_SECRET`: key that signs `nextToken`s (at least 32 bytes). Only the
    /// function that lists tasks is given it (see [`Config::require_page_token_secret`]).
    pub page_token_secret: Option<Vec<u8>>,
    /// `CORS_ALLOW_ORIGIN`: value of `Access-Control-Allow-Origin`, `*` by default.
    pub cors_allow_origin: String,
    /// `PROBLEM_TYPE_BASE_URL`: prefix of the `type` URI of every problem response.
    pub problem_type_base: String,
    /// `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda): named in every log line.
    pub function_name: String,
    /// `METRICS_NAMESPACE`: CloudWatch namespace of the EMF metrics, `TaskApi` by default.
    pub metrics_namespace: String,
    /// `ALLOWED_CLIENT_IDS`: comma-separated Cognito app client ids whose ID tokens are
    /// accepted. API Gateway's authorizer checks a token's signature, issuer and expiry but
    /// not which app client it was issued to. Required, except in builds with the
    /// `local-caller` feature (local tooling), where empty or unset accepts any.
    pub allowed_client_ids: Vec<String>,
    /// `MAX_TASKS_PER_OWNER`: how many tasks one owner may hold, at least 1;
    /// [`DEFAULT_TASK_LIMIT`] by default. Only create-task is given it.
    pub max_tasks_per_owner: u32,
    /// `TASKS_LOCAL_CALLER_ID`: the caller to assume when a request carries no Cognito
    /// claims. Read only by builds with the `local-caller` feature (local tooling).
    pub local_caller: Option<UserId>,
    /// `TASKS_LOCAL_CALLER_ID` is set, but this build ignores it (no `local-caller`).
    pub local_caller_ignored: bool,
    /// `DYNAMODB_OPEN_CONNECTION_ON_INIT` (`true` unless `false`): open the connection to
    /// DynamoDB during init rather than in the first request (see `make bench`).
    pub open_connection_on_init: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("environment variable {0} must be set")]
    Missing(&'static str),
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid {
        name: &'static str,
        reason: &'static str,
    },
}

pub const MIN_SECRET_BYTES: usize = 32;

/// A variable of the process environment; set to the empty string counts as unset.
fn set_variable(name: &str) -> Option<String> {
    env::var(name).ok().filter(|value| !value.is_empty())
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(set_variable)
    }

    /// Same as [`Config::from_env`] but from any lookup, so tests need not touch the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table_name = lookup("TABLE_NAME").ok_or(ConfigError::Missing("TABLE_NAME"))?;
        let page_token_secret = lookup("PAGE_TOKEN_SECRET").map(String::into_bytes);
        if page_token_secret
            .as_ref()
            .is_some_and(|secret| secret.len() < MIN_SECRET_BYTES)
        {
            return Err(ConfigError::Invalid {
                name: "PAGE_TOKEN_SECRET",
                reason: "must be at least 32 bytes",
            });
        }
        let local_caller_setting = lookup("TASKS_LOCAL_CALLER_ID");
        let local_caller_ignored =
            !cfg!(feature = "local-caller") && local_caller_setting.is_some();
        let local_caller = local_caller_setting
            .filter(|_| cfg!(feature = "local-caller"))
            .map(|raw| UserId::parse(&raw))
            .transpose()
            .map_err(|reason| ConfigError::Invalid {
                name: "TASKS_LOCAL_CALLER_ID",
                reason,
            })?;
        let allowed_client_ids: Vec<String> = lookup("ALLOWED_CLIENT_IDS")
            .map(|ids| {
                ids.split(',')
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        // Without the list, a token of any app client of the pool (or an access token)
        // would be accepted: only local tooling, which has no pool, may run so.
        if allowed_client_ids.is_empty() && !cfg!(feature = "local-caller") {
            return Err(ConfigError::Missing("ALLOWED_CLIENT_IDS"));
        }
        let max_tasks_per_owner = match lookup("MAX_TASKS_PER_OWNER") {
            None => DEFAULT_TASK_LIMIT,
            Some(raw) => {
                raw.parse()
                    .ok()
                    .filter(|limit| *limit >= 1)
                    .ok_or(ConfigError::Invalid {
                        name: "MAX_TASKS_PER_OWNER",
                        reason: "must be a whole number from 1 to 4294967295",
                    })?
            }
        };
        Ok(Self {
            table_name,
            page_token_secret,
            cors_allow_origin: lookup("CORS_ALLOW_ORIGIN").unwrap_or_else(|| "*".into()),
            problem_type_base: lookup("PROBLEM_TYPE_BASE_URL")
                .unwrap_or_else(|| DEFAULT_PROBLEM_TYPE_BASE.into()),
            function_name: lookup("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "local".into()),
            metrics_namespace: lookup("METRICS_NAMESPACE").unwrap_or_else(|| "TaskApi".into()),
            allowed_client_ids,
            max_tasks_per_owner,
            local_caller,
            local_caller_ignored,
            open_connection_on_init: lookup("DYNAMODB_OPEN_CONNECTION_ON_INIT")
                .is_none_or(|value| !value.eq_ignore_ascii_case("false")),
        })
    }

    /// For the function that lists tasks: its page tokens need the signing secret.
    pub fn require_page_token_secret(&self) -> Result<(), ConfigError> {
        match self.page_token_secret {
            Some(_) => Ok(()),
            None => Err(ConfigError::Missing("PAGE_TOKEN_SECRET")),
        }
    }
}

/// The configuration of the task-events function (the four API functions read [`Config`]).
#[derive(Clone, Debug)]
pub struct EventsConfig {
    /// `EVENT_BUS_NAME`: the bus that task events are put on.
    pub event_bus_name: String,
    /// `AWS_ENDPOINT_URL_EVENTBRIDGE`: where EventBridge is. Required, never guessed: the
    /// template sets the regional endpoint, `make dev` and the tests a local server, so a
    /// local run without one refuses to start instead of reaching AWS.
    pub eventbridge_endpoint: String,
    /// Where and how task-events keeps the tasks' reminder schedules.
    pub schedules: ScheduleConfig,
}

/// What task-events needs to schedule reminders (`crate::reminders::schedule`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleConfig {
    /// `REMINDER_SCHEDULE_GROUP`: the stack's schedule group.
    pub group: String,
    /// `REMINDER_TARGET_ARN`: the task-reminders function (its alias) that schedules invoke.
    pub target_arn: String,
    /// `REMINDER_ROLE_ARN`: the role Scheduler assumes to invoke it.
    pub role_arn: String,
    /// `REMINDER_DEAD_LETTER_ARN`: the queue of firings Scheduler could not hand over.
    pub dead_letter_arn: String,
    /// `AWS_ENDPOINT_URL_SCHEDULER` and `AWS_ENDPOINT_URL_LAMBDA`: required, as EventBridge's.
    pub scheduler_endpoint: String,
    pub lambda_endpoint: String,
}

/// The configuration of the task-reminders function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemindersConfig {
    /// `TABLE_NAME`: the tasks table (the tasks, and the deliveries' claims).
    pub table_name: String,
    /// `EVENT_BUS_NAME` and `AWS_ENDPOINT_URL_EVENTBRIDGE`: where `TaskReminderDue` goes.
    pub event_bus_name: String,
    pub eventbridge_endpoint: String,
    /// With a sender, reminders are also emailed; without, they are events only.
    pub mail: Option<MailConfig>,
}

/// Email for reminders: set when `REMINDER_SENDER` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailConfig {
    /// `REMINDER_SENDER`: the verified SES identity the emails come from.
    pub sender: String,
    /// `USER_POOL_ID`: where the recipients' addresses are looked up by `sub`.
    pub user_pool_id: String,
    /// `WEB_APP_URL`: the link in the email, without a trailing slash.
    pub web_app_url: String,
    /// `AWS_ENDPOINT_URL_SES` and `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`: required with a
    /// sender, as EventBridge's.
    pub ses_endpoint: String,
    pub cognito_endpoint: String,
}

/// `name`'s value, or the error that names it.
fn required(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
) -> Result<String, ConfigError> {
    lookup(name).ok_or(ConfigError::Missing(name))
}

impl ScheduleConfig {
    pub fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            group: required(lookup, "REMINDER_SCHEDULE_GROUP")?,
            target_arn: required(lookup, "REMINDER_TARGET_ARN")?,
            role_arn: required(lookup, "REMINDER_ROLE_ARN")?,
            dead_letter_arn: required(lookup, "REMINDER_DEAD_LETTER_ARN")?,
            scheduler_endpoint: required(lookup, "AWS_ENDPOINT_URL_SCHEDULER")?,
            lambda_endpoint: required(lookup, "AWS_ENDPOINT_URL_LAMBDA")?,
        })
    }
}

impl RemindersConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(set_variable)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mail = match lookup("REMINDER_SENDER") {
            None => None,
            Some(sender) => Some(MailConfig {
                sender,
                user_pool_id: required(&lookup, "USER_POOL_ID")?,
                web_app_url: required(&lookup, "WEB_APP_URL")?
                    .trim_end_matches('/')
                    .to_owned(),
                ses_endpoint: required(&lookup, "AWS_ENDPOINT_URL_SES")?,
                cognito_endpoint: required(&lookup, "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")?,
            }),
        };
        Ok(Self {
            table_name: required(&lookup, "TABLE_NAME")?,
            event_bus_name: required(&lookup, "EVENT_BUS_NAME")?,
            eventbridge_endpoint: required(&lookup, "AWS_ENDPOINT_URL_EVENTBRIDGE")?,
            mail,
        })
    }
}

/// What `delete-account` needs beside the API's [`Config`]: the purge queue and the user
/// pool. Both are required in a deployed build; a local build (the `local-caller` feature,
/// `make dev`) runs without either: it purges in the request itself, and has no sign-in
/// to revoke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeletionConfig {
    /// `ACCOUNT_PURGE_QUEUE_URL` and `AWS_ENDPOINT_URL_SQS`.
    pub queue: Option<QueueConfig>,
    /// `USER_POOL_ID` and `AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`.
    pub pool: Option<PoolConfig>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QueueConfig {
    pub url: String,
    pub endpoint: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    pub id: String,
    pub endpoint: String,
}

impl QueueConfig {
    fn from_lookup(lookup: &impl Fn(&str) -> Option<String>) -> Result<Option<Self>, ConfigError> {
        lookup("ACCOUNT_PURGE_QUEUE_URL")
            .map(|url| {
                Ok(Self {
                    url,
                    endpoint: required(lookup, "AWS_ENDPOINT_URL_SQS")?,
                })
            })
            .transpose()
    }
}

impl DeletionConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(set_variable)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let queue = QueueConfig::from_lookup(&lookup)?;
        let pool = lookup("USER_POOL_ID")
            .map(|id| {
                Ok::<_, ConfigError>(PoolConfig {
                    id,
                    endpoint: required(&lookup, "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")?,
                })
            })
            .transpose()?;
        if !cfg!(feature = "local-caller") {
            // Deployed, a deletion always goes through the queue and the pool.
            if queue.is_none() {
                return Err(ConfigError::Missing("ACCOUNT_PURGE_QUEUE_URL"));
            }
            if pool.is_none() {
                return Err(ConfigError::Missing("USER_POOL_ID"));
            }
        }
        Ok(Self { queue, pool })
    }
}

/// The configuration of the `account-purge` function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PurgeConfig {
    /// `TABLE_NAME`: the tasks table.
    pub table_name: String,
    /// `ACCOUNT_PURGE_QUEUE_URL` and `AWS_ENDPOINT_URL_SQS`: its own queue, where a pass
    /// that ran out of time, or a final pass not due yet, is put back.
    pub queue: QueueConfig,
}

impl PurgeConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(set_variable)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            table_name: required(&lookup, "TABLE_NAME")?,
            queue: QueueConfig::from_lookup(&lookup)?
                .ok_or(ConfigError::Missing("ACCOUNT_PURGE_QUEUE_URL"))?,
        })
    }
}

impl EventsConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(set_variable)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            event_bus_name: lookup("EVENT_BUS_NAME")
                .ok_or(ConfigError::Missing("EVENT_BUS_NAME"))?,
            eventbridge_endpoint: lookup("AWS_ENDPOINT_URL_EVENTBRIDGE")
                .ok_or(ConfigError::Missing("AWS_ENDPOINT_URL_EVENTBRIDGE"))?,
            schedules: ScheduleConfig::from_lookup(&lookup)?,
        })
    }
}

/// The configuration of the `live-socket` and `live-fanout` functions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveConfig {
    /// `TABLE_NAME`: the tasks table, which keeps each user's connections.
    pub table_name: String,
    /// `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI`: the WebSocket stage's management endpoint
    /// (`https://<api id>.execute-api.<region>.amazonaws.com/<stage>`). Required, as
    /// EventBridge's: the template sets it, `make dev` and the tests a local server.
    pub management_endpoint: String,
    /// `MAX_CONNECTIONS_PER_USER`: how many connections one user may hold open, at least 1;
    /// [`crate::live::connections::DEFAULT_MAX_CONNECTIONS_PER_USER`] by default.
    pub max_connections_per_user: usize,
}

impl LiveConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(set_variable)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let max_connections_per_user = match lookup("MAX_CONNECTIONS_PER_USER") {
            None => crate::live::connections::DEFAULT_MAX_CONNECTIONS_PER_USER,
            Some(raw) => raw
                .parse()
                .ok()
                .filter(|cap| (1..=1000).contains(cap))
                .ok_or(ConfigError::Invalid {
                    name: "MAX_CONNECTIONS_PER_USER",
                    reason: "must be a whole number from 1 to 1000",
                })?,
        };
        Ok(Self {
            table_name: required(&lookup, "TABLE_NAME")?,
            management_endpoint: required(&lookup, "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI")?,
            max_connections_per_user,
        })
    }
}

/// The configuration of the `live-authorizer` function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveAuthConfig {
    /// The user pool's issuer, from `AWS_REGION` (set by Lambda) and `USER_POOL_ID`.
    pub issuer: String,
    /// `JWKS_URL`: where the pool's keys are; the issuer's `/.well-known/jwks.json` by
    /// default. Tests serve their own on loopback.
    pub jwks_url: String,
    /// `ALLOWED_CLIENT_IDS`, as the REST functions read it; required, even locally (the
    /// authorizer never runs with a local caller).
    pub allowed_client_ids: Vec<String>,
}

impl LiveAuthConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(set_variable)
    }

    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let issuer = crate::live::auth::cognito_issuer(
            &required(&lookup, "AWS_REGION")?,
            &required(&lookup, "USER_POOL_ID")?,
        );
        let allowed_client_ids: Vec<String> = required(&lookup, "ALLOWED_CLIENT_IDS")?
            .split(',')
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .collect();
        if allowed_client_ids.is_empty() {
            return Err(ConfigError::Missing("ALLOWED_CLIENT_IDS"));
        }
        Ok(Self {
            jwks_url: lookup("JWKS_URL").unwrap_or_else(|| crate::live::auth::jwks_url(&issuer)),
            issuer,
            allowed_client_ids,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A lookup of these variables only.
    fn lookup(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.get(name).cloned()
    }

    /// The configuration of these variables, with an allowed app client unless they name
    /// one (a deployment build refuses to start without).
    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut vars = vars.to_vec();
        if !vars.iter().any(|(name, _)| *name == "ALLOWED_CLIENT_IDS") {
            vars.push(("ALLOWED_CLIENT_IDS", "app-client"));
        }
        Config::from_lookup(lookup(&vars))
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn table_is_required_and_the_rest_has_defaults() {
        let config = config(&[("TABLE_NAME", "tasks")]).unwrap();
        assert_eq!(config.table_name, "tasks");
        assert_eq!(config.cors_allow_origin, "*");
        assert_eq!(config.problem_type_base, DEFAULT_PROBLEM_TYPE_BASE);
        assert_eq!(config.local_caller, None);
        assert!(config.page_token_secret.is_none());
        assert_eq!(config.max_tasks_per_owner, DEFAULT_TASK_LIMIT);
    }

    #[cfg(not(feature = "local-caller"))]
    #[test]
    fn a_deployment_build_refuses_to_start_without_an_allowed_app_client() {
        for unset in ["", " , "] {
            assert!(matches!(
                config(&[("TABLE_NAME", "t"), ("ALLOWED_CLIENT_IDS", unset)]),
                Err(ConfigError::Missing("ALLOWED_CLIENT_IDS"))
            ));
        }
        assert!(matches!(
            Config::from_lookup(lookup(&[("TABLE_NAME", "t")])),
            Err(ConfigError::Missing("ALLOWED_CLIENT_IDS"))
        ));
    }

    #[cfg(feature = "local-caller")]
    #[test]
    fn a_local_build_may_run_without_an_allowed_app_client() {
        let config = config(&[("TABLE_NAME", "t"), ("ALLOWED_CLIENT_IDS", "")]).unwrap();
        assert!(config.allowed_client_ids.is_empty());
    }

    #[test]
    fn the_task_limit_is_a_positive_whole_number() {
        let limit = |raw| config(&[("TABLE_NAME", "t"), ("MAX_TASKS_PER_OWNER", raw)]);
        assert_eq!(limit("25").unwrap().max_tasks_per_owner, 25);
        for bad in ["0", "-1", "ten", "1.5", "4294967296"] {
            assert!(
                matches!(
                    limit(bad),
                    Err(ConfigError::Invalid {
                        name: "MAX_TASKS_PER_OWNER",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn listing_function_fails_at_start_up_without_the_page_token_secret() {
        let without = config(&[("TABLE_NAME", "tasks")]).unwrap();
        assert!(matches!(
            without.require_page_token_secret(),
            Err(ConfigError::Missing("PAGE_TOKEN_SECRET"))
        ));
        let with = config(&[("TABLE_NAME", "tasks"), ("PAGE_TOKEN_SECRET", SECRET)]).unwrap();
        assert!(with.require_page_token_secret().is_ok());
    }

    #[test]
    fn allowed_client_ids_are_a_comma_separated_list() {
        let config = config(&[("TABLE_NAME", "t"), ("ALLOWED_CLIENT_IDS", "abc, def,")]).unwrap();
        assert_eq!(config.allowed_client_ids, ["abc", "def"]);
    }

    #[test]
    fn missing_table_or_short_secret_fails_at_start_up() {
        assert!(matches!(
            config(&[("PAGE_TOKEN_SECRET", SECRET)]),
            Err(ConfigError::Missing("TABLE_NAME"))
        ));
        assert!(matches!(
            config(&[("TABLE_NAME", "t"), ("PAGE_TOKEN_SECRET", "short")]),
            Err(ConfigError::Invalid {
                name: "PAGE_TOKEN_SECRET",
                ..
            })
        ));
    }

    #[cfg(feature = "local-caller")]
    #[test]
    fn local_build_reads_the_local_caller() {
        let config = config(&[
            ("TABLE_NAME", "t"),
            ("TASKS_LOCAL_CALLER_ID", "local-developer"),
        ])
        .unwrap();
        assert_eq!(config.local_caller.unwrap().as_str(), "local-developer");
        assert!(!config.local_caller_ignored);
    }

    #[cfg(not(feature = "local-caller"))]
    #[test]
    fn build_without_local_caller_feature_ignores_the_variable() {
        let config = config(&[
            ("TABLE_NAME", "t"),
            ("TASKS_LOCAL_CALLER_ID", "local-developer"),
        ])
        .unwrap();
        assert_eq!(config.local_caller, None);
        assert!(config.local_caller_ignored);
    }

    #[test]
    fn task_events_needs_its_bus_and_an_explicit_endpoint() {
        let config = EventsConfig::from_lookup(lookup(&[
            ("EVENT_BUS_NAME", "tasks"),
            ("AWS_ENDPOINT_URL_EVENTBRIDGE", "http://127.0.0.1:8001"),
            ("REMINDER_SCHEDULE_GROUP", "tasks-reminders"),
            (
                "REMINDER_TARGET_ARN",
                "arn:aws:lambda:us-east-1:1:function:r",
            ),
            ("REMINDER_ROLE_ARN", "arn:aws:iam::1:role/r"),
            ("REMINDER_DEAD_LETTER_ARN", "arn:aws:sqs:us-east-1:1:q"),
            ("AWS_ENDPOINT_URL_SCHEDULER", "http://127.0.0.1:8001"),
            ("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9000"),
        ]))
        .unwrap();
        assert_eq!(config.schedules.group, "tasks-reminders");
        assert_eq!(config.event_bus_name, "tasks");
        assert_eq!(config.eventbridge_endpoint, "http://127.0.0.1:8001");
        assert!(matches!(
            EventsConfig::from_lookup(lookup(&[("EVENT_BUS_NAME", "tasks")])),
            Err(ConfigError::Missing("AWS_ENDPOINT_URL_EVENTBRIDGE"))
        ));
        assert!(matches!(
            EventsConfig::from_lookup(lookup(&[(
                "AWS_ENDPOINT_URL_EVENTBRIDGE",
                "http://127.0.0.1:8001"
            )])),
            Err(ConfigError::Missing("EVENT_BUS_NAME"))
        ));
    }

    #[test]
    fn task_events_refuses_to_start_without_each_reminder_variable() {
        let all = [
            ("EVENT_BUS_NAME", "tasks"),
            ("AWS_ENDPOINT_URL_EVENTBRIDGE", "http://127.0.0.1:8001"),
            ("REMINDER_SCHEDULE_GROUP", "g"),
            ("REMINDER_TARGET_ARN", "t"),
            ("REMINDER_ROLE_ARN", "r"),
            ("REMINDER_DEAD_LETTER_ARN", "d"),
            ("AWS_ENDPOINT_URL_SCHEDULER", "http://127.0.0.1:8001"),
            ("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:9000"),
        ];
        for (missing, _) in &all[2..] {
            let vars: Vec<_> = all.iter().copied().filter(|(n, _)| n != missing).collect();
            match EventsConfig::from_lookup(lookup(&vars)) {
                Err(ConfigError::Missing(name)) => assert_eq!(name, *missing),
                other => panic!("without {missing}: {other:?}"),
            }
        }
    }

    #[test]
    fn task_reminders_emails_only_with_a_sender_and_then_needs_its_endpoints() {
        let base = [
            ("TABLE_NAME", "tasks"),
            ("EVENT_BUS_NAME", "bus"),
            ("AWS_ENDPOINT_URL_EVENTBRIDGE", "http://127.0.0.1:8001"),
        ];
        let events_only = RemindersConfig::from_lookup(lookup(&base)).unwrap();
        assert_eq!(events_only.mail, None);
        let mail = [
            ("REMINDER_SENDER", "reminders@example.com"),
            ("USER_POOL_ID", "us-east-1_x"),
            ("WEB_APP_URL", "https://tasks.example.com/"),
            ("AWS_ENDPOINT_URL_SES", "http://127.0.0.1:8001"),
            (
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                "http://127.0.0.1:8001",
            ),
        ];
        let vars: Vec<_> = base.iter().chain(&mail).copied().collect();
        let config = RemindersConfig::from_lookup(lookup(&vars)).unwrap();
        let mail_config = config.mail.unwrap();
        assert_eq!(mail_config.web_app_url, "https://tasks.example.com");
        assert_eq!(mail_config.sender, "reminders@example.com");
        for (missing, _) in &mail[1..] {
            let vars: Vec<_> = vars.iter().copied().filter(|(n, _)| n != missing).collect();
            match RemindersConfig::from_lookup(lookup(&vars)) {
                Err(ConfigError::Missing(name)) => assert_eq!(name, *missing),
                other => panic!("without {missing}: {other:?}"),
            }
        }
    }

    #[test]
    fn the_live_functions_read_their_variables() {
        let live = LiveConfig::from_lookup(lookup(&[
            ("TABLE_NAME", "tasks"),
            (
                "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",
                "https://abc.execute-api.eu-west-1.amazonaws.com/live",
            ),
        ]))
        .unwrap();
        assert_eq!(live.max_connections_per_user, 10);
        assert!(LiveConfig::from_lookup(lookup(&[("TABLE_NAME", "tasks")])).is_err());
        for bad in ["0", "1001", "ten"] {
            assert!(
                LiveConfig::from_lookup(lookup(&[
                    ("TABLE_NAME", "tasks"),
                    (
                        "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI",
                        "http://127.0.0.1:1"
                    ),
                    ("MAX_CONNECTIONS_PER_USER", bad),
                ]))
                .is_err(),
                "{bad}"
            );
        }

        let auth = LiveAuthConfig::from_lookup(lookup(&[
            ("AWS_REGION", "eu-west-1"),
            ("USER_POOL_ID", "eu-west-1_AbC"),
            ("ALLOWED_CLIENT_IDS", "one, two"),
        ]))
        .unwrap();
        assert_eq!(
            auth.issuer,
            "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC"
        );
        assert_eq!(
            auth.jwks_url,
            format!("{}/.well-known/jwks.json", auth.issuer)
        );
        assert_eq!(auth.allowed_client_ids, ["one", "two"]);
        // No app client list, not even in a local build: any client's token would pass.
        assert!(
            LiveAuthConfig::from_lookup(lookup(&[
                ("AWS_REGION", "eu-west-1"),
                ("USER_POOL_ID", "eu-west-1_AbC"),
                ("ALLOWED_CLIENT_IDS", " , "),
            ]))
            .is_err()
        );
    }

    #[test]
    fn account_deletion_needs_its_queue_and_pool_when_deployed() {
        let deployed = [
            ("ACCOUNT_PURGE_QUEUE_URL", "https://sqs.example/123/purge"),
            ("AWS_ENDPOINT_URL_SQS", "https://sqs.example"),
            ("USER_POOL_ID", "us-east-1_pool"),
            (
                "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
                "https://cognito-idp.example",
            ),
        ];
        let config = DeletionConfig::from_lookup(lookup(&deployed)).unwrap();
        assert_eq!(
            config.queue,
            Some(QueueConfig {
                url: "https://sqs.example/123/purge".into(),
                endpoint: "https://sqs.example".into()
            })
        );
        assert_eq!(config.pool.unwrap().id, "us-east-1_pool");
        // A queue or a pool without its endpoint is refused, never guessed.
        for missing in [
            "AWS_ENDPOINT_URL_SQS",
            "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER",
        ] {
            let vars: Vec<_> = deployed
                .into_iter()
                .filter(|(n, _)| *n != missing)
                .collect();
            assert!(
                matches!(DeletionConfig::from_lookup(lookup(&vars)), Err(ConfigError::Missing(name)) if name == missing),
                "{missing}"
            );
        }
        // Without either, only a local build starts (and purges in the request).
        let local = DeletionConfig::from_lookup(lookup(&[]));
        if cfg!(feature = "local-caller") {
            assert_eq!(
                local.unwrap(),
                DeletionConfig {
                    queue: None,
                    pool: None
                }
            );
        } else {
            assert!(matches!(
                local,
                Err(ConfigError::Missing("ACCOUNT_PURGE_QUEUE_URL"))
            ));
        }
    }

    #[test]
    fn the_purge_worker_needs_its_table_and_queue() {
        let vars = [
            ("TABLE_NAME", "tasks"),
            ("ACCOUNT_PURGE_QUEUE_URL", "https://sqs.example/123/purge"),
            ("AWS_ENDPOINT_URL_SQS", "https://sqs.example"),
        ];
        let config = PurgeConfig::from_lookup(lookup(&vars)).unwrap();
        assert_eq!(config.table_name, "tasks");
        assert_eq!(config.queue.url, "https://sqs.example/123/purge");
        for missing in [
            "TABLE_NAME",
            "ACCOUNT_PURGE_QUEUE_URL",
            "AWS_ENDPOINT_URL_SQS",
        ] {
            let vars: Vec<_> = vars.into_iter().filter(|(n, _)| *n != missing).collect();
            assert!(
                matches!(PurgeConfig::from_lookup(lookup(&vars)), Err(ConfigError::Missing(name)) if name == missing),
                "{missing}"
            );
        }
    }
}
