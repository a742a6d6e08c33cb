//! The node's in-memory matcher: a derived index, built from the database at
//! start and kept current by tailing the change log in `seq` order.
//!
//! Read-your-writes: every write path calls [`Matcher::catch_up`] after its
//! commit and before it answers, so a write is visible to suggestions on this
//! node when it returns. Writes made through other nodes arrive by the
//! background poll ([`spawn_follower`]) within [`FOLLOW_INTERVAL`]. Because
//! change-log `seq` order is commit order (see the store), applying rows with
//! `seq > applied` never skips one. Applying re-reads each changed person's
//! current row, so replays are idempotent and an erased person is simply
//! absent.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{Datelike, Utc};
use friends_matching::{Codebook, DistrictTable, Population};
use friends_store::{Store, StoreError};
use uuid::Uuid;

use crate::reference::Reference;

/// How often a node looks for other nodes' writes.
pub const FOLLOW_INTERVAL: Duration = Duration::from_millis(200);

const PAGE: u64 = 5_000;

/// The matcher of this node.
#[derive(Debug)]
pub struct Matcher {
    population: RwLock<Population>,
    applied_seq: std::sync::atomic::AtomicI64,
    catching_up: tokio::sync::Mutex<()>,
}

/// The matcher's lock was poisoned by a panic while it was being changed.
#[derive(Debug, thiserror::Error)]
#[error("the in-memory matcher is unusable after a panic")]
pub struct Poisoned;

/// Why the matcher could not be built or brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The lock.
    #[error(transparent)]
    Poisoned(#[from] Poisoned),
}

impl Matcher {
    /// Builds the population from every person in the database.
    #[tracing::instrument(name = "matcher.build", skip_all)]
    pub async fn build(store: &Store, reference: &Reference) -> Result<Self, MatcherError> {
        let started = std::time::Instant::now();
        let codebook = Arc::new(Codebook::new(&reference.taxonomy));
        let districts = Arc::new(DistrictTable::new(&reference.areas));
        let mut population = Population::new(codebook, districts, Utc::now().year());
        // Read the log position first: anything committed while we load is
        // replayed by the first catch-up, and replays are idempotent.
        let applied_seq = store.last_change_seq().await?;
        let mut after = None;
        loop {
            let page = store.people_page(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            population.apply(page.iter().map(|person| (person.id, Some(&person.record))));
        }
        tracing::info!(
            people = population.len(),
            applied_seq,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "matcher built"
        );
        Ok(Self {
            population: RwLock::new(population),
            applied_seq: std::sync::atomic::AtomicI64::new(applied_seq),
            catching_up: tokio::sync::Mutex::new(()),
        })
    }

    /// The last change-log `seq` applied.
    pub fn applied_seq(&self) -> i64 {
        self.applied_seq.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Applies every change committed since the last one applied.
    pub async fn catch_up(&self, store: &Store) -> Result<(), MatcherError> {
        let _only_one = self.catching_up.lock().await;
        loop {
            let changes = store.changes_since(self.applied_seq(), PAGE).await?;
            let Some(last) = changes.last() else { return Ok(()) };
            let last_seq = last.seq;
            let mut ids: Vec<Uuid> = changes.iter().map(|change| change.person_id).collect();
            ids.sort_unstable();
            ids.dedup();
            let current: std::collections::HashMap<Uuid, friends_store::StoredPerson> =
                store.people_by_ids(&ids).await?.into_iter().map(|person| (person.id, person)).collect();
            {
                let mut population = self.population.write().map_err(|_| Poisoned)?;
                // An id with no current row was erased: apply removes it.
                population.apply(ids.iter().map(|id| (*id, current.get(id).map(|person| &person.record))));
            }
            self.applied_seq.store(last_seq, std::sync::atomic::Ordering::Release);
        }
    }

    /// Runs `read` with the population.
    pub fn read<T>(&self, read: impl FnOnce(&Population) -> T) -> Result<T, Poisoned> {
        let population = self.population.read().map_err(|_| Poisoned)?;
        Ok(read(&population))
    }
}

/// Follows other nodes' writes until the process ends.
pub fn spawn_follower(matcher: Arc<Matcher>, store: Store) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(FOLLOW_INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(error) = matcher.catch_up(&store).await {
                tracing::warn!(error = %error, "matcher could not catch up");
            }
        }
    });
}
