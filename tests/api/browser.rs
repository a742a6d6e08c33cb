//! The council embed in a real browser (issue 11): Debian's Chromium, driven
//! over WebDriver, on a council page of another origin under a strict
//! Content-Security-Policy, checked by axe-core for WCAG 2.0, 2.1 and 2.2 A
//! and AA, and used with the keyboard alone, as a resident would: search,
//! open a card, send an enquiry, see the confirmation. Screenshots of each
//! step land in `target/tmp/browser/` for a person to look at.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

use actix_web::{App, HttpResponse, HttpServer, web};
use friends_api::auth::Role;
use futures_util::FutureExt as _;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;
use crate::webdriver::{Driver, ENTER, Session, TAB, Tools};

/// The axe-core rule tags of WCAG 2.0, 2.1 and 2.2, levels A and AA.
const WCAG_AA: [&str; 6] = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"];

/// The element that has the keyboard focus, looked for through shadow roots.
const FOCUSED: &str = r#"
    let a = document.activeElement;
    while (a && a.shadowRoot && a.shadowRoot.activeElement) a = a.shadowRoot.activeElement;
    if (!a) return null;
    const label = a.labels && a.labels.length ? a.labels[0].textContent.trim() : null;
    return { tag: a.tagName.toLowerCase(), text: (a.textContent || "").trim().slice(0, 200), label: label };
"#;

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser")
}

/// A council's own page, on its own origin, embedding the widget as the
/// README tells councils to, under the strictest policy that allows it:
/// `/pooling?key=` (only hex and `ffe_` are put in the page). Returns the
/// site's origin.
async fn council_site(api: String) -> String {
    let policy = format!(
        "default-src 'none'; script-src {api}; connect-src {api}; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    let server = HttpServer::new(move || {
        let api = api.clone();
        let policy = policy.clone();
        App::new().route(
            "/pooling",
            web::get().to(move |query: web::Query<std::collections::HashMap<String, String>>| {
                let key: String = query
                    .get("key")
                    .map(|key| key.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').collect())
                    .unwrap_or_default();
                let page = format!(
                    "<!doctype html>
<html lang=\"en-GB\">
<head>
  <meta charset=\"utf-8\">
  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
  <title>Pooling your budget - Richmond Council</title>
</head>
<body>
  <main>
    <h1>Pooling your budget</h1>
    <p>You can share a personal assistant, a club or trips with other people.</p>
    <friends-search key=\"{key}\"></friends-search>
  </main>
  <script src=\"{api}/embed/widget.js\" defer></script>
</body>
</html>"
                );
                let policy = policy.clone();
                async move {
                    HttpResponse::Ok()
                        .insert_header(("content-type", "text/html; charset=utf-8"))
                        .insert_header(("content-security-policy", policy))
                        .body(page)
                }
            }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", 0));
    let server = match server {
        Ok(server) => server,
        Err(error) => panic!("the council site must bind: {error}"),
    };
    let port = server.addrs().first().map(|address| address.port()).unwrap_or_default();
    tokio::spawn(server.run());
    format!("http://127.0.0.1:{port}")
}

/// A browser window with axe-core at hand.
#[derive(Clone)]
struct Page {
    session: Session,
    axe: std::sync::Arc<str>,
}

impl std::ops::Deref for Page {
    type Target = Session;

    fn deref(&self) -> &Session {
        &self.session
    }
}

/// Runs `flow` in a fresh browser, which is closed however the flow ends;
/// false when the browser tools are missing (the test then says SKIPPED).
async fn in_browser<F, Fut>(test: &str, width: u32, height: u32, flow: F) -> bool
where
    F: FnOnce(Page) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(tools) = Tools::find(test) else { return false };
    let driver = Driver::start(&tools).await;
    let page = Page { session: driver.session(width, height).await, axe: tools.axe.into() };
    let outcome = AssertUnwindSafe(flow(page.clone())).catch_unwind().await;
    page.quit().await;
    drop(driver);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    true
}

/// axe-core's WCAG A and AA violations on the page as it is now (the
/// widget's shadow DOM included); on a widget page (`fields`), asserts that
/// axe did look inside it.
async fn axe_violations(page: &Page, fields: bool) -> Vec<Value> {
    page.run(&format!("{}\nreturn true;", page.axe), json!([])).await;
    let result = page
        .run_async(
            r#"
            const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: "tag", values: arguments[0] } })
              .then((result) => done({
                violations: result.violations.map((v) => ({
                  id: v.id, impact: v.impact, help: v.help,
                  nodes: v.nodes.map((n) => JSON.stringify(n.target) + ": " + n.failureSummary),
                })),
                labelled: (result.passes.find((p) => p.id === "label") || { nodes: [] }).nodes.length,
              }))
              .catch((error) => done({ error: String(error) }));
            "#,
            json!([WCAG_AA]),
        )
        .await;
    assert!(result.get("error").is_none(), "axe failed: {result}");
    assert!(
        !fields || result["labelled"].as_u64().is_some_and(|labelled| labelled > 0),
        "axe must reach the form fields inside the widget's shadow root: {result}"
    );
    result["violations"].as_array().cloned().unwrap_or_default()
}

