//! Running it (issue 14): the metrics listener, callers' rate limits.

use reqwest::Method;
use serde_json::Value;
use uuid::Uuid;

use friends_api::auth::Role;

use crate::helpers::*;

/// Whether `text` holds anything shaped like a UUID.
fn holds_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    let shape = [8, 4, 4, 4, 12];
    (0..bytes.len()).any(|start| {
        let mut at = start;
        for (index, run) in shape.iter().enumerate() {
            if index > 0 {
                if bytes.get(at) != Some(&b'-') {
                    return false;
                }
                at += 1;
            }
            for _ in 0..*run {
                if !bytes.get(at).is_some_and(u8::is_ascii_hexdigit) {
                    return false;
                }
                at += 1;
            }
        }
        true
    })
}

#[test]
fn the_uuid_scan_finds_a_uuid() {
    assert!(holds_uuid(&format!("route=\"/v1/people/{}\"", Uuid::new_v4())));
    assert!(!holds_uuid("route=\"/v1/people/{id}\""));
}

#[tokio::test]
async fn metrics_are_on_their_own_listener_with_patterns_and_no_personal_data() {
    let app =
        spawn_app_with(default_backend(), |settings| settings.metrics_listen = Some("127.0.0.1:0".to_owned())).await;
    let Some(metrics) = app.metrics_address.clone() else { panic!("a metrics listener was asked for") };
    let person = Uuid::new_v4();
    let token = app.token(Role::Member, person);
    app.create_person(&token, &sample_person()).await;
    let path = format!("/v1/people/{person}");
    assert_eq!(app.send(Method::GET, &path, Some(&token), None, None).await.status(), 200);
    let suggestions = format!("/v1/people/{person}/suggestions");
    assert_eq!(app.send(Method::GET, &suggestions, Some(&token), None, None).await.status(), 200);
    let search = format!("/v1/search?q={}", CANARY_NAME.replace(' ', "+"));
    assert_eq!(app.send(Method::GET, &search, Some(&token), None, None).await.status(), 200);
    let unknown = format!("/v1/{CANARY_POSTCODE}/{}", Uuid::new_v4());
    assert_eq!(app.send(Method::GET, &unknown, Some(&token), None, None).await.status(), 404);
    let made_up = reqwest::Method::from_bytes(b"QUILLON").unwrap_or(Method::GET);
    app.send(made_up, &path, Some(&token), None, None).await;

    // Never on the public port.
    assert_eq!(app.send(Method::GET, "/metrics", None, None, None).await.status(), 404);
    let response = app.client.get(format!("{metrics}/metrics")).send().await;
    let Ok(response) = response else { panic!("the metrics listener answers") };
    assert_eq!(response.status(), 200);
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = response.text().await.unwrap_or_default();

    for expected in [
        r#"friends_http_requests_total{route="/v1/people/{id}",method="GET",status="2xx"}"#,
        r#"friends_http_requests_total{route="/v1/people/{id}/suggestions",method="GET",status="2xx"}"#,
        r#"friends_http_requests_total{route="unmatched",method="GET",status="4xx"}"#,
        r#"method="other""#,
        r#"friends_http_request_duration_seconds_bucket{route="/v1/people",method="POST",status="2xx",le="0.005"}"#,
        r#"friends_http_request_duration_seconds_count{route="/v1/search",method="GET",status="2xx"}"#,
        "# TYPE friends_http_request_duration_seconds histogram",
        r#"friends_index_lag_changes{index="matcher"} 0"#,
        r#"friends_index_lag_changes{index="search"} 0"#,
        r#"friends_broker_queue_depth{kind="introduction"}"#,
        r#"friends_broker_queue_depth{kind="check_in"}"#,
        "friends_matcher_people",
        r#"friends_job_runs_total{job="follow"}"#,
    ] {
        assert!(text.contains(expected), "{expected} is missing from:\n{text}");
    }
    assert!(!holds_uuid(&text), "an id is in the metrics:\n{text}");
    for canary in [CANARY_NAME, "Quillon", "QUILLON", CANARY_POSTCODE, "TW9", CANARY_EMAIL, CANARY_NEED, "eyJ"] {
        assert!(!text.contains(canary), "{canary} is in the metrics");
    }
    // Only /metrics there.
    let other = app.client.get(format!("{metrics}/v1/taxonomy")).send().await;
    assert_eq!(other.map(|r| r.status().as_u16()).ok(), Some(404));
}

async fn retry_after(response: reqwest::Response) -> u64 {
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let Some(seconds) = retry_after else { panic!("a 429 says when to come back") };
    assert_problem(response, 429, "rate_limited").await;
    seconds
}

