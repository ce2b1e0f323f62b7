//! A small on-disk memo of slow tool questions (does this probe pass? what version is this
//! compiler?), so `spygen flags --cc` or a bundle cache hit does not start Python each time.
//!
//! Each answer is stored under its question and PATH (see [`key`]: answers under different
//! PATHs, a shell's, cargo's, ninja's, coexist), with a fingerprint of the files it depends on:
//! the program, and the file the probe printed (for zig from PyPI: the `zig` binary inside the
//! package). A change to them (an upgrade, an uninstall) makes the answer stale and it is
//! asked again.
//! Only positive probe answers are kept: an install must be noticed at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The environment variable naming the cache directory (default `$XDG_CACHE_HOME/spygen`,
/// else `~/.cache/spygen`).
pub const CACHE_DIR_ENV: &str = "SPYGEN_CACHE_DIR";

/// One remembered answer.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Answer {
    /// What the answer depends on, as `path:mtime:size` items.
    pub fingerprint: String,
    /// The answer (a version line, or the file a probe printed).
    pub value: String,
    /// When it was stored (seconds since 1970): the oldest answers go first when the cache is
    /// full.
    #[serde(default)]
    pub stored: u64,
}

/// How many answers the cache keeps: a few PATHs (a shell's, ninja's, an IDE's) × a few
/// questions; answers under PATHs no longer used (a test's temporary directory) age out.
const MAX_ANSWERS: usize = 48;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Store {
    answers: BTreeMap<String, Answer>,
}

fn cache_file() -> Option<PathBuf> {
    let dir = std::env::var_os(CACHE_DIR_ENV)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("spygen")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/spygen")))?;
    Some(dir.join("tools.json"))
}

/// The key of `question` asked under the current PATH.
pub fn key(question: &str) -> String {
    format!("{question} PATH={}", std::env::var("PATH").unwrap_or_default())
}

/// `path:mtime_ns:size` of each file (missing files say so).
pub fn fingerprint(files: &[&Path]) -> String {
    let mut out = String::new();
    for f in files {
        match crate::fsutil::stamp(f) {
            Some(s) => out += &format!("{}:{}:{};", f.display(), s.mtime_ns, s.size),
            None => out += &format!("{}:missing;", f.display()),
        }
    }
    out
}

/// The cache file's answers, read once per process.
fn stored() -> &'static std::sync::Mutex<Store> {
    static STORE: std::sync::OnceLock<std::sync::Mutex<Store>> = std::sync::OnceLock::new();
    STORE.get_or_init(|| {
        let store = cache_file()
            .and_then(|file| std::fs::read_to_string(file).ok())
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        std::sync::Mutex::new(store)
    })
}

/// The remembered answer for `key`; the caller checks its fingerprint.
pub fn lookup(key: &str) -> Option<Answer> {
    stored().lock().ok()?.answers.get(key).cloned()
}

/// Remembers an answer, keeping the [`MAX_ANSWERS`] newest. Best effort: an unwritable cache
/// only costs speed.
pub fn remember(key: &str, fingerprint: &str, value: &str) {
    let Some(file) = cache_file() else { return };
    let Ok(mut store) = stored().lock() else { return };
    // Another process may have stored answers since this one read the file.
    if let Some(on_disk) = std::fs::read_to_string(&file).ok().and_then(|t| serde_json::from_str::<Store>(&t).ok()) {
        for (k, a) in on_disk.answers {
            store.answers.entry(k).or_insert(a);
        }
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let answer = Answer { fingerprint: fingerprint.to_string(), value: value.to_string(), stored: now };
    store.answers.insert(key.to_string(), answer);
    while store.answers.len() > MAX_ANSWERS {
        let oldest = store.answers.iter().min_by_key(|(_, a)| a.stored).map(|(k, _)| k.clone());
        match oldest {
            Some(k) => store.answers.remove(&k),
            None => break,
        };
    }
    if let Ok(text) = serde_json::to_string(&*store) {
        let _ = crate::fsutil::write_if_changed(&file, text.as_bytes());
    }
}
