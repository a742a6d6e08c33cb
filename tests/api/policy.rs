//! The route table walked against the policy: every route the application
//! serves has a row here (a route added without one fails), the row names
//! the rule the route table says it applies, and each caller's status is
//! asserted, on a fresh pair of people for every call.
//!
//! Callers, in column order: Ada (a member, the one asked about or asking),
//! Ada's supporter, Bea (another member in the same area), Bea's supporter,
//! a broker for the area, a broker elsewhere, an admin, a stranger (a
//! member token with no profile) and no token at all.

use std::sync::Arc;

use friends_domain::policy::{AgreementCommand, Command, Rule};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::introductions::{World, group_world_on, world_on};

#[derive(Debug, Clone, Copy)]
enum Caller {
    Ada,
    AdaSupporter,
    Bea,
    BeaSupporter,
    Broker,
    BrokerElsewhere,
    Admin,
    Stranger,
    NoToken,
}

const CALLERS: [Caller; 9] = [
    Caller::Ada,
    Caller::AdaSupporter,
    Caller::Bea,
    Caller::BeaSupporter,
    Caller::Broker,
    Caller::BrokerElsewhere,
    Caller::Admin,
    Caller::Stranger,
    Caller::NoToken,
];

/// One row of the table: a route, the rule it must apply, and the status
/// each caller gets, in [`CALLERS`] order.
struct Row {
    method: &'static str,
    path: &'static str,
    rule: Rule,
    expect: [u16; 9],
}

const fn row(method: &'static str, path: &'static str, rule: Rule, expect: [u16; 9]) -> Row {
    Row { method, path, rule, expect }
}

/// Everyone alike.
const ALL_200: [u16; 9] = [200; 9];
/// Whoever manages Ada's profile; the rest may not know she exists.
const MANAGES_ADA: [u16; 9] = [200, 200, 404, 404, 200, 404, 200, 404, 401];
/// The people on an approved introduction's trail.
const SEES: [u16; 9] = [200, 200, 200, 200, 200, 404, 200, 404, 401];
/// A broker's decision on a request waiting for review: the recipient's side
/// may not know it exists yet.
const DECIDES: [u16; 9] = [403, 403, 404, 404, 200, 404, 403, 404, 401];
/// Leaving, by either person or their supporter; nobody else.
const LEAVES: [u16; 9] = [200, 200, 200, 200, 403, 404, 403, 404, 401];

/// Admin operations: everyone else is told so.
const ADMINS: [u16; 9] = [403, 403, 403, 403, 403, 403, 200, 403, 401];
/// The operators' own operations: anyone else may not know they exist.
const OPERATORS: [u16; 9] = [404, 404, 404, 404, 404, 404, 200, 404, 401];
/// The embed key is the caller: no bearer token opens a public route.
const EMBED_KEY_ONLY: [u16; 9] = [401; 9];

