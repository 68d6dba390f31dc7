//! Server-sent events for the app API: named events (`event: progress`) with JSON data.
//! Jobs run on blocking threads and send their events through a channel; the response
//! stream owns the job's [`JobEntry`], so a client that disconnects cancels the job.

use std::convert::Infallible;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream, StreamExt};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::error::ApiError;
use crate::state::JobEntry;

/// One named event.
pub struct Named {
    pub name: &'static str,
    pub data: serde_json::Value,
}

impl Named {
    pub fn new(name: &'static str, data: impl Serialize) -> Self {
        Named {
            name,
            data: serde_json::to_value(data).unwrap_or(serde_json::Value::Null),
        }
    }

    pub fn error(error: &ApiError) -> Self {
        Named::new("error", error.app_body())
    }
}

/// The sending side a job writes to; sending after the client left is harmless.
#[derive(Clone)]
pub struct Sender(mpsc::UnboundedSender<Named>);

impl Sender {
    pub fn send(&self, name: &'static str, data: impl Serialize) {
        let _ = self.0.send(Named::new(name, data));
    }

    pub fn error(&self, error: &ApiError) {
        let _ = self.0.send(Named::error(error));
    }

    /// Resolves when the client has gone (the response stream was dropped).
    pub async fn closed(&self) {
        self.0.closed().await
    }
}

pub fn channel() -> (Sender, mpsc::UnboundedReceiver<Named>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Sender(tx), rx)
}

/// The events as an SSE response that holds `job` until the stream ends or is dropped.
pub fn respond(
    receiver: mpsc::UnboundedReceiver<Named>,
    job: Option<JobEntry>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let events = stream::unfold((receiver, job), |(mut receiver, job)| async move {
        let named = receiver.recv().await?;
        Some((named, (receiver, job)))
    })
    .map(|named| {
        Ok(Event::default()
            .event(named.name)
            .data(named.data.to_string()))
    });
    Sse::new(events).keep_alive(KeepAlive::default())
}
