//! The `agreements` table: the pooling agreement of an introduction.

use sea_orm::entity::prelude::*;

/// One agreement: its fields (`body`) and the members' confirmations as
/// JSON. Erasing a member takes them out of both.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agreements")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub introduction_id: Uuid,
    pub version: i64,
    pub status: String,
    pub body: Json,
    pub confirmations: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
