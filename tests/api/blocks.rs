//! Blocks: the pair never meets again in suggestions or search, either way,
//! until the block is lifted; only the blocker (or their supporter) acts.

use friends_api::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

fn body(name: &str) -> Value {
    json!({
        "display_name": name, "about": "Allotments and jam.", "birth_year": 1980, "outcode": "TW9", "travel_km": 10,
        "interests": ["gardening", "cooking"], "communication": ["spoken_english"], "goals": ["days_out"]
    })
}

async fn member(app: &TestApp, name: &str) -> (Uuid, String) {
    let id = Uuid::new_v4();
    let token = app.token(Role::Member, id);
    app.create_person(&token, &body(name)).await;
    (id, token)
}

async fn sees(app: &TestApp, seeker: Uuid, token: &str, other: Uuid) -> (bool, bool) {
    let suggestions = json_body(
        app.send(Method::GET, &format!("/v1/people/{seeker}/suggestions?limit=50"), Some(token), None, None).await,
    )
    .await;
    let search =
        json_body(app.send(Method::GET, "/v1/search?q=allotments&limit=50", Some(token), None, None).await).await;
    let contains = |page: &Value| {
        page["items"].as_array().is_some_and(|items| items.iter().any(|card| card["person_id"] == other.to_string()))
    };
    (contains(&suggestions), contains(&search))
}

#[tokio::test]
async fn a_block_hides_the_pair_from_each_other_both_ways_until_lifted() {
    let app = spawn_app().await;
    let (ada, ada_token) = member(&app, "Ada").await;
    let (bea, bea_token) = member(&app, "Bea").await;
    assert_eq!(sees(&app, ada, &ada_token, bea).await, (true, true), "control: they see each other");

    let response = app
        .send(Method::POST, "/v1/blocks", Some(&ada_token), Some(&json!({"blocker": ada, "blocked": bea})), None)
        .await;
    assert_eq!(response.status(), 201);
    let block = json_body(response).await;
    assert_eq!(sees(&app, ada, &ada_token, bea).await, (false, false), "the blocker no longer sees them");
    assert_eq!(sees(&app, bea, &bea_token, ada).await, (false, false), "nor do they see the blocker");

    // Blocking again returns the same block; the blocked person cannot lift it.
    let again = json_body(
        app.send(Method::POST, "/v1/blocks", Some(&ada_token), Some(&json!({"blocker": ada, "blocked": bea})), None)
            .await,
    )
    .await;
    assert_eq!(again["id"], block["id"]);
    let path = format!("/v1/blocks/{}", block["id"].as_str().unwrap_or(""));
    assert_problem(app.send(Method::DELETE, &path, Some(&bea_token), None, None).await, 404, "not_found").await;

    assert_eq!(app.send(Method::DELETE, &path, Some(&ada_token), None, None).await.status(), 204);
    assert_eq!(sees(&app, ada, &ada_token, bea).await, (true, true), "lifted: visible again");
    assert_problem(app.send(Method::DELETE, &path, Some(&ada_token), None, None).await, 404, "not_found").await;
}

#[tokio::test]
async fn only_the_person_or_their_supporter_may_block() {
    let app = spawn_app().await;
    let (ada, ada_token) = member(&app, "Ada").await;
    let (bea, _) = member(&app, "Bea").await;
    let body = json!({"blocker": ada, "blocked": bea});
    let stranger = app.token(Role::Member, Uuid::new_v4());
    assert_problem(app.send(Method::POST, "/v1/blocks", Some(&stranger), Some(&body), None).await, 404, "not_found")
        .await;
    let broker = app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec![RICHMOND]);
    assert_problem(app.send(Method::POST, "/v1/blocks", Some(&broker), Some(&body), None).await, 404, "not_found")
        .await;
    let supporter = app.token_with(Role::Supporter, Uuid::new_v4(), vec![ada], vec![]);
    assert_eq!(app.send(Method::POST, "/v1/blocks", Some(&supporter), Some(&body), None).await.status(), 201);

    let myself = json!({"blocker": ada, "blocked": ada});
    assert_problem(
        app.send(Method::POST, "/v1/blocks", Some(&ada_token), Some(&myself), None).await,
        422,
        "validation_failed",
    )
    .await;
    let nobody = json!({"blocker": ada, "blocked": Uuid::new_v4()});
    assert_problem(app.send(Method::POST, "/v1/blocks", Some(&ada_token), Some(&nobody), None).await, 404, "not_found")
        .await;
    let extra = json!({"blocker": ada, "blocked": bea, "reason": "x"});
    assert_problem(
        app.send(Method::POST, "/v1/blocks", Some(&ada_token), Some(&extra), None).await,
        422,
        "invalid_body",
    )
    .await;
    assert_problem(app.send(Method::POST, "/v1/blocks", None, Some(&body), None).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn erasing_a_person_erases_their_blocks() {
    let app = spawn_app().await;
    let (ada, ada_token) = member(&app, "Ada").await;
    let (bea, _) = member(&app, "Bea").await;
    let block = json_body(
        app.send(Method::POST, "/v1/blocks", Some(&ada_token), Some(&json!({"blocker": ada, "blocked": bea})), None)
            .await,
    )
    .await;
    assert_eq!(
        app.send(Method::DELETE, &format!("/v1/people/{ada}"), Some(&ada_token), None, None).await.status(),
        204
    );
    let path = format!("/v1/blocks/{}", block["id"].as_str().unwrap_or(""));
    let supporter = app.token_with(Role::Supporter, Uuid::new_v4(), vec![ada], vec![]);
    assert_problem(app.send(Method::DELETE, &path, Some(&supporter), None, None).await, 404, "not_found").await;
    let Ok(store) = friends_store::Store::connect(&app.database_url).await else { panic!("connect") };
    assert!(
        store
            .get_block(block["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()).unwrap_or_default())
            .await
            .is_ok_and(|found| found.is_none())
    );
}