async fn assert_accessible(page: &Page, moment: &str) {
    let violations = axe_violations(page, true).await;
    assert!(violations.is_empty(), "WCAG 2.2 AA violations {moment}: {}", json!(violations));
}

/// Presses Tab until the focused element satisfies `wanted`; returns it.
async fn tab_to(session: &Session, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..40 {
        session.press(&[TAB]).await;
        let focused = session.run(FOCUSED, json!([])).await;
        if wanted(&focused) {
            return focused;
        }
    }
    panic!("Tab never reached {what}");
}

/// Presses Shift+Tab until the focused element satisfies `wanted`.
async fn shift_tab_to(session: &Session, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..40 {
        session.shift_tab().await;
        let focused = session.run(FOCUSED, json!([])).await;
        if wanted(&focused) {
            return focused;
        }
    }
    panic!("Shift+Tab never reached {what}");
}

fn labelled(label: &'static str) -> impl Fn(&Value) -> bool {
    move |focused| focused["label"].as_str().is_some_and(|text| text.starts_with(label))
}

fn button(text: &'static str) -> impl Fn(&Value) -> bool {
    move |focused| focused["tag"] == json!("button") && focused["text"] == json!(text)
}

/// The console's errors, but for the browser's own ask for `/favicon.ico`
/// (which every origin gets, whatever the page says).
async fn console_errors(page: &Page) -> Vec<Value> {
    let console = page.console().await;
    console
        .into_iter()
        .filter(|entry| entry["level"] == json!("SEVERE"))
        .filter(|entry| {
            !(entry["source"] == json!("network")
                && entry["message"].as_str().is_some_and(|message| message.contains("/favicon.ico ")))
        })
        .collect()
}

/// Every address the page loaded, the page included.
async fn addresses(session: &Session) -> Vec<String> {
    let found = session
        .run(
            "return [location.href].concat(performance.getEntriesByType('resource').map((entry) => entry.name));",
            json!([]),
        )
        .await;
    found.as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned).collect()
}

async fn list(app: &TestApp, outcode: &str, interests: &[&str]) {
    let id = Uuid::new_v4();
    let token = app.token(Role::Member, id);
    let mut body = sample_person();
    body["outcode"] = json!(outcode);
    body["interests"] = json!(interests);
    body["public_listing"] = json!(true);
    app.create_person(&token, &body).await;
}

async fn embed_key(app: &TestApp, origins: &[&str]) -> String {
    let admin = app.token(Role::Admin, Uuid::new_v4());
    let body = json!({"authority": RICHMOND, "origins": origins, "label": "Council website"});
    let response = app.send(Method::POST, "/v1/admin/embed-keys", Some(&admin), Some(&body), None).await;
    assert_eq!(response.status(), 201);
    let key = json_body(response).await;
    let Some(key) = key["key"].as_str() else { panic!("a key: {key}") };
    key.to_owned()
}

/// Waits until the widget's status line reads `text`.
async fn status_is(session: &Session, text: &str) {
    let script = "const widget = document.querySelector('friends-search');
         const status = widget && widget.shadowRoot && widget.shadowRoot.querySelector('[role=status]');
         return !!status && status.textContent === arguments[0];";
    session.wait_for(&format!("the status to read {text:?}"), script, json!([text])).await;
}

