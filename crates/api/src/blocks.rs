//! Blocks (DESIGN §5): after a block the two never appear in each other's
//! suggestions or search, and the blocked person is told nothing.

use chrono::{DateTime, Utc};
use friends_domain::policy;
use friends_domain::{FieldCode, FieldError};
use friends_store::{Store, StoredBlock};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Caller;
use crate::errors::{ApiError, parse_body};
use crate::indexes::Indexes;

/// Body of `POST /v1/blocks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockInput {
    /// Who blocks (the caller, or someone they support).
    pub blocker: Uuid,
    /// Who is blocked.
    pub blocked: Uuid,
}

/// A block as its blocker sees it.
#[derive(Debug, Serialize)]
pub struct BlockView {
    /// Block id.
    pub id: Uuid,
    /// Who blocked.
    pub blocker: Uuid,
    /// Who was blocked.
    pub blocked: Uuid,
    /// When.
    pub created_at: chrono::DateTime<Utc>,
}

impl From<StoredBlock> for BlockView {
    fn from(block: StoredBlock) -> Self {
        Self { id: block.id, blocker: block.blocker, blocked: block.blocked, created_at: block.created_at }
    }
}

/// Whether the caller may block, or lift a block, on behalf of `person`.
fn acts_for(caller: &Caller, person: Uuid) -> bool {
    policy::act_for(caller.actor(), person).is_ok()
}

/// The blocks service.
#[derive(Debug, Clone)]
pub struct Blocks<'a> {
    /// The store.
    pub store: &'a Store,
    /// This node's indexes, caught up after writes.
    pub indexes: &'a Indexes,
    /// The time of this request.
    pub now: DateTime<Utc>,
}

impl Blocks<'_> {
    /// `POST /v1/blocks`.
    pub async fn create(&self, caller: &Caller, body: serde_json::Value) -> Result<BlockView, ApiError> {
        let input: BlockInput = parse_body(body)?;
        if !acts_for(caller, input.blocker) || self.store.person_authority(input.blocker).await?.is_none() {
            return Err(ApiError::NotFound);
        }
        if input.blocker == input.blocked {
            return Err(ApiError::Validation(vec![FieldError::new(
                "blocked",
                FieldCode::SamePerson,
                "A person cannot block themselves.",
            )]));
        }
        if self.store.person_authority(input.blocked).await?.is_none() {
            return Err(ApiError::NotFound);
        }
        // Open requests between them are withdrawn as the blocker's own act, so
        // the blocked person sees an ordinary withdrawal and nothing more.
        let actor = caller.event_actor(Some(input.blocker));
        let block = self.store.create_block(Uuid::new_v4(), input.blocker, input.blocked, &actor, self.now).await?;
        self.indexes.settle(self.store).await;
        tracing::info!(block_id = %block.id, "block created");
        Ok(block.into())
    }

    /// `DELETE /v1/blocks/{id}`.
    pub async fn remove(&self, caller: &Caller, id: Uuid) -> Result<(), ApiError> {
        match self.store.get_block(id).await? {
            Some(block) if block.removed_at.is_none() && acts_for(caller, block.blocker) => {}
            _ => return Err(ApiError::NotFound),
        }
        self.store.remove_block(id, self.now).await?;
        self.indexes.settle(self.store).await;
        tracing::info!(block_id = %id, "block lifted");
        Ok(())
    }
}
