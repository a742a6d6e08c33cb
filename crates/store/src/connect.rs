//! Opening the database: pragmas, pool, migrations, write transactions.

use std::time::Duration;

use friends_domain::check_ins::CheckInSchedule;
use friends_migrations::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseTransaction, DbBackend, SqliteTransactionMode, Statement,
    TransactionOptions, TransactionTrait,
};

use crate::{Store, StoreError};

/// Longest wait for a database connection, so that an outage is a quick 503.
pub const FAIL_FAST: Duration = Duration::from_millis(1500);

/// How long a SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Key of the PostgreSQL advisory lock that orders change-log appends.
const CHANGE_LOG_LOCK_KEY: i64 = 0x66_7269_656e_6473; // "friends"

/// The database kind behind a [`Store`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Store {
    /// Connects to `database_url` (`sqlite://...` or `postgres://...`),
    /// applies the backend's settings and checks them. Does not migrate.
    #[tracing::instrument(name = "store.connect", skip_all)]
    pub async fn connect(database_url: &str) -> Result<Self, StoreError> {
        let backend = if database_url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if database_url.starts_with("postgres:") || database_url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Setup("DATABASE_URL must start with sqlite: or postgres:".into()));
        };
        let mut options = ConnectOptions::new(database_url.to_owned());
        // sqlx logs every statement at info; statements carry no values, but
        // keep them out of the service's logs unless asked for.
        // Fail fast: while the database is down, a request waits at most
        // this long for a connection and is answered 503 `unavailable`
        // (the pool pings a connection before handing it out, and opens a
        // new one when the database is back).
        options.sqlx_logging(false).connect_timeout(FAIL_FAST).acquire_timeout(FAIL_FAST).test_before_acquire(true);
        match backend {
            Backend::Sqlite => {
                options.max_connections(8).min_connections(1).map_sqlx_sqlite_opts(|sqlite| {
                    sqlite
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full)
                        .busy_timeout(SQLITE_BUSY_TIMEOUT)
                        .foreign_keys(true)
                        .pragma("secure_delete", "ON")
                });
            }
            Backend::Postgres => {
                options.max_connections(16).min_connections(1);
            }
        }
        let db = Database::connect(options).await?;
        let store = Self { db, backend, check_ins: CheckInSchedule::default() };
        if backend == Backend::Sqlite {
            store.check_sqlite_settings().await?;
        }
        Ok(store)
    }

    async fn check_sqlite_settings(&self) -> Result<(), StoreError> {
        // sqlx has been known not to switch a new file to WAL; check rather
        // than trust.
        let journal_mode = self.pragma_text("journal_mode").await?;
        if !journal_mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Setup(format!("SQLite journal_mode is {journal_mode}, expected wal")));
        }
        let secure_delete = self.pragma_text("secure_delete").await?;
        if secure_delete != "1" {
            return Err(StoreError::Setup("SQLite secure_delete is off".into()));
        }
        Ok(())
    }

    /// Reads a SQLite pragma as text (for checks and tests).
    pub async fn pragma_text(&self, name: &str) -> Result<String, StoreError> {
        if !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(StoreError::Setup(format!("not a pragma name: {name}")));
        }
        let row = self
            .db
            .query_one_raw(Statement::from_string(DbBackend::Sqlite, format!("PRAGMA {name}")))
            .await?
            .ok_or_else(|| StoreError::Setup(format!("PRAGMA {name} returned nothing")))?;
        if let Ok(text) = row.try_get_by_index::<String>(0) {
            return Ok(text);
        }
        Ok(row.try_get_by_index::<i64>(0)?.to_string())
    }

    /// Applies every pending migration.
    #[tracing::instrument(name = "store.migrate", skip_all)]
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await?;
        Ok(())
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await?;
        Ok(())
    }

    /// Opens a write transaction. On SQLite it is `BEGIN IMMEDIATE` (the
    /// write lock is taken up front, so a read-then-write cannot fail on a
    /// lock upgrade); on PostgreSQL it takes the change-log advisory lock so
    /// that `seq` order is commit order.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, StoreError> {
        match self.backend {
            Backend::Sqlite => {
                let options = TransactionOptions {
                    sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                    ..TransactionOptions::default()
                };
                Ok(self.db.begin_with_options(options).await?)
            }
            Backend::Postgres => {
                let transaction = self.db.begin().await?;
                transaction
                    .execute_raw(Statement::from_sql_and_values(
                        DbBackend::Postgres,
                        "SELECT pg_advisory_xact_lock($1)",
                        [CHANGE_LOG_LOCK_KEY.into()],
                    ))
                    .await?;
                Ok(transaction)
            }
        }
    }

    /// Moves every committed page out of the SQLite WAL into the database
    /// file and truncates the WAL to zero bytes, so that text erased by the
    /// last commit (zeroed by `secure_delete`) survives in neither file.
    /// Retries while readers hold old snapshots; a no-op on PostgreSQL.
    pub(crate) async fn checkpoint_wal(&self) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        for attempt in 0..200u32 {
            let row = self
                .db
                .query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA wal_checkpoint(TRUNCATE)"))
                .await?
                .ok_or_else(|| StoreError::Setup("wal_checkpoint returned nothing".into()))?;
            let busy: i64 = row.try_get_by_index(0)?;
            if busy == 0 {
                return Ok(());
            }
            tracing::debug!(attempt, "wal checkpoint busy, retrying");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Err(StoreError::Setup("the SQLite WAL could not be checkpointed: readers kept it busy".into()))
    }
}