/// Searches for `word` with the keyboard alone: Tab to the search box,
/// type, Enter; then waits for the status line to read `found`.
async fn keyboard_search(session: &Session, word: &str, found: &str) {
    tab_to(session, "the search box", labelled("What do you like doing?")).await;
    session.type_text(word).await;
    session.press(&[ENTER]).await;
    status_is(session, found).await;
}

/// The enquiries in Richmond's brokers' queue.
async fn enquiries_in_queue(app: &TestApp) -> Vec<Value> {
    let broker = app.token_with(Role::Broker, Uuid::new_v4(), Vec::new(), vec![RICHMOND]);
    let queue = json_body(app.send(Method::GET, "/v1/broker/queue", Some(&broker), None, None).await).await;
    queue["items"].as_array().into_iter().flatten().filter(|item| item["kind"] == json!("enquiry")).cloned().collect()
}

#[tokio::test]
async fn a_resident_searches_and_asks_about_a_person_with_the_keyboard_alone_on_a_council_page() {
    let app = spawn_app().await;
    for _ in 0..6 {
        list(&app, "TW9", &["football", "cooking"]).await;
    }
    for _ in 0..2 {
        list(&app, "TW10", &["gardening"]).await;
    }
    let site = council_site(app.address.clone()).await;
    let key = embed_key(&app, &[&site]).await;
    let api = app.address.clone();
    let folder = shots();
    let app = &app;
    let ran = in_browser("embed keyboard journey", 1280, 2400, |page| async move {
        page.goto(&format!("{site}/pooling?key={key}")).await;
        // The widget searches once as it starts: everyone listed.
        status_is(&page, "We found 8 people.").await;
        page.screenshot(&folder.join("1-start.png")).await;
        assert_accessible(&page, "before a search").await;

        // Keyboard alone: Tab to the search box, type, press Enter.
        keyboard_search(&page, "football", "We found 6 people.").await;
        page.screenshot(&folder.join("2-results.png")).await;
        assert_accessible(&page, "after a search").await;

        // Open the first card's enquiry: it opens under that card, and the
        // focus moves to its heading.
        tab_to(&page, "a card's button", button("Ask the council about this person")).await;
        page.press(&[ENTER]).await;
        let focused = page.run(FOCUSED, json!([])).await;
        assert_eq!(focused["tag"], json!("h4"), "the form's heading takes the focus: {focused}");
        let under_its_card = page
            .run(
                "const root = document.querySelector('friends-search').shadowRoot;
                 const form = root.querySelector('section.ask');
                 const first = root.querySelector('ul.cards > li');
                 return !!form && form.parentElement === first;",
                json!([]),
            )
            .await;
        assert_eq!(under_its_card, json!(true), "the form opens inside the card it is about");
        assert!(
            focused["text"].as_str().is_some_and(|text| text.starts_with("Ask the council about this person (aged")),
            "{focused}"
        );
        assert_accessible(&page, "with the enquiry form open").await;

        // Send without a way to be contacted: the problem is said, and nothing is sent.
        tab_to(&page, "the name box", labelled("Your name")).await;
        page.type_text("Rowan Resident").await;
        tab_to(&page, "the message box", labelled("Your message")).await;
        page.type_text("I would like to meet them.").await;
        tab_to(&page, "the send button", button("Send to the council")).await;
        page.press(&[ENTER]).await;
        page
            .wait_for(
                "the problem to be said",
                "const root = document.querySelector('friends-search').shadowRoot;
                 const alert = root.querySelector('[role=alert]');
                 return !!alert && !alert.hidden && alert.textContent.includes('Enter an email address or a phone number.');",
                json!([]),
            )
            .await;
        assert!(enquiries_in_queue(app).await.is_empty(), "nothing is sent while there is a problem");
        // The problem takes the focus (an error summary), so it is read
        // first and the fields follow it.
        let focused = page.run(FOCUSED, json!([])).await;
        assert!(
            focused["text"].as_str().is_some_and(|text| text.starts_with("There is a problem")),
            "the problem takes the focus: {focused}"
        );
        page.screenshot(&folder.join("3-problem.png")).await;
        assert_accessible(&page, "with the problem shown").await;

        // Add an email address (the next fields after the problem), check
        // the name going back by Shift+Tab, and send.
        tab_to(&page, "the email box", labelled("Your email address")).await;
        page.type_text("rowan.resident@example.org").await;
        shift_tab_to(&page, "the name box", labelled("Your name")).await;
        tab_to(&page, "the send button", button("Send to the council")).await;
        page.press(&[ENTER]).await;
        let confirmed = format!(
            "const focused = (() => {{ {FOCUSED} }})();
             return !!focused && focused.tag === 'h4' && focused.text === 'Your message was sent';"
        );
        page.wait_for("the confirmation to take the focus", &confirmed, json!([])).await;
        page.screenshot(&folder.join("4-sent.png")).await;
        assert_accessible(&page, "after sending").await;

        // Nothing but the council's page and this service was asked for.
        for address in addresses(&page).await {
            assert!(
                address.starts_with(&format!("{site}/")) || address.starts_with(&format!("{api}/")),
                "a request to another host: {address}"
            );
        }
        // The widget ran under the council's policy without a complaint.
        let errors = console_errors(&page).await;
        assert!(errors.is_empty(), "console errors: {}", json!(errors));

        // A phone-sized window: everything reflows, nothing is cut off.
        page.resize(390, 1800).await;
        page.screenshot(&folder.join("5-phone.png")).await;
    })
    .await;
    if !ran {
        return;
    }

    // The council's brokers have it, and only once.
    let enquiries = enquiries_in_queue(app).await;
    assert_eq!(enquiries.len(), 1, "{}", json!(enquiries));
    assert_eq!(enquiries[0]["email"], json!("rowan.resident@example.org"));
    assert_eq!(enquiries[0]["message"], json!("I would like to meet them."));
}

