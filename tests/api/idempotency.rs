//! `Idempotency-Key` on every POST (issue 9): an answer lost on the wire
//! can be asked for again without doing the write twice.

use friends_api::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

async fn post_with_key(app: &TestApp, path: &str, token: &str, key: &str, body: &Value) -> reqwest::Response {
    let request = app.client.post(app.url(path)).bearer_auth(token).header("idempotency-key", key).json(body);
    match request.send().await {
        Ok(response) => response,
        Err(error) => panic!("request failed: {error}"),
    }
}

/// How many profiles an admin finds in Richmond.
async fn richmond_profiles(app: &TestApp) -> usize {
    let admin = app.token(Role::Admin, Uuid::new_v4());
    let page = json_body(
        app.send(Method::GET, &format!("/v1/search?authority={RICHMOND}&limit=50"), Some(&admin), None, None).await,
    )
    .await;
    page["items"].as_array().map_or(0, Vec::len)
}

fn richmond_person() -> Value {
    let mut body = sample_person();
    body["outcode"] = json!("TW9");
    body
}

#[tokio::test]
async fn a_retried_create_returns_the_first_answer_and_creates_nothing() {
    let app = spawn_app().await;
    let supporter = app.token(Role::Supporter, Uuid::new_v4());
    let first = post_with_key(&app, "/v1/people", &supporter, "create-sam-1", &richmond_person()).await;
    assert_eq!(first.status(), 201);
    let location = first.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first_body = json_body(first).await;

    for _ in 0..2 {
        let retry = post_with_key(&app, "/v1/people", &supporter, "create-sam-1", &richmond_person()).await;
        assert_eq!(retry.status(), 201, "the first answer again");
        assert_eq!(retry.headers().get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
        assert_eq!(retry.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned), location);
        assert_eq!(json_body(retry).await, first_body);
    }
    assert_eq!(richmond_profiles(&app).await, 1, "a supporter's create gets a fresh id: one, not three");

    // Another caller's key of the same name is theirs.
    let broker = app.token_with(Role::Broker, Uuid::new_v4(), Vec::new(), vec![RICHMOND]);
    assert_eq!(post_with_key(&app, "/v1/people", &broker, "create-sam-1", &richmond_person()).await.status(), 201);
    assert_eq!(richmond_profiles(&app).await, 2);
}

#[tokio::test]
async fn the_same_key_for_another_request_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    let supporter = app.token(Role::Supporter, Uuid::new_v4());
    assert_eq!(post_with_key(&app, "/v1/people", &supporter, "k-1", &richmond_person()).await.status(), 201);
    let mut other = richmond_person();
    other["display_name"] = json!("Someone Else");
    let response = post_with_key(&app, "/v1/people", &supporter, "k-1", &other).await;
    assert_problem(response, 422, "idempotency_key_reused").await;
    let blocks = post_with_key(
        &app,
        "/v1/blocks",
        &supporter,
        "k-1",
        &json!({"blocker": Uuid::new_v4(), "blocked": Uuid::new_v4()}),
    )
    .await;
    assert_problem(blocks, 422, "idempotency_key_reused").await;
    assert_eq!(richmond_profiles(&app).await, 1);
}

#[tokio::test]
async fn a_refused_request_frees_its_key_and_keys_expire_after_a_day() {
    let app = spawn_app().await;
    let supporter = app.token(Role::Supporter, Uuid::new_v4());
    let mut invalid = richmond_person();
    invalid["travel_km"] = json!(0);
    let refused = post_with_key(&app, "/v1/people", &supporter, "fix-and-retry", &invalid).await;
    assert_eq!(refused.status(), 422);
    let fixed = post_with_key(&app, "/v1/people", &supporter, "fix-and-retry", &richmond_person()).await;
    assert_eq!(fixed.status(), 201, "the corrected request runs under the same key");

    assert!(app.handle.clock().advance(chrono::Duration::hours(25)));
    let mut next_day = richmond_person();
    next_day["display_name"] = json!("A New Day");
    let response = post_with_key(&app, "/v1/people", &supporter, "fix-and-retry", &next_day).await;
    assert_eq!(response.status(), 201, "a key is kept for 24 hours, then forgotten");
    assert_eq!(richmond_profiles(&app).await, 2);
}

#[tokio::test]
async fn keys_are_checked_and_kept_answers_go_with_an_erased_person() {
    let app = spawn_app().await;
    let id = Uuid::new_v4();
    let member = app.token(Role::Member, id);
    for bad in ["", "has space", &"k".repeat(256), "caf\u{e9}"] {
        let request = app.client.post(app.url("/v1/people")).bearer_auth(&member).header("idempotency-key", bad);
        let Ok(response) = request.json(&richmond_person()).send().await else { continue };
        assert_problem(response, 400, "invalid_header").await;
    }
    assert_eq!(post_with_key(&app, "/v1/people", &member, "mine", &richmond_person()).await.status(), 201);
    let erased = app.send(Method::DELETE, &format!("/v1/people/{id}"), Some(&member), None, None).await;
    assert_eq!(erased.status(), 204);
    let bytes = app.sqlite_file_bytes();
    if app.backend == Backend::Sqlite {
        assert!(!contains_bytes(&bytes, CANARY_EMAIL), "the kept answer went with the person");
    }
    // The key went too: the same request runs again, as new.
    assert_eq!(post_with_key(&app, "/v1/people", &member, "mine", &richmond_person()).await.status(), 201);
}