#[tokio::test]
async fn a_caller_past_their_limit_is_told_when_to_come_back_and_others_are_not() {
    let app = spawn_app_with(default_backend(), |settings| {
        settings.callers = friends_api::config::CallerSettings { rate_per_minute: 5, lookups_per_minute: 1_000 };
    })
    .await;
    let busy = app.token(Role::Admin, Uuid::new_v4());
    for _ in 0..5 {
        assert_eq!(app.send(Method::GET, "/v1/introductions", Some(&busy), None, None).await.status(), 200);
    }
    let refused = app.send(Method::GET, "/v1/introductions", Some(&busy), None, None).await;
    let seconds = retry_after(refused).await;
    assert!((1..=60).contains(&seconds), "{seconds}");
    // A write past the limit changes nothing.
    let person = Uuid::new_v4();
    let response = app.send(Method::POST, "/v1/people", Some(&busy), Some(&sample_person()), None).await;
    assert_eq!(response.status(), 429);
    let other = app.token(Role::Admin, person);
    let listed = app.send(Method::GET, "/v1/search?limit=50", Some(&other), None, None).await;
    assert_eq!(listed.status(), 200, "another caller is not held back");
    let body: Value = json_body(listed).await;
    assert_eq!(body["items"].as_array().map(Vec::len), Some(0), "the refused create stored nothing: {body}");
    // Without a token there is no caller to count: the 401 stays a 401.
    assert_eq!(app.send(Method::GET, "/v1/introductions", None, None, None).await.status(), 401);
}

#[tokio::test]
async fn lookups_are_limited_per_caller_and_per_person_asked_about() {
    let app = spawn_app_with(default_backend(), |settings| {
        settings.callers = friends_api::config::CallerSettings { rate_per_minute: 1_000, lookups_per_minute: 3 };
    })
    .await;
    let admin = app.token(Role::Admin, Uuid::new_v4());
    let mut people = Vec::new();
    for _ in 0..5 {
        let body = app.create_person(&admin, &sample_person()).await;
        people.push(body["id"].as_str().unwrap_or_default().to_owned());
    }
    // A broker sweeping one person at a time is held to the lookup pace.
    let broker = app.token_with(Role::Broker, Uuid::new_v4(), Vec::new(), vec![RICHMOND]);
    for person in &people[..3] {
        let path = format!("/v1/people/{person}/suggestions");
        assert_eq!(app.send(Method::GET, &path, Some(&broker), None, None).await.status(), 200);
    }
    let sweep =
        app.send(Method::GET, &format!("/v1/people/{}/suggestions", people[3]), Some(&broker), None, None).await;
    retry_after(sweep).await;
    // Ordinary reads are not lookups.
    let read = app.send(Method::GET, &format!("/v1/people/{}", people[3]), Some(&broker), None, None).await;
    assert_eq!(read.status(), 200);
    // Several tokens together cannot ask about one person faster either.
    let target = &people[4];
    for _ in 0..3 {
        let fresh = app.token(Role::Admin, Uuid::new_v4());
        let path = format!("/v1/people/{target}/group-suggestions?size=3");
        assert_eq!(app.send(Method::GET, &path, Some(&fresh), None, None).await.status(), 200);
    }
    let fresh = app.token(Role::Admin, Uuid::new_v4());
    let again = app.send(Method::GET, &format!("/v1/people/{target}/suggestions"), Some(&fresh), None, None).await;
    retry_after(again).await;
    // A caller who may not see a person spends none of that person's
    // limit: still 404, however often.
    let stranger = app.token(Role::Member, Uuid::new_v4());
    let other = &people[0];
    for _ in 0..2 {
        let path = format!("/v1/people/{other}/suggestions");
        assert_eq!(app.send(Method::GET, &path, Some(&stranger), None, None).await.status(), 404);
    }
    let helper = app.token(Role::Admin, Uuid::new_v4());
    let path = format!("/v1/people/{other}/suggestions");
    assert_eq!(app.send(Method::GET, &path, Some(&helper), None, None).await.status(), 200, "404s spent nothing");
    // Searches count against the searcher.
    let searcher = app.token(Role::Admin, Uuid::new_v4());
    for _ in 0..3 {
        assert_eq!(app.send(Method::GET, "/v1/search?q=cooking", Some(&searcher), None, None).await.status(), 200);
    }
    retry_after(app.send(Method::GET, "/v1/search?q=cooking", Some(&searcher), None, None).await).await;
}