#[tokio::test]
async fn the_demo_page_of_make_run_passes_axe_before_and_after_a_keyboard_search() {
    let app = spawn_app().await;
    for _ in 0..3 {
        list(&app, "TW9", &["football"]).await;
    }
    for _ in 0..2 {
        list(&app, "TW10", &["gardening"]).await;
    }
    let key = embed_key(&app, &[&app.address]).await;
    let demo = app.url(&format!("/embed/demo?key={key}"));
    let folder = shots();
    in_browser("embed demo page", 1280, 1600, |page| async move {
        page.goto(&demo).await;
        status_is(&page, "We found 5 people.").await;
        assert_accessible(&page, "on the demo page before a search").await;
        // Under 5 is never a number.
        keyboard_search(&page, "football", "We found fewer than 5 people.").await;
        page.screenshot(&folder.join("demo.png")).await;
        assert_accessible(&page, "on the demo page after a search").await;
        let errors = console_errors(&page).await;
        assert!(errors.is_empty(), "console errors: {}", json!(errors));
    })
    .await;
}

/// A signed-in page of the API (`Accept: text/html`, a bearer token), as a
/// browser would get it through a council's single sign-on: served on its
/// own origin with the API's own Content-Security-Policy. Returns the
/// origin; `/x/...` serves the API's `/...`.
async fn signed_in_pages(api: String, token: String) -> String {
    let server = HttpServer::new(move || {
        let (api, token) = (api.clone(), token.clone());
        App::new().default_service(web::to(move |request: actix_web::HttpRequest| {
            let (api, token) = (api.clone(), token.clone());
            async move {
                let path = request.uri().path_and_query().map(|path| path.as_str().to_owned()).unwrap_or_default();
                let answer = reqwest::Client::new()
                    .get(format!("{api}{}", path.trim_start_matches("/x")))
                    .bearer_auth(&token)
                    .header("accept", "text/html")
                    .send()
                    .await;
                let Ok(answer) = answer else { return HttpResponse::BadGateway().finish() };
                let policy = answer.headers().get("content-security-policy").cloned();
                let body = answer.text().await.unwrap_or_default();
                let mut response = HttpResponse::Ok();
                response.insert_header(("content-type", "text/html; charset=utf-8"));
                if let Some(policy) = policy.and_then(|policy| policy.to_str().map(str::to_owned).ok()) {
                    response.insert_header(("content-security-policy", policy));
                }
                response.body(body)
            }
        }))
    })
    .workers(1)
    .bind(("127.0.0.1", 0));
    let server = match server {
        Ok(server) => server,
        Err(error) => panic!("the page server must bind: {error}"),
    };
    let port = server.addrs().first().map(|address| address.port()).unwrap_or_default();
    tokio::spawn(server.run());
    format!("http://127.0.0.1:{port}")
}

