//! Hostile input, as the outside fuzzer and hand-made cases found it
//! (issue 9): each case here once got a panic, a non-problem answer, or was
//! accepted when it must not be.

use std::io::{Read, Write};
use std::net::TcpStream;

use friends_api::auth::Role;
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

/// Sends `body` to `path` with exactly these extra headers.
async fn post_raw(app: &TestApp, path: &str, token: &str, headers: &[(&str, &str)], body: &str) -> reqwest::Response {
    let mut request = app.client.post(app.url(path)).bearer_auth(token).body(body.to_owned());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    match request.send().await {
        Ok(response) => response,
        Err(error) => panic!("request failed: {error}"),
    }
}

/// Writes raw bytes to the server and reads the whole answer (the server
/// closes a connection it refused). Blocking I/O, off the test's runtime.
async fn raw_exchange(app: &TestApp, bytes: &[u8]) -> String {
    let address = app.address.trim_start_matches("http://").to_owned();
    let bytes = bytes.to_vec();
    let exchange = tokio::task::spawn_blocking(move || {
        let Ok(mut stream) = TcpStream::connect(&address) else { panic!("connect") };
        let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(10)));
        // The server may answer and close before it has read everything.
        let _ = stream.write_all(&bytes);
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer);
        String::from_utf8_lossy(&answer).into_owned()
    });
    exchange.await.unwrap_or_default()
}

/// Whether the member `subject` has a profile (a member's id is their `sub`).
async fn has_profile(app: &TestApp, subject: Uuid) -> bool {
    let token = app.token(Role::Member, subject);
    app.send(Method::GET, &format!("/v1/people/{subject}"), Some(&token), None, None).await.status() == 200
}

#[tokio::test]
async fn non_ascii_outcodes_are_refused_not_a_panic() {
    let app = spawn_app().await;
    let token = app.token(Role::Member, Uuid::new_v4());
    for path in
        ["/v1/areas/outcodes/%C3%A9%C3%A9%C3%A9", "/v1/areas/outcodes/SW1A%C3%A91B", "/v1/areas/outcodes/%F0%9F%98%80"]
    {
        let response = app.send(Method::GET, path, Some(&token), None, None).await;
        assert_ne!(response.status(), 500, "{path}");
        assert!(response.status().is_client_error(), "{path}: {}", response.status());
    }
    // The inputs that used to panic, carrying the canary inward code: the
    // log check of `make test` fails if any of it reaches a log line.
    for path in ["/v1/areas/outcodes/TW9%207QX%C3%A9", "/v1/areas/outcodes/%C3%A9TW9%207QX"] {
        let response = app.send(Method::GET, path, Some(&token), None, None).await;
        assert_problem(response, 422, "validation_failed").await;
    }
    let mut body = sample_person();
    body["outcode"] = json!("TW9 7QX\u{e9}");
    assert_problem(
        app.send(Method::POST, "/v1/people", Some(&token), Some(&body), None).await,
        422,
        "validation_failed",
    )
    .await;
    let mut body = sample_person();
    body["outcode"] = json!("SW1A\u{e9}1B");
    assert_problem(
        app.send(Method::POST, "/v1/people", Some(&token), Some(&body), None).await,
        422,
        "validation_failed",
    )
    .await;
    let (id, member) = app.member_in("TW9").await;
    let patch = json!({"outcode": "T\u{e9}W9 1AB"});
    let response =
        app.send(Method::PATCH, &format!("/v1/people/{id}"), Some(&member), Some(&patch), Some("\"1\"")).await;
    assert_problem(response, 422, "validation_failed").await;
}

#[tokio::test]
async fn two_authorization_headers_are_unauthorized() {
    let app = spawn_app().await;
    let (id, _) = app.member_in("TW9").await;
    let admin = app.token(Role::Admin, Uuid::new_v4());
    let stranger = app.token(Role::Member, Uuid::new_v4());
    for (first, second) in [(&admin, &stranger), (&stranger, &admin), (&admin, &admin)] {
        let response = app
            .client
            .get(app.url(&format!("/v1/people/{id}")))
            .header("authorization", format!("Bearer {first}"))
            .header("authorization", format!("Bearer {second}"))
            .send()
            .await;
        let Ok(response) = response else { panic!("request failed") };
        assert_problem(response, 401, "unauthorized").await;
    }
}

