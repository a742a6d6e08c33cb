//! Introductions end to end: a broker's morning, what each side sees,
//! refusals that change nothing, limits, expiry, blocks, erasure, reports,
//! the append-only trail, the route × role × relationship matrix and races.
//! Its `World` (two members, their supporters, brokers, an admin, a
//! stranger; with Cai, the group form) is what the policy walk and the
//! consent sequences build on, which is why these stay one file.

use std::sync::Arc;

use friends_api::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// Two members in Richmond who suit each other, and everyone around them.
pub struct World {
    pub app: Arc<TestApp>,
    pub ada: Uuid,
    pub ada_token: String,
    pub bea: Uuid,
    pub bea_token: String,
    pub broker: String,
    pub broker_elsewhere: String,
    pub admin: String,
    pub stranger: String,
    pub ada_supporter: String,
    pub bea_supporter: String,
    /// A third member with her token, in the group form: requests then
    /// name `members: [bea, cai]` rather than `to: bea`.
    pub cai: Option<(Uuid, String)>,
}

pub const BEA_EMAIL: &str = "bea.synthetic@example.org";

pub async fn world() -> World {
    world_on(Arc::new(spawn_app().await)).await
}

/// Two new members (and their supporters) on an app that may hold others.
pub async fn world_on(app: Arc<TestApp>) -> World {
    let (ada, bea) = (Uuid::new_v4(), Uuid::new_v4());
    let ada_token = app.token(Role::Member, ada);
    let bea_token = app.token(Role::Member, bea);
    let mut body = sample_person();
    body["outcode"] = json!("TW9");
    app.create_person(&ada_token, &body).await;
    body["display_name"] = json!("Bea");
    body["contact"] = json!({"email": BEA_EMAIL, "phone": null, "note": null});
    app.create_person(&bea_token, &body).await;
    World {
        broker: app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec![RICHMOND]),
        broker_elsewhere: app.token_with(Role::Broker, Uuid::new_v4(), vec![], vec![MANCHESTER]),
        admin: app.token(Role::Admin, Uuid::new_v4()),
        stranger: app.token(Role::Member, Uuid::new_v4()),
        ada_supporter: app.token_with(Role::Supporter, Uuid::new_v4(), vec![ada], vec![]),
        bea_supporter: app.token_with(Role::Supporter, Uuid::new_v4(), vec![bea], vec![]),
        app,
        ada,
        ada_token,
        bea,
        bea_token,
        cai: None,
    }
}

/// [`world_on`] with a third member, Cai: the group form of every request.
pub async fn group_world_on(app: Arc<TestApp>) -> World {
    let mut world = world_on(app).await;
    let cai = Uuid::new_v4();
    let cai_token = world.app.token(Role::Member, cai);
    let mut body = sample_person();
    body["outcode"] = json!("TW10");
    body["display_name"] = json!("Cai");
    world.app.create_person(&cai_token, &body).await;
    world.cai = Some((cai, cai_token));
    world
}

