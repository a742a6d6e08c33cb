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
    /// The database failed.
    #[error(transparent)]
    Database(#[from] sea_orm::DbErr),
}
