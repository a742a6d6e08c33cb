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

/// Index space of planted group members, far above any population size.
const PLANTED_BASE: u64 = 1 << 40;

/// The id of member `member` of planted group `group`.
pub fn planted_person_id(seed: u64, group: u64, member: u64) -> Uuid {
    demo_person_id(seed, PLANTED_BASE + group * 16 + member)
}

/// Inserts `count` demo people and `planted_groups` planted friendship
/// groups; returns each group's member ids.
pub async fn seed(
    store: &Store,
    reference: &Reference,
    count: u32,
    seed: u64,
    planted_groups: u32,
) -> Result<Vec<Vec<Uuid>>, StoreError> {
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
    let mut groups = Vec::with_capacity(planted_groups as usize);
    for group in 0..u64::from(planted_groups) {
        let members = population.planted_group(seed, group);
        let ids: Vec<Uuid> = (0..members.len() as u64).map(|member| planted_person_id(seed, group, member)).collect();
        batch.extend(ids.iter().copied().zip(members));
        groups.push(ids);
        if batch.len() >= 5000 {
            store.create_people(&batch, now).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        store.create_people(&batch, now).await?;
    }
    tracing::info!(count, seed, planted_groups, "demo population loaded");
    Ok(groups)
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
    seed(store, reference, count, seed_value, 0).await.map(|_| ())
}

/// Writes `count` demo people as import lines (`friends import`), each
/// with `external_ref` `DEMO-{index}`.
pub fn write_ndjson(
    reference: &Reference,
    count: u32,
    seed: u64,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let population = DemoPopulation::new(&reference.taxonomy, &reference.areas, Utc::now().year());
    for index in 0..u64::from(count) {
        let mut line = serde_json::to_value(population.person(seed, index)).map_err(std::io::Error::other)?;
        if let Some(object) = line.as_object_mut() {
            object.insert("external_ref".into(), serde_json::Value::String(format!("DEMO-{index}")));
        }
        serde_json::to_writer(&mut *out, &line).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
