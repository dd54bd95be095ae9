//! Everything read from the environment, read once at start-up.

use std::env;

use crate::domain::OwnerId;

/// Default problem-type base: a documentation placeholder (RFC 2606) until a deployer
/// points `PROBLEM_TYPE_BASE_URL` at their own copy of `docs/problems.md`.
pub const DEFAULT_PROBLEM_TYPE_BASE: &str = "https://task-api.example/problems/";

#[derive(Clone, Debug)]
pub struct Config {
    /// `TABLE_NAME`: the tasks table.
    pub table_name: String,
    /// `PAGE_TOKEN_SECRET`: key that signs `nextToken`s (at least 32 bytes).
    pub page_token_secret: Vec<u8>,
    /// `CORS_ALLOW_ORIGIN`: value of `Access-Control-Allow-Origin`, `*` by default.
    pub cors_allow_origin: String,
    /// `PROBLEM_TYPE_BASE_URL`: prefix of the `type` URI of every problem response.
    pub problem_type_base: String,
    /// `AWS_LAMBDA_FUNCTION_NAME` (set by Lambda): named in every log line.
    pub function_name: String,
    /// `METRICS_NAMESPACE`: CloudWatch namespace of the EMF metrics, `TaskApi` by default.
    pub metrics_namespace: String,
    /// `TASKS_LOCAL_CALLER_ID`: the caller to assume when a request carries no Cognito
    /// claims. Only local tooling sets it (`make dev`); template.yaml never does.
    pub local_caller: Option<OwnerId>,
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

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| env::var(name).ok().filter(|v| !v.is_empty()))
    }

    /// Same as [`Config::from_env`] but from any lookup, so tests need not touch the
    /// process environment.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let table_name = lookup("TABLE_NAME").ok_or(ConfigError::Missing("TABLE_NAME"))?;
        let secret =
            lookup("PAGE_TOKEN_SECRET").ok_or(ConfigError::Missing("PAGE_TOKEN_SECRET"))?;
        if secret.len() < MIN_SECRET_BYTES {
            return Err(ConfigError::Invalid {
                name: "PAGE_TOKEN_SECRET",
                reason: "must be at least 32 bytes",
            });
        }
        let local_caller = lookup("TASKS_LOCAL_CALLER_ID")
            .map(|raw| OwnerId::parse(&raw))
            .transpose()
            .map_err(|reason| ConfigError::Invalid {
                name: "TASKS_LOCAL_CALLER_ID",
                reason,
            })?;
        Ok(Self {
            table_name,
            page_token_secret: secret.into_bytes(),
            cors_allow_origin: lookup("CORS_ALLOW_ORIGIN").unwrap_or_else(|| "*".into()),
            problem_type_base: lookup("PROBLEM_TYPE_BASE_URL")
                .unwrap_or_else(|| DEFAULT_PROBLEM_TYPE_BASE.into()),
            function_name: lookup("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|| "local".into()),
            metrics_namespace: lookup("METRICS_NAMESPACE").unwrap_or_else(|| "TaskApi".into()),
            local_caller,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn table_and_secret_are_required_and_the_rest_has_defaults() {
        let config = config(&[("TABLE_NAME", "tasks"), ("PAGE_TOKEN_SECRET", SECRET)]).unwrap();
        assert_eq!(config.table_name, "tasks");
        assert_eq!(config.cors_allow_origin, "*");
        assert_eq!(config.problem_type_base, DEFAULT_PROBLEM_TYPE_BASE);
        assert_eq!(config.local_caller, None);
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

    #[test]
    fn local_caller_is_read_only_when_set() {
        let config = config(&[
            ("TABLE_NAME", "t"),
            ("PAGE_TOKEN_SECRET", SECRET),
            ("TASKS_LOCAL_CALLER_ID", "local-developer"),
        ])
        .unwrap();
        assert_eq!(config.local_caller.unwrap().as_str(), "local-developer");
    }
}
