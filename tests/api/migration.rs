//! Upgrading a live database: pairs stored at the schema before the members
//! model (migrations 1 to 4, `requester`/`recipient` columns) in every state,
//! then migrated by the service's own start, read back through the API as
//! every caller.
//!
//! What the API answered for this database is recorded in
//! `fixtures/previous_schema_views.json`, written by the service as it was
//! *before* the members migration (commit 3cceade, with this same test and
//! `FRIENDS_WRITE_GOLDEN=1`). Every run, on SQLite and on PostgreSQL, must
//! read back exactly that. Times are written relative to the fixture's own
//! base time, so that the recording holds on any day.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, DurationRound, Utc};
use friends_api::auth::Role;
use friends_api::config::Secret;
use friends_api::reference::Reference;
use friends_migrations::{Migrator, MigratorTrait};
use friends_store::Store;
use reqwest::Method;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::introductions::call;

/// How many migrations made the previous schema.
const PREVIOUS_SCHEMA: u32 = 4;
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/api/fixtures/previous_schema_views.json");
const SEED: u64 = 77;
const PEOPLE: u32 = 12;

/// One event as the previous schema stored it.
struct OldEvent {
    offset_minutes: i64,
    action: &'static str,
    actor: Option<usize>,
    role: &'static str,
    on_behalf_of: Option<usize>,
    from: Option<&'static str>,
    to: &'static str,
    note: Option<&'static str>,
    supported_by: Option<&'static str>,
}

/// One introduction as the previous schema stored it.
struct OldIntroduction {
    requester: usize,
    recipient: usize,
    created_by_role: &'static str,
    status: &'static str,
    message: Option<&'static str>,
    reasons: &'static [&'static str],
    flags: &'static [&'static str],
    requester_consent: &'static str,
    recipient_consent: &'static str,
    closed_by: Option<&'static str>,
    approved: bool,
    declined: bool,
    redacted: bool,
    events: Vec<OldEvent>,
}

#[allow(clippy::too_many_arguments)]
fn event(
    offset_minutes: i64,
    action: &'static str,
    actor: Option<usize>,
    role: &'static str,
    on_behalf_of: Option<usize>,
    from: Option<&'static str>,
    to: &'static str,
    note: Option<&'static str>,
) -> OldEvent {
    OldEvent { offset_minutes, action, actor, role, on_behalf_of, from, to, note, supported_by: None }
}

/// Person indexes: 0..12 are demo people; `BROKER` and `SUPPORTER` are
/// staff ids (not people).
const BROKER: usize = 100;
const SUPPORTER: usize = 101;

