//! The `introduction_events` table: append-only (database triggers refuse
//! updates and deletes). No personal text: notes live in `event_notes`.

use sea_orm::entity::prelude::*;

/// One transition of one introduction.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "introduction_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub seq: i64,
    pub introduction_id: Uuid,
    pub at: DateTimeUtc,
    pub action: String,
    pub actor: Option<Uuid>,
    pub actor_role: String,
    pub on_behalf_of: Option<Uuid>,
    pub from_status: Option<String>,
    pub to_status: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
