//! The black-box suite: one test binary that starts the real application
//! (in-process, on port 0, with a fresh database and data folder per test)
//! and, for the CLI, the real `friends` binary.
//!
//! Backends: every test uses SQLite unless `TEST_DATABASE_URL` names a
//! PostgreSQL server, in which case each test gets its own fresh database
//! there. Tests about SQLite's files and pragmas always use SQLite; the
//! store suite runs on both backends whenever `TEST_DATABASE_URL` is set.

mod helpers;
mod webdriver;

mod aftercare;
mod auth;
mod blocks;
mod browser;
mod cli;
mod concurrency;
mod consent_sequences;
mod contract;
mod crash;
mod embed;
mod faults;
mod group_introductions;
mod groups;
mod hostile;
mod hygiene;
mod idempotency;
mod insights;
mod introductions;
mod keys;
mod migration;
mod nodes;
mod operations;
mod outage;
mod people;
mod policy;
mod privacy;
mod reference;
mod search;
mod soak;
mod store;
mod suggestions;
