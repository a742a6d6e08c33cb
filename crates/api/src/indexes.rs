//! This node's derived indexes: the in-memory matcher and the tantivy search
//! index. (One file over 600 lines on purpose: open, catch-up, repair and
//! rebuild all hold the same catch-up lock and the same applied position,
//! and their correctness is argued together below; split, the invariant
//! would be spread over files.) Both are built from the database and kept current by tailing the
//! change log in `seq` order; neither is ever the truth.
//!
//! - **Start**: the search index is opened from disk; if it is missing,
//!   unreadable or foreign (its position is past the database's), it is
//!   rebuilt from the database; if it is behind, the changes it missed are
//!   replayed. The matcher is always built from the database (it lives in
//!   memory only).
//! - **Read-your-writes**: every write path calls [`Indexes::settle`]
//!   after its commit and before it answers, so a write is visible to
//!   suggestions and search on this node when it returns. If the indexes
//!   cannot take it (a full disk under the search index), the write is
//!   still acknowledged, because it is committed; `/readyz` answers 503
//!   until this node has caught up.
//! - **Self-repair**: a failed search write resets the tantivy writer (a
//!   writer whose indexing thread failed would otherwise go on "committing"
//!   documents that nothing indexed) and the search index is replayed from
//!   its own last commit; after every catch-up it must hold exactly the
//!   people the matcher can suggest, or it is rebuilt from the database.
//!   The matcher is always brought up to date first, so suggestions keep
//!   working meanwhile. A start with an index that cannot be written does
//!   not fail: the follower repairs it.
//! - **Other nodes**: the follower job (`crate::jobs`) polls the log every
//!   [`FOLLOW_INTERVAL`].
//! - Because change-log `seq` order is commit order (see the store),
//!   applying rows with `seq > applied` never skips one. Applying re-reads
//!   each changed person's current row, so replays are idempotent and an
//!   erased person is simply absent. A batch with an erasure purges the
//!   search index (merge and collect) before it returns.
//! - **Crash safety**: the search index commits the `seq` it reflects with
//!   its documents; a crash between the database commit and the index commit
//!   leaves the index behind, and the next start replays what it missed.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{Datelike, Utc};
use friends_domain::person::{PersonRecord, ProfileStatus};
use friends_domain::taxonomy::VocabularyKind;
use friends_matching::{Codebook, DistrictTable, Population};
use friends_search::{OpenOutcome, SearchDocument, SearchIndex, WriteFaults};
use friends_store::{Change, ChangedEntity, Operation, Store, StoreError, StoredPerson};
use uuid::Uuid;

use crate::exclusions::Exclusions;
use crate::reference::Reference;

/// How often a node looks for other nodes' writes.
pub const FOLLOW_INTERVAL: Duration = Duration::from_millis(200);

const PAGE: u64 = 5_000;

/// The derived indexes of this node.
#[derive(Debug)]
pub struct Indexes {
    population: RwLock<Population>,
    exclusions: RwLock<Exclusions>,
    search: Arc<SearchIndex>,
    reference: Arc<Reference>,
    applied_seq: std::sync::atomic::AtomicI64,
    /// Held while catching up; holds what the search index needs.
    catching_up: tokio::sync::Mutex<SearchHealth>,
    /// Whether the search index matches the matcher, as of the last catch-up.
    search_current: std::sync::atomic::AtomicBool,
    /// The decline cooldown of the exclusions (kept for a rebuild).
    cooldown: chrono::Duration,
    /// Whether a rebuild ([`Indexes::rebuild`]) is running.
    rebuilding: std::sync::atomic::AtomicBool,
}

/// What the search index needs before it matches the database again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SearchHealth {
    /// Nothing: it holds every change up to `applied_seq`.
    Current,
    /// A write failed: replay every change since its last commit.
    Replay,
    /// It disagrees with the matcher on who can be found: rebuild it.
    Rebuild,
}

/// A lock was poisoned by a panic while an index was being changed.
#[derive(Debug, thiserror::Error)]
#[error("an in-memory index is unusable after a panic")]
pub struct Poisoned;

