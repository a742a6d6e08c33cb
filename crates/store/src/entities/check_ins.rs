//! The `check_ins` table: each member's check-ins after an introduction.

use sea_orm::entity::prelude::*;

/// One check-in of one member. `note` and `supported_by` are the person's
/// own text: erasing them deletes their rows.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "check_ins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub introduction_id: Uuid,
    pub person_id: Uuid,
    pub authority: String,
    pub number: i32,
    pub due_at: DateTimeUtc,
    pub status: String,
    pub opened_at: Option<DateTimeUtc>,
    pub answer: Option<String>,
    pub note: Option<String>,
    pub supported_by: Option<String>,
    pub answered_at: Option<DateTimeUtc>,
    pub attention: Option<String>,
    pub flagged_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
