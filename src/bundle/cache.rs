//! The bundle cache on disk: one directory per key holding `bundle.wasm` and `manifest.json`,
//! published by renaming a finished temporary directory, verified against the recorded hash
//! on every hit, and pruned least-recently-used first.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{InputRecord, KeyMaterial, hash_file};
use crate::error::{Error, Result};

const BUNDLE_FILE: &str = "bundle.wasm";
const MANIFEST_FILE: &str = "manifest.json";

/// `manifest.json`: what went into a bundle and the bundle's own hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// The cache key (the entry's directory name).
    pub key: String,
    /// The sha256 of `bundle.wasm`.
    pub bundle_sha256: String,
    /// The size of `bundle.wasm` in bytes.
    pub bundle_size: u64,
    /// The archives, in link order.
    pub inputs: Vec<InputRecord>,
    /// The exports, sorted.
    pub exports: Vec<String>,
    /// The link command (`{out}` for the output).
    pub link_command: Vec<String>,
    /// The toolchain and its linker's version.
    pub toolchain: String,
    /// When it was linked (seconds since the epoch).
    pub created: u64,
}

/// One cache entry, present or not.
#[derive(Debug, Clone)]
pub struct CacheEntry {
    /// The cache directory.
    cache_dir: PathBuf,
    /// The key.
    key: String,
}

impl CacheEntry {
    /// The entry for `key` in `cache_dir`.
    pub fn new(cache_dir: &Path, key: &str) -> CacheEntry {
        CacheEntry { cache_dir: cache_dir.to_path_buf(), key: key.to_string() }
    }

    fn dir(&self) -> PathBuf {
        self.cache_dir.join(&self.key)
    }

    /// The cached bundle.
    pub fn bundle_path(&self) -> PathBuf {
        self.dir().join(BUNDLE_FILE)
    }

    /// `Ok(true)`: present and intact; `Ok(false)`: absent; `Err(why)`: present but corrupt.
    pub fn verify(&self) -> Result<bool, String> {
        verify_dir(&self.dir())
    }

    /// Marks the entry as just used, for least-recently-used pruning.
    pub fn touch(&self) {
        if let Ok(file) = std::fs::File::options().append(true).open(self.dir().join(MANIFEST_FILE)) {
            let _ = file.set_modified(SystemTime::now());
        }
    }

    /// Links into a fresh temporary directory with `link`, records the manifest, and renames
    /// the directory into place. If another process published the same key meanwhile, its
    /// (verified) entry is kept and ours discarded; a corrupt entry in the way is replaced.
    pub fn build_and_publish(
        &self,
        material: &KeyMaterial,
        toolchain: &str,
        link: impl FnOnce(&Path) -> Result<()>,
    ) -> Result<()> {
        std::fs::create_dir_all(&self.cache_dir).map_err(|e| Error::io("create directory", &self.cache_dir, e))?;
        let tmp = self.cache_dir.join(format!(".tmp-{}-{}", &self.key[..16], unique_suffix()));
        std::fs::create_dir(&tmp).map_err(|e| Error::io("create directory", &tmp, e))?;
        let result = (|| {
            link(&tmp.join(BUNDLE_FILE))?;
            let (bundle_sha256, bundle_size) = hash_file(&tmp.join(BUNDLE_FILE))?;
            let manifest = Manifest {
                key: self.key.clone(),
                bundle_sha256,
                bundle_size,
                inputs: material.inputs.clone(),
                exports: material.exports.clone(),
                link_command: material.link_command.clone(),
                toolchain: toolchain.to_string(),
                created: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
            };
            let text = serde_json::to_string_pretty(&manifest).map_err(|e| Error::env(e.to_string()))? + "\n";
            let path = tmp.join(MANIFEST_FILE);
            std::fs::write(&path, text).map_err(|e| Error::io("write", &path, e))?;
            self.publish(&tmp)
        })();
        let _ = std::fs::remove_dir_all(&tmp);
        result
    }

