//! Reading introductions: one, a page of a caller's list, a person's
//! export, and what the exclusions index needs.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use super::{
    IntroductionFilter, IntroductionLinks, StoredIntroduction, in_authorities, involving, load, open_statuses,
    received_by, requested_by, with_members,
};
use crate::entities::introductions;
use crate::{Store, StoreError};

fn links_of(introduction: StoredIntroduction) -> IntroductionLinks {
    IntroductionLinks {
        id: introduction.id,
        approved: introduction.approved(),
        members: introduction.members.iter().map(|member| member.person).collect(),
        status: introduction.status,
        declined_at: introduction.declined_at,
    }
}

impl Store {
    /// The introduction with `id`.
    pub async fn get_introduction(&self, id: Uuid) -> Result<Option<StoredIntroduction>, StoreError> {
        load(&self.db, id).await
    }

    /// A page of introductions matching `filter`, newest first, after the
    /// keyset `after` = (created_at, id) of the last one seen.
    pub async fn introductions_page(
        &self,
        filter: &IntroductionFilter,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<Vec<StoredIntroduction>, StoreError> {
        let mut query = introductions::Entity::find();
        if !filter.all {
            let mut any = Condition::any();
            if !filter.requested_by.is_empty() {
                any = any.add(requested_by(&filter.requested_by));
            }
            if !filter.received_by.is_empty() {
                any = any.add(
                    Condition::all()
                        .add(received_by(&filter.received_by))
                        .add(introductions::Column::ApprovedAt.is_not_null()),
                );
            }
            if !filter.authorities.is_empty() {
                any = any.add(in_authorities(&filter.authorities));
            }
            if any.is_empty() {
                return Ok(Vec::new());
            }
            query = query.filter(any);
        }
        if let Some(status) = filter.status {
            query = query.filter(introductions::Column::Status.eq(status.as_str()));
        }
        if let Some(person) = filter.person {
            query = query.filter(involving(person));
        }
        if let Some((created_at, id)) = after {
            query = query.filter(
                Condition::any().add(introductions::Column::CreatedAt.lt(created_at)).add(
                    Condition::all()
                        .add(introductions::Column::CreatedAt.eq(created_at))
                        .add(introductions::Column::Id.lt(id)),
                ),
            );
        }
        let rows = query
            .order_by_desc(introductions::Column::CreatedAt)
            .order_by_desc(introductions::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await?;
        with_members(&self.db, rows).await
    }

    /// Every introduction `person` is a member of, oldest first (export).
    pub async fn person_introductions(&self, person: Uuid) -> Result<Vec<StoredIntroduction>, StoreError> {
        let rows = introductions::Entity::find()
            .filter(involving(person))
            .order_by_asc(introductions::Column::CreatedAt)
            .order_by_asc(introductions::Column::Id)
            .all(&self.db)
            .await?;
        with_members(&self.db, rows).await
    }

    /// What the exclusions index needs of these introductions.
    pub async fn introduction_links(&self, ids: &[Uuid]) -> Result<Vec<IntroductionLinks>, StoreError> {
        let mut links = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows = introductions::Entity::find()
                .filter(introductions::Column::Id.is_in(chunk.iter().copied()))
                .all(&self.db)
                .await?;
            links.extend(with_members(&self.db, rows).await?.into_iter().map(links_of));
        }
        Ok(links)
    }

    /// Every introduction that keeps its members apart at `now`: open ones,
    /// and those declined after `declined_since`.
    pub async fn excluding_introductions(
        &self,
        declined_since: DateTime<Utc>,
    ) -> Result<Vec<IntroductionLinks>, StoreError> {
        let rows = introductions::Entity::find()
            .filter(
                Condition::any()
                    .add(introductions::Column::Status.is_in(open_statuses()))
                    .add(introductions::Column::DeclinedAt.gt(declined_since)),
            )
            .all(&self.db)
            .await?;
        Ok(with_members(&self.db, rows).await?.into_iter().map(links_of).collect())
    }
}
