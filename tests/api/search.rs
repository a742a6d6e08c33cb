//! `GET /v1/search`: visible on write, scope from the token, filters, pages,
//! and erasure that leaves no words in the index folder.

use friends_api::auth::Role;
use friends_search::SearchIndex;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

fn person(outcode: &str, about: &str, interests: &[&str]) -> Value {
    json!({
        "display_name": "Searchable", "about": about, "birth_year": 1988, "outcode": outcode, "travel_km": 10,
        "interests": interests, "goals": ["days_out"], "communication": ["spoken_english"],
        "support_needs": [CANARY_NEED], "contact": {"email": CANARY_EMAIL, "phone": CANARY_PHONE}
    })
}

async fn member(app: &TestApp, body: &Value) -> (Uuid, String) {
    let id = Uuid::new_v4();
    let token = app.token(Role::Member, id);
    app.create_person(&token, body).await;
    (id, token)
}

async fn search(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.send(Method::GET, &format!("/v1/search?{query}"), Some(token), None, None).await;
    assert_eq!(response.status(), 200, "search {query}");
    json_body(response).await
}

fn found(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|card| card["person_id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn members_find_people_around_them_by_words_interests_and_typos() {
    let app = spawn_app().await;
    let (_, seeker) = member(&app, &person("TW9", "Looking for friends.", &["cooking"])).await;
    let (boater, boater_token) =
        member(&app, &person("TW10", "I restore old narrowboats on weekends.", &["canal boats"])).await;
    let (far_away, _) = member(&app, &person("M1", "I restore old narrowboats too.", &["canal boats"])).await;

    let page = search(&app, &seeker, "q=boating").await;
    assert_eq!(found(&page), vec![boater.to_string()], "stemmed interest synonym, only within the member's area");
    assert_eq!(found(&search(&app, &seeker, "q=narowboats").await), vec![boater.to_string()], "typo in the about text");
    assert_eq!(found(&search(&app, &seeker, "interests=Canal%20boats").await), vec![boater.to_string()]);
    assert!(
        found(&search(&app, &seeker, "q=outcode:M1%20OR%20authorities:E08000003").await).is_empty(),
        "no syntax widens a member's scope"
    );

    let card = &page["items"][0];
    assert!(
        card.get("support_needs").is_none() && card.get("contact").is_none() && card.get("about").is_none(),
        "{card}"
    );
    assert!(card["distance_band"].is_string(), "members see a distance band: {card}");

    let broker = app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec![MANCHESTER]);
    assert_eq!(found(&search(&app, &broker, "q=narrowboats&authority=E08000003").await), vec![far_away.to_string()]);

    // Pausing or erasing takes a person out of search at once.
    let path = format!("/v1/people/{boater}");
    let paused =
        app.send(Method::PATCH, &path, Some(&boater_token), Some(&json!({"status": "paused"})), Some("\"1\"")).await;
    assert_eq!(paused.status(), 200);
    assert!(found(&search(&app, &seeker, "q=boating").await).is_empty());
    app.send(Method::PATCH, &path, Some(&boater_token), Some(&json!({"status": "active"})), Some("\"2\"")).await;
    assert_eq!(found(&search(&app, &seeker, "q=boating").await).len(), 1);
    let hidden =
        app.send(Method::PATCH, &path, Some(&boater_token), Some(&json!({"discoverable": false})), Some("\"3\"")).await;
    assert_eq!(hidden.status(), 200);
    assert!(found(&search(&app, &seeker, "q=boating").await).is_empty(), "not discoverable: not found");
    app.send(Method::PATCH, &path, Some(&boater_token), Some(&json!({"discoverable": true})), Some("\"4\"")).await;
    assert_eq!(found(&search(&app, &seeker, "q=boating").await).len(), 1);
    assert_eq!(app.send(Method::DELETE, &path, Some(&boater_token), None, None).await.status(), 204);
    assert!(found(&search(&app, &seeker, "q=boating").await).is_empty());
}

#[tokio::test]
async fn after_an_erasure_none_of_the_persons_words_are_in_the_index_folder() {
    let app = spawn_app().await;
    let word = "quixotrellis";
    let (id, token) = member(&app, &person("TW9", &format!("My hobby is {word}."), &["cooking"])).await;
    let folder = app.data_dir.path().join("index");
    assert_eq!(SearchIndex::folder_holds_word(&folder, word).ok(), Some(true), "control: the word was indexed");
    assert_eq!(app.send(Method::DELETE, &format!("/v1/people/{id}"), Some(&token), None, None).await.status(), 204);
    assert_eq!(
        SearchIndex::folder_holds_word(&folder, word).ok(),
        Some(false),
        "erasure returned with the word still indexed"
    );
}

#[tokio::test]
async fn cursors_page_through_every_hit_once_and_limits_are_capped() {
    let app = spawn_app().await;
    let (_, seeker) = member(&app, &person("TW9", "Hello.", &["cooking"])).await;
    let mut expected = Vec::new();
    for _ in 0..7 {
        expected.push(member(&app, &person("TW10", "Football on Sundays.", &["football"])).await.0.to_string());
    }
    expected.sort();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(cursor) => format!("interests=football&limit=3&cursor={cursor}"),
            None => "interests=football&limit=3".to_owned(),
        };
        let page = search(&app, &seeker, &query).await;
        seen.extend(found(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, expected);
    assert_eq!(found(&search(&app, &seeker, "interests=football&limit=500").await).len(), 7);
}

#[tokio::test]
async fn bad_search_input_gets_a_problem() {
    let app = spawn_app().await;
    let (_, seeker) = member(&app, &person("TW9", "Hello.", &["cooking"])).await;
    for (query, status, code) in [
        ("cursor=not-a-cursor", 400, "invalid_cursor"),
        ("limit=0", 422, "validation_failed"),
        ("limit=lots", 400, "invalid_query"),
        ("interests=underwater%20basket%20weaving", 422, "unknown_term"),
        ("authority=X99999999", 422, "validation_failed"),
        ("colour=blue", 400, "invalid_query"),
    ] {
        let response = app.send(Method::GET, &format!("/v1/search?{query}"), Some(&seeker), None, None).await;
        assert_problem(response, status, code).await;
    }
    let long = "a".repeat(201);
    assert_problem(
        app.send(Method::GET, &format!("/v1/search?q={long}"), Some(&seeker), None, None).await,
        422,
        "validation_failed",
    )
    .await;
    let stranger = app.token(Role::Member, Uuid::new_v4());
    assert_problem(app.send(Method::GET, "/v1/search?q=x", Some(&stranger), None, None).await, 403, "profile_required")
        .await;
    assert_problem(app.send(Method::GET, "/v1/search?q=x", None, None, None).await, 401, "unauthorized").await;
}
