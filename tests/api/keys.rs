//! Keys from the council's identity provider, rotated without a restart
//! (issue 14): a local HTTP server plays the provider's `jwks_uri` and
//! rotates RS256, ES256 and EdDSA keys made by an outside library
//! (fixtures/rotation-keys.json, Python's `cryptography`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::*;

const ROTATION_KEYS: &str = include_str!("fixtures/rotation-keys.json");

/// One fixture key: its public JWK and a signer.
struct FixtureKey {
    kid: String,
    jwk: Value,
    algorithm: Algorithm,
    signer: EncodingKey,
}

fn fixture_keys() -> Vec<FixtureKey> {
    let Ok(file) = serde_json::from_str::<Value>(ROTATION_KEYS) else { panic!("rotation-keys.json is JSON") };
    let Some(keys) = file["keys"].as_array() else { panic!("rotation-keys.json has keys") };
    keys.iter()
        .map(|key| {
            let pem = key["private_pem"].as_str().unwrap_or_default().as_bytes();
            let (algorithm, signer) = match key["alg"].as_str() {
                Some("RS256") => (Algorithm::RS256, EncodingKey::from_rsa_pem(pem)),
                Some("ES256") => (Algorithm::ES256, EncodingKey::from_ec_pem(pem)),
                Some("EdDSA") => (Algorithm::EdDSA, EncodingKey::from_ed_pem(pem)),
                other => panic!("unexpected alg {other:?}"),
            };
            let Ok(signer) = signer else { panic!("fixture key {} loads", key["kid"]) };
            FixtureKey {
                kid: key["kid"].as_str().unwrap_or_default().to_owned(),
                jwk: key["jwk"].clone(),
                algorithm,
                signer,
            }
        })
        .collect()
}

fn signed(key: &FixtureKey, kid: &str, subject: Uuid) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "sub": subject, "role": "member", "exp": now + 600, "iat": now,
        "iss": TEST_ISSUER, "aud": TEST_AUDIENCE,
    });
    let mut header = Header::new(key.algorithm);
    header.kid = Some(kid.to_owned());
    match encode(&header, &claims, &key.signer) {
        Ok(token) => token,
        Err(error) => panic!("sign: {error}"),
    }
}

/// The identity provider's `jwks_uri`: serves whatever set it is given
/// (or 500 while `failing`), and counts the fetches.
#[derive(Clone, Default)]
struct Provider {
    set: Arc<Mutex<Value>>,
    failing: Arc<std::sync::atomic::AtomicBool>,
    fetches: Arc<AtomicUsize>,
}

