//! What the stream handler needs to publish events, and its EventBridge implementation. Unit
//! tests use a fake; the integration tests use the real client against moto's EventBridge.

use std::future::Future;

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;

use super::EVENT_SOURCE;

/// PutEvents takes at most ten entries per request.
pub const MAX_ENTRIES_PER_PUT: usize = 10;

/// One event to put on the bus; the bus and the `source` are the publisher's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventEntry {
    pub detail_type: &'static str,
    /// JSON.
    pub detail: String,
}

/// What became of one entry of a PutEvents request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EntryOutcome {
    Published,
    /// EventBridge refused this entry (the others of the request may have been published).
    Failed {
        code: String,
        message: String,
    },
}

/// A PutEvents request that failed as a whole, after the client's own retries (EventBridge
/// unreachable or answering errors): none of its entries may be taken as published.
#[derive(Debug, thiserror::Error)]
#[error("PutEvents failed: {0}")]
pub struct PublishError(pub String);

pub trait EventPublisher: Send + Sync {
    /// Puts at most [`MAX_ENTRIES_PER_PUT`] entries in one request and tells what became of
    /// each, in the order given.
    fn put_events(
        &self,
        entries: &[EventEntry],
    ) -> impl Future<Output = Result<Vec<EntryOutcome>, PublishError>> + Send;
}

/// Publishes to one EventBridge bus with `source` [`EVENT_SOURCE`].
#[derive(Clone, Debug)]
pub struct EventBridgePublisher {
    client: Client,
    bus: String,
}

impl EventBridgePublisher {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }
}

impl EventPublisher for EventBridgePublisher {
    async fn put_events(&self, entries: &[EventEntry]) -> Result<Vec<EntryOutcome>, PublishError> {
        let request: Vec<PutEventsRequestEntry> = entries
            .iter()
            .map(|entry| {
                PutEventsRequestEntry::builder()
                    .event_bus_name(&self.bus)
                    .source(EVENT_SOURCE)
                    .detail_type(entry.detail_type)
                    .detail(&entry.detail)
                    .build()
            })
            .collect();
        let output = self
            .client
            .put_events()
            .set_entries(Some(request))
            .send()
            .await
            .map_err(|error| PublishError(DisplayErrorContext(&error).to_string()))?;
        let results = output.entries();
        // One result per entry, in order, is PutEvents' contract; anything else cannot be
        // matched to the entries, so none counts as published.
        if results.len() != entries.len() {
            return Err(PublishError(format!(
                "{} results for {} entries",
                results.len(),
                entries.len()
            )));
        }
        Ok(results
            .iter()
            .map(|result| match result.error_code() {
                None => EntryOutcome::Published,
                Some(code) => EntryOutcome::Failed {
                    code: code.to_owned(),
                    message: result.error_message().unwrap_or_default().to_owned(),
                },
            })
            .collect())
    }
}
