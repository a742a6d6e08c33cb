//! `friends`: the Finding Friends service and its operator commands.

use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use friends_api::auth::Role;
use friends_api::config::Settings;
use friends_api::reference::Reference;
use friends_api::startup::Application;
use friends_api::token::{TokenRequest, mint, parse_ttl};
use friends_store::Store;
use uuid::Uuid;

/// mimalloc rather than glibc's allocator, which slowed the many small
/// allocations of building the indexes and of cards once the start-up
/// build had fragmented its heap (BENCHMARKS.md has the runs before and
/// after).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "friends", about = "Finding Friends: brokered introductions for people pooling care budgets")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Member,
    Supporter,
    Broker,
    Admin,
}

#[derive(Subcommand)]
enum Command {
    /// Run the API (settings from FRIENDS_* and DATABASE_URL).
    Serve,
    /// Print a development token signed with the configured secret.
    Token {
        /// The caller's role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The caller's id (a member's person id).
        #[arg(long)]
        sub: Uuid,
        /// Supporters: people they act for.
        #[arg(long, value_delimiter = ',')]
        acts_for: Vec<Uuid>,
        /// Brokers: ONS codes of their authorities.
        #[arg(long, value_delimiter = ',')]
        authorities: Vec<String>,
        /// Lifetime: 90s, 30m, 1h, 7d.
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Rebuild this node's search index from the database (stop the
    /// server using this data folder first; a running one rebuilds its own
    /// with POST /v1/admin/reindex).
    Reindex,
    /// Import people from an NDJSON file: one person a line, each with its
    /// external_ref (as POST /v1/admin/import). Imported people start
    /// hidden.
    Import {
        /// The file (one JSON object a line).
        file: std::path::PathBuf,
        /// The ONS code of the council whose system the file comes from
        /// (its references are unique within it), e.g. E09000033.
        #[arg(long)]
        authority: String,
        /// Check every line and report, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// Write the whole answer (each line's reference and person id,
        /// every rejected line) to this JSON file. The terminal shows line
        /// numbers and reasons only, no references.
        #[arg(long)]
        report: Option<std::path::PathBuf>,
    },
    /// Make an embed key for a council website and print it (shown this
    /// once), with the address of the demo page that uses it.
    EmbedKey {
        /// ONS code of the authority.
        #[arg(long)]
        authority: String,
        /// Allowed origins (`https://www.council.gov.uk`).
        #[arg(long = "origin", required = true)]
        origins: Vec<String>,
        /// What it is for.
        #[arg(long)]
        label: String,
    },
    /// Load a deterministic synthetic population.
    SeedDemo {
        /// How many people.
        #[arg(long)]
        people: u32,
        /// Seed: the same seed gives the same people.
        #[arg(long, default_value_t = friends_api::demo::DEFAULT_SEED)]
        seed: u64,
        /// Planted friendship groups, recorded in planted-groups.json in the
        /// data folder so that suggestion quality can be measured.
        #[arg(long, default_value_t = 0)]
        planted_groups: u32,
        /// Write them to this NDJSON file, each with an external_ref, for
        /// `friends import` (nothing is loaded).
        #[arg(long)]
        to_ndjson: Option<std::path::PathBuf>,
    },
}

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("friends: {error}");
            return ExitCode::from(2);
        }
    };
    friends_api::telemetry::init_subscriber(settings.environment);
    let outcome = match cli.command {
        Command::Serve => serve(settings).await,
        Command::Token { role, sub, acts_for, authorities, ttl } => {
            token(&settings, role, sub, acts_for, authorities, &ttl)
        }
        Command::Migrate => migrate(&settings).await,
        Command::EmbedKey { authority, origins, label } => embed_key(&settings, authority, origins, label).await,
        Command::Reindex => reindex(&settings).await,
        Command::Import { file, authority, dry_run, report } => {
            import(&settings, &file, &authority, dry_run, report.as_deref()).await
        }
        Command::SeedDemo { people, seed, to_ndjson: Some(path), .. } => demo_ndjson(people, seed, &path),
        Command::SeedDemo { people, seed, planted_groups, to_ndjson: None } => {
            seed_demo(&settings, people, seed, planted_groups).await
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!(error = %message, "friends failed");
            eprintln!("friends: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
    let application = Application::build(settings).await.map_err(|error| error.to_string())?;
    application.run_until_stopped().await.map_err(|error| error.to_string())
}

fn token(
    settings: &Settings,
    role: RoleArg,
    sub: Uuid,
    acts_for: Vec<Uuid>,
    authorities: Vec<String>,
    ttl: &str,
) -> Result<(), String> {
    let role = match role {
        RoleArg::Member => Role::Member,
        RoleArg::Supporter => Role::Supporter,
        RoleArg::Broker => Role::Broker,
        RoleArg::Admin => Role::Admin,
    };
    let request = TokenRequest { role, subject: sub, acts_for, authorities, ttl: parse_ttl(ttl)? };
    println!("{}", mint(&settings.jwt, &request)?);
    Ok(())
}

async fn open_store(settings: &Settings) -> Result<Store, String> {
    std::fs::create_dir_all(&settings.data_dir).map_err(|error| error.to_string())?;
    let store = Store::connect(&settings.database_url()).await.map_err(|error| error.to_string())?;
    store.migrate().await.map_err(|error| error.to_string())?;
    Ok(store)
}

async fn embed_key(settings: &Settings, authority: String, origins: Vec<String>, label: String) -> Result<(), String> {
    let store = open_store(settings).await?;
    let reference = friends_api::reference::Reference::load().map_err(|error| error.to_string())?;
    let keys = friends_api::embed::keys::EmbedKeys { store: &store, reference: &reference, now: chrono::Utc::now() };
    let body = serde_json::json!({"authority": authority, "origins": origins, "label": label});
    let key = keys.create_as(Uuid::nil(), body).await.map_err(|error| format!("embed key: {error:?}"))?;
    let text = key.key.unwrap_or_default();
    let mut said = format!("embed key {} for {}: {text}\n", key.id, key.authority);
    if let Some(origin) = key.origins.first() {
        said.push_str(&format!("demo page: {origin}/embed/demo?key={text}\n"));
    }
    say(&said)
}

/// Writes `text` to standard output. A reader that stops early (`| head -n
/// 1`) is not an error: what it read is what it wanted.
fn say(text: &str) -> Result<(), String> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => Err(error.to_string()),
        _ => Ok(()),
    }
}

