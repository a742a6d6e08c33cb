//! Crash safety of the real binary: SIGKILL in the middle of a stream of
//! acknowledged writes, then a restart (as is, with the index folder
//! deleted, with its files truncated) must find every acknowledged write
//! searchable and serve no erased person.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use friends_api::auth::Role;
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::helpers::*;

pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) address: String,
}

impl Drop for Server {
    /// A test that fails half way must not leave a server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `friends serve` on `data_dir` (and `database_url`, if given) and
/// waits for its "listening" line.
pub(crate) fn start(data_dir: &Path, database_url: Option<&str>) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_friends"));
    command
        .arg("serve")
        .env("FRIENDS_DATA_DIR", data_dir)
        .env("FRIENDS_LISTEN", "127.0.0.1:0")
        .env("FRIENDS_METRICS_LISTEN", "127.0.0.1:0")
        .env("FRIENDS_JWT_SECRET", TEST_SECRET)
        .env("FRIENDS_JWT_ISSUER", TEST_ISSUER)
        .env("FRIENDS_JWT_AUDIENCE", TEST_AUDIENCE)
        .env("RUST_LOG", "info")
        .env_remove("FRIENDS_ENV")
        .env_remove("FRIENDS_DEMO_PEOPLE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    match database_url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    let Ok(mut child) = command.spawn() else { panic!("cannot start friends serve") };
    let Some(stderr) = child.stderr.take() else { panic!("no stderr") };
    let (sender, receiver) = std::sync::mpsc::channel::<u16>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("listening")
                && let Some(port) = line.split("port=").nth(1).and_then(|rest| rest.split_whitespace().next())
                && let Ok(port) = port.parse::<u16>()
            {
                let _ = sender.send(port);
            }
        }
    });
    match receiver.recv_timeout(Duration::from_secs(60)) {
        Ok(port) => Server { child, address: format!("http://127.0.0.1:{port}") },
        Err(_) => {
            let _ = child.kill();
            panic!("friends serve did not start listening within 60 s")
        }
    }
}

pub(crate) fn token(role: Role, subject: Uuid) -> String {
    let settings = friends_api::config::JwtSettings {
        secret: Some(friends_api::config::Secret::new(TEST_SECRET)),
        issuer: TEST_ISSUER.into(),
        audience: TEST_AUDIENCE.into(),
        jwks_file: None,
        jwks_url: None,
        jwks_refresh: friends_api::config::DEFAULT_JWKS_REFRESH,
    };
    let request = friends_api::token::TokenRequest {
        role,
        subject,
        acts_for: vec![],
        authorities: vec![],
        ttl: Duration::from_secs(600),
    };
    friends_api::token::mint(&settings, &request).unwrap_or_default()
}

fn body(word: &str) -> Value {
    json!({
        "display_name": "Crash test", "about": format!("Word {word}"), "birth_year": 1990,
        "outcode": "TW9", "travel_km": 10, "interests": ["cooking"], "communication": ["spoken_english"]
    })
}

#[derive(Default)]
struct Acknowledged {
    created: Vec<(Uuid, String)>,
    erased: Vec<Uuid>,
    /// Erasures sent but never answered: the server may have died before or
    /// after committing them, so either outcome is correct, as long as the
    /// person is then either everywhere or nowhere.
    erase_unanswered: Vec<Uuid>,
}

/// Writes until the server dies: creates, and erases every third person
/// created. Only answers the server gave are recorded.
async fn write_until_killed(address: String, acknowledged: Arc<Mutex<Acknowledged>>, count: Arc<AtomicUsize>) {
    let client = reqwest::Client::new();
    for n in 0.. {
        let id = Uuid::new_v4();
        let word = format!("crashword{n}z");
        let request =
            client.post(format!("{address}/v1/people")).bearer_auth(token(Role::Member, id)).json(&body(&word));
        match request.send().await {
            Ok(response) if response.status() == 201 => acknowledged.lock().await.created.push((id, word)),
            Ok(response) => panic!("create answered {}", response.status()),
            Err(_) => return,
        }
        count.fetch_add(1, Ordering::SeqCst);
        if n % 3 == 2 {
            let request = client.delete(format!("{address}/v1/people/{id}")).bearer_auth(token(Role::Member, id));
            match request.send().await {
                Ok(response) if response.status() == 204 => acknowledged.lock().await.erased.push(id),
                Ok(response) => {
                    let status = response.status();
                    panic!("erase answered {status}: {}", response.text().await.unwrap_or_default())
                }
                Err(_) => {
                    acknowledged.lock().await.erase_unanswered.push(id);
                    return;
                }
            }
        }
    }
}

