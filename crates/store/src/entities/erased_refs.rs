//! The `erased_refs` table: digests of the references of imported people
//! who were erased, so that a later import does not bring them back.

use sea_orm::entity::prelude::*;

/// One erased person's reference, as a digest, per importing authority.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "erased_refs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub authority: String,
    /// SHA-256 of (authority, reference), not the reference (a guessable
    /// reference can still be matched: ARCHITECTURE.md, known limits).
    #[sea_orm(primary_key, auto_increment = false)]
    pub ref_digest: String,
    pub erased_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
