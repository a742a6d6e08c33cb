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

async fn import(app: &TestApp, token: Option<&str>, query: &str, body: String) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/v1/admin/import{query}")))
        .header("content-type", "application/x-ndjson")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    match request.send().await {
        Ok(response) => response,
        Err(error) => panic!("import: {error}"),
    }
}

fn line(external_ref: &str, adjust: impl FnOnce(&mut Value)) -> String {
    let mut person = sample_person();
    person["external_ref"] = serde_json::json!(external_ref);
    adjust(&mut person);
    person.to_string()
}

async fn stored_people(app: &TestApp) -> Vec<friends_store::StoredPerson> {
    let Ok(store) = friends_store::Store::connect(&app.database_url).await else { panic!("store") };
    match store.people_page(None, 1_000).await {
        Ok(people) => people,
        Err(error) => panic!("people: {error}"),
    }
}

fn rejected_lines(summary: &Value) -> Vec<(u64, String)> {
    summary["rejected"]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .map(|line| {
                    (line["line"].as_u64().unwrap_or(0), line["errors"][0]["code"].as_str().unwrap_or("").to_owned())
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_import_reports_bad_lines_by_number_stores_none_of_them_and_is_idempotent() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin, Uuid::new_v4());
    let file = [
        line("CR-1", |_| {}),
        "{\"display_name\": \"Wrenna Notjson\"".to_owned(),
        line("CR-2", |person| {
            person["discoverable"] = serde_json::json!(true);
            person["public_listing"] = serde_json::json!(true);
            person["outcode"] = serde_json::json!("TW9 7QX");
        }),
        line("CR-3", |person| {
            person.as_object_mut().map(|object| object.remove("external_ref"));
            person["display_name"] = serde_json::json!("Wrenna Noref");
        }),
        line("CR-4", |person| {
            person["display_name"] = serde_json::json!("Wrenna Badterm");
            person["interests"] = serde_json::json!(["not-a-known-interest-at-all"]);
        }),
        line("CR-1", |person| person["display_name"] = serde_json::json!("Wrenna Twice")),
        String::new(),
        line("CR-5", |person| person["outcode"] = serde_json::json!("M1")),
    ]
    .join("\n");

    // Anyone but an admin: 404, and nothing stored.
    for role in [Role::Member, Role::Broker, Role::Supporter] {
        let token = app.token_with(role, Uuid::new_v4(), Vec::new(), vec![RICHMOND]);
        assert_problem(import(&app, Some(&token), "", file.clone()).await, 404, "not_found").await;
    }
    assert_eq!(import(&app, None, "", file.clone()).await.status(), 401);
    let as_json = app.client.post(app.url("/v1/admin/import")).bearer_auth(&admin).json(&serde_json::json!({})).send();
    let Ok(as_json) = as_json.await else { panic!("send") };
    assert_problem(as_json, 415, "unsupported_media_type").await;
    assert!(stored_people(&app).await.is_empty());

    // A dry run reports and writes nothing.
    let dry = json_body(import(&app, Some(&admin), "?dry_run=true", file.clone()).await).await;
    assert_eq!((dry["dry_run"].as_bool(), dry["created"].as_u64()), (Some(true), Some(3)), "{dry}");
    assert!(stored_people(&app).await.is_empty(), "a dry run writes nothing");

    let response = import(&app, Some(&admin), "", file.clone()).await;
    assert_eq!(response.status(), 200);
    let summary = json_body(response).await;
    assert_eq!(summary["created"], 3, "{summary}");
    assert_eq!(summary["updated"], 0);
    assert_eq!(summary["unchanged"], 0);
    assert_eq!(summary["rejected_total"], 4);
    assert_eq!(
        rejected_lines(&summary),
        vec![
            (2, "invalid_line".to_owned()),
            (4, "required".to_owned()),
            (5, "unknown_term".to_owned()),
            (6, "duplicate".to_owned())
        ],
        "{summary}"
    );
    assert_eq!(summary["rejected"][2]["external_ref"], "CR-4");
    assert_eq!(summary["rejected"][3]["errors"][0]["field"], "external_ref");

    let people = stored_people(&app).await;
    assert_eq!(people.len(), 3, "the good lines only");
    assert!(people.iter().all(|person| !person.record.display_name.starts_with("Wrenna")), "no bad line stored");
    assert!(people.iter().all(|person| !person.record.discoverable && !person.record.public_listing), "hidden");
    assert!(people.iter().all(|person| person.record.outcode == "TW9" || person.record.outcode == "M1"));
    // Hidden people are not found, even by an admin's search.
    let found = json_body(app.send(Method::GET, "/v1/search?q=Zanzibar", Some(&admin), None, None).await).await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(0), "{found}");

    // The same file again changes nothing.
    let again = json_body(import(&app, Some(&admin), "", file.clone()).await).await;
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(0), Some(3))
    );
    let after = stored_people(&app).await;
    assert!(after.iter().all(|person| person.version == 1), "no new version for the same line");

    // The person chooses to be found; then a changed line updates them,
    // and their choice stands.
    let first = &after[0];
    let path = format!("/v1/people/{}", first.id);
    let patch = serde_json::json!({"discoverable": true});
    assert_eq!(app.send(Method::PATCH, &path, Some(&admin), Some(&patch), Some("\"1\"")).await.status(), 200);
    let found = json_body(app.send(Method::GET, "/v1/search?q=Zanzibar", Some(&admin), None, None).await).await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(1), "found once they choose: {found}");
    let changed = [
        line("CR-1", |person| person["about"] = serde_json::json!("Now likes narrowboats.")),
        line("CR-2", |person| {
            person["discoverable"] = serde_json::json!(true);
            person["public_listing"] = serde_json::json!(true);
            person["outcode"] = serde_json::json!("TW9 7QX");
        }),
        line("CR-5", |person| {
            person["outcode"] = serde_json::json!("M1");
            person["about"] = serde_json::json!("Now likes narrowboats.");
        }),
    ]
    .join("\n");
    let dry = json_body(import(&app, Some(&admin), "?dry_run=true", changed.clone()).await).await;
    assert_eq!((dry["updated"].as_u64(), dry["unchanged"].as_u64()), (Some(2), Some(1)), "{dry}");
    let updated = json_body(import(&app, Some(&admin), "", changed).await).await;
    assert_eq!(
        (updated["created"].as_u64(), updated["updated"].as_u64(), updated["unchanged"].as_u64()),
        (Some(0), Some(2), Some(1))
    );
    let people = stored_people(&app).await;
    let renewed: Vec<_> = people.iter().filter(|person| person.record.about == "Now likes narrowboats.").collect();
    assert_eq!(renewed.len(), 2);
    for person in &renewed {
        let expected = if person.id == first.id { 3 } else { 2 };
        assert_eq!(person.version, expected, "a changed line is a new version");
        let export = json_body(
            app.send(Method::GET, &format!("/v1/people/{}/export", person.id), Some(&admin), None, None).await,
        )
        .await;
        assert!(export.to_string().contains("updated"), "the change log has the update: {export}");
    }
    let chose = people.iter().find(|person| person.id == first.id);
    assert_eq!(chose.map(|person| person.record.discoverable), Some(true), "the person's own choice stands");
}

