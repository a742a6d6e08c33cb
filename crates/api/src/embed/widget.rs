//! `GET /embed/widget.js` (the `<friends-search>` custom element, with the
//! vocabularies' labels built in, so that it makes no request but the
//! searches) and `GET /embed/demo?key=` (a demo council page that embeds it
//! as a council site would, under a strict Content-Security-Policy).

use std::sync::OnceLock;

use actix_web::HttpResponse;
use actix_web::http::header;
use friends_domain::taxonomy::VocabularyKind;
use serde_json::{Map, Value};

use crate::reference::Reference;

const WIDGET: &str = include_str!("../../embed/widget.js");
const LABELS_MARK: &str = "/*LABELS*/ { interests: {}, goals: {}, availability: {} }";

/// The policy of the demo page: nothing but this service's own script and
/// its searches; no inline script or style, no frames, no forms posted.
pub const DEMO_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self'; \
                            base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `?key=` of the demo page.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoParams {
    /// An embed key.
    pub key: Option<String>,
}

fn labels(reference: &Reference) -> Value {
    let mut labels = Map::new();
    for (name, kind) in [
        ("interests", VocabularyKind::Interests),
        ("goals", VocabularyKind::Goals),
        ("availability", VocabularyKind::Availability),
    ] {
        let terms: Map<String, Value> = reference
            .taxonomy
            .vocabulary(kind)
            .terms()
            .iter()
            .map(|term| (term.id.clone(), Value::String(term.label.clone())))
            .collect();
        labels.insert(name.to_owned(), Value::Object(terms));
    }
    Value::Object(labels)
}

/// The script, with the labels in (built once: the reference data is fixed
/// for the life of the process).
pub fn script(reference: &Reference) -> HttpResponse {
    static SCRIPT: OnceLock<String> = OnceLock::new();
    let script = SCRIPT.get_or_init(|| {
        // JSON is a JavaScript expression; `<` is escaped so that no label
        // could ever close a script element.
        let labels = labels(reference).to_string().replace('<', "\\u003c");
        WIDGET.replacen(LABELS_MARK, &labels, 1)
    });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/javascript; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header(("cross-origin-resource-policy", "cross-origin"))
        .body(script.clone())
}

/// The demo council page.
pub fn demo_page(params: &DemoParams) -> HttpResponse {
    // Only text shaped like a key is put in the page (it needs no escaping:
    // `ffe_` and hex digits).
    let key = params.key.as_deref().filter(|key| super::key_hash_of(key).is_some());
    let body = match key {
        Some(key) => format!(
            "<friends-search key=\"{key}\"></friends-search>\n    <script src=\"/embed/widget.js\" defer></script>"
        ),
        None => "<p>This demo needs an embed key. Add <code>?key=</code> and a key an admin made with \
                 <code>POST /v1/admin/embed-keys</code>.</p>"
            .to_owned(),
    };
    let page = format!(
        "<!doctype html>
<html lang=\"en-GB\">
<head>
  <meta charset=\"utf-8\">
  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">
  <title>Meet people to share support - Anytown Council (demo)</title>
</head>
<body>
  <header>
    <p><a href=\"#main\">Skip to main content</a></p>
    <p>Anytown Council (a demo page)</p>
  </header>
  <main id=\"main\">
    <h1>Meet people to share support</h1>
    <p>Some people pool their personal budget with others. They share a personal assistant, a club or trips.</p>
    <p>Here you can see people near you who want to do this.</p>
    {body}
  </main>
  <footer>
    <p>Finding Friends. {attribution}</p>
  </footer>
</body>
</html>
",
        attribution = crate::reference::AREAS_ATTRIBUTION,
    );
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, DEMO_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(page)
}
