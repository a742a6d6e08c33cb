//! Building and running the application: used by `friends serve` and by the
//! black-box tests alike.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use friends_store::Store;

use crate::auth::TokenVerifier;
use crate::clock::Clock;
use crate::config::Settings;
use crate::errors::{path_error, problem_for_bare_errors, query_error};
use crate::indexes::Indexes;
use crate::reference::Reference;
use crate::state::AppState;
use crate::telemetry::request_context;

pub use crate::body::JSON_BODY_LIMIT;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Settings.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// Keys.
    #[error(transparent)]
    Keys(#[from] crate::auth::KeyError),
    /// Shipped data.
    #[error(transparent)]
    Reference(#[from] crate::reference::ReferenceError),
    /// Database.
    #[error("database: {0}")]
    Store(#[from] friends_store::StoreError),
    /// Indexes.
    #[error("indexes: {0}")]
    Indexes(#[from] crate::indexes::IndexesError),
    /// Files and sockets.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A built, bound, not yet running application.
pub struct Application {
    port: u16,
    server: Server,
    /// The ops listener's port and server, when one is set.
    ops: Option<(u16, Server)>,
    /// The metrics listener's port and server, when one is set.
    metrics: Option<(u16, Server)>,
    handle: AppHandle,
}

/// What a running application lets its owner (tests, operators' tools) do
/// besides HTTP.
#[derive(Debug, Clone)]
pub struct AppHandle {
    state: Arc<AppState>,
    verifier: Arc<TokenVerifier>,
}

impl AppHandle {
    /// Runs the expiry task once, now (it also runs on its own every
    /// `expiry_interval`); returns how many requests expired.
    pub async fn expire_due(&self) -> Result<usize, crate::errors::ApiError> {
        self.state.introductions().expire_due().await
    }

    /// Clears, now, the details of enquiries past their time (the expiry
    /// job also does, every `expiry_interval`); returns how many.
    pub async fn lapse_enquiries(&self) -> Result<usize, crate::errors::ApiError> {
        crate::jobs::lapse_enquiries(&self.state).await
    }

    /// Runs the check-ins job once, now (it also runs on its own every
    /// [`crate::jobs::CHECK_IN_INTERVAL`]): opens those due, and sends
    /// those unanswered for 14 days to the brokers.
    pub async fn advance_check_ins(&self) -> Result<friends_store::CheckInsAdvanced, crate::errors::ApiError> {
        self.state.check_ins().advance().await
    }

    /// Reads or fetches the token keys now (the keys job also does, when
    /// the file changes or the URL's refresh is due); the old set stays if
    /// that fails.
    pub async fn refresh_keys(&self) -> Result<(), crate::auth::KeyError> {
        self.verifier.refresh_now().await
    }

    /// The `kid`s trusted now.
    pub fn trusted_kids(&self) -> Vec<String> {
        self.verifier.kids()
    }

    /// The application's clock.
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }
}

/// The metrics listener: `GET /metrics` and nothing else, one worker.
fn metrics_server(address: &str, state: web::Data<AppState>) -> Result<(u16, Server), StartupError> {
    let listener = TcpListener::bind(address)?;
    let port = listener.local_addr()?.port();
    let handle = crate::metrics::install().ok_or_else(|| {
        std::io::Error::other("the metrics recorder could not be installed (another recorder is in place)")
    })?;
    crate::jobs::spawn_every("metrics-upkeep", crate::jobs::METRICS_UPKEEP_INTERVAL, || async {
        crate::metrics::upkeep();
        Ok::<(), std::convert::Infallible>(())
    });
    let handle = web::Data::new(handle);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(handle.clone())
            .route("/metrics", web::get().to(crate::scrape::scrape))
    })
    .workers(1)
    .listen(listener)?
    .run();
    tracing::info!(port, "metrics listener");
    Ok((port, server))
}

impl Application {
    /// Opens the database (migrating it), loads the reference data and demo
    /// people if asked, and binds the listener.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        settings.validate()?;
        crate::telemetry::install_panic_hook();
        std::fs::create_dir_all(&settings.data_dir)?;
        let verifier = web::Data::new(TokenVerifier::from_settings(&settings.jwt).await?);
        let reference = Arc::new(Reference::load()?);
        let store =
            Store::connect(&settings.database_url()).await?.with_check_in_schedule(settings.check_in_after.clone());
        store.migrate().await?;
        let scheduled = store.schedule_missing_check_ins(settings.clock.now()).await?;
        if scheduled > 0 {
            tracing::info!(scheduled, "first check-ins scheduled for members introduced before check-ins");
        }
        if let Some(count) = settings.demo_people {
            crate::demo::seed_if_empty(&store, &reference, count, crate::demo::DEFAULT_SEED).await?;
        }
        let clock = settings.clock.clone();
        let cooldown = settings.introductions.limits().cooldown;
        let folder = settings.data_dir.join("index");
        let faults = settings.search_write_faults.clone();
        let indexes = Arc::new(
            Indexes::open_with_faults(&store, reference.clone(), &folder, cooldown, clock.now(), faults).await?,
        );
        let state = web::Data::new(AppState {
            store,
            reference,
            indexes,
            introduction_settings: settings.introductions,
            clock,
            cursor_key: crate::cursor::CursorKey::from_settings(&settings.jwt),
            public_limits: crate::embed::limits::PublicLimits::new(settings.public),
            caller_limits: Arc::new(crate::rate_limits::CallerLimits::new(settings.callers)),
        });
        crate::jobs::start(&state.clone().into_inner(), settings.introductions.expiry_interval);
        let keys = verifier.clone();
        crate::jobs::spawn_every("keys", crate::auth::KEYS_TICK, move || {
            let keys = keys.clone();
            async move { keys.tick().await }
        });
        let handle = AppHandle { state: state.clone().into_inner(), verifier: verifier.clone().into_inner() };
        let listener = TcpListener::bind(&settings.listen)?;
        let port = listener.local_addr()?.port();
        let workers = settings.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
        let ops = match &settings.ops_listen {
            None => None,
            Some(address) => {
                let listener = TcpListener::bind(address)?;
                let ops_port = listener.local_addr()?.port();
                let state = state.clone();
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(state.clone())
                        .configure(crate::routes::configure_ops)
                        .wrap(from_fn(problem_for_bare_errors))
                        .wrap(from_fn(crate::limits::limit_request_head))
                        .wrap(from_fn(request_context))
                })
                .workers(1)
                .listen(listener)?
                .run();
                tracing::info!(port = ops_port, "ops listener");
                Some((ops_port, server))
            }
        };
        let metrics = match &settings.metrics_listen {
            None => None,
            Some(address) => Some(metrics_server(address, state.clone())?),
        };
        // The extractor counts callers against these without the state.
        let caller_limits = web::Data::from(state.caller_limits.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(verifier.clone())
                .app_data(caller_limits.clone())
                .app_data(web::PayloadConfig::new(JSON_BODY_LIMIT))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .configure(crate::routes::configure)
                .wrap(from_fn(problem_for_bare_errors))
                .wrap(from_fn(crate::limits::limit_request_head))
                .wrap(from_fn(request_context))
        })
        .workers(workers)
        .listen(listener)?
        .run();
        tracing::info!(port, workers, "listening");
        Ok(Self { port, server, ops, metrics, handle })
    }

    /// A handle for work besides HTTP.
    pub fn handle(&self) -> AppHandle {
        self.handle.clone()
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The ops listener's port, when one is set.
    pub fn ops_port(&self) -> Option<u16> {
        self.ops.as_ref().map(|(port, _)| *port)
    }

    /// The metrics listener's port, when one is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    /// Serves until SIGINT/SIGTERM or the server is stopped (the ops and
    /// metrics listeners stop with the main one).
    pub async fn run_until_stopped(self) -> Result<(), std::io::Error> {
        let mut others = Vec::new();
        for (_, server) in self.ops.into_iter().chain(self.metrics) {
            others.push((server.handle(), tokio::spawn(server)));
        }
        let served = self.server.await;
        for (handle, task) in others {
            handle.stop(true).await;
            let _ = task.await;
        }
        served
    }
}
