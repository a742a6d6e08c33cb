//! Prometheus metrics, served on their own listener
//! (`FRIENDS_METRICS_LISTEN`), never on the public port.
//!
//! One recorder per process (`metrics` with
//! `metrics-exporter-prometheus`): request counters and histograms are
//! recorded where they happen; the gauges that describe state (index lag,
//! people in the matcher, queue depth) are read at each scrape, so that
//! they cannot go stale between scrapes.
//!
//! Labels are closed sets only: route *patterns* (`/v1/people/{id}`),
//! a method from a fixed list, a status class, a job's or a limit's name.
//! No id, name or other value a caller sent ever becomes a label.

use std::sync::OnceLock;

use actix_web::http::Method;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests served, by route pattern, method and status class.
pub const REQUESTS: &str = "friends_http_requests_total";
/// How long requests took, in seconds, by the same labels.
pub const REQUEST_SECONDS: &str = "friends_http_request_duration_seconds";
/// Background job runs, by job.
pub const JOB_RUNS: &str = "friends_job_runs_total";
/// Background job failures, by job.
pub const JOB_FAILURES: &str = "friends_job_failures_total";
/// Requests refused by a rate limit, by limit (`public`, `caller`,
/// `lookup`).
pub const RATE_LIMITED: &str = "friends_rate_limited_total";
/// Change-log rows committed to the database but not yet applied to an
/// index of this node, by index (`matcher`, `search`).
pub const INDEX_LAG: &str = "friends_index_lag_changes";
/// People this node's matcher holds.
pub const MATCHER_PEOPLE: &str = "friends_matcher_people";
/// Items waiting in the brokers' queues (every authority), by kind.
pub const QUEUE_DEPTH: &str = "friends_broker_queue_depth";

/// Histogram buckets of request durations, in seconds: fine below 50 ms,
/// where the service's reads live, and up to the 30 s of a slow build.
const SECONDS_BUCKETS: [f64; 14] = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder, once; the handle that renders it.
/// `None` if another recorder was installed first (the metrics listener
/// then answers 503 and says why in the log).
pub fn install() -> Option<PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.to_owned()), &SECONDS_BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match built {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(error) => {
                    tracing::error!(error = %error, "the metrics recorder could not be installed");
                    None
                }
            }
        })
        .clone()
}

fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(REQUESTS, "Requests served, by route pattern, method and status class.");
    describe_histogram!(
        REQUEST_SECONDS,
        Unit::Seconds,
        "Request durations, by route pattern, method and status class."
    );
    describe_counter!(JOB_RUNS, "Background job runs, by job.");
    describe_counter!(JOB_FAILURES, "Background job runs that failed, by job.");
    describe_counter!(RATE_LIMITED, "Requests refused by a rate limit, by limit.");
    describe_gauge!(INDEX_LAG, "Change-log rows in the database not yet applied to this node's index, by index.");
    describe_gauge!(MATCHER_PEOPLE, "People in this node's matcher.");
    describe_gauge!(QUEUE_DEPTH, "Items waiting in the brokers' queues, by kind.");
}

/// A method as a label: one of a fixed list, so that a made-up method
/// cannot add a series (or carry text into one).
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PATCH => "PATCH",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// A status as a label: its class (`2xx` … `5xx`).
pub fn status_label(status: u16) -> &'static str {
    match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Records one served request. `route` is the matched pattern, or
/// `unmatched`.
pub fn record_request(route: String, method: &Method, status: u16, seconds: f64) {
    let labels =
        [("route", route), ("method", method_label(method).to_owned()), ("status", status_label(status).to_owned())];
    metrics::counter!(REQUESTS, &labels).increment(1);
    metrics::histogram!(REQUEST_SECONDS, &labels).record(seconds);
}

/// Records one refusal by the rate limit `limit`.
pub fn record_rate_limited(limit: &'static str) {
    metrics::counter!(RATE_LIMITED, "limit" => limit).increment(1);
}

/// Records one run of the job `job`, and whether it failed.
pub fn record_job(job: &'static str, failed: bool) {
    metrics::counter!(JOB_RUNS, "job" => job).increment(1);
    if failed {
        metrics::counter!(JOB_FAILURES, "job" => job).increment(1);
    }
}

/// Keeps the recorder's histograms bounded between scrapes (a job runs
/// this).
pub fn upkeep() {
    if let Some(Some(handle)) = HANDLE.get() {
        handle.run_upkeep();
    }
}
