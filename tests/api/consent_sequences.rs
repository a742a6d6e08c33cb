//! Random sequences over HTTP, on the real server: request, approve,
//! decline, consent yes or no, withdraw, end, block, erase, time passing and
//! the expiry task, each by every role. After every step: contact details
//! are visible to someone if and only if the introduction is `introduced`,
//! both people said yes with their own token, and nobody withdrew, blocked
//! or was erased; the status only moved along the diagram; every accepted
//! action left exactly one event. (The same rules run 10,000 cases without a
//! server in `crates/domain/tests/consent.rs`; here every case goes over
//! HTTP to one server, with two new people per case, so there are fewer:
//! `CONSENT_SEQUENCE_CASES`, default 150.)

use friends_domain::introduction::IntroductionStatus;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use std::sync::Arc;

use crate::helpers::{TestApp, spawn_app};
use crate::introductions::{World, call, group_world_on, world_on};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Ada,
    Bea,
    AdaSupporter,
    BeaSupporter,
    Broker,
    BrokerElsewhere,
    Stranger,
    Admin,
}

const EVERYONE: [Who; 8] = [
    Who::Ada,
    Who::Bea,
    Who::AdaSupporter,
    Who::BeaSupporter,
    Who::Broker,
    Who::BrokerElsewhere,
    Who::Stranger,
    Who::Admin,
];

#[derive(Debug, Clone, Copy)]
enum Step {
    Request(Who),
    Act(&'static str, Who),
    Consent(Who, bool),
    Block(Who),
    Erase(Who),
    Wait(i64),
    Expire,
}

fn who() -> impl Strategy<Value = Who> {
    proptest::sample::select(EVERYONE.to_vec())
}

/// Mostly the people who can act, sometimes anyone: random sequences must
/// reach `introduced` and beyond often, not only bounce off refusals.
fn mostly(likely: &'static [Who]) -> impl Strategy<Value = Who> {
    prop_oneof![3 => proptest::sample::select(likely), 1 => who()]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        2 => mostly(&[Who::Ada, Who::AdaSupporter]).prop_map(Step::Request),
        3 => mostly(&[Who::Broker]).prop_map(|who| Step::Act("approve", who)),
        1 => mostly(&[Who::Broker]).prop_map(|who| Step::Act("decline", who)),
        4 => (mostly(&[Who::Ada, Who::Bea]), proptest::bool::weighted(0.85)).prop_map(|(who, yes)| Step::Consent(who, yes)),
        1 => mostly(&[Who::Ada, Who::Bea, Who::AdaSupporter, Who::BeaSupporter]).prop_map(|who| Step::Act("withdraw", who)),
        2 => mostly(&[Who::Ada, Who::Bea, Who::AdaSupporter, Who::BeaSupporter]).prop_map(|who| Step::Act("end", who)),
        1 => proptest::sample::select(vec![Who::Ada, Who::Bea, Who::AdaSupporter, Who::BeaSupporter]).prop_map(Step::Block),
        1 => proptest::sample::select(vec![Who::Ada, Who::Bea]).prop_map(Step::Erase),
        1 => (1i64..40).prop_map(Step::Wait),
        1 => Just(Step::Expire),
    ]
}

fn token(world: &World, who: Who) -> &str {
    match who {
        Who::Ada => &world.ada_token,
        Who::Bea => &world.bea_token,
        Who::AdaSupporter => &world.ada_supporter,
        Who::BeaSupporter => &world.bea_supporter,
        Who::Broker => &world.broker,
        Who::BrokerElsewhere => &world.broker_elsewhere,
        Who::Stranger => &world.stranger,
        Who::Admin => &world.admin,
    }
}

/// Whether the status may move from `from` to `to` (as the API spells them).
fn on_the_diagram(from: &str, to: &str) -> bool {
    match (IntroductionStatus::parse(from), IntroductionStatus::parse(to)) {
        (Some(from), Some(to)) => from.may_become(to),
        _ => false,
    }
}

const OPEN: [&str; 3] = ["pending_review", "awaiting_consent", "introduced"];

struct Current {
    id: Uuid,
    status: String,
    events: usize,
    personal_yes: [bool; 2],
    left: bool,
}