async fn migrate(settings: &Settings) -> Result<(), String> {
    open_store(settings).await?;
    println!("migrations applied");
    Ok(())
}

async fn reindex(settings: &Settings) -> Result<(), String> {
    let store = open_store(settings).await?;
    let reference = std::sync::Arc::new(Reference::load().map_err(|error| error.to_string())?);
    let folder = settings.data_dir.join("index");
    if folder.exists() {
        // A running server holds the index writer's lock file; refuse rather
        // than pull the index from under it.
        if friends_search::SearchIndex::in_use(&folder) {
            return Err("the search index is in use: stop the server first".into());
        }
        std::fs::remove_dir_all(&folder).map_err(|error| format!("{}: {error}", folder.display()))?;
    }
    let indexes = friends_api::indexes::Indexes::open(
        &store,
        reference,
        &folder,
        settings.introductions.limits().cooldown,
        chrono::Utc::now(),
    )
    .await
    .map_err(|error| error.to_string())?;
    println!("search index rebuilt: {} people findable", indexes.search().len());
    Ok(())
}

async fn import(
    settings: &Settings,
    file: &std::path::Path,
    authority: &str,
    dry_run: bool,
    report: Option<&std::path::Path>,
) -> Result<(), String> {
    use friends_api::imports::{Importer, Line, LineSplitter, MAX_IMPORT_BYTES};
    use std::io::{IsTerminal, Read};
    let mut reader = std::fs::File::open(file).map_err(|error| format!("{}: {error}", file.display()))?;
    let size = reader.metadata().map(|metadata| metadata.len()).unwrap_or(0);
    if size > MAX_IMPORT_BYTES as u64 {
        return Err(format!("{} is over {MAX_IMPORT_BYTES} bytes: split it (an import is idempotent)", file.display()));
    }
    let store = open_store(settings).await?;
    let reference = Reference::load().map_err(|error| error.to_string())?;
    let mut importer = Importer::new(&store, None, &reference, authority, chrono::Utc::now(), dry_run)
        .map_err(|error| format!("--authority: {error}"))?;
    let progress = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(size);
        if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {msg}") {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut splitter = LineSplitter::default();
    let mut chunk = vec![0_u8; 256 * 1024];
    let failed = |error: friends_api::errors::ApiError| format!("import stopped: {error}");
    loop {
        let read = reader.read(&mut chunk).map_err(|error| format!("{}: {error}", file.display()))?;
        if read == 0 {
            break;
        }
        for line in splitter.push(&chunk[..read]) {
            match line {
                Line::Text(number, bytes) => importer.line(number, &bytes).await.map_err(failed)?,
                Line::TooLong(number) => importer.too_long(number),
            }
        }
        progress.inc(read as u64);
        let so_far = importer.summary();
        progress.set_message(format!(
            "{} new, {} changed, {} rejected",
            so_far.created, so_far.updated, so_far.rejected_total
        ));
    }
    match splitter.finish() {
        Some(Line::Text(number, bytes)) => importer.line(number, &bytes).await.map_err(failed)?,
        Some(Line::TooLong(number)) => importer.too_long(number),
        None => {}
    }
    let summary = importer.finish().await.map_err(failed)?;
    progress.finish_and_clear();
    // Line numbers and reasons only: a terminal's output may end up in a
    // log, and references identify people to the council.
    for rejected in &summary.rejected {
        let codes: Vec<String> =
            rejected.errors.iter().map(|error| format!("{} {}", error.field, error.code.as_str())).collect();
        eprintln!("line {}: {}", rejected.line, codes.join("; "));
    }
    if let Some(path) = report {
        let json = serde_json::to_vec_pretty(&summary).map_err(|error| error.to_string())?;
        std::fs::write(path, json).map_err(|error| format!("{}: {error}", path.display()))?;
    }
    say(&format!(
        "{}created {}, updated {}, unchanged {}, rejected {}\n",
        if dry_run { "dry run, nothing written: " } else { "" },
        summary.created,
        summary.updated,
        summary.unchanged,
        summary.rejected_total
    ))
}

