//! The index's directory: tantivy's `MmapDirectory` without the syncs, and
//! with the fault switch of the fault tests.
//!
//! The search index is derived (DESIGN §2): the database holds the truth,
//! and each index commit records the change-log position it reflects. So
//! an index write need not be on the disk before the write it follows is
//! acknowledged, and this directory does not `fsync` (tantivy's own makes
//! about ten syncs a commit: every new file, `meta.json`, the folder).
//! What that risks, and why it is safe:
//!
//! - **A crash of the process** (kill -9) loses nothing: what was written
//!   is in the kernel's page cache and reaches the disk anyway.
//! - **A power loss** may lose the last commits (the index opens behind,
//!   and the missed changes are replayed from the change log) or leave a
//!   file torn; `SearchIndex::open` checks every segment file's checksum and
//!   rebuilds a damaged index from the database.
//! - **Erasure** must not come back: a batch with an erasure syncs the
//!   folder ([`IndexDirectory::sync_folder`]) after rewriting the segments
//!   that held the person, before it commits its position, so that the
//!   removal of their files is on the disk when the erasure answers (and a
//!   failure in between replays the batch). A rebuild syncs it too.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    AntiCallToken, Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, TerminatingWrite, WatchCallback,
    WatchHandle, WritePtr,
};

use crate::faults::WriteFaults;

/// Names of the temporary files of atomic writes start so.
const TEMPORARY_PREFIX: &str = ".friends-atomic-";

fn disk_full() -> io::Error {
    io::Error::from_raw_os_error(28)
}

/// An [`MmapDirectory`] that does not sync, and whose writes fail while its
/// [`WriteFaults`] (if any) say so.
#[derive(Debug, Clone)]
pub(crate) struct IndexDirectory {
    inner: MmapDirectory,
    root: PathBuf,
    faults: Option<WriteFaults>,
    temporaries: Arc<AtomicU64>,
}

impl IndexDirectory {
    /// Opens `folder` (which must exist).
    pub(crate) fn open(folder: &Path, faults: Option<WriteFaults>) -> Result<Self, tantivy::TantivyError> {
        let inner = MmapDirectory::open(folder)?;
        Ok(Self { inner, root: folder.to_path_buf(), faults, temporaries: Arc::default() })
    }

    /// Removes what interrupted atomic writes left in `folder` (call it
    /// holding the index's writer lock: another process's may be live).
    pub(crate) fn remove_leftovers(folder: &Path) {
        if let Ok(entries) = std::fs::read_dir(folder) {
            for entry in entries.flatten() {
                if entry.file_name().to_string_lossy().starts_with(TEMPORARY_PREFIX) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }

    fn failing(&self) -> bool {
        self.faults.as_ref().is_some_and(WriteFaults::failing)
    }

    /// Makes the entries of `folder` durable now: files created, renamed
    /// and removed so far (not their contents).
    pub(crate) fn sync_folder(folder: &Path) -> io::Result<()> {
        File::open(folder)?.sync_all()
    }
}

/// A new file of the index, written through the page cache.
struct UnsyncedFile(File);

impl Write for UnsyncedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl TerminatingWrite for UnsyncedFile {
    fn terminate_ref(&mut self, _: AntiCallToken) -> io::Result<()> {
        self.0.flush()
    }
}

impl Directory for IndexDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.inner.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        if self.failing() {
            return Err(OpenWriteError::IoError { io_error: Arc::new(disk_full()), filepath: PathBuf::from(path) });
        }
        let file = OpenOptions::new().write(true).create_new(true).open(self.root.join(path)).map_err(|error| {
            if error.kind() == io::ErrorKind::AlreadyExists {
                OpenWriteError::FileAlreadyExists(path.to_path_buf())
            } else {
                OpenWriteError::wrap_io_error(error, path.to_path_buf())
            }
        })?;
        Ok(BufWriter::new(Box::new(UnsyncedFile(file))))
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    /// Write beside, then rename over: readers see the old content or the
    /// new, never a part.
    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        if self.failing() {
            return Err(disk_full());
        }
        let number = self.temporaries.fetch_add(1, Ordering::Relaxed);
        let temporary = self.root.join(format!("{TEMPORARY_PREFIX}{}-{number}", std::process::id()));
        let written = std::fs::write(&temporary, data).and_then(|()| std::fs::rename(&temporary, self.root.join(path)));
        if written.is_err() {
            let _ = std::fs::remove_file(&temporary);
        }
        written
    }

    fn sync_directory(&self) -> io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}
