//! `GET /v1/people/{id}/suggestions`: visible on write, hard filters, cards,
//! access, and a second node following the first.

use std::time::{Duration, Instant};

use friends_api::auth::Role;
use friends_api::config::Secret;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// A plain, compatible person in `outcode`.
pub fn friendly(outcode: &str, name: &str) -> Value {
    json!({
        "display_name": name, "birth_year": 1990, "outcode": outcode, "travel_km": 15,
        "interests": ["football", "cooking", "canal boats"], "goals": ["social_activities"],
        "communication": ["spoken_english"], "availability": ["sat_afternoon"],
        "support_needs": [CANARY_NEED], "preferences": {"similar_needs": true},
        "contact": {"email": CANARY_EMAIL}
    })
}

pub async fn create_member(app: &TestApp, body: &Value) -> (Uuid, String) {
    let id = Uuid::new_v4();
    let token = app.token(Role::Member, id);
    app.create_person(&token, body).await;
    (id, token)
}

async fn suggested(app: &TestApp, seeker: Uuid, token: &str) -> Vec<Value> {
    let response = app.send(Method::GET, &format!("/v1/people/{seeker}/suggestions"), Some(token), None, None).await;
    assert_eq!(response.status(), 200);
    json_body(response).await["items"].as_array().cloned().unwrap_or_default()
}

fn ids(cards: &[Value]) -> Vec<String> {
    cards.iter().filter_map(|card| card["person_id"].as_str().map(str::to_owned)).collect()
}

#[tokio::test]
async fn a_write_is_visible_to_suggestions_when_it_returns() {
    let app = spawn_app().await;
    let (seeker, token) = create_member(&app, &friendly("TW9", "Ada")).await;
    assert!(suggested(&app, seeker, &token).await.is_empty());

    let (friend, friend_token) = create_member(&app, &friendly("TW10", "Bea")).await;
    let cards = suggested(&app, seeker, &token).await;
    assert_eq!(ids(&cards), vec![friend.to_string()], "visible as soon as the create returned");

    let card = &cards[0];
    assert_eq!(card["display_name"], "Bea");
    assert_eq!(card["area_name"], "Richmond upon Thames");
    assert!(["under 2 km", "2 to 5 km"].contains(&card["distance_band"].as_str().unwrap_or("")), "{card}");
    assert!(card.get("outcode").is_none() && card.get("distance_km").is_none() && card.get("contact").is_none());
    assert!(card.get("support_needs").is_none(), "needs not shared, so not shown: {card}");
    let reasons = card["reasons"].as_array().cloned().unwrap_or_default();
    assert!(reasons.iter().any(|line| line.as_str().is_some_and(|text| text.starts_with("You both like"))), "{card}");
    assert!(!card.to_string().contains("brain injury"), "no need named in reasons when not shared");

    let path = format!("/v1/people/{friend}");
    let paused =
        app.send(Method::PATCH, &path, Some(&friend_token), Some(&json!({"status": "paused"})), Some("\"1\"")).await;
    assert_eq!(paused.status(), 200);
    assert!(suggested(&app, seeker, &token).await.is_empty(), "paused: gone at once");

    let back = app
        .send(
            Method::PATCH,
            &path,
            Some(&friend_token),
            Some(&json!({"status": "active", "share_needs_with_matches": true})),
            Some("\"2\""),
        )
        .await;
    assert_eq!(back.status(), 200);
    let cards = suggested(&app, seeker, &token).await;
    assert_eq!(cards[0]["support_needs"], json!([CANARY_NEED]), "shared needs are shown");

    let hidden =
        app.send(Method::PATCH, &path, Some(&friend_token), Some(&json!({"discoverable": false})), Some("\"3\"")).await;
    assert_eq!(hidden.status(), 200);
    assert!(suggested(&app, seeker, &token).await.is_empty(), "not discoverable: gone at once");

    app.send(Method::PATCH, &path, Some(&friend_token), Some(&json!({"discoverable": true})), Some("\"4\"")).await;
    assert_eq!(suggested(&app, seeker, &token).await.len(), 1);
    let erased = app.send(Method::DELETE, &path, Some(&friend_token), None, None).await;
    assert_eq!(erased.status(), 204);
    assert!(suggested(&app, seeker, &token).await.is_empty(), "erased: gone at once");
}

