//! Safeguarding reports (DESIGN §5): a worry about someone, for the brokers
//! of that person's area, resolved by one of them.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::change_log::{self, ChangedEntity, Operation};
use crate::entities::{people, reports};
use crate::introductions::EventActor;
use crate::{Store, StoreError, stored_precision};

/// The status of a report waiting for a broker.
pub(crate) const OPEN: &str = "open";
/// The status of a report a broker resolved.
const RESOLVED: &str = "resolved";

/// A safeguarding report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    /// Id.
    pub id: Uuid,
    /// Who raised it (a person, or a broker's own id).
    pub reporter: Uuid,
    /// The person it is about.
    pub about: Uuid,
    /// Their authority at the time.
    pub about_authority: String,
    /// The worry; `None` once erased.
    pub reason: Option<String>,
    /// Who created it.
    pub created_by: Uuid,
    /// In which role.
    pub created_by_role: String,
    /// `open` or `resolved`.
    pub status: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// By which broker.
    pub resolved_by: Option<Uuid>,
    /// The broker's note.
    pub resolution_note: Option<String>,
}

pub(crate) fn report_from_row(row: reports::Model) -> StoredReport {
    StoredReport {
        id: row.id,
        reporter: row.reporter,
        about: row.about,
        about_authority: row.about_authority,
        reason: row.reason,
        created_by: row.created_by,
        created_by_role: row.created_by_role,
        status: row.status,
        created_at: row.created_at,
        resolved_at: row.resolved_at,
        resolved_by: row.resolved_by,
        resolution_note: row.resolution_note,
    }
}

impl Store {
    /// Stores a report about `about`, for the brokers of their authority.
    /// `NotFound` when there is no such person.
    #[tracing::instrument(name = "store.create_report", skip_all, fields(report_id = %id))]
    pub async fn create_report(
        &self,
        id: Uuid,
        reporter: Uuid,
        about: Uuid,
        reason: String,
        actor: &EventActor,
        now: DateTime<Utc>,
    ) -> Result<StoredReport, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let Some(about_person) = people::Entity::find_by_id(about).one(&transaction).await? else {
            return Err(StoreError::NotFound);
        };
        let report = StoredReport {
            id,
            reporter,
            about,
            about_authority: about_person.authority_code,
            reason: Some(reason),
            created_by: actor.actor.unwrap_or_default(),
            created_by_role: actor.role.clone(),
            status: OPEN.into(),
            created_at: now,
            resolved_at: None,
            resolved_by: None,
            resolution_note: None,
        };
        let row = reports::ActiveModel {
            id: Set(report.id),
            reporter: Set(report.reporter),
            about: Set(report.about),
            about_authority: Set(report.about_authority.clone()),
            reason: Set(report.reason.clone()),
            created_by: Set(report.created_by),
            created_by_role: Set(report.created_by_role.clone()),
            status: Set(report.status.clone()),
            created_at: Set(now),
            resolved_at: Set(None),
            resolved_by: Set(None),
            resolution_note: Set(None),
        };
        reports::Entity::insert(row).exec_without_returning(&transaction).await?;
        change_log::append(&transaction, ChangedEntity::Report, id, Operation::Created, now).await?;
        transaction.commit().await?;
        Ok(report)
    }

    /// The report with `id`.
    pub async fn get_report(&self, id: Uuid) -> Result<Option<StoredReport>, StoreError> {
        Ok(reports::Entity::find_by_id(id).one(&self.db).await?.map(report_from_row))
    }

    /// Resolves an open report. `NotFound` if it is not open.
    #[tracing::instrument(name = "store.resolve_report", skip_all, fields(report_id = %id))]
    pub async fn resolve_report(
        &self,
        id: Uuid,
        broker: Uuid,
        note: Option<String>,
        now: DateTime<Utc>,
    ) -> Result<StoredReport, StoreError> {
        let now = stored_precision(now);
        let transaction = self.begin_write().await?;
        let result = reports::Entity::update_many()
            .col_expr(reports::Column::Status, Expr::value(RESOLVED))
            .col_expr(reports::Column::ResolvedAt, Expr::value(now))
            .col_expr(reports::Column::ResolvedBy, Expr::value(broker))
            .col_expr(reports::Column::ResolutionNote, Expr::value(note))
            .filter(reports::Column::Id.eq(id))
            .filter(reports::Column::Status.eq(OPEN))
            .exec(&transaction)
            .await?;
        if result.rows_affected != 1 {
            return Err(StoreError::NotFound);
        }
        change_log::append(&transaction, ChangedEntity::Report, id, Operation::Resolved, now).await?;
        let report = reports::Entity::find_by_id(id).one(&transaction).await?.ok_or(StoreError::NotFound)?;
        transaction.commit().await?;
        Ok(report_from_row(report))
    }

    /// Reports raised by `reporter` (their export; reports about a person
    /// are never shown to them).
    pub async fn reports_by(&self, reporter: Uuid) -> Result<Vec<StoredReport>, StoreError> {
        let rows = reports::Entity::find()
            .filter(reports::Column::Reporter.eq(reporter))
            .order_by_asc(reports::Column::CreatedAt)
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(report_from_row).collect())
    }
}
