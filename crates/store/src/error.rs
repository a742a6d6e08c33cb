//! Store errors.

/// What can go wrong in the store. Callers map each case to a response; the
/// `Database` cause is logged once by the API and never returned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No such row.
    #[error("not found")]
    NotFound,
    /// A row with this id already exists.
    #[error("already exists")]
    AlreadyExists,
    /// The row changed since the caller read it.
    #[error("version conflict (current version {current})")]
    VersionConflict {
        /// The version now stored.
        current: i64,
    },
    /// A stored row does not decode: a bug or a hand edit.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// The database is in a state the service cannot run on.
    #[error("unsupported database setup: {0}")]
    Setup(String),
    /// The database cannot be reached (down, restarting, the network): a
    /// retry later may succeed. Nothing was written.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database's disk is full. Nothing was written.
    #[error("database storage is full")]
    StorageFull,
    /// The database failed.
    #[error(transparent)]
    Database(sea_orm::DbErr),
}

impl From<sea_orm::DbErr> for StoreError {
    fn from(error: sea_orm::DbErr) -> Self {
        classify(error)
    }
}

/// SQLite's `SQLITE_FULL` (primary code 13; extended codes keep it in the
/// low byte) and PostgreSQL's `disk_full` (53100).
fn is_storage_full(code: &str) -> bool {
    code == "53100" || code.parse::<i64>().is_ok_and(|code| code & 0xff == 13)
}

/// PostgreSQL's connection exceptions (class 08) and the shutdown family
/// (57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now).
fn is_unavailable(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
}

fn classify(error: sea_orm::DbErr) -> StoreError {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    let sqlx = match &error {
        DbErr::ConnectionAcquire(_) => return StoreError::Unavailable(error.to_string()),
        DbErr::Conn(RuntimeErr::SqlxError(sqlx))
        | DbErr::Exec(RuntimeErr::SqlxError(sqlx))
        | DbErr::Query(RuntimeErr::SqlxError(sqlx)) => sqlx.as_ref(),
        DbErr::Conn(_) => return StoreError::Unavailable(error.to_string()),
        _ => return StoreError::Database(error),
    };
    match sqlx {
        Sqlx::Io(_)
        | Sqlx::Tls(_)
        | Sqlx::PoolTimedOut
        | Sqlx::PoolClosed
        | Sqlx::WorkerCrashed
        | Sqlx::Protocol(_) => StoreError::Unavailable(error.to_string()),
        Sqlx::Database(database) => match database.code() {
            Some(code) if is_storage_full(&code) => StoreError::StorageFull,
            Some(code) if is_unavailable(&code) => StoreError::Unavailable(error.to_string()),
            _ => StoreError::Database(error),
        },
        _ => StoreError::Database(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_classified() {
        assert!(is_storage_full("13") && is_storage_full("53100") && is_storage_full(&(13 | (1 << 8)).to_string()));
        assert!(!is_storage_full("19") && !is_storage_full("2067") && !is_storage_full("23505"));
        assert!(is_unavailable("08006") && is_unavailable("57P01") && !is_unavailable("23505"));
    }
}
