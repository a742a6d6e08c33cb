//! The `external_refs` table: imported people's references in the
//! council's own system.

use sea_orm::entity::prelude::*;

/// One imported person's reference, unique per importing authority.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "external_refs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub authority: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub external_ref: String,
    #[sea_orm(unique)]
    pub person_id: Uuid,
    /// SHA-256 of the person as the last import wrote them.
    pub fingerprint: String,
    /// JSON object: each imported field's digest as the last import wrote it.
    #[sea_orm(column_type = "Text")]
    pub field_digests: String,
    pub imported_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
