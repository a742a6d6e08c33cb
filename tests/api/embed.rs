//! The council embed (issue 11): embed keys, public search, public listing as
//! the person's own choice, residents' enquiries, CORS and rate limits. Each
//! claim ARCHITECTURE.md makes about what a public caller can learn has a
//! test here, named after the claim.

use std::collections::BTreeSet;

use friends_api::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

const KINGSTON: &str = "E09000021";
const COUNCIL: &str = "https://www.richmond.example";
const ELSEWHERE: &str = "https://elsewhere.example";

/// The fields of a public card, and nothing else (DESIGN §7).
const PUBLIC_CARD_FIELDS: [&str; 6] = ["age_band", "area_name", "availability", "goals", "interests", "listing_id"];

struct Embed {
    app: TestApp,
    admin: String,
}

impl Embed {
    async fn new() -> Self {
        Self::with(|_| {}).await
    }

    async fn with(adjust: impl FnOnce(&mut friends_api::config::Settings)) -> Self {
        let app = spawn_app_with(default_backend(), adjust).await;
        let admin = app.token(Role::Admin, Uuid::new_v4());
        Self { app, admin }
    }

    /// A new key for `authority`, allowing [`COUNCIL`]; returns (id, key).
    async fn key(&self, authority: &str) -> (Uuid, String) {
        let body = json!({"authority": authority, "origins": [COUNCIL], "label": "Council website"});
        let response = self.app.send(Method::POST, "/v1/admin/embed-keys", Some(&self.admin), Some(&body), None).await;
        assert_eq!(response.status(), 201);
        let key = json_body(response).await;
        let id = key["id"].as_str().and_then(|id| Uuid::parse_str(id).ok());
        let (Some(id), Some(text)) = (id, key["key"].as_str()) else { panic!("a key and its id: {key}") };
        (id, text.to_owned())
    }

    /// A member in `outcode` with a public listing (turned on by themselves).
    async fn listed(&self, outcode: &str, interests: &[&str]) -> (Uuid, String) {
        let id = Uuid::new_v4();
        let token = self.app.token(Role::Member, id);
        let mut body = sample_person();
        body["outcode"] = json!(outcode);
        body["interests"] = json!(interests);
        body["public_listing"] = json!(true);
        self.app.create_person(&token, &body).await;
        (id, token)
    }

    async fn search(&self, key: &str, query: &str) -> (u16, Value) {
        let separator = if query.is_empty() { "" } else { "&" };
        let response = self
            .app
            .send(Method::GET, &format!("/v1/public/search?key={key}{separator}{query}"), None, None, None)
            .await;
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn listing_ids(&self, key: &str) -> BTreeSet<String> {
        let (status, body) = self.search(key, "limit=30").await;
        assert_eq!(status, 200, "{body}");
        body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|card| card["listing_id"].as_str())
            .map(str::to_owned)
            .collect()
    }

    async fn patch(&self, id: Uuid, token: &str, patch: Value) -> reqwest::Response {
        let current = self.app.send(Method::GET, &format!("/v1/people/{id}"), Some(token), None, None).await;
        let tag = current.headers().get("etag").and_then(|tag| tag.to_str().ok()).unwrap_or_default().to_owned();
        self.app.send(Method::PATCH, &format!("/v1/people/{id}"), Some(token), Some(&patch), Some(&tag)).await
    }

    async fn enquire(&self, key: &str, body: &Value) -> reqwest::Response {
        self.app.send(Method::POST, &format!("/v1/public/enquiries?key={key}"), None, Some(body), None).await
    }

    async fn queue(&self, authority: &str) -> Vec<Value> {
        let broker = self.app.token_with(Role::Broker, Uuid::new_v4(), Vec::new(), vec![authority]);
        let response = self.app.send(Method::GET, "/v1/broker/queue", Some(&broker), None, None).await;
        assert_eq!(response.status(), 200);
        json_body(response).await["items"].as_array().cloned().unwrap_or_default()
    }
}

fn enquiry(listing_id: &str, message: &str) -> Value {
    json!({
        "listing_id": listing_id,
        "name": "Rowan Resident",
        "contact": {"email": "rowan.resident@example.org"},
        "message": message,
    })
}

