//! The store suite, run against every backend: SQLite always, PostgreSQL
//! whenever `TEST_DATABASE_URL` is set (CI sets it and `REQUIRE_POSTGRES=1`).

use std::sync::Arc;

use chrono::Utc;
use friends_domain::areas::Areas;
use friends_domain::demo::DemoPopulation;
use friends_domain::person::PersonRecord;
use friends_domain::taxonomy::Taxonomy;
use friends_store::{Backend as StoreBackend, Store, StoreError};
use uuid::Uuid;

use crate::helpers::*;

/// A fresh, migrated store on each backend available, with its folder.
async fn stores() -> Vec<(Store, tempfile::TempDir)> {
    init_logs();
    let mut stores = Vec::new();
    let Ok(dir) = tempfile::tempdir() else { panic!("tempdir") };
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("friends.db").display());
    stores.push((open(&url).await, dir));
    match postgres_base_url() {
        Some(base) => {
            let url = fresh_postgres_database(&base).await;
            let Ok(dir) = tempfile::tempdir() else { panic!("tempdir") };
            stores.push((open(&url).await, dir));
        }
        None => eprintln!("SKIPPED (loudly): the PostgreSQL variant of this store test needs TEST_DATABASE_URL"),
    }
    stores
}

async fn open(url: &str) -> Store {
    let store = match Store::connect(url).await {
        Ok(store) => store,
        Err(error) => panic!("connect: {error}"),
    };
    if let Err(error) = store.migrate().await {
        panic!("migrate: {error}");
    }
    store
}

fn records(count: u64) -> Vec<PersonRecord> {
    let taxonomy = Taxonomy::from_json(include_str!("../../data/taxonomy.json"));
    let areas = Areas::from_csv(
        include_str!("../../data/uk_outcodes_gb.csv"),
        include_str!("../../data/lad_uk_codes_names.csv"),
    );
    let (Ok(taxonomy), Ok(areas)) = (taxonomy, areas) else { panic!("shipped data") };
    let population = DemoPopulation::new(&taxonomy, &areas, 2026);
    (0..count).map(|index| population.person(99, index)).collect()
}

#[tokio::test]
async fn people_round_trip_exactly_on_every_backend() {
    for (store, _dir) in stores().await {
        let now = Utc::now();
        for record in records(20) {
            let id = Uuid::new_v4();
            let created = store.create_person(id, &record, now).await;
            assert!(created.is_ok(), "{:?}", store.backend());
            let Ok(Some(read)) = store.get_person(id).await else { panic!("read back") };
            assert_eq!(read.record, record, "{:?}", store.backend());
            assert_eq!(read.version, 1);
        }
        assert!(store.get_person(Uuid::new_v4()).await.is_ok_and(|found| found.is_none()));
    }
}

#[tokio::test]
async fn versions_are_optimistic_and_every_write_appends_one_change() {
    for (store, _dir) in stores().await {
        let backend = store.backend();
        let now = Utc::now();
        let mut people = records(2);
        let (first, second) = (people.remove(0), people.remove(0));
        let id = Uuid::new_v4();
        let start = store.last_change_seq().await.unwrap_or(-1);
        assert!(store.create_person(id, &first, now).await.is_ok());
        assert!(matches!(store.create_person(id, &first, now).await, Err(StoreError::AlreadyExists)), "{backend:?}");
        let updated = store.update_person(id, 1, &second, now).await;
        assert!(updated.as_ref().is_ok_and(|person| person.version == 2), "{backend:?}");
        let stale = store.update_person(id, 1, &first, now).await;
        assert!(matches!(stale, Err(StoreError::VersionConflict { current: 2 })), "{backend:?}: {stale:?}");
        assert!(matches!(store.update_person(Uuid::new_v4(), 1, &first, now).await, Err(StoreError::NotFound)));
        assert!(store.erase_person(id, &friends_store::EventActor::system(), now).await.is_ok());
        assert!(matches!(
            store.erase_person(id, &friends_store::EventActor::system(), now).await,
            Err(StoreError::NotFound)
        ));

        let Ok(changes) = store.person_changes(id).await else { panic!("changes") };
        let operations: Vec<&str> = changes.iter().map(|change| change.operation.as_str()).collect();
        assert_eq!(operations, vec!["created", "updated", "erased"], "{backend:?}: failed writes log nothing");
        assert!(changes.windows(2).all(|pair| pair[0].seq < pair[1].seq));
        assert_eq!(store.last_change_seq().await.ok(), Some(start + 3), "{backend:?}");
    }
}

#[tokio::test]
async fn concurrent_updates_of_one_version_have_exactly_one_winner() {
    for (store, _dir) in stores().await {
        let store = Arc::new(store);
        let now = Utc::now();
        let record = records(1).remove(0);
        let id = Uuid::new_v4();
        assert!(store.create_person(id, &record, now).await.is_ok());
        let tasks = (0..16).map(|writer| {
            let store = store.clone();
            let mut record = record.clone();
            tokio::spawn(async move {
                record.about = format!("writer {writer}");
                store.update_person(id, 1, &record, Utc::now()).await
            })
        });
        let mut wins = 0;
        for task in tasks {
            match task.await {
                Ok(Ok(_)) => wins += 1,
                Ok(Err(StoreError::VersionConflict { .. })) => {}
                other => panic!("{:?}: unexpected {other:?}", store.backend()),
            }
        }
        assert_eq!(wins, 1, "{:?}", store.backend());
        let Ok(changes) = store.person_changes(id).await else { panic!("changes") };
        assert_eq!(changes.len(), 2, "one create, one winning update");
    }
}

#[tokio::test]
async fn bulk_creation_logs_one_change_per_person_in_order() {
    for (store, _dir) in stores().await {
        let now = Utc::now();
        let people: Vec<(Uuid, PersonRecord)> =
            records(450).into_iter().map(|record| (Uuid::new_v4(), record)).collect();
        let before = store.last_change_seq().await.unwrap_or(-1);
        assert!(store.create_people(&people, now).await.is_ok());
        assert_eq!(store.count_people().await.ok(), Some(450));
        assert_eq!(store.last_change_seq().await.ok(), Some(before + 450), "{:?}", store.backend());
    }
}

#[tokio::test]
async fn sqlite_runs_in_wal_with_the_safety_pragmas() {
    let stores = stores().await;
    let Some((store, _dir)) = stores.iter().find(|(store, _)| store.backend() == StoreBackend::Sqlite) else {
        panic!("SQLite always runs")
    };
    for (pragma, expected) in
        [("journal_mode", "wal"), ("foreign_keys", "1"), ("secure_delete", "1"), ("synchronous", "2")]
    {
        assert_eq!(store.pragma_text(pragma).await.ok().as_deref(), Some(expected), "{pragma}");
    }
    let timeout: i64 = store.pragma_text("busy_timeout").await.ok().and_then(|text| text.parse().ok()).unwrap_or(0);
    assert!(timeout >= 5000, "busy_timeout {timeout}");
}

#[tokio::test]
async fn an_unknown_database_scheme_is_refused_clearly() {
    assert!(matches!(Store::connect("mysql://localhost/friends").await, Err(StoreError::Setup(_))));
}
