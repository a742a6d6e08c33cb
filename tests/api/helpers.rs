//! Test harness: app spawning, databases, tokens, canary data, log capture.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use friends_api::auth::Role;
use friends_api::config::{Environment, JwtSettings, Secret, Settings};
use friends_api::startup::Application;
use friends_api::token::{TokenRequest, mint};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use tempfile::TempDir;
use uuid::Uuid;

/// HS256 secret of the test apps (synthetic, 48 bytes).
pub const TEST_SECRET: &str = "test-secret-for-the-black-box-suite-0123456789ab";
pub const TEST_ISSUER: &str = "friends-test";
pub const TEST_AUDIENCE: &str = "friends-api-test";

// Canary values: synthetic, distinctive, and checked for in every log line
// the suite produces (here and, for the whole run, by `make test`).
pub const CANARY_NAME: &str = "Quillon Canarywood";
pub const CANARY_ABOUT: &str = "Zanzibar-canary-about-text";
pub const CANARY_EMAIL: &str = "quillon.canary@example.org";
pub const CANARY_PHONE: &str = "07700 900461";
/// A support need only the canary person has in these tests.
pub const CANARY_NEED: &str = "acquired_brain_injury";
/// A full postcode whose inward code (`7QX`) must never be stored or logged.
pub const CANARY_POSTCODE: &str = "TW9 7QX";
pub const CANARY_INWARD: &str = "7QX";

/// Richmond upon Thames (TW9).
pub const RICHMOND: &str = "E09000027";
/// Manchester (M1).
pub const MANCHESTER: &str = "E08000003";

/// Logs captured for the whole test process.
pub fn captured_logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| Mutex::new(Vec::new()))
}

#[derive(Clone)]
struct TeeWriter {
    file: Arc<Mutex<std::fs::File>>,
}

impl Write for TeeWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut memory) = captured_logs().lock() {
            memory.extend_from_slice(bytes);
        }
        if let Ok(mut file) = self.file.lock() {
            file.write_all(bytes)?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Folder where every test process appends its logs; `make test` checks it
/// for canaries after the run.
pub fn log_folder() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("test-logs")
}

/// Installs, once per process, a subscriber that writes every event of every
/// crate at debug level (ours at trace) as production-format JSON, to memory
/// and to `log_folder()`.
pub fn init_logs() {
    static INIT: OnceLock<()> = OnceLock::new();
    INIT.get_or_init(|| {
        use tracing_subscriber::layer::SubscriberExt;
        use tracing_subscriber::util::SubscriberInitExt;
        let folder = log_folder();
        let _ = std::fs::create_dir_all(&folder);
        let path = folder.join(format!("api-{}.log", std::process::id()));
        let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(&path) else {
            panic!("cannot open the test log file {}", path.display());
        };
        let writer = TeeWriter { file: Arc::new(Mutex::new(file)) };
        let filter =
            tracing_subscriber::EnvFilter::new("debug,friends_api=trace,friends_store=trace,friends_domain=trace");
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .with_current_span(true)
                    .with_span_list(true)
                    .with_writer(move || writer.clone()),
            )
            .try_init();
    });
}

/// Which database a test runs on: the store's own notion.
pub use friends_store::Backend;

/// The backend chosen by the environment.
pub fn default_backend() -> Backend {
    if postgres_base_url().is_some() { Backend::Postgres } else { Backend::Sqlite }
}

/// `TEST_DATABASE_URL`, if set. In CI its absence is an error: the
/// PostgreSQL variants must run there.
pub fn postgres_base_url() -> Option<String> {
    let url = std::env::var("TEST_DATABASE_URL").ok().filter(|url| !url.trim().is_empty());
    if url.is_none() && std::env::var("REQUIRE_POSTGRES").is_ok_and(|value| value == "1") {
        panic!("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set");
    }
    url
}

