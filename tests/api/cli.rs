//! The real `friends` binary: production safety, tokens, migrations, demo
//! data.

use std::process::Command;

use reqwest::Method;

use crate::helpers::*;

fn friends() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_friends"));
    for (name, _) in std::env::vars() {
        if name.starts_with("FRIENDS_") || name == "DATABASE_URL" {
            command.env_remove(name);
        }
    }
    // Tests run side by side: none may take the default metrics port.
    command.env("FRIENDS_METRICS_LISTEN", "");
    command
}

/// Runs `friends ARGS` on `data_dir`: (success, stdout, stderr).
fn run_in(data_dir: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let Ok(output) = friends().args(args).env("FRIENDS_DATA_DIR", data_dir).output() else {
        panic!("cannot run friends")
    };
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

fn refuses(command: &mut Command, needle: &str) {
    let Ok(output) = command.output() else { panic!("cannot run friends") };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "must refuse to start: {stderr}");
    assert!(stderr.contains(needle), "the refusal says why ({needle}): {stderr}");
}

#[test]
fn production_refuses_weak_or_missing_secrets_and_claims() {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("{error}"),
    };
    let data = dir.path().to_string_lossy().into_owned();
    let strong = "a-production-secret-of-at-least-32-bytes!";
    let base = |command: &mut Command| {
        command
            .arg("serve")
            .env("FRIENDS_ENV", "production")
            .env("FRIENDS_DATA_DIR", &data)
            .env("FRIENDS_LISTEN", "127.0.0.1:0");
    };
    let mut dev_secret = friends();
    base(&mut dev_secret);
    dev_secret
        .env("FRIENDS_JWT_SECRET", friends_api::config::DEVELOPMENT_JWT_SECRET)
        .env("FRIENDS_JWT_ISSUER", "council-idp")
        .env("FRIENDS_JWT_AUDIENCE", "friends-api");
    refuses(&mut dev_secret, "development secret");

    let mut short = friends();
    base(&mut short);
    short
        .env("FRIENDS_JWT_SECRET", "short")
        .env("FRIENDS_JWT_ISSUER", "council-idp")
        .env("FRIENDS_JWT_AUDIENCE", "friends-api");
    refuses(&mut short, "at least 32 bytes");

    let mut no_issuer = friends();
    base(&mut no_issuer);
    no_issuer.env("FRIENDS_JWT_SECRET", strong).env("FRIENDS_JWT_AUDIENCE", "friends-api");
    refuses(&mut no_issuer, "FRIENDS_JWT_ISSUER");

    let mut no_audience = friends();
    base(&mut no_audience);
    no_audience.env("FRIENDS_JWT_SECRET", strong).env("FRIENDS_JWT_ISSUER", "council-idp");
    refuses(&mut no_audience, "FRIENDS_JWT_AUDIENCE");

    let mut no_key = friends();
    base(&mut no_key);
    no_key.env("FRIENDS_JWT_ISSUER", "council-idp").env("FRIENDS_JWT_AUDIENCE", "friends-api");
    refuses(&mut no_key, "FRIENDS_JWT_SECRET");
}

#[tokio::test]
async fn a_token_from_the_cli_is_accepted_by_an_app_with_the_same_settings() {
    let app = spawn_app().await;
    let (id, _) = app.member_in("TW9").await;
    let Ok(output) = friends()
        .args(["token", "--role", "member", "--sub", &id.to_string(), "--ttl", "5m"])
        .env("FRIENDS_JWT_SECRET", TEST_SECRET)
        .env("FRIENDS_JWT_ISSUER", TEST_ISSUER)
        .env("FRIENDS_JWT_AUDIENCE", TEST_AUDIENCE)
        .output()
    else {
        panic!("cannot run friends token")
    };
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let token = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    let response = app.send(Method::GET, &format!("/v1/people/{id}"), Some(&token), None, None).await;
    assert_eq!(response.status(), 200);
}