async fn run(app: Arc<TestApp>, steps: Vec<Step>) {
    let world = world_on(app).await;
    let mut current: Option<Current> = None;
    let (mut blocked, mut erased) = (false, false);
    for step in &steps {
        let context = format!("{step:?} in {steps:?}");
        let mut accepted = 0usize;
        match *step {
            Step::Request(who) => {
                let body = json!({"from": world.ada, "to": world.bea});
                let (status, view) =
                    call(&world.app, Method::POST, "/v1/introductions", token(&world, who), Some(body)).await;
                assert!(status < 500, "{context}: {view}");
                if status == 201 {
                    assert!(matches!(who, Who::Ada | Who::AdaSupporter | Who::Broker), "{context}");
                    assert!(!blocked && !erased, "{context}: no request between blocked or erased people");
                    let id = Uuid::parse_str(view["id"].as_str().unwrap_or_default()).unwrap_or_default();
                    current = Some(Current {
                        id,
                        status: "pending_review".into(),
                        events: 1,
                        personal_yes: [who == Who::Ada, false],
                        left: false,
                    });
                    continue;
                }
            }
            Step::Act(action, who) => {
                let Some(intro) = &mut current else { continue };
                let (status, body) = world.act(intro.id, action, token(&world, who), json!({})).await;
                assert!(status < 500, "{context}: {body}");
                if status == 200 {
                    accepted = 1;
                    if action == "withdraw" {
                        intro.left = true;
                    }
                }
            }
            Step::Consent(who, yes) => {
                let Some(intro) = &mut current else { continue };
                let decision = if yes { "accept" } else { "decline" };
                let (status, body) =
                    world.act(intro.id, "consent", token(&world, who), json!({"decision": decision})).await;
                assert!(status < 500, "{context}: {body}");
                if status == 200 {
                    accepted = 1;
                    assert!(matches!(who, Who::Ada | Who::Bea), "{context}: only a person consents");
                    if yes {
                        intro.personal_yes[usize::from(who == Who::Bea)] = true;
                    }
                }
            }
            Step::Block(who) => {
                let (blocker, blocked_person) = if matches!(who, Who::Ada | Who::AdaSupporter) {
                    (world.ada, world.bea)
                } else {
                    (world.bea, world.ada)
                };
                let body = json!({"blocker": blocker, "blocked": blocked_person});
                let (status, _) = call(&world.app, Method::POST, "/v1/blocks", token(&world, who), Some(body)).await;
                if status == 201 {
                    blocked = true;
                    if let Some(intro) = &mut current
                        && OPEN.contains(&intro.status.as_str())
                    {
                        accepted = 1;
                        intro.left = true;
                    }
                }
            }
            Step::Erase(who) => {
                let person = if who == Who::Ada { world.ada } else { world.bea };
                let (status, _) =
                    call(&world.app, Method::DELETE, &format!("/v1/people/{person}"), token(&world, who), None).await;
                if status == 204 {
                    erased = true;
                    if let Some(intro) = &mut current
                        && OPEN.contains(&intro.status.as_str())
                    {
                        accepted = 1;
                        intro.left = true;
                    }
                }
            }
            Step::Wait(days) => {
                world.app.handle.clock().advance(chrono::Duration::days(days));
            }
            Step::Expire => {
                // The app is shared by every case: what expired here is
                // counted from this introduction's own status below.
                if let Err(error) = world.app.handle.expire_due().await {
                    panic!("{context}: expiry failed: {error}");
                }
            }
        }
        let Some(intro) = &mut current else { continue };
        let (status, truth) = world.read(intro.id, &world.broker).await;
        assert_eq!(status, 200, "{context}");
        let now = truth["status"].as_str().unwrap_or_default().to_owned();
        if matches!(step, Step::Expire) && now == "expired" && intro.status != "expired" {
            accepted = 1;
        }
        assert!(on_the_diagram(&intro.status, &now), "{context}: {} -> {now}", intro.status);
        let events = world.events(intro.id, &world.broker).await.len();
        assert_eq!(events, intro.events + accepted, "{context}: one event per accepted action");
        intro.events = events;
        intro.status = now;
        let introduced =
            intro.status == "introduced" && intro.personal_yes == [true, true] && !intro.left && !blocked && !erased;
        for viewer in EVERYONE {
            let (status, view) = world.read(intro.id, token(&world, viewer)).await;
            let sees = status == 200 && view.get("contacts").is_some();
            let entitled = matches!(viewer, Who::Ada | Who::Bea | Who::AdaSupporter | Who::BeaSupporter | Who::Broker);
            assert_eq!(sees, introduced && entitled, "{context}: contacts for {viewer:?}: {view}");
            if matches!(viewer, Who::Ada | Who::AdaSupporter) && status == 200 {
                assert!(
                    !matches!(view["status"].as_str(), Some("declined" | "expired")),
                    "{context}: the requester's side reads not_going_ahead"
                );
            }
        }
    }
}

