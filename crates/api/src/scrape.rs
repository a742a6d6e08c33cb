//! `GET /metrics` on the metrics listener: the state gauges, read at each
//! scrape, then the recorder's text (`crate::metrics`).

use actix_web::{HttpResponse, web};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::metrics::{INDEX_LAG, MATCHER_PEOPLE, QUEUE_DEPTH};
use crate::state::AppState;

/// `GET /metrics` on the metrics listener: the state gauges, read now,
/// then everything in the Prometheus text format.
pub async fn scrape(state: web::Data<AppState>, handle: web::Data<PrometheusHandle>) -> HttpResponse {
    match state.store.last_change_seq().await {
        Ok(database_seq) => {
            let applied = state.indexes.applied_seq();
            let search = if state.indexes.search_is_current() {
                applied
            } else {
                // One small file (the index's meta) read, on the metrics
                // listener's own worker.
                state.indexes.search().committed_seq().unwrap_or(0)
            };
            metrics::gauge!(INDEX_LAG, "index" => "matcher").set((database_seq - applied).max(0) as f64);
            metrics::gauge!(INDEX_LAG, "index" => "search").set((database_seq - search).max(0) as f64);
        }
        Err(error) => tracing::warn!(error = %error, "metrics: the change-log position could not be read"),
    }
    match state.indexes.read(friends_matching::Population::len) {
        Ok(people) => metrics::gauge!(MATCHER_PEOPLE).set(people as f64),
        Err(_) => tracing::warn!("metrics: the matcher could not be read"),
    }
    match state.store.queue_depth().await {
        Ok(depth) => {
            for (kind, count) in [
                ("introduction", depth.requests),
                ("report", depth.reports),
                ("enquiry", depth.enquiries),
                ("check_in", depth.check_ins),
            ] {
                metrics::gauge!(QUEUE_DEPTH, "kind" => kind).set(count as f64);
            }
        }
        Err(error) => tracing::warn!(error = %error, "metrics: the queue depth could not be read"),
    }
    HttpResponse::Ok().content_type("text/plain; version=0.0.4; charset=utf-8").body(handle.render())
}
