//! Check-ins after an introduction (DESIGN §5): each current member of an
//! introduced pair or group has one `scheduled` check-in waiting, written in
//! the same transaction that introduced them (`check_in_rows`). The API's job opens it when it
//! falls due ([`Store::advance_check_ins`]), which schedules the next, and
//! marks one `missed` (for the brokers' queue) 14 days after it opened
//! without an answer. Leaving, in the transaction that records it, deletes
//! the scheduled one and closes any still open (`check_in_rows::close_for`).
//!
//! Only the person answers ([`Store::answer_check_in`]); `want_to_stop`
//! ends their part of the introduction in the same transaction, as `/end`
//! would, so that the answer and the leaving are one step.

use chrono::{DateTime, Utc};
use friends_domain::check_ins::{Answer, CheckInStatus, unanswered_after};
use friends_domain::introduction::{IntroductionStatus, leaving_action};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::check_in_rows::{number_of, schedule_one};
use crate::entities::{check_ins, introduction_members, introductions};
use crate::introductions::transitions::transition;
use crate::introductions::{Decision, EventActor, StoredIntroduction, load};
use crate::{Store, StoreError, stored_precision};

/// A check-in waiting in the brokers' queue.
pub(crate) const ATTENTION_OPEN: &str = "open";
/// A check-in a broker has followed up.
const ATTENTION_RESOLVED: &str = "resolved";
/// Most check-ins one tick of the job opens in one transaction.
const BATCH: u64 = 500;

/// One check-in as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckIn {
    /// Id.
    pub id: Uuid,
    /// The introduction it is about.
    pub introduction_id: Uuid,
    /// The member it is for.
    pub person: Uuid,
    /// Their authority (kept current while they exist): whose brokers see it.
    pub authority: String,
    /// Which of their check-ins in this introduction (from 0).
    pub number: i32,
    /// When it fell (or falls) due.
    pub due_at: DateTime<Utc>,
    /// Where it stands.
    pub status: CheckInStatus,
    /// The person's answer.
    pub answer: Option<Answer>,
    /// Their note, if they wrote one.
    pub note: Option<String>,
    /// Who helped them answer.
    pub supported_by: Option<String>,
    /// When they answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// Whether it waits in the brokers' queue (`Some(true)`), was followed
    /// up (`Some(false)`), or never went there (`None`).
    pub needs_attention: Option<bool>,
    /// When it went to the brokers' queue.
    pub flagged_at: Option<DateTime<Utc>>,
    /// When a broker followed it up.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A person's answer, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInAnswer {
    /// The answer.
    pub answer: Answer,
    /// Their note.
    pub note: Option<String>,
    /// Who helped them.
    pub supported_by: Option<String>,
}

/// Why an answer was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerRefusal {
    /// No such check-in (or not yet due).
    NotFound,
    /// Answered already, or closed by leaving.
    NotOpen,
}

/// What an answer did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    /// The check-in, answered.
    pub check_in: StoredCheckIn,
    /// The introduction the person left (`want_to_stop`), if they left one.
    pub left: Option<StoredIntroduction>,
}

fn corrupt(column: &str) -> StoreError {
    StoreError::Corrupt(format!("check_ins.{column} is not known"))
}

pub(crate) fn check_in_from_row(row: check_ins::Model) -> Result<StoredCheckIn, StoreError> {
    Ok(StoredCheckIn {
        id: row.id,
        introduction_id: row.introduction_id,
        person: row.person_id,
        authority: row.authority,
        number: row.number,
        due_at: row.due_at,
        status: CheckInStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        answer: row
            .answer
            .as_deref()
            .map(|answer| Answer::parse(answer).ok_or_else(|| corrupt("answer")))
            .transpose()?,
        note: row.note,
        supported_by: row.supported_by,
        answered_at: row.answered_at,
        needs_attention: match row.attention.as_deref() {
            None => None,
            Some(ATTENTION_OPEN) => Some(true),
            Some(ATTENTION_RESOLVED) => Some(false),
            Some(_) => return Err(corrupt("attention")),
        },
        flagged_at: row.flagged_at,
        resolved_at: row.resolved_at,
    })
}

