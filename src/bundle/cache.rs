//! The bundle cache on disk: one directory per key holding `bundle.wasm` and `manifest.json`,
//! published by renaming a finished temporary directory, verified against the recorded hash
//! on every hit, and pruned least-recently-used first.
//!
//! Pruning never touches what is not the cache's own: only a directory named by a key (64 hex
//! digits) that holds a `manifest.json` is an entry, and only entries and the leftovers of
//! interrupted builds (`.tmp-*`, `.trash-*`) are ever removed; anything else in the directory
//! (a cache directory pointed at a build or source tree by mistake) is reported as foreign and
//! left alone. Concurrency: every bundle build or hit holds the cache's lock (`.lock`) shared,
//! from looking the entry up until its output is placed; pruning holds it exclusively, so it
//! never removes an entry in use, and a build never sees one vanish halfway.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::{InputRecord, KeyMaterial, hash_file};
use crate::error::{Error, Result};

const BUNDLE_FILE: &str = "bundle.wasm";
const MANIFEST_FILE: &str = "manifest.json";
const LOCK_FILE: &str = ".lock";
/// Prefixes of the directories and files interrupted builds leave behind.
const LEFTOVER_PREFIXES: [&str; 2] = [".tmp-", ".trash-"];

/// Whether `name` is a cache key: 64 lower-case hex digits.
pub fn is_key(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The cache's lock, held shared by bundle builds and hits, exclusively by pruning; released
/// when dropped.
#[derive(Debug)]
pub struct CacheLock {
    /// The open lock file.
    _file: std::fs::File,
}

impl CacheLock {
    /// Takes the lock of `cache_dir` (creating the directory), shared or exclusive, waiting
    /// for it.
    pub fn acquire(cache_dir: &Path, exclusive: bool) -> Result<CacheLock> {
        let file = crate::fsutil::open_lock_file(cache_dir, LOCK_FILE)?;
        let locked = if exclusive { file.lock() } else { file.lock_shared() };
        locked.map_err(|e| Error::io("lock", &cache_dir.join(LOCK_FILE), e))?;
        Ok(CacheLock { _file: file })
    }
}

/// `manifest.json`: what went into a bundle and the bundle's own hash. An entry of SPy's
/// cache (`--spy-compatible`) starts with SPy's own three keys; one SPy itself wrote has only
/// those.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// SPy's: the archives, in link order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archives: Option<Vec<String>>,
    /// SPy's: zig's version string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zig_version: Option<String>,
    /// SPy's: the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_key: Option<String>,
    /// The cache key (the entry's directory name).
    #[serde(default)]
    pub key: String,
    /// The sha256 of `bundle.wasm` (empty in an entry SPy wrote, which records none).
    #[serde(default)]
    pub bundle_sha256: String,
    /// The size of `bundle.wasm` in bytes.
    #[serde(default)]
    pub bundle_size: u64,
    /// The archives, in link order.
    #[serde(default)]
    pub inputs: Vec<InputRecord>,
    /// The exports, sorted.
    #[serde(default)]
    pub exports: Vec<String>,
    /// The link command (`{out}` for the output).
    #[serde(default)]
    pub link_command: Vec<String>,
    /// The toolchain and its linker's version.
    #[serde(default)]
    pub toolchain: String,
    /// When it was linked (seconds since the epoch).
    #[serde(default)]
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
            let spy = material.spy_zig_version.as_ref();
            let manifest = Manifest {
                archives: spy.map(|_| material.inputs.iter().map(|i| i.path.clone()).collect()),
                zig_version: spy.cloned(),
                cache_key: spy.map(|_| self.key.clone()),
                key: self.key.clone(),
                bundle_sha256,
                bundle_size,
                inputs: material.inputs.clone(),
                exports: material.exports.clone(),
                link_command: material.link_command.clone(),
                toolchain: toolchain.to_string(),
                created: SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0),
            };
            let text = serde_json::to_string_pretty(&manifest)
                .map_err(|e| Error::env(e.to_string()).help("report this as a bug in spygen"))?
                + "\n";
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
                // Something corrupt is in the way (a damaged entry, or a file where the entry's
                // directory goes): move it aside, then try again.
                Err(_) => {
                    let trash = self.cache_dir.join(format!(".trash-{}-{}", &self.key[..16], unique_suffix()));
                    if std::fs::rename(&dir, &trash).is_ok() {
                        remove_any(&trash);
                    }
                }
                Ok(false) => {}
            }
        }
        Err(Error::env(format!("cannot publish the bundle cache entry {}", dir.display()))
            .help("check that the cache directory is writable; `spygen bundle --gc --keep 0` empties it"))
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
    if manifest.bundle_sha256.is_empty() && manifest.cache_key.is_some() {
        // SPy's own entry records no hash: present is all SPy asks of it.
        return if dir.join(BUNDLE_FILE).is_file() { Ok(true) } else { Err(format!("no {BUNDLE_FILE}")) };
    }
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

