//! A small W3C WebDriver client for the browser tests: Debian's `chromium`
//! driven by Debian's `chromedriver`, over plain JSON (the protocol is a
//! dozen endpoints; reqwest is already here).
//!
//! Where the tools come from (`make browser-tools` installs them):
//! - `chromedriver` and `chromium` on `PATH` (or `CHROMEDRIVER`, `CHROMIUM`);
//! - axe-core from `tests/browser/node_modules` (pinned by its lockfile), or
//!   `AXE_CORE_JS`.
//!
//! Without them the browser tests skip, loudly; with `REQUIRE_BROWSER=1`
//! (CI sets it) a missing tool fails the run instead.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long a page may take to reach a state the test waits for.
pub const WAIT: Duration = Duration::from_secs(20);

/// WebDriver's key codes.
pub const TAB: &str = "\u{E004}";
pub const ENTER: &str = "\u{E007}";
pub const SHIFT: &str = "\u{E008}";

/// The tools a browser test needs.
pub struct Tools {
    pub chromedriver: PathBuf,
    pub chromium: PathBuf,
    pub axe: String,
}

fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|folder| folder.join(name)).find(|candidate| candidate.is_file())
}

fn tool(variable: &str, name: &str) -> Option<PathBuf> {
    std::env::var_os(variable).map(PathBuf::from).or_else(|| on_path(name))
}

impl Tools {
    /// The tools, or `None` after saying loudly what is missing (and a panic
    /// instead when `REQUIRE_BROWSER=1`).
    pub fn find(test: &str) -> Option<Self> {
        let axe_path = std::env::var_os("AXE_CORE_JS").map(PathBuf::from).unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser/node_modules/axe-core/axe.min.js")
        });
        let chromedriver = tool("CHROMEDRIVER", "chromedriver");
        let chromium = tool("CHROMIUM", "chromium");
        let axe = std::fs::read_to_string(&axe_path).ok();
        match (chromedriver, chromium, axe) {
            (Some(chromedriver), Some(chromium), Some(axe)) => Some(Self { chromedriver, chromium, axe }),
            (chromedriver, chromium, axe) => {
                let mut missing = Vec::new();
                if chromedriver.is_none() {
                    missing.push("chromedriver".to_owned());
                }
                if chromium.is_none() {
                    missing.push("chromium".to_owned());
                }
                if axe.is_none() {
                    missing.push(format!("axe-core at {}", axe_path.display()));
                }
                let message = format!(
                    "{test}: SKIPPED, no {} (run `make browser-tools`; CI sets REQUIRE_BROWSER=1)",
                    missing.join(", ")
                );
                if std::env::var("REQUIRE_BROWSER").is_ok_and(|value| value == "1") {
                    panic!("{message}");
                }
                eprintln!("\n!!!!!!!!\n!!!!!!!! {message}\n!!!!!!!!\n");
                None
            }
        }
    }
}

/// A running chromedriver; killed when dropped.
pub struct Driver {
    process: Child,
    base: String,
    http: reqwest::Client,
    profile: tempfile::TempDir,
    chromium: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    match TcpListener::bind("127.0.0.1:0").and_then(|listener| listener.local_addr()) {
        Ok(address) => address.port(),
        Err(error) => panic!("a free port: {error}"),
    }
}

impl Driver {
    /// Starts chromedriver and waits until it answers.
    pub async fn start(tools: &Tools) -> Self {
        let port = free_port();
        let process = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let process = match process {
            Ok(process) => process,
            Err(error) => panic!("chromedriver must start: {error}"),
        };
        let Ok(profile) = tempfile::tempdir() else { panic!("tempdir") };
        let driver = Self {
            process,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
            profile,
            chromium: tools.chromium.clone(),
        };
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = driver.http.get(format!("{}/status", driver.base)).send().await;
            if let Ok(response) = ready
                && let Ok(body) = response.json::<Value>().await
                && body["value"]["ready"] == json!(true)
            {
                return driver;
            }
            assert!(Instant::now() < deadline, "chromedriver did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A new headless Chromium, `width` × `height` CSS pixels.
    pub async fn session(&self, width: u32, height: u32) -> Session {
        // The flags keep Chromium off the network but for the pages asked
        // for (this machine's network is closed; background fetches would
        // only fail) and out of any profile but a fresh one.
        let args = [
            "--headless".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-quic".to_owned(),
            "--no-first-run".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-extensions".to_owned(),
            format!("--user-data-dir={}", self.profile.path().display()),
            format!("--window-size={width},{height}"),
        ];
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": self.chromium, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
            "timeouts": {"script": 30_000, "pageLoad": 30_000},
        }}});
        let response = self.http.post(format!("{}/session", self.base)).json(&capabilities).send().await;
        let body: Value = match response {
            Ok(response) => response.json().await.unwrap_or(Value::Null),
            Err(error) => panic!("new session: {error}"),
        };
        let Some(id) = body["value"]["sessionId"].as_str() else { panic!("no session: {body}") };
        Session { base: format!("{}/session/{id}", self.base), http: self.http.clone() }
    }
}

