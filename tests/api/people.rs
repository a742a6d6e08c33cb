//! `/v1/people`: who may do what, preconditions, validation, erasure.

use friends_api::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// The callers of the ownership matrix, relative to a person in Richmond.
#[derive(Debug, Clone, Copy)]
enum Relation {
    Own,
    OtherMember,
    SupporterFor,
    SupporterOfSomeoneElse,
    BrokerSameAuthority,
    BrokerOtherAuthority,
    Admin,
    NoToken,
}

impl Relation {
    const ALL: [Relation; 8] = [
        Self::Own,
        Self::OtherMember,
        Self::SupporterFor,
        Self::SupporterOfSomeoneElse,
        Self::BrokerSameAuthority,
        Self::BrokerOtherAuthority,
        Self::Admin,
        Self::NoToken,
    ];

    fn token(self, app: &TestApp, person: Uuid) -> Option<String> {
        let stranger = Uuid::new_v4();
        Some(match self {
            Self::Own => app.token(Role::Member, person),
            Self::OtherMember => app.token(Role::Member, stranger),
            Self::SupporterFor => app.token_with(Role::Supporter, stranger, vec![person], vec![]),
            Self::SupporterOfSomeoneElse => app.token_with(Role::Supporter, stranger, vec![Uuid::new_v4()], vec![]),
            Self::BrokerSameAuthority => app.token_with(Role::Broker, stranger, vec![], vec![RICHMOND]),
            Self::BrokerOtherAuthority => app.token_with(Role::Broker, stranger, vec![], vec![MANCHESTER]),
            Self::Admin => app.token(Role::Admin, stranger),
            Self::NoToken => return None,
        })
    }

    fn allowed(self) -> Option<bool> {
        match self {
            Self::Own | Self::SupporterFor | Self::BrokerSameAuthority | Self::Admin => Some(true),
            Self::OtherMember | Self::SupporterOfSomeoneElse | Self::BrokerOtherAuthority => Some(false),
            Self::NoToken => None,
        }
    }
}

#[tokio::test]
async fn every_route_role_and_ownership_cell_gives_the_right_status() {
    let app = spawn_app().await;
    for relation in Relation::ALL {
        for route in ["GET", "PATCH", "DELETE", "EXPORT"] {
            let (person, _) = app.member_in("TW9").await;
            let token = relation.token(&app, person);
            let path = format!("/v1/people/{person}");
            let patch = json!({"about": "Updated in the matrix."});
            let response = match route {
                "GET" => app.send(Method::GET, &path, token.as_deref(), None, None).await,
                "PATCH" => app.send(Method::PATCH, &path, token.as_deref(), Some(&patch), Some("\"1\"")).await,
                "DELETE" => app.send(Method::DELETE, &path, token.as_deref(), None, None).await,
                _ => app.send(Method::GET, &format!("{path}/export"), token.as_deref(), None, None).await,
            };
            let expected = match (relation.allowed(), route) {
                (None, _) => 401,
                (Some(false), _) => 404,
                (Some(true), "DELETE") => 204,
                (Some(true), _) => 200,
            };
            assert_eq!(response.status().as_u16(), expected, "{route} by {relation:?}");
            // A refused caller changed nothing.
            if expected != 204 && expected != 200 {
                let owner = app.token(Role::Member, person);
                let body = json_body(app.send(Method::GET, &path, Some(&owner), None, None).await).await;
                assert_eq!(body["version"], 1, "{route} by {relation:?} must not change the person");
            }
        }
    }
}