const TABLE: [Row; 43] = [
    row("GET", "/healthz", Rule::Open, ALL_200),
    row("GET", "/readyz", Rule::Open, ALL_200),
    row("GET", "/v1/taxonomy", Rule::AnyCaller, ALL_200),
    row("GET", "/v1/areas/outcodes/{outcode}", Rule::AnyCaller, ALL_200),
    // Ada and Bea already have profiles; a broker keeps them only in their area.
    row("POST", "/v1/people", Rule::CreateProfile, [409, 201, 409, 201, 201, 403, 201, 201, 401]),
    row("GET", "/v1/people/{id}", Rule::ManageProfile, MANAGES_ADA),
    row("PATCH", "/v1/people/{id}", Rule::ManageProfile, MANAGES_ADA),
    row("DELETE", "/v1/people/{id}", Rule::ManageProfile, [204, 204, 404, 404, 204, 404, 204, 404, 401]),
    row("GET", "/v1/people/{id}/export", Rule::ManageProfile, MANAGES_ADA),
    row("GET", "/v1/people/{id}/suggestions", Rule::ManageProfile, MANAGES_ADA),
    row("GET", "/v1/people/{id}/group-suggestions", Rule::ManageProfile, MANAGES_ADA),
    // Check-ins: the person's own words; admins do not read them.
    row("GET", "/v1/people/{id}/check-ins", Rule::CheckIns, [200, 200, 404, 404, 200, 404, 403, 404, 401]),
    row("POST", "/v1/check-ins/{id}", Rule::AnswerCheckIn, [200, 403, 404, 404, 403, 404, 403, 404, 401]),
    row("POST", "/v1/check-ins/{id}/resolve", Rule::ResolveCheckIn, [404, 404, 404, 404, 200, 404, 404, 404, 401]),
    // Searching needs a profile of one's own (the travel area), or a role.
    row("GET", "/v1/search", Rule::Search, [200, 200, 200, 200, 200, 200, 200, 403, 401]),
    // Only the person or their supporter blocks; nobody else may know.
    row("POST", "/v1/blocks", Rule::ActFor, [201, 201, 404, 404, 404, 404, 404, 404, 401]),
    row("DELETE", "/v1/blocks/{id}", Rule::ActFor, [204, 204, 404, 404, 404, 404, 404, 404, 401]),
    // Admins never ask on anyone's behalf.
    row("POST", "/v1/introductions", Rule::RequestIntroduction, [201, 201, 404, 404, 201, 404, 403, 404, 401]),
    row("GET", "/v1/introductions", Rule::ListIntroductions, MANAGES_ADA),
    row("GET", "/v1/introductions/{id}", Rule::SeeIntroduction, SEES),
    row("GET", "/v1/introductions/{id}/events", Rule::SeeIntroduction, SEES),
    row("POST", "/v1/introductions/{id}/approve", Rule::Introduction(Command::Approve), DECIDES),
    row("POST", "/v1/introductions/{id}/decline", Rule::Introduction(Command::Decline), DECIDES),
    // Ada said yes by asking; consent is personal.
    row(
        "POST",
        "/v1/introductions/{id}/consent",
        Rule::Introduction(Command::Consent),
        [409, 403, 200, 403, 403, 404, 403, 404, 401],
    ),
    row("POST", "/v1/introductions/{id}/withdraw", Rule::Introduction(Command::Leave), LEAVES),
    row("POST", "/v1/introductions/{id}/end", Rule::Introduction(Command::Leave), LEAVES),
    // The agreement: the members and their supporters write it, brokers
    // and admins read it, each member confirms it personally.
    row("GET", "/v1/introductions/{id}/agreement", Rule::Agreement(AgreementCommand::Read), SEES),
    row(
        "PATCH",
        "/v1/introductions/{id}/agreement",
        Rule::Agreement(AgreementCommand::Edit),
        [200, 200, 200, 200, 403, 404, 403, 404, 401],
    ),
    row(
        "POST",
        "/v1/introductions/{id}/agreement/confirm",
        Rule::Agreement(AgreementCommand::Confirm),
        [200, 403, 200, 403, 403, 404, 403, 404, 401],
    ),
    row("GET", "/v1/broker/queue", Rule::BrokerQueue, [403, 403, 403, 403, 200, 200, 403, 403, 401]),
    // Insights of Ada's authority: its brokers, and admins.
    row("GET", "/v1/broker/insights", Rule::Insights, [403, 403, 403, 403, 200, 403, 200, 403, 401]),
    // A report is raised for Ada by whoever manages her; never by an admin.
    row("POST", "/v1/reports", Rule::Report, [201, 201, 404, 404, 201, 404, 403, 404, 401]),
    row("POST", "/v1/reports/{id}/resolve", Rule::ResolveReport, [404, 404, 404, 404, 200, 404, 404, 404, 401]),
    // A resident's enquiry about Ada, through a Richmond key: Richmond's brokers only.
    row("POST", "/v1/enquiries/{id}/resolve", Rule::ResolveEnquiry, [404, 404, 404, 404, 200, 404, 404, 404, 401]),
    row("GET", "/v1/public/search", Rule::EmbedKey, EMBED_KEY_ONLY),
    row("POST", "/v1/public/enquiries", Rule::EmbedKey, EMBED_KEY_ONLY),
    row("POST", "/v1/admin/embed-keys", Rule::AdminOnly, [403, 403, 403, 403, 403, 403, 201, 403, 401]),
    row("GET", "/v1/admin/embed-keys", Rule::AdminOnly, ADMINS),
    row("DELETE", "/v1/admin/embed-keys/{id}", Rule::AdminOnly, [403, 403, 403, 403, 403, 403, 204, 403, 401]),
    row("POST", "/v1/admin/import", Rule::AdminOperation, OPERATORS),
    row("POST", "/v1/admin/reindex", Rule::AdminOperation, OPERATORS),
    row("GET", "/embed/widget.js", Rule::Open, ALL_200),
    row("GET", "/embed/demo", Rule::Open, ALL_200),
];