fn demo_ndjson(people: u32, seed: u64, path: &std::path::Path) -> Result<(), String> {
    use std::io::Write;
    let reference = Reference::load().map_err(|error| error.to_string())?;
    let file = std::fs::File::create(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let written = friends_api::demo::write_ndjson(&reference, people, seed, &mut out)
        .and_then(|()| out.flush())
        .map_err(|error| format!("{}: {error}", path.display()));
    written?;
    say(&format!("wrote {people} demo people to {} (seed {seed})\n", path.display()))
}

async fn seed_demo(settings: &Settings, people: u32, seed: u64, planted_groups: u32) -> Result<(), String> {
    let store = open_store(settings).await?;
    let reference = Reference::load().map_err(|error| error.to_string())?;
    let groups = friends_api::demo::seed(&store, &reference, people, seed, planted_groups)
        .await
        .map_err(|error| error.to_string())?;
    if planted_groups > 0 {
        let path = settings.data_dir.join("planted-groups.json");
        let json = serde_json::json!({"seed": seed, "groups": groups});
        std::fs::write(&path, json.to_string()).map_err(|error| format!("{}: {error}", path.display()))?;
        println!("planted {planted_groups} groups, recorded in {}", path.display());
    }
    println!("loaded {people} demo people (seed {seed})");
    Ok(())
}