pub async fn call(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let response = app.send(method, path, Some(token), body.as_ref(), None).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

impl World {
    /// Ada asks to meet Bea; returns the introduction id.
    /// The body of Ada's request: to Bea, or to Bea and Cai in the group
    /// form.
    pub fn request_body(&self, message: &str) -> Value {
        match &self.cai {
            None => json!({"from": self.ada, "to": self.bea, "message": message}),
            Some((cai, _)) => json!({"from": self.ada, "members": [self.bea, cai], "message": message}),
        }
    }

    pub async fn request(&self, message: &str) -> Uuid {
        let body = self.request_body(message);
        let (status, view) = call(&self.app, Method::POST, "/v1/introductions", &self.ada_token, Some(body)).await;
        assert_eq!(status, 201, "{view}");
        match view["id"].as_str().and_then(|id| Uuid::parse_str(id).ok()) {
            Some(id) => id,
            None => panic!("no id in {view}"),
        }
    }

    pub async fn act(&self, id: Uuid, action: &str, token: &str, body: Value) -> (u16, Value) {
        call(&self.app, Method::POST, &format!("/v1/introductions/{id}/{action}"), token, Some(body)).await
    }

    pub async fn read(&self, id: Uuid, token: &str) -> (u16, Value) {
        call(&self.app, Method::GET, &format!("/v1/introductions/{id}"), token, None).await
    }

    pub async fn events(&self, id: Uuid, token: &str) -> Vec<Value> {
        let (status, body) = call(&self.app, Method::GET, &format!("/v1/introductions/{id}/events"), token, None).await;
        assert_eq!(status, 200, "{body}");
        body["items"].as_array().cloned().unwrap_or_default()
    }

    pub async fn approve(&self, id: Uuid) {
        let (status, body) = self.act(id, "approve", &self.broker, json!({"note": "Checked with both."})).await;
        assert_eq!(status, 200, "{body}");
    }

    pub async fn suggested_to(&self, seeker: Uuid, token: &str) -> Vec<String> {
        let (status, body) =
            call(&self.app, Method::GET, &format!("/v1/people/{seeker}/suggestions?limit=50"), token, None).await;
        assert_eq!(status, 200, "{body}");
        body["items"]
            .as_array()
            .map(|items| items.iter().filter_map(|card| card["person_id"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn a_brokers_morning_ends_with_both_people_introduced() {
    let world = world().await;
    let id = world.request("Hello! Football on Saturday?").await;

    // The recipient's side knows nothing until a broker approves.
    assert_eq!(world.read(id, &world.bea_token).await.0, 404);
    assert_eq!(world.read(id, &world.bea_supporter).await.0, 404);
    let (_, list) = call(&world.app, Method::GET, "/v1/introductions", &world.bea_token, None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");

    let (_, mine) = world.read(id, &world.ada_token).await;
    assert_eq!(mine["status"], "pending_review");
    assert_eq!(mine["requester_consent"], "accepted", "asking is the requester's yes");
    assert!(mine["reasons"].as_array().is_some_and(|reasons| !reasons.is_empty()), "{mine}");
    assert!(mine.get("contacts").is_none() && mine.get("flags").is_none(), "{mine}");

    let (status, queue) = call(&world.app, Method::GET, "/v1/broker/queue", &world.broker, None).await;
    assert_eq!(status, 200, "{queue}");
    assert_eq!(queue["items"][0]["kind"], "introduction");
    assert_eq!(queue["items"][0]["id"], id.to_string());
    assert!(queue["items"][0]["waiting_seconds"].is_i64() && queue["items"][0]["waiting"].is_string());
    let (_, elsewhere) = call(&world.app, Method::GET, "/v1/broker/queue", &world.broker_elsewhere, None).await;
    assert_eq!(elsewhere["items"].as_array().map(Vec::len), Some(0), "another area's queue is its own");

    world.approve(id).await;
    let (_, queue) = call(&world.app, Method::GET, "/v1/broker/queue", &world.broker, None).await;
    assert_eq!(queue["items"].as_array().map(Vec::len), Some(0), "approved requests leave the queue");
    let (status, theirs) = world.read(id, &world.bea_token).await;
    assert_eq!((status, theirs["status"].as_str()), (200, Some("awaiting_consent")));
    assert!(theirs.get("contacts").is_none());

    let (status, done) = world.act(id, "consent", &world.bea_token, json!({"decision": "accept"})).await;
    assert_eq!((status, done["status"].as_str()), (200, Some("introduced")), "{done}");

    // Contacts: the two people, their supporters and brokers for the area;
    // not admins, not strangers.
    for token in [&world.ada_token, &world.bea_token, &world.ada_supporter, &world.bea_supporter, &world.broker] {
        let (status, view) = world.read(id, token).await;
        assert_eq!(status, 200);
        assert_eq!(view["contacts"]["to"]["email"], BEA_EMAIL, "{view}");
        assert_eq!(view["contacts"]["from"]["email"], CANARY_EMAIL);
        assert!(view["contacts"]["to"].get("phone").is_none(), "only the fields Bea gave");
    }
    let (status, admin_view) = world.read(id, &world.admin).await;
    assert_eq!(status, 200);
    assert!(admin_view.get("contacts").is_none() && admin_view.get("flags").is_none(), "{admin_view}");
    let admin_trail =
        call(&world.app, Method::GET, &format!("/v1/introductions/{id}/events"), &world.admin, None).await.1;
    assert!(!admin_trail.to_string().contains("Checked with both"), "notes are for brokers: {admin_trail}");
    let export_path = format!("/v1/people/{}/export", world.ada);
    let own_export = call(&world.app, Method::GET, &export_path, &world.ada_token, None).await.1;
    assert_eq!(own_export["introductions"][0]["introduction"]["contacts"]["to"]["email"], BEA_EMAIL);
    let admin_export = call(&world.app, Method::GET, &export_path, &world.admin, None).await.1;
    assert!(admin_export["introductions"][0]["introduction"].get("contacts").is_none(), "{admin_export}");
    assert_eq!(call(&world.app, Method::GET, "/v1/broker/queue", &world.admin, None).await.0, 403);
    assert_eq!(world.read(id, &world.stranger).await.0, 404);
    assert_eq!(world.read(id, &world.broker_elsewhere).await.0, 404);

    // The trail: one event per action; notes for brokers only.
    let trail = world.events(id, &world.broker).await;
    let actions: Vec<&str> = trail.iter().filter_map(|event| event["action"].as_str()).collect();
    assert_eq!(actions, ["requested", "approved", "consented"]);
    assert_eq!(trail[1]["note"], "Checked with both.");
    assert_eq!(trail[2]["to_status"], "introduced");
    assert_eq!(trail[2]["actor"], world.bea.to_string());
    assert_eq!(trail[2]["actor_role"], "member");
    for token in [&world.ada_token, &world.bea_token] {
        let trail = world.events(id, token).await;
        assert_eq!(trail.len(), 3);
        assert!(trail.iter().all(|event| event.get("note").is_none()), "{trail:?}");
    }

    // Anybody can leave at any moment: contacts go with it.
    let (status, ended) = world.act(id, "end", &world.bea_supporter, json!({})).await;
    assert_eq!((status, ended["status"].as_str()), (200, Some("ended")));
    assert!(world.read(id, &world.ada_token).await.1.get("contacts").is_none());
}

#[tokio::test]
async fn the_requester_never_learns_who_said_no_or_why() {
    let world = world().await;
    // A broker declines at review.
    let id = world.request("Hi").await;
    let (status, _) = world.act(id, "decline", &world.broker, json!({"reason": "Zephyr-decline-reason"})).await;
    assert_eq!(status, 200);
    let (_, view) = world.read(id, &world.ada_token).await;
    assert_eq!(view["status"], "not_going_ahead", "{view}");
    let trail = world.events(id, &world.ada_token).await;
    let text = serde_json::to_string(&trail).unwrap_or_default();
    assert!(!text.contains("Zephyr") && !text.contains("declined"), "{text}");
    assert!(trail[1]["actor"].is_null() && trail[1]["actor_role"].is_null());
    assert_eq!(world.read(id, &world.bea_token).await.0, 404, "Bea never saw it");
    let broker_trail = world.events(id, &world.broker).await;
    assert_eq!(broker_trail[1]["note"], "Zephyr-decline-reason");
    assert_eq!(world.read(id, &world.broker).await.1["status"], "declined");

    // The recipient declines, in another world (the cooldown holds here).
    let world = self::world().await;
    let id = world.request("Hi").await;
    world.approve(id).await;
    let (status, _) = world.act(id, "consent", &world.bea_token, json!({"decision": "decline"})).await;
    assert_eq!(status, 200);
    let (_, view) = world.read(id, &world.ada_supporter).await;
    assert_eq!(view["status"], "not_going_ahead");
    assert!(view["recipient_consent"].is_null(), "{view}");
    assert_eq!(world.read(id, &world.bea_token).await.1["status"], "declined");
    let filter = |status: &str| format!("/v1/introductions?status={status}");
    let (_, hidden) = call(&world.app, Method::GET, &filter("declined"), &world.ada_token, None).await;
    assert_eq!(hidden["items"].as_array().map(Vec::len), Some(0), "filtering cannot reveal a decline");
    let (_, shown) = call(&world.app, Method::GET, &filter("not_going_ahead"), &world.ada_token, None).await;
    assert_eq!(shown["items"].as_array().map(Vec::len), Some(1), "{shown}");
}

async fn introductions_count(world: &World) -> usize {
    let (status, list) = call(&world.app, Method::GET, "/v1/introductions?limit=100", &world.admin, None).await;
    assert_eq!(status, 200);
    list["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn refused_requests_store_nothing() {
    let world = world().await;
    let post = |token: &str, body: Value| {
        let token = token.to_owned();
        let app = &world.app;
        async move { app.send(Method::POST, "/v1/introductions", Some(&token), Some(&body), None).await }
    };
    let ok = json!({"from": world.ada, "to": world.bea});
    for (body, code) in [
        (json!({"from": world.ada, "to": world.bea, "message": "x".repeat(501)}), "validation_failed"),
        (json!({"from": world.ada, "to": world.bea, "message": "bad\u{7}bell"}), "validation_failed"),
        (json!({"from": world.ada, "to": world.ada}), "validation_failed"),
        (json!({"from": world.ada, "to": world.bea, "extra": 1}), "invalid_body"),
    ] {
        assert_problem(post(&world.ada_token, body).await, 422, code).await;
    }
    assert_problem(post(&world.ada_token, json!({"from": world.ada, "to": Uuid::new_v4()})).await, 404, "not_found")
        .await;
    assert_problem(post(&world.stranger, ok.clone()).await, 404, "not_found").await;
    assert_problem(post(&world.broker_elsewhere, ok.clone()).await, 404, "not_found").await;
    assert_problem(post(&world.admin, ok.clone()).await, 403, "role_not_allowed").await;

    // Paused or hidden recipients do not exist for requests.
    let bea_path = format!("/v1/people/{}", world.bea);
    let pause = world
        .app
        .send(Method::PATCH, &bea_path, Some(&world.bea_token), Some(&json!({"status": "paused"})), Some("*"))
        .await;
    assert_eq!(pause.status(), 200);
    assert_problem(post(&world.ada_token, ok.clone()).await, 404, "not_found").await;
    let resume = world
        .app
        .send(Method::PATCH, &bea_path, Some(&world.bea_token), Some(&json!({"status": "active"})), Some("*"))
        .await;
    assert_eq!(resume.status(), 200);
    assert_eq!(introductions_count(&world).await, 0, "nothing was stored");

    // One open request per pair, either way round, once both know of it.
    let created = json_body(post(&world.ada_token, ok.clone()).await).await;
    let id = Uuid::parse_str(created["id"].as_str().unwrap_or_default()).unwrap_or_default();
    assert_problem(post(&world.ada_token, ok.clone()).await, 409, "open_request_exists").await;
    world.approve(id).await;
    let reverse = json!({"from": world.bea, "to": world.ada});
    assert_problem(post(&world.bea_token, reverse.clone()).await, 409, "open_request_exists").await;
    assert_eq!(introductions_count(&world).await, 1);

    // A block answers as if the person did not exist (and withdraws the
    // open request).
    let block = json!({"blocker": world.bea, "blocked": world.ada});
    let (status, block) = call(&world.app, Method::POST, "/v1/blocks", &world.bea_token, Some(block)).await;
    assert_eq!(status, 201);
    assert_problem(post(&world.ada_token, ok.clone()).await, 404, "not_found").await;
    let block_path = format!("/v1/blocks/{}", block["id"].as_str().unwrap_or_default());
    assert_eq!(world.app.send(Method::DELETE, &block_path, Some(&world.bea_token), None, None).await.status(), 204);
    assert_eq!(introductions_count(&world).await, 1);
    assert_eq!(world.read(id, &world.broker).await.1["status"], "withdrawn");
}

#[tokio::test]
async fn a_request_no_broker_approved_does_not_exist_for_the_recipient() {
    let world = world().await;
    let id = world.request("Hi").await;
    // Nothing tells Bea: Ada is still suggested to her, and Bea may ask too.
    assert!(world.suggested_to(world.bea, &world.bea_token).await.contains(&world.ada.to_string()));
    let reverse = json!({"from": world.bea, "to": world.ada});
    let (status, theirs) =
        call(&world.app, Method::POST, "/v1/introductions", &world.bea_token, Some(reverse.clone())).await;
    assert_eq!(status, 201, "{theirs}");
    let theirs = Uuid::parse_str(theirs["id"].as_str().unwrap_or_default()).unwrap_or_default();
    assert_eq!(world.act(theirs, "withdraw", &world.bea_token, json!({})).await.0, 200);
    // A broker's no before approval starts no cooldown for her either.
    assert_eq!(world.act(id, "decline", &world.broker, json!({"reason": "Not now"})).await.0, 200);
    let (status, _) = call(&world.app, Method::POST, "/v1/introductions", &world.bea_token, Some(reverse)).await;
    assert_eq!(status, 201);
    // Ada's own decline still holds for Ada.
    let again = json!({"from": world.ada, "to": world.bea});
    let response = world.app.send(Method::POST, "/v1/introductions", Some(&world.ada_token), Some(&again), None).await;
    assert_problem(response, 409, "cooldown").await;
}

#[tokio::test]
async fn a_decline_holds_the_pair_apart_for_the_cooldown() {
    let world = world().await;
    let id = world.request("Hi").await;
    assert!(!world.suggested_to(world.ada, &world.ada_token).await.contains(&world.bea.to_string()));
    world.approve(id).await;
    assert!(!world.suggested_to(world.bea, &world.bea_token).await.contains(&world.ada.to_string()));
    let (status, _) = world.act(id, "consent", &world.bea_token, json!({"decision": "decline"})).await;
    assert_eq!(status, 200);
    let again = json!({"from": world.ada, "to": world.bea});
    let response = world.app.send(Method::POST, "/v1/introductions", Some(&world.ada_token), Some(&again), None).await;
    assert_problem(response, 409, "cooldown").await;
    let reverse = json!({"from": world.bea, "to": world.ada});
    let response =
        world.app.send(Method::POST, "/v1/introductions", Some(&world.bea_token), Some(&reverse), None).await;
    assert_problem(response, 409, "cooldown").await;
    assert!(!world.suggested_to(world.ada, &world.ada_token).await.contains(&world.bea.to_string()));

    assert!(world.app.handle.clock().advance(chrono::Duration::days(91)));
    assert!(world.suggested_to(world.ada, &world.ada_token).await.contains(&world.bea.to_string()));
    let response = world.app.send(Method::POST, "/v1/introductions", Some(&world.ada_token), Some(&again), None).await;
    assert_eq!(response.status(), 201);
}

#[tokio::test]
async fn a_requester_has_at_most_five_waiting_requests() {
    let app = spawn_app().await;
    let (ada, ada_token) = app.member_in("TW9").await;
    let mut others = Vec::new();
    for _ in 0..6 {
        others.push(app.member_in("TW9").await.0);
    }
    for (index, other) in others.iter().enumerate() {
        let body = json!({"from": ada, "to": other});
        let response = app.send(Method::POST, "/v1/introductions", Some(&ada_token), Some(&body), None).await;
        if index < 5 {
            assert_eq!(response.status(), 201);
        } else {
            assert_problem(response, 429, "limit_reached").await;
        }
    }
    // Pages of two: every request once, newest first, then no cursor.
    let mut seen = Vec::new();
    let mut path = "/v1/introductions?limit=2".to_owned();
    loop {
        let (status, page) = call(&app, Method::GET, &path, &ada_token, None).await;
        assert_eq!(status, 200, "{page}");
        let items = page["items"].as_array().cloned().unwrap_or_default();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|item| {
            let at = item["created_at"].as_str().and_then(|at| chrono::DateTime::parse_from_rfc3339(at).ok());
            (at, item["id"].to_string())
        }));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/introductions?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    let mut newest_first = seen.clone();
    newest_first.sort_by(|left, right| right.cmp(left));
    assert_eq!(seen, newest_first);
    let (status, problem) = call(&app, Method::GET, "/v1/introductions?cursor=nonsense", &ada_token, None).await;
    assert_eq!((status, problem["code"].as_str()), (400, Some("invalid_cursor")), "the same as search's cursors");

    // Withdrawing one frees a place.
    let (_, list) = call(&app, Method::GET, "/v1/introductions", &ada_token, None).await;
    let id = list["items"][0]["id"].as_str().unwrap_or_default().to_owned();
    let (status, _) = call(&app, Method::POST, &format!("/v1/introductions/{id}/withdraw"), &ada_token, None).await;
    assert_eq!(status, 200);
    let body = json!({"from": ada, "to": others[5]});
    assert_eq!(app.send(Method::POST, "/v1/introductions", Some(&ada_token), Some(&body), None).await.status(), 201);
}

#[tokio::test]
async fn consent_is_personal_and_a_draft_waits_for_the_requesters_own_yes() {
    let world = world().await;
    let body = json!({"from": world.ada, "to": world.bea, "message": "Drafted with Ada"});
    let (status, draft) = call(&world.app, Method::POST, "/v1/introductions", &world.ada_supporter, Some(body)).await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!(draft["requester_consent"], "awaiting");
    let id = Uuid::parse_str(draft["id"].as_str().unwrap_or_default()).unwrap_or_default();
    for token in [&world.ada_supporter, &world.broker, &world.admin] {
        let (status, problem) = world.act(id, "consent", token, json!({"decision": "accept"})).await;
        assert_eq!((status, problem["code"].as_str()), (403, Some("consent_must_be_personal")), "{problem}");
    }
    for token in [&world.ada_token, &world.ada_supporter] {
        let (status, problem) = world.act(id, "approve", token, json!({})).await;
        assert_eq!((status, problem["code"].as_str()), (403, Some("broker_only")));
    }
    assert_eq!(world.act(id, "approve", &world.broker_elsewhere, json!({})).await.0, 404);
    world.approve(id).await;
    let (_, view) = world.act(id, "consent", &world.bea_token, json!({"decision": "accept"})).await;
    assert_eq!(view["status"], "awaiting_consent", "the requester has not said yes yet");
    let (_, view) =
        world.act(id, "consent", &world.ada_token, json!({"decision": "accept", "supported_by": "my sister"})).await;
    assert_eq!(view["status"], "introduced");
    let trail = world.events(id, &world.ada_token).await;
    assert_eq!(trail.last().map(|event| event["supported_by"].clone()), Some(json!("my sister")));
    let bea_trail = world.events(id, &world.bea_token).await;
    assert!(bea_trail.last().is_some_and(|event| event.get("supported_by").is_none()), "{bea_trail:?}");
}

#[tokio::test]
async fn moves_off_the_diagram_are_409_and_change_nothing() {
    let world = world().await;
    let id = world.request("Hi").await;
    let before = world.events(id, &world.broker).await;
    let (status, problem) = world.act(id, "end", &world.ada_token, json!({})).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("invalid_transition")));
    let (status, _) = world.act(id, "consent", &world.ada_token, json!({"decision": "accept"})).await;
    assert_eq!(status, 409, "Ada already said yes by asking");
    world.approve(id).await;
    assert_eq!(world.act(id, "approve", &world.broker, json!({})).await.0, 409);
    let (status, _) = world.act(id, "withdraw", &world.bea_token, json!({})).await;
    assert_eq!(status, 200);
    for (action, body) in [("consent", json!({"decision": "accept"})), ("withdraw", json!({})), ("end", json!({}))] {
        assert_eq!(world.act(id, action, &world.bea_token, body).await.0, 409, "{action}");
    }
    let after = world.events(id, &world.broker).await;
    assert_eq!(after.len(), before.len() + 2, "approve and withdraw, nothing else");
    let (status, _) = world.act(id, "consent", &world.bea_token, json!({"decision": "maybe"})).await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn requests_expire_after_thirty_quiet_days() {
    let world = world().await;
    let id = world.request("Hi").await;
    let clock = world.app.handle.clock();
    clock.advance(chrono::Duration::days(29));
    assert_eq!(world.app.handle.expire_due().await.ok(), Some(0));
    clock.advance(chrono::Duration::days(2));
    assert_eq!(world.app.handle.expire_due().await.ok(), Some(1));
    assert_eq!(world.read(id, &world.ada_token).await.1["status"], "not_going_ahead");
    assert_eq!(world.read(id, &world.broker).await.1["status"], "expired");
    let trail = world.events(id, &world.broker).await;
    assert_eq!(trail.last().map(|event| event["actor_role"].clone()), Some(json!("system")));
    assert!(world.suggested_to(world.ada, &world.ada_token).await.contains(&world.bea.to_string()));
    assert_eq!(world.app.handle.expire_due().await.ok(), Some(0), "an expired request expires once");
}

#[tokio::test]
async fn a_block_withdraws_open_requests_without_a_word_to_the_blocked() {
    let world = world().await;
    let id = world.request("Hi").await;
    world.approve(id).await;
    let block = json!({"blocker": world.bea, "blocked": world.ada});
    let (status, _) = call(&world.app, Method::POST, "/v1/blocks", &world.bea_token, Some(block)).await;
    assert_eq!(status, 201);
    let (_, ada_view) = world.read(id, &world.ada_token).await;
    assert_eq!(ada_view["status"], "not_going_ahead", "{ada_view}");
    let text = serde_json::to_string(&world.events(id, &world.ada_token).await).unwrap_or_default();
    assert!(!text.contains("block") && !text.contains(&world.bea.to_string()), "{text}");
    assert_eq!(world.read(id, &world.bea_token).await.1["status"], "withdrawn");

    // Introduced people who block each other are no longer introduced.
    let world = self::world().await;
    let id = world.request("Hi").await;
    world.approve(id).await;
    world.act(id, "consent", &world.bea_token, json!({"decision": "accept"})).await;
    let block = json!({"blocker": world.ada, "blocked": world.bea});
    let (status, _) = call(&world.app, Method::POST, "/v1/blocks", &world.ada_token, Some(block)).await;
    assert_eq!(status, 201);
    let (_, view) = world.read(id, &world.bea_token).await;
    assert_eq!(view["status"], "ended");
    assert!(view.get("contacts").is_none());
}

#[tokio::test]
async fn erasure_withdraws_requests_and_strips_their_text_but_keeps_the_trail() {
    let world = world().await;
    let id = world.request("Quokka-canary-message").await;
    let (status, _) = world.act(id, "approve", &world.broker, json!({"note": "Quokka-canary-note"})).await;
    assert_eq!(status, 200);
    let before = world.events(id, &world.broker).await;
    let (status, _) =
        call(&world.app, Method::DELETE, &format!("/v1/people/{}", world.ada), &world.ada_token, None).await;
    assert_eq!(status, 204);
    let (_, view) = world.read(id, &world.bea_token).await;
    assert_eq!(view["status"], "withdrawn");
    assert!(view["message"].is_null() && view["reasons"] == json!([]), "{view}");
    let after = world.events(id, &world.broker).await;
    assert_eq!(after.len(), before.len() + 1, "one withdrawal event");
    for (old, new) in before.iter().zip(&after) {
        for key in ["id", "at", "action", "actor", "actor_role", "on_behalf_of", "from_status", "to_status"] {
            assert_eq!(old[key], new[key], "the skeleton of {old} is kept");
        }
    }
    assert!(after.iter().all(|event| event.get("note").is_none()), "{after:?}");
    if world.app.backend == Backend::Sqlite {
        let bytes = world.app.sqlite_file_bytes();
        assert!(!contains_bytes(&bytes, "Quokka-canary"), "the erased text is in no database file");
    }
}

#[tokio::test]
async fn events_are_append_only_in_the_database_itself() {
    let world = world().await;
    world.request("Hi").await;
    let db = match sea_orm::Database::connect(&world.app.database_url).await {
        Ok(db) => db,
        Err(error) => panic!("connect: {error}"),
    };
    use sea_orm::ConnectionTrait;
    for statement in ["UPDATE introduction_events SET action = 'forged'", "DELETE FROM introduction_events"] {
        assert!(db.execute_unprepared(statement).await.is_err(), "{statement} must be refused");
    }
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT action FROM introduction_events",
        ))
        .await
        .unwrap_or_default();
    assert_eq!(rows.len(), 1, "the event is still there");
    let _ = db.close().await;
}

#[tokio::test]
async fn money_and_contact_details_in_messages_are_flagged_for_the_broker() {
    let world = world().await;
    let id = world.request("Could you lend me £50? My sort code is 12-34-56").await;
    let (_, queue) = call(&world.app, Method::GET, "/v1/broker/queue", &world.broker, None).await;
    assert_eq!(queue["items"][0]["flags"], json!(["asks_for_money", "bank_details"]), "{queue}");
    assert!(world.read(id, &world.ada_token).await.1.get("flags").is_none(), "flags are for brokers");
    assert_eq!(world.read(id, &world.bea_token).await.0, 404, "not delivered before approval");
}

#[tokio::test]
async fn reports_reach_the_brokers_for_the_area_and_never_the_person_reported() {
    let world = world().await;
    let body = json!({"reporter": world.ada, "about": world.bea, "reason": "Asked me for money twice."});
    let (status, report) = call(&world.app, Method::POST, "/v1/reports", &world.ada_token, Some(body.clone())).await;
    assert_eq!(status, 201, "{report}");
    let report_id = report["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(call(&world.app, Method::POST, "/v1/reports", &world.stranger, Some(body)).await.0, 404);
    let (_, queue) = call(&world.app, Method::GET, "/v1/broker/queue", &world.broker, None).await;
    assert_eq!(queue["items"][0]["kind"], "report");
    assert_eq!(queue["items"][0]["reason"], "Asked me for money twice.");
    let (_, elsewhere) = call(&world.app, Method::GET, "/v1/broker/queue", &world.broker_elsewhere, None).await;
    assert_eq!(elsewhere["items"], json!([]));
    let (status, _) = call(&world.app, Method::GET, "/v1/broker/queue", &world.bea_token, None).await;
    assert_eq!(status, 403);

    let export = |id: Uuid, token: String| {
        let app = &world.app;
        async move { call(app, Method::GET, &format!("/v1/people/{id}/export"), &token, None).await.1 }
    };
    let bea_export = serde_json::to_string(&export(world.bea, world.bea_token.clone()).await).unwrap_or_default();
    assert!(!bea_export.contains("Asked me for money") && !bea_export.contains(&report_id), "{bea_export}");
    let ada_export = export(world.ada, world.ada_token.clone()).await;
    assert_eq!(ada_export["reports"][0]["id"], report_id.as_str());

    let resolve = format!("/v1/reports/{report_id}/resolve");
    for token in [&world.broker_elsewhere, &world.ada_token, &world.bea_token] {
        assert_eq!(call(&world.app, Method::POST, &resolve, token, None).await.0, 404);
    }
    let (status, resolved) =
        call(&world.app, Method::POST, &resolve, &world.broker, Some(json!({"note": "Spoke to both."}))).await;
    assert_eq!((status, resolved["status"].as_str()), (200, Some("resolved")));
    let (_, queue) = call(&world.app, Method::GET, "/v1/broker/queue", &world.broker, None).await;
    assert_eq!(queue["items"], json!([]));
}

#[tokio::test]
async fn the_export_holds_the_persons_introductions_as_they_see_them() {
    let world = world().await;
    let id = world.request("Hi").await;
    world.act(id, "decline", &world.broker, json!({"reason": "Not now"})).await;
    let (status, export) =
        call(&world.app, Method::GET, &format!("/v1/people/{}/export", world.ada), &world.ada_token, None).await;
    assert_eq!(status, 200);
    assert_eq!(export["introductions"][0]["introduction"]["status"], "not_going_ahead", "{export}");
    assert_eq!(export["introductions"][0]["events"].as_array().map(Vec::len), Some(2));
    assert!(!serde_json::to_string(&export).unwrap_or_default().contains("Not now"));
}

/// Who calls, relative to an introduction between Ada and Bea.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Requester,
    Recipient,
    RequesterSupporter,
    RecipientSupporter,
    Broker,
    BrokerElsewhere,
    Stranger,
    Admin,
}

const EVERYONE: [Who; 8] = [
    Who::Requester,
    Who::Recipient,
    Who::RequesterSupporter,
    Who::RecipientSupporter,
    Who::Broker,
    Who::BrokerElsewhere,
    Who::Stranger,
    Who::Admin,
];

impl World {
    fn token_of(&self, who: Who) -> &str {
        match who {
            Who::Requester => &self.ada_token,
            Who::Recipient => &self.bea_token,
            Who::RequesterSupporter => &self.ada_supporter,
            Who::RecipientSupporter => &self.bea_supporter,
            Who::Broker => &self.broker,
            Who::BrokerElsewhere => &self.broker_elsewhere,
            Who::Stranger => &self.stranger,
            Who::Admin => &self.admin,
        }
    }
}

/// The expected status of `route` by `who` on an introduction awaiting
/// consent (approved; the requester said yes by asking).
fn expected(route: &str, who: Who) -> u16 {
    use Who::*;
    match (route, who) {
        (_, BrokerElsewhere | Stranger) => 404,
        ("read" | "events", _) => 200,
        ("approve" | "decline", Broker) => 409,
        ("approve" | "decline", _) => 403,
        ("consent", Requester) => 409,
        ("consent", Recipient) => 200,
        ("consent", _) => 403,
        ("withdraw", Requester | Recipient | RequesterSupporter | RecipientSupporter) => 200,
        ("end", Requester | Recipient | RequesterSupporter | RecipientSupporter) => 409,
        ("withdraw" | "end", _) => 403,
        _ => 0,
    }
}

#[tokio::test]
async fn every_introduction_route_by_every_role_and_relationship() {
    let world = world().await;
    for route in ["read", "events", "approve", "decline", "consent", "withdraw", "end"] {
        for who in EVERYONE {
            let want = expected(route, who);
            // A fresh introduction whenever the call may change it.
            let id = world.request("Hi").await;
            world.approve(id).await;
            let token = world.token_of(who);
            let (status, body) = match route {
                "read" => world.read(id, token).await,
                "events" => call(&world.app, Method::GET, &format!("/v1/introductions/{id}/events"), token, None).await,
                "consent" => world.act(id, route, token, json!({"decision": "accept"})).await,
                _ => world.act(id, route, token, json!({})).await,
            };
            assert_eq!(status, want, "{route} by {who:?}: {body}");
            if status >= 400 {
                assert_eq!(world.read(id, &world.broker).await.1["status"], "awaiting_consent", "nothing changed");
            }
            // Clear the way for the next fresh request between the pair.
            let _ = world.act(id, "withdraw", &world.ada_token, json!({})).await;
            let _ = world.act(id, "end", &world.ada_token, json!({})).await;
        }
    }
    // Asking on Ada's behalf, and listing Ada's introductions.
    for who in EVERYONE {
        let want = match who {
            Who::Requester | Who::RequesterSupporter | Who::Broker => 201,
            Who::Admin => 403,
            _ => 404,
        };
        let body = json!({"from": world.ada, "to": world.bea});
        let (status, view) = call(&world.app, Method::POST, "/v1/introductions", world.token_of(who), Some(body)).await;
        assert_eq!(status, want, "request by {who:?}: {view}");
        if let Some(id) = view["id"].as_str() {
            let (status, _) =
                call(&world.app, Method::POST, &format!("/v1/introductions/{id}/withdraw"), &world.ada_token, None)
                    .await;
            assert_eq!(status, 200);
        }
        let want = match who {
            Who::Requester | Who::RequesterSupporter | Who::Broker | Who::Admin => 200,
            _ => 404,
        };
        let path = format!("/v1/introductions?person={}", world.ada);
        assert_eq!(call(&world.app, Method::GET, &path, world.token_of(who), None).await.0, want, "list by {who:?}");
    }
    // Before approval the recipient's side may not know the request exists.
    let id = world.request("Hi").await;
    for who in [Who::Recipient, Who::RecipientSupporter] {
        assert_eq!(world.read(id, world.token_of(who)).await.0, 404, "{who:?}");
        assert_eq!(world.act(id, "withdraw", world.token_of(who), json!({})).await.0, 404, "{who:?}");
    }
    assert_eq!(world.act(id, "approve", &world.broker, json!({})).await.0, 200);
}

async fn racing_consents(world: Arc<World>) {
    let body = json!({"from": world.ada, "to": world.bea});
    let (status, draft) = call(&world.app, Method::POST, "/v1/introductions", &world.ada_supporter, Some(body)).await;
    assert_eq!(status, 201);
    let id = Uuid::parse_str(draft["id"].as_str().unwrap_or_default()).unwrap_or_default();
    world.approve(id).await;
    let consents = [world.ada_token.clone(), world.bea_token.clone()].map(|token| {
        let world = world.clone();
        tokio::spawn(async move { world.act(id, "consent", &token, json!({"decision": "accept"})).await.0 })
    });
    for handle in consents {
        assert_eq!(handle.await.ok(), Some(200), "both yeses count");
    }
    assert_eq!(world.read(id, &world.broker).await.1["status"], "introduced");
    let trail = world.events(id, &world.broker).await;
    assert_eq!(trail.iter().filter(|event| event["action"] == "consented").count(), 2, "{trail:?}");
    let (status, _) = world.act(id, "end", &world.ada_token, json!({})).await;
    assert_eq!(status, 200);

    // A consent racing a withdrawal: exactly one outcome, one event per yes.
    for _ in 0..5 {
        // The pair was introduced and ended: no cooldown, a new request is fine.
        let id = world.request("Again").await;
        world.approve(id).await;
        let consent = {
            let world = world.clone();
            tokio::spawn(
                async move { world.act(id, "consent", &world.bea_token, json!({"decision": "accept"})).await.0 },
            )
        };
        let withdraw = {
            let world = world.clone();
            tokio::spawn(async move { world.act(id, "withdraw", &world.ada_token, json!({})).await.0 })
        };
        let (consent, withdraw) = (consent.await.unwrap_or(0), withdraw.await.unwrap_or(0));
        let status = world.read(id, &world.broker).await.1["status"].clone();
        let trail = world.events(id, &world.broker).await;
        assert_eq!(trail.len(), 2 + usize::from(consent == 200) + usize::from(withdraw == 200), "{trail:?}");
        // Ada said yes by asking, so Bea's yes introduces them and a later
        // withdrawal is too late; or the withdrawal wins and the yes is late.
        match (consent, withdraw) {
            (200, 409) => assert_eq!(status, "introduced"),
            (409, 200) => assert_eq!(status, "withdrawn"),
            other => panic!("unexpected outcome {other:?}"),
        }
        if status == "introduced" {
            assert_eq!(world.act(id, "end", &world.ada_token, json!({})).await.0, 200);
        }
    }
}

#[tokio::test]
async fn racing_actions_have_exactly_one_outcome_each() {
    racing_consents(Arc::new(world().await)).await;
}

#[tokio::test]
async fn people_with_many_waiting_requests_are_ranked_down_not_hidden() {
    let app = spawn_app().await;
    let (seeker, seeker_token) = app.member_in("TW9").await;
    let (popular, _) = app.member_in("TW9").await;
    let (other, _) = app.member_in("TW9").await;
    let (before_popular, before_other) = scores(&app, seeker, &seeker_token, [popular, other]).await;
    assert!(before_popular.is_some() && before_popular == before_other, "identical profiles score alike");
    // Five people ask to meet the same person: the exposure cap (5) is hit.
    for _ in 0..5 {
        let (asker, asker_token) = app.member_in("TW9").await;
        let body = json!({"from": asker, "to": popular});
        assert_eq!(call(&app, Method::POST, "/v1/introductions", &asker_token, Some(body)).await.0, 201);
    }
    let (after_popular, after_other) = scores(&app, seeker, &seeker_token, [popular, other]).await;
    assert_eq!(after_other, before_other);
    let (Some(after_popular), Some(before_popular)) = (after_popular, before_popular) else {
        panic!("the popular person is still suggested");
    };
    assert!((after_popular - before_popular / 2.0).abs() < 0.002, "{after_popular} vs {before_popular}");
}

/// The suggestion scores of two people for `seeker`.
async fn scores(app: &TestApp, seeker: Uuid, token: &str, people: [Uuid; 2]) -> (Option<f64>, Option<f64>) {
    let (status, body) =
        call(app, Method::GET, &format!("/v1/people/{seeker}/suggestions?limit=50"), token, None).await;
    assert_eq!(status, 200);
    let score_of = |id: Uuid| {
        body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|card| card["person_id"] == id.to_string()))
            .and_then(|card| card["score"].as_f64())
    };
    (score_of(people[0]), score_of(people[1]))
}

#[tokio::test]
async fn a_node_that_starts_later_builds_the_exclusions_from_the_database() {
    let world = world().await;
    let id = world.request("Hi").await;
    let url = world.app.database_url.clone();
    let backend = world.app.backend;
    let later = spawn_app_with(backend, move |settings| {
        settings.database_url = Some(friends_api::config::Secret::new(url));
    })
    .await;
    let (status, body) =
        call(&later, Method::GET, &format!("/v1/people/{}/suggestions?limit=50", world.ada), &world.ada_token, None)
            .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body["items"]
        .as_array()
        .map_or_else(Vec::new, |items| items.iter().filter_map(|card| card["person_id"].as_str()).collect());
    assert!(!ids.contains(&world.bea.to_string().as_str()), "an open request keeps them apart on every node");
    let (status, view) = call(&later, Method::GET, &format!("/v1/introductions/{id}"), &world.ada_token, None).await;
    assert_eq!((status, view["status"].as_str()), (200, Some("pending_review")));
}

#[tokio::test]
async fn an_open_report_follows_the_person_to_their_new_area() {
    let world = world().await;
    let body = json!({"reporter": world.ada, "about": world.bea, "reason": "Pressured me."});
    assert_eq!(call(&world.app, Method::POST, "/v1/reports", &world.ada_token, Some(body)).await.0, 201);
    let moved = world
        .app
        .send(
            Method::PATCH,
            &format!("/v1/people/{}", world.bea),
            Some(&world.bea_token),
            Some(&json!({"outcode": "M1"})),
            Some("*"),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let (_, richmond) = call(&world.app, Method::GET, "/v1/broker/queue", &world.broker, None).await;
    assert_eq!(richmond["items"], json!([]), "{richmond}");
    let (_, manchester) = call(&world.app, Method::GET, "/v1/broker/queue", &world.broker_elsewhere, None).await;
    assert_eq!(manchester["items"][0]["kind"], "report", "{manchester}");
}