/// Why the indexes could not be built or brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum IndexesError {
    /// The database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The search index.
    #[error(transparent)]
    Search(#[from] friends_search::IndexError),
    /// A lock.
    #[error(transparent)]
    Poisoned(#[from] Poisoned),
    /// The search index is being repaired (see [`Indexes::catch_up`]).
    #[error("the search index is behind the database ({0}); repairing it")]
    SearchBehind(&'static str),
    /// A rebuild is running already.
    #[error("a rebuild of the indexes is running already")]
    RebuildRunning,
}

/// Whether a person can be found at all.
fn findable(record: &PersonRecord) -> bool {
    record.status == ProfileStatus::Active && record.discoverable
}

/// What the search index holds of a findable person: interest labels and
/// synonyms and the about text as free text, ids for filters, and every
/// authority the district touches; for a public listing, its one authority
/// and the interest words alone.
pub fn search_document(reference: &Reference, person: &StoredPerson) -> SearchDocument {
    let record = &person.record;
    let interests = reference.taxonomy.vocabulary(VocabularyKind::Interests);
    let mut text = String::new();
    for id in &record.interests {
        if let Some(term) = interests.by_id(id) {
            text.push_str(&term.label);
            text.push(' ');
            for synonym in &term.synonyms {
                text.push_str(synonym);
                text.push(' ');
            }
        }
    }
    // Public free text: the interest words alone, never the about text.
    let public_text = if record.public_listing { text.clone() } else { String::new() };
    text.push_str(&record.about);
    let authorities = reference
        .areas
        .district(&record.outcode)
        .map_or_else(|| vec![record.authority_code.clone()], |district| district.touches_authorities.clone());
    SearchDocument {
        id: person.id,
        text,
        interests: record.interests.clone(),
        goals: record.goals.clone(),
        authorities,
        outcode: record.outcode.clone(),
        // Listed by their district's own authority only: a listing seen
        // under the keys of two neighbouring councils would narrow the
        // person's district to the few that touch both.
        listed_in: record.public_listing.then(|| record.authority_code.clone()),
        public_text,
    }
}

async fn finish_adding(
    adding: tokio::task::JoinHandle<Result<(), friends_search::IndexError>>,
) -> Result<(), IndexesError> {
    match adding.await {
        Ok(result) => Ok(result?),
        Err(_) => Err(IndexesError::Poisoned(Poisoned)),
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, friends_search::IndexError> + Send + 'static,
) -> Result<T, IndexesError> {
    let span = tracing::Span::current();
    match tokio::task::spawn_blocking(move || span.in_scope(work)).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(IndexesError::Poisoned(Poisoned)),
    }
}

/// The exclusions (blocks, open introductions, recent declines) from the
/// database, with each asked person's waiting count set in `population`.
async fn load_exclusions(
    store: &Store,
    population: &mut Population,
    cooldown: chrono::Duration,
    now: chrono::DateTime<Utc>,
) -> Result<Exclusions, IndexesError> {
    let mut exclusions = Exclusions::new(cooldown);
    for block in store.active_blocks().await? {
        exclusions.add(block.id, block.blocker, block.blocked);
    }
    for introduction in store.excluding_introductions(now - cooldown).await? {
        for asked in exclusions.set_introduction(introduction) {
            population.set_open_request_count(asked, exclusions.waiting_for(asked));
        }
    }
    Ok(exclusions)
}

/// The changes of one page of the log and what applying them needs from
/// the database, read before any lock is taken.
struct Batch {
    last_seq: i64,
    /// The people changed (sorted, once each), and those erased.
    ids: Vec<Uuid>,
    erased: Vec<Uuid>,
    /// The current rows of `ids` (an erased person has none).
    people: Vec<StoredPerson>,
    /// The blocks changed, and the current rows of those.
    block_ids: Vec<Uuid>,
    blocks: Vec<friends_store::StoredBlock>,
    introductions: Vec<friends_store::IntroductionLinks>,
}

impl Batch {
    /// `None` when there are no changes.
    async fn read(store: &Store, changes: &[Change]) -> Result<Option<Self>, IndexesError> {
        let Some(last) = changes.last() else { return Ok(None) };
        let of_entity = |entity: ChangedEntity| -> Vec<Uuid> {
            let mut ids: Vec<Uuid> =
                changes.iter().filter(|change| change.entity == entity).map(|change| change.entity_id).collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let (ids, erased) = person_changes(changes);
        let block_ids = of_entity(ChangedEntity::Block);
        let introduction_ids = of_entity(ChangedEntity::Introduction);
        let blocks = if block_ids.is_empty() { Vec::new() } else { store.blocks_by_ids(&block_ids).await? };
        let introductions =
            if introduction_ids.is_empty() { Vec::new() } else { store.introduction_links(&introduction_ids).await? };
        let people = store.people_by_ids(&ids).await?;
        Ok(Some(Self { last_seq: last.seq, ids, erased, people, block_ids, blocks, introductions }))
    }

    /// Applies the block and introduction changes (and erasures) to
    /// `exclusions`; returns the new waiting counts of members whose count
    /// changed, for [`Self::apply_population`]. Two steps, so that a caller
    /// holding the live locks never holds both at once.
    fn apply_exclusions(&mut self, exclusions: &mut Exclusions) -> Vec<(Uuid, u32)> {
        let mut waiting = Vec::new();
        for introduction in std::mem::take(&mut self.introductions) {
            waiting.extend(exclusions.set_introduction(introduction));
        }
        for id in &self.block_ids {
            exclusions.remove(*id);
        }
        for block in self.blocks.iter().filter(|block| block.removed_at.is_none()) {
            exclusions.add(block.id, block.blocker, block.blocked);
        }
        for person in &self.erased {
            exclusions.remove_person(*person);
        }
        waiting.sort_unstable();
        waiting.dedup();
        waiting.into_iter().map(|asked| (asked, exclusions.waiting_for(asked))).collect()
    }

    /// Applies the people changes and the waiting counts to `population`.
    fn apply_population(&self, population: &mut Population, waiting: &[(Uuid, u32)]) {
        let by_id: HashMap<Uuid, &StoredPerson> = self.people.iter().map(|person| (person.id, person)).collect();
        // An id with no current row was erased: apply removes it.
        population.apply(self.ids.iter().map(|id| (*id, by_id.get(id).map(|person| &person.record))));
        for (person, count) in waiting {
            population.set_open_request_count(*person, *count);
        }
    }
}

/// Brings a matcher and exclusions that are not yet serving from `from` to
/// the end of the log; returns the position reached.
async fn replay_into(
    store: &Store,
    mut position: i64,
    population: &mut Population,
    exclusions: &mut Exclusions,
) -> Result<i64, IndexesError> {
    loop {
        let changes = store.changes_since(position, PAGE).await?;
        let Some(mut batch) = Batch::read(store, &changes).await? else { return Ok(position) };
        let waiting = batch.apply_exclusions(exclusions);
        batch.apply_population(population, &waiting);
        position = batch.last_seq;
    }
}

/// Held while a rebuild runs; a second one is refused meanwhile.
struct RebuildRunning<'a>(&'a std::sync::atomic::AtomicBool);

impl<'a> RebuildRunning<'a> {
    fn claim(flag: &'a std::sync::atomic::AtomicBool) -> Option<Self> {
        let claimed = flag
            .compare_exchange(false, true, std::sync::atomic::Ordering::AcqRel, std::sync::atomic::Ordering::Acquire)
            .is_ok();
        claimed.then_some(Self(flag))
    }
}

impl Drop for RebuildRunning<'_> {
    fn drop(&mut self) {
        self.0.store(false, std::sync::atomic::Ordering::Release);
    }
}

impl Indexes {
    /// Opens the search index in `folder` and builds the matcher and the
    /// exclusions (with the decline `cooldown`, as of `now`), from the
    /// database, healing the search index as the module docs say.
    pub async fn open(
        store: &Store,
        reference: Arc<Reference>,
        folder: &Path,
        cooldown: chrono::Duration,
        now: chrono::DateTime<Utc>,
    ) -> Result<Self, IndexesError> {
        Self::open_with_faults(store, reference, folder, cooldown, now, None).await
    }

    /// As [`Self::open`], with the search index's writes failing while
    /// `faults` say so (fault tests).
    #[tracing::instrument(name = "indexes.open", skip_all)]
    pub async fn open_with_faults(
        store: &Store,
        reference: Arc<Reference>,
        folder: &Path,
        cooldown: chrono::Duration,
        now: chrono::DateTime<Utc>,
        faults: Option<WriteFaults>,
    ) -> Result<Self, IndexesError> {
        let started = std::time::Instant::now();
        let opened_folder = folder.to_path_buf();
        let (search, outcome) = blocking(move || SearchIndex::open_with_faults(&opened_folder, faults)).await?;
        let search = Arc::new(search);
        let codebook = Arc::new(Codebook::new(&reference.taxonomy));
        let districts = Arc::new(DistrictTable::new(&reference.areas));
        let mut population = Population::new(codebook, districts, Utc::now().year());
        // Read the log position first: anything committed while we load is
        // replayed by the first catch-up, and replays are idempotent.
        let database_seq = store.last_change_seq().await?;
        let index_seq = match outcome {
            OpenOutcome::Opened { seq } if seq <= database_seq => Some(seq),
            OpenOutcome::Opened { seq } => {
                tracing::warn!(index_seq = seq, database_seq, "search index is ahead of the database: rebuilding");
                None
            }
            OpenOutcome::Created { reason } => {
                tracing::warn!(reason = %reason, "search index rebuilt from the database");
                None
            }
        };
        let rebuilding = index_seq.is_none();
        // A search index that cannot be written now (a full disk) does not
        // stop the start: the matcher is built, `/readyz` says 503, and the
        // first catch-up repairs the index.
        let mut search_failed = false;
        if rebuilding {
            let search = search.clone();
            if let Err(error) = blocking(move || search.start_rebuild()).await {
                tracing::warn!(error = %error, "search index could not start its rebuild");
                search_failed = true;
            }
        }
        let mut after = None;
        // At most one page is being handed to the index writer while the
        // next one loads from the database and goes into the matcher.
        let mut adding: Option<tokio::task::JoinHandle<Result<(), friends_search::IndexError>>> = None;
        loop {
            let page = store.people_page(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            if rebuilding && !search_failed {
                // Pages go to the writer as they come, so that indexing (on
                // the writer's threads) overlaps with loading the next page
                // and the whole population is never held twice.
                let documents: Vec<SearchDocument> = page
                    .iter()
                    .filter(|person| findable(&person.record))
                    .map(|person| search_document(&reference, person))
                    .collect();
                if let Some(previous) = adding.take()
                    && let Err(error) = finish_adding(previous).await
                {
                    tracing::warn!(error = %error, "search index rebuild failed; it is retried");
                    search_failed = true;
                }
                if !search_failed {
                    let search = search.clone();
                    let span = tracing::Span::current();
                    adding = Some(tokio::task::spawn_blocking(move || span.in_scope(|| search.add(&documents))));
                }
            }
            population.apply(page.iter().map(|person| (person.id, Some(&person.record))));
        }
        if let Some(previous) = adding.take()
            && let Err(error) = finish_adding(previous).await
        {
            tracing::warn!(error = %error, "search index rebuild failed; it is retried");
            search_failed = true;
        }
        let exclusions = load_exclusions(store, &mut population, cooldown, now).await?;
        let indexes = Self {
            population: RwLock::new(population),
            exclusions: RwLock::new(exclusions),
            search: search.clone(),
            reference,
            applied_seq: std::sync::atomic::AtomicI64::new(database_seq),
            catching_up: tokio::sync::Mutex::new(SearchHealth::Current),
            search_current: std::sync::atomic::AtomicBool::new(false),
            cooldown,
            rebuilding: std::sync::atomic::AtomicBool::new(false),
        };
        let healed = if search_failed {
            Err(IndexesError::SearchBehind("its rebuild failed"))
        } else {
            match index_seq {
                None => blocking(move || search.finish_rebuild(database_seq)).await,
                Some(seq) if seq < database_seq => indexes.replay_search(store, seq, database_seq).await,
                Some(_) => Ok(()),
            }
        };
        let health = match healed {
            Ok(()) => indexes.verify_search()?,
            Err(error) => {
                tracing::warn!(error = %error, "search index not healed at start; the follower repairs it");
                indexes.reset_search_writer().await;
                if index_seq.is_none() { SearchHealth::Rebuild } else { SearchHealth::Replay }
            }
        };
        *indexes.catching_up.lock().await = health;
        indexes.search_current.store(health == SearchHealth::Current, std::sync::atomic::Ordering::Release);
        let people = indexes.read(Population::len)?;
        tracing::info!(people, database_seq, elapsed_ms = started.elapsed().as_millis() as u64, "indexes ready");
        Ok(indexes)
    }

    /// Rebuilds both indexes from the database while the old ones keep
    /// serving (`POST /v1/admin/reindex`), one rebuild at a time: a new
    /// matcher and new exclusions are loaded beside the old ones and brought
    /// up to date with every change made meanwhile, the last of them under
    /// the catch-up lock, so that what is swapped in is never behind what it
    /// replaces (a block confirmed during the load is in force throughout).
    /// Then the search index is rebuilt (its readers see the old documents
    /// until the new ones are committed). Returns the people in the new
    /// matcher when all is in place. While the search index rebuilds, this
    /// node's own writes are committed at once but answer after it (they
    /// wait to be visible).
    #[tracing::instrument(name = "indexes.rebuild", skip_all)]
    pub async fn rebuild(&self, store: &Store, now: chrono::DateTime<Utc>) -> Result<usize, IndexesError> {
        let _running = RebuildRunning::claim(&self.rebuilding).ok_or(IndexesError::RebuildRunning)?;
        let started = std::time::Instant::now();
        // The position first: what is committed while we load is replayed.
        let seq = store.last_change_seq().await?;
        let codebook = Arc::new(Codebook::new(&self.reference.taxonomy));
        let districts = Arc::new(DistrictTable::new(&self.reference.areas));
        let mut population = Population::new(codebook, districts, Utc::now().year());
        let mut after = None;
        loop {
            let page = store.people_page(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            population.apply(page.iter().map(|person| (person.id, Some(&person.record))));
        }
        let mut exclusions = load_exclusions(store, &mut population, self.cooldown, now).await?;
        // Most of what came in meanwhile without the lock, the rest under it.
        let position = replay_into(store, seq, &mut population, &mut exclusions).await?;
        let people = {
            let mut health = self.catching_up.lock().await;
            let position = replay_into(store, position, &mut population, &mut exclusions).await?;
            // Nothing applies a change while the lock is held, and the replay
            // read the log to its end, so the new ones are at least as far on.
            debug_assert!(position >= self.applied_seq());
            let people = population.len();
            *self.exclusions.write().map_err(|_| Poisoned)? = exclusions;
            *self.population.write().map_err(|_| Poisoned)? = population;
            self.applied_seq.store(position, std::sync::atomic::Ordering::Release);
            self.search_current.store(false, std::sync::atomic::Ordering::Release);
            *health = SearchHealth::Rebuild;
            people
        };
        tracing::info!(people, elapsed_ms = started.elapsed().as_millis() as u64, "new matcher in place");
        if let Err(error) = self.catch_up(store).await {
            tracing::warn!(error = %error, "search index not rebuilt yet; the follower goes on repairing it");
            return Err(error);
        }
        tracing::info!(people, elapsed_ms = started.elapsed().as_millis() as u64, "indexes rebuilt while serving");
        Ok(people)
    }

    /// Brings the search index alone from `from` to `to` (it missed these
    /// changes, e.g. in a crash; the matcher was built at `to`).
    async fn replay_search(&self, store: &Store, from: i64, to: i64) -> Result<(), IndexesError> {
        let mut position = from;
        while position < to {
            let changes = store.changes_since(position, PAGE).await?;
            let changes: Vec<_> = changes.into_iter().filter(|change| change.seq <= to).collect();
            let Some(last) = changes.last() else { break };
            let last_seq = last.seq;
            let (ids, erased) = person_changes(&changes);
            let current = store.people_by_ids(&ids).await?;
            self.apply_search(last_seq, ids, &current, erased).await?;
            position = last_seq;
        }
        tracing::info!(from, to, "search index replayed what it missed");
        Ok(())
    }

    async fn apply_search(
        &self,
        seq: i64,
        mut ids: Vec<Uuid>,
        current: &[StoredPerson],
        erased: Vec<Uuid>,
    ) -> Result<(), IndexesError> {
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            // A batch of block changes only: nothing for the search index, so
            // no commit (its position lags harmlessly; a replay finds no
            // person to apply).
            return Ok(());
        }
        let documents: Vec<SearchDocument> = current
            .iter()
            .filter(|person| findable(&person.record))
            .map(|person| search_document(&self.reference, person))
            .collect();
        let search = self.search.clone();
        blocking(move || search.apply(seq, &ids, &documents, &erased)).await
    }

    /// The last change-log `seq` applied to both indexes.
    pub fn applied_seq(&self) -> i64 {
        self.applied_seq.load(std::sync::atomic::Ordering::Acquire)
    }

    /// After this node's own committed write: makes it visible here before
    /// the write is answered. A failure does not fail the write, which is
    /// committed and must be acknowledged as such (a client that saw an
    /// error would retry, and duplicate it): it is logged, `/readyz` answers
    /// 503 while this node lags, and the follower retries until the indexes
    /// match the database.
    pub async fn settle(&self, store: &Store) {
        if let Err(error) = self.catch_up(store).await {
            tracing::warn!(
                error = %error,
                applied_seq = self.applied_seq(),
                "a committed write is not yet visible on this node; the follower keeps trying"
            );
        }
    }

    /// Applies every change committed since the last one applied, then
    /// makes sure the search index matches.
    ///
    /// The matcher and the exclusions are brought up to date first, so that
    /// suggestions keep working while the search index cannot be written.
    /// A failed search write resets its writer (dropping what it had not
    /// committed) and leaves the search index to be replayed from its own
    /// last commit, which is never past what it holds. After each catch-up
    /// the index must hold exactly the people the matcher can suggest; if
    /// it does not, it is rebuilt from the database. Until it matches, this
    /// returns an error, and `/readyz` answers 503.
    pub async fn catch_up(&self, store: &Store) -> Result<(), IndexesError> {
        let mut health = self.catching_up.lock().await;
        self.apply_pending(store, &mut health).await?;
        if *health != SearchHealth::Current {
            *health = self.repair_search(store, *health).await;
            // A rebuild reads the people as they are now, which may be past
            // what was applied (this node's writes commit while it waits for
            // the lock; other nodes write at will): apply those before the
            // check, or it would see a difference that is only timing.
            self.apply_pending(store, &mut health).await?;
        }
        if *health == SearchHealth::Current {
            match self.verify_search() {
                Ok(next) => *health = next,
                Err(error) => tracing::warn!(error = %error, "search index could not be checked"),
            }
        }
        let current = *health == SearchHealth::Current;
        self.search_current.store(current, std::sync::atomic::Ordering::Release);
        if current { Ok(()) } else { Err(IndexesError::SearchBehind("repair pending")) }
    }

    /// Applies every change committed since the last one applied: to the
    /// exclusions and the matcher always, to the search index while it is
    /// current (a failed write leaves it to be replayed).
    async fn apply_pending(&self, store: &Store, health: &mut SearchHealth) -> Result<(), IndexesError> {
        loop {
            let changes = store.changes_since(self.applied_seq(), PAGE).await?;
            let Some(mut batch) = Batch::read(store, &changes).await? else { return Ok(()) };
            let waiting = batch.apply_exclusions(&mut *self.exclusions.write().map_err(|_| Poisoned)?);
            batch.apply_population(&mut *self.population.write().map_err(|_| Poisoned)?, &waiting);
            self.applied_seq.store(batch.last_seq, std::sync::atomic::Ordering::Release);
            if *health == SearchHealth::Current
                && let Err(error) = self.apply_search(batch.last_seq, batch.ids, &batch.people, batch.erased).await
            {
                tracing::warn!(error = %error, seq = batch.last_seq, "search index write failed; it will be replayed");
                self.search_current.store(false, std::sync::atomic::Ordering::Release);
                self.reset_search_writer().await;
                *health = SearchHealth::Replay;
            }
        }
    }

    /// Whether the search index matched the database at the last catch-up.
    pub fn search_is_current(&self) -> bool {
        self.search_current.load(std::sync::atomic::Ordering::Acquire)
    }

    async fn reset_search_writer(&self) {
        let search = self.search.clone();
        if let Err(error) = blocking(move || search.reset_writer()).await {
            tracing::warn!(error = %error, "search index writer could not be reset; retried next time");
        }
    }

    /// One repair attempt; returns what is still needed (`Current` once
    /// it succeeded, to be checked by the caller).
    async fn repair_search(&self, store: &Store, health: SearchHealth) -> SearchHealth {
        let attempt = match health {
            SearchHealth::Current => Ok(()),
            SearchHealth::Replay => {
                let search = self.search.clone();
                match blocking(move || search.committed_seq()).await {
                    Ok(from) => self.replay_search(store, from, self.applied_seq()).await,
                    Err(error) => Err(error),
                }
            }
            SearchHealth::Rebuild => self.rebuild_search(store).await,
        };
        match attempt {
            Ok(()) => SearchHealth::Current,
            Err(error) => {
                tracing::warn!(error = %error, ?health, "search index repair failed; retried next time");
                self.reset_search_writer().await;
                health
            }
        }
    }

    /// The search index must hold exactly the people who can be found.
    fn verify_search(&self) -> Result<SearchHealth, Poisoned> {
        let expected = self.read(Population::visible_len)?;
        let held = self.search.len();
        if held == expected as u64 {
            return Ok(SearchHealth::Current);
        }
        tracing::warn!(held, expected, "search index disagrees with the database: rebuilding it");
        Ok(SearchHealth::Rebuild)
    }

    /// Rebuilds the search index from the database at `applied_seq` (the
    /// caller holds the catch-up lock, so that does not move). Searches see
    /// the old index until the rebuilt one is committed.
    async fn rebuild_search(&self, store: &Store) -> Result<(), IndexesError> {
        let seq = self.applied_seq();
        let search = self.search.clone();
        blocking(move || search.start_rebuild()).await?;
        let mut after = None;
        loop {
            let page = store.people_page(after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            let documents: Vec<SearchDocument> = page
                .iter()
                .filter(|person| findable(&person.record))
                .map(|person| search_document(&self.reference, person))
                .collect();
            let search = self.search.clone();
            blocking(move || search.add(&documents)).await?;
        }
        let search = self.search.clone();
        blocking(move || search.finish_rebuild(seq)).await?;
        tracing::info!(seq, "search index rebuilt from the database");
        Ok(())
    }

    /// The people `person` must not be shown, nor be shown to, at `now`:
    /// blocks either way, open introductions, recent declines.
    pub fn excluded_for(
        &self,
        person: Uuid,
        now: chrono::DateTime<Utc>,
    ) -> Result<std::collections::HashSet<Uuid>, Poisoned> {
        Ok(self.exclusions.read().map_err(|_| Poisoned)?.of(person, now))
    }

    /// Whether a block stands between the two, either way.
    pub fn blocked(&self, one: Uuid, other: Uuid) -> Result<bool, Poisoned> {
        Ok(self.exclusions.read().map_err(|_| Poisoned)?.blocked(one, other))
    }

    /// Forgets introductions that can no longer keep a pair apart at `now`.
    pub fn forget_stale_exclusions(&self, now: chrono::DateTime<Utc>) -> Result<(), Poisoned> {
        self.exclusions.write().map_err(|_| Poisoned)?.forget_stale(now);
        Ok(())
    }

    /// Runs `read` with the population and a test of whether two people
    /// are kept apart at `now` (for group suggestions, which ask it of
    /// every pair in a group). Writers never hold both locks at once, so
    /// holding both here cannot deadlock.
    pub fn read_with_apart<T>(
        &self,
        now: chrono::DateTime<Utc>,
        read: impl FnOnce(&Population, &dyn Fn(Uuid, Uuid) -> bool) -> T,
    ) -> Result<T, Poisoned> {
        let exclusions = self.exclusions.read().map_err(|_| Poisoned)?;
        let population = self.population.read().map_err(|_| Poisoned)?;
        Ok(read(&population, &|one, other| exclusions.apart(one, other, now)))
    }

    /// Runs `read` with the population.
    pub fn read<T>(&self, read: impl FnOnce(&Population) -> T) -> Result<T, Poisoned> {
        let population = self.population.read().map_err(|_| Poisoned)?;
        Ok(read(&population))
    }

    /// The search index.
    pub fn search(&self) -> &SearchIndex {
        &self.search
    }
}

/// The people changed in a batch (sorted, once each), and those erased.
fn person_changes(changes: &[Change]) -> (Vec<Uuid>, Vec<Uuid>) {
    let people = changes.iter().filter(|change| change.entity == ChangedEntity::Person);
    let mut ids: Vec<Uuid> = people.clone().map(|change| change.entity_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let erased = people.filter(|change| change.operation == Operation::Erased).map(|change| change.entity_id).collect();
    (ids, erased)
}
