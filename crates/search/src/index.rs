//! Opening, recreating, writing and committing the index.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::{Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term, doc};
use uuid::Uuid;

use crate::directory::IndexDirectory;
use crate::faults::WriteFaults;

/// Schema version: bump when the schema changes, so that an older index is
/// treated as foreign and rebuilt.
const SCHEMA_VERSION: &str = "friends-search-v2";
/// The writer's memory: the least tantivy takes, so that a rebuild flushes
/// segments small enough to be balanced into [`REBUILT_SEGMENTS`].
const WRITER_HEAP_BYTES: usize = 15_000_000;
/// A rebuilt index is merged into about this many segments of equal size
/// (none under [`MIN_REBUILT_SEGMENT_DOCS`]): an erasure rewrites the
/// segments that held the person, so their size bounds its time (at 1M, a
/// sixteenth is about 60k documents), while each more segment costs every
/// search a little.
const REBUILT_SEGMENTS: u32 = 16;
const MIN_REBUILT_SEGMENT_DOCS: u32 = 32_000;
/// Small segments allowed before they are merged.
const MAX_SEGMENTS: usize = 8;
/// The analyser of the free-text field: words, lower case, English stop
/// words removed, English stems.
pub(crate) const ANALYZER: &str = "friends_en";

fn register_analyzer(index: &Index) {
    use tantivy::tokenizer::{
        Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
    };
    let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .dynamic();
    if let Some(stop_words) = StopWordFilter::new(Language::English) {
        builder = builder.filter_dynamic(stop_words);
    }
    let analyzer = builder.filter_dynamic(Stemmer::new(Language::English)).build();
    index.tokenizers().register(ANALYZER, analyzer);
}

/// What the index holds of one findable person.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDocument {
    /// Person id.
    pub id: Uuid,
    /// Interest labels and synonyms, and the about text (indexed only).
    pub text: String,
    /// Interest ids.
    pub interests: Vec<String>,
    /// Goal ids.
    pub goals: Vec<String>,
    /// Every authority their district touches.
    pub authorities: Vec<String>,
    /// Their district.
    pub outcode: String,
    /// The one authority whose public search lists them (their district's
    /// own), when they chose a public listing; `None` otherwise.
    pub listed_in: Option<String>,
    /// What public free text matches for a listed person: interest labels
    /// and synonyms only (never the about text, which may name needs).
    pub public_text: String,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub id_high: Field,
    pub id_low: Field,
    pub text: Field,
    pub interests: Field,
    pub goals: Field,
    pub authorities: Field,
    pub outcode: Field,
    pub listed_in: Field,
    pub public_text: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text_options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(ANALYZER).set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        id: builder.add_text_field("id", STRING),
        id_high: builder.add_u64_field("id_high", FAST | INDEXED),
        id_low: builder.add_u64_field("id_low", FAST),
        text: builder.add_text_field("text", text_options.clone()),
        interests: builder.add_text_field("interests", STRING),
        goals: builder.add_text_field("goals", STRING),
        authorities: builder.add_text_field("authorities", STRING),
        outcode: builder.add_text_field("outcode", STRING),
        listed_in: builder.add_text_field("listed_in", STRING),
        public_text: builder.add_text_field("public_text", text_options),
    };
    (builder.build(), fields)
}

/// The index could not be used.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// tantivy failed.
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    /// Files.
    #[error("search index folder: {0}")]
    Io(#[from] std::io::Error),
    /// A lock was poisoned by a panic.
    #[error("search index writer is unusable after a panic")]
    Poisoned,
}

/// How [`SearchIndex::open`] found the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenOutcome {
    /// A usable index reflecting the change log up to `seq`.
    Opened {
        /// Last applied change-log position.
        seq: i64,
    },
    /// A new, empty index: the caller must rebuild it from the database.
    Created {
        /// Why (missing, corrupt, foreign).
        reason: String,
    },
}

/// The search index of this node.
pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    writer: Mutex<IndexWriter>,
    folder: PathBuf,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.debug_struct("SearchIndex").field("folder", &self.folder).finish()
    }
}

fn payload(seq: i64) -> String {
    format!("{SCHEMA_VERSION}:{seq}")
}

fn parse_payload(payload: Option<&str>) -> Option<i64> {
    payload?.strip_prefix(SCHEMA_VERSION)?.strip_prefix(':')?.parse().ok()
}

impl SearchIndex {
    /// Opens the index in `folder`, or recreates it empty when it is
    /// missing, unreadable, or not ours.
    pub fn open(folder: &Path) -> Result<(Self, OpenOutcome), IndexError> {
        Self::open_with_faults(folder, None)
    }

