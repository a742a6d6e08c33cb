//! Every token refusal of DESIGN §6 gives the same 401.

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(subject: Uuid) -> Value {
    json!({
        "sub": subject, "role": "member",
        "exp": now() + 600, "nbf": now() - 5, "iat": now() - 5,
        "iss": TEST_ISSUER, "aud": TEST_AUDIENCE,
    })
}

fn sign(header: Header, claims: &Value) -> String {
    match encode(&header, claims, &EncodingKey::from_secret(TEST_SECRET.as_bytes())) {
        Ok(token) => token,
        Err(error) => panic!("encode: {error}"),
    }
}

fn b64(bytes: &[u8]) -> String {
    // base64url without padding, written out to keep the suite's deps small.
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn with_claim(subject: Uuid, key: &str, value: Value) -> String {
    let mut body = claims(subject);
    if value.is_null() {
        body.as_object_mut().map(|fields| fields.remove(key));
    } else {
        body[key] = value;
    }
    sign(Header::new(Algorithm::HS256), &body)
}

/// Asserts the one 401 body and header every refusal must share.
async fn assert_refused(app: &TestApp, subject: Uuid, token: &str, case: &str) {
    let response = app.send(Method::GET, &format!("/v1/people/{subject}"), Some(token), None, None).await;
    assert_eq!(response.status(), 401, "{case} must be refused");
    assert_eq!(response.headers().get("www-authenticate").and_then(|v| v.to_str().ok()), Some("Bearer"), "{case}");
    let body = assert_problem(response, 401, "unauthorized").await;
    assert_eq!(body["detail"], "A valid bearer token is required.", "{case}: same body for every reason");
}

#[tokio::test]
async fn every_invalid_token_is_refused_with_the_same_401() {
    let app = spawn_app().await;
    let (subject, good) = app.member_in("TW9").await;
    let ok = app.send(Method::GET, &format!("/v1/people/{subject}"), Some(&good), None, None).await;
    assert_eq!(ok.status(), 200, "the control token works");

    let header_none = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = b64(claims(subject).to_string().as_bytes());
    let alg_none = format!("{header_none}.{payload}.");

    let wrong_alg = sign(Header::new(Algorithm::HS512), &claims(subject));

    let (head, rest) = good.split_once('.').unwrap_or_default();
    let (_, signature) = rest.split_once('.').unwrap_or_default();
    let mut admin_claims = claims(subject);
    admin_claims["role"] = json!("admin");
    let tampered_payload = format!("{head}.{}.{signature}", b64(admin_claims.to_string().as_bytes()));
    let mut flipped = signature.chars().collect::<Vec<_>>();
    flipped[3] = if flipped[3] == 'A' { 'B' } else { 'A' };
    let tampered_signature = format!(
        "{head}.{}.{}",
        rest.split_once('.').map(|p| p.0).unwrap_or(""),
        flipped.into_iter().collect::<String>()
    );

    let cases: Vec<(&str, String)> = vec![
        ("alg none", alg_none),
        ("wrong algorithm (HS512 with the HS256 secret)", wrong_alg),
        ("tampered payload", tampered_payload),
        ("tampered signature", tampered_signature),
        ("expired beyond the leeway", with_claim(subject, "exp", json!(now() - 45))),
        ("nbf in the future", with_claim(subject, "nbf", json!(now() + 120))),
        ("missing iss", with_claim(subject, "iss", Value::Null)),
        ("wrong iss", with_claim(subject, "iss", json!("someone-else"))),
        ("missing aud", with_claim(subject, "aud", Value::Null)),
        ("wrong aud", with_claim(subject, "aud", json!("another-api"))),
        ("missing exp", with_claim(subject, "exp", Value::Null)),
        ("string exp", with_claim(subject, "exp", json!((now() + 600).to_string()))),
        ("sub not a uuid", with_claim(subject, "sub", json!("sam"))),
        ("unknown role", with_claim(subject, "role", json!("superuser"))),
        ("acts_for not a list of ids", with_claim(subject, "acts_for", json!("everyone"))),
        ("garbage", "not.a.token".into()),
        ("empty", String::new()),
    ];
    for (case, token) in &cases {
        assert_refused(&app, subject, token, case).await;
    }

    // Wrong secret.
    let foreign = match encode(
        &Header::new(Algorithm::HS256),
        &claims(subject),
        &EncodingKey::from_secret(b"another-secret-another-secret-00"),
    ) {
        Ok(token) => token,
        Err(error) => panic!("{error}"),
    };
    assert_refused(&app, subject, &foreign, "signed with another secret").await;
}

#[tokio::test]
async fn tokens_are_read_from_the_authorization_header_only() {
    let app = spawn_app().await;
    let (subject, token) = app.member_in("TW9").await;
    let path = format!("/v1/people/{subject}?access_token={token}");
    let response = app.send(Method::GET, &path, None, None, None).await;
    assert_problem(response, 401, "unauthorized").await;
    let cookie = app
        .client
        .get(app.url(&format!("/v1/people/{subject}")))
        .header("cookie", format!("token={token}"))
        .send()
        .await;
    let Ok(cookie) = cookie else { panic!("request failed") };
    assert_eq!(cookie.status(), 401);
    let basic = app
        .client
        .get(app.url(&format!("/v1/people/{subject}")))
        .header("authorization", format!("Basic {token}"))
        .send()
        .await;
    let Ok(basic) = basic else { panic!("request failed") };
    assert_eq!(basic.status(), 401);
}

#[tokio::test]
async fn small_clock_skew_is_tolerated() {
    let app = spawn_app().await;
    let (subject, _) = app.member_in("TW9").await;
    let skewed = with_claim(subject, "exp", json!(now() - 10));
    let response = app.send(Method::GET, &format!("/v1/people/{subject}"), Some(&skewed), None, None).await;
    assert_eq!(response.status(), 200, "10 s of skew is within the leeway");
}

const ED25519_PRIVATE_PEM: &str = include_str!("fixtures/ed25519-private.pem");
const JWKS: &str = include_str!("fixtures/jwks.json");

#[tokio::test]
async fn jwks_keys_are_pinned_to_their_algorithm_and_kid() {
    let jwks_dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("{error}"),
    };
    let jwks_path = jwks_dir.path().join("jwks.json");
    if let Err(error) = std::fs::write(&jwks_path, JWKS) {
        panic!("{error}");
    }
    let app = spawn_app_with(default_backend(), |settings| {
        settings.jwt.jwks_file = Some(jwks_path.clone());
    })
    .await;
    let (subject, _) = app.member_in("TW9").await;
    let key = match EncodingKey::from_ed_pem(ED25519_PRIVATE_PEM.as_bytes()) {
        Ok(key) => key,
        Err(error) => panic!("fixture key: {error}"),
    };
    let eddsa = |kid: &str| {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        encode(&header, &claims(subject), &key).unwrap_or_default()
    };
    let path = format!("/v1/people/{subject}");
    let accepted = app.send(Method::GET, &path, Some(&eddsa("test-ed25519")), None, None).await;
    assert_eq!(accepted.status(), 200, "a token signed by the JWKS key with its kid is accepted");
    assert_refused(&app, subject, &eddsa("unknown-kid"), "unknown kid").await;
    let mut hs_header = Header::new(Algorithm::HS256);
    hs_header.kid = Some("test-ed25519".into());
    assert_refused(&app, subject, &sign(hs_header, &claims(subject)), "HS256 under an EdDSA kid").await;
}
