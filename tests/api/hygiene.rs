//! HTTP hygiene: problem+json for every malformed input, request ids,
//! caching, limits, panics.

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use friends_api::auth::Role;
use friends_api::errors::problem_for_bare_errors;
use friends_api::telemetry::{catch_panics, request_context};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::helpers::*;

#[tokio::test]
async fn actix_errors_are_problem_json_with_stable_codes() {
    let app = spawn_app().await;
    let (id, token) = app.member_in("TW9").await;

    assert_problem(app.send(Method::GET, "/v1/nothing-here", None, None, None).await, 404, "not_found").await;
    let wrong_method = app.send(Method::PUT, "/v1/people", Some(&token), None, None).await;
    assert_eq!(wrong_method.headers().get("allow").and_then(|v| v.to_str().ok()), Some("POST"));
    assert_problem(wrong_method, 405, "method_not_allowed").await;
    assert_problem(app.send(Method::GET, "/v1/people/not-a-uuid", Some(&token), None, None).await, 400, "invalid_path")
        .await;

    let malformed = app
        .client
        .post(app.url("/v1/people"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"display_name\": ")
        .send()
        .await;
    let Ok(malformed) = malformed else { panic!("request failed") };
    assert_problem(malformed, 400, "malformed_json").await;

    let not_json = app
        .client
        .post(app.url("/v1/people"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("display_name=Sam")
        .send()
        .await;
    let Ok(not_json) = not_json else { panic!("request failed") };
    assert_problem(not_json, 415, "unsupported_media_type").await;

    let mut wrong_types = sample_person();
    wrong_types["birth_year"] = json!(CANARY_NAME);
    let problem = assert_problem(
        app.send(Method::POST, "/v1/people", Some(&app.token(Role::Member, Uuid::new_v4())), Some(&wrong_types), None)
            .await,
        422,
        "invalid_body",
    )
    .await;
    assert!(!problem.to_string().contains(CANARY_NAME), "values are not echoed: {problem}");

    let merge_patch = app
        .client
        .patch(app.url(&format!("/v1/people/{id}")))
        .bearer_auth(&token)
        .header("content-type", "application/merge-patch+json")
        .header("if-match", "\"1\"")
        .body("{\"about\": \"via merge-patch\"}")
        .send()
        .await;
    let Ok(merge_patch) = merge_patch else { panic!("request failed") };
    assert_eq!(merge_patch.status(), 200, "application/merge-patch+json is accepted");
}

#[tokio::test]
async fn bodies_over_64_kib_get_413_and_change_nothing() {
    let app = spawn_app().await;
    let (id, token) = app.member_in("TW9").await;
    let mut huge = sample_person();
    huge["about"] = json!("a".repeat(70 * 1024));
    let id_for_create = Uuid::new_v4();
    let response =
        app.send(Method::POST, "/v1/people", Some(&app.token(Role::Member, id_for_create)), Some(&huge), None).await;
    assert_problem(response, 413, "payload_too_large").await;
    let patch = json!({"about": "b".repeat(70 * 1024)});
    let response =
        app.send(Method::PATCH, &format!("/v1/people/{id}"), Some(&token), Some(&patch), Some("\"1\"")).await;
    assert_problem(response, 413, "payload_too_large").await;
    let read = json_body(app.send(Method::GET, &format!("/v1/people/{id}"), Some(&token), None, None).await).await;
    assert_eq!(read["version"], 1);

    // Chunked, with no Content-Length to refuse up front.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..80).map(|_| Ok(vec![b' '; 1024])).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let streamed = app
        .client
        .post(app.url("/v1/people"))
        .bearer_auth(app.token(Role::Member, Uuid::new_v4()))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    let Ok(streamed) = streamed else { panic!("request failed") };
    assert_problem(streamed, 413, "payload_too_large").await;
}

#[tokio::test]
async fn every_response_has_a_request_id_and_authenticated_ones_are_not_cached() {
    let app = spawn_app().await;
    let (id, token) = app.member_in("TW9").await;
    let mut seen = std::collections::HashSet::new();
    for (path, token) in [
        ("/healthz".to_owned(), None),
        ("/readyz".to_owned(), None),
        ("/v1/taxonomy".to_owned(), None),
        ("/nowhere".to_owned(), None),
        (format!("/v1/people/{id}"), Some(token.as_str())),
        (format!("/v1/people/{}", Uuid::new_v4()), Some(token.as_str())),
    ] {
        let response = app.send(Method::GET, &path, token, None, None).await;
        let request_id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let Some(request_id) = request_id else { panic!("{path} has no x-request-id") };
        assert!(seen.insert(request_id), "request ids are unique");
        let cache = response.headers().get("cache-control").and_then(|v| v.to_str().ok()).map(str::to_owned);
        if token.is_some() {
            assert_eq!(cache.as_deref(), Some("no-store"), "{path}");
        }
    }
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let app = spawn_app().await;
    let live = app.send(Method::GET, "/healthz", None, None, None).await;
    assert_eq!(live.status(), 200);
    let ready = json_body(app.send(Method::GET, "/readyz", None, None, None).await).await;
    assert_eq!(ready["checks"]["database"], "ok");
}

async fn boom() -> HttpResponse {
    // A panic whose message quotes request data, as a slicing bug on a
    // typed postcode would: the hook must keep it out of the logs.
    panic!("synthetic panic quoting {CANARY_NAME} at {CANARY_POSTCODE}");
}

async fn fine() -> HttpResponse {
    HttpResponse::Ok().finish()
}

#[tokio::test]
async fn a_panicking_handler_returns_500_and_the_server_keeps_serving() {
    init_logs();
    friends_api::telemetry::install_panic_hook();
    // The production middleware stack around a handler that panics, on a
    // real server with a single worker: if the panic escaped, the worker
    // would drop the connection.
    let server = HttpServer::new(|| {
        App::new()
            .service(web::resource("/boom").route(web::get().to(boom)).wrap(from_fn(catch_panics)))
            .service(web::resource("/fine").route(web::get().to(fine)).wrap(from_fn(catch_panics)))
            .wrap(from_fn(problem_for_bare_errors))
            .wrap(from_fn(request_context))
    })
    .workers(1)
    .bind("127.0.0.1:0");
    let Ok(server) = server else { panic!("bind") };
    let port = server.addrs()[0].port();
    tokio::spawn(server.run());
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let Ok(response) = client.get(format!("http://127.0.0.1:{port}/boom")).send().await else {
            panic!("the connection was dropped instead of answered");
        };
        let request_id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert_eq!(response.status(), 500);
        let body = json_body(response).await;
        assert_eq!(body["code"], "internal");
        assert_eq!(body["request_id"], request_id.as_str());
    }
    let Ok(after) = client.get(format!("http://127.0.0.1:{port}/fine")).send().await else { panic!("server died") };
    assert_eq!(after.status(), 200);
    let logs = captured_logs().lock().map(|logs| String::from_utf8_lossy(&logs).into_owned()).unwrap_or_default();
    assert!(logs.contains("a request handler panicked"), "the panic is logged, by location");
    assert!(!logs.contains(CANARY_NAME), "the panic message (quoting request data) is not logged");
}
