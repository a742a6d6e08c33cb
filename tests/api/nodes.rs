//! Two `friends serve` processes on one database (different ports and data
//! folders): a write through one is visible to suggestions and search
//! through the other within a second.

use std::time::{Duration, Instant};

use friends_api::auth::Role;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::crash::{start, token};
use crate::helpers::*;

fn body(name: &str, about: &str) -> Value {
    json!({
        "display_name": name, "about": about, "birth_year": 1985, "outcode": "TW9", "travel_km": 10,
        "interests": ["gardening", "cooking"], "communication": ["spoken_english"], "goals": ["days_out"]
    })
}

async fn items(client: &reqwest::Client, url: String, bearer: &str) -> Vec<String> {
    let Ok(response) = client.get(url).bearer_auth(bearer).send().await else { panic!("request failed") };
    let page: Value = response.json().await.unwrap_or_default();
    page["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|c| c["person_id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_node_reaches_the_other_within_a_second() {
    init_logs();
    let (Ok(first_dir), Ok(second_dir)) = (tempfile::tempdir(), tempfile::tempdir()) else { panic!("tempdir") };
    let database_url = match postgres_base_url() {
        Some(base) => fresh_postgres_database(&base).await,
        None => {
            eprintln!("NOTE: TEST_DATABASE_URL is not set; the two nodes share a SQLite file instead of PostgreSQL");
            format!("sqlite://{}?mode=rwc", first_dir.path().join("shared.db").display())
        }
    };
    let mut first = start(first_dir.path(), Some(&database_url));
    let mut second = start(second_dir.path(), Some(&database_url));
    let client = reqwest::Client::new();

    let seeker = Uuid::new_v4();
    let seeker_token = token(Role::Member, seeker);
    let created = client
        .post(format!("{}/v1/people", first.address))
        .bearer_auth(&seeker_token)
        .json(&body("Seeker", "Hello"))
        .send()
        .await;
    assert!(created.is_ok_and(|response| response.status() == 201));

    let friend = Uuid::new_v4();
    let written = Instant::now();
    let created = client
        .post(format!("{}/v1/people", first.address))
        .bearer_auth(token(Role::Member, friend))
        .json(&body("Friend", "I grow zucchiniflowers"))
        .send()
        .await;
    assert!(created.is_ok_and(|response| response.status() == 201));

    // Poll the second node (never longer than the promised second).
    let (mut in_suggestions, mut in_search) = (false, false);
    while !(in_suggestions && in_search) {
        assert!(
            written.elapsed() < Duration::from_secs(1),
            "suggestions={in_suggestions} search={in_search} after 1 s"
        );
        in_suggestions = items(&client, format!("{}/v1/people/{seeker}/suggestions", second.address), &seeker_token)
            .await
            .contains(&friend.to_string());
        in_search = items(&client, format!("{}/v1/search?q=zucchiniflowers", second.address), &seeker_token)
            .await
            .contains(&friend.to_string());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for server in [&mut first, &mut second] {
        let _ = server.child.kill();
        let _ = server.child.wait();
    }
}