#[tokio::test]
async fn an_admin_makes_a_key_that_is_shown_once_and_stored_only_as_a_hash() {
    let embed = Embed::new().await;
    let (id, key) = embed.key(RICHMOND).await;
    assert!(key.starts_with("ffe_") && key.len() == 68, "256 bits in hex: {key}");
    let listed = embed.app.send(Method::GET, "/v1/admin/embed-keys", Some(&embed.admin), None, None).await;
    let listed = json_body(listed).await;
    assert_eq!(listed["items"][0]["id"], json!(id.to_string()));
    assert_eq!(listed["items"][0]["origins"], json!([COUNCIL]));
    assert!(!listed.to_string().contains(&key), "the key is never shown again: {listed}");
    assert!(listed["items"][0].get("key").is_none());
    if embed.app.backend == friends_store::Backend::Sqlite {
        assert!(!contains_bytes(&embed.app.sqlite_file_bytes(), &key), "only the hash is stored");
    }

    // Only admins; bad input changes nothing.
    let broker = embed.app.token_with(Role::Broker, Uuid::new_v4(), Vec::new(), vec![RICHMOND]);
    let body = json!({"authority": RICHMOND, "origins": [COUNCIL], "label": "x"});
    let response = embed.app.send(Method::POST, "/v1/admin/embed-keys", Some(&broker), Some(&body), None).await;
    assert_problem(response, 403, "admin_only").await;
    for bad in [
        json!({"authority": "E99999999", "origins": [COUNCIL], "label": "x"}),
        json!({"authority": RICHMOND, "origins": [], "label": "x"}),
        json!({"authority": RICHMOND, "origins": ["http://council.example"], "label": "x"}),
        json!({"authority": RICHMOND, "origins": ["https://council.example/page"], "label": "x"}),
        json!({"authority": RICHMOND, "origins": [COUNCIL], "label": ""}),
    ] {
        let response = embed.app.send(Method::POST, "/v1/admin/embed-keys", Some(&embed.admin), Some(&bad), None).await;
        assert_eq!(response.status(), 422, "{bad}");
    }
    let body = json!({"authority": RICHMOND, "origins": [COUNCIL], "label": "x", "key": "ffe_chosen"});
    let response = embed.app.send(Method::POST, "/v1/admin/embed-keys", Some(&embed.admin), Some(&body), None).await;
    assert_problem(response, 422, "invalid_body").await;
    let listed =
        json_body(embed.app.send(Method::GET, "/v1/admin/embed-keys", Some(&embed.admin), None, None).await).await;
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn a_revoked_key_stops_at_once_and_a_key_is_no_bearer_token() {
    let embed = Embed::new().await;
    let (id, key) = embed.key(RICHMOND).await;
    embed.listed("TW9", &["football"]).await;
    assert_eq!(embed.search(&key, "").await.0, 200);

    // The key is its own kind of caller: a bearer token counts for nothing
    // on public routes, and the key opens nothing else.
    let admin = embed.admin.clone();
    let response = embed.app.send(Method::GET, "/v1/public/search", Some(&admin), None, None).await;
    assert_eq!(response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()), Some("EmbedKey"));
    assert_problem(response, 401, "embed_key_invalid").await;
    for path in [format!("/v1/search?key={key}"), format!("/v1/people/{}?key={key}", Uuid::new_v4())] {
        let response = embed.app.send(Method::GET, &path, None, None, None).await;
        assert_problem(response, 401, "unauthorized").await;
    }
    let response = embed.app.send(Method::GET, "/v1/broker/queue", None, None, None).await;
    assert_problem(response, 401, "unauthorized").await;
    // A method a public route does not serve is 405, key or none.
    for (method, path) in [
        (Method::DELETE, "/v1/public/search"),
        (Method::TRACE, "/v1/public/search"),
        (Method::POST, "/v1/public/search"),
        (Method::GET, "/v1/public/enquiries"),
    ] {
        let response = embed.app.send(method.clone(), &format!("{path}?key={key}"), None, None, None).await;
        assert_problem(response, 405, "method_not_allowed").await;
    }
    for bad in ["ffe_0", "ffe_", &key.to_uppercase(), &format!("{key}0")] {
        assert_eq!(embed.search(bad, "").await.0, 401, "{bad}");
    }

    let path = format!("/v1/admin/embed-keys/{id}");
    assert_eq!(embed.app.send(Method::DELETE, &path, Some(&embed.admin), None, None).await.status(), 204);
    let (status, body) = embed.search(&key, "").await;
    assert_eq!((status, body["code"].as_str()), (401, Some("embed_key_invalid")), "revoked: {body}");
    let response = embed.enquire(&key, &enquiry(&Uuid::new_v4().to_string(), "Hello")).await;
    assert_problem(response, 401, "embed_key_invalid").await;
    assert_eq!(embed.app.send(Method::DELETE, &path, Some(&embed.admin), None, None).await.status(), 404);
    let listed =
        json_body(embed.app.send(Method::GET, "/v1/admin/embed-keys", Some(&embed.admin), None, None).await).await;
    assert_eq!(listed["items"], json!([]));
}