/// Creates a fresh, empty PostgreSQL database and returns its URL.
pub async fn fresh_postgres_database(base_url: &str) -> String {
    let name = format!("friends_test_{}", Uuid::new_v4().simple());
    let admin = match Database::connect(base_url).await {
        Ok(admin) => admin,
        Err(error) => panic!("cannot reach TEST_DATABASE_URL: {error}"),
    };
    if let Err(error) = admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await {
        panic!("cannot create a test database: {error}");
    }
    let _ = admin.close().await;
    let (prefix, _) = base_url.rsplit_once('/').unwrap_or((base_url, ""));
    format!("{prefix}/{name}")
}

/// A running application and what a test needs to talk to it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub data_dir: TempDir,
    pub database_url: String,
    pub backend: Backend,
    pub jwt: JwtSettings,
    /// Expiry on demand and the adjustable clock.
    pub handle: friends_api::startup::AppHandle,
    /// The ops listener (`http://127.0.0.1:port`), when one was asked for.
    pub ops_address: Option<String>,
    /// The metrics listener (`http://127.0.0.1:port`), when one was asked for.
    pub metrics_address: Option<String>,
}

/// Settings for a test app on `backend`, before the database is chosen.
pub fn test_settings(data_dir: &Path) -> Settings {
    Settings {
        listen: "127.0.0.1:0".into(),
        ops_listen: None,
        metrics_listen: None,
        data_dir: data_dir.to_path_buf(),
        database_url: None,
        environment: Environment::Development,
        jwt: JwtSettings {
            secret: Some(Secret::new(TEST_SECRET)),
            issuer: TEST_ISSUER.into(),
            audience: TEST_AUDIENCE.into(),
            jwks_file: None,
            jwks_url: None,
            jwks_refresh: friends_api::config::DEFAULT_JWKS_REFRESH,
        },
        demo_people: None,
        workers: Some(2),
        introductions: friends_api::config::IntroductionSettings::default(),
        public: friends_api::config::PublicSettings::default(),
        // Tests drive many requests with one token; the rate-limit tests
        // lower these.
        callers: friends_api::config::CallerSettings { rate_per_minute: 1_000_000, lookups_per_minute: 1_000_000 },
        check_in_after: friends_domain::check_ins::CheckInSchedule::default(),
        // Tests move time forward instead of waiting.
        clock: friends_api::clock::Clock::adjustable(),
        search_write_faults: None,
    }
}

/// Spawns the app on the environment's backend.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(default_backend(), |_| {}).await
}