fn index_of(number: i32) -> usize {
    usize::try_from(number).unwrap_or(0)
}

/// Keeps `person`'s authority current on their check-ins when they move.
pub(crate) async fn move_authority(
    transaction: &impl ConnectionTrait,
    person: Uuid,
    authority: &str,
) -> Result<(), StoreError> {
    check_ins::Entity::update_many()
        .col_expr(check_ins::Column::Authority, Expr::value(authority))
        .filter(check_ins::Column::PersonId.eq(person))
        .exec(transaction)
        .await?;
    Ok(())
}

/// Deletes every check-in of an erased person (their answers and notes).
pub(crate) async fn erase_person(transaction: &impl ConnectionTrait, person: Uuid) -> Result<(), StoreError> {
    check_ins::Entity::delete_many().filter(check_ins::Column::PersonId.eq(person)).exec(transaction).await?;
    Ok(())
}

/// How many check-ins one run of the job changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CheckInsAdvanced {
    /// Fell due and were opened.
    pub opened: usize,
    /// Went unanswered for 14 days and went to the brokers.
    pub missed: usize,
}

impl Store {
    /// Opens every scheduled check-in due at `now` (scheduling each one's
    /// next), and marks `missed` every one unanswered 14 days after it was
    /// opened (so a check-in opened late is never missed at once). After a long stop only the latest check-in due is opened, so
    /// that nobody gets a pile of questions at once. Safe to run on every
    /// node at once: each row changes only from the state it was read in.
    #[tracing::instrument(name = "store.advance_check_ins", skip_all)]
    pub async fn advance_check_ins(&self, now: DateTime<Utc>) -> Result<CheckInsAdvanced, StoreError> {
        let now = stored_precision(now);
        let mut advanced = CheckInsAdvanced::default();
        loop {
            let opened = self.open_due_batch(now).await?;
            advanced.opened += opened;
            if (opened as u64) < BATCH {
                break;
            }
        }
        // The write lock only when there is something to mark.
        let unanswered = check_ins::Column::OpenedAt.lte(now - unanswered_after());
        let due = check_ins::Column::Status.eq(CheckInStatus::Due.as_str());
        let any = check_ins::Entity::find().filter(due.clone()).filter(unanswered.clone()).one(&self.db).await?;
        if any.is_none() {
            return Ok(advanced);
        }
        let transaction = self.begin_write().await?;
        let missed = check_ins::Entity::update_many()
            .col_expr(check_ins::Column::Status, Expr::value(CheckInStatus::Missed.as_str()))
            .col_expr(check_ins::Column::Attention, Expr::value(ATTENTION_OPEN))
            .col_expr(check_ins::Column::FlaggedAt, Expr::value(now))
            .filter(due)
            .filter(unanswered)
            .exec(&transaction)
            .await?;
        transaction.commit().await?;
        advanced.missed = usize::try_from(missed.rows_affected).unwrap_or(usize::MAX);
        Ok(advanced)
    }