#[tokio::test]
async fn repeated_json_keys_are_malformed_and_change_nothing() {
    let app = spawn_app().await;
    let subject = Uuid::new_v4();
    let token = app.token(Role::Member, subject);
    let body = sample_person().to_string();
    let doubled = body.replacen('{', "{\"display_name\": \"Someone Else\", ", 1);
    let response = post_raw(&app, "/v1/people", &token, &[("content-type", "application/json")], &doubled).await;
    assert_problem(response, 400, "malformed_json").await;
    let nested = body.replacen("\"age_min\":", "\"age_max\": 99, \"age_min\":", 1);
    let response = post_raw(&app, "/v1/people", &token, &[("content-type", "application/json")], &nested).await;
    assert_problem(response, 400, "malformed_json").await;
    assert!(!has_profile(&app, subject).await, "nothing was created");
}

#[tokio::test]
async fn only_json_media_types_are_accepted() {
    let app = spawn_app().await;
    let id = Uuid::new_v4();
    let token = app.token(Role::Member, id);
    let body = sample_person().to_string();
    for headers in [
        vec![("content-type", "text/json")],
        vec![("content-type", "application/problem+json")],
        vec![("content-type", "application/vnd.api+json")],
        vec![("content-type", "application/json-patch+json")],
        vec![("content-type", "application/merge-patch+json")],
        vec![("content-type", "application/json; charset=latin1")],
        vec![("content-type", "application/json"), ("content-encoding", "gzip")],
        vec![],
    ] {
        let response = post_raw(&app, "/v1/people", &token, &headers, &body).await;
        assert_problem(response, 415, "unsupported_media_type").await;
    }
    assert!(!has_profile(&app, id).await, "nothing was created");
    let response =
        post_raw(&app, "/v1/people", &token, &[("content-type", "application/json; charset=UTF-8")], &body).await;
    assert_eq!(response.status(), 201, "UTF-8 is fine");

    // PATCH takes the merge-patch type of RFC 7396, and not JSON Patch.
    for (content_type, status) in [("application/json-patch+json", 415), ("application/merge-patch+json", 200)] {
        let response = app
            .client
            .patch(app.url(&format!("/v1/people/{id}")))
            .bearer_auth(&token)
            .header("content-type", content_type)
            .header("if-match", "\"1\"")
            .body("{\"about\": \"patched\"}")
            .send()
            .await;
        let Ok(response) = response else { panic!("request failed") };
        assert_eq!(response.status().as_u16(), status, "{content_type}");
    }
}

#[tokio::test]
async fn hidden_and_direction_changing_characters_are_refused_in_names() {
    let app = spawn_app().await;
    for name in [
        "Sam\u{202E}nhoJ",
        "\u{200D}",
        "\u{2066}Admin\u{2069}",
        "Sam\u{200B}",
        "Sam\u{E0041}",
        "Sam\u{E000}",
        "\u{FEFF}Sam",
    ] {
        let mut body = sample_person();
        body["display_name"] = json!(name);
        let token = app.token(Role::Member, Uuid::new_v4());
        let problem = assert_problem(
            app.send(Method::POST, "/v1/people", Some(&token), Some(&body), None).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], "display_name", "{problem}");
    }
    let mut body = sample_person();
    body["display_name"] = json!("Rene\u{301}e \u{1F3B8}");
    let token = app.token(Role::Member, Uuid::new_v4());
    let created = app.create_person(&token, &body).await;
    assert_eq!(created["display_name"], "Ren\u{e9}e \u{1F3B8}", "stored as NFC, emoji kept");
}