fn cases() -> Vec<OldIntroduction> {
    let requested = |by: usize, role: &'static str, on: usize| {
        event(0, "requested", Some(by), role, Some(on), None, "pending_review", None)
    };
    let approved = |at: i64| {
        event(
            at,
            "approved",
            Some(BROKER),
            "broker",
            None,
            Some("pending_review"),
            "awaiting_consent",
            Some("Fine to go ahead."),
        )
    };
    let base = OldIntroduction {
        requester: 0,
        recipient: 1,
        created_by_role: "member",
        status: "pending_review",
        message: Some("Hello, I would like to go to the cinema together."),
        reasons: &["You both like films.", "About 2 to 5 km apart."],
        flags: &[],
        requester_consent: "accepted",
        recipient_consent: "awaiting",
        closed_by: None,
        approved: false,
        declined: false,
        redacted: false,
        events: vec![],
    };
    vec![
        // Waiting for a broker, asked personally.
        OldIntroduction { events: vec![requested(0, "member", 0)], ..base },
        // Drafted by a supporter, with a flagged message.
        OldIntroduction {
            requester: 2,
            recipient: 3,
            created_by_role: "supporter",
            message: Some("Can you send me money for the tickets?"),
            flags: &["asks_for_money"],
            requester_consent: "awaiting",
            events: vec![requested(SUPPORTER, "supporter", 2)],
            ..base
        },
        // Approved, the requester's yes given, the recipient's awaited.
        OldIntroduction {
            requester: 4,
            recipient: 5,
            status: "awaiting_consent",
            approved: true,
            events: vec![requested(4, "member", 4), approved(10)],
            ..base
        },
        // Introduced: both said yes, one with help.
        OldIntroduction {
            requester: 6,
            recipient: 7,
            status: "introduced",
            recipient_consent: "accepted",
            approved: true,
            events: vec![
                requested(6, "member", 6),
                approved(10),
                OldEvent {
                    supported_by: Some("my sister"),
                    ..event(20, "consented", Some(7), "member", Some(7), Some("awaiting_consent"), "introduced", None)
                },
            ],
            ..base
        },
        // Ended by the recipient after the introduction.
        OldIntroduction {
            requester: 8,
            recipient: 9,
            status: "ended",
            recipient_consent: "accepted",
            closed_by: Some("recipient"),
            approved: true,
            events: vec![
                requested(8, "member", 8),
                approved(10),
                event(20, "consented", Some(9), "member", Some(9), Some("awaiting_consent"), "introduced", None),
                event(30, "ended", Some(9), "member", Some(9), Some("introduced"), "ended", None),
            ],
            ..base
        },
        // Declined by the broker at review, with a reason.
        OldIntroduction {
            requester: 10,
            recipient: 11,
            status: "declined",
            declined: true,
            events: vec![
                requested(10, "member", 10),
                event(
                    10,
                    "declined",
                    Some(BROKER),
                    "broker",
                    None,
                    Some("pending_review"),
                    "declined",
                    Some("The message worried me."),
                ),
            ],
            ..base
        },
        // Declined by the recipient.
        OldIntroduction {
            requester: 0,
            recipient: 2,
            status: "declined",
            recipient_consent: "declined",
            closed_by: Some("recipient"),
            approved: true,
            declined: true,
            events: vec![
                requested(0, "member", 0),
                approved(10),
                event(20, "declined", Some(2), "member", Some(2), Some("awaiting_consent"), "declined", None),
            ],
            ..base
        },
        // Withdrawn by the requester before review.
        OldIntroduction {
            requester: 1,
            recipient: 3,
            status: "withdrawn",
            closed_by: Some("requester"),
            events: vec![
                requested(1, "member", 1),
                event(10, "withdrew", Some(1), "member", Some(1), Some("pending_review"), "withdrawn", None),
            ],
            ..base
        },
        // Withdrawn by the recipient's supporter after approval.
        OldIntroduction {
            requester: 4,
            recipient: 6,
            status: "withdrawn",
            closed_by: Some("recipient"),
            approved: true,
            events: vec![
                requested(4, "member", 4),
                approved(10),
                event(
                    20,
                    "withdrew",
                    Some(SUPPORTER),
                    "supporter",
                    Some(6),
                    Some("awaiting_consent"),
                    "withdrawn",
                    None,
                ),
            ],
            ..base
        },
        // Expired while waiting for consent.
        OldIntroduction {
            requester: 5,
            recipient: 8,
            status: "expired",
            approved: true,
            events: vec![
                requested(5, "member", 5),
                approved(10),
                event(40, "expired", None, "system", None, Some("awaiting_consent"), "expired", None),
            ],
            ..base
        },
        // A draft the requester said no to (withdrawn, requester declined).
        OldIntroduction {
            requester: 7,
            recipient: 10,
            created_by_role: "broker",
            status: "withdrawn",
            requester_consent: "declined",
            closed_by: Some("requester"),
            events: vec![
                requested(BROKER, "broker", 7),
                event(10, "declined", Some(7), "member", Some(7), Some("pending_review"), "withdrawn", None),
            ],
            ..base
        },
        // Ended by an erasure: its text redacted.
        OldIntroduction {
            requester: 9,
            recipient: 11,
            status: "ended",
            message: None,
            reasons: &[],
            recipient_consent: "accepted",
            closed_by: Some("requester"),
            approved: true,
            redacted: true,
            events: vec![
                requested(9, "member", 9),
                event(10, "approved", Some(BROKER), "broker", None, Some("pending_review"), "awaiting_consent", None),
                event(20, "consented", Some(11), "member", Some(11), Some("awaiting_consent"), "introduced", None),
                event(30, "ended", Some(BROKER), "admin", Some(9), Some("introduced"), "ended", None),
            ],
            ..base
        },
    ]
}

