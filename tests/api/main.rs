//! Integration tests: the real handlers, driven by the API Gateway events in `events/`,
//! against the real local DynamoDB-compatible server that `make test` starts.
//!
//! Every test acts as a fresh random caller, so tests share one table without seeing
//! each other's tasks.

mod account;
mod contract;
mod errors;
mod events;
mod fake_http;
mod fault_proxy;
mod faults;
mod helpers;
mod idempotency;
mod limits;
mod listing;
mod live;
mod logs;
mod races;
mod reminders;
mod routes;
mod sharing;
mod store;
mod task_events;
mod tasks;