/// Spawns the app on `backend`, after `adjust` has changed its settings.
pub async fn spawn_app_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    init_logs();
    let data_dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("tempdir: {error}"),
    };
    let mut settings = test_settings(data_dir.path());
    if backend == Backend::Postgres {
        let Some(base) = postgres_base_url() else { panic!("PostgreSQL asked for without TEST_DATABASE_URL") };
        settings.database_url = Some(Secret::new(fresh_postgres_database(&base).await));
    }
    adjust(&mut settings);
    let database_url = settings.database_url();
    let jwt = settings.jwt.clone();
    let application = match Application::build(settings).await {
        Ok(application) => application,
        Err(error) => panic!("the app must start: {error}"),
    };
    let address = format!("http://127.0.0.1:{}", application.port());
    let ops_address = application.ops_port().map(|port| format!("http://127.0.0.1:{port}"));
    let metrics_address = application.metrics_port().map(|port| format!("http://127.0.0.1:{port}"));
    let handle = application.handle();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        client: reqwest::Client::new(),
        data_dir,
        database_url,
        backend,
        jwt,
        handle,
        ops_address,
        metrics_address,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn token(&self, role: Role, subject: Uuid) -> String {
        self.token_with(role, subject, Vec::new(), Vec::new())
    }

    pub fn token_with(&self, role: Role, subject: Uuid, acts_for: Vec<Uuid>, authorities: Vec<&str>) -> String {
        let request = TokenRequest {
            role,
            subject,
            acts_for,
            authorities: authorities.into_iter().map(str::to_owned).collect(),
            ttl: std::time::Duration::from_secs(600),
        };
        match mint(&self.jwt, &request) {
            Ok(token) => token,
            Err(error) => panic!("mint: {error}"),
        }
    }

    /// Sends a request with an optional bearer token and JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        if_match: Option<&str>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(tag) = if_match {
            request = request.header("if-match", tag);
        }
        match request.send().await {
            Ok(response) => response,
            Err(error) => panic!("request failed: {error}"),
        }
    }

    /// Creates a person as `token`'s caller, asserting 201; returns the body.
    pub async fn create_person(&self, token: &str, body: &Value) -> Value {
        let response = self.send(reqwest::Method::POST, "/v1/people", Some(token), Some(body), None).await;
        let status = response.status();
        let json: Value = response.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 201, "create failed: {json}");
        json
    }

    /// Creates a member profile in the given district with their own token.
    pub async fn member_in(&self, outcode: &str) -> (Uuid, String) {
        let id = Uuid::new_v4();
        let token = self.token(Role::Member, id);
        let mut body = sample_person();
        body["outcode"] = json!(outcode);
        self.create_person(&token, &body).await;
        (id, token)
    }

    /// Every byte of the SQLite database files (db, wal), for leak checks.
    pub fn sqlite_file_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::new();
        for name in ["friends.db", "friends.db-wal", "friends.db-journal"] {
            if let Ok(content) = std::fs::read(self.data_dir.path().join(name)) {
                bytes.extend_from_slice(&content);
            }
        }
        bytes
    }

    /// Every people row as text (PostgreSQL or SQLite), for leak checks.
    pub async fn people_rows_as_text(&self) -> String {
        let db = match Database::connect(&self.database_url).await {
            Ok(db) => db,
            Err(error) => panic!("connect: {error}"),
        };
        let sql = match self.backend {
            Backend::Postgres => "SELECT CAST(p AS TEXT) FROM people p",
            Backend::Sqlite => {
                "SELECT display_name || about || outcode || authority_code || contact || support_needs FROM people"
            }
        };
        let rows = match db.query_all_raw(sea_orm::Statement::from_string(db.get_database_backend(), sql)).await {
            Ok(rows) => rows,
            Err(error) => panic!("query: {error}"),
        };
        let text = rows.iter().filter_map(|row| row.try_get_by_index::<String>(0).ok()).collect::<Vec<_>>().join("\n");
        let _ = db.close().await;
        text
    }
}

/// Whether `haystack` contains `needle`.
pub fn contains_bytes(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

/// A valid person body carrying every canary.
pub fn sample_person() -> Value {
    json!({
        "display_name": CANARY_NAME,
        "about": CANARY_ABOUT,
        "birth_year": 1994, "gender": "man",
        "outcode": CANARY_POSTCODE, "travel_km": 10, "travel": "independent",
        "interests": ["Football", "cooking"], "goals": ["social_activities", "share_pa"],
        "support_needs": [CANARY_NEED], "communication": ["spoken_english", "easy read"],
        "access_needs": ["step_free"], "availability": ["sat_afternoon", "mon_evening"],
        "contribution_gbp_week": {"min": 10, "max": 40},
        "preferences": {"age_min": 18, "age_max": 45, "genders": [], "group_size_max": 4, "similar_needs": true},
        "contact": {"email": CANARY_EMAIL, "phone": CANARY_PHONE, "note": "Text me first"},
        "share_needs_with_matches": false, "discoverable": true, "public_listing": false, "status": "active"
    })
}

/// Reads a JSON body.
pub async fn json_body(response: reqwest::Response) -> Value {
    match response.json::<Value>().await {
        Ok(value) => value,
        Err(error) => panic!("body is not JSON: {error}"),
    }
}

/// Asserts a problem+json response with `status` and `code`; returns the body.
pub async fn assert_problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status().as_u16(), status, "status for {code}");
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(content_type, "application/problem+json");
    let request_id = response.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let body = json_body(response).await;
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert_eq!(body["request_id"], request_id.as_str(), "problem carries the request id");
    assert!(!request_id.is_empty());
    body
}
