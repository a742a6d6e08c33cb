//! Group introductions (DESIGN §5 "Pairs and groups are one model"): from a
//! group suggestion to every member's own yes, the brokers of every
//! member's area, contacts among current members only, and leaving.

use friends_api::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::introductions::call;
use crate::suggestions::{create_member, friendly};

const HOUNSLOW: &str = "E09000018";

struct Group {
    app: TestApp,
    ada: (Uuid, String),
    others: Vec<(Uuid, String)>,
    richmond_broker: String,
    hounslow_broker: String,
}

/// Ada, Bea and Cai in Richmond, Dan in Hounslow (TW8): all fit each other.
async fn group() -> Group {
    let app = spawn_app().await;
    let ada = create_member(&app, &friendly("TW9", "Ada")).await;
    let mut others = Vec::new();
    for (outcode, name) in [("TW10", "Bea"), ("TW9", "Cai"), ("TW8", "Dan")] {
        let mut body = friendly(outcode, name);
        body["contact"] = json!({"email": format!("{}.synthetic@example.org", name.to_lowercase())});
        others.push(create_member(&app, &body).await);
    }
    Group {
        richmond_broker: app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec![RICHMOND]),
        hounslow_broker: app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec![HOUNSLOW]),
        app,
        ada,
        others,
    }
}

impl Group {
    fn ids(&self) -> Vec<Uuid> {
        self.others.iter().map(|(id, _)| *id).collect()
    }

    async fn request(&self) -> Uuid {
        let body = json!({"from": self.ada.0, "members": self.ids(), "message": "A PA for the four of us?"});
        let (status, view) = call(&self.app, Method::POST, "/v1/introductions", &self.ada.1, Some(body)).await;
        assert_eq!(status, 201, "{view}");
        view["id"].as_str().and_then(|id| id.parse().ok()).unwrap_or_default()
    }

    async fn act(&self, id: Uuid, action: &str, token: &str, body: Value) -> (u16, Value) {
        call(&self.app, Method::POST, &format!("/v1/introductions/{id}/{action}"), token, Some(body)).await
    }

    async fn read(&self, id: Uuid, token: &str) -> (u16, Value) {
        call(&self.app, Method::GET, &format!("/v1/introductions/{id}"), token, None).await
    }

    async fn queue_holds(&self, token: &str, id: Uuid) -> bool {
        let (status, queue) = call(&self.app, Method::GET, "/v1/broker/queue", token, None).await;
        assert_eq!(status, 200, "{queue}");
        queue["items"].as_array().into_iter().flatten().any(|item| item["id"] == json!(id))
    }
}

