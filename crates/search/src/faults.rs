//! A switch that makes the index's writes fail, as a full disk does, for
//! fault tests of the whole service (the real directory, the real tantivy
//! writer; only the file system's answer is replaced).

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};

/// While on, every new file and every atomic write of the index fails with
/// "no space left on device".
#[derive(Debug, Clone, Default)]
pub struct WriteFaults(Arc<AtomicBool>);

impl WriteFaults {
    /// Turns the faults on or off.
    pub fn set_failing(&self, failing: bool) {
        self.0.store(failing, Ordering::SeqCst);
    }

    /// Whether writes fail now.
    pub fn failing(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

fn disk_full() -> io::Error {
    io::Error::from_raw_os_error(28)
}

/// An [`MmapDirectory`] whose writes fail while its [`WriteFaults`] say so.
#[derive(Debug, Clone)]
pub(crate) struct FaultyDirectory {
    inner: MmapDirectory,
    faults: WriteFaults,
}

impl FaultyDirectory {
    pub(crate) fn open(folder: &Path, faults: WriteFaults) -> Result<Self, tantivy::TantivyError> {
        let inner = MmapDirectory::open(folder)?;
        Ok(Self { inner, faults })
    }
}

impl Directory for FaultyDirectory {
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
        if self.faults.failing() {
            return Err(OpenWriteError::IoError { io_error: Arc::new(disk_full()), filepath: PathBuf::from(path) });
        }
        self.inner.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        if self.faults.failing() {
            return Err(disk_full());
        }
        self.inner.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.inner.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.inner.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}
