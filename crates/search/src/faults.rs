//! A switch that makes the index's writes fail, as a full disk does, for
//! fault tests of the whole service (the real directory, the real tantivy
//! writer; only the file system's answer is replaced, in
//! `crate::directory`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
