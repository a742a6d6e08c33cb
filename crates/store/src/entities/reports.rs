//! The `reports` table: safeguarding worries, for brokers only.

use sea_orm::entity::prelude::*;

/// A worry about a person. `reason` is cleared when the reporter or the
/// person reported is erased.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reports")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub reporter: Uuid,
    pub about: Uuid,
    pub about_authority: String,
    pub reason: Option<String>,
    pub created_by: Uuid,
    pub created_by_role: String,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub resolved_at: Option<DateTimeUtc>,
    pub resolved_by: Option<Uuid>,
    pub resolution_note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