/// Pages of a search as `token`: the first page's cursor.
async fn first_cursor(app: &TestApp, token: &str, query: &str) -> String {
    let page = json_body(app.send(Method::GET, &format!("/v1/search?{query}"), Some(token), None, None).await).await;
    page["next_cursor"].as_str().map(str::to_owned).unwrap_or_else(|| panic!("a second page: {page}"))
}

#[tokio::test]
async fn search_cursors_are_authenticated_and_bound_to_their_query() {
    let app = spawn_app().await;
    let mut body = sample_person();
    body["interests"] = json!(["football"]);
    for _ in 0..4 {
        app.create_person(&app.token(Role::Member, Uuid::new_v4()), &body).await;
    }
    let admin = app.token(Role::Admin, Uuid::new_v4());
    let cursor = first_cursor(&app, &admin, "interests=football&limit=2").await;
    let next = app
        .send(Method::GET, &format!("/v1/search?interests=football&limit=2&cursor={cursor}"), Some(&admin), None, None)
        .await;
    assert_eq!(next.status(), 200, "a cursor works for its own query");

    let forged = format!("{:08x}{}", 1.0f32.to_bits(), Uuid::new_v4().simple());
    let mut altered = cursor.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'0' { b'1' } else { b'0' };
    let altered = String::from_utf8(altered).unwrap_or_default();
    let other_admin = app.token(Role::Admin, Uuid::new_v4());
    for (query, token) in [
        (format!("interests=football&limit=2&cursor={forged}"), &admin),
        (format!("interests=football&limit=2&cursor={altered}"), &admin),
        (format!("interests=cooking&limit=2&cursor={cursor}"), &admin),
        (format!("interests=football&limit=2&cursor={cursor}"), &other_admin),
    ] {
        let response = app.send(Method::GET, &format!("/v1/search?{query}"), Some(token), None, None).await;
        assert_problem(response, 400, "invalid_cursor").await;
    }
}

