//! Loading a synthetic demo population (`friends seed-demo`,
//! `FRIENDS_DEMO_PEOPLE`).

use chrono::{Datelike, Utc};
use friends_domain::demo::DemoPopulation;
use friends_store::{Store, StoreError};
use uuid::Uuid;

use crate::reference::Reference;

/// Seed used when none is given.
pub const DEFAULT_SEED: u64 = 20_261_122;

/// The id of demo person `index` of population `seed`: stable, so that the
/// README's examples and repeated runs name the same people.
pub fn demo_person_id(seed: u64, index: u64) -> Uuid {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&seed.to_be_bytes());
    bytes[8..].copy_from_slice(&index.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

/// Inserts `count` demo people.
pub async fn seed(store: &Store, reference: &Reference, count: u32, seed: u64) -> Result<(), StoreError> {
    let now = Utc::now();
    let population = DemoPopulation::new(&reference.taxonomy, &reference.areas, now.year());
    let mut batch = Vec::with_capacity(5000);
    for index in 0..u64::from(count) {
        batch.push((demo_person_id(seed, index), population.person(seed, index)));
        if batch.len() == 5000 {
            store.create_people(&batch, now).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        store.create_people(&batch, now).await?;
    }
    tracing::info!(count, seed, "demo population loaded");
    Ok(())
}

/// Inserts `count` demo people if the database has nobody yet.
pub async fn seed_if_empty(
    store: &Store,
    reference: &Reference,
    count: u32,
    seed_value: u64,
) -> Result<(), StoreError> {
    if store.count_people().await? > 0 {
        tracing::info!("people already present, demo population not loaded");
        return Ok(());
    }
    seed(store, reference, count, seed_value).await
}
