//! The id of the request being served, as a task-local that the request
//! middleware sets (`telemetry`) and error bodies read (`errors`).

use uuid::Uuid;

tokio::task_local! {
    pub(crate) static REQUEST_ID: Uuid;
}

/// Name of the request-id header.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the request being served on this task, if any.
pub fn current_request_id() -> Option<Uuid> {
    REQUEST_ID.try_with(|id| *id).ok()
}
