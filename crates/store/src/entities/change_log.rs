//! The `change_log` table: one row per write, in commit order.

use sea_orm::entity::prelude::*;

/// A change to one entity. Carries ids and the operation only, never
/// personal text, so it survives erasure without keeping anything of the
/// person but their id.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "change_log")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub entity: String,
    pub entity_id: Uuid,
    pub operation: String,
    pub recorded_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