/// One browser window (a handle: clones drive the same window).
#[derive(Clone)]
pub struct Session {
    base: String,
    http: reqwest::Client,
}

impl Session {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let body: Value = match request.send().await {
            Ok(response) => response.json().await.unwrap_or(Value::Null),
            Err(error) => panic!("webdriver {path}: {error}"),
        };
        if let Some(error) = body["value"]["error"].as_str() {
            panic!("webdriver {path}: {error}: {}", body["value"]["message"]);
        }
        body["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    /// Runs `script` (a function body; `arguments` are `args`) in the page.
    pub async fn run(&self, script: &str, args: Value) -> Value {
        self.call(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": args}))).await
    }

    /// Runs `script`, which calls `arguments[arguments.length - 1]` with its answer.
    pub async fn run_async(&self, script: &str, args: Value) -> Value {
        self.call(reqwest::Method::POST, "/execute/async", Some(json!({"script": script, "args": args}))).await
    }

    /// Waits until `script` (with `args`) returns something truthy;
    /// returns it.
    pub async fn wait_for(&self, what: &str, script: &str, args: Value) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let value = self.run(script, args.clone()).await;
            let truthy = !matches!(&value, Value::Null | Value::Bool(false)) && value != json!("") && value != json!(0);
            if truthy {
                return value;
            }
            assert!(Instant::now() < deadline, "waited {WAIT:?} for {what}; last: {value}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Presses `keys` one after another, as a keyboard would (each key
    /// down, then up).
    pub async fn press(&self, keys: &[&str]) {
        let mut actions = Vec::new();
        for key in keys {
            actions.push(json!({"type": "keyDown", "value": key}));
            actions.push(json!({"type": "keyUp", "value": key}));
        }
        let body = json!({"actions": [{"type": "key", "id": "keyboard", "actions": actions}]});
        self.call(reqwest::Method::POST, "/actions", Some(body)).await;
    }

    /// Types `text`, a character at a time.
    pub async fn type_text(&self, text: &str) {
        let characters: Vec<String> = text.chars().map(String::from).collect();
        let keys: Vec<&str> = characters.iter().map(String::as_str).collect();
        self.press(&keys).await;
    }

    /// Shift+Tab.
    pub async fn shift_tab(&self) {
        let body = json!({"actions": [{"type": "key", "id": "keyboard", "actions": [
            {"type": "keyDown", "value": SHIFT}, {"type": "keyDown", "value": TAB},
            {"type": "keyUp", "value": TAB}, {"type": "keyUp", "value": SHIFT},
        ]}]});
        self.call(reqwest::Method::POST, "/actions", Some(body)).await;
    }

    /// The console messages since the last call (Chromium's log).
    pub async fn console(&self) -> Vec<Value> {
        let entries = self.call(reqwest::Method::POST, "/se/log", Some(json!({"type": "browser"}))).await;
        entries.as_array().cloned().unwrap_or_default()
    }

    /// A PNG of the window, written to `path`.
    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine as _;
        let encoded = self.call(reqwest::Method::GET, "/screenshot", None).await;
        let Some(encoded) = encoded.as_str() else { panic!("a screenshot") };
        let Ok(png) = base64::engine::general_purpose::STANDARD.decode(encoded) else { panic!("base64") };
        if let Some(folder) = path.parent() {
            let _ = std::fs::create_dir_all(folder);
        }
        if let Err(error) = std::fs::write(path, png) {
            panic!("writing {}: {error}", path.display());
        }
    }

    pub async fn resize(&self, width: u32, height: u32) {
        self.call(reqwest::Method::POST, "/window/rect", Some(json!({"width": width, "height": height}))).await;
    }

    /// Ends the session (and its Chromium).
    pub async fn quit(&self) {
        let _ = self.http.delete(&self.base).send().await;
    }
}