#[tokio::test]
async fn hard_filters_apply_both_ways() {
    let app = spawn_app().await;
    let (seeker, token) = create_member(&app, &friendly("TW9", "Ada")).await;
    // Too far for the seeker (Manchester), and too far for them (1 km limit in SW1A).
    create_member(&app, &friendly("M1", "Far")).await;
    let mut short_reach = friendly("SW1A", "Short");
    short_reach["travel_km"] = json!(1);
    create_member(&app, &short_reach).await;
    // Wants only people over 60; wants only women; shares no language.
    let mut old_only = friendly("TW10", "Picky age");
    old_only["preferences"] = json!({"age_min": 60});
    create_member(&app, &old_only).await;
    let mut women_only = friendly("TW10", "Picky gender");
    women_only["preferences"] = json!({"genders": ["woman"]});
    create_member(&app, &women_only).await;
    let mut other_language = friendly("TW10", "Other language");
    other_language["communication"] = json!(["bsl"]);
    create_member(&app, &other_language).await;
    assert!(suggested(&app, seeker, &token).await.is_empty(), "each fails a filter in one direction");

    let (fits, _) = create_member(&app, &friendly("TW10", "Fits")).await;
    assert_eq!(ids(&suggested(&app, seeker, &token).await), vec![fits.to_string()]);
}

#[tokio::test]
async fn suggestions_follow_the_people_access_rules_and_validate_their_query() {
    let app = spawn_app().await;
    let (seeker, token) = create_member(&app, &friendly("TW9", "Ada")).await;
    let path = format!("/v1/people/{seeker}/suggestions");
    let stranger = app.token(Role::Member, Uuid::new_v4());
    assert_problem(app.send(Method::GET, &path, Some(&stranger), None, None).await, 404, "not_found").await;
    assert_problem(app.send(Method::GET, &path, None, None, None).await, 401, "unauthorized").await;
    let broker = app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec![RICHMOND]);
    assert_eq!(app.send(Method::GET, &path, Some(&broker), None, None).await.status(), 200);
    let supporter = app.token_with(Role::Supporter, Uuid::new_v4(), vec![seeker], vec![]);
    assert_eq!(app.send(Method::GET, &path, Some(&supporter), None, None).await.status(), 200);
    let admin = app.token(Role::Admin, Uuid::new_v4());
    assert_eq!(app.send(Method::GET, &path, Some(&admin), None, None).await.status(), 200);
    // Refusals look like absence, whichever way the right is decided (from
    // the stored area for brokers, from the token for everyone else).
    let broker_elsewhere = app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec!["E09000001"]);
    assert_problem(app.send(Method::GET, &path, Some(&broker_elsewhere), None, None).await, 404, "not_found").await;
    let other_supporter = app.token_with(Role::Supporter, Uuid::new_v4(), vec![Uuid::new_v4()], vec![]);
    assert_problem(app.send(Method::GET, &path, Some(&other_supporter), None, None).await, 404, "not_found").await;
    let nobody = Uuid::new_v4();
    let nobody_path = format!("/v1/people/{nobody}/suggestions");
    for token in [app.token(Role::Member, nobody), admin.clone()] {
        assert_problem(app.send(Method::GET, &nobody_path, Some(&token), None, None).await, 404, "not_found").await;
    }

    assert_problem(
        app.send(Method::GET, &format!("{path}?limit=0"), Some(&token), None, None).await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.send(Method::GET, &format!("{path}?limit=many"), Some(&token), None, None).await,
        400,
        "invalid_query",
    )
    .await;
    assert_problem(
        app.send(Method::GET, &format!("{path}?radius=5"), Some(&token), None, None).await,
        400,
        "invalid_query",
    )
    .await;
    assert_problem(
        app.send(Method::GET, &format!("{path}?goal=world%20domination"), Some(&token), None, None).await,
        422,
        "unknown_term",
    )
    .await;
    let by_label =
        app.send(Method::GET, &format!("{path}?goal=Share%20a%20PA&limit=500"), Some(&token), None, None).await;
    assert_eq!(by_label.status(), 200, "goals take labels and synonyms; limits are capped");
    // Once erased, nobody gets suggestions for the person, the person included.
    assert_eq!(app.send(Method::DELETE, &format!("/v1/people/{seeker}"), Some(&token), None, None).await.status(), 204);
    for token in [&token, &admin, &supporter] {
        assert_problem(app.send(Method::GET, &path, Some(token), None, None).await, 404, "not_found").await;
    }
}

#[tokio::test]
async fn a_second_node_on_the_same_database_sees_a_write_within_a_second() {
    let first = spawn_app().await;
    let shared_url = first.database_url.clone();
    let second = spawn_app_with(first.backend, |settings| settings.database_url = Some(Secret::new(shared_url))).await;
    let (seeker, token) = create_member(&first, &friendly("TW9", "Ada")).await;

    let written = Instant::now();
    let (friend, _) = create_member(&first, &friendly("TW10", "Bea")).await;
    // The second node learns of the write from its change-log follower; poll
    // it (never longer than the one-second bound the design promises).
    loop {
        let cards = suggested(&second, seeker, &token).await;
        if ids(&cards) == vec![friend.to_string()] {
            break;
        }
        assert!(written.elapsed() < Duration::from_secs(1), "not visible on the second node within 1 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