    async fn open_due_batch(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        // Every node runs this every few seconds: a plain read first, and
        // the write lock only when something is due.
        let waiting = check_ins::Entity::find()
            .filter(check_ins::Column::Status.eq(CheckInStatus::Scheduled.as_str()))
            .filter(check_ins::Column::DueAt.lte(now))
            .one(&self.db)
            .await?;
        if waiting.is_none() {
            return Ok(0);
        }
        let transaction = self.begin_write().await?;
        let due = check_ins::Entity::find()
            .filter(check_ins::Column::Status.eq(CheckInStatus::Scheduled.as_str()))
            .filter(check_ins::Column::DueAt.lte(now))
            .order_by_asc(check_ins::Column::DueAt)
            .limit(BATCH)
            .all(&transaction)
            .await?;
        let ids: Vec<Uuid> = due.iter().map(|row| row.introduction_id).collect();
        let mut introduced_at = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows: Vec<(Uuid, Option<DateTime<Utc>>)> = introductions::Entity::find()
                .select_only()
                .column(introductions::Column::Id)
                .column(introductions::Column::IntroducedAt)
                .filter(introductions::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&transaction)
                .await?;
            introduced_at.extend(rows);
        }
        let schedule = &self.check_ins;
        let mut opened = 0;
        for row in due {
            // Counted from the introduction, with the schedule as it is now;
            // after a long stop, the latest one due stands for those missed.
            let base = introduced_at
                .get(&row.introduction_id)
                .copied()
                .flatten()
                .unwrap_or(row.due_at - schedule.due_after(index_of(row.number)));
            let latest = schedule.due_by(now - base).saturating_sub(1).max(index_of(row.number));
            let result = check_ins::Entity::update_many()
                .col_expr(check_ins::Column::Status, Expr::value(CheckInStatus::Due.as_str()))
                .col_expr(check_ins::Column::OpenedAt, Expr::value(now))
                .col_expr(check_ins::Column::Number, Expr::value(number_of(latest)))
                .col_expr(check_ins::Column::DueAt, Expr::value(stored_precision(base + schedule.due_after(latest))))
                .filter(check_ins::Column::Id.eq(row.id))
                .filter(check_ins::Column::Status.eq(CheckInStatus::Scheduled.as_str()))
                .exec(&transaction)
                .await?;
            if result.rows_affected != 1 {
                continue;
            }
            let next = latest + 1;
            let due_at = base + schedule.due_after(next);
            schedule_one(&transaction, row.introduction_id, row.person_id, &row.authority, next, due_at, now).await?;
            opened += 1;
        }
        transaction.commit().await?;
        Ok(opened)
    }

    /// Schedules a first check-in for every current member of an introduced
    /// introduction who has none (introductions made before check-ins
    /// existed), counted from when they were introduced. Run at start.
    #[tracing::instrument(name = "store.schedule_missing_check_ins", skip_all)]
    pub async fn schedule_missing_check_ins(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        use sea_orm::sea_query::{ExprTrait, Query};
        let now = stored_precision(now);
        // One read at every start, whatever the number of introductions:
        // current members of introduced introductions with no check-in row.
        let mut introduced = Query::select();
        introduced
            .column(introductions::Column::Id)
            .from(introductions::Entity)
            .and_where(Expr::col(introductions::Column::Status).eq(IntroductionStatus::Introduced.as_str()));
        let mut has_rows = Query::select();
        has_rows
            .expr(Expr::val(1))
            .from(check_ins::Entity)
            .and_where(
                Expr::col((check_ins::Entity, check_ins::Column::IntroductionId))
                    .equals((introduction_members::Entity, introduction_members::Column::IntroductionId)),
            )
            .and_where(
                Expr::col((check_ins::Entity, check_ins::Column::PersonId))
                    .equals((introduction_members::Entity, introduction_members::Column::PersonId)),
            );
        let missing = introduction_members::Entity::find()
            .filter(introduction_members::Column::LeftAt.is_null())
            .filter(introduction_members::Column::IntroductionId.in_subquery(introduced))
            .filter(Expr::exists(has_rows).not())
            .all(&self.db)
            .await?;
        if missing.is_empty() {
            return Ok(0);
        }
        let transaction = self.begin_write().await?;
        let ids: Vec<Uuid> = missing.iter().map(|member| member.introduction_id).collect();
        let mut base = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows: Vec<(Uuid, Option<DateTime<Utc>>, DateTime<Utc>)> = introductions::Entity::find()
                .select_only()
                .column(introductions::Column::Id)
                .column(introductions::Column::IntroducedAt)
                .column(introductions::Column::UpdatedAt)
                .filter(introductions::Column::Id.is_in(chunk.iter().copied()))
                .filter(introductions::Column::Status.eq(IntroductionStatus::Introduced.as_str()))
                .into_tuple()
                .all(&transaction)
                .await?;
            base.extend(
                rows.into_iter().map(|(id, introduced_at, updated_at)| (id, introduced_at.unwrap_or(updated_at))),
            );
        }
        let mut scheduled = 0;
        for member in missing {
            // Still introduced under the write lock; another node may have
            // scheduled it meanwhile (the unique index then refuses a twin).
            let Some(base) = base.get(&member.introduction_id) else { continue };
            let theirs = check_ins::Entity::find()
                .filter(check_ins::Column::IntroductionId.eq(member.introduction_id))
                .filter(check_ins::Column::PersonId.eq(member.person_id))
                .one(&transaction)
                .await?;
            if theirs.is_some() {
                continue;
            }
            let due_at = *base + self.check_ins.due_after(0);
            schedule_one(&transaction, member.introduction_id, member.person_id, &member.authority, 0, due_at, now)
                .await?;
            scheduled += 1;
        }
        transaction.commit().await?;
        Ok(scheduled)
    }

    /// The check-in with `id`, unless it is only scheduled.
    pub async fn get_check_in(&self, id: Uuid) -> Result<Option<StoredCheckIn>, StoreError> {
        let row = check_ins::Entity::find_by_id(id)
            .filter(check_ins::Column::Status.ne(CheckInStatus::Scheduled.as_str()))
            .one(&self.db)
            .await?;
        row.map(check_in_from_row).transpose()
    }

    /// `person`'s check-ins that have fallen due, newest first, after the
    /// keyset `after` (`due_at`, id).
    pub async fn person_check_ins(
        &self,
        person: Uuid,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<Vec<StoredCheckIn>, StoreError> {
        let mut query = check_ins::Entity::find()
            .filter(check_ins::Column::PersonId.eq(person))
            .filter(check_ins::Column::Status.ne(CheckInStatus::Scheduled.as_str()));
        if let Some((due_at, id)) = after {
            query = query.filter(
                Condition::any()
                    .add(check_ins::Column::DueAt.lt(due_at))
                    .add(Condition::all().add(check_ins::Column::DueAt.eq(due_at)).add(check_ins::Column::Id.lt(id))),
            );
        }
        let rows = query
            .order_by_desc(check_ins::Column::DueAt)
            .order_by_desc(check_ins::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        rows.into_iter().map(check_in_from_row).collect()
    }

    /// Records the person's answer to check-in `id`; `want_to_stop` also
    /// takes them out of the introduction (an ordinary leaving by `actor`).
    #[tracing::instrument(name = "store.answer_check_in", skip_all, fields(check_in_id = %id))]
    pub async fn answer_check_in(
        &self,
        id: Uuid,
        answer: CheckInAnswer,
        actor: &EventActor,
        now: DateTime<Utc>,
    ) -> Result<Result<Answered, AnswerRefusal>, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let Some(row) = check_ins::Entity::find_by_id(id).one(&transaction).await? else {
            return Ok(Err(AnswerRefusal::NotFound));
        };
        let current = check_in_from_row(row)?;
        match current.status {
            CheckInStatus::Scheduled => return Ok(Err(AnswerRefusal::NotFound)),
            status if !status.answerable() => return Ok(Err(AnswerRefusal::NotOpen)),
            _ => {}
        }
        let mut update = check_ins::Entity::update_many()
            .col_expr(check_ins::Column::Status, Expr::value(CheckInStatus::Answered.as_str()))
            .col_expr(check_ins::Column::Answer, Expr::value(answer.answer.as_str()))
            .col_expr(check_ins::Column::Note, Expr::value(answer.note.clone()))
            .col_expr(check_ins::Column::SupportedBy, Expr::value(answer.supported_by.clone()))
            .col_expr(check_ins::Column::AnsweredAt, Expr::value(now));
        let mut answered = StoredCheckIn {
            status: CheckInStatus::Answered,
            answer: Some(answer.answer),
            note: answer.note,
            supported_by: answer.supported_by,
            answered_at: Some(now),
            ..current.clone()
        };
        if answer.answer.tells_brokers() {
            update = update
                .col_expr(check_ins::Column::Attention, Expr::value(ATTENTION_OPEN))
                .col_expr(check_ins::Column::FlaggedAt, Expr::value(now))
                .col_expr(check_ins::Column::ResolvedAt, Expr::value(Option::<DateTime<Utc>>::None))
                .col_expr(check_ins::Column::ResolvedBy, Expr::value(Option::<Uuid>::None));
            answered.needs_attention = Some(true);
            answered.flagged_at = Some(now);
            answered.resolved_at = None;
        } else if current.needs_attention == Some(true) && current.status == CheckInStatus::Missed {
            // The brokers were told it went unanswered; now it is answered,
            // and there is nothing left to follow up.
            update = update
                .col_expr(check_ins::Column::Attention, Expr::value(ATTENTION_RESOLVED))
                .col_expr(check_ins::Column::ResolvedAt, Expr::value(now));
            answered.needs_attention = Some(false);
            answered.resolved_at = Some(now);
        }
        update.filter(check_ins::Column::Id.eq(id)).exec(&transaction).await?;
        let mut left = None;
        if answer.answer.leaves() {
            let introduction = load(&transaction, current.introduction_id).await?.ok_or(StoreError::NotFound)?;
            let place = introduction.place_of(current.person);
            let still_in = place.and_then(|place| introduction.member(place)).is_some_and(|m| m.left_at.is_none());
            if let (Some(place), true) = (place, still_in)
                && let Some(action) = leaving_action(introduction.status, place)
            {
                let decision = Decision {
                    action,
                    actor: EventActor { on_behalf_of: Some(current.person), ..actor.clone() },
                    note: None,
                    supported_by: None,
                };
                if let Ok((after, _)) = transition(&transaction, &introduction, decision, &self.check_ins, now).await? {
                    left = Some(after);
                }
            }
            // "Takes them out at once": an answer that could not is not
            // stored (the transaction rolls back).
            if left.is_none() {
                return Ok(Err(AnswerRefusal::NotOpen));
            }
        }
        transaction.commit().await?;
        Ok(Ok(Answered { check_in: answered, left }))
    }

    /// A broker followed up check-in `id`: it leaves the queue. `NotFound`
    /// unless it is waiting there.
    #[tracing::instrument(name = "store.resolve_check_in", skip_all, fields(check_in_id = %id))]
    pub async fn resolve_check_in(
        &self,
        id: Uuid,
        broker: Uuid,
        now: DateTime<Utc>,
    ) -> Result<StoredCheckIn, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let result = check_ins::Entity::update_many()
            .col_expr(check_ins::Column::Attention, Expr::value(ATTENTION_RESOLVED))
            .col_expr(check_ins::Column::ResolvedAt, Expr::value(now))
            .col_expr(check_ins::Column::ResolvedBy, Expr::value(broker))
            .filter(check_ins::Column::Id.eq(id))
            .filter(check_ins::Column::Attention.eq(ATTENTION_OPEN))
            .exec(&transaction)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound);
        }
        let row = check_ins::Entity::find_by_id(id).one(&transaction).await?.ok_or(StoreError::NotFound)?;
        transaction.commit().await?;
        check_in_from_row(row)
    }

    /// What became of every check-in that fell due for people now in
    /// `authority` (the brokers' insights): status and answer only.
    pub async fn check_in_outcomes(&self, authority: &str) -> Result<Vec<(CheckInStatus, Option<Answer>)>, StoreError> {
        let rows: Vec<(String, Option<String>)> = check_ins::Entity::find()
            .select_only()
            .column(check_ins::Column::Status)
            .column(check_ins::Column::Answer)
            .filter(check_ins::Column::Authority.eq(authority))
            .filter(check_ins::Column::Status.ne(CheckInStatus::Scheduled.as_str()))
            .into_tuple()
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|(status, answer)| {
                let status = CheckInStatus::parse(&status).ok_or_else(|| corrupt("status"))?;
                let answer = answer.as_deref().map(|answer| Answer::parse(answer).ok_or_else(|| corrupt("answer")));
                Ok((status, answer.transpose()?))
            })
            .collect()
    }

    /// Every check-in of `person` that fell due (their export).
    pub async fn check_ins_of(&self, person: Uuid) -> Result<Vec<StoredCheckIn>, StoreError> {
        let rows = check_ins::Entity::find()
            .filter(check_ins::Column::PersonId.eq(person))
            .filter(check_ins::Column::Status.ne(CheckInStatus::Scheduled.as_str()))
            .order_by_desc(check_ins::Column::DueAt)
            .order_by_desc(check_ins::Column::Id)
            .all(&self.db)
            .await?;
        rows.into_iter().map(check_in_from_row).collect()
    }
}
