//! The brokers' insights (issue 13): counts under 5 suppressed, no
//! suppressed cell derivable from a table's total and its other cells (the
//! test tries, by every value each could hold), other authorities refused,
//! and no person's id or name anywhere in the answer or the page.

use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::introductions::call;

const CANARY: &str = "Quillfeather";

/// The held-back cells of a table a reader can pin to one value, given its
/// shown total and other cells: each cell under 5 holds 0 to 4, each one
/// withheld 5 or more, and a value is possible when the other held cells
/// can make up the rest (a sum of whole-number ranges is a whole range).
fn derivable_cells(cells: &[Value], total: &Value) -> Vec<usize> {
    let Some(total) = total.as_u64() else { return Vec::new() };
    let shown: u64 = cells.iter().filter_map(Value::as_u64).sum();
    let rest = total - shown;
    let held: Vec<(u64, u64)> = cells
        .iter()
        .filter(|cell| !cell.is_u64())
        .map(|cell| if *cell == json!("fewer than 5") { (0, 4) } else { (5, rest) })
        .collect();
    let (lowest, highest): (u64, u64) = held.iter().fold((0, 0), |(low, high), range| (low + range.0, high + range.1));
    (0..held.len())
        .filter(|&index| {
            let (low, high) = held[index];
            let (others_low, others_high) = (lowest - low, highest - high);
            let possible = (low..=high.min(rest)).filter(|value| {
                let left = rest - value;
                others_low <= left && left <= others_high
            });
            possible.count() < 2
        })
        .collect()
}

fn tables(insights: &Value) -> Vec<(String, Vec<Value>, Value)> {
    let mut found = Vec::new();
    for people in ["looking", "nothing_to_suggest"] {
        let cells = insights[people]["by_district"].as_array().into_iter().flatten().map(|d| d["count"].clone());
        found.push((format!("{people} by district"), cells.collect(), insights[people]["total"].clone()));
    }
    for kind in ["pairs", "groups"] {
        let table = &insights["introductions"][kind];
        let cells = table["by_state"].as_array().into_iter().flatten().map(|s| s["count"].clone());
        found.push((kind.to_owned(), cells.collect(), table["total"].clone()));
    }
    let cells = insights["queue"]["by_kind"].as_array().into_iter().flatten().map(|s| s["count"].clone());
    found.push(("queue".to_owned(), cells.collect(), insights["queue"]["waiting"].clone()));
    let cells = insights["check_ins"]["by_answer"].as_array().into_iter().flatten().map(|s| s["count"].clone());
    found.push(("check-ins".to_owned(), cells.collect(), insights["check_ins"]["total"].clone()));
    for row in insights["running"].as_array().into_iter().flatten() {
        found.push((
            "running".to_owned(),
            vec![row["still_running"].clone(), row["stopped"].clone()],
            row["reached"].clone(),
        ));
    }
    found
}

#[tokio::test]
async fn small_counts_are_suppressed_and_none_can_be_worked_out() {
    let app = spawn_app().await;
    // TW9: 7 people, TW1: 6, TW10: 2 (small), plus one in Manchester.
    let mut people = Vec::new();
    for (outcode, count) in [("TW9", 7), ("TW1", 6), ("TW10", 2), ("M1", 1)] {
        for index in 0..count {
            let id = Uuid::new_v4();
            let token = app.token(friends_api::auth::Role::Member, id);
            let mut body = sample_person();
            body["outcode"] = json!(outcode);
            body["display_name"] = json!(format!("{CANARY} {outcode} {index}"));
            app.create_person(&token, &body).await;
            people.push(id);
        }
    }
    let broker = app.token_with(friends_api::auth::Role::Broker, Uuid::new_v4(), vec![], vec![RICHMOND]);
    let path = format!("/v1/broker/insights?authority={RICHMOND}");
    let (status, insights) = call(&app, Method::GET, &path, &broker, None).await;
    assert_eq!(status, 200, "{insights}");
    let looking = &insights["looking"];
    assert_eq!(looking["total"], 15, "{looking}");
    let district = |code: &str| {
        looking["by_district"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|d| d["district"] == code)
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(district("TW9")["count"], 7);
    assert_eq!(district("TW10")["count"], "fewer than 5");
    // The empty districts hide TW10's 2: the small ones add up to 2 among 14.
    assert_eq!(district("TW1")["count"], 6, "{looking}");
    assert_eq!(district("TW11")["count"], "fewer than 5", "nobody: the same words as a few");
    for (name, cells, total) in tables(&insights) {
        assert!(
            derivable_cells(&cells, &total).is_empty(),
            "{name}: a suppressed cell can be worked out: {cells:?} of {total}"
        );
        for cell in &cells {
            assert!(cell.as_u64().is_none_or(|count| count >= 5), "{name}: {cell}");
        }
    }
    for goal in looking["by_goal"].as_array().into_iter().flatten() {
        assert!(goal["count"].as_u64().is_none_or(|count| count >= 5), "{goal}");
    }
    // No person, by id or name, in the answer or the page.
    let page = app.client.get(app.url(&path)).bearer_auth(&broker).header("accept", "text/html").send().await.ok();
    let Some(page) = page else { panic!("no page") };
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap_or_default();
    assert!(page.contains("<svg") && page.contains("TW9 (7)"), "the map draws TW9: {page}");
    assert!(!page.contains("TW10 ("), "a suppressed district is not drawn");
    let text = format!("{insights}{page}");
    assert!(!text.contains(CANARY), "a name leaked");
    for id in &people {
        assert!(!text.contains(&id.to_string()), "an id leaked");
    }
    // Other authorities are refused; members and supporters are too.
    let manchester = app.token_with(friends_api::auth::Role::Broker, Uuid::new_v4(), vec![], vec!["E08000003"]);
    let (status, problem) = call(&app, Method::GET, &path, &manchester, None).await;
    assert_eq!((status, problem["code"].as_str()), (403, Some("outside_authority")));
    let member = app.token(friends_api::auth::Role::Member, people[0]);
    assert_eq!(call(&app, Method::GET, &path, &member, None).await.0, 403);
    let admin = app.token(friends_api::auth::Role::Admin, Uuid::new_v4());
    assert_eq!(call(&app, Method::GET, &path, &admin, None).await.0, 200);
    let (status, _) = call(&app, Method::GET, "/v1/broker/insights?authority=E99999999", &admin, None).await;
    assert_eq!(status, 404);
}
