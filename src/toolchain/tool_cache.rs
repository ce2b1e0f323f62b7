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
}

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

/// The remembered answer for `key`; the caller checks its fingerprint.
pub fn lookup(key: &str) -> Option<Answer> {
    let text = std::fs::read_to_string(cache_file()?).ok()?;
    let store: Store = serde_json::from_str(&text).ok()?;
    store.answers.get(key).cloned()
}

/// Remembers an answer. Best effort: an unwritable cache only costs speed.
pub fn remember(key: &str, fingerprint: &str, value: &str) {
    let Some(file) = cache_file() else { return };
    let mut store: Store =
        std::fs::read_to_string(&file).ok().and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
    store.answers.insert(key.to_string(), Answer { fingerprint: fingerprint.to_string(), value: value.to_string() });
    if let Ok(text) = serde_json::to_string_pretty(&store) {
        let _ = crate::fsutil::write_if_changed(&file, text.as_bytes());
    }
}
