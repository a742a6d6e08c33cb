//! Bulk import (DESIGN §7): a council loads the people it already supports
//! from its own system, one JSON object a line (NDJSON), each a person
//! input plus `external_ref`, the person's reference in that system.
//!
//! - **Streamed**: lines are read as they arrive and written in batches of
//!   [`BATCH`]; the body is never held whole (at most [`MAX_IMPORT_BYTES`]).
//! - **Idempotent**: `external_ref` is unique per importing authority (the
//!   council whose system the file comes from, named by the import, not
//!   derived from each line: people move, and neighbours' numbering
//!   overlaps); the same line again changes nothing, a changed line updates
//!   the person (a new version and a change-log row), and a dry run decides
//!   the same and writes nothing. The answer maps each reference to its id.
//! - **The profile is the person's**: an imported person starts with
//!   `discoverable`, `public_listing` and `share_needs_with_matches` off,
//!   whatever the line says (DESIGN §6); a later line never changes their own choices, nor a field they
//!   changed since the last import (`friends_domain::imported`).
//! - **Erasure holds**: the line of a person who was erased is refused.
//! - **Bad lines** are reported by number, with the reason of each field,
//!   and nothing of them is stored. Nothing of a line is logged.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, Utc};
use friends_domain::person::{PersonInput, ValidationContext};
use friends_domain::{FieldCode, FieldError};
use friends_store::{ImportLine, Imported, Store};
use serde::Serialize;
use serde_json::Value;

use crate::errors::{ApiError, parse_body};
use crate::indexes::Indexes;
use crate::reference::Reference;

/// The largest import accepted, in bytes.
pub const MAX_IMPORT_BYTES: usize = 100 * 1024 * 1024;
/// The longest line accepted, in bytes (a person's largest body).
pub const MAX_LINE_BYTES: usize = crate::body::JSON_BODY_LIMIT;
/// Lines written in one transaction.
pub const BATCH: usize = 500;
/// The longest `external_ref`, in characters.
pub const MAX_REF_CHARS: usize = 100;
/// Rejected lines reported one by one; past this, only counted.
pub const MAX_REPORTED_REJECTIONS: usize = 1_000;

/// A line that was not imported.
#[derive(Debug, Clone, Serialize)]
pub struct Rejected {
    /// Its number in the file, from 1.
    pub line: u64,
    /// Its `external_ref`, when it had a usable one.
    pub external_ref: Option<String>,
    /// Why, field by field.
    pub errors: Vec<FieldError>,
}

/// What became of one good line.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedPerson {
    /// Its number in the file, from 1.
    pub line: u64,
    /// Its `external_ref`.
    pub external_ref: String,
    /// The person's id here (none for a person a dry run would create).
    pub person_id: Option<uuid::Uuid>,
    /// `created`, `updated` or `unchanged`.
    pub outcome: &'static str,
}

/// What an import did (or, dry, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportSummary {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// The importing authority (whose references these are).
    pub authority: String,
    /// New people.
    pub created: u64,
    /// People whose line changed.
    pub updated: u64,
    /// Lines the same as their last import.
    pub unchanged: u64,
    /// Lines not imported, in order (the first [`MAX_REPORTED_REJECTIONS`]).
    pub rejected: Vec<Rejected>,
    /// How many lines were not imported, all told.
    pub rejected_total: u64,
    /// Every imported line, in order: its reference and the person's id.
    pub people: Vec<ImportedPerson>,
}

/// One import in progress.
#[derive(Debug)]
pub struct Importer<'a> {
    store: &'a Store,
    /// This node's indexes, caught up at the end (`None` from the command
    /// line: a server's follower picks the changes up).
    indexes: Option<&'a Indexes>,
    reference: &'a Reference,
    now: DateTime<Utc>,
    /// The lines of the batch being gathered, with their numbers.
    batch: Vec<ImportLine>,
    numbers: Vec<u64>,
    /// Where each reference was first seen in this file.
    seen: HashMap<String, u64>,
    summary: ImportSummary,
}

