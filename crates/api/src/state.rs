//! What handlers and jobs share, and the one way services are made from it:
//! `state.people()`, `state.introductions()`, `state.public_search()`, …
//! each borrows what it needs
//! and reads the clock once, so that one request sees one "now".

use std::sync::Arc;

use friends_store::Store;

use crate::aftercare::{Agreements, CheckIns, Insights};
use crate::blocks::Blocks;
use crate::clock::Clock;
use crate::config::IntroductionSettings;
use crate::cursor::CursorKey;
use crate::embed::enquiries::Enquiries;
use crate::embed::keys::EmbedKeys;
use crate::embed::limits::PublicLimits;
use crate::embed::search::PublicSearch;
use crate::indexes::Indexes;
use crate::introductions::Introductions;
use crate::people::People;
use crate::rate_limits::CallerLimits;
use crate::reference::Reference;
use crate::reports::Reports;
use crate::search::Search;
use crate::suggestions::Suggestions;

/// What handlers share.
#[derive(Debug)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Areas and vocabularies.
    pub reference: Arc<Reference>,
    /// This node's derived indexes (matcher and search).
    pub indexes: Arc<Indexes>,
    /// Limits on introduction requests.
    pub introduction_settings: IntroductionSettings,
    /// The clock.
    pub clock: Clock,
    /// Signs search cursors.
    pub cursor_key: CursorKey,
    /// Rate limits of the public routes.
    pub public_limits: PublicLimits,
    /// Rate limits of authenticated callers.
    pub caller_limits: std::sync::Arc<CallerLimits>,
}

impl AppState {
    /// The people service, at this moment.
    pub fn people(&self) -> People<'_> {
        People { store: &self.store, indexes: &self.indexes, reference: &self.reference, now: self.clock.now() }
    }

    /// The suggestions service (pairs and groups), at this moment.
    pub fn suggestions(&self) -> Suggestions<'_> {
        Suggestions { people: self.people(), indexes: self.indexes.clone(), limits: self.caller_limits.as_ref() }
    }

    /// The introductions service, at this moment.
    pub fn introductions(&self) -> Introductions<'_> {
        Introductions {
            store: &self.store,
            indexes: &self.indexes,
            limits: self.introduction_settings.limits(),
            now: self.clock.now(),
        }
    }

    /// The check-ins service, at this moment.
    pub fn check_ins(&self) -> CheckIns<'_> {
        CheckIns { store: &self.store, indexes: &self.indexes, now: self.clock.now() }
    }

    /// The pooling agreements service, at this moment.
    pub fn agreements(&self) -> Agreements<'_> {
        Agreements { store: &self.store, now: self.clock.now() }
    }

    /// The brokers' insights, at this moment.
    pub fn insights(&self) -> Insights<'_> {
        Insights {
            store: &self.store,
            indexes: self.indexes.clone(),
            reference: &self.reference,
            now: self.clock.now(),
        }
    }

    /// The blocks service, at this moment.
    pub fn blocks(&self) -> Blocks<'_> {
        Blocks { store: &self.store, indexes: &self.indexes, now: self.clock.now() }
    }

    /// The reports service, at this moment.
    pub fn reports(&self) -> Reports<'_> {
        Reports { store: &self.store, now: self.clock.now() }
    }

    /// The embed keys service (admins), at this moment.
    pub fn embed_keys(&self) -> EmbedKeys<'_> {
        EmbedKeys { store: &self.store, reference: &self.reference, now: self.clock.now() }
    }

    /// The public search service (the council embed), at this moment.
    pub fn public_search(&self) -> PublicSearch<'_> {
        PublicSearch {
            indexes: &self.indexes,
            cursor_key: &self.cursor_key,
            reference: &self.reference,
            now: self.clock.now(),
        }
    }

    /// The residents' enquiries service, at this moment.
    pub fn enquiries(&self) -> Enquiries<'_> {
        Enquiries { store: &self.store, search: self.public_search(), now: self.clock.now() }
    }

    /// The search service, at this moment.
    pub fn search(&self) -> Search<'_> {
        Search {
            indexes: &self.indexes,
            cursor_key: &self.cursor_key,
            reference: &self.reference,
            now: self.clock.now(),
        }
    }
}
