//! No name, about text, contact detail, support need, postcode or token in
//! any log line. This test drives every route with canary data and reads
//! every line this process logged (at debug level for every crate). `make
//! test` repeats the check over the logs of the whole run.

use friends_api::auth::Role;
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;

/// Strings that must never appear in a log line (shared with
/// `scripts/check-test-logs`, which checks the logs of the whole run).
pub fn forbidden_in_logs() -> Vec<&'static str> {
    include_str!("fixtures/log-canaries.txt").lines().filter(|line| !line.is_empty()).collect()
}

#[test]
fn the_canary_list_names_every_canary_of_the_suite() {
    let listed = forbidden_in_logs();
    for canary in [CANARY_NAME, CANARY_ABOUT, CANARY_EMAIL, CANARY_PHONE, CANARY_NEED, CANARY_INWARD, "eyJ"] {
        assert!(listed.contains(&canary), "{canary} is missing from fixtures/log-canaries.txt");
    }
}

#[tokio::test]
async fn canary_personal_data_never_appears_in_the_logs() {
    let app = spawn_app().await;
    let id = Uuid::new_v4();
    let token = app.token(Role::Member, id);
    let path = format!("/v1/people/{id}");
    app.create_person(&token, &sample_person()).await;
    app.send(Method::GET, &path, Some(&token), None, None).await;
    app.send(Method::GET, &format!("{path}/export"), Some(&token), None, None).await;
    let patch = json!({"display_name": format!("{CANARY_NAME} Jr"), "about": CANARY_ABOUT});
    app.send(Method::PATCH, &path, Some(&token), Some(&patch), Some("\"1\"")).await;
    // Failures carrying canaries: bad types, bad email, unknown district from a full postcode, stale version.
    app.send(Method::PATCH, &path, Some(&token), Some(&json!({"travel_km": CANARY_NAME})), Some("\"2\"")).await;
    app.send(Method::PATCH, &path, Some(&token), Some(&json!({"contact": {"email": CANARY_NAME}})), Some("\"2\""))
        .await;
    app.send(Method::PATCH, &path, Some(&token), Some(&json!({"outcode": "ZZ99 7QX"})), Some("\"2\"")).await;
    app.send(Method::PATCH, &path, Some(&token), Some(&patch), Some("\"1\"")).await;
    app.send(Method::GET, "/v1/areas/outcodes/TW9%207QX", None, None, None).await;
    app.send(Method::GET, &format!("/v1/people/{id}?q={CANARY_NAME}"), Some(&token), None, None).await;
    app.send(Method::GET, &path, Some(&format!("{token}x")), None, None).await;

    // Introductions: messages, notes, reasons and reports are personal text.
    let (bea, bea_token) = app.member_in("TW9").await;
    let broker = app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec![RICHMOND]);
    let request = json!({"from": id, "to": bea, "message": "Quokka-canary-message"});
    let created =
        json_body(app.send(Method::POST, "/v1/introductions", Some(&token), Some(&request), None).await).await;
    let intro = format!("/v1/introductions/{}", created["id"].as_str().unwrap_or_default());
    let note = json!({"note": "Quokka-canary-note"});
    app.send(Method::POST, &format!("{intro}/approve"), Some(&broker), Some(&note), None).await;
    let reason = json!({"reason": "Zephyr-decline-reason"});
    app.send(Method::POST, &format!("{intro}/decline"), Some(&broker), Some(&reason), None).await;
    let consent = json!({"decision": "accept", "supported_by": "Quokka-canary-note"});
    app.send(Method::POST, &format!("{intro}/consent"), Some(&bea_token), Some(&consent), None).await;
    let bad = json!({"from": id, "to": bea, "message": "Zephyr-decline-reason\u{7}"});
    app.send(Method::POST, "/v1/introductions", Some(&token), Some(&bad), None).await;
    let report = json!({"reporter": bea, "about": id, "reason": "Asked me for money twice"});
    app.send(Method::POST, "/v1/reports", Some(&bea_token), Some(&report), None).await;
    app.send(Method::GET, "/v1/broker/queue", Some(&broker), None, None).await;
    app.send(Method::GET, &format!("{intro}/events"), Some(&token), None, None).await;
    app.send(Method::DELETE, &path, Some(&token), None, None).await;

    let logs = match captured_logs().lock() {
        Ok(logs) => String::from_utf8_lossy(&logs).into_owned(),
        Err(_) => panic!("log buffer poisoned"),
    };
    assert!(logs.contains("request completed"), "control: request logs were captured");
    assert!(logs.contains(&id.to_string()), "control: ids are logged, so the capture sees this test's lines");
    for canary in forbidden_in_logs() {
        let leaked: Vec<&str> = logs.lines().filter(|line| line.contains(canary)).take(3).collect();
        assert!(leaked.is_empty(), "{canary:?} leaked into the logs: {leaked:?}");
    }
}
