//! The broker queue: requests waiting for review, open reports, open
//! residents' enquiries and check-ins that need a broker (`not_well`, or
//! unanswered for 14 days) in the broker's authorities, oldest first.

use chrono::{DateTime, Utc};
use friends_domain::introduction::IntroductionStatus;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{StoredIntroduction, in_authorities, with_members};
use crate::check_ins::{ATTENTION_OPEN, StoredCheckIn, check_in_from_row};
use crate::enquiries::{OPEN as ENQUIRY_OPEN, StoredEnquiry, enquiry_from_row};
use crate::entities::{check_ins, enquiries, introductions, reports};
use crate::reports::{OPEN, StoredReport, report_from_row};
use crate::{Store, StoreError};

/// One item of the broker queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueItem {
    /// A request waiting for review.
    Introduction(StoredIntroduction),
    /// An open report.
    Report(StoredReport),
    /// An open enquiry from a resident (the council embed).
    Enquiry(StoredEnquiry),
    /// A check-in answered `not_well`, or left unanswered for 14 days.
    CheckIn(StoredCheckIn),
}

impl QueueItem {
    /// The queue's order key: oldest first, then id.
    pub fn key(&self) -> (DateTime<Utc>, Uuid) {
        match self {
            Self::Introduction(introduction) => (introduction.created_at, introduction.id),
            Self::Report(report) => (report.created_at, report.id),
            Self::Enquiry(enquiry) => (enquiry.created_at, enquiry.id),
            Self::CheckIn(check_in) => (check_in.flagged_at.unwrap_or(check_in.due_at), check_in.id),
        }
    }
}

impl Store {
    /// The broker queue for `authorities`: requests waiting for review, open
    /// reports and open enquiries, oldest first, after the keyset `after`.
    pub async fn broker_queue(
        &self,
        authorities: &[String],
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<Vec<QueueItem>, StoreError> {
        let mut requests = introductions::Entity::find()
            .filter(introductions::Column::Status.eq(IntroductionStatus::PendingReview.as_str()))
            .filter(in_authorities(authorities));
        let mut open_reports = reports::Entity::find()
            .filter(reports::Column::Status.eq(OPEN))
            .filter(reports::Column::AboutAuthority.is_in(authorities.iter().cloned()));
        let mut open_enquiries = enquiries::Entity::find()
            .filter(enquiries::Column::Status.eq(ENQUIRY_OPEN))
            .filter(enquiries::Column::Authority.is_in(authorities.iter().cloned()));
        let mut check_ins_open = check_ins::Entity::find()
            .filter(check_ins::Column::Attention.eq(ATTENTION_OPEN))
            .filter(check_ins::Column::Authority.is_in(authorities.iter().cloned()));
        if let Some((created_at, id)) = after {
            check_ins_open =
                check_ins_open.filter(Condition::any().add(check_ins::Column::FlaggedAt.gt(created_at)).add(
                    Condition::all().add(check_ins::Column::FlaggedAt.eq(created_at)).add(check_ins::Column::Id.gt(id)),
                ));
            open_enquiries =
                open_enquiries.filter(Condition::any().add(enquiries::Column::CreatedAt.gt(created_at)).add(
                    Condition::all().add(enquiries::Column::CreatedAt.eq(created_at)).add(enquiries::Column::Id.gt(id)),
                ));
            requests = requests.filter(
                Condition::any().add(introductions::Column::CreatedAt.gt(created_at)).add(
                    Condition::all()
                        .add(introductions::Column::CreatedAt.eq(created_at))
                        .add(introductions::Column::Id.gt(id)),
                ),
            );
            open_reports =
                open_reports.filter(Condition::any().add(reports::Column::CreatedAt.gt(created_at)).add(
                    Condition::all().add(reports::Column::CreatedAt.eq(created_at)).add(reports::Column::Id.gt(id)),
                ));
        }
        let requests = requests
            .order_by_asc(introductions::Column::CreatedAt)
            .order_by_asc(introductions::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let open_reports = open_reports
            .order_by_asc(reports::Column::CreatedAt)
            .order_by_asc(reports::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let open_enquiries = open_enquiries
            .order_by_asc(enquiries::Column::CreatedAt)
            .order_by_asc(enquiries::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let check_ins_open = check_ins_open
            .order_by_asc(check_ins::Column::FlaggedAt)
            .order_by_asc(check_ins::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        let mut items = Vec::with_capacity(requests.len() + open_reports.len() + open_enquiries.len());
        for row in check_ins_open {
            items.push(QueueItem::CheckIn(check_in_from_row(row)?));
        }
        items.extend(with_members(&self.db, requests).await?.into_iter().map(QueueItem::Introduction));
        items.extend(open_reports.into_iter().map(|row| QueueItem::Report(report_from_row(row))));
        for row in open_enquiries {
            items.push(QueueItem::Enquiry(enquiry_from_row(row)?));
        }
        items.sort_by_key(QueueItem::key);
        items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(items)
    }
}

/// How many items wait in the broker queues of every authority, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Requests waiting for review.
    pub requests: u64,
    /// Open reports.
    pub reports: u64,
    /// Open enquiries from residents.
    pub enquiries: u64,
    /// Check-ins that need a broker.
    pub check_ins: u64,
}

impl Store {
    /// The depth of every broker queue together, by kind (four counts on
    /// indexed columns; the metrics read it at each scrape).
    pub async fn queue_depth(&self) -> Result<QueueDepth, StoreError> {
        use sea_orm::PaginatorTrait;
        Ok(QueueDepth {
            requests: introductions::Entity::find()
                .filter(introductions::Column::Status.eq(IntroductionStatus::PendingReview.as_str()))
                .count(&self.db)
                .await?,
            reports: reports::Entity::find().filter(reports::Column::Status.eq(OPEN)).count(&self.db).await?,
            enquiries: enquiries::Entity::find()
                .filter(enquiries::Column::Status.eq(ENQUIRY_OPEN))
                .count(&self.db)
                .await?,
            check_ins: check_ins::Entity::find()
                .filter(check_ins::Column::Attention.eq(ATTENTION_OPEN))
                .count(&self.db)
                .await?,
        })
    }
}
