//! Introductions (DESIGN §5): requests, broker triage, personal consent,
//! leaving, the audit trail and lists (this module, the service); what each
//! caller reads ([`views`]); the broker queue ([`queue`]); and what the
//! routes accept ([`input`]).
//!
//! An introduction has members: the requester and 1 to 5 others, each with
//! their own consent. Today's routes make pairs (`to`); groups use the same
//! service, rules and store.
//!
//! The rules of who may do what, and of what each side sees, are the pure
//! functions of `friends_domain::policy`; this module applies them to the
//! introduction the store hands over under its write lock, so that the
//! check and the change are one atomic step.

mod input;
mod queue;
mod service;
mod views;

pub use input::{
    ApproveInput, ConsentDecision, ConsentInput, DeclineInput, LeaveInput, ListQuery, MESSAGE_MAX_CHARS,
    NOTE_MAX_CHARS, QueueQuery, RequestInput, SUPPORTED_BY_MAX_CHARS,
};
pub use queue::QueueItemView;
pub use service::Introductions;
pub use views::{
    Contacts, EventView, ExportedIntroduction, IntroductionView, SharedContact, event_view, perspective_of,
};