#[tokio::test]
async fn a_public_card_carries_exactly_the_public_fields_and_no_person_id() {
    let embed = Embed::new().await;
    let (_, key) = embed.key(RICHMOND).await;
    let (ada, _) = embed.listed("TW9", &["football", "cooking"]).await;
    let (status, body) = embed.search(&key, "").await;
    assert_eq!(status, 200, "{body}");
    let card = &body["items"][0];
    let fields: Vec<&str> = card.as_object().map(|card| card.keys().map(String::as_str).collect()).unwrap_or_default();
    assert_eq!(fields, PUBLIC_CARD_FIELDS, "{card}");
    assert_eq!(card["area_name"], json!("Richmond upon Thames"));
    assert_eq!(card["age_band"], json!("25-34"));
    assert_eq!(card["availability"], json!(["mon_evening", "sat_afternoon"]));
    let text = body.to_string();
    for secret in [
        ada.to_string(),
        ada.simple().to_string(),
        CANARY_NAME.into(),
        CANARY_ABOUT.into(),
        CANARY_EMAIL.into(),
        CANARY_NEED.into(),
        "TW9".into(),
        "E09000027".into(),
    ] {
        assert!(!text.contains(&secret), "a public answer never carries {secret}: {text}");
    }
    let answer_fields: Vec<&str> = body.as_object().map(|b| b.keys().map(String::as_str).collect()).unwrap_or_default();
    assert_eq!(answer_fields, ["facets", "items", "next_cursor", "total"]);
}

#[tokio::test]
async fn listing_ids_are_stable_for_one_key_and_unrelated_across_keys() {
    let embed = Embed::new().await;
    let (_, one) = embed.key(RICHMOND).await;
    let (_, two) = embed.key(RICHMOND).await;
    let mut people = BTreeSet::new();
    for _ in 0..3 {
        people.insert(embed.listed("TW9", &["football"]).await.0.to_string());
    }
    let first = embed.listing_ids(&one).await;
    assert_eq!(first.len(), 3);
    assert_eq!(embed.listing_ids(&one).await, first, "stable under one key");
    let other = embed.listing_ids(&two).await;
    assert_eq!(other.len(), 3);
    assert!(first.is_disjoint(&other), "two sites cannot link listings by id");
    assert!(first.is_disjoint(&people) && other.is_disjoint(&people), "never a person id");
}

