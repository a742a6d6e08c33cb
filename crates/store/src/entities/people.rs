//! The `people` table.

use sea_orm::entity::prelude::*;

/// One row per person. Vocabulary lists and nested objects are JSON.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "people")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub version: i64,
    pub display_name: String,
    pub about: String,
    pub birth_year: i32,
    pub gender: Option<String>,
    pub outcode: String,
    pub authority_code: String,
    pub travel_km: i32,
    pub travel: Option<String>,
    pub interests: Json,
    pub goals: Json,
    pub support_needs: Json,
    pub communication: Json,
    pub access_needs: Json,
    pub availability: Json,
    pub contribution_min: Option<i32>,
    pub contribution_max: Option<i32>,
    pub preferences: Json,
    pub contact: Json,
    pub share_needs_with_matches: bool,
    pub discoverable: bool,
    pub public_listing: bool,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