/// Tabs through the whole page; every stop is a link or a summary, and the
/// keyboard reaches the last one.
async fn tab_through(page: &Page) -> usize {
    let stops: u64 = page
        .run("return document.querySelectorAll('a[href], summary, button, input').length;", json!([]))
        .await
        .as_u64()
        .unwrap_or(0);
    for _ in 0..stops {
        page.press(&[TAB]).await;
        let focused = page.run(FOCUSED, json!([])).await;
        assert!(
            matches!(focused["tag"].as_str(), Some("a" | "summary" | "button" | "input")),
            "focus went to {focused}"
        );
    }
    usize::try_from(stops).unwrap_or(0)
}

#[tokio::test]
async fn the_printed_agreement_and_the_brokers_insights_pass_axe_and_work_with_the_keyboard() {
    let app = std::sync::Arc::new(spawn_app().await);
    let world = crate::introductions::world_on(app.clone()).await;
    let id = world.request("Hello").await;
    world.approve(id).await;
    world.act(id, "consent", &world.bea_token, json!({"decision": "accept"})).await;
    let body = crate::aftercare::complete_agreement(&[world.ada, world.bea]);
    let response = app
        .send(
            Method::PATCH,
            &format!("/v1/introductions/{id}/agreement"),
            Some(&world.ada_token),
            Some(&body),
            Some("\"0\""),
        )
        .await;
    assert_eq!(response.status(), 200, "an agreement to print");
    for (token, person) in [(&world.ada_token, world.ada), (&world.bea_token, world.bea)] {
        let path = format!("/v1/introductions/{id}/agreement/confirm");
        let (status, _) =
            crate::introductions::call(&app, Method::POST, &path, token, Some(json!({"version": 1}))).await;
        assert_eq!(status, 200, "{person} confirms");
    }
    for _ in 0..6 {
        list(&app, "TW9", &["football"]).await;
    }
    // Without one elsewhere, TW9's count would say every other district is
    // empty, so it would be withheld.
    list(&app, "TW1", &["football"]).await;
    let pages = signed_in_pages(app.address.clone(), world.broker.clone()).await;
    let agreement = format!("{pages}/x/v1/introductions/{id}/agreement");
    let insights = format!("{pages}/x/v1/broker/insights?authority={RICHMOND}");
    let folder = shots();
    in_browser("agreement and insights pages", 1280, 1800, |page| async move {
        for (url, name, heading) in [
            (&agreement, "agreement", "Our pooling agreement"),
            (&insights, "insights", "How it is going in your area"),
        ] {
            page.goto(url).await;
            let h1 = page.run("return document.querySelector('h1').textContent;", json!([])).await;
            assert_eq!(h1.as_str(), Some(heading));
            let violations = axe_violations(&page, false).await;
            assert!(violations.is_empty(), "WCAG 2.2 AA violations on the {name} page: {}", json!(violations));
            page.screenshot(&folder.join(format!("{name}.png"))).await;
            tab_through(&page).await;
            page.resize(390, 844).await;
            let violations = axe_violations(&page, false).await;
            assert!(violations.is_empty(), "on a phone, the {name} page: {}", json!(violations));
            page.screenshot(&folder.join(format!("{name}-phone.png"))).await;
            page.resize(1280, 1800).await;
            let errors = console_errors(&page).await;
            assert!(errors.is_empty(), "console errors on the {name} page: {}", json!(errors));
        }
        page.goto(&insights).await;
        let drawn = page.run("return document.querySelectorAll('svg circle').length;", json!([])).await;
        assert_eq!(drawn.as_u64(), Some(1), "TW9's dot, and none for districts under 5");
    })
    .await;
}