async fn check(address: &str, seeker: (Uuid, &str), acknowledged: &Acknowledged) {
    let client = reqwest::Client::new();
    let admin = token(Role::Admin, Uuid::new_v4());
    for (id, word) in &acknowledged.created {
        let erased = acknowledged.erased.contains(id);
        let Ok(response) =
            client.get(format!("{address}/v1/search?q={word}&limit=50")).bearer_auth(&admin).send().await
        else {
            panic!("search failed")
        };
        let status = response.status();
        let page: Value = response.json().await.unwrap_or_default();
        assert_eq!(status, 200, "search for {word}: {page}");
        let hits: Vec<&str> = page["items"]
            .as_array()
            .map(|items| items.iter().filter_map(|c| c["person_id"].as_str()).collect())
            .unwrap_or_default();
        let found = hits.contains(&id.to_string().as_str());
        let Ok(read) = client.get(format!("{address}/v1/people/{id}")).bearer_auth(&admin).send().await else {
            panic!("read failed")
        };
        let present = read.status() == 200;
        if acknowledged.erase_unanswered.contains(id) {
            assert_eq!(found, present, "{id} ({word}): search and the database disagree after an unanswered erase");
            continue;
        }
        let acknowledged_as = if erased { "erased" } else { "created" };
        assert_eq!(found, !erased, "{id} ({word}): acknowledged {acknowledged_as} but found={found}; hits {hits:?}");
        assert_eq!(
            present,
            !erased,
            "{id}: acknowledged {acknowledged_as} but the profile read says {}",
            read.status()
        );
    }
    let Ok(response) =
        client.get(format!("{address}/v1/people/{}/suggestions?limit=50", seeker.0)).bearer_auth(seeker.1).send().await
    else {
        panic!("suggestions failed")
    };
    let page: Value = response.json().await.unwrap_or_default();
    for card in page["items"].as_array().cloned().unwrap_or_default() {
        let id = card["person_id"].as_str().and_then(|id| Uuid::parse_str(id).ok()).unwrap_or_default();
        assert!(!acknowledged.erased.contains(&id), "an erased person was suggested after the restart");
    }
}

enum Damage {
    None,
    DeleteIndex,
    TruncateIndex,
    /// Another node writes (creates and erasures) while this one is down,
    /// so this node's index is behind and must replay what it missed.
    WritesWhileDown,
}

/// Runs writers against `server` until `target` more writes are
/// acknowledged, then kills it.
async fn stream_then_kill(server: &mut Server, acknowledged: &Arc<Mutex<Acknowledged>>, target: usize) {
    let count = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..3)
        .map(|_| tokio::spawn(write_until_killed(server.address.clone(), acknowledged.clone(), count.clone())))
        .collect();
    // Kill once enough writes were acknowledged, while the writers go on.
    while count.load(Ordering::SeqCst) < target {
        tokio::task::yield_now().await;
    }
    if let Err(error) = server.child.kill() {
        panic!("SIGKILL failed: {error}");
    }
    let _ = server.child.wait();
    for writer in writers {
        let _ = writer.await;
    }
}

async fn kill_and_restart(damage: Damage) {
    init_logs();
    let Ok(data_dir) = tempfile::tempdir() else { panic!("tempdir") };
    let database_url = match postgres_base_url() {
        Some(base) => Some(fresh_postgres_database(&base).await),
        None => None,
    };
    let mut server = start(data_dir.path(), database_url.as_deref());
    let seeker_id = Uuid::new_v4();
    let seeker_token = token(Role::Member, seeker_id);
    let created = reqwest::Client::new()
        .post(format!("{}/v1/people", server.address))
        .bearer_auth(&seeker_token)
        .json(&body("seeker"))
        .send()
        .await;
    assert!(created.is_ok_and(|response| response.status() == 201));

    let acknowledged = Arc::new(Mutex::new(Acknowledged::default()));
    stream_then_kill(&mut server, &acknowledged, 30).await;

    let index = data_dir.path().join("index");
    match damage {
        Damage::None => {}
        Damage::DeleteIndex => {
            let _ = std::fs::remove_dir_all(&index);
        }
        Damage::TruncateIndex => {
            for entry in std::fs::read_dir(&index).into_iter().flatten().flatten() {
                let _ = std::fs::OpenOptions::new().write(true).open(entry.path()).and_then(|file| file.set_len(0));
            }
        }
        Damage::WritesWhileDown => {
            let Ok(other_dir) = tempfile::tempdir() else { panic!("tempdir") };
            let shared = database_url
                .clone()
                .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.path().join("friends.db").display()));
            let mut other = start(other_dir.path(), Some(&shared));
            stream_then_kill(&mut other, &acknowledged, 15).await;
        }
    }
    let mut restarted = start(data_dir.path(), database_url.as_deref());
    let acknowledged = acknowledged.lock().await;
    assert!(acknowledged.created.len() >= 30 && !acknowledged.erased.is_empty());
    check(&restarted.address, (seeker_id, &seeker_token), &acknowledged).await;
    let _ = restarted.child.kill();
    let _ = restarted.child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_stream_loses_no_acknowledged_write_and_serves_no_erased_person() {
    kill_and_restart(Damage::None).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_index_folder_is_rebuilt_from_the_database() {
    kill_and_restart(Damage::DeleteIndex).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_index_is_detected_and_rebuilt() {
    kill_and_restart(Damage::TruncateIndex).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_index_left_behind_replays_what_another_node_wrote() {
    kill_and_restart(Damage::WritesWhileDown).await;
}
