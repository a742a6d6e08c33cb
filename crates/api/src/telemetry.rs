//! Logs and request context.
//!
//! Every request gets an id (a UUIDv7), a span carrying the method, the
//! matched route *pattern* (`/v1/people/{id}`, never the path or the query,
//! which may carry search text), the status and the latency, and an
//! `x-request-id` response header. The id is also available to error bodies
//! through a task-local. Panics in handlers are caught here and answered 500,
//! so the worker keeps serving.

use std::io::IsTerminal;
use std::panic::AssertUnwindSafe;
use std::time::Instant;

use actix_web::ResponseError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use futures_util::FutureExt;
use tracing::Instrument;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use uuid::Uuid;

use crate::config::Environment;
use crate::errors::ApiError;

use crate::request_id::REQUEST_ID;
pub use crate::request_id::{REQUEST_ID_HEADER, current_request_id};

/// Default filter: our crates at info, chatty dependencies quieter.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,sea_orm=warn,actix_server=warn";

/// Installs the global subscriber: JSON lines in production, compact
/// readable lines in development, on stderr. `RUST_LOG` overrides the level.
pub fn init_subscriber(environment: Environment) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_LOG_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match environment {
        Environment::Production => registry
            .with(tracing_subscriber::fmt::layer().json().with_current_span(true).with_writer(std::io::stderr))
            .try_init(),
        Environment::Development => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .compact()
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
    if result.is_err() {
        // Already installed (tests install their own); keep that one.
    }
}

/// Installs, once per process, a panic hook that keeps request data out of
/// the logs: a panic while a request is being served (a request id is in
/// scope) is logged with its location only, because its message may quote
/// the input that caused it (a postcode, a name). Any other panic (start-up,
/// a test's own assertion) goes to the default hook, message and all.
pub fn install_panic_hook() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let default_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let Some(request_id) = current_request_id() else {
                default_hook(info);
                return;
            };
            let location = info.location().map(|at| format!("{}:{}", at.file(), at.line())).unwrap_or_default();
            tracing::error!(
                request_id = %request_id,
                location = %location,
                "a request handler panicked (the message is not logged: it may quote request data)"
            );
        }));
    });
}

/// Middleware (outermost): request id, span, request log line, and
/// `Cache-Control: no-store` on authenticated responses.
pub async fn request_context(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = Uuid::now_v7();
    let started = Instant::now();
    let authenticated = request.headers().contains_key(header::AUTHORIZATION);
    let method = request.method().clone();
    let span = tracing::info_span!(
        "http_request",
        request_id = %request_id,
        method = %request.method(),
        route = tracing::field::Empty,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    );
    let mut response =
        REQUEST_ID.scope(request_id, next.call(request)).instrument(span.clone()).await?.map_into_boxed_body();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&request_id.to_string()) {
        headers.insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    if authenticated {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    let route = response.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = response.status().as_u16();
    let elapsed = started.elapsed().as_secs_f64();
    let latency_ms = (elapsed * 1_000_000.0).round() / 1000.0;
    span.record("route", route.as_str());
    span.record("status", status);
    span.record("latency_ms", latency_ms);
    span.in_scope(|| tracing::info!("request completed"));
    crate::metrics::record_request(route, &method, status, elapsed);
    Ok(response)
}

/// Middleware (on each resource, after routing): a panicking handler is
/// answered with a 500 problem and the worker keeps serving. It must sit
/// after routing because it keeps a handle on the request, and routing needs
/// the only one.
pub async fn catch_panics(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let http_request = request.request().clone();
    match AssertUnwindSafe(next.call(request)).catch_unwind().await {
        Ok(response) => Ok(response?.map_into_boxed_body()),
        Err(_panic) => {
            // The hook above has logged where; nothing of the request here.
            tracing::error!("handler panicked; answered 500");
            Ok(ServiceResponse::new(http_request, ApiError::Internal.error_response()))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut buffer) = self.0.lock() {
                buffer.extend_from_slice(bytes);
            }
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_panic_while_serving_logs_where_but_not_what() {
        install_panic_hook();
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt().json().with_writer(move || writer.clone()).finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let outcome = REQUEST_ID
            .scope(Uuid::now_v7(), async {
                std::panic::catch_unwind(|| {
                    let input = "SW1A\u{e9}1B Quillon Canarywood";
                    std::hint::black_box(&input[..5]);
                })
            })
            .await;
        assert!(outcome.is_err(), "slicing inside a character panics");
        let logged = buffer.0.lock().map(|bytes| String::from_utf8_lossy(&bytes).into_owned()).unwrap_or_default();
        assert!(logged.contains("a request handler panicked"), "{logged}");
        assert!(logged.contains("telemetry.rs"), "the location is logged: {logged}");
        assert!(!logged.contains("Canarywood") && !logged.contains("SW1A"), "{logged}");
    }
}