#[tokio::test]
async fn who_may_create_a_profile_and_with_which_id() {
    let app = spawn_app().await;
    let member = Uuid::new_v4();
    let member_token = app.token(Role::Member, member);
    let created = app.create_person(&member_token, &sample_person()).await;
    assert_eq!(created["id"], member.to_string(), "a member's profile id is their sub");
    let again = app.send(Method::POST, "/v1/people", Some(&member_token), Some(&sample_person()), None).await;
    assert_problem(again, 409, "already_exists").await;

    let supporter = app.token(Role::Supporter, Uuid::new_v4());
    let by_supporter = app.create_person(&supporter, &sample_person()).await;
    assert_ne!(by_supporter["id"], Value::Null);

    let broker_here = app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec![RICHMOND]);
    app.create_person(&broker_here, &sample_person()).await;
    let broker_elsewhere = app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec![MANCHESTER]);
    let refused = app.send(Method::POST, "/v1/people", Some(&broker_elsewhere), Some(&sample_person()), None).await;
    assert_problem(refused, 403, "outside_authority").await;

    let admin = app.token(Role::Admin, Uuid::new_v4());
    app.create_person(&admin, &sample_person()).await;

    let anonymous = app.send(Method::POST, "/v1/people", None, Some(&sample_person()), None).await;
    assert_problem(anonymous, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_created_person_reads_back_with_ids_a_district_and_headers() {
    let app = spawn_app().await;
    let id = Uuid::new_v4();
    let token = app.token(Role::Member, id);
    let response = app.send(Method::POST, "/v1/people", Some(&token), Some(&sample_person()), None).await;
    assert_eq!(response.status(), 201);
    assert_eq!(
        response.headers().get("location").and_then(|v| v.to_str().ok()),
        Some(format!("/v1/people/{id}").as_str())
    );
    assert_eq!(response.headers().get("etag").and_then(|v| v.to_str().ok()), Some("\"1\""));
    let body = json_body(response).await;
    assert_eq!(body["outcode"], "TW9");
    assert_eq!(
        body["area"],
        json!({"outcode": "TW9", "authority_code": RICHMOND, "authority_name": "Richmond upon Thames"})
    );
    assert_eq!(body["interests"], json!(["sport_fitness.football", "food_drink.cooking"]));
    assert_eq!(body["communication"], json!(["spoken_english", "easy_read"]));
    assert_eq!(body["age_band"], "25-34");
    assert_eq!(body["version"], 1);
    let read = app.send(Method::GET, &format!("/v1/people/{id}"), Some(&token), None, None).await;
    assert_eq!(read.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    assert_eq!(json_body(read).await, body);
}

#[tokio::test]
async fn patch_needs_a_current_if_match() {
    let app = spawn_app().await;
    let (id, token) = app.member_in("TW9").await;
    let path = format!("/v1/people/{id}");
    let patch = json!({"about": "New words."});

    let missing = app.send(Method::PATCH, &path, Some(&token), Some(&patch), None).await;
    assert_problem(missing, 428, "precondition_required").await;
    let stale = app.send(Method::PATCH, &path, Some(&token), Some(&patch), Some("\"7\"")).await;
    assert_problem(stale, 412, "version_conflict").await;
    let weak = app.send(Method::PATCH, &path, Some(&token), Some(&patch), Some("W/\"1\"")).await;
    assert_problem(weak, 412, "version_conflict").await;

    let ok = app.send(Method::PATCH, &path, Some(&token), Some(&patch), Some("\"1\"")).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.headers().get("etag").and_then(|v| v.to_str().ok()), Some("\"2\""));
    let body = json_body(ok).await;
    assert_eq!(body["about"], "New words.");
    assert_eq!(body["display_name"], CANARY_NAME, "fields not in the patch are kept");

    let replayed = app.send(Method::PATCH, &path, Some(&token), Some(&patch), Some("\"1\"")).await;
    assert_problem(replayed, 412, "version_conflict").await;
    let stale_delete = app.send(Method::DELETE, &path, Some(&token), None, Some("\"1\"")).await;
    assert_problem(stale_delete, 412, "version_conflict").await;
}

#[tokio::test]
async fn merge_patch_clears_nullable_fields_and_replaces_lists() {
    let app = spawn_app().await;
    let (id, token) = app.member_in("TW9").await;
    let path = format!("/v1/people/{id}");
    let patch = json!({"contact": {"phone": null}, "interests": ["canal boats"], "outcode": "M1 1AA"});
    let body = json_body(app.send(Method::PATCH, &path, Some(&token), Some(&patch), Some("\"1\"")).await).await;
    assert_eq!(body["contact"]["phone"], Value::Null);
    assert_eq!(body["contact"]["email"], CANARY_EMAIL);
    assert_eq!(body["interests"].as_array().map(Vec::len), Some(1));
    assert_eq!(body["area"]["authority_code"], MANCHESTER);
    // Moving out of Richmond takes the person out of a Richmond broker's reach.
    let richmond_broker = app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec![RICHMOND]);
    let hidden = app.send(Method::GET, &path, Some(&richmond_broker), None, None).await;
    assert_problem(hidden, 404, "not_found").await;
}

