//! `GET /v1/people/{id}/group-suggestions`: whole groups in which everyone
//! fits everyone, cards without anything unshared, and honest empty lists
//! (for pairs too) that say why and reveal nobody.

use friends_api::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::suggestions::{create_member, friendly};

async fn groups(app: &TestApp, seeker: Uuid, token: &str, query: &str) -> Value {
    let response =
        app.send(Method::GET, &format!("/v1/people/{seeker}/group-suggestions{query}"), Some(token), None, None).await;
    assert_eq!(response.status(), 200);
    json_body(response).await
}

/// The member ids of each group, sorted.
fn memberships(answer: &Value) -> Vec<Vec<String>> {
    answer["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|group| {
            let mut ids: Vec<String> = group["members"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|card| card["person_id"].as_str().map(str::to_owned))
                .collect();
            ids.sort();
            ids
        })
        .collect()
}

fn sorted(ids: &[Uuid]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn four_people_who_all_fit_are_suggested_as_a_group() {
    let app = spawn_app().await;
    let (ada, ada_token) = create_member(&app, &friendly("TW9", "Ada")).await;
    let (bea, bea_token) = create_member(&app, &friendly("TW10", "Bea")).await;
    let (cai, _) = create_member(&app, &friendly("TW9", "Cai")).await;
    let (dan, _) = create_member(&app, &friendly("TW10", "Dan")).await;

    let answer = groups(&app, ada, &ada_token, "?size=4").await;
    assert_eq!(memberships(&answer), vec![sorted(&[bea, cai, dan])], "{answer}");
    assert!(answer.get("empty").is_none());
    let group = &answer["items"][0];
    assert!(group["score"].as_f64().is_some_and(|score| score > 0.0 && score <= 1.0), "{group}");
    let reasons: Vec<&str> = group["reasons"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    assert!(reasons.iter().any(|line| line.starts_with("You all like")), "{reasons:?}");
    assert!(reasons.contains(&"All four of you are free on Saturday afternoon."), "{reasons:?}");
    let text = group.to_string();
    assert!(!text.contains(CANARY_EMAIL) && !text.contains(CANARY_NEED), "no contact, no unshared need: {text}");
    for card in group["members"].as_array().into_iter().flatten() {
        assert!(card.get("distance_km").is_none() && card.get("outcode").is_none() && card.get("contact").is_none());
        assert!(card["distance_band"].is_string(), "{card}");
    }

    // Groups of three: Ada and two of the other three. Any two such groups
    // share someone, and a group must differ from a better one in at least
    // two members, so only the best is listed.
    let threes = memberships(&groups(&app, ada, &ada_token, "?size=3&limit=10").await);
    assert_eq!(threes.len(), 1, "{threes:?}");

    // Bea blocks Cai: no group holds them both.
    let block = app
        .send(Method::POST, "/v1/blocks", Some(&bea_token), Some(&json!({"blocker": bea, "blocked": cai})), None)
        .await;
    assert_eq!(block.status(), 201);
    let answer = groups(&app, ada, &ada_token, "?size=4").await;
    assert!(memberships(&answer).is_empty(), "{answer}");
    assert_eq!(answer["empty"]["code"], "no_group_fits", "{answer}");
    let threes = memberships(&groups(&app, ada, &ada_token, "?size=3&limit=10").await);
    let (bea, cai) = (bea.to_string(), cai.to_string());
    assert!(
        !threes.is_empty() && threes.iter().all(|group| !(group.contains(&bea) && group.contains(&cai))),
        "{threes:?}"
    );
}

#[tokio::test]
async fn group_rules_keep_out_whoever_does_not_fit_the_whole_group() {
    let app = spawn_app().await;
    let (ada, ada_token) = create_member(&app, &friendly("TW9", "Ada")).await;
    create_member(&app, &friendly("TW10", "Bea")).await;
    create_member(&app, &friendly("TW9", "Cai")).await;
    // Small wants groups of three at most; Other time is free only when
    // nobody else is; Dear and Cheap can pay with the others but not with
    // each other. Otherwise everyone fits everyone.
    let mut small = friendly("TW10", "Small");
    small["preferences"] = json!({"group_size_max": 3});
    create_member(&app, &small).await;
    let mut other_time = friendly("TW10", "Other time");
    other_time["availability"] = json!(["mon_morning"]);
    create_member(&app, &other_time).await;
    let mut dear = friendly("TW10", "Dear");
    dear["contribution_gbp_week"] = json!({"min": 50, "max": 80});
    let mut cheap = friendly("TW10", "Cheap");
    cheap["contribution_gbp_week"] = json!({"min": 0, "max": 10});
    create_member(&app, &dear).await;
    create_member(&app, &cheap).await;
    create_member(&app, &friendly("TW9", "Dan")).await;

    let answer = groups(&app, ada, &ada_token, "?size=4&limit=10").await;
    assert!(!memberships(&answer).is_empty(), "{answer}");
    for group in answer["items"].as_array().into_iter().flatten() {
        let names: Vec<&str> = group["members"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|card| card["display_name"].as_str())
            .collect();
        assert!(!names.contains(&"Small"), "Small wants groups of three at most: {names:?}");
        assert!(!names.contains(&"Other time"), "no slot in common: {names:?}");
        assert!(!(names.contains(&"Dear") && names.contains(&"Cheap")), "no amount in common: {names:?}");
    }
}

#[tokio::test]
async fn an_open_request_between_two_members_keeps_them_apart() {
    let app = spawn_app().await;
    let (ada, ada_token) = create_member(&app, &friendly("TW9", "Ada")).await;
    let (bea, _) = create_member(&app, &friendly("TW10", "Bea")).await;
    let (cai, cai_token) = create_member(&app, &friendly("TW9", "Cai")).await;
    let (dan, _) = create_member(&app, &friendly("TW10", "Dan")).await;
    assert_eq!(memberships(&groups(&app, ada, &ada_token, "").await), vec![sorted(&[bea, cai, dan])]);
    let request = app
        .send(Method::POST, "/v1/introductions", Some(&cai_token), Some(&json!({"from": cai, "to": dan})), None)
        .await;
    assert_eq!(request.status(), 201);
    let answer = groups(&app, ada, &ada_token, "").await;
    assert_eq!(answer["items"], json!([]), "{answer}");
    assert_eq!(answer["empty"]["code"], "no_group_fits");
}

#[tokio::test]
async fn empty_lists_say_why_with_one_next_step() {
    let app = spawn_app().await;
    let (ada, ada_token) = create_member(&app, &friendly("TW9", "Ada")).await;
    let pairs = app.send(Method::GET, &format!("/v1/people/{ada}/suggestions"), Some(&ada_token), None, None).await;
    let pairs = json_body(pairs).await;
    assert_eq!(pairs["items"], json!([]));
    assert_eq!(pairs["empty"]["code"], "few_people_near");
    assert_eq!(
        pairs["empty"]["message"],
        "Not many people near you have joined yet. You could travel further than 15 km, or ask your broker."
    );
    let answer = groups(&app, ada, &ada_token, "").await;
    assert_eq!(answer["empty"]["code"], "few_people_near", "{answer}");
    assert!(answer["empty"]["message"].as_str().is_some_and(|text| text.contains("a group of 4")), "{answer}");

    // Someone who shares neither an interest nor a goal is no suggestion.
    let mut nothing_shared = friendly("TW10", "Nothing shared");
    nothing_shared["interests"] = json!(["knitting"]);
    nothing_shared["goals"] = json!(["holidays"]);
    create_member(&app, &nothing_shared).await;
    let pairs = app.send(Method::GET, &format!("/v1/people/{ada}/suggestions"), Some(&ada_token), None, None).await;
    assert_eq!(json_body(pairs).await["items"], json!([]), "distance alone is not a reason to meet");

    let with_goal = groups(&app, ada, &ada_token, "?goal=holidays").await;
    assert_eq!(with_goal["empty"]["code"], "goal_not_chosen", "{with_goal}");
    let path = format!("/v1/people/{ada}");
    let patched = app
        .send(
            Method::PATCH,
            &path,
            Some(&ada_token),
            Some(&json!({"preferences": {"group_size_max": 3}})),
            Some("\"1\""),
        )
        .await;
    assert_eq!(patched.status(), 200);
    let too_large = groups(&app, ada, &ada_token, "?size=5").await;
    assert_eq!(too_large["empty"]["code"], "group_larger_than_you_want", "{too_large}");
    let paused =
        app.send(Method::PATCH, &path, Some(&ada_token), Some(&json!({"status": "paused"})), Some("\"2\"")).await;
    assert_eq!(paused.status(), 200);
    assert_eq!(groups(&app, ada, &ada_token, "").await["empty"]["code"], "profile_not_findable");
    let text = groups(&app, ada, &ada_token, "").await.to_string();
    assert!(!text.contains("Nothing shared"), "an empty list names nobody");
}

#[tokio::test]
async fn group_suggestions_follow_the_people_rules_and_validate_their_query() {
    let app = spawn_app().await;
    let (ada, ada_token) = create_member(&app, &friendly("TW9", "Ada")).await;
    let path = format!("/v1/people/{ada}/group-suggestions");
    for bad in ["?size=2", "?size=7", "?size=99999999999999999999", "?limit=0"] {
        let response = app.send(Method::GET, &format!("{path}{bad}"), Some(&ada_token), None, None).await;
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert!(problem["errors"][0]["message"].as_str().is_some_and(|text| !text.is_empty()), "{problem}");
    }
    // Not a number at all: a malformed query, as for every route.
    for bad in ["?size=four", "?size=", "?size=-3", "?size=3.5", "?colour=red"] {
        let response = app.send(Method::GET, &format!("{path}{bad}"), Some(&ada_token), None, None).await;
        assert_problem(response, 400, "invalid_query").await;
    }
    let unknown_goal = app.send(Method::GET, &format!("{path}?goal=flying"), Some(&ada_token), None, None).await;
    assert_problem(unknown_goal, 422, "unknown_term").await;
    let stranger = app.token(Role::Member, Uuid::new_v4());
    assert_problem(app.send(Method::GET, &path, Some(&stranger), None, None).await, 404, "not_found").await;
    let broker_elsewhere = app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec!["E09000001"]);
    assert_problem(app.send(Method::GET, &path, Some(&broker_elsewhere), None, None).await, 404, "not_found").await;
    let broker = app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec![RICHMOND]);
    assert_eq!(app.send(Method::GET, &path, Some(&broker), None, None).await.status(), 200);
    let supporter = app.token_with(Role::Supporter, Uuid::new_v4(), vec![ada], vec![]);
    assert_eq!(app.send(Method::GET, &path, Some(&supporter), None, None).await.status(), 200);
}