#[tokio::test]
async fn only_listed_findable_people_of_the_keys_own_authority_appear() {
    let embed = Embed::new().await;
    let (_, key) = embed.key(RICHMOND).await;
    let (_, kingston_key) = embed.key(KINGSTON).await;
    let (listed, listed_token) = embed.listed("TW9", &["football"]).await;
    let (paused, paused_token) = embed.listed("TW9", &["football"]).await;
    let (hidden, hidden_token) = embed.listed("TW9", &["football"]).await;
    let (erased, erased_token) = embed.listed("TW9", &["football"]).await;
    // Lives in KT1 (Kingston's district, which touches Richmond): listed by
    // Kingston only, so two councils' keys cannot narrow down a district.
    embed.listed("KT1", &["football"]).await;
    // Not listed.
    embed.app.member_in("TW9").await;
    assert_eq!(embed.listing_ids(&key).await.len(), 4);

    assert_eq!(embed.patch(paused, &paused_token, json!({"status": "paused"})).await.status(), 200);
    assert_eq!(embed.patch(hidden, &hidden_token, json!({"discoverable": false})).await.status(), 200);
    let erase = embed.app.send(Method::DELETE, &format!("/v1/people/{erased}"), Some(&erased_token), None, None).await;
    assert_eq!(erase.status(), 204);
    // At once: the answer after each write already leaves them out.
    let (_, body) = embed.search(&key, "").await;
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(body["total"], json!("fewer than 5"));
    assert_eq!(embed.listing_ids(&kingston_key).await.len(), 1, "the KT1 listing is Kingston's");

    // Anyone who manages the profile can turn it off.
    let supporter = embed.app.token_with(Role::Supporter, Uuid::new_v4(), vec![listed], Vec::new());
    assert_eq!(embed.patch(listed, &supporter, json!({"public_listing": false})).await.status(), 200);
    assert!(embed.listing_ids(&key).await.is_empty());
    let _ = listed_token;
}

#[tokio::test]
async fn only_the_person_turns_a_public_listing_on() {
    let embed = Embed::new().await;
    let (id, token) = embed.app.member_in("TW9").await;
    let others = [
        embed.app.token_with(Role::Supporter, Uuid::new_v4(), vec![id], Vec::new()),
        embed.app.token_with(Role::Broker, Uuid::new_v4(), Vec::new(), vec![RICHMOND]),
        embed.admin.clone(),
    ];
    for other in &others {
        let response = embed.patch(id, other, json!({"public_listing": true})).await;
        assert_problem(response, 403, "consent_must_be_personal").await;
        // Creating a listed profile for someone else is refused the same way.
        let mut body = sample_person();
        body["public_listing"] = json!(true);
        let response = embed.app.send(Method::POST, "/v1/people", Some(other), Some(&body), None).await;
        assert_problem(response, 403, "consent_must_be_personal").await;
    }
    let (_, key) = embed.key(RICHMOND).await;
    assert!(embed.listing_ids(&key).await.is_empty(), "nothing changed");
    assert_eq!(embed.patch(id, &token, json!({"public_listing": true})).await.status(), 200);
    assert_eq!(embed.listing_ids(&key).await.len(), 1);
}

#[tokio::test]
async fn counts_under_five_read_fewer_than_five() {
    let embed = Embed::new().await;
    let (_, key) = embed.key(RICHMOND).await;
    for _ in 0..4 {
        embed.listed("TW9", &["football"]).await;
    }
    embed.listed("TW10", &["football", "gardening"]).await;
    let (_, body) = embed.search(&key, "").await;
    assert_eq!(body["total"], json!(5));
    assert_eq!(body["facets"]["interests"]["sport_fitness.football"], json!(5));
    assert_eq!(body["facets"]["interests"]["gardening_home.gardening"], json!("fewer than 5"), "{body}");
    assert_eq!(body["facets"]["goals"]["share_pa"], json!(5));
    let (_, body) = embed.search(&key, "interests=gardening").await;
    assert_eq!(body["total"], json!("fewer than 5"));
    assert_eq!(body["facets"]["interests"]["sport_fitness.football"], json!("fewer than 5"));
    let every_count = body["facets"]["interests"].as_object().into_iter().flatten().map(|(_, count)| count);
    for count in every_count.chain(body["facets"]["goals"].as_object().into_iter().flatten().map(|(_, c)| c)) {
        assert!(count == "fewer than 5" || count.as_u64().is_some_and(|n| n >= 5), "{count}");
    }
}

#[tokio::test]
async fn public_answers_depend_on_nothing_a_card_does_not_show() {
    let embed = Embed::new().await;
    let (_, key) = embed.key(RICHMOND).await;
    embed.listed("TW9", &["football"]).await;
    // The about text and needs are never searched, and there is no filter
    // on needs, place, age or anything else a card does not show.
    for query in
        [format!("q={CANARY_ABOUT}"), "q=acquired brain injury".into(), format!("q={CANARY_NAME}"), "q=TW9".into()]
    {
        let (status, body) = embed.search(&key, &query).await;
        assert_eq!((status, body["items"].as_array().map(Vec::len)), (200, Some(0)), "{query}: {body}");
    }
    let (_, body) = embed.search(&key, "q=soccer").await;
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1), "interest words are searched: {body}");
    for query in ["support_needs=acquired_brain_injury", "authority=E08000003", "outcode=TW9", "age_band=25-34"] {
        let (status, body) = embed.search(&key, query).await;
        assert_eq!((status, body["code"].as_str()), (400, Some("invalid_query")), "{query}");
    }
}

