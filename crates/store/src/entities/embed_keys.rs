//! The `embed_keys` table: council embed keys, stored only as a hash.

use sea_orm::entity::prelude::*;

/// One embed key. `origins` is a JSON array of origins; `listing_salt`
/// keys the listing ids shown under this key.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "embed_keys")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub key_hash: String,
    pub authority: String,
    pub origins: Json,
    pub label: String,
    pub listing_salt: String,
    pub created_at: DateTimeUtc,
    pub created_by: Uuid,
    pub revoked_at: Option<DateTimeUtc>,
    pub revoked_by: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
