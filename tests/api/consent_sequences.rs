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
use crate::introductions::{World, call, world_on};

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