#[tokio::test]
async fn public_pages_cover_every_listing_once_with_cursors_bound_to_the_key() {
    let embed = Embed::new().await;
    let (_, key) = embed.key(RICHMOND).await;
    let (_, other) = embed.key(RICHMOND).await;
    for _ in 0..7 {
        embed.listed("TW9", &["football"]).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(cursor) => format!("limit=3&cursor={cursor}"),
            None => "limit=3".into(),
        };
        let (status, body) = embed.search(&key, &query).await;
        assert_eq!(status, 200, "{body}");
        seen.extend(
            body["items"].as_array().into_iter().flatten().filter_map(|c| c["listing_id"].as_str()).map(str::to_owned),
        );
        match body["next_cursor"].as_str() {
            Some(next) => {
                let (status, answer) = embed.search(&other, &format!("cursor={next}")).await;
                assert_eq!((status, answer["code"].as_str()), (400, Some("invalid_cursor")), "another key's cursor");
                cursor = Some(next.to_owned());
            }
            None => break,
        }
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (7, 7), "{seen:?}");
    let (status, _) = embed.search(&key, "cursor=v1.made-up").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn an_enquiry_reaches_the_areas_brokers_only_and_tells_the_resident_nothing() {
    let embed = Embed::new().await;
    let (_, key) = embed.key(RICHMOND).await;
    let (ada, ada_token) = embed.listed("TW9", &["football"]).await;
    let listing = embed.listing_ids(&key).await.into_iter().next().unwrap_or_default();

    let response = embed.enquire(&key, &enquiry(&listing, "Hello, can you send me £50 by bank transfer?")).await;
    assert_eq!(response.status(), 202);
    let answer = json_body(response).await;
    assert_eq!(answer.as_object().map(|a| a.len()), Some(2), "status and next step only: {answer}");
    assert_eq!(answer["status"], json!("received"));
    for secret in [ada.to_string(), CANARY_NAME.to_owned(), "TW9".to_owned(), listing.clone()] {
        assert!(!answer.to_string().contains(&secret));
    }

    let queue = embed.queue(RICHMOND).await;
    let item = queue.iter().find(|item| item["kind"] == "enquiry");
    let Some(item) = item else { panic!("the enquiry is in Richmond's queue: {queue:?}") };
    assert_eq!(item["about"], json!(ada.to_string()));
    assert_eq!(item["name"], json!("Rowan Resident"));
    assert_eq!(item["email"], json!("rowan.resident@example.org"));
    assert!(item["flags"].as_array().is_some_and(|flags| flags.contains(&json!("asks_for_money"))), "{item}");
    assert!(embed.queue(MANCHESTER).await.is_empty(), "not another area's brokers");

    // Never shown to the listed person by the service.
    let export = embed.app.send(Method::GET, &format!("/v1/people/{ada}/export"), Some(&ada_token), None, None).await;
    let export = json_body(export).await.to_string();
    assert!(!export.contains("Rowan") && !export.contains("rowan.resident"), "{export}");
    let own_queue = embed.app.send(Method::GET, "/v1/broker/queue", Some(&ada_token), None, None).await;
    assert_eq!(own_queue.status(), 403);

    // Unknown listings are 404; so is one whose person stopped listing.
    let response = embed.enquire(&key, &enquiry(&Uuid::new_v4().to_string(), "Hello")).await;
    assert_problem(response, 404, "not_found").await;
    let (_, other_key) = embed.key(RICHMOND).await;
    assert_problem(embed.enquire(&other_key, &enquiry(&listing, "Hello")).await, 404, "not_found").await;
    assert_eq!(embed.patch(ada, &ada_token, json!({"public_listing": false})).await.status(), 200);
    assert_problem(embed.enquire(&key, &enquiry(&listing, "Hello")).await, 404, "not_found").await;

    // Bad input gets a clear error and changes nothing.
    let (_, key2) = embed.key(RICHMOND).await;
    let (_, _) = embed.listed("TW9", &["football"]).await;
    let listing = embed.listing_ids(&key2).await.into_iter().next().unwrap_or_default();
    for (bad, field) in [
        (json!({"listing_id": listing, "name": "", "contact": {"email": "a@example.org"}, "message": "Hi"}), "name"),
        (json!({"listing_id": listing, "name": "Rowan", "contact": {}, "message": "Hi"}), "contact"),
        (
            json!({"listing_id": listing, "name": "Rowan", "contact": {"email": "not an email"}, "message": "Hi"}),
            "contact.email",
        ),
        (json!({"listing_id": listing, "name": "Rowan", "contact": {"phone": "12"}, "message": "Hi"}), "contact.phone"),
        (
            json!({"listing_id": listing, "name": "Rowan", "contact": {"email": "a@example.org"}, "message": ""}),
            "message",
        ),
    ] {
        let problem = assert_problem(embed.enquire(&key2, &bad).await, 422, "validation_failed").await;
        assert_eq!(problem["errors"][0]["field"], json!(field), "{problem}");
    }
    let queue = embed.queue(RICHMOND).await;
    assert_eq!(queue.iter().filter(|item| item["kind"] == "enquiry").count(), 1, "only the first one");
}

