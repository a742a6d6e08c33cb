//! Writing check-in rows (see [`crate::check_ins`]): the one `scheduled`
//! row of a member, and closing a leaver's. A leaf, so that the
//! introductions' transitions and the check-ins job both use it.

use chrono::{DateTime, Utc};
use friends_domain::check_ins::{CheckInSchedule, CheckInStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::entities::check_ins;
use crate::introductions::StoredIntroduction;
use crate::{StoreError, stored_precision};

pub(crate) fn number_of(index: usize) -> i32 {
    i32::try_from(index).unwrap_or(i32::MAX)
}

/// Schedules check-in `number` of `person` in `introduction` (introduced
/// at `introduced_at`).
pub(crate) async fn schedule_one(
    transaction: &impl ConnectionTrait,
    introduction: Uuid,
    person: Uuid,
    authority: &str,
    number: usize,
    due_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = check_ins::ActiveModel {
        id: Set(Uuid::new_v4()),
        introduction_id: Set(introduction),
        person_id: Set(person),
        authority: Set(authority.to_owned()),
        number: Set(number_of(number)),
        due_at: Set(stored_precision(due_at)),
        status: Set(CheckInStatus::Scheduled.as_str().to_owned()),
        opened_at: Set(None),
        answer: Set(None),
        note: Set(None),
        supported_by: Set(None),
        answered_at: Set(None),
        attention: Set(None),
        flagged_at: Set(None),
        resolved_at: Set(None),
        resolved_by: Set(None),
        created_at: Set(now),
    };
    check_ins::Entity::insert(row).exec_without_returning(transaction).await?;
    Ok(())
}

/// Schedules the first check-in of every current member of `introduction`,
/// which has just become `introduced` at `now`.
pub(crate) async fn schedule_first(
    transaction: &impl ConnectionTrait,
    introduction: &StoredIntroduction,
    schedule: &CheckInSchedule,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for member in introduction.members.iter().filter(|member| member.left_at.is_none()) {
        let due_at = now + schedule.due_after(0);
        schedule_one(transaction, introduction.id, member.person, &member.authority, 0, due_at, now).await?;
    }
    Ok(())
}

/// `people` have left `introduction` (or it ended): no more check-ins for
/// them there. The scheduled one goes; open ones are closed.
pub(crate) async fn close_for(
    transaction: &impl ConnectionTrait,
    introduction: Uuid,
    people: &[Uuid],
) -> Result<(), StoreError> {
    if people.is_empty() {
        return Ok(());
    }
    let theirs = || {
        Condition::all()
            .add(check_ins::Column::IntroductionId.eq(introduction))
            .add(check_ins::Column::PersonId.is_in(people.iter().copied()))
    };
    check_ins::Entity::delete_many()
        .filter(theirs())
        .filter(check_ins::Column::Status.eq(CheckInStatus::Scheduled.as_str()))
        .exec(transaction)
        .await?;
    check_ins::Entity::update_many()
        .col_expr(check_ins::Column::Status, Expr::value(CheckInStatus::Closed.as_str()))
        .filter(theirs())
        .filter(check_ins::Column::Status.is_in([CheckInStatus::Due.as_str(), CheckInStatus::Missed.as_str()]))
        .exec(transaction)
        .await?;
    Ok(())
}
