//! Finding Friends HTTP API: configuration, authentication, routes, errors
//! and telemetry, and the [`startup::Application`] that `friends serve` and
//! the black-box tests both run.
//!
//! Invariants:
//! - every response carries `x-request-id`; every error is
//!   `application/problem+json` with a stable `code` ([`errors`]);
//! - a caller who may not see a person gets 404, never 403, so ids cannot be
//!   probed ([`people`]);
//! - no log line carries a name, about text, contact detail, support need,
//!   postcode or token: handlers never log bodies, request logs carry the
//!   route pattern rather than the path or query, and auth failures log the
//!   reason only ([`telemetry`], [`auth`]).

pub mod aftercare;
pub mod auth;
pub mod blocks;
pub mod body;
pub mod clock;
pub mod config;
pub mod cursor;
pub mod demo;
pub mod embed;
pub mod errors;
pub mod exclusions;
pub mod html;
pub mod idempotency;
pub mod imports;
pub mod indexes;
pub mod input;
pub mod introductions;
pub mod jobs;
pub mod limits;
pub mod metrics;
pub mod pages;
pub mod people;
pub mod rate_limits;
pub mod reference;
pub mod reports;
pub mod request_id;
pub mod routes;
pub mod scrape;
pub mod search;
pub mod startup;
pub mod state;
pub mod suggestions;
pub mod telemetry;
pub mod token;
pub mod views;