#[tokio::test]
async fn random_sequences_over_http_keep_the_consent_rules() {
    let cases: u32 = std::env::var("CONSENT_SEQUENCE_CASES").ok().and_then(|value| value.parse().ok()).unwrap_or(150);
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    let strategy = proptest::collection::vec(step(), 1..20);
    // One server for every case (each case has its own two people), so that
    // a PostgreSQL run does not open a pool per case.
    let app = Arc::new(spawn_app().await);
    for _ in 0..cases {
        let mut steps = match strategy.new_tree(&mut runner) {
            Ok(tree) => tree.current(),
            Err(reason) => panic!("cannot generate a case: {reason}"),
        };
        // Every case starts with a request, so that no case is spent before
        // there is anything to check.
        steps.insert(0, Step::Request(Who::Ada));
        run(app.clone(), steps).await;
    }
}

/// Who acts in a group of three: Ada (who asks), Bea and Cai, a broker for
/// the area, a stranger and an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupWho {
    Member(usize),
    Broker,
    Stranger,
    Admin,
}

#[derive(Debug, Clone, Copy)]
enum GroupStep {
    Act(&'static str, GroupWho),
    Consent(GroupWho, bool),
    /// Member `.0` blocks member `.1`.
    Block(usize, usize),
    Wait(i64),
    Expire,
}

fn group_who() -> impl Strategy<Value = GroupWho> {
    prop_oneof![
        6 => (0usize..3).prop_map(GroupWho::Member),
        2 => Just(GroupWho::Broker),
        1 => Just(GroupWho::Stranger),
        1 => Just(GroupWho::Admin),
    ]
}

fn group_step() -> impl Strategy<Value = GroupStep> {
    prop_oneof![
        3 => prop_oneof![3 => Just(GroupWho::Broker), 1 => group_who()].prop_map(|who| GroupStep::Act("approve", who)),
        1 => group_who().prop_map(|who| GroupStep::Act("decline", who)),
        8 => (group_who(), proptest::bool::weighted(0.9)).prop_map(|(who, yes)| GroupStep::Consent(who, yes)),
        1 => group_who().prop_map(|who| GroupStep::Act("withdraw", who)),
        4 => group_who().prop_map(|who| GroupStep::Act("end", who)),
        1 => (0usize..3, 0usize..3).prop_filter("two people", |(one, other)| one != other)
            .prop_map(|(one, other)| GroupStep::Block(one, other)),
        1 => (1i64..40).prop_map(GroupStep::Wait),
        1 => Just(GroupStep::Expire),
    ]
}

/// One group case: Ada asks Bea and Cai; random steps follow. After every
/// step: the status moved along the diagram; one event per accepted action;
/// a member sees contacts iff the group is `introduced`, all three said yes
/// with their own tokens and they have not left; brokers iff `introduced`;
/// nobody reads another member's decline, withdrawal or an expiry as such.
async fn run_group(app: Arc<TestApp>, steps: Vec<GroupStep>) {
    let world = group_world_on(app).await;
    let Some((cai, cai_token)) = world.cai.clone() else { panic!("a group world has Cai") };
    let people = [world.ada, world.bea, cai];
    let member_tokens = [world.ada_token.clone(), world.bea_token.clone(), cai_token];
    let token_of = |who: GroupWho| -> &str {
        match who {
            GroupWho::Member(index) => &member_tokens[index],
            GroupWho::Broker => &world.broker,
            GroupWho::Stranger => &world.stranger,
            GroupWho::Admin => &world.admin,
        }
    };
    let id = world.request("A group of three?").await;
    let (mut status, mut events) = ("pending_review".to_owned(), 1usize);
    let mut personal_yes = [true, false, false];
    let mut left = [false; 3];
    let mut approved = false;
    // The member whose own step closed it (a no or a withdrawal), if one did.
    let mut closed_by: Option<usize> = None;
    for step in &steps {
        let context = format!("{step:?} in {steps:?}");
        let mut accepted = 0usize;
        match *step {
            GroupStep::Act(action, who) => {
                let (code, body) = world.act(id, action, token_of(who), json!({})).await;
                assert!(code < 500, "{context}: {body}");
                if code == 200 {
                    accepted = 1;
                    match (action, who) {
                        ("approve", _) => approved = true,
                        ("withdraw" | "end", GroupWho::Member(index)) => {
                            left[index] = true;
                            if status != "introduced" {
                                closed_by = Some(index);
                            }
                        }
                        _ => {}
                    }
                }
            }
            GroupStep::Consent(who, yes) => {
                let decision = if yes { "accept" } else { "decline" };
                let (code, body) = world.act(id, "consent", token_of(who), json!({"decision": decision})).await;
                assert!(code < 500, "{context}: {body}");
                if code == 200 {
                    accepted = 1;
                    let GroupWho::Member(index) = who else { panic!("{context}: only a member consents") };
                    if yes {
                        personal_yes[index] = true;
                    } else {
                        closed_by = Some(index);
                    }
                }
            }
            GroupStep::Block(one, other) => {
                let body = json!({"blocker": people[one], "blocked": people[other]});
                let (code, _) = call(&world.app, Method::POST, "/v1/blocks", &member_tokens[one], Some(body)).await;
                if code == 201 && OPEN.contains(&status.as_str()) && !left[one] {
                    // The one who blocked leaves, on their own behalf.
                    accepted = 1;
                    left[one] = true;
                    if status != "introduced" {
                        closed_by = Some(one);
                    }
                }
            }
            GroupStep::Wait(days) => {
                world.app.handle.clock().advance(chrono::Duration::days(days));
            }
            GroupStep::Expire => {
                if let Err(error) = world.app.handle.expire_due().await {
                    panic!("{context}: expiry failed: {error}");
                }
            }
        }
        let (code, truth) = world.read(id, &world.broker).await;
        assert_eq!(code, 200, "{context}");
        let now = truth["status"].as_str().unwrap_or_default().to_owned();
        if matches!(step, GroupStep::Expire) && now == "expired" && status != "expired" {
            accepted = 1;
        }
        assert!(on_the_diagram(&status, &now), "{context}: {status} -> {now}");
        let trail = world.events(id, &world.broker).await.len();
        assert_eq!(trail, events + accepted, "{context}: one event per accepted action");
        (status, events) = (now, trail);
        let introduced = status == "introduced" && personal_yes.iter().all(|yes| *yes);
        if status == "introduced" {
            assert!(personal_yes.iter().all(|yes| *yes), "{context}: introduced without everyone's own yes");
        }
        for (index, token) in member_tokens.iter().enumerate() {
            let (code, view) = world.read(id, token).await;
            if index > 0 && !approved {
                assert_eq!(code, 404, "{context}: before approval only Ada knows of it");
                continue;
            }
            assert_eq!(code, 200, "{context}");
            let sees = view.get("contacts").is_some();
            assert_eq!(sees, introduced && !left[index], "{context}: contacts for member {index}: {view}");
            let shown = view["status"].as_str().unwrap_or_default();
            if closed_by != Some(index) {
                assert!(
                    !matches!(shown, "declined" | "withdrawn" | "expired"),
                    "{context}: member {index} reads another's {shown}"
                );
                for member in view["members"].as_array().into_iter().flatten() {
                    assert_ne!(member["consent"], "declined", "{context}: member {index} reads who said no");
                }
            }
        }
        let (_, broker_view) = world.read(id, &world.broker).await;
        assert_eq!(broker_view.get("contacts").is_some(), introduced, "{context}: the broker's contacts");
    }
}

#[tokio::test]
async fn random_group_sequences_over_http_keep_the_consent_rules() {
    let cases: u32 =
        std::env::var("CONSENT_SEQUENCE_CASES").ok().and_then(|value| value.parse().ok()).unwrap_or(150) / 2;
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    let strategy = proptest::collection::vec(group_step(), 1..30);
    let app = Arc::new(spawn_app().await);
    for _ in 0..cases {
        let steps = match strategy.new_tree(&mut runner) {
            Ok(tree) => tree.current(),
            Err(reason) => panic!("cannot generate a case: {reason}"),
        };
        run_group(app.clone(), steps).await;
    }
}