    /// As [`Self::open`], on a directory whose writes fail while `faults`
    /// say so (fault tests only; `None` is the plain directory).
    pub fn open_with_faults(folder: &Path, faults: Option<WriteFaults>) -> Result<(Self, OpenOutcome), IndexError> {
        let (schema, fields) = schema();
        let open_existing = || Index::open(IndexDirectory::open(folder, faults.clone())?);
        let existing = if folder.join("meta.json").exists() {
            match open_existing() {
                Ok(index) if index.schema() == schema => match index.load_metas() {
                    Ok(metas) => match parse_payload(metas.payload.as_deref()) {
                        Some(seq) => Ok((index, seq)),
                        None => Err("its commit carries no change-log position".to_owned()),
                    },
                    Err(error) => Err(format!("unreadable metadata: {error}")),
                },
                Ok(_) => Err("its schema is not this version's".to_owned()),
                Err(error) => Err(format!("cannot be opened: {error}")),
            }
        } else {
            Err("missing".to_owned())
        };
        let (index, outcome) = match existing {
            Ok((index, seq)) => match Self::check_readable(&index) {
                Ok(()) => (index, OpenOutcome::Opened { seq }),
                Err(reason) => (Self::recreate(folder, &schema, faults.as_ref())?, OpenOutcome::Created { reason }),
            },
            Err(reason) => (Self::recreate(folder, &schema, faults.as_ref())?, OpenOutcome::Created { reason }),
        };
        register_analyzer(&index);
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        let writer: IndexWriter = index.writer_with_num_threads(1, WRITER_HEAP_BYTES)?;
        // Only the writer's holder may clear what an interrupted atomic
        // write left.
        IndexDirectory::remove_leftovers(folder);
        // Merges happen only where this module asks for them (after a batch,
        // under the caller's serialisation), so that an explicit merge never
        // races a background one for the same segment.
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        let search = Self { index, reader, fields, writer: Mutex::new(writer), folder: folder.to_path_buf() };
        if let OpenOutcome::Created { .. } = outcome {
            // An empty commit at position 0, so that a crash before the
            // rebuild finishes is detected as "behind", not as "foreign".
            search.commit_at(0)?;
        }
        Ok((search, outcome))
    }

    /// Opening reads metadata only; touch every segment so that truncated
    /// or damaged files are found now rather than at the first search, and
    /// check every segment file's checksum (the index does not sync its writes, so
    /// after a power loss a file may be torn: see `crate::directory`).
    fn check_readable(index: &Index) -> Result<(), String> {
        let damaged = index.validate_checksum().map_err(|error| format!("unreadable files: {error}"))?;
        if !damaged.is_empty() {
            return Err(format!("{} damaged files (a torn write?)", damaged.len()));
        }
        let reader: IndexReader = index.reader().map_err(|error| format!("unreadable segments: {error}"))?;
        let searcher = reader.searcher();
        for segment in searcher.segment_readers() {
            let (_, fields) = schema();
            segment.inverted_index(fields.text).map_err(|error| format!("damaged segment: {error}"))?;
            segment.fast_fields().u64("id_low").map_err(|error| format!("damaged segment: {error}"))?;
        }
        Ok(())
    }

    fn recreate(folder: &Path, schema: &Schema, faults: Option<&WriteFaults>) -> Result<Index, IndexError> {
        if folder.exists() {
            std::fs::remove_dir_all(folder)?;
        }
        std::fs::create_dir_all(folder)?;
        if let Some(parent) = folder.parent() {
            IndexDirectory::sync_folder(parent)?;
        }
        Ok(Index::create(
            IndexDirectory::open(folder, faults.cloned())?,
            schema.clone(),
            tantivy::IndexSettings::default(),
        )?)
    }

    /// Whether another process holds the index in `folder` open for
    /// writing (a running server).
    pub fn in_use(folder: &Path) -> bool {
        let Ok(index) = Index::open_in_dir(folder) else { return false };
        matches!(
            index.writer_with_num_threads::<TantivyDocument>(1, 15_000_000),
            Err(tantivy::TantivyError::LockFailure(..))
        )
    }

    /// The change-log position of the last commit.
    pub fn committed_seq(&self) -> Result<i64, IndexError> {
        Ok(parse_payload(self.index.load_metas()?.payload.as_deref()).unwrap_or(0))
    }