#[tokio::test]
async fn an_enquirers_details_go_when_resolved_and_after_ninety_days() {
    let embed = Embed::new().await;
    let (_, key) = embed.key(RICHMOND).await;
    embed.listed("TW9", &["football"]).await;
    let listing = embed.listing_ids(&key).await.into_iter().next().unwrap_or_default();
    for _ in 0..2 {
        assert_eq!(embed.enquire(&key, &enquiry(&listing, "I would like to meet them.")).await.status(), 202);
    }
    let queue = embed.queue(RICHMOND).await;
    let ids: Vec<String> = queue.iter().filter_map(|item| item["id"].as_str()).map(str::to_owned).collect();
    assert_eq!(ids.len(), 2);

    let elsewhere = embed.app.token_with(Role::Broker, Uuid::new_v4(), Vec::new(), vec![MANCHESTER]);
    let path = format!("/v1/enquiries/{}/resolve", ids[0]);
    assert_problem(embed.app.send(Method::POST, &path, Some(&elsewhere), None, None).await, 404, "not_found").await;
    let broker = embed.app.token_with(Role::Broker, Uuid::new_v4(), Vec::new(), vec![RICHMOND]);
    let resolved = embed.app.send(Method::POST, &path, Some(&broker), None, None).await;
    assert_eq!(resolved.status(), 200);
    let resolved = json_body(resolved).await;
    assert_eq!(resolved["status"], json!("resolved"));
    for field in ["name", "email", "phone", "message"] {
        assert_eq!(resolved[field], Value::Null, "{field} cleared: {resolved}");
    }
    assert_problem(embed.app.send(Method::POST, &path, Some(&broker), None, None).await, 409, "invalid_transition")
        .await;
    assert_eq!(embed.queue(RICHMOND).await.len(), 1);

    // The other one lapses after 90 days, unresolved.
    embed.app.handle.clock().advance(chrono::Duration::days(89));
    assert_eq!(embed.app.handle.lapse_enquiries().await.ok(), Some(0));
    embed.app.handle.clock().advance(chrono::Duration::days(2));
    assert_eq!(embed.app.handle.lapse_enquiries().await.ok(), Some(1));
    assert!(embed.queue(RICHMOND).await.is_empty());
    if embed.app.backend == friends_store::Backend::Sqlite {
        assert!(!contains_bytes(&embed.app.sqlite_file_bytes(), "rowan.resident@example.org"), "gone from the files");
    }
}

