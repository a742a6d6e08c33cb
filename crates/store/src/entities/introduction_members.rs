//! The `introduction_members` table: who is in an introduction, each with
//! their own answer.

use sea_orm::entity::prelude::*;

/// One member of an introduction. `place` 0 is the requester; the others
/// follow in the order they were named. `supported_by` is personal text:
/// erasing any member clears it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "introduction_members")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub introduction_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub place: i16,
    pub person_id: Uuid,
    pub authority: String,
    pub consent: String,
    pub supported_by: Option<String>,
    pub left_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