/// Removes `path`, a directory (with its content) or anything else.
fn remove_any(path: &Path) {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => {
            let _ = std::fs::remove_dir_all(path);
        }
        Ok(_) => {
            let _ = std::fs::remove_file(path);
        }
        Err(_) => {}
    }
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

/// What a cache directory holds.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// The entries, most recently used first.
    pub entries: Vec<EntryInfo>,
    /// Names in the directory that are not the cache's own (neither an entry, nor the lock,
    /// the input-hash index or an interrupted build's leftover): never touched.
    pub foreign: Vec<String>,
}

/// Whether `name` in a cache directory is the cache's own bookkeeping: its lock, its hash
/// index (and that index's temporary files), an interrupted build's leftovers.
fn is_bookkeeping(name: &str) -> bool {
    name == LOCK_FILE
        || name == super::inputs::INDEX_FILE
        || (name.starts_with(&format!(".{}.", super::inputs::INDEX_FILE)) && name.ends_with(crate::fsutil::TEMP_SUFFIX))
        || LEFTOVER_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// What `cache_dir` holds (nothing when it does not exist). Call under the cache's lock.
fn read_listing(cache_dir: &Path) -> Result<Listing> {
    let read = match std::fs::read_dir(cache_dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Listing::default()),
        Err(e) => return Err(Error::io("read the cache directory", cache_dir, e)),
    };
    let mut listing = Listing::default();
    for entry in read.filter_map(|e| e.ok()) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let manifest_path = entry.path().join(MANIFEST_FILE);
        let is_entry = is_key(&name)
            && entry.file_type().is_ok_and(|t| t.is_dir())
            && std::fs::symlink_metadata(&manifest_path).is_ok_and(|m| m.is_file());
        if !is_entry {
            if !is_bookkeeping(&name) {
                listing.foreign.push(name);
            }
            continue;
        }
        let manifest = std::fs::read_to_string(&manifest_path).ok().and_then(|t| serde_json::from_str(&t).ok());
        let last_used = std::fs::metadata(&manifest_path).and_then(|m| m.modified()).unwrap_or(UNIX_EPOCH);
        let intact = verify_dir(&entry.path()) == Ok(true);
        listing.entries.push(EntryInfo { key: name, manifest, last_used, intact });
    }
    listing.entries.sort_by(|a, b| b.last_used.cmp(&a.last_used).then(a.key.cmp(&b.key)));
    listing.foreign.sort();
    Ok(listing)
}

/// What `cache_dir` holds: its entries, most recently used first, and what is foreign in it.
pub fn list(cache_dir: &Path) -> Result<Listing> {
    if !cache_dir.is_dir() {
        return Ok(Listing::default());
    }
    let _lock = CacheLock::acquire(cache_dir, false)?;
    read_listing(cache_dir)
}

/// Removes every entry of the cache and its own bookkeeping (lock, input-hash index), for
/// `spygen clean --all`; anything else in the directory stays, and so does the directory then.
/// Returns how many entries went.
pub fn clear(cache_dir: &Path) -> Result<usize> {
    let removed = gc(cache_dir, 0)?.removed.len();
    for name in [LOCK_FILE, super::inputs::INDEX_FILE] {
        let _ = std::fs::remove_file(cache_dir.join(name));
    }
    Ok(removed)
}

/// What pruning did.
#[derive(Debug, Clone, Default)]
pub struct GcOutcome {
    /// The keys of the entries removed.
    pub removed: Vec<String>,
    /// Names left alone because they are not the cache's (see [`Listing::foreign`]).
    pub foreign: Vec<String>,
}

/// Keeps the `keep` most recently used intact entries and removes the other entries (corrupt
/// ones first of all) and the leftovers of interrupted builds. Nothing that is not an entry
/// or a leftover is touched. Holds the cache's lock exclusively: no bundle is being built or
/// read meanwhile.
pub fn gc(cache_dir: &Path, keep: usize) -> Result<GcOutcome> {
    if !cache_dir.is_dir() {
        return Ok(GcOutcome::default());
    }
    let _lock = CacheLock::acquire(cache_dir, true)?;
    let listing = read_listing(cache_dir)?;
    let mut removed = Vec::new();
    let mut kept = 0;
    for entry in listing.entries {
        if entry.intact && kept < keep {
            kept += 1;
            continue;
        }
        let dir = cache_dir.join(&entry.key);
        std::fs::remove_dir_all(&dir).map_err(|e| Error::io("remove", &dir, e))?;
        removed.push(entry.key);
    }
    // Under the exclusive lock no build is running: every leftover is stale.
    if let Ok(read) = std::fs::read_dir(cache_dir) {
        for entry in read.filter_map(|e| e.ok()) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let index_temporary = name.starts_with(&format!(".{}.", super::inputs::INDEX_FILE))
                && name.ends_with(crate::fsutil::TEMP_SUFFIX);
            if LEFTOVER_PREFIXES.iter().any(|p| name.starts_with(p)) || index_temporary {
                remove_any(&entry.path());
            }
        }
    }
    Ok(GcOutcome { removed, foreign: listing.foreign })
}
