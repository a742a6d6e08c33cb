//! What a move and an erasure do to introductions and reports (leaving is
//! [`super::transitions::leave_all`]).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{ids_involving, json_strings};
use crate::StoreError;
use crate::entities::{event_notes, introduction_members, introductions, reports};
use crate::reports::OPEN;

/// Keeps `person`'s authority current in their introductions, and in open
/// reports about them, when they move.
pub(crate) async fn move_authority(
    transaction: &impl ConnectionTrait,
    person: Uuid,
    authority: &str,
) -> Result<(), StoreError> {
    introduction_members::Entity::update_many()
        .col_expr(introduction_members::Column::Authority, Expr::value(authority))
        .filter(introduction_members::Column::PersonId.eq(person))
        .exec(transaction)
        .await?;
    // Open reports go to the brokers of the person's new area.
    reports::Entity::update_many()
        .col_expr(reports::Column::AboutAuthority, Expr::value(authority))
        .filter(reports::Column::About.eq(person))
        .filter(reports::Column::Status.eq(OPEN))
        .exec(transaction)
        .await?;
    crate::check_ins::move_authority(transaction, person, authority).await?;
    Ok(())
}

/// Clears the personal text of every introduction an erased person was in,
/// and of every report by or about them: messages, reasons, who helped each
/// member answer, event notes and report reasons. Event rows themselves are
/// never touched.
pub(crate) async fn redact_person(
    transaction: &impl ConnectionTrait,
    person: Uuid,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let ids = ids_involving(transaction, person).await?;
    for chunk in ids.chunks(500) {
        introductions::Entity::update_many()
            .col_expr(introductions::Column::Message, Expr::value(Option::<String>::None))
            .col_expr(introductions::Column::Reasons, Expr::value(json_strings(&[])))
            .col_expr(introductions::Column::Redacted, Expr::value(true))
            .col_expr(introductions::Column::UpdatedAt, Expr::value(now))
            .filter(introductions::Column::Id.is_in(chunk.iter().copied()))
            .exec(transaction)
            .await?;
        introduction_members::Entity::update_many()
            .col_expr(introduction_members::Column::SupportedBy, Expr::value(Option::<String>::None))
            .filter(introduction_members::Column::IntroductionId.is_in(chunk.iter().copied()))
            .exec(transaction)
            .await?;
        event_notes::Entity::delete_many()
            .filter(event_notes::Column::IntroductionId.is_in(chunk.iter().copied()))
            .exec(transaction)
            .await?;
    }
    reports::Entity::update_many()
        .col_expr(reports::Column::Reason, Expr::value(Option::<String>::None))
        .col_expr(reports::Column::ResolutionNote, Expr::value(Option::<String>::None))
        .filter(Condition::any().add(reports::Column::Reporter.eq(person)).add(reports::Column::About.eq(person)))
        .exec(transaction)
        .await?;
    Ok(())
}