/// Bodies that must each be refused without changing anything.
fn bad_patches() -> Vec<(Value, u16, &'static str)> {
    vec![
        (json!({"id": Uuid::new_v4()}), 422, "invalid_body"),
        (json!({"version": 99}), 422, "invalid_body"),
        (json!({"role": "admin"}), 422, "invalid_body"),
        (json!({"travel_km": "far"}), 422, "invalid_body"),
        (json!({"travel_km": 0}), 422, "validation_failed"),
        (json!({"travel_km": 101}), 422, "validation_failed"),
        (json!({"birth_year": 2020}), 422, "validation_failed"),
        (json!({"display_name": ""}), 422, "validation_failed"),
        (json!({"display_name": "x".repeat(51)}), 422, "validation_failed"),
        (json!({"display_name": "Sam\u{0007}"}), 422, "validation_failed"),
        (json!({"about": "y".repeat(1001)}), 422, "validation_failed"),
        (json!({"outcode": "ZZ99 9ZZ"}), 422, "unknown_outcode"),
        (json!({"outcode": "not a postcode"}), 422, "validation_failed"),
        (json!({"interests": ["underwater basket weaving"]}), 422, "unknown_term"),
        (json!({"communication": []}), 422, "validation_failed"),
        (json!({"contribution_gbp_week": {"min": 50, "max": 10}}), 422, "validation_failed"),
        (json!({"contribution_gbp_week": {"min": 0, "max": 5000}}), 422, "validation_failed"),
        (json!({"preferences": {"age_min": 60, "age_max": 20}}), 422, "validation_failed"),
        (json!({"preferences": {"surprise": true}}), 422, "invalid_body"),
        (json!({"contact": {"email": "not-an-email"}}), 422, "validation_failed"),
        (json!({"status": "erased"}), 422, "invalid_body"),
        (json!([1, 2, 3]), 422, "invalid_body"),
    ]
}

#[tokio::test]
async fn bad_input_gets_a_problem_and_changes_nothing() {
    let app = spawn_app().await;
    let (id, token) = app.member_in("TW9").await;
    let path = format!("/v1/people/{id}");
    let before = json_body(app.send(Method::GET, &path, Some(&token), None, None).await).await;
    for (patch, status, code) in bad_patches() {
        let response = app.send(Method::PATCH, &path, Some(&token), Some(&patch), Some("\"1\"")).await;
        let problem = assert_problem(response, status, code).await;
        if code == "validation_failed" || code == "unknown_term" || code == "unknown_outcode" {
            assert!(!problem["errors"].as_array().is_none_or(Vec::is_empty), "{patch}: errors name the field");
        }
        let after = json_body(app.send(Method::GET, &path, Some(&token), None, None).await).await;
        assert_eq!(after, before, "{patch} must change nothing");
    }
    // The same bodies on create store nothing either.
    let creator = Uuid::new_v4();
    let creator_token = app.token(Role::Member, creator);
    for (patch, status, _) in bad_patches() {
        let mut body = sample_person();
        if let (Some(fields), Some(changes)) = (body.as_object_mut(), patch.as_object()) {
            for (key, value) in changes {
                fields.insert(key.clone(), value.clone());
            }
        } else {
            body = patch.clone();
        }
        let response = app.send(Method::POST, "/v1/people", Some(&creator_token), Some(&body), None).await;
        assert_eq!(response.status().as_u16(), status, "create with {patch}");
    }
    let nothing = app.send(Method::GET, &format!("/v1/people/{creator}"), Some(&creator_token), None, None).await;
    assert_problem(nothing, 404, "not_found").await;
}