impl<'a> Importer<'a> {
    /// A new import from `authority`'s system at `now`; `dry_run` writes
    /// nothing. An authority that is not known is refused.
    pub fn new(
        store: &'a Store,
        indexes: Option<&'a Indexes>,
        reference: &'a Reference,
        authority: &str,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<Self, ApiError> {
        let authority = authority.trim();
        if reference.areas.authority_name(authority).is_none() {
            return Err(ApiError::InvalidQuery(
                "authority is the ONS code of the council whose system the file comes from (for example E09000033)"
                    .into(),
            ));
        }
        let summary = ImportSummary { dry_run, authority: authority.to_owned(), ..ImportSummary::default() };
        Ok(Self {
            store,
            indexes,
            reference,
            now,
            batch: Vec::new(),
            numbers: Vec::new(),
            seen: HashMap::new(),
            summary,
        })
    }

    /// Takes line `number` (from 1); writes a batch when one is full.
    /// Blank lines are skipped.
    pub async fn line(&mut self, number: u64, bytes: &[u8]) -> Result<(), ApiError> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        match self.parse(bytes) {
            Ok(line) => {
                if let Some(first) = self.seen.get(&line.external_ref) {
                    let message = format!("This external_ref is on line {first} already.");
                    let error = FieldError::new("external_ref", FieldCode::Duplicate, message);
                    self.reject(number, Some(line.external_ref), vec![error]);
                    return Ok(());
                }
                self.seen.insert(line.external_ref.clone(), number);
                self.batch.push(line);
                self.numbers.push(number);
                if self.batch.len() >= BATCH {
                    self.flush().await?;
                }
            }
            Err((external_ref, errors)) => self.reject(number, external_ref, errors),
        }
        Ok(())
    }

    /// A line that is longer than [`MAX_LINE_BYTES`] (never parsed).
    pub fn too_long(&mut self, number: u64) {
        let message = format!("A line is limited to {MAX_LINE_BYTES} bytes.");
        self.reject(number, None, vec![FieldError::new("", FieldCode::TooLong, message)]);
    }

    /// Writes what is left and brings this node's indexes up to date.
    pub async fn finish(mut self) -> Result<ImportSummary, ApiError> {
        self.flush().await?;
        // An erased person's line is found when its batch is written.
        self.summary.rejected.sort_by_key(|rejected| rejected.line);
        if let Some(indexes) = self.indexes
            && !self.summary.dry_run
        {
            indexes.settle(self.store).await;
        }
        let summary = self.summary;
        tracing::info!(
            dry_run = summary.dry_run,
            created = summary.created,
            updated = summary.updated,
            unchanged = summary.unchanged,
            rejected = summary.rejected_total,
            "import finished"
        );
        Ok(summary)
    }

    /// The summary so far (for progress).
    pub fn summary(&self) -> &ImportSummary {
        &self.summary
    }

    fn reject(&mut self, line: u64, external_ref: Option<String>, errors: Vec<FieldError>) {
        self.summary.rejected_total += 1;
        if self.summary.rejected.len() < MAX_REPORTED_REJECTIONS {
            self.summary.rejected.push(Rejected { line, external_ref, errors });
        }
    }

    async fn flush(&mut self) -> Result<(), ApiError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let numbers = std::mem::take(&mut self.numbers);
        let outcomes =
            self.store.import_people(&self.summary.authority, &batch, self.summary.dry_run, self.now).await?;
        for ((line, number), outcome) in batch.into_iter().zip(numbers).zip(outcomes) {
            let (person_id, word) = match outcome {
                Imported::Created(id) => {
                    self.summary.created += 1;
                    (id, "created")
                }
                Imported::Updated(id) => {
                    self.summary.updated += 1;
                    (Some(id), "updated")
                }
                Imported::Unchanged(id) => {
                    self.summary.unchanged += 1;
                    (Some(id), "unchanged")
                }
                Imported::Erased => {
                    let message = "This person asked to be removed from Finding Friends. Take them out of the file.";
                    let error = FieldError::new("external_ref", FieldCode::Erased, message);
                    self.reject(number, Some(line.external_ref), vec![error]);
                    continue;
                }
            };
            self.summary.people.push(ImportedPerson {
                line: number,
                external_ref: line.external_ref,
                person_id,
                outcome: word,
            });
        }
        Ok(())
    }

    /// A line as a person to import, hidden; or its usable reference and
    /// what is wrong with it.
    fn parse(&self, bytes: &[u8]) -> Result<ImportLine, (Option<String>, Vec<FieldError>)> {
        let not_a_line = |message: &str| (None, vec![FieldError::new("", FieldCode::InvalidLine, message)]);
        let Ok(mut value) = serde_json::from_slice::<Value>(bytes) else {
            return Err(not_a_line("The line is not JSON (each line is one JSON object)."));
        };
        let Some(object) = value.as_object_mut() else {
            return Err(not_a_line("The line is not a JSON object."));
        };
        let external_ref = match object.remove("external_ref") {
            Some(Value::String(text)) => check_reference(&text).map(|()| text.trim().to_owned()),
            Some(_) => Err(FieldError::new("external_ref", FieldCode::InvalidText, "external_ref is text.")),
            None => Err(FieldError::new("external_ref", FieldCode::Required, "Each line needs its external_ref.")),
        };
        let context = ValidationContext {
            taxonomy: &self.reference.taxonomy,
            areas: &self.reference.areas,
            current_year: self.now.year(),
        };
        let record =
            parse_body::<PersonInput>(value).and_then(|input| input.validate(context).map_err(ApiError::Validation));
        match (external_ref, record) {
            (Ok(external_ref), Ok(mut record)) => {
                // The person's own choices start at the safe side: hidden,
                // not listed, their support needs their own.
                record.discoverable = false;
                record.public_listing = false;
                record.share_needs_with_matches = false;
                Ok(ImportLine { external_ref, record })
            }
            (external_ref, record) => {
                let (usable, mut errors) = match external_ref {
                    Ok(text) => (Some(text), Vec::new()),
                    Err(error) => (None, vec![error]),
                };
                match record {
                    Ok(_) => {}
                    Err(ApiError::Validation(found)) => errors.extend(found),
                    Err(ApiError::InvalidBody(message)) => {
                        errors.push(FieldError::new("", FieldCode::InvalidLine, message));
                    }
                    Err(_) => errors.push(FieldError::new("", FieldCode::InvalidLine, "The line is not a person.")),
                }
                Err((usable, errors))
            }
        }
    }
}