fn strings(values: &[&str]) -> Value {
    Value::Array(values.iter().map(|value| Value::String((*value).to_owned())).collect())
}

async fn execute(db: &DatabaseConnection, statement: Statement) {
    if let Err(error) = db.execute_raw(statement).await {
        panic!("fixture insert: {error}");
    }
}

async fn insert(db: &DatabaseConnection, statement: &sea_orm::sea_query::InsertStatement) {
    execute(db, db.get_database_backend().build(statement)).await;
}

/// Writes the fixture at the previous schema; returns the introduction ids.
async fn populate(
    db: &DatabaseConnection,
    people: &[Uuid],
    staff: &BTreeMap<usize, Uuid>,
    base: DateTime<Utc>,
) -> Vec<Uuid> {
    let who = |index: usize| staff.get(&index).copied().unwrap_or_else(|| people[index]);
    let authorities: Vec<String> = {
        let rows = match db
            .query_all_raw(Statement::from_string(db.get_database_backend(), "SELECT id, authority_code FROM people"))
            .await
        {
            Ok(rows) => rows,
            Err(error) => panic!("read people: {error}"),
        };
        let found: Vec<(Uuid, String)> = rows
            .iter()
            .filter_map(|row| {
                Some((row.try_get::<Uuid>("", "id").ok()?, row.try_get::<String>("", "authority_code").ok()?))
            })
            .collect();
        people
            .iter()
            .map(|id| found.iter().find(|(found, _)| found == id).map(|(_, code)| code.clone()).unwrap_or_default())
            .collect()
    };
    let mut ids = Vec::new();
    for (number, case) in cases().into_iter().enumerate() {
        let id = Uuid::from_u128(0xF1F0_0000_0000_0000_0000_0000_0000_0000 + number as u128);
        let created_at = base + Duration::hours(number as i64);
        let last_event = case.events.last().map_or(0, |event| event.offset_minutes);
        let last_action_at = created_at + Duration::minutes(last_event);
        let approved_at = case.approved.then(|| created_at + Duration::minutes(10));
        let declined_at = case.declined.then_some(last_action_at);
        let created_by = match case.created_by_role {
            "member" => people[case.requester],
            "broker" => who(BROKER),
            _ => who(SUPPORTER),
        };
        let mut statement = Query::insert();
        statement
            .into_table(Alias::new("introductions"))
            .columns(
                [
                    "id",
                    "version",
                    "requester",
                    "recipient",
                    "requester_authority",
                    "recipient_authority",
                    "created_by",
                    "created_by_role",
                    "status",
                    "message",
                    "reasons",
                    "flags",
                    "requester_consent",
                    "recipient_consent",
                    "closed_by",
                    "approved_at",
                    "declined_at",
                    "last_action_at",
                    "redacted",
                    "created_at",
                    "updated_at",
                ]
                .map(Alias::new),
            )
            .values_panic([
                id.into(),
                (case.events.len() as i64).into(),
                people[case.requester].into(),
                people[case.recipient].into(),
                authorities[case.requester].clone().into(),
                authorities[case.recipient].clone().into(),
                created_by.into(),
                case.created_by_role.into(),
                case.status.into(),
                case.message.map(str::to_owned).into(),
                strings(case.reasons).into(),
                strings(case.flags).into(),
                case.requester_consent.into(),
                case.recipient_consent.into(),
                case.closed_by.map(str::to_owned).into(),
                approved_at.into(),
                declined_at.into(),
                last_action_at.into(),
                case.redacted.into(),
                created_at.into(),
                last_action_at.into(),
            ]);
        insert(db, &statement).await;
        for old in &case.events {
            let mut statement = Query::insert();
            statement
                .into_table(Alias::new("introduction_events"))
                .columns(
                    [
                        "introduction_id",
                        "at",
                        "action",
                        "actor",
                        "actor_role",
                        "on_behalf_of",
                        "from_status",
                        "to_status",
                    ]
                    .map(Alias::new),
                )
                .values_panic([
                    id.into(),
                    (created_at + Duration::minutes(old.offset_minutes)).into(),
                    old.action.into(),
                    old.actor.map(who).into(),
                    old.role.into(),
                    old.on_behalf_of.map(|index| people[index]).into(),
                    old.from.map(str::to_owned).into(),
                    old.to.into(),
                ]);
            insert(db, &statement).await;
            if old.note.is_some() || old.supported_by.is_some() {
                let seq = match db
                    .query_one_raw(Statement::from_string(
                        db.get_database_backend(),
                        "SELECT MAX(seq) AS seq FROM introduction_events",
                    ))
                    .await
                {
                    Ok(Some(row)) => row.try_get::<i64>("", "seq").unwrap_or_default(),
                    other => panic!("read seq: {other:?}"),
                };
                let mut statement = Query::insert();
                statement
                    .into_table(Alias::new("event_notes"))
                    .columns(["event_seq", "introduction_id", "note", "supported_by"].map(Alias::new))
                    .values_panic([
                        seq.into(),
                        id.into(),
                        old.note.map(str::to_owned).into(),
                        old.supported_by.map(str::to_owned).into(),
                    ]);
                insert(db, &statement).await;
            }
        }
        ids.push(id);
    }
    ids
}