    fn publish(&self, tmp: &Path) -> Result<()> {
        let dir = self.dir();
        for _ in 0..3 {
            if std::fs::rename(tmp, &dir).is_ok() {
                return Ok(());
            }
            match self.verify() {
                // Another process published it first: theirs is as good as ours.
                Ok(true) => return Ok(()),
                // Something corrupt is in the way: move it aside, then try again.
                Err(_) => {
                    let trash = self.cache_dir.join(format!(".trash-{}-{}", &self.key[..16], unique_suffix()));
                    if std::fs::rename(&dir, &trash).is_ok() {
                        let _ = std::fs::remove_dir_all(&trash);
                    }
                }
                Ok(false) => {}
            }
        }
        Err(Error::env(format!("cannot publish the bundle cache entry {}", dir.display())))
    }
}

fn unique_suffix() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

fn verify_dir(dir: &Path) -> Result<bool, String> {
    if !dir.exists() {
        return Ok(false);
    }
    let text =
        std::fs::read_to_string(dir.join(MANIFEST_FILE)).map_err(|e| format!("no readable {MANIFEST_FILE}: {e}"))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| format!("{MANIFEST_FILE} is not valid: {e}"))?;
    let (sha, size) = hash_file(&dir.join(BUNDLE_FILE)).map_err(|e| e.message)?;
    if sha != manifest.bundle_sha256 || size != manifest.bundle_size {
        return Err(format!(
            "{BUNDLE_FILE} has sha256 {}… and {size} bytes, its manifest says {}… and {} bytes",
            &sha[..12],
            &manifest.bundle_sha256.get(..12).unwrap_or_default(),
            manifest.bundle_size
        ));
    }
    Ok(true)
}

/// A cache entry as listed.
#[derive(Debug, Clone)]
pub struct EntryInfo {
    /// The key.
    pub key: String,
    /// The manifest, if readable.
    pub manifest: Option<Manifest>,
    /// When it was last used (the manifest's mtime).
    pub last_used: SystemTime,
    /// Whether the bundle matches its recorded hash.
    pub intact: bool,
}

/// Every entry of `cache_dir`, most recently used first.
pub fn list(cache_dir: &Path) -> Result<Vec<EntryInfo>> {
    let Ok(read) = std::fs::read_dir(cache_dir) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in read.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || !entry.path().is_dir() {
            continue;
        }
        let manifest_path = entry.path().join(MANIFEST_FILE);
        let manifest = std::fs::read_to_string(&manifest_path).ok().and_then(|t| serde_json::from_str(&t).ok());
        let last_used = std::fs::metadata(&manifest_path)
            .and_then(|m| m.modified())
            .or_else(|_| entry.metadata().and_then(|m| m.modified()))
            .unwrap_or(UNIX_EPOCH);
        let intact = verify_dir(&entry.path()) == Ok(true);
        out.push(EntryInfo { key: name, manifest, last_used, intact });
    }
    out.sort_by(|a, b| b.last_used.cmp(&a.last_used).then(a.key.cmp(&b.key)));
    Ok(out)
}

/// Keeps the `keep` most recently used intact entries, removes the rest (and corrupt entries
/// and leftovers of interrupted builds older than an hour). Returns the removed keys.
pub fn gc(cache_dir: &Path, keep: usize) -> Result<Vec<String>> {
    let mut removed = Vec::new();
    let mut kept = 0;
    for entry in list(cache_dir)? {
        if entry.intact && kept < keep {
            kept += 1;
            continue;
        }
        let dir = cache_dir.join(&entry.key);
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("remove", &dir, e))?;
        removed.push(entry.key);
    }
    if let Ok(read) = std::fs::read_dir(cache_dir) {
        let hour_ago = SystemTime::now() - Duration::from_secs(3600);
        for entry in read.filter_map(|e| e.ok()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < hour_ago);
            if (name.starts_with(".tmp-") || name.starts_with(".trash-")) && old {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    Ok(removed)
}