fn check_reference(text: &str) -> Result<(), FieldError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(FieldError::new("external_ref", FieldCode::Required, "external_ref is empty."));
    }
    if text.chars().count() > MAX_REF_CHARS {
        let message = format!("external_ref is at most {MAX_REF_CHARS} characters.");
        return Err(FieldError::new("external_ref", FieldCode::TooLong, message));
    }
    if !friends_domain::text::is_clean(text) {
        let message = "external_ref has control, invisible or direction-changing characters.";
        return Err(FieldError::new("external_ref", FieldCode::InvalidText, message));
    }
    Ok(())
}

/// Splits a byte stream into lines, holding at most one line (up to
/// [`MAX_LINE_BYTES`]) at a time.
#[derive(Debug, Default)]
pub struct LineSplitter {
    buffer: Vec<u8>,
    /// The current line is over the limit: skip to its end.
    skipping: bool,
    /// Lines completed so far.
    number: u64,
}

/// A line out of the splitter.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// Line `number` (from 1), without its end.
    Text(u64, Vec<u8>),
    /// Line `number` was over [`MAX_LINE_BYTES`].
    TooLong(u64),
}

impl LineSplitter {
    /// Feeds a chunk; the lines it completed.
    pub fn push(&mut self, mut chunk: &[u8]) -> Vec<Line> {
        let mut lines = Vec::new();
        while !chunk.is_empty() {
            match chunk.iter().position(|byte| *byte == b'\n') {
                Some(end) => {
                    self.take(&chunk[..end]);
                    lines.push(self.end_line());
                    chunk = &chunk[end + 1..];
                }
                None => {
                    self.take(chunk);
                    chunk = &[];
                }
            }
        }
        lines
    }

    /// The last line, if the stream did not end with a newline.
    pub fn finish(&mut self) -> Option<Line> {
        (self.skipping || !self.buffer.is_empty()).then(|| self.end_line())
    }

    fn take(&mut self, bytes: &[u8]) {
        if self.skipping {
            return;
        }
        if self.buffer.len() + bytes.len() > MAX_LINE_BYTES {
            self.skipping = true;
            self.buffer = Vec::new();
        } else {
            self.buffer.extend_from_slice(bytes);
        }
    }

    fn end_line(&mut self) -> Line {
        self.number += 1;
        if std::mem::take(&mut self.skipping) {
            return Line::TooLong(self.number);
        }
        let mut line = std::mem::take(&mut self.buffer);
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Line::Text(self.number, line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_split_across_chunks_and_long_ones_skipped() {
        let mut splitter = LineSplitter::default();
        let mut lines = splitter.push(b"{\"a\":1}\r\n{\"b\"");
        lines.extend(splitter.push(b":2}\n\n"));
        let long = vec![b'x'; MAX_LINE_BYTES + 1];
        lines.extend(splitter.push(&long));
        lines.extend(splitter.push(b"x\n{}"));
        lines.extend(splitter.finish());
        assert_eq!(
            lines,
            vec![
                Line::Text(1, b"{\"a\":1}".to_vec()),
                Line::Text(2, b"{\"b\":2}".to_vec()),
                Line::Text(3, Vec::new()),
                Line::TooLong(4),
                Line::Text(5, b"{}".to_vec()),
            ]
        );
        assert_eq!(splitter.finish(), None);
    }
}