impl Provider {
    fn serve(&self, keys: &[&FixtureKey]) {
        let set = json!({"keys": keys.iter().map(|key| key.jwk.clone()).collect::<Vec<_>>()});
        if let Ok(mut current) = self.set.lock() {
            *current = set;
        }
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// Starts it on a port of its own; its address.
    fn start(&self) -> String {
        let provider = self.clone();
        let server = HttpServer::new(move || {
            let provider = provider.clone();
            App::new().route(
                "/.well-known/jwks.json",
                web::get().to(move || {
                    let provider = provider.clone();
                    async move {
                        provider.fetches.fetch_add(1, Ordering::SeqCst);
                        if provider.failing.load(Ordering::SeqCst) {
                            return HttpResponse::InternalServerError().finish();
                        }
                        let set = provider.set.lock().map(|set| set.clone()).unwrap_or(Value::Null);
                        HttpResponse::Ok().json(set)
                    }
                }),
            )
        })
        .workers(1)
        .bind("127.0.0.1:0");
        let Ok(server) = server else { panic!("the provider binds") };
        let port = server.addrs().first().map(|address| address.port()).unwrap_or_default();
        tokio::spawn(server.run());
        format!("http://127.0.0.1:{port}/.well-known/jwks.json")
    }
}

async fn status(app: &TestApp, subject: Uuid, token: &str) -> u16 {
    app.send(Method::GET, &format!("/v1/people/{subject}"), Some(token), None, None).await.status().as_u16()
}

#[tokio::test]
async fn keys_rotated_at_the_provider_are_trusted_without_a_restart_and_removed_ones_refused() {
    let keys = fixture_keys();
    let (rsa, ec, ed) = (&keys[0], &keys[1], &keys[2]);
    let provider = Provider::default();
    provider.serve(&[rsa]);
    let url = provider.start();
    let app = spawn_app_with(default_backend(), |settings| {
        settings.jwt.jwks_url = Some(url.clone());
        // The schedule plays no part here: the handle refreshes.
        settings.jwt.jwks_refresh = Duration::from_secs(3600);
    })
    .await;
    assert_eq!(provider.fetches(), 1, "fetched once at start");
    let (subject, _) = app.member_in("TW9").await;
    assert_eq!(status(&app, subject, &signed(rsa, &rsa.kid, subject)).await, 200, "RS256 from the provider");
    assert_eq!(status(&app, subject, &signed(ec, &ec.kid, subject)).await, 401, "a key not published yet");
    // That unknown kid fetched once; the provider now publishes ES256 too,
    // but the next fetch for an unknown kid waits a minute.
    assert_eq!(provider.fetches(), 2);

    // Rotation: the provider adds ES256 and EdDSA. The schedule would pick
    // them up; the handle does it now.
    provider.serve(&[rsa, ec, ed]);
    if let Err(error) = app.handle.refresh_keys().await {
        panic!("refresh: {error}");
    }
    assert_eq!(status(&app, subject, &signed(ec, &ec.kid, subject)).await, 200, "ES256 after the rotation");
    assert_eq!(status(&app, subject, &signed(ed, &ed.kid, subject)).await, 200, "EdDSA after the rotation");

    // Junk kids cannot make it hammer the provider.
    let before = provider.fetches();
    for _ in 0..20 {
        let junk = signed(rsa, &Uuid::new_v4().to_string(), subject);
        assert_eq!(status(&app, subject, &junk).await, 401);
    }
    assert_eq!(provider.fetches(), before, "unknown kids fetch at most once a minute");
    // A key signed under another key's kid is still refused.
    assert_eq!(status(&app, subject, &signed(ec, &rsa.kid, subject)).await, 401);

    // RS256 is retired: refused after the next refresh, not before.
    provider.serve(&[ec, ed]);
    assert_eq!(status(&app, subject, &signed(rsa, &rsa.kid, subject)).await, 200, "until the refresh");
    if let Err(error) = app.handle.refresh_keys().await {
        panic!("refresh: {error}");
    }
    assert_eq!(status(&app, subject, &signed(rsa, &rsa.kid, subject)).await, 401, "a removed key is refused");

    // The provider fails: the last good set stays.
    provider.failing.store(true, Ordering::SeqCst);
    assert!(app.handle.refresh_keys().await.is_err(), "a 500 is not a key set");
    assert_eq!(app.handle.trusted_kids(), vec![ed.kid.clone(), ec.kid.clone()], "sorted");
    assert_eq!(status(&app, subject, &signed(ec, &ec.kid, subject)).await, 200, "the last good set is kept");
    // A provider answering garbage is no better than one that fails.
    provider.failing.store(false, Ordering::SeqCst);
    if let Ok(mut set) = provider.set.lock() {
        *set = json!({"keys": "not a list"});
    }
    assert!(app.handle.refresh_keys().await.is_err());
    assert_eq!(status(&app, subject, &signed(ed, &ed.kid, subject)).await, 200);
    // An empty set is a failed fetch, not an order to trust nobody.
    if let Ok(mut set) = provider.set.lock() {
        *set = json!({"keys": []});
    }
    assert!(app.handle.refresh_keys().await.is_err(), "no usable key");
    assert_eq!(app.handle.trusted_kids(), vec![ed.kid.clone(), ec.kid.clone()]);

    // A provider's set may hold keys that are not for us: each is skipped,
    // and the rest are trusted.
    let mut encryption = rsa.jwk.clone();
    encryption["kid"] = json!("for-encryption");
    encryption["use"] = json!("enc");
    let mut no_alg = ec.jwk.clone();
    no_alg["kid"] = json!("no-alg");
    if let Some(object) = no_alg.as_object_mut() {
        object.remove("alg");
    }
    let odd = json!({"kty": "XYZ", "kid": "of-a-kind-unknown"});
    let hmac = json!({"kty": "oct", "kid": "shared-secret", "alg": "HS256", "k": "c2VjcmV0"});
    if let Ok(mut set) = provider.set.lock() {
        *set = json!({"keys": [encryption, no_alg, odd, hmac, rsa.jwk.clone()]});
    }
    if let Err(error) = app.handle.refresh_keys().await {
        panic!("a set with one usable key is taken: {error}");
    }
    assert_eq!(app.handle.trusted_kids(), vec![rsa.kid.clone()], "only the usable key");
    assert_eq!(status(&app, subject, &signed(rsa, &rsa.kid, subject)).await, 200);
    assert_eq!(status(&app, subject, &signed(rsa, "for-encryption", subject)).await, 401, "not a signing key");
}

/// Waits, at most `seconds`, for `token` to get `expected` (the keys job
/// runs every 5 s on its own: this is what the test is about).
async fn eventually(app: &TestApp, subject: Uuid, token: &str, expected: u16, seconds: u64) -> bool {
    let deadline = std::time::Instant::now() + Duration::from_secs(seconds);
    while std::time::Instant::now() < deadline {
        if status(app, subject, token).await == expected {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    false
}

#[tokio::test]
async fn the_schedule_refreshes_a_url_and_a_changed_file_is_read_again() {
    let keys = fixture_keys();
    let (rsa, ec) = (&keys[0], &keys[1]);
    let provider = Provider::default();
    provider.serve(&[rsa]);
    let url = provider.start();
    let app = spawn_app_with(default_backend(), |settings| {
        settings.jwt.jwks_url = Some(url.clone());
        settings.jwt.jwks_refresh = Duration::from_secs(1);
    })
    .await;
    let (subject, _) = app.member_in("TW9").await;
    let rsa_token = signed(rsa, &rsa.kid, subject);
    assert_eq!(status(&app, subject, &rsa_token).await, 200);
    provider.serve(&[ec]);
    assert!(eventually(&app, subject, &rsa_token, 401, 15).await, "the scheduled refresh drops a removed key");

    let folder = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
    let path = folder.path().join("jwks.json");
    let write = |keys: &[&FixtureKey]| {
        let set = json!({"keys": keys.iter().map(|key| key.jwk.clone()).collect::<Vec<_>>()});
        if let Err(error) = std::fs::write(&path, set.to_string()) {
            panic!("{error}");
        }
    };
    write(&[rsa]);
    let app = spawn_app_with(default_backend(), |settings| settings.jwt.jwks_file = Some(path.clone())).await;
    let (subject, _) = app.member_in("TW9").await;
    let (rsa_token, ec_token) = (signed(rsa, &rsa.kid, subject), signed(ec, &ec.kid, subject));
    assert_eq!(status(&app, subject, &rsa_token).await, 200);
    write(&[ec]);
    // Watched through the handle, not by a request: a token with the new
    // kid would make the verifier read the file itself.
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while app.handle.trusted_kids() != vec![ec.kid.clone()] && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(app.handle.trusted_kids(), vec![ec.kid.clone()], "the changed file is read again by the schedule");
    assert_eq!(status(&app, subject, &ec_token).await, 200);
    assert_eq!(status(&app, subject, &rsa_token).await, 401, "and the key it dropped is refused");
    // A file that stops parsing keeps the last good set.
    if let Err(error) = std::fs::write(&path, "{\"keys\": [") {
        panic!("{error}");
    }
    assert!(app.handle.refresh_keys().await.is_err());
    assert_eq!(status(&app, subject, &ec_token).await, 200);
}