#[tokio::test]
async fn oversized_heads_and_head_requests_get_problems() {
    let app = spawn_app().await;
    let token = app.token(Role::Admin, Uuid::new_v4());
    // A query string the HTTP parser still takes (the `http` crate takes
    // request targets up to 64 KiB) but that is over ours, sent raw: clients
    // cap URLs lower.
    let long_query = format!(
        "GET /v1/search?q={} HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
        "a".repeat(60_000)
    );
    let answer = raw_exchange(&app, long_query.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 414"), "{}", answer.get(..200).unwrap_or(&answer));
    assert!(answer.contains("application/problem+json") && answer.contains("\"code\":\"uri_too_long\""));
    assert!(answer.to_ascii_lowercase().contains("x-request-id"));
    let long_list = format!("/v1/search?interests={}", "football,".repeat(2_000));
    assert_problem(app.send(Method::GET, &long_list, Some(&token), None, None).await, 414, "uri_too_long").await;
    let mut request = app.client.get(app.url("/healthz"));
    for index in 0..60 {
        request = request.header(format!("x-filler-{index}"), "f".repeat(400));
    }
    let Ok(response) = request.send().await else { panic!("request failed") };
    assert_problem(response, 431, "headers_too_large").await;

    let head = app.client.head(app.url("/healthz")).send().await;
    let Ok(head) = head else { panic!("request failed") };
    assert_eq!(head.status(), 200, "HEAD is answered on GET routes");
    assert!(head.headers().contains_key("x-request-id"));
    let Ok(bytes) = head.bytes().await else { panic!("body") };
    assert!(bytes.is_empty(), "HEAD has no body");
    let wrong = app.send(Method::PUT, "/healthz", None, None, None).await;
    assert_eq!(wrong.headers().get("allow").and_then(|v| v.to_str().ok()), Some("GET, HEAD"));
    assert_problem(wrong, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn what_the_http_parser_refuses_never_reaches_a_handler() {
    // These are refused by actix-http before any of our code runs
    // (ARCHITECTURE.md, "What the HTTP parser answers"): the test pins that
    // they are refused (4xx or a closed connection) and never served.
    let app = spawn_app().await;
    let cases: [&[u8]; 3] = [
        b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n",
        b"POST /v1/people HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
    ];
    for (index, case) in cases.iter().enumerate() {
        let answer = raw_exchange(&app, case).await;
        let status = answer.split_whitespace().nth(1).unwrap_or("");
        assert!(answer.is_empty() || status.starts_with('4'), "case {index} must be refused: {answer:?}");
    }
    let mut many = b"GET /healthz HTTP/1.1\r\nHost: a\r\n".to_vec();
    for index in 0..200 {
        many.extend_from_slice(format!("X-H{index}: v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    let answer = raw_exchange(&app, &many).await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 431"), "{answer:?}");
    let huge = format!("GET /v1/search?q={} HTTP/1.1\r\nHost: a\r\n\r\n", "a".repeat(100_000));
    let answer = raw_exchange(&app, huge.as_bytes()).await;
    let status = answer.split_whitespace().nth(1).unwrap_or("");
    assert!(answer.is_empty() || status.starts_with('4'), "a target over 64 KiB is refused: {status}");
}

#[tokio::test]
async fn a_json_value_that_is_not_an_object_is_invalid_body_not_a_crash() {
    let app = spawn_app().await;
    let token = app.token(Role::Member, Uuid::new_v4());
    let positional = r#"["Sam", null, 1990, null, "TW9", 10]"#;
    let mut nested = sample_person();
    nested["contact"] = json!([null, null]);
    let nested = nested.to_string();
    let mut contribution = sample_person();
    contribution["contribution_gbp_week"] = json!([10, 40]);
    let contribution = contribution.to_string();
    for body in ["[]", "1", "\"x\"", "null", positional, &nested, &contribution] {
        let response = post_raw(&app, "/v1/people", &token, &[("content-type", "application/json")], body).await;
        let status = response.status().as_u16();
        let problem: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 422, "{body}: {problem}");
    }
}

#[tokio::test]
async fn empty_parameters_are_refused_alike_and_huge_limits_are_capped() {
    let app = spawn_app().await;
    let (id, token) = app.member_in("TW9").await;
    for path in [
        "/v1/search?cursor=".to_owned(),
        "/v1/search?goals=".to_owned(),
        "/v1/search?interests=&q=walks".to_owned(),
        format!("/v1/people/{id}/suggestions?goal="),
        format!("/v1/people/{id}/suggestions?limit="),
        "/v1/introductions?status=".to_owned(),
        "/v1/introductions?person=".to_owned(),
        "/v1/introductions?cursor".to_owned(),
    ] {
        let response = app.send(Method::GET, &path, Some(&token), None, None).await;
        assert_problem(response, 400, "invalid_query").await;
    }
    for path in [
        "/v1/search?q=".to_owned(),
        "/v1/search?limit=99999999999999999999999".to_owned(),
        format!("/v1/people/{id}/suggestions?limit=4294967296"),
        "/v1/introductions?limit=18446744073709551616".to_owned(),
    ] {
        let response = app.send(Method::GET, &path, Some(&token), None, None).await;
        assert_eq!(response.status(), 200, "{path}");
    }
    for path in ["/v1/search?limit=-1", "/v1/search?limit=1.5", &format!("/v1/people/{id}/suggestions?limit=ten")] {
        assert_problem(app.send(Method::GET, path, Some(&token), None, None).await, 400, "invalid_query").await;
    }
    let response = app.send(Method::GET, "/v1/introductions?cursor=made-up", Some(&token), None, None).await;
    assert_problem(response, 400, "invalid_cursor").await;
}

#[tokio::test]
async fn a_head_that_never_ends_is_timed_out_by_the_parser() {
    // Slow headers: actix-http answers 408 (or closes) once its client
    // request timeout passes; no handler ever sees the request.
    let app = spawn_app().await;
    let started = std::time::Instant::now();
    let answer = raw_exchange(&app, b"GET /healthz HTTP/1.1\r\nHost: a\r\nX-Slow: ").await;
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "timed out by the server, not by the test");
}
