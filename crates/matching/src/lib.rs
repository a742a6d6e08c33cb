//! Finding Friends matching (DESIGN §4): who may be suggested to whom, how
//! well they suit each other, and why, in plain words.
//!
//! Pure maths over domain types: no I/O, no async. The service keeps one
//! [`Population`] in memory, built from the database and kept current from
//! the change log; it is a derived index, never the truth.
//!
//! Two ways to answer "who suits this person best", which must agree
//! exactly:
//! - [`Population::suggest`], the fast path: it walks only the postcode
//!   districts within the seeker's travel limit, nearest first, and inside
//!   each district only the people whose own travel limit reaches the seeker
//!   (districts keep their people sorted by travel limit);
//! - [`Population::suggest_exhaustive`], the oracle: it scores every person
//!   in the population with the same functions. Tests compare the two on
//!   random populations; the benchmark reports both.
//!
//! Invariants: every hard filter holds both ways; the pair score is
//! symmetric (it is the harmonic mean of the two directional scores); a card
//! shows a distance band, never a distance; a card shows the other person's
//! support needs only when that person shares them.

mod codebook;
mod districts;
mod group_rules;
mod population;
mod profile;
mod reasons;
mod score;

pub use codebook::Codebook;
pub use districts::DistrictTable;
pub use population::cards::Card;
pub use population::demand::Looking;
pub use population::groups::{
    GROUP_WORK_BUDGET, GroupAnswer, GroupCard, GroupQuery, GroupSuggestion, MAX_GROUP_SIZE, MIN_GROUP_SIZE, NoGroups,
};
pub use population::public::{PublicFacets, PublicProfile};
pub use population::{COLLECT_FROM, Population, Query, Suggestion};
pub use profile::{Core, MatchProfile};
pub use score::{Inverses, Side, Signals, Weights};
