//! The `introductions` table: one row per request, its current state (its
//! members are in `introduction_members`).

use sea_orm::entity::prelude::*;

/// An introduction request and where it stands. `message` and `reasons` are
/// personal text: erasing either person clears them (`redacted`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "introductions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i64,
    pub created_by: Uuid,
    pub created_by_role: String,
    pub status: String,
    pub message: Option<String>,
    pub reasons: Json,
    pub flags: Json,
    pub closed_by_member: Option<i16>,
    pub approved_at: Option<DateTimeUtc>,
    pub declined_at: Option<DateTimeUtc>,
    pub introduced_at: Option<DateTimeUtc>,
    pub last_action_at: DateTimeUtc,
    pub redacted: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
