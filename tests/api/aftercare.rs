//! After the introduction (issue 13), over HTTP on the adjustable clock:
//! check-ins fall due on the schedule and not before, only the person
//! answers, `want_to_stop` is an ordinary leaving, `not_well` and silence
//! reach the area's brokers, and nobody else reads an answer; the pooling
//! agreement's preconditions, personal confirmations, resets and page.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::introductions::{World, call, group_world_on, world_on};

/// A trial's schedule, in seconds.
const TRIAL: &str = "30s,60s,90s";

async fn trial_app() -> Arc<TestApp> {
    Arc::new(
        spawn_app_with(default_backend(), |settings| {
            settings.check_in_after = friends_domain::check_ins::CheckInSchedule::parse(TRIAL).unwrap_or_default();
        })
        .await,
    )
}

/// A complete agreement for `members` (the first keeps the receipts).
pub fn complete_agreement(members: &[Uuid]) -> Value {
    let contributions: serde_json::Map<String, Value> =
        members.iter().map(|member| (member.to_string(), json!(20))).collect();
    json!({
        "purpose": "Share a PA on Saturday mornings for gardening and cooking",
        "pays_for": [{"kind": "pa_hours", "note": "3 hours a week"}, {"kind": "venue"}],
        "contributions": contributions,
        "account": "joint_account",
        "signatories": members,
        "roles": [{"person_id": members[0], "role": "keeps the receipts"}],
        "review_every_weeks": 12,
        "leaving_notice_weeks": 4,
        "if_it_ends": "The money left is shared back in proportion."
    })
}

impl World {
    /// A request every member said yes to.
    async fn everyone_says_yes(&self) -> Uuid {
        let id = self.request("Hello").await;
        self.approve(id).await;
        let (status, view) = self.act(id, "consent", &self.bea_token, json!({"decision": "accept"})).await;
        assert_eq!(status, 200, "{view}");
        if let Some((_, cai_token)) = &self.cai {
            let (status, view) = self.act(id, "consent", cai_token, json!({"decision": "accept"})).await;
            assert_eq!(status, 200, "{view}");
        }
        let (_, view) = self.read(id, &self.ada_token).await;
        assert_eq!(view["status"], "introduced", "{view}");
        id
    }

    async fn check_ins(&self, person: Uuid, token: &str) -> Vec<Value> {
        let (status, page) = call(&self.app, Method::GET, &format!("/v1/people/{person}/check-ins"), token, None).await;
        assert_eq!(status, 200, "{page}");
        page["items"].as_array().cloned().unwrap_or_default()
    }

    async fn pass(&self, seconds: i64) {
        self.app.handle.clock().advance(Duration::seconds(seconds));
        if let Err(error) = self.app.handle.advance_check_ins().await {
            panic!("the check-ins job failed: {error}");
        }
    }

    async fn queue(&self, token: &str) -> Vec<Value> {
        let (status, page) = call(&self.app, Method::GET, "/v1/broker/queue?limit=100", token, None).await;
        assert_eq!(status, 200, "{page}");
        page["items"].as_array().cloned().unwrap_or_default()
    }

    async fn answer(&self, check_in: &str, token: &str, body: Value) -> (u16, Value) {
        call(&self.app, Method::POST, &format!("/v1/check-ins/{check_in}"), token, Some(body)).await
    }
}

fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().and_then(|text| text.parse().ok()).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

