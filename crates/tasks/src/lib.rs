//! The task API: domain, storage and HTTP handlers shared by the four Lambda functions.
//!
//! - [`domain`]: the task and its validated fields, pure and synchronous;
//! - [`store`]: what the handlers need from storage, and its DynamoDB implementation;
//! - [`api`]: one function per operation from a `lambda_http::Request` to a `Response`;
//! - [`config`] and [`telemetry`]: start-up.

pub mod api;
pub mod config;
mod digest;
pub mod domain;
pub mod store;
pub mod telemetry;

pub use config::Config;