#[tokio::test]
async fn unknown_terms_and_districts_name_the_nearest_matches() {
    let app = spawn_app().await;
    let token = app.token(Role::Member, Uuid::new_v4());
    let mut body = sample_person();
    body["interests"] = json!(["footbal"]);
    let problem = assert_problem(
        app.send(Method::POST, "/v1/people", Some(&token), Some(&body), None).await,
        422,
        "unknown_term",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "interests[0]");
    assert!(problem["errors"][0]["message"].as_str().unwrap_or("").contains("sport_fitness.football"), "{problem}");

    let mut body = sample_person();
    body["outcode"] = json!("TW99 1AB");
    let problem = assert_problem(
        app.send(Method::POST, "/v1/people", Some(&token), Some(&body), None).await,
        422,
        "unknown_outcode",
    )
    .await;
    let message = problem["errors"][0]["message"].as_str().unwrap_or("");
    assert!(message.contains("TW9"), "{message}");
    assert!(!message.contains("1AB"), "the inward code is never echoed: {message}");
}

#[tokio::test]
async fn a_full_postcode_never_reaches_the_database() {
    let app = spawn_app().await;
    for postcode in [CANARY_POSTCODE, "tw97qx", "  Tw9   7qX "] {
        let token = app.token(Role::Member, Uuid::new_v4());
        let mut body = sample_person();
        body["outcode"] = json!(postcode);
        let created = app.create_person(&token, &body).await;
        assert_eq!(created["outcode"], "TW9");
    }
    let rows = app.people_rows_as_text().await;
    assert!(rows.contains("TW9"), "the district is stored");
    assert!(!rows.to_uppercase().contains(CANARY_INWARD), "no inward code in any row");
    if app.backend == Backend::Sqlite {
        let bytes = app.sqlite_file_bytes();
        assert!(
            !contains_bytes(&bytes, CANARY_INWARD) && !contains_bytes(&bytes, "7qx"),
            "no inward code in the files"
        );
    }
}

#[tokio::test]
async fn export_holds_the_profile_and_its_history() {
    let app = spawn_app().await;
    let (id, token) = app.member_in("TW9").await;
    let path = format!("/v1/people/{id}");
    app.send(Method::PATCH, &path, Some(&token), Some(&json!({"about": "Second."})), Some("\"1\"")).await;
    let export = json_body(app.send(Method::GET, &format!("{path}/export"), Some(&token), None, None).await).await;
    assert_eq!(export["person"]["id"], id.to_string());
    assert_eq!(export["person"]["contact"]["email"], CANARY_EMAIL);
    assert_eq!(export["person"]["support_needs"], json!([CANARY_NEED]));
    let operations: Vec<&str> = export["changes"]
        .as_array()
        .map(|changes| changes.iter().filter_map(|c| c["operation"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(operations, vec!["created", "updated"]);
}

#[tokio::test]
async fn after_delete_the_person_is_gone_and_their_text_is_in_no_database_file() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await;
    let (id, token) = app.member_in("TW9").await;
    let path = format!("/v1/people/{id}");
    // A second version, so that old copies of the row exist too.
    let patch = json!({"about": format!("{CANARY_ABOUT} again")});
    app.send(Method::PATCH, &path, Some(&token), Some(&patch), Some("\"1\"")).await;
    let before = app.sqlite_file_bytes();
    assert!(contains_bytes(&before, CANARY_NAME), "control: the name is in the files before erasure");

    let deleted = app.send(Method::DELETE, &path, Some(&token), None, None).await;
    assert_eq!(deleted.status(), 204);

    let after = app.sqlite_file_bytes();
    for canary in [CANARY_NAME, CANARY_ABOUT, CANARY_EMAIL, CANARY_PHONE, "Text me first"] {
        assert!(!contains_bytes(&after, canary), "{canary} survives erasure in the SQLite files");
    }
    assert_problem(app.send(Method::GET, &path, Some(&token), None, None).await, 404, "not_found").await;
    assert_problem(app.send(Method::DELETE, &path, Some(&token), None, None).await, 404, "not_found").await;
}

#[tokio::test]
async fn after_delete_no_row_holds_the_person_on_any_backend() {
    let app = spawn_app().await;
    let (id, token) = app.member_in("TW9").await;
    assert!(app.people_rows_as_text().await.contains(CANARY_NAME), "control");
    let deleted = app.send(Method::DELETE, &format!("/v1/people/{id}"), Some(&token), None, None).await;
    assert_eq!(deleted.status(), 204);
    assert!(!app.people_rows_as_text().await.contains(CANARY_NAME));
}