fn id_of(value: &Value) -> String {
    value["id"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn check_ins_fall_due_at_each_time_and_not_before_and_go_on_at_the_last_distance() {
    let world = world_on(trial_app().await).await;
    world.everyone_says_yes().await;
    world.pass(29).await;
    assert!(world.check_ins(world.ada, &world.ada_token).await.is_empty(), "not before 30 s");
    world.pass(1).await;
    let first = world.check_ins(world.ada, &world.ada_token).await;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0]["status"], "due");
    assert_eq!(world.check_ins(world.bea, &world.bea_token).await.len(), 1, "every member has their own");
    // Running again opens nothing more.
    world.pass(0).await;
    assert_eq!(world.check_ins(world.ada, &world.ada_token).await.len(), 1);
    world.pass(29).await;
    assert_eq!(world.check_ins(world.ada, &world.ada_token).await.len(), 1, "the second not before 60 s");
    world.pass(1).await;
    world.pass(30).await;
    world.pass(89).await;
    assert_eq!(world.check_ins(world.ada, &world.ada_token).await.len(), 3, "then at 90 s apart, not before");
    world.pass(1).await;
    let all = world.check_ins(world.ada, &world.ada_token).await;
    assert_eq!(all.len(), 4, "30, 60, 90, then every 90 s: {all:?}");
    // Newest first; each due at its time after the introduction.
    let due: Vec<DateTime<Utc>> = all.iter().rev().map(|item| at(&item["due_at"])).collect();
    let gaps: Vec<i64> = due.windows(2).map(|pair| (pair[1] - pair[0]).num_seconds()).collect();
    assert_eq!(gaps, vec![30, 30, 90], "{due:?}");
}

