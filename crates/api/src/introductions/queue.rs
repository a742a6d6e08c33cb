//! The broker queue: requests waiting for review, open reports, open
//! residents' enquiries and check-ins that need a broker, oldest first, with
//! how long each has waited.

use friends_domain::policy::{self, Perspective, Rule};
use friends_store::QueueItem;
use serde::Serialize;

use super::input::QueueQuery;
use super::service::Introductions;
use super::views::{IntroductionView, view_as};
use crate::auth::Caller;
use crate::errors::{ApiError, page_limit, refused};
use crate::pages::{DEFAULT_PAGE, MAX_PAGE, Page, decode_cursor, encode_cursor, waited_in_words};

/// One item of the broker queue.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QueueItemView {
    /// A request to review.
    Introduction {
        /// How long it has waited, in seconds.
        waiting_seconds: i64,
        /// The same in words.
        waiting: String,
        /// The request, as brokers see it.
        #[serde(flatten)]
        introduction: Box<IntroductionView>,
    },
    /// A safeguarding report.
    Report {
        /// How long it has waited, in seconds.
        waiting_seconds: i64,
        /// The same in words.
        waiting: String,
        /// The report.
        #[serde(flatten)]
        report: crate::reports::ReportView,
    },
    /// A resident's enquiry about a listing (the council embed).
    Enquiry {
        /// How long it has waited, in seconds.
        waiting_seconds: i64,
        /// The same in words.
        waiting: String,
        /// The enquiry.
        #[serde(flatten)]
        enquiry: crate::embed::enquiries::EnquiryView,
    },
    /// A check-in answered `not_well`, or unanswered for 14 days.
    CheckIn {
        /// How long it has waited, in seconds.
        waiting_seconds: i64,
        /// The same in words.
        waiting: String,
        /// The check-in, with the person's note.
        #[serde(flatten)]
        check_in: crate::aftercare::check_ins::CheckInQueueView,
    },
}

impl Introductions<'_> {
    /// `GET /v1/broker/queue?authority=&cursor=&limit=`: oldest first.
    pub async fn queue(&self, caller: &Caller, query: QueueQuery) -> Result<Page<QueueItemView>, ApiError> {
        let limit = page_limit(query.limit, DEFAULT_PAGE, MAX_PAGE)?;
        let authorities = policy::queue_scope(caller.actor(), query.authority.as_deref())
            .map_err(|refusal| refused(refusal, Rule::BrokerQueue))?;
        let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
        let rows = self.store.broker_queue(&authorities, after, limit as u64 + 1).await?;
        let more = rows.len() > limit;
        let mut items = Vec::with_capacity(limit);
        for row in rows.iter().take(limit) {
            let (created_at, _) = row.key();
            let waiting_seconds = (self.now - created_at).num_seconds().max(0);
            let waiting = waited_in_words(waiting_seconds);
            items.push(match row {
                QueueItem::Introduction(introduction) => QueueItemView::Introduction {
                    waiting_seconds,
                    waiting,
                    introduction: Box::new(view_as(self.store, introduction, Perspective::Broker, true).await?),
                },
                QueueItem::Report(report) => {
                    QueueItemView::Report { waiting_seconds, waiting, report: crate::reports::ReportView::of(report) }
                }
                QueueItem::Enquiry(enquiry) => QueueItemView::Enquiry {
                    waiting_seconds,
                    waiting,
                    enquiry: crate::embed::enquiries::EnquiryView::of(enquiry),
                },
                QueueItem::CheckIn(check_in) => QueueItemView::CheckIn {
                    waiting_seconds,
                    waiting,
                    check_in: crate::aftercare::check_ins::CheckInQueueView::of(check_in),
                },
            });
        }
        let next_cursor = more.then(|| rows.get(limit - 1).map(QueueItem::key)).flatten();
        Ok(Page { items, next_cursor: next_cursor.map(|(at, id)| encode_cursor(at, id)) })
    }
}
