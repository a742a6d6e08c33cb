//! Server-rendered pages (the printable agreement, the brokers' insights):
//! one layout, built with `maud` so that every piece of text people wrote is
//! escaped; no script; large type, plain short sentences, print styles.

use actix_web::HttpResponse;
use actix_web::http::header;
use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The pages' policy: nothing loads, nothing runs; only their own styles.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; \
     frame-ancestors 'none'";

const STYLE: &str = "
body { font-family: Arial, Helvetica, sans-serif; font-size: 1.25rem; line-height: 1.6; color: #1a1a1a;
       background: #ffffff; max-width: 46rem; margin: 0 auto; padding: 1rem; }
h1 { font-size: 2rem; line-height: 1.25; }
h2 { font-size: 1.5rem; margin-top: 2rem; border-top: 2px solid #1a1a1a; padding-top: 1rem; }
a { color: #0b0c6e; }
a:focus { outline: 3px solid #ffbf47; outline-offset: 2px; }
.status { font-weight: bold; padding: 0.75rem; border: 3px solid #1a1a1a; }
.empty { font-style: italic; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.5rem; border-bottom: 1px solid #555555; }
svg text { font-family: Arial, Helvetica, sans-serif; }
@media print {
  body { font-size: 14pt; max-width: none; }
  a[href]::after { content: ''; }
  h2 { break-after: avoid; }
  section, li, figure { break-inside: avoid; }
  .no-print { display: none; }
}
";

/// A whole page: `title` (also the one `h1`) and `body`.
pub fn page(title: &str, body: Markup) -> HttpResponse {
    let markup = html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " - Finding Friends" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CONTENT_SECURITY_POLICY, PAGE_CSP))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::VARY, "Accept"))
        .body(markup.into_string())
}

/// Whether the caller asked for a page rather than JSON: `text/html` is in
/// `Accept` and JSON is not preferred before it.
pub fn wants_html(request: &actix_web::HttpRequest) -> bool {
    let Some(accept) = request.headers().get(header::ACCEPT).and_then(|value| value.to_str().ok()) else {
        return false;
    };
    let position = |kind: &str| accept.find(kind);
    match (position("text/html"), position("application/json")) {
        (Some(html), Some(json)) => html < json,
        (Some(_), None) => true,
        _ => false,
    }
}

/// A date as people write it: "3 December 2026".
pub fn date_in_words(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%-d %B %Y").to_string()
}