    fn commit_at(&self, seq: i64) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload(seq));
        prepared.commit()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// After a failed write: drops every uncommitted change and starts a
    /// fresh writer at the last commit. Needed because a writer whose
    /// indexing thread failed is left with no thread at all, and then
    /// "commits" documents that nothing indexed (the cause of an index that
    /// recorded a position it did not hold).
    pub fn reset_writer(&self) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        writer.rollback()?;
        writer.set_merge_policy(Box::new(tantivy::indexer::NoMergePolicy));
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    fn id_term(&self, id: Uuid) -> Term {
        Term::from_field_text(self.fields.id, &id.simple().to_string())
    }

    fn document(&self, person: &SearchDocument) -> TantivyDocument {
        let (high, low) = person.id.as_u64_pair();
        let fields = self.fields;
        let mut document = doc!(
            fields.id => person.id.simple().to_string(),
            fields.id_high => high,
            fields.id_low => low,
            fields.text => person.text.clone(),
            fields.outcode => person.outcode.clone(),
        );
        for interest in &person.interests {
            document.add_text(fields.interests, interest);
        }
        for goal in &person.goals {
            document.add_text(fields.goals, goal);
        }
        for authority in &person.authorities {
            document.add_text(fields.authorities, authority);
        }
        if let Some(authority) = &person.listed_in {
            document.add_text(fields.listed_in, authority);
            document.add_text(fields.public_text, &person.public_text);
        }
        document
    }

    /// Applies one batch of changes and commits it at `seq`: every id in
    /// `changed` is deleted, then `upserts` (the findable ones among them)
    /// are added. For each id in `erased`, every segment that ever held one
    /// of their documents (live or already deleted, e.g. an older version)
    /// is rewritten and unused files collected, so that none of their words
    /// stay in the folder.
    pub fn apply(
        &self,
        seq: i64,
        changed: &[Uuid],
        upserts: &[SearchDocument],
        erased: &[Uuid],
    ) -> Result<(), IndexError> {
        let holding_erased = self.segments_holding(erased)?;
        {
            let writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
            for id in changed {
                writer.delete_term(self.id_term(*id));
            }
            for person in upserts {
                writer.add_document(self.document(person))?;
            }
        }
        if holding_erased.is_empty() {
            self.commit_at(seq)?;
            return self.compact_small_segments();
        }
        // With an erasure, the batch is committed at the position before it
        // until its segments are rewritten: should the rewrite fail (a full
        // disk) or the process die, the batch is replayed, erasure and all.
        let before = self.committed_seq()?;
        self.commit_at(before)?;
        // Only segments that still exist after the commit can be merged.
        let current: Vec<_> = self.index.searchable_segment_ids()?;
        let to_rewrite: Vec<_> = holding_erased.into_iter().filter(|id| current.contains(id)).collect();
        self.merge(&to_rewrite)?;
        // The rewritten segments' files are gone from the folder; make that
        // durable before the erasure answers (`crate::directory`).
        IndexDirectory::sync_folder(&self.folder)?;
        self.commit_at(seq)
    }

    /// The segments whose dictionaries hold any of these ids (documents
    /// live or deleted).
    fn segments_holding(&self, ids: &[Uuid]) -> Result<Vec<tantivy::index::SegmentId>, IndexError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let mut holding = Vec::new();
        for segment in searcher.segment_readers() {
            let dictionary = segment.inverted_index(self.fields.id)?;
            for id in ids {
                if dictionary.terms().get(id.simple().to_string().as_bytes())?.is_some() {
                    holding.push(segment.segment_id());
                    break;
                }
            }
        }
        Ok(holding)
    }

    /// Keeps small segments (one per write batch) from piling up: once
    /// there are more than [`MAX_SEGMENTS`] of them, they are merged into
    /// one. Large segments (from a rebuild, or grown past a hundredth of the
    /// index) are left alone, so a write never rewrites the bulk of the index.
    fn compact_small_segments(&self) -> Result<(), IndexError> {
        let segments = self.index.searchable_segment_metas()?;
        let total: u32 = segments.iter().map(|segment| segment.num_docs()).sum();
        let threshold = (total / 100).max(1_000);
        let small: Vec<_> =
            segments.iter().filter(|segment| segment.num_docs() <= threshold).map(|segment| segment.id()).collect();
        if small.len() <= MAX_SEGMENTS {
            return Ok(());
        }
        self.merge(&small)
    }

    fn merge(&self, segments: &[tantivy::index::SegmentId]) -> Result<(), IndexError> {
        let mut writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        if !segments.is_empty() {
            writer.merge(segments).wait()?;
        }
        writer.garbage_collect_files().wait()?;
        drop(writer);
        self.reader.reload()?;
        Ok(())
    }

    /// Starts replacing the whole content (a rebuild from the database):
    /// feed pages with [`SearchIndex::add`], then [`SearchIndex::finish_rebuild`].
    /// Nothing is visible or committed until then, so a crash mid-rebuild
    /// leaves the previous commit (and the next start rebuilds again).
    pub fn start_rebuild(&self) -> Result<(), IndexError> {
        let writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        writer.delete_all_documents()?;
        Ok(())
    }

    /// Adds documents to a rebuild in progress. The writer indexes them on
    /// its own thread, so loading the next page overlaps with indexing.
    pub fn add(&self, documents: &[SearchDocument]) -> Result<(), IndexError> {
        let writer = self.writer.lock().map_err(|_| IndexError::Poisoned)?;
        for person in documents {
            writer.add_document(self.document(person))?;
        }
        Ok(())
    }

    /// Commits a rebuild at `seq` and compacts the index.
    pub fn finish_rebuild(&self, seq: i64) -> Result<(), IndexError> {
        self.commit_at(seq)?;
        self.purge()?;
        self.balance_segments()?;
        self.compact_small_segments()?;
        // The old segments (an erased person's among them) are gone: make
        // that durable (`crate::directory`).
        IndexDirectory::sync_folder(&self.folder)?;
        Ok(())
    }

    /// Merges the segments a rebuild flushed into about
    /// [`REBUILT_SEGMENTS`] of equal size: smallest first, each group up to
    /// the target.
    fn balance_segments(&self) -> Result<(), IndexError> {
        let mut segments = self.index.searchable_segment_metas()?;
        let total: u32 = segments.iter().map(|segment| segment.num_docs()).sum();
        let target = (total / REBUILT_SEGMENTS).max(MIN_REBUILT_SEGMENT_DOCS);
        segments.sort_by_key(|segment| segment.num_docs());
        let mut groups: Vec<Vec<tantivy::index::SegmentId>> = Vec::new();
        let mut group = Vec::new();
        let mut docs = 0;
        for segment in segments {
            if docs + segment.num_docs() > target && !group.is_empty() {
                groups.push(std::mem::take(&mut group));
                docs = 0;
            }
            docs += segment.num_docs();
            group.push(segment.id());
        }
        groups.push(group);
        for group in groups.into_iter().filter(|group| group.len() > 1) {
            self.merge(&group)?;
        }
        Ok(())
    }

    /// Rewrites every segment that holds deleted documents (dropping them,
    /// and with them the words only they used) and removes the files no
    /// commit uses any more.
    pub fn purge(&self) -> Result<(), IndexError> {
        let segments = self.index.searchable_segment_metas()?;
        let with_deletes: Vec<_> =
            segments.iter().filter(|segment| segment.has_deletes()).map(|segment| segment.id()).collect();
        self.merge(&with_deletes)
    }

    /// Names of the fields whose values the index stores (none, by design:
    /// ids come back through fast fields).
    pub fn stored_fields(&self) -> Vec<String> {
        let schema = self.index.schema();
        schema.fields().filter(|(_, entry)| entry.is_stored()).map(|(_, entry)| entry.name().to_owned()).collect()
    }

    /// Number of searchable segments (kept at most [`MAX_SEGMENTS`] + 1).
    pub fn segment_count(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Number of indexed (findable) people.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The words of `text` as the index analyses them (lower case, no stop
    /// words, stemmed), for baselines that match outside the index.
    pub fn analyze(&self, text: &str) -> Vec<String> {
        let Some(mut analyzer) = self.index.tokenizers().get(ANALYZER) else { return Vec::new() };
        let mut stream = analyzer.token_stream(text);
        let mut words = Vec::new();
        while tantivy::tokenizer::TokenStream::advance(&mut stream) {
            words.push(tantivy::tokenizer::TokenStream::token(&stream).text.clone());
        }
        words
    }

    /// Whether any segment's dictionary still holds `word` (after analysis)
    /// in the free-text field, deleted documents included: what erasure
    /// must leave behind is nothing.
    pub fn holds_word(&self, word: &str) -> Result<bool, IndexError> {
        let mut analyzer = self.index.tokenizers().get(ANALYZER).ok_or(IndexError::Poisoned)?;
        let mut stream = analyzer.token_stream(word);
        if !tantivy::tokenizer::TokenStream::advance(&mut stream) {
            return Ok(false);
        }
        let term_text = tantivy::tokenizer::TokenStream::token(&stream).text.clone();
        let searcher = self.reader.searcher();
        for segment in searcher.segment_readers() {
            if segment.inverted_index(self.fields.text)?.terms().get(term_text.as_bytes())?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// [`SearchIndex::holds_word`] for an index another process may be
    /// writing: opens `folder` read-only.
    pub fn folder_holds_word(folder: &Path, word: &str) -> Result<bool, IndexError> {
        let index = Index::open_in_dir(folder)?;
        register_analyzer(&index);
        let (_, fields) = schema();
        let mut analyzer = index.tokenizers().get(ANALYZER).ok_or(IndexError::Poisoned)?;
        let mut stream = analyzer.token_stream(word);
        if !tantivy::tokenizer::TokenStream::advance(&mut stream) {
            return Ok(false);
        }
        let term_text = tantivy::tokenizer::TokenStream::token(&stream).text.clone();
        let reader: IndexReader = index.reader()?;
        for segment in reader.searcher().segment_readers() {
            if segment.inverted_index(fields.text)?.terms().get(term_text.as_bytes())?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Whether nobody is indexed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