impl World {
    fn token_for(&self, caller: Caller) -> Option<&str> {
        Some(match caller {
            Caller::Ada => &self.ada_token,
            Caller::AdaSupporter => &self.ada_supporter,
            Caller::Bea => &self.bea_token,
            Caller::BeaSupporter => &self.bea_supporter,
            Caller::Broker => &self.broker,
            Caller::BrokerElsewhere => &self.broker_elsewhere,
            Caller::Admin => &self.admin,
            Caller::Stranger => &self.stranger,
            Caller::NoToken => return None,
        })
    }

    async fn as_ada(&self, method: Method, path: &str, body: Value) -> Value {
        let (status, answer) = crate::introductions::call(&self.app, method, path, &self.ada_token, Some(body)).await;
        assert!(status < 300, "setting up {path}: {status} {answer}");
        answer
    }

    async fn as_admin(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = crate::introductions::call(&self.app, method, path, &self.admin, body).await;
        assert!(status < 300, "setting up {path}: {status} {answer}");
        answer
    }

    /// A Richmond embed key; Ada turns her public listing on herself.
    async fn embed_key_and_listing(&self) -> (String, String) {
        let key = self
            .as_admin(
                Method::POST,
                "/v1/admin/embed-keys",
                Some(json!({"authority": RICHMOND, "origins": ["https://council.example"], "label": "Walk"})),
            )
            .await;
        let key = key["key"].as_str().unwrap_or_default().to_owned();
        // Earlier calls' people are listed too (one app): Ada's listing is
        // the one that appears when she lists herself.
        let before = self.listings(&key).await;
        let response = self
            .app
            .send(
                Method::PATCH,
                &format!("/v1/people/{}", self.ada),
                Some(&self.ada_token),
                Some(&json!({"public_listing": true})),
                Some("\"1\""),
            )
            .await;
        assert_eq!(response.status(), 200, "Ada lists herself");
        let listing = self.listings(&key).await.into_iter().find(|listing| !before.contains(listing));
        (key, listing.unwrap_or_default())
    }

    /// Every listing id under `key`.
    async fn listings(&self, key: &str) -> Vec<String> {
        let mut listings = Vec::new();
        let mut path = format!("/v1/public/search?key={key}&limit=30");
        loop {
            let page = self.app.send(Method::GET, &path, None, None, None).await;
            let page: Value = page.json().await.unwrap_or(Value::Null);
            let items = page["items"].as_array().into_iter().flatten();
            listings.extend(items.filter_map(|card| card["listing_id"].as_str()).map(str::to_owned));
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/v1/public/search?key={key}&limit=30&cursor={cursor}"),
                None => return listings,
            }
        }
    }

    /// A request every member said yes to.
    async fn introduced(&self) -> uuid::Uuid {
        let id = self.approved().await;
        let (status, view) = self.act(id, "consent", &self.bea_token, json!({"decision": "accept"})).await;
        assert_eq!(status, 200, "{view}");
        let view = match &self.cai {
            None => view,
            Some((_, cai_token)) => self.act(id, "consent", cai_token, json!({"decision": "accept"})).await.1,
        };
        assert_eq!(view["status"].as_str(), Some("introduced"), "{view}");
        id
    }

    /// Ada's open check-in in a new introduction (the walk's app has
    /// check-ins a second after an introduction).
    async fn ada_check_in(&self) -> String {
        self.introduced().await;
        self.app.handle.clock().advance(chrono::Duration::seconds(1));
        assert!(self.app.handle.advance_check_ins().await.is_ok(), "the check-ins job runs");
        let path = format!("/v1/people/{}/check-ins", self.ada);
        let (status, page) = crate::introductions::call(&self.app, Method::GET, &path, &self.ada_token, None).await;
        assert_eq!(status, 200, "{page}");
        let due = page["items"].as_array().into_iter().flatten().find(|item| item["status"] == "due");
        due.and_then(|item| item["id"].as_str()).unwrap_or_default().to_owned()
    }

    /// A complete agreement, at version 1, of a new introduction.
    async fn agreement_to_confirm(&self) -> uuid::Uuid {
        let id = self.introduced().await;
        let mut members = vec![self.ada, self.bea];
        members.extend(self.cai.iter().map(|(cai, _)| *cai));
        let body = crate::aftercare::complete_agreement(&members);
        let path = format!("/v1/introductions/{id}/agreement");
        let response = self.app.send(Method::PATCH, &path, Some(&self.ada_token), Some(&body), Some("\"0\"")).await;
        assert_eq!(response.status(), 200, "setting up an agreement");
        id
    }

    async fn approved(&self) -> uuid::Uuid {
        let id = self.request("Hello").await;
        self.approve(id).await;
        id
    }
}