#[tokio::test]
async fn erasing_a_listed_person_deletes_the_enquiries_about_them() {
    let embed = Embed::new().await;
    let (_, key) = embed.key(RICHMOND).await;
    let (ada, token) = embed.listed("TW9", &["football"]).await;
    let listing = embed.listing_ids(&key).await.into_iter().next().unwrap_or_default();
    assert_eq!(embed.enquire(&key, &enquiry(&listing, "Hello")).await.status(), 202);
    assert_eq!(
        embed.app.send(Method::DELETE, &format!("/v1/people/{ada}"), Some(&token), None, None).await.status(),
        204
    );
    assert!(embed.queue(RICHMOND).await.is_empty());
}

async fn with_origin(app: &TestApp, method: Method, path: &str, origin: &str) -> reqwest::Response {
    let mut request = app.client.request(method.clone(), app.url(path)).header("origin", origin);
    if method == Method::OPTIONS {
        request = request
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type");
    }
    match request.send().await {
        Ok(response) => response,
        Err(error) => panic!("request failed: {error}"),
    }
}

#[tokio::test]
async fn cors_answers_the_keys_origins_only_preflight_included() {
    let embed = Embed::new().await;
    let (_, key) = embed.key(RICHMOND).await;
    let search = format!("/v1/public/search?key={key}");
    let enquiries = format!("/v1/public/enquiries?key={key}");
    let allow = |response: &reqwest::Response| {
        response.headers().get("access-control-allow-origin").and_then(|value| value.to_str().ok()).map(str::to_owned)
    };

    let response = with_origin(&embed.app, Method::GET, &search, COUNCIL).await;
    assert_eq!((response.status().as_u16(), allow(&response).as_deref()), (200, Some(COUNCIL)));
    assert!(response.headers().get("access-control-allow-credentials").is_none());
    let vary = response.headers().get_all("vary").iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",");
    assert!(vary.to_ascii_lowercase().contains("origin"), "{vary}");
    let preflight = with_origin(&embed.app, Method::OPTIONS, &enquiries, COUNCIL).await;
    assert_eq!(preflight.status(), 204);
    assert_eq!(allow(&preflight).as_deref(), Some(COUNCIL));
    let methods =
        preflight.headers().get("access-control-allow-methods").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(methods.contains("POST"), "{methods}");

    for origin in [ELSEWHERE, "https://www.richmond.example.evil.example", "null", "http://www.richmond.example"] {
        let response = with_origin(&embed.app, Method::GET, &search, origin).await;
        assert_eq!((response.status().as_u16(), allow(&response)), (200, None), "{origin}");
        let preflight = with_origin(&embed.app, Method::OPTIONS, &enquiries, origin).await;
        assert_eq!(allow(&preflight), None, "{origin}");
        assert!(preflight.headers().get("access-control-allow-methods").is_none(), "{origin}");
    }
    // Private routes answer no CORS at all.
    let response = with_origin(&embed.app, Method::GET, "/v1/taxonomy", COUNCIL).await;
    assert_eq!(allow(&response), None);
}

#[tokio::test]
async fn over_the_rate_limit_is_429_with_retry_after_per_key() {
    let embed = Embed::with(|settings| {
        settings.public.rate_per_minute = 3;
        settings.public.enquiries_per_hour = 1;
    })
    .await;
    let (_, key) = embed.key(RICHMOND).await;
    let (_, other) = embed.key(RICHMOND).await;
    for _ in 0..3 {
        assert_eq!(embed.search(&key, "").await.0, 200);
    }
    let response = embed.app.send(Method::GET, &format!("/v1/public/search?key={key}"), None, None, None).await;
    let retry = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<u64>().ok());
    assert!(retry.is_some_and(|seconds| (1..=60).contains(&seconds)), "{retry:?}");
    assert_problem(response, 429, "rate_limited").await;
    assert_eq!(embed.search(&other, "").await.0, 200, "limits are per key");

    // Enquiries have a stricter limit of their own.
    embed.listed("TW9", &["football"]).await;
    let (_, third) = embed.key(RICHMOND).await;
    let listing = embed.listing_ids(&third).await.into_iter().next().unwrap_or_default();
    assert_eq!(embed.enquire(&third, &enquiry(&listing, "Hello")).await.status(), 202);
    let response = embed.enquire(&third, &enquiry(&listing, "Hello again")).await;
    assert!(response.headers().get("retry-after").is_some());
    assert_problem(response, 429, "rate_limited").await;
}
