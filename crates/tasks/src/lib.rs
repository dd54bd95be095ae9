//! The task API: domain, storage, HTTP handlers and task events, shared by the five Lambda
//! functions.
//!
//! - [`domain`]: the task and its validated fields, pure and synchronous;
//! - [`store`]: what the handlers need from storage, and its DynamoDB implementation;
//! - [`api`]: one function per operation from a `lambda_http::Request` to a `Response`;
//! - [`events`]: the table's stream records as domain events on EventBridge (the fifth
//!   function, `task-events`);
//! - [`config`] and [`telemetry`]: start-up.

pub mod api;
pub mod config;
mod digest;
pub mod domain;
pub mod events;
pub mod store;
pub mod telemetry;

pub use config::Config;