#[tokio::test]
async fn reindex_while_serving_answers_every_concurrent_request() {
    let app = spawn_app_with(default_backend(), |settings| settings.demo_people = Some(3_000)).await;
    let admin = app.token(Role::Admin, Uuid::new_v4());
    let non_admin = app.token(Role::Broker, Uuid::new_v4());
    assert_problem(app.send(Method::POST, "/v1/admin/reindex", Some(&non_admin), None, None).await, 404, "not_found")
        .await;
    let people = json_body(app.send(Method::GET, "/v1/search?limit=5", Some(&admin), None, None).await).await;
    let ids: Vec<String> = people["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|card| card["person_id"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    assert!(!ids.is_empty(), "demo people are found: {people}");
    let reindex = app.send(Method::POST, "/v1/admin/reindex", Some(&admin), None, None);
    let load = async {
        let mut statuses = Vec::new();
        let mut created = Vec::new();
        for round in 0..40 {
            let id = &ids[round % ids.len()];
            let path = format!("/v1/people/{id}/suggestions");
            let suggestions = app.send(Method::GET, &path, Some(&admin), None, None);
            let search = app.send(Method::GET, "/v1/search?q=cooking&limit=5", Some(&admin), None, None);
            let (suggestions, search) = futures_util::join!(suggestions, search);
            statuses.push(suggestions.status().as_u16());
            statuses.push(search.status().as_u16());
            if round % 10 == 0 {
                let member = Uuid::new_v4();
                let token = app.token(Role::Member, member);
                let response = app.send(Method::POST, "/v1/people", Some(&token), Some(&sample_person()), None).await;
                statuses.push(response.status().as_u16());
                created.push((member, token));
            }
        }
        (statuses, created)
    };
    let (reindexed, (statuses, created)) = futures_util::join!(reindex, load);
    assert_eq!(reindexed.status(), 200);
    let report = json_body(reindexed).await;
    assert!(report["people"].as_u64().unwrap_or(0) >= 3_000, "{report}");
    let refused: Vec<&u16> = statuses.iter().filter(|status| !(200..300).contains(*status)).collect();
    assert!(refused.is_empty(), "every request during the reindex was answered: {refused:?}");
    // What was written during it is in the new indexes.
    for (member, token) in &created {
        let path = format!("/v1/people/{member}/suggestions");
        assert_eq!(app.send(Method::GET, &path, Some(token), None, None).await.status(), 200);
    }
    let found =
        json_body(app.send(Method::GET, "/v1/search?q=Zanzibar&limit=50", Some(&admin), None, None).await).await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(created.len()), "{found}");
    assert_eq!(app.send(Method::GET, "/readyz", None, None, None).await.status(), 200);
}
