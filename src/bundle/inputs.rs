//! Input hashes remembered by file identity (device, inode, size, mtime in nanoseconds), so a
//! cache hit reads no archive that has not changed since it was last hashed — the same trust
//! in mtimes that ninja and make place in them.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::hash_file;
use crate::error::{Error, Result};
use crate::fsutil::write_if_changed;

/// The index's file name in the cache directory.
pub const INDEX_FILE: &str = "input-hashes.json";

/// One remembered hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Known {
    /// `dev:ino:size:mtime_ns` of the file when hashed.
    identity: String,
    /// Its sha256.
    sha256: String,
}

/// The index of a cache directory.
#[derive(Debug, Default)]
pub struct HashIndex {
    /// Where it is stored.
    file: PathBuf,
    /// Absolute path → remembered hash.
    known: BTreeMap<String, Known>,
    /// Whether an entry was added or changed.
    dirty: bool,
}

fn identity(path: &Path) -> Result<(String, u64)> {
    let m = std::fs::metadata(path).map_err(|e| Error::io("read", path, e))?;
    Ok((format!("{}:{}:{}:{}.{}", m.dev(), m.ino(), m.len(), m.mtime(), m.mtime_nsec()), m.len()))
}

impl HashIndex {
    /// The index of `cache_dir` (empty if there is none yet or it is unreadable).
    pub fn load(cache_dir: &Path) -> HashIndex {
        let file = cache_dir.join(INDEX_FILE);
        let known = std::fs::read_to_string(&file).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        HashIndex { file, known, dirty: false }
    }

    /// The sha256 and size of `path`, from the index when the file is unchanged.
    pub fn hash(&mut self, path: &Path) -> Result<(String, u64)> {
        let absolute = crate::paths::absolute(path, &crate::paths::current_dir());
        let key = absolute.to_string_lossy().into_owned();
        let (id, size) = identity(path)?;
        if let Some(k) = self.known.get(&key).filter(|k| k.identity == id) {
            return Ok((k.sha256.clone(), size));
        }
        let (sha256, size) = hash_file(path)?;
        // Identity again: a file rewritten while hashed is not remembered.
        if identity(path)?.0 == id {
            self.known.insert(key, Known { identity: id, sha256: sha256.clone() });
            self.dirty = true;
        }
        Ok((sha256, size))
    }

    /// Writes the index back if it changed (best effort: it only saves time).
    pub fn save(&self) {
        if self.dirty
            && let Ok(text) = serde_json::to_string(&self.known)
        {
            let _ = write_if_changed(&self.file, text.as_bytes());
        }
    }
}
