//! Background work, in one shape: a job runs every interval until the
//! process ends; a failure is logged (without personal data) and the job
//! runs again at the next tick. Jobs read time from the application's clock,
//! the injectable one, so tests move time instead of waiting.
//!
//! - **follow**: catches this node's indexes up with writes made by others
//!   (every [`crate::indexes::FOLLOW_INTERVAL`]);
//! - **expire**: expires quiet requests and purges old idempotency keys
//!   (every `expiry_interval`).
//!
//! Check-ins (after an introduction) are the next job here.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::errors::ApiError;
use crate::indexes::FOLLOW_INTERVAL;
use crate::state::AppState;

/// Runs `job` every `interval` on its own task until the process ends.
pub fn spawn_every<Job, Run, Error>(name: &'static str, interval: Duration, mut job: Job)
where
    Job: FnMut() -> Run + Send + 'static,
    Run: Future<Output = Result<(), Error>> + Send,
    Error: Display,
{
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(error) = job().await {
                tracing::warn!(job = name, error = %error, "background job failed; it runs again next tick");
            }
        }
    });
}

/// Starts every job of a node.
pub fn start(state: &Arc<AppState>, expiry_interval: Duration) {
    let following = state.clone();
    spawn_every("follow", FOLLOW_INTERVAL, move || {
        let state = following.clone();
        async move { state.indexes.catch_up(&state.store).await.map(|_| ()) }
    });
    let expiring = state.clone();
    spawn_every("expire", expiry_interval, move || {
        let state = expiring.clone();
        async move { expire(&state).await.map(|_| ()) }
    });
}

/// Expires every request due now and purges idempotency keys past their
/// time; returns how many requests expired.
pub async fn expire(state: &AppState) -> Result<usize, ApiError> {
    let expired = state.introductions().expire_due().await;
    // Purged whether or not expiry worked: they are independent.
    let before = state.clock.now() - crate::idempotency::KEEP_FOR;
    if let Err(error) = state.store.purge_idempotency_keys(before).await {
        tracing::warn!(error = %error, "idempotency keys could not be purged; retried next tick");
    }
    expired
}