/// Replaces every timestamp by its distance from `base`, and drops what
/// depends on the time of the run (a queue item's waiting time).
fn normalise(value: &mut Value, base: DateTime<Utc>) {
    match value {
        Value::String(text) => {
            if let Ok(at) = DateTime::parse_from_rfc3339(text) {
                *text = format!("base{:+}s", (at.with_timezone(&Utc) - base).num_seconds());
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| normalise(item, base)),
        Value::Object(fields) => {
            fields.remove("waiting_seconds");
            fields.remove("waiting");
            fields.values_mut().for_each(|field| normalise(field, base));
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

async fn read_everything(
    app: &TestApp,
    people: &[Uuid],
    staff: &BTreeMap<usize, Uuid>,
    ids: &[Uuid],
    authorities: &[String],
    base: DateTime<Utc>,
) -> Value {
    let mut callers: Vec<(String, String)> = people
        .iter()
        .enumerate()
        .map(|(index, person)| (format!("member {index}"), app.token(Role::Member, *person)))
        .collect();
    callers.push((
        "supporter of 2 and 6".into(),
        app.token_with(Role::Supporter, staff[&SUPPORTER], vec![people[2], people[6]], vec![]),
    ));
    let brokered: Vec<&str> = authorities.iter().map(String::as_str).collect();
    callers.push(("broker for everyone".into(), app.token_with(Role::Broker, staff[&BROKER], vec![], brokered)));
    callers.push((
        "broker elsewhere".into(),
        app.token_with(Role::Broker, Uuid::from_u128(99), vec![], vec!["S12000036"]),
    ));
    callers.push(("admin".into(), app.token(Role::Admin, Uuid::from_u128(98))));
    let mut seen = serde_json::Map::new();
    for (name, token) in &callers {
        let mut answers = serde_json::Map::new();
        for (number, id) in ids.iter().enumerate() {
            let (status, view) = call(app, Method::GET, &format!("/v1/introductions/{id}"), token, None).await;
            let (events_status, events) =
                call(app, Method::GET, &format!("/v1/introductions/{id}/events"), token, None).await;
            let keep = |status: u16, body: Value| if status == 200 { body } else { json!(status) };
            answers.insert(
                format!("case {number}"),
                json!({"view": keep(status, view), "events": keep(events_status, events)}),
            );
        }
        let (status, list) = call(app, Method::GET, "/v1/introductions?limit=100", token, None).await;
        answers.insert("list".into(), if status == 200 { list } else { json!(status) });
        let (status, queue) = call(app, Method::GET, "/v1/broker/queue?limit=100", token, None).await;
        answers.insert("queue".into(), if status == 200 { queue } else { json!(status) });
        seen.insert(name.clone(), Value::Object(answers));
    }
    // Each person's export, as they see their introductions.
    for (index, person) in people.iter().enumerate() {
        let token = app.token(Role::Member, *person);
        let (status, export) = call(app, Method::GET, &format!("/v1/people/{person}/export"), &token, None).await;
        assert_eq!(status, 200, "{export}");
        seen.insert(format!("export of {index}"), export["introductions"].clone());
    }
    let mut seen = Value::Object(seen);
    normalise(&mut seen, base);
    seen
}

/// What the API does not show of the members: who left, and who helped.
async fn check_member_rows(database_url: &str, ids: &[Uuid]) {
    let db = match Database::connect(database_url).await {
        Ok(db) => db,
        Err(error) => panic!("connect: {error}"),
    };
    let rows = match db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT introduction_id, place, supported_by, left_at FROM introduction_members",
        ))
        .await
    {
        Ok(rows) => rows,
        Err(error) => panic!("read members: {error}"),
    };
    assert_eq!(rows.len(), 2 * ids.len(), "every pair has exactly two members");
    let mut left = Vec::new();
    let mut helped = Vec::new();
    for row in &rows {
        let (Ok(id), Ok(place)) = (row.try_get::<Uuid>("", "introduction_id"), row.try_get::<i16>("", "place")) else {
            panic!("a member row without its keys")
        };
        let case = ids.iter().position(|known| *known == id).unwrap_or(usize::MAX);
        if row.try_get::<Option<DateTime<Utc>>>("", "left_at").ok().flatten().is_some() {
            left.push((case, place));
        }
        if let Ok(Some(by)) = row.try_get::<Option<String>>("", "supported_by") {
            helped.push((case, place, by));
        }
    }
    left.sort_unstable();
    // Ended by the recipient (4), withdrawn by the requester (7), by the
    // recipient's supporter (8), the requester's no to a draft (10), and the
    // erasure's end (11).
    assert_eq!(left, vec![(4, 1), (7, 0), (8, 1), (10, 0), (11, 0)]);
    assert_eq!(helped, vec![(3, 1, "my sister".to_owned())]);
    let _ = db.close().await;
}

async fn previous_schema_reads_back_identically(backend: Backend, round_trip: bool) {
    init_logs();
    let data_dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("tempdir: {error}"),
    };
    let database_url = match backend {
        Backend::Sqlite => format!("sqlite://{}?mode=rwc", data_dir.path().join("friends.db").display()),
        Backend::Postgres => {
            let Some(base) = postgres_base_url() else { panic!("PostgreSQL asked for without TEST_DATABASE_URL") };
            fresh_postgres_database(&base).await
        }
    };
    // The fixture's own time: a few days ago, to the second, so that no
    // request is due to expire when the service starts.
    let base = match (Utc::now() - Duration::days(5)).duration_trunc(Duration::days(1)) {
        Ok(base) => base,
        Err(error) => panic!("{error}"),
    };
    let people: Vec<Uuid> =
        (0..u64::from(PEOPLE)).map(|index| friends_api::demo::demo_person_id(SEED, index)).collect();
    let staff = BTreeMap::from([(BROKER, Uuid::from_u128(0xB0)), (SUPPORTER, Uuid::from_u128(0x5A))]);
    {
        let db = match Database::connect(&database_url).await {
            Ok(db) => db,
            Err(error) => panic!("connect: {error}"),
        };
        if let Err(error) = Migrator::up(&db, Some(PREVIOUS_SCHEMA)).await {
            panic!("the previous schema: {error}");
        }
        let store = match Store::connect(&database_url).await {
            Ok(store) => store,
            Err(error) => panic!("store: {error}"),
        };
        let reference = match Reference::load() {
            Ok(reference) => reference,
            Err(error) => panic!("{error}"),
        };
        if let Err(error) = friends_api::demo::seed(&store, &reference, PEOPLE, SEED, 0).await {
            panic!("people: {error}");
        }
        let _ = store.close().await;
        populate(&db, &people, &staff, base).await;
        if round_trip {
            // Up to the members model and back down: the service then
            // migrates up again at start, and must read the same.
            if let Err(error) = Migrator::up(&db, None).await {
                panic!("up: {error}");
            }
            if let Err(error) = Migrator::down(&db, Some(1)).await {
                panic!("down to the previous schema: {error}");
            }
        }
        let _ = db.close().await;
    }
    let mut settings = test_settings(data_dir.path());
    settings.database_url = Some(Secret::new(database_url.clone()));
    let jwt = settings.jwt.clone();
    let application = match friends_api::startup::Application::build(settings).await {
        Ok(application) => application,
        Err(error) => panic!("the app must start on a database at the previous schema: {error}"),
    };
    let address = format!("http://127.0.0.1:{}", application.port());
    let handle = application.handle();
    tokio::spawn(application.run_until_stopped());
    let app = TestApp {
        address,
        client: reqwest::Client::new(),
        data_dir,
        database_url,
        backend,
        jwt,
        handle,
        ops_address: None,
        metrics_address: None,
    };
    let store = match Store::connect(&app.database_url).await {
        Ok(store) => store,
        Err(error) => panic!("store: {error}"),
    };
    let mut authorities = Vec::new();
    for person in &people {
        match store.person_authority(*person).await {
            Ok(Some(code)) => authorities.push(code),
            other => panic!("authority of a fixture person: {other:?}"),
        }
    }
    authorities.sort();
    authorities.dedup();
    let ids: Vec<Uuid> = (0..cases().len())
        .map(|number| Uuid::from_u128(0xF1F0_0000_0000_0000_0000_0000_0000_0000 + number as u128))
        .collect();
    check_member_rows(&app.database_url, &ids).await;
    let seen = read_everything(&app, &people, &staff, &ids, &authorities, base).await;
    let text = match serde_json::to_string_pretty(&seen) {
        Ok(text) => text + "\n",
        Err(error) => panic!("{error}"),
    };
    if !round_trip && std::env::var("FRIENDS_WRITE_GOLDEN").is_ok_and(|value| value == "1") {
        if let Err(error) = std::fs::write(GOLDEN, &text) {
            panic!("write {GOLDEN}: {error}");
        }
        eprintln!("WROTE {GOLDEN}: this run recorded the views instead of checking them");
        return;
    }
    let recorded = match std::fs::read_to_string(GOLDEN) {
        Ok(recorded) => recorded,
        Err(error) => panic!("read {GOLDEN}: {error}"),
    };
    let recorded: Value = match serde_json::from_str(&recorded) {
        Ok(recorded) => recorded,
        Err(error) => panic!("{GOLDEN}: {error}"),
    };
    // Compare caller by caller, so that a failure names who reads what.
    for (caller, answers) in recorded.as_object().into_iter().flatten() {
        assert_eq!(&seen[caller], answers, "{caller} reads something else after the migration");
    }
    assert_eq!(seen, recorded);
}

#[tokio::test]
async fn a_database_at_the_previous_schema_reads_back_identically_on_sqlite() {
    previous_schema_reads_back_identically(Backend::Sqlite, false).await;
}

#[tokio::test]
async fn the_members_migration_goes_down_and_up_again_without_loss() {
    previous_schema_reads_back_identically(default_backend(), true).await;
}

#[tokio::test]
async fn a_database_at_the_previous_schema_reads_back_identically_on_postgres() {
    if postgres_base_url().is_none() {
        eprintln!("SKIPPED (loudly): TEST_DATABASE_URL is not set, the PostgreSQL migration test did not run");
        return;
    }
    previous_schema_reads_back_identically(Backend::Postgres, false).await;
}
