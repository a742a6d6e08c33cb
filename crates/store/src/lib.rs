//! Finding Friends store: people, blocks, introductions with members,
//! reports, embed keys and enquiries, and the change log, over SQLite (the
//! embedded default) or PostgreSQL (production), through one sea-orm API.
//!
//! Invariants:
//! - every write runs in one transaction that also appends its row to the
//!   change log, so a committed change is always visible to index tailers and
//!   an uncommitted one never is;
//! - change-log `seq` order is commit order on both backends (SQLite has one
//!   writer at a time by construction; on PostgreSQL writers take a
//!   transaction-scoped advisory lock before appending), so a tailer that
//!   reads `seq > last_applied` never skips a row;
//! - SQLite runs in WAL mode with `busy_timeout`, foreign keys,
//!   `synchronous=FULL` and `secure_delete`, and every write transaction is
//!   `BEGIN IMMEDIATE`, so read-then-write transactions never fail with
//!   "database is locked";
//! - erasing a person leaves none of their text in the SQLite files (the
//!   database and its WAL) once [`Store::erase_person`] returns.

mod agreements;
mod blocks;
mod change_log;
mod check_in_rows;
mod check_ins;
mod connect;
mod embed_keys;
mod enquiries;
mod entities;
mod error;
mod idempotency;
mod imports;
mod introductions;
mod people;
mod reports;

pub use agreements::{AgreementChange, StoredAgreement, current_members, editable as agreement_editable};
pub use blocks::StoredBlock;
pub use change_log::{Change, ChangeRecord, ChangedEntity, Operation};
pub use check_ins::{AnswerRefusal, Answered, CheckInAnswer, CheckInsAdvanced, StoredCheckIn};
pub use connect::Backend;
pub use embed_keys::{NewEmbedKey, StoredEmbedKey};
pub use enquiries::{NewEnquiry, StoredEnquiry};
pub use error::StoreError;
pub use idempotency::{Reservation, StoredAnswer};
pub use imports::{ExternalRef, ImportLine, Imported};
pub use introductions::events::StoredEvent;
pub use introductions::queue::{QueueDepth, QueueItem};
pub use introductions::{
    Decision, EventActor, IntroductionFilter, IntroductionLinks, NewIntroduction, Refused, RequestLimits,
    RequestRefusal, StoredIntroduction, StoredMember,
};
pub use people::StoredPerson;
pub use reports::StoredReport;

use chrono::{DateTime, SubsecRound, Utc};
use friends_domain::check_ins::CheckInSchedule;
use sea_orm::DatabaseConnection;

/// The database, opened and migrated.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    /// When members' check-ins fall due (`FRIENDS_CHECK_IN_AFTER`).
    check_ins: CheckInSchedule,
}

impl Store {
    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The same store, scheduling check-ins on `schedule` (the default is
    /// [`friends_domain::check_ins::DEFAULT_CHECK_IN_AFTER`]).
    pub fn with_check_in_schedule(mut self, schedule: CheckInSchedule) -> Self {
        self.check_ins = schedule;
        self
    }

    /// When members' check-ins fall due.
    pub fn check_in_schedule(&self) -> &CheckInSchedule {
        &self.check_ins
    }
}

/// Timestamps are kept to the microsecond, PostgreSQL's precision, so that
/// what a write returns equals what a later read returns on every backend.
pub(crate) fn stored_precision(now: DateTime<Utc>) -> DateTime<Utc> {
    now.trunc_subsecs(6)
}
