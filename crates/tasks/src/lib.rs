//! The task API: domain, storage, HTTP handlers, task events, reminders, live updates and
//! account deletion, shared by the Lambda functions.
//!
//! - [`domain`]: the task and its validated fields, pure and synchronous;
//! - [`store`]: what the handlers need from storage, and its DynamoDB implementation;
//! - [`api`]: one function per operation from a `lambda_http::Request` to a `Response`;
//! - [`events`]: the table's stream records as domain events on EventBridge (the fifth
//!   function, `task-events`);
//! - [`reminders`]: each task's reminder scheduled from the stream (`task-events`) and
//!   delivered once when due (`task-reminders`);
//! - [`live`]: live updates over a WebSocket API: its authorizer (`live-authorizer`), its
//!   routes (`live-socket`) and the hints fanned out from the task events (`live-fanout`);
//! - [`account`]: `DELETE /account`: the user pool's user deleted, then their data purged
//!   by a worker (`delete-account`, `account-purge`);
//! - [`config`] and [`telemetry`]: start-up.

/// Defines a closed set of names as an enum, so that a misspelt name cannot exist past
/// parsing: `ALL`, `parse` (refusing anything else with `$rejection`), `as_str` and `Display`.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident, $rejection:literal, { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn parse(raw: &str) -> Result<Self, $crate::domain::Rejection> {
                match raw {
                    $($wire => Ok($name::$variant),)+
                    _ => Err($rejection),
                }
            }

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A client of the AWS SDK crate `$sdk` for `$endpoint`, from a shared SDK configuration, with
/// the budget of the EventBridge client (`events::client`): every SDK crate has its own
/// configuration builder, with the same methods.
macro_rules! budgeted_client {
    ($sdk:ident, $sdk_config:expr, $endpoint:expr) => {{
        let (retry, timeouts) = $crate::events::client::budget();
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($sdk_config)
                .endpoint_url($endpoint)
                .retry_config(retry)
                .timeout_config(timeouts)
                .build(),
        )
    }};
}

pub mod account;
pub mod api;
pub mod config;
mod digest;
pub mod domain;
pub mod events;
pub mod live;
pub mod reminders;
pub mod store;
pub mod telemetry;

pub use config::Config;