#[test]
fn migrate_and_seed_demo_fill_a_fresh_sqlite_database() {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("{error}"),
    };
    let run = |args: &[&str]| {
        let (ok, stdout, stderr) = run_in(dir.path(), args);
        assert!(ok, "{args:?}: {stderr}");
        stdout
    };
    assert!(run(&["migrate"]).contains("migrations applied"));
    assert!(run(&["seed-demo", "--people", "120", "--seed", "7"]).contains("loaded 120"));
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { panic!("runtime") };
    runtime.block_on(async {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("friends.db").display());
        let Ok(store) = friends_store::Store::connect(&url).await else { panic!("connect") };
        assert_eq!(store.count_people().await.ok(), Some(120));
        assert_eq!(store.last_change_seq().await.ok(), Some(120), "each demo person has its change-log row");
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reindex_rebuilds_the_search_index_and_refuses_while_a_server_runs() {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("{error}"),
    };
    let run = |args: &[&str]| run_in(dir.path(), args);
    assert!(run(&["seed-demo", "--people", "60", "--seed", "3"]).0);
    let (ok, stdout, stderr) = run(&["reindex"]);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("search index rebuilt"), "{stdout}");
    assert!(dir.path().join("index").join("meta.json").exists());

    let mut server = crate::crash::start(dir.path(), None);
    let (ok, _, stderr) = run(&["reindex"]);
    let _ = server.child.kill();
    let _ = server.child.wait();
    assert!(!ok && stderr.contains("stop the server first"), "{stderr}");
}

#[test]
fn import_from_the_command_line_reports_and_is_idempotent() {
    let Ok(data) = tempfile::tempdir() else { panic!("tempdir") };
    let file = data.path().join("people.ndjson");
    let mut good = sample_person();
    good["external_ref"] = serde_json::json!("CLI-1");
    let mut other = sample_person();
    other["external_ref"] = serde_json::json!("CLI-2");
    let text = format!("{good}\nnot json at all\n{other}\n");
    if let Err(error) = std::fs::write(&file, text) {
        panic!("{error}");
    }
    let path = file.to_string_lossy().into_owned();
    let from = ["--authority", "E09000027"];
    let (ok, out, err) = run_in(data.path(), &["import", &path, from[0], from[1], "--dry-run"]);
    assert!(ok, "{err}");
    assert!(out.contains("dry run, nothing written: created 2, updated 0, unchanged 0, rejected 1"), "{out}");
    assert!(err.contains("line 2:  invalid_line"), "each bad line by number: {err}");
    let report = data.path().join("report.json");
    let report_path = report.to_string_lossy().into_owned();
    let (ok, out, err) = run_in(data.path(), &["import", &path, from[0], from[1], "--report", &report_path]);
    assert!(ok, "{err}");
    assert!(out.contains("created 2, updated 0, unchanged 0, rejected 1"), "{out}");
    assert!(!err.contains("CLI-") && !out.contains("CLI-"), "no reference on the terminal: {err}");
    let Ok(text) = std::fs::read_to_string(&report) else { panic!("the report is written") };
    let Ok(summary) = serde_json::from_str::<serde_json::Value>(&text) else { panic!("the report is JSON: {text}") };
    assert_eq!(summary["people"][1]["external_ref"], "CLI-2", "{summary}");
    assert!(summary["people"][1]["person_id"].as_str().is_some_and(|id| id.len() == 36), "{summary}");
    let (ok, out, err) = run_in(data.path(), &["import", &path, from[0], from[1]]);
    assert!(ok, "{err}");
    assert!(out.contains("created 0, updated 0, unchanged 2, rejected 1"), "the same file again: {out}");
    let (ok, _, err) = run_in(data.path(), &["import", &path, "--authority", "nowhere"]);
    assert!(!ok && err.contains("--authority"), "{err}");
    let (ok, _, err) = run_in(data.path(), &["import", "/nonexistent/people.ndjson", from[0], from[1]]);
    assert!(!ok && err.contains("people.ndjson"), "{err}");
}