/// Calls `row`'s route as `caller`, on what the route needs (set up fresh
/// on `world`); returns the status.
async fn exercise(world: &World, row: &Row, caller: Caller) -> u16 {
    let (ada, bea) = (world.ada, world.bea);
    let mut if_match = None;
    let mut body = None;
    let path = match (row.method, row.path) {
        (_, "/healthz" | "/readyz" | "/v1/taxonomy" | "/v1/search") => row.path.to_owned(),
        (_, "/v1/areas/outcodes/{outcode}") => "/v1/areas/outcodes/TW9".to_owned(),
        (_, "/v1/people") => {
            body = Some(sample_person());
            row.path.to_owned()
        }
        ("PATCH", "/v1/people/{id}") => {
            body = Some(json!({"about": "New words."}));
            if_match = Some("\"1\"");
            format!("/v1/people/{ada}")
        }
        (_, "/v1/people/{id}") => format!("/v1/people/{ada}"),
        (_, "/v1/people/{id}/export") => format!("/v1/people/{ada}/export"),
        (_, "/v1/people/{id}/suggestions") => format!("/v1/people/{ada}/suggestions"),
        (_, "/v1/people/{id}/group-suggestions") => format!("/v1/people/{ada}/group-suggestions?size=3"),
        (_, "/v1/blocks") => {
            body = Some(json!({"blocker": ada, "blocked": bea}));
            row.path.to_owned()
        }
        (_, "/v1/blocks/{id}") => {
            let block = world.as_ada(Method::POST, "/v1/blocks", json!({"blocker": ada, "blocked": bea})).await;
            format!("/v1/blocks/{}", block["id"].as_str().unwrap_or_default())
        }
        ("POST", "/v1/introductions") => {
            body = Some(world.request_body("Hello"));
            row.path.to_owned()
        }
        ("GET", "/v1/introductions") => format!("/v1/introductions?person={ada}"),
        (_, "/v1/introductions/{id}") => format!("/v1/introductions/{}", world.approved().await),
        (_, "/v1/introductions/{id}/events") => format!("/v1/introductions/{}/events", world.approved().await),
        (_, "/v1/introductions/{id}/approve" | "/v1/introductions/{id}/decline") => {
            let id = world.request("Hello").await;
            row.path.replace("{id}", &id.to_string())
        }
        (_, "/v1/introductions/{id}/consent") => {
            body = Some(json!({"decision": "accept"}));
            format!("/v1/introductions/{}/consent", world.approved().await)
        }
        (_, "/v1/introductions/{id}/withdraw") => format!("/v1/introductions/{}/withdraw", world.approved().await),
        (_, "/v1/introductions/{id}/end") => format!("/v1/introductions/{}/end", world.introduced().await),
        ("GET", "/v1/introductions/{id}/agreement") => {
            format!("/v1/introductions/{}/agreement", world.introduced().await)
        }
        ("PATCH", "/v1/introductions/{id}/agreement") => {
            body = Some(json!({"purpose": "Share a PA on Saturdays"}));
            if_match = Some("\"0\"");
            format!("/v1/introductions/{}/agreement", world.introduced().await)
        }
        (_, "/v1/introductions/{id}/agreement/confirm") => {
            body = Some(json!({"version": 1}));
            format!("/v1/introductions/{}/agreement/confirm", world.agreement_to_confirm().await)
        }
        (_, "/v1/people/{id}/check-ins") => format!("/v1/people/{ada}/check-ins"),
        ("POST", "/v1/check-ins/{id}") => {
            body = Some(json!({"answer": "going_well"}));
            format!("/v1/check-ins/{}", world.ada_check_in().await)
        }
        (_, "/v1/check-ins/{id}/resolve") => {
            let id = world.ada_check_in().await;
            let (status, answered) = crate::introductions::call(
                &world.app,
                Method::POST,
                &format!("/v1/check-ins/{id}"),
                &world.ada_token,
                Some(json!({"answer": "not_well", "note": "I feel left out."})),
            )
            .await;
            assert_eq!(status, 200, "{answered}");
            format!("/v1/check-ins/{id}/resolve")
        }
        (_, "/v1/broker/queue") => row.path.to_owned(),
        (_, "/v1/broker/insights") => format!("/v1/broker/insights?authority={RICHMOND}"),
        (_, "/v1/reports") => {
            body = Some(json!({"reporter": ada, "about": bea, "reason": "Asked me for money."}));
            row.path.to_owned()
        }
        (_, "/v1/reports/{id}/resolve") => {
            let report = world
                .as_ada(Method::POST, "/v1/reports", json!({"reporter": ada, "about": bea, "reason": "Rude."}))
                .await;
            format!("/v1/reports/{}/resolve", report["id"].as_str().unwrap_or_default())
        }
        (_, "/v1/enquiries/{id}/resolve") => {
            let (key, listing) = world.embed_key_and_listing().await;
            let sent = world
                .app
                .send(
                    Method::POST,
                    &format!("/v1/public/enquiries?key={key}"),
                    None,
                    Some(&json!({"listing_id": listing, "name": "Rowan", "contact": {"email": "rowan@example.org"},
                                 "message": "Hello"})),
                    None,
                )
                .await;
            assert_eq!(sent.status(), 202, "setting up an enquiry");
            // The walk's one app keeps every row's requests: page to Ada's.
            let mut enquiry = None;
            let mut page = "/v1/broker/queue?limit=100".to_owned();
            while enquiry.is_none() {
                let (_, queue) = crate::introductions::call(&world.app, Method::GET, &page, &world.broker, None).await;
                enquiry = queue["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|item| item["kind"] == "enquiry" && item["about"] == json!(ada))
                    .cloned();
                match queue["next_cursor"].as_str() {
                    Some(cursor) => page = format!("/v1/broker/queue?limit=100&cursor={cursor}"),
                    None => break,
                }
            }
            let enquiry = enquiry.as_ref();
            format!("/v1/enquiries/{}/resolve", enquiry.and_then(|item| item["id"].as_str()).unwrap_or_default())
        }
        ("GET", "/v1/public/search") => row.path.to_owned(),
        ("POST", "/v1/public/enquiries") => {
            let (_, listing) = world.embed_key_and_listing().await;
            body = Some(json!({"listing_id": listing, "name": "Rowan", "contact": {"email": "rowan@example.org"},
                               "message": "Hello"}));
            row.path.to_owned()
        }
        ("POST", "/v1/admin/embed-keys") => {
            body = Some(json!({"authority": RICHMOND, "origins": ["https://council.example"], "label": "Walk"}));
            row.path.to_owned()
        }
        ("GET", "/v1/admin/embed-keys") => row.path.to_owned(),
        (_, "/v1/admin/embed-keys/{id}") => {
            let key = world
                .as_admin(
                    Method::POST,
                    "/v1/admin/embed-keys",
                    Some(json!({"authority": RICHMOND, "origins": ["https://council.example"], "label": "Walk"})),
                )
                .await;
            format!("/v1/admin/embed-keys/{}", key["id"].as_str().unwrap_or_default())
        }
        (_, "/v1/admin/import") => {
            let mut line = sample_person();
            line["external_ref"] = json!(format!("walk-{}", uuid::Uuid::new_v4()));
            let mut request = world
                .app
                .client
                .post(world.app.url(&format!("{}?authority={RICHMOND}", row.path)))
                .header("content-type", "application/x-ndjson")
                .body(format!("{line}\n"));
            if let Some(token) = world.token_for(caller) {
                request = request.bearer_auth(token);
            }
            return request.send().await.map(|response| response.status().as_u16()).unwrap_or_default();
        }
        (_, "/v1/admin/reindex") => row.path.to_owned(),
        (_, "/embed/widget.js") => row.path.to_owned(),
        (_, "/embed/demo") => "/embed/demo?key=ffe_0".to_owned(),
        (method, path) => panic!("the walk does not know how to call {method} {path}: teach `exercise`"),
    };
    let method = Method::from_bytes(row.method.as_bytes()).unwrap_or(Method::GET);
    let response = world.app.send(method, &path, world.token_for(caller), body.as_ref(), if_match).await;
    response.status().as_u16()
}

/// Check-ins a second after an introduction, so that the walk's calls need
/// not move the shared clock far.
fn with_check_ins_after_a_second(settings: &mut friends_api::config::Settings) {
    settings.check_in_after = friends_domain::check_ins::CheckInSchedule::parse("1s").unwrap_or_default();
}

#[tokio::test]
async fn every_route_has_a_policy_row_and_every_caller_gets_its_status() {
    let served = friends_api::routes::route_specs();
    let mut walked = Vec::new();
    for spec in &served {
        for method in &spec.methods {
            let Some(row) = TABLE.iter().find(|row| row.method == method.as_str() && row.path == spec.path) else {
                panic!("no policy row for {method} {}: add one to tests/api/policy.rs", spec.path)
            };
            assert_eq!(spec.rule(method), Some(row.rule), "{method} {} applies another rule than its row", spec.path);
            walked.push((row.method, row.path));
        }
    }
    for row in &TABLE {
        assert!(walked.contains(&(row.method, row.path)), "row for {} {} names no served route", row.method, row.path);
    }

    let app = Arc::new(spawn_app_with(default_backend(), with_check_ins_after_a_second).await);
    let mut wrong = Vec::new();
    for row in &TABLE {
        for (caller, want) in CALLERS.into_iter().zip(row.expect) {
            // Fresh people for every call: no call sees another's effects.
            let world = world_on(app.clone()).await;
            let got = exercise(&world, row, caller).await;
            if got != want {
                wrong.push(format!("{} {} by {caller:?}: {got}, expected {want}", row.method, row.path));
            }
        }
    }
    assert!(wrong.is_empty(), "{} calls got another status:\n{}", wrong.len(), wrong.join("\n"));
}

/// The group form (Ada asks Bea and Cai): every introduction route gives
/// each caller the status the pair form does, Bea's side standing for any
/// member asked.
#[tokio::test]
async fn the_group_form_of_every_introduction_route_gives_each_caller_the_same_status() {
    let app = Arc::new(spawn_app().await);
    let mut wrong = Vec::new();
    let mut walked = 0;
    for row in TABLE.iter().filter(|row| row.path.starts_with("/v1/introductions")) {
        for (caller, want) in CALLERS.into_iter().zip(row.expect) {
            let world = group_world_on(app.clone()).await;
            let got = exercise(&world, row, caller).await;
            walked += 1;
            if got != want {
                wrong.push(format!("{} {} by {caller:?}: {got}, expected {want}", row.method, row.path));
            }
        }
    }
    assert_eq!(walked, 12 * CALLERS.len(), "every introduction route");
    assert!(wrong.is_empty(), "{} calls got another status:\n{}", wrong.len(), wrong.join("\n"));
}

#[tokio::test]
async fn the_ops_listener_serves_the_probes_and_nothing_else() {
    let app = spawn_app_with(default_backend(), |settings| settings.ops_listen = Some("127.0.0.1:0".to_owned())).await;
    let Some(ops) = app.ops_address.clone() else { panic!("an ops listener was asked for") };
    for probe in ["/healthz", "/readyz"] {
        let status = app.client.get(format!("{ops}{probe}")).send().await.map(|r| r.status().as_u16());
        assert_eq!(status.ok(), Some(200), "{probe} on the ops listener");
    }
    let token = app.token(friends_api::auth::Role::Admin, uuid::Uuid::new_v4());
    for path in ["/v1/taxonomy", "/v1/people", "/v1/broker/queue", "/v1/search"] {
        let response = app.client.get(format!("{ops}{path}")).bearer_auth(&token).send().await;
        assert_eq!(response.map(|r| r.status().as_u16()).ok(), Some(404), "{path} is not on the ops listener");
    }
    // The main listener still serves everything, probes included.
    assert_eq!(app.send(Method::GET, "/healthz", None, None, None).await.status(), 200);
    assert_eq!(app.send(Method::GET, "/v1/taxonomy", None, None, None).await.status(), 200);
}
