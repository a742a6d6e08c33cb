//! Background work, in one shape: a job runs every interval until the
//! process ends; a failure is logged (without personal data) and the job
//! runs again at the next tick. Jobs read time from the application's clock,
//! the injectable one, so tests move time instead of waiting.
//!
//! - **follow**: catches this node's indexes up with writes made by others
//!   (every [`crate::indexes::FOLLOW_INTERVAL`]);
//! - **expire**: expires quiet requests, purges old idempotency keys,
//!   clears residents' enquiries past their time, and forgets idle clients
//!   of the rate limits (every `expiry_interval`);
//! - **check-ins**: opens every check-in that fell due and sends those left
//!   unanswered for 14 days to the brokers (every [`CHECK_IN_INTERVAL`], so
//!   that each opens within 10 s of falling due).

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::errors::ApiError;
use crate::indexes::FOLLOW_INTERVAL;
use crate::state::AppState;

/// How often the metrics recorder's histograms are drained between
/// scrapes.
pub const METRICS_UPKEEP_INTERVAL: Duration = Duration::from_secs(5);

/// How often the check-ins job runs.
pub const CHECK_IN_INTERVAL: Duration = Duration::from_secs(5);

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
            let outcome = job().await;
            crate::metrics::record_job(name, outcome.is_err());
            if let Err(error) = outcome {
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
    let checking = state.clone();
    spawn_every("check-ins", CHECK_IN_INTERVAL, move || {
        let state = checking.clone();
        async move { state.check_ins().advance().await.map(|_| ()) }
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
    if let Err(error) = lapse_enquiries(state).await {
        tracing::warn!(error = %error, "old enquiries could not be cleared; retried next tick");
    }
    state.public_limits.forget_idle();
    state.caller_limits.forget_idle();
    expired
}

/// Clears the details of every enquiry older than
/// [`crate::embed::enquiries::KEEP_DAYS`]; returns how many.
pub async fn lapse_enquiries(state: &AppState) -> Result<usize, ApiError> {
    let now = state.clock.now();
    let before = now - chrono::Duration::days(crate::embed::enquiries::KEEP_DAYS);
    let lapsed = state.store.lapse_enquiries(before, now).await?;
    if lapsed > 0 {
        tracing::info!(lapsed, "enquiries past their time cleared");
    }
    Ok(lapsed)
}
