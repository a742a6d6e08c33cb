//! Finding Friends search: a tantivy index on disk, derived from the
//! database and never the truth.
//!
//! - Only people who can be found are indexed (active and discoverable);
//!   pausing or erasing a person deletes their document.
//! - Nothing is stored: ids come back through two fast fields, so support
//!   needs, contact details and about text never sit in stored fields. The
//!   about text and interest words are indexed (not stored) for free text.
//! - Each commit carries the change-log `seq` it reflects as its payload; on
//!   start a missing, corrupt (any file's checksum) or foreign index is
//!   recreated empty and the caller rebuilds it from the database.
//! - Its writes are not synced to the disk (`directory`): being derived, it
//!   can lose its last commits to a power loss and replay them; only the
//!   removal of an erased person's files is synced before the erasure ends.
//! - After an erasure the index merges its segments and collects garbage, so
//!   none of the erased person's text is left in the folder.
//! - User text never reaches a query parser: free text is tokenised with the
//!   index's own analyser and turned into term and fuzzy-term queries on one
//!   field, so no input can name another field or widen the caller's scope.
//! - People who chose a public listing also carry the one authority that
//!   lists them and their interest words in a field of their own, which is
//!   all that public search (the council embed) reads.

mod directory;
mod faults;
mod index;
mod public;
mod query;

pub use faults::WriteFaults;
pub use index::{IndexError, OpenOutcome, SearchDocument, SearchIndex};
pub use public::{PublicHit, PublicSearchRequest};
pub use query::{Cursor, SearchHit, SearchPage, SearchRequest};
