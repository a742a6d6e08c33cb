//! The `event_notes` table: the personal text of an event (a broker's note
//! or decline reason, who supported a consent), deleted when either person
//! of the introduction is erased.

use sea_orm::entity::prelude::*;

/// The text attached to one event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "event_notes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_seq: i64,
    pub introduction_id: Uuid,
    pub note: Option<String>,
    pub supported_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
