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
    // That spent nothing of the person's own side: they, and a supporter
    // acting for them, still get their suggestions.
    let Ok(target_id) = target.parse::<Uuid>() else { panic!("an id") };
    let themselves = app.token(Role::Member, target_id);
    let supporter = app.token_with(Role::Supporter, Uuid::new_v4(), vec![target_id], Vec::new());
    for token in [&themselves, &supporter] {
        let path = format!("/v1/people/{target}/suggestions");
        assert_eq!(app.send(Method::GET, &path, Some(token), None, None).await.status(), 200, "their own side");
    }
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

/// The person id the import answered for `external_ref`.
fn person_of(summary: &Value, external_ref: &str) -> Uuid {
    let found = summary["people"].as_array().and_then(|people| {
        people
            .iter()
            .find(|person| person["external_ref"] == external_ref)
            .and_then(|person| person["person_id"].as_str().and_then(|id| id.parse().ok()))
    });
    found.unwrap_or_else(|| panic!("{external_ref} has an id in {summary}"))
}

const FROM_RICHMOND: &str = "?authority=E09000027";

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
            person["share_needs_with_matches"] = serde_json::json!(true);
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
        // Out of the council's area (a placement elsewhere): its reference
        // is still the council's.
        line("CR-5", |person| person["outcode"] = serde_json::json!("M1")),
    ]
    .join("\n");

    // Anyone but an admin: 404, whatever the query, and nothing stored.
    for role in [Role::Member, Role::Broker, Role::Supporter] {
        let token = app.token_with(role, Uuid::new_v4(), Vec::new(), vec![RICHMOND]);
        assert_problem(import(&app, Some(&token), FROM_RICHMOND, file.clone()).await, 404, "not_found").await;
        assert_problem(import(&app, Some(&token), "?no_such=1", file.clone()).await, 404, "not_found").await;
    }
    assert_eq!(import(&app, None, FROM_RICHMOND, file.clone()).await.status(), 401);
    let as_json = app
        .client
        .post(app.url(&format!("/v1/admin/import{FROM_RICHMOND}")))
        .bearer_auth(&admin)
        .json(&serde_json::json!({}))
        .send();
    let Ok(as_json) = as_json.await else { panic!("send") };
    assert_problem(as_json, 415, "unsupported_media_type").await;
    // The import names whose references these are.
    for query in ["", "?authority=E99999999", "?authority=E09000027&no_such=1"] {
        assert_problem(import(&app, Some(&admin), query, file.clone()).await, 400, "invalid_query").await;
    }
    assert!(stored_people(&app).await.is_empty());

    // A dry run reports and writes nothing.
    let dry = json_body(import(&app, Some(&admin), "?authority=E09000027&dry_run=true", file.clone()).await).await;
    assert_eq!((dry["dry_run"].as_bool(), dry["created"].as_u64()), (Some(true), Some(3)), "{dry}");
    assert_eq!(dry["people"][0]["person_id"], Value::Null, "no id for a person not created: {dry}");
    assert!(stored_people(&app).await.is_empty(), "a dry run writes nothing");

    let response = import(&app, Some(&admin), FROM_RICHMOND, file.clone()).await;
    assert_eq!(response.status(), 200);
    let summary = json_body(response).await;
    assert_eq!(summary["authority"], RICHMOND, "{summary}");
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
    let outcomes: Vec<(u64, &str, &str)> = summary["people"]
        .as_array()
        .map(|people| {
            people
                .iter()
                .map(|person| {
                    (
                        person["line"].as_u64().unwrap_or(0),
                        person["external_ref"].as_str().unwrap_or(""),
                        person["outcome"].as_str().unwrap_or(""),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(outcomes, vec![(1, "CR-1", "created"), (3, "CR-2", "created"), (8, "CR-5", "created")]);

    let people = stored_people(&app).await;
    assert_eq!(people.len(), 3, "the good lines only");
    let mut ids: Vec<Uuid> = people.iter().map(|person| person.id).collect();
    let mut answered: Vec<Uuid> =
        ["CR-1", "CR-2", "CR-5"].iter().map(|reference| person_of(&summary, reference)).collect();
    ids.sort();
    answered.sort();
    assert_eq!(ids, answered, "the answer maps each reference to its person");
    assert!(people.iter().all(|person| !person.record.display_name.starts_with("Wrenna")), "no bad line stored");
    assert!(
        people.iter().all(|person| !person.record.discoverable
            && !person.record.public_listing
            && !person.record.share_needs_with_matches),
        "hidden, and their support needs their own to share"
    );
    assert!(people.iter().all(|person| person.record.outcode == "TW9" || person.record.outcode == "M1"));
    // Hidden people are not found, even by an admin's search.
    let found = json_body(app.send(Method::GET, "/v1/search?q=Zanzibar", Some(&admin), None, None).await).await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(0), "{found}");

    // The same file again changes nothing.
    let again = json_body(import(&app, Some(&admin), FROM_RICHMOND, file.clone()).await).await;
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(0), Some(3))
    );
    assert_eq!(person_of(&again, "CR-1"), person_of(&summary, "CR-1"), "unchanged lines give their ids too");
    let after = stored_people(&app).await;
    assert!(after.iter().all(|person| person.version == 1), "no new version for the same line");

    // Another council's system may use the same numbers: its CR-1 is
    // somebody else.
    let neighbour = json_body(import(&app, Some(&admin), "?authority=E09000033", line("CR-1", |_| {})).await).await;
    assert_eq!(neighbour["created"], 1, "{neighbour}");
    assert_ne!(person_of(&neighbour, "CR-1"), person_of(&summary, "CR-1"));
    assert_eq!(stored_people(&app).await.len(), 4);
}

#[tokio::test]
async fn a_changed_line_changes_only_what_the_person_left_as_imported() {
    let app = spawn_app().await;
    let admin = app.token(Role::Admin, Uuid::new_v4());
    let file = [line("CR-1", |_| {}), line("CR-2", |_| {})].join("\n");
    let summary = json_body(import(&app, Some(&admin), FROM_RICHMOND, file).await).await;
    let (chooser, other) = (person_of(&summary, "CR-1"), person_of(&summary, "CR-2"));

    // CR-1 chooses to be found, to pause for now, and moves to Westminster.
    let themselves = app.token(Role::Member, chooser);
    let own = serde_json::json!({"discoverable": true, "status": "paused", "outcode": "SW1A"});
    let path = format!("/v1/people/{chooser}");
    assert_eq!(app.send(Method::PATCH, &path, Some(&themselves), Some(&own), Some("\"1\"")).await.status(), 200);

    // The council's next file changes what both wrote about, and would
    // make everyone active, shared and in Richmond again.
    let changed = [
        line("CR-1", |person| {
            person["about"] = serde_json::json!("Now likes narrowboats.");
            person["status"] = serde_json::json!("active");
            person["share_needs_with_matches"] = serde_json::json!(true);
        }),
        line("CR-2", |person| person["about"] = serde_json::json!("Now likes narrowboats.")),
    ]
    .join("\n");
    let dry = json_body(import(&app, Some(&admin), "?authority=E09000027&dry_run=true", changed.clone()).await).await;
    assert_eq!((dry["updated"].as_u64(), dry["unchanged"].as_u64()), (Some(2), Some(0)), "{dry}");
    let updated = json_body(import(&app, Some(&admin), FROM_RICHMOND, changed.clone()).await).await;
    assert_eq!(
        (updated["created"].as_u64(), updated["updated"].as_u64(), updated["unchanged"].as_u64()),
        (Some(0), Some(2), Some(0)),
        "{updated}"
    );
    let people = stored_people(&app).await;
    let find = |id: Uuid| people.iter().find(|person| person.id == id).unwrap_or_else(|| panic!("{id} is stored"));
    let (chose, left) = (find(chooser), find(other));
    assert_eq!(chose.record.about, "Now likes narrowboats.", "what the person left as imported follows the file");
    assert_eq!(left.record.about, "Now likes narrowboats.");
    assert_eq!((chose.version, left.version), (3, 2), "a changed line is a new version");
    assert!(chose.record.discoverable, "their choice to be found stands");
    assert_eq!(chose.record.status, friends_domain::person::ProfileStatus::Paused, "their pause stands");
    assert!(!chose.record.share_needs_with_matches, "sharing needs is theirs to choose");
    assert_eq!(
        (chose.record.outcode.as_str(), chose.record.authority_code.as_str()),
        ("SW1A", "E09000033"),
        "their move stands"
    );
    assert!(!left.record.share_needs_with_matches && !left.record.discoverable);
    // The same changed file again: nothing new.
    let again = json_body(import(&app, Some(&admin), FROM_RICHMOND, changed).await).await;
    assert_eq!(again["unchanged"], 2, "{again}");

    // Their export shows the update and the council's reference.
    let export =
        json_body(app.send(Method::GET, &format!("/v1/people/{chooser}/export"), Some(&admin), None, None).await).await;
    let operations: Vec<&str> = export["changes"]
        .as_array()
        .map(|changes| changes.iter().filter_map(|change| change["operation"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(operations, vec!["created", "updated", "updated"], "{export}");
    assert_eq!(export["external_refs"][0]["authority"], RICHMOND, "{export}");
    assert_eq!(export["external_refs"][0]["external_ref"], "CR-1", "{export}");

    // Erased, they stay erased: the council's next file does not bring
    // them back, and says so.
    assert_eq!(app.send(Method::DELETE, &path, Some(&admin), None, None).await.status(), 204);
    let after = json_body(import(&app, Some(&admin), FROM_RICHMOND, line("CR-1", |_| {})).await).await;
    assert_eq!((after["created"].as_u64(), after["rejected_total"].as_u64()), (Some(0), Some(1)), "{after}");
    assert_eq!(rejected_lines(&after), vec![(1, "erased".to_owned())]);
    assert_eq!(stored_people(&app).await.len(), 1);
    // What is kept of them is a digest: their reference is in no row.
    let kept = query_texts(&app, "SELECT authority || ' ' || external_ref FROM external_refs").await;
    assert_eq!(kept, vec![format!("{RICHMOND} CR-2")]);
    let digests = query_texts(&app, "SELECT authority || ' ' || ref_digest FROM erased_refs").await;
    assert_eq!(digests.len(), 1);
    assert!(!digests[0].contains("CR-1") && digests[0].len() == RICHMOND.len() + 1 + 64, "{digests:?}");
}

async fn query_texts(app: &TestApp, sql: &str) -> Vec<String> {
    use sea_orm::ConnectionTrait;
    let Ok(db) = sea_orm::Database::connect(&app.database_url).await else { panic!("connect") };
    let rows = match db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await {
        Ok(rows) => rows,
        Err(error) => panic!("{sql}: {error}"),
    };
    let _ = db.close().await;
    rows.iter().filter_map(|row| row.try_get_by_index::<String>(0).ok()).collect()
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
    // A second reindex meanwhile is refused, not run twice over.
    let second = async {
        let mut answers = Vec::new();
        for _ in 0..5 {
            let response = app.send(Method::POST, "/v1/admin/reindex", Some(&admin), None, None).await;
            let status = response.status().as_u16();
            let body = json_body(response).await;
            answers.push((status, body["code"].as_str().map(str::to_owned)));
        }
        answers
    };
    let (reindexed, (statuses, created), mut answers) = futures_util::join!(reindex, load, second);
    let status = reindexed.status().as_u16();
    let report = json_body(reindexed).await;
    answers.push((status, report["code"].as_str().map(str::to_owned)));
    // Whichever came first ran; any other meanwhile was told so.
    assert!(
        answers.iter().all(|answer| answer.0 == 200 || *answer == (409, Some("reindex_running".to_owned()))),
        "one reindex at a time: {answers:?}"
    );
    assert!(answers.iter().any(|answer| answer.0 == 200), "{answers:?}");
    assert!(status == 409 || report["people"].as_u64().unwrap_or(0) >= 3_000, "{report}");
    let refused: Vec<&u16> = statuses.iter().filter(|status| !(200..300).contains(*status)).collect();
    assert!(refused.is_empty(), "every request during the reindex was answered: {refused:?}");
    // What was written during it is in the new indexes.
    for (member, token) in &created {
        let path = format!("/v1/people/{member}/suggestions");
        let response = app.send(Method::GET, &path, Some(token), None, None).await;
        let status = response.status();
        assert_eq!(status, 200, "{}", response.text().await.unwrap_or_default());
    }
    let found =
        json_body(app.send(Method::GET, "/v1/search?q=Zanzibar&limit=50", Some(&admin), None, None).await).await;
    assert_eq!(found["items"].as_array().map(Vec::len), Some(created.len()), "{found}");
    assert_eq!(app.send(Method::GET, "/readyz", None, None, None).await.status(), 200);
}