/// The ids whose contact details `view` shows, sorted.
fn contact_ids(view: &Value) -> Vec<String> {
    let contacts = &view["contacts"];
    let mut ids: Vec<String> = contacts["members"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(contacts["from"].as_object().map(|_| &contacts["from"]))
        .filter_map(|contact| contact["person_id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

fn sorted(ids: &[Uuid]) -> Vec<String> {
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn a_group_of_four_is_introduced_once_everyone_says_yes_and_goes_on_as_people_leave() {
    let group = group().await;
    let (ada, ada_token) = group.ada.clone();
    let [(bea, bea_token), (cai, cai_token), (dan, dan_token)] =
        <[(Uuid, String); 3]>::try_from(group.others.clone()).unwrap_or_else(|_| panic!("three others"));

    // The group is suggested to Ada, then asked for.
    let (_, suggested) =
        call(&group.app, Method::GET, &format!("/v1/people/{ada}/group-suggestions?size=4"), &ada_token, None).await;
    let mut first: Vec<String> = suggested["items"][0]["members"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|card| card["person_id"].as_str().map(str::to_owned))
        .collect();
    first.sort();
    assert_eq!(first, sorted(&group.ids()), "{suggested}");
    let id = group.request().await;
    let (_, view) = group.read(id, &ada_token).await;
    assert!(view.get("to").is_none() && view.get("recipient_consent").is_none(), "a group has members: {view}");
    assert_eq!(view["members"].as_array().map(Vec::len), Some(3), "{view}");
    assert!(
        view["reasons"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|line| line.as_str() == Some("You all chose “Meet up and do things together”.")),
        "{view}"
    );

    // Nobody asked knows of it before a broker approves; the brokers of
    // every member's area have it in their queue.
    assert_eq!(group.read(id, &bea_token).await.0, 404);
    assert!(group.queue_holds(&group.richmond_broker, id).await);
    assert!(group.queue_holds(&group.hounslow_broker, id).await, "Dan's area's brokers review it too");
    let (status, _) = group.act(id, "approve", &group.hounslow_broker, json!({})).await;
    assert_eq!(status, 200);

    // Consent is each person's own.
    let bea_supporter = group.app.token_with(Role::Supporter, Uuid::new_v4(), vec![bea], vec![]);
    let (status, refusal) = group.act(id, "consent", &bea_supporter, json!({"decision": "accept"})).await;
    assert_eq!((status, refusal["code"].as_str()), (403, Some("consent_must_be_personal")), "{refusal}");
    let (status, refusal) = group.act(id, "consent", &group.richmond_broker, json!({"decision": "accept"})).await;
    assert_eq!((status, refusal["code"].as_str()), (403, Some("consent_must_be_personal")), "{refusal}");
    for (token, expected) in [(&bea_token, "awaiting_consent"), (&cai_token, "awaiting_consent")] {
        let (status, view) = group.act(id, "consent", token, json!({"decision": "accept"})).await;
        assert_eq!((status, view["status"].as_str()), (200, Some(expected)), "{view}");
        assert!(view.get("contacts").is_none(), "no contacts before everyone said yes: {view}");
    }
    let (status, view) = group.act(id, "consent", &dan_token, json!({"decision": "accept"})).await;
    assert_eq!((status, view["status"].as_str()), (200, Some("introduced")), "{view}");
    let everyone = sorted(&[ada, bea, cai, dan]);
    for token in [&ada_token, &bea_token, &cai_token, &dan_token] {
        let (_, view) = group.read(id, token).await;
        assert_eq!(contact_ids(&view), everyone, "every current member's contacts: {view}");
    }

    // The export of each member holds the group, as they see it.
    let (status, export) = call(&group.app, Method::GET, &format!("/v1/people/{cai}/export"), &cai_token, None).await;
    assert_eq!(status, 200);
    let exported =
        export["introductions"].as_array().into_iter().flatten().find(|item| item["introduction"]["id"] == json!(id));
    assert!(
        exported.is_some_and(|item| item["introduction"]["members"].as_array().map(Vec::len) == Some(3)),
        "{export}"
    );

    // Dan ends his part: the other three go on, without his contacts.
    let (status, view) = group.act(id, "end", &dan_token, json!({})).await;
    assert_eq!(status, 200, "{view}");
    let (_, view) = group.read(id, &ada_token).await;
    assert_eq!(view["status"], "introduced", "three remain: {view}");
    assert_eq!(contact_ids(&view), sorted(&[ada, bea, cai]), "{view}");
    assert!(!view.to_string().contains("dan.synthetic"), "{view}");
    let (_, dans) = group.read(id, &dan_token).await;
    assert!(dans.get("contacts").is_none(), "who left sees nobody's contacts: {dans}");

    // Bea blocks Cai: Bea leaves; Ada and Cai go on, two of them.
    let (status, _) =
        call(&group.app, Method::POST, "/v1/blocks", &bea_token, Some(json!({"blocker": bea, "blocked": cai}))).await;
    assert_eq!(status, 201);
    let (_, view) = group.read(id, &cai_token).await;
    assert_eq!(view["status"], "introduced", "{view}");
    assert_eq!(contact_ids(&view), sorted(&[ada, cai]), "{view}");
    let (_, beas) = group.read(id, &bea_token).await;
    assert!(beas.get("contacts").is_none(), "{beas}");

    // Cai ends: one alone is no group.
    let (status, _) = group.act(id, "end", &cai_token, json!({})).await;
    assert_eq!(status, 200);
    let (_, view) = group.read(id, &ada_token).await;
    assert_eq!(view["status"], "ended", "{view}");
    assert!(view.get("contacts").is_none(), "{view}");
}

#[tokio::test]
async fn one_no_before_the_introduction_ends_it_for_everyone_without_saying_whose() {
    let group = group().await;
    let (_, ada_token) = group.ada.clone();
    let id = group.request().await;
    let (status, _) = group.act(id, "approve", &group.richmond_broker, json!({})).await;
    assert_eq!(status, 200);
    let (bea, bea_token) = group.others[0].clone();
    let (_, cai_token) = group.others[1].clone();
    let (status, _) = group.act(id, "consent", &cai_token, json!({"decision": "accept"})).await;
    assert_eq!(status, 200);
    let (status, _) = group.act(id, "consent", &bea_token, json!({"decision": "decline"})).await;
    assert_eq!(status, 200);
    for token in [&ada_token, &cai_token] {
        let (_, view) = group.read(id, token).await;
        assert_eq!(view["status"], "not_going_ahead", "{view}");
        for member in view["members"].as_array().into_iter().flatten() {
            assert_ne!(member["consent"], "declined", "nobody reads who said no: {view}");
        }
        let (_, events) = call(&group.app, Method::GET, &format!("/v1/introductions/{id}/events"), token, None).await;
        let text = events.to_string();
        assert!(
            !text.contains("\"declined\"") && !text.contains(&bea.to_string()),
            "the trail hides who said no: {events}"
        );
    }
    let (_, own) = group.read(id, &bea_token).await;
    assert_eq!(own["status"], "declined", "Bea sees her own answer: {own}");
    // Nothing more can happen to it.
    let (status, _) = group.act(id, "consent", &ada_token, json!({"decision": "accept"})).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn a_withdrawal_before_the_introduction_shows_no_more_than_a_no() {
    let group = group().await;
    let (_, ada_token) = group.ada.clone();
    let id = group.request().await;
    assert_eq!(group.act(id, "approve", &group.richmond_broker, json!({})).await.0, 200);
    let (cai, cai_token) = group.others[1].clone();
    let (_, bea_token) = group.others[0].clone();
    assert_eq!(group.act(id, "withdraw", &cai_token, json!({})).await.0, 200);
    for token in [&ada_token, &bea_token] {
        let (_, view) = group.read(id, token).await;
        assert_eq!(view["status"], "not_going_ahead", "{view}");
        let members: Vec<&Value> = view["members"].as_array().into_iter().flatten().collect();
        assert_eq!(members.len(), 3, "everyone asked is still listed: {view}");
        assert!(members.iter().all(|member| member.get("left_at").is_none()), "{view}");
        let (_, events) = call(&group.app, Method::GET, &format!("/v1/introductions/{id}/events"), token, None).await;
        assert!(!events.to_string().contains(&cai.to_string()), "the trail hides who withdrew: {events}");
    }
}

#[tokio::test]
async fn a_group_request_is_checked_for_every_pair_and_refused_whole() {
    let group = group().await;
    let (ada, ada_token) = group.ada.clone();
    let ids = group.ids();
    let post = |body: Value| call(&group.app, Method::POST, "/v1/introductions", &ada_token, Some(body));
    for (body, field) in [
        (json!({"from": ada, "members": [ids[0], ids[0]]}), "members"),
        (json!({"from": ada, "members": [ids[0], ada]}), "members"),
        (json!({"from": ada, "members": [ids[0]]}), "members"),
        (
            json!({"from": ada, "members": [ids[0], ids[1], ids[2], Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4()]}),
            "members",
        ),
        (json!({"from": ada, "to": ids[0], "members": [ids[1], ids[2]]}), "members"),
        (json!({"from": ada}), "to"),
    ] {
        let (status, problem) = post(body.clone()).await;
        assert_eq!((status, problem["code"].as_str()), (422, Some("validation_failed")), "{body}: {problem}");
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    // Someone far away (Manchester) fits nobody: the whole request is 404,
    // as if they did not exist, and nothing is stored. So is someone who
    // wants groups of three at most, asked into a group of four.
    let (far, _) = create_member(&group.app, &friendly("M1", "Far")).await;
    let (status, _) = post(json!({"from": ada, "members": [ids[0], far]})).await;
    assert_eq!(status, 404);
    let mut small = friendly("TW9", "Small");
    small["preferences"] = json!({"group_size_max": 3});
    let (small, _) = create_member(&group.app, &small).await;
    assert_eq!(post(json!({"from": ada, "members": [ids[0], ids[2], small]})).await.0, 404);
    // A request open between two of them refuses a group holding both,
    // without telling Ada of it: the same 404 as for anyone not findable.
    let (bea, bea_token) = group.others[0].clone();
    let (status, pair) =
        call(&group.app, Method::POST, "/v1/introductions", &bea_token, Some(json!({"from": bea, "to": ids[1]}))).await;
    assert_eq!(status, 201);
    let pair: Uuid = pair["id"].as_str().and_then(|id| id.parse().ok()).unwrap_or_default();
    assert_eq!(group.act(pair, "approve", &group.richmond_broker, json!({})).await.0, 200);
    let (status, problem) = post(json!({"from": ada, "members": ids.clone()})).await;
    assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")), "{problem}");
    // Declined, and so in its cooldown: the same 404, no date.
    let (_, cai_token) = group.others[1].clone();
    assert_eq!(group.act(pair, "consent", &cai_token, json!({"decision": "decline"})).await.0, 200);
    let (status, problem) = post(json!({"from": ada, "members": ids.clone()})).await;
    assert_eq!((status, problem["code"].as_str()), (404, Some("not_found")), "{problem}");
    assert!(!problem.to_string().contains("possible from"), "{problem}");
    // With the pair apart in the group, the request is fine without Cai.
    let (status, _) = post(json!({"from": ada, "members": [ids[0], ids[2]]})).await;
    assert_eq!(status, 201);
    let (_, list) = call(&group.app, Method::GET, &format!("/v1/introductions?person={ada}"), &ada_token, None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "only the last request was stored: {list}");
}
