//! sea-orm entities: one module per table. Private to the store; the rest of
//! the service sees domain types only.

pub mod agreements;
pub mod blocks;
pub mod change_log;
pub mod check_ins;
pub mod embed_keys;
pub mod enquiries;
pub mod erased_refs;
pub mod event_notes;
pub mod external_refs;
pub mod idempotency_keys;
pub mod introduction_events;
pub mod introduction_members;
pub mod introductions;
pub mod people;
pub mod reports;