#[tokio::test]
async fn the_job_opens_a_check_in_on_its_own_within_ten_seconds() {
    let app = Arc::new(
        spawn_app_with(default_backend(), |settings| {
            settings.check_in_after = friends_domain::check_ins::CheckInSchedule::parse("1s").unwrap_or_default();
        })
        .await,
    );
    let world = world_on(app).await;
    world.everyone_says_yes().await;
    let due_by = std::time::Instant::now() + std::time::Duration::from_secs(11);
    // Polls what a client would see; the job itself runs on its own timer.
    loop {
        if !world.check_ins(world.ada, &world.ada_token).await.is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < due_by, "no check-in within 10 s of falling due");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn only_the_person_answers_and_nobody_else_in_the_group_reads_it() {
    let world = group_world_on(trial_app().await).await;
    let id = world.everyone_says_yes().await;
    world.pass(30).await;
    let check_in = id_of(&world.check_ins(world.ada, &world.ada_token).await[0]);
    let answer = json!({"answer": "mixed", "note": "Synthetic note: the bus is hard.", "supported_by": "my sister"});
    // Her supporter and her broker see it, but cannot answer for her.
    for token in [&world.ada_supporter, &world.broker] {
        assert_eq!(world.check_ins(world.ada, token).await.len(), 1);
        let (status, body) = world.answer(&check_in, token, answer.clone()).await;
        assert_eq!((status, body["code"].as_str()), (403, Some("consent_must_be_personal")), "{body}");
    }
    // The other members, and brokers elsewhere, may not know it exists.
    let (_, cai_token) = world.cai.clone().unwrap_or_default();
    for token in [&world.bea_token, &cai_token, &world.bea_supporter, &world.broker_elsewhere] {
        let (status, _) = world.answer(&check_in, token, answer.clone()).await;
        assert_eq!(status, 404);
        let (status, _) =
            call(&world.app, Method::GET, &format!("/v1/people/{}/check-ins", world.ada), token, None).await;
        assert_eq!(status, 404);
    }
    let (status, _) =
        call(&world.app, Method::GET, &format!("/v1/people/{}/check-ins", world.ada), &world.admin, None).await;
    assert_eq!(status, 403, "admins do not read people's answers");
    // Bad input changes nothing.
    for bad in [json!({"answer": "fine"}), json!({"answer": "mixed", "extra": 1}), json!({"note": "x"})] {
        let (status, body) = world.answer(&check_in, &world.ada_token, bad).await;
        assert_eq!(status, 422, "{body}");
    }
    assert_eq!(world.check_ins(world.ada, &world.ada_token).await[0]["status"], "due");
    let (status, answered) = world.answer(&check_in, &world.ada_token, answer.clone()).await;
    assert_eq!(status, 200, "{answered}");
    assert_eq!((answered["status"].as_str(), answered["answer"].as_str()), (Some("answered"), Some("mixed")));
    let (status, body) = world.answer(&check_in, &world.ada_token, answer).await;
    assert_eq!((status, body["code"].as_str()), (409, Some("invalid_transition")), "answered once");
    // Nothing of it reaches the others: not the introduction, its events,
    // their exports, nor the queue (a `mixed` answer is hers alone).
    for token in [&world.bea_token, &cai_token] {
        let (_, view) = world.read(id, token).await;
        let events = world.events(id, token).await;
        let text = format!("{view}{events:?}");
        assert!(!text.contains("bus is hard") && !text.contains("my sister") && !text.contains("mixed"), "{text}");
    }
    let (_, export) =
        call(&world.app, Method::GET, &format!("/v1/people/{}/export", world.bea), &world.bea_token, None).await;
    assert!(!export.to_string().contains("bus is hard"), "Bea's export holds only her own check-ins");
    let (_, export) =
        call(&world.app, Method::GET, &format!("/v1/people/{}/export", world.ada), &world.ada_token, None).await;
    assert!(export["check_ins"].to_string().contains("bus is hard"), "Ada's export holds her answer: {export}");
    let (_, export) =
        call(&world.app, Method::GET, &format!("/v1/people/{}/export", world.ada), &world.admin, None).await;
    assert_eq!(export["check_ins"], json!([]), "admins do not read answers, not even in an export");
    assert!(!world.queue(&world.broker).await.iter().any(|item| item["kind"] == "check_in"));
}

#[tokio::test]
async fn want_to_stop_is_an_ordinary_leaving_at_once() {
    let world = group_world_on(trial_app().await).await;
    let id = world.everyone_says_yes().await;
    world.pass(30).await;
    let (cai, cai_token) = world.cai.clone().unwrap_or_default();
    let check_in = id_of(&world.check_ins(cai, &cai_token).await[0]);
    let (status, answered) =
        world.answer(&check_in, &cai_token, json!({"answer": "want_to_stop", "note": "Synthetic: too far."})).await;
    assert_eq!(status, 200, "{answered}");
    // Cai is out at once; Ada and Bea go on, and see what any leaving shows.
    let (_, view) = world.read(id, &world.ada_token).await;
    assert_eq!(view["status"], "introduced", "two remain: {view}");
    let members: Vec<&str> =
        view["members"].as_array().into_iter().flatten().filter_map(|m| m["person_id"].as_str()).collect();
    assert!(!members.contains(&cai.to_string().as_str()), "{view}");
    let events = world.events(id, &world.ada_token).await;
    let last = events.last().cloned().unwrap_or_default();
    assert_eq!(last["action"], "ended", "an ordinary leaving: {last}");
    let text = format!("{view}{events:?}");
    assert!(!text.contains("want_to_stop") && !text.contains("too far"), "no reason reaches anyone: {text}");
    let (_, own) = world.read(id, &cai_token).await;
    assert!(own["contacts"].is_null(), "a leaver sees no contacts: {own}");
    // No more check-ins for Cai; the others' go on.
    world.pass(30).await;
    world.pass(30).await;
    let cais = world.check_ins(cai, &cai_token).await;
    assert_eq!(cais.len(), 1, "{cais:?}");
    assert_eq!(cais[0]["answer"], "want_to_stop");
    assert_eq!(world.check_ins(world.ada, &world.ada_token).await.len(), 3);
    // A pair ends when one of them stops; the other's open check-in closes.
    let pair = world_on(world.app.clone()).await;
    let id = pair.everyone_says_yes().await;
    pair.pass(30).await;
    let check_in = id_of(&pair.check_ins(pair.bea, &pair.bea_token).await[0]);
    let (status, _) = pair.answer(&check_in, &pair.bea_token, json!({"answer": "want_to_stop"})).await;
    assert_eq!(status, 200);
    let (_, view) = pair.read(id, &pair.ada_token).await;
    assert_eq!(view["status"], "ended", "{view}");
    let adas = pair.check_ins(pair.ada, &pair.ada_token).await;
    assert_eq!(adas[0]["status"], "closed", "{adas:?}");
    pair.pass(300).await;
    assert_eq!(pair.check_ins(pair.ada, &pair.ada_token).await.len(), 1, "no more after the end");
}

#[tokio::test]
async fn not_well_and_silence_reach_the_area_s_brokers_only() {
    let world = world_on(trial_app().await).await;
    world.everyone_says_yes().await;
    world.pass(30).await;
    let ada_check_in = id_of(&world.check_ins(world.ada, &world.ada_token).await[0]);
    let note = "Synthetic note: they keep asking me for money.";
    let (status, _) = world.answer(&ada_check_in, &world.ada_token, json!({"answer": "not_well", "note": note})).await;
    assert_eq!(status, 200);
    let queue = world.queue(&world.broker).await;
    let item = queue.iter().find(|item| item["id"] == json!(ada_check_in)).cloned().unwrap_or_default();
    assert_eq!((item["kind"].as_str(), item["reason"].as_str()), (Some("check_in"), Some("not_well")), "{queue:?}");
    assert_eq!(item["note"], note);
    assert!(!world.queue(&world.broker_elsewhere).await.iter().any(|item| item["kind"] == "check_in"));
    // Bea says nothing: 14 days after it fell due, her brokers hear of it.
    let bea_check_in = id_of(&world.check_ins(world.bea, &world.bea_token).await[0]);
    world.pass(14 * 24 * 3600 - 1).await;
    assert!(!world.queue(&world.broker).await.iter().any(|item| item["id"] == json!(bea_check_in)), "not before");
    world.pass(1).await;
    let queue = world.queue(&world.broker).await;
    let item = queue.iter().find(|item| item["id"] == json!(bea_check_in)).cloned().unwrap_or_default();
    assert_eq!((item["status"].as_str(), item["reason"].as_str()), (Some("missed"), Some("unanswered")), "{item}");
    // She can still answer it; answered, it leaves the queue by itself.
    let (status, _) = world.answer(&bea_check_in, &world.bea_token, json!({"answer": "going_well"})).await;
    assert_eq!(status, 200);
    assert!(!world.queue(&world.broker).await.iter().any(|item| item["id"] == json!(bea_check_in)));
    let path = format!("/v1/check-ins/{bea_check_in}/resolve");
    assert_eq!(call(&world.app, Method::POST, &path, &world.broker, None).await.0, 409, "nothing to follow up");
    // A broker follows up Ada's.
    for check_in in [&ada_check_in] {
        let path = format!("/v1/check-ins/{check_in}/resolve");
        let (status, _) = call(&world.app, Method::POST, &path, &world.broker_elsewhere, None).await;
        assert_eq!(status, 404);
        let (status, body) = call(&world.app, Method::POST, &path, &world.broker, None).await;
        assert_eq!(status, 200, "{body}");
        let (status, _) = call(&world.app, Method::POST, &path, &world.broker, None).await;
        assert_eq!(status, 409, "once");
    }
    assert!(!world.queue(&world.broker).await.iter().any(|item| item["kind"] == "check_in"));
}

async fn agreement(world: &World, id: Uuid, token: &str) -> (u16, Value, String) {
    let response =
        world.app.send(Method::GET, &format!("/v1/introductions/{id}/agreement"), Some(token), None, None).await;
    let status = response.status().as_u16();
    let tag = response.headers().get("etag").and_then(|tag| tag.to_str().ok()).unwrap_or_default().to_owned();
    (status, response.json().await.unwrap_or(Value::Null), tag)
}

async fn patch(world: &World, id: Uuid, token: &str, body: &Value, tag: Option<&str>) -> (u16, Value) {
    let path = format!("/v1/introductions/{id}/agreement");
    let response = world.app.send(Method::PATCH, &path, Some(token), Some(body), tag).await;
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

async fn confirm(world: &World, id: Uuid, token: &str, version: i64) -> (u16, Value) {
    let path = format!("/v1/introductions/{id}/agreement/confirm");
    call(&world.app, Method::POST, &path, token, Some(json!({"version": version}))).await
}

#[tokio::test]
async fn the_agreement_is_agreed_only_when_every_current_member_confirmed_the_current_version() {
    let world = group_world_on(Arc::new(spawn_app().await)).await;
    let (cai, cai_token) = world.cai.clone().unwrap_or_default();
    let request = world.request("Hello").await;
    let (status, _, _) = agreement(&world, request, &world.ada_token).await;
    assert_eq!(status, 404, "no agreement before the introduction");
    let id = {
        world.approve(request).await;
        world.act(request, "consent", &world.bea_token, json!({"decision": "accept"})).await;
        world.act(request, "consent", &cai_token, json!({"decision": "accept"})).await;
        request
    };
    let (status, empty, tag) = agreement(&world, id, &world.bea_token).await;
    assert_eq!((status, tag.as_str(), empty["status"].as_str()), (200, "\"0\"", Some("draft")), "{empty}");
    let body = complete_agreement(&[world.ada, world.bea, cai]);
    // 428 without If-Match, 412 when stale; brokers read but cannot edit.
    let (status, problem) = patch(&world, id, &world.ada_token, &body, None).await;
    assert_eq!((status, problem["code"].as_str()), (428, Some("precondition_required")));
    let (status, problem) = patch(&world, id, &world.ada_token, &body, Some("\"7\"")).await;
    assert_eq!((status, problem["code"].as_str()), (412, Some("version_conflict")));
    let (status, _) = patch(&world, id, &world.broker, &body, Some("\"0\"")).await;
    assert_eq!(status, 403, "brokers read only");
    // Bad input: a stranger named, a bound broken, an unknown field.
    for bad in [
        json!({"signatories": [Uuid::new_v4()]}),
        json!({"review_every_weeks": 0}),
        json!({"account": "under_the_mattress"}),
        json!({"colour": "blue"}),
        json!({"contributions": {world.ada.to_string(): 5000}}),
    ] {
        let (status, problem) = patch(&world, id, &world.ada_token, &bad, Some("\"0\"")).await;
        assert_eq!(status, 422, "{bad}: {problem}");
    }
    assert_eq!(agreement(&world, id, &world.ada_token).await.2, "\"0\"", "bad input changed nothing");
    // Ada's supporter drafts it; it cannot be confirmed before it is whole.
    let (status, problem) = confirm(&world, id, &world.ada_token, 0).await;
    assert_eq!(status, 422, "{problem}");
    let (status, draft) = patch(&world, id, &world.ada_supporter, &body, Some("\"0\"")).await;
    assert_eq!((status, draft["version"].as_i64()), (200, Some(1)), "{draft}");
    assert_eq!(draft["missing"], json!([]));
    // Only each person confirms, the version they read.
    let (status, _) = confirm(&world, id, &world.ada_supporter, 1).await;
    assert_eq!(status, 403);
    let (status, _) = confirm(&world, id, &world.broker, 1).await;
    assert_eq!(status, 403);
    let (status, _) = confirm(&world, id, &world.ada_token, 0).await;
    assert_eq!(status, 412, "a stale version");
    for (token, expected) in [(&world.ada_token, "draft"), (&world.bea_token, "draft"), (&cai_token, "agreed")] {
        let (status, view) = confirm(&world, id, token, 1).await;
        assert_eq!((status, view["status"].as_str()), (200, Some(expected)), "{view}");
    }
    // An edit returns it to draft and clears the confirmations.
    let (status, edited) =
        patch(&world, id, &world.bea_token, &json!({"leaving_notice_weeks": 2}), Some("\"1\"")).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!((edited["status"].as_str(), edited["confirmations"].as_array().map(Vec::len)), (Some("draft"), Some(0)));
    for token in [&world.ada_token, &world.bea_token, &cai_token] {
        confirm(&world, id, token, 2).await;
    }
    assert_eq!(agreement(&world, id, &world.ada_token).await.1["status"], "agreed");
    // Cai leaves: it is a draft again, without Cai; the two confirm it.
    let (status, _) = world.act(id, "end", &cai_token, json!({})).await;
    assert_eq!(status, 200);
    let (_, after, tag) = agreement(&world, id, &world.ada_token).await;
    assert_eq!((after["status"].as_str(), tag.as_str()), (Some("draft"), "\"3\""), "{after}");
    assert!(!after.to_string().contains(&cai.to_string()), "Cai is taken out: {after}");
    let (status, _, _) = agreement(&world, id, &cai_token).await;
    assert_eq!(status, 404, "a leaver no longer sees it");
    confirm(&world, id, &world.ada_token, 3).await;
    let (status, view) = confirm(&world, id, &world.bea_token, 3).await;
    assert_eq!((status, view["status"].as_str()), (200, Some("agreed")), "{view}");
    // Every change is on the trail.
    let actions: Vec<String> = world
        .events(id, &world.ada_token)
        .await
        .iter()
        .filter_map(|event| event["action"].as_str().map(str::to_owned))
        .filter(|action| action.starts_with("agreement"))
        .collect();
    assert_eq!(actions.len(), 2 + 3 + 3 + 2, "{actions:?}");
    // Erasing Bea takes her out of it too.
    let (status, _) =
        call(&world.app, Method::DELETE, &format!("/v1/people/{}", world.bea), &world.bea_token, None).await;
    assert_eq!(status, 204);
    let (_, after, _) = agreement(&world, id, &world.broker).await;
    assert!(!after.to_string().contains(&world.bea.to_string()), "{after}");
}

#[tokio::test]
async fn the_printed_agreement_shows_what_was_agreed_in_plain_words() {
    let world = world_on(Arc::new(spawn_app().await)).await;
    let id = world.everyone_says_yes().await;
    let mut body = complete_agreement(&[world.ada, world.bea]);
    body["purpose"] = json!("Gardening <script>alert(1)</script> on Saturdays");
    let (status, _) = patch(&world, id, &world.ada_token, &body, Some("\"0\"")).await;
    assert_eq!(status, 200);
    confirm(&world, id, &world.ada_token, 1).await;
    confirm(&world, id, &world.bea_token, 1).await;
    let response = world
        .app
        .client
        .get(world.app.url(&format!("/v1/introductions/{id}/agreement")))
        .bearer_auth(&world.broker)
        .header("accept", "text/html")
        .send()
        .await;
    let Ok(response) = response else { panic!("no answer") };
    assert_eq!(response.status(), 200);
    let csp = response.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let page = response.text().await.unwrap_or_default();
    assert!(page.contains("Everyone in the group has agreed to this."), "{page}");
    assert!(page.contains("Gardening &lt;script&gt;alert(1)&lt;/script&gt; on Saturdays"), "escaped: {page}");
    assert!(!page.contains("<script>"));
    let today = crate::aftercare::date_today(&world);
    assert_eq!(page.matches(&format!("Agreed on {today}")).count(), 2, "each member's confirmation: {page}");
    for words in ["puts in £20 each week.", "In a bank account in our names.", "every 12 weeks", "4 weeks before"] {
        assert!(page.contains(words), "{words}: {page}");
    }
}

/// Today as the page writes dates, on the app's clock.
pub fn date_today(world: &World) -> String {
    world.app.handle.clock().now().format("%-d %B %Y").to_string()
}

#[tokio::test]
async fn a_check_in_opened_late_is_asked_before_it_counts_as_missed() {
    let world = world_on(trial_app().await).await;
    world.everyone_says_yes().await;
    // The job was away for 20 days: the latest check-in due opens now, once.
    world.pass(20 * 24 * 3600).await;
    let opened = world.check_ins(world.ada, &world.ada_token).await;
    assert_eq!(opened.len(), 1, "one question, not a pile: {opened:?}");
    assert!(!world.queue(&world.broker).await.iter().any(|item| item["kind"] == "check_in"), "not missed at once");
    world.pass(14 * 24 * 3600).await;
    let queue = world.queue(&world.broker).await;
    assert!(queue.iter().any(|item| item["id"] == opened[0]["id"]), "missed 14 days after it opened: {queue:?}");
}
