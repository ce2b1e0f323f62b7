//! Writing generated files: atomically (temporary file + rename) and only when the content changed.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// A file's modification time and size: what says it changed, as ninja and make judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stamp {
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: u128,
    /// Size in bytes.
    pub size: u64,
}

impl std::fmt::Display for Stamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.mtime_ns, self.size)
    }
}

/// The stamp of `path` (symbolic links followed); `None` when it does not exist or cannot be
/// read. An input is stamped *before* it is read, so an edit made while spygen reads it is
/// seen as a change by the next run.
pub fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    let mtime_ns = m.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos();
    Some(Stamp { mtime_ns, size: m.len() })
}

/// Whether `write_if_changed` touched the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The file did not exist or had other content; it now holds the new content.
    Written,
    /// The file already held exactly this content; its mtime is untouched.
    Unchanged,
}

/// Writes `content` to `path` unless it already holds exactly that.
///
/// The new content goes to a temporary file in the same directory which is then renamed over
/// `path`, so a reader (ninja, make, an editor) never sees a half-written file, and an
/// interrupted run leaves the old file intact.
pub fn write_if_changed(path: &Path, content: &[u8]) -> Result<WriteOutcome> {
    write_parts_if_changed(path, &[content])
}

/// [`write_if_changed`] for content made of consecutive parts (a large generated file
/// formatted in pieces), without joining them first.
pub fn write_parts_if_changed(path: &Path, parts: &[&[u8]]) -> Result<WriteOutcome> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    if let Ok(meta) = std::fs::metadata(path)
        && meta.len() == len as u64
        && let Ok(old) = std::fs::read(path)
        && same_content(&old, parts)
    {
        return Ok(WriteOutcome::Unchanged);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp).map_err(|e| Error::io("create", &tmp, e))?;
        for part in parts {
            file.write_all(part).map_err(|e| Error::io("write", &tmp, e))?;
        }
        // No fsync: the rename is what readers must not see torn; after a crash a generated
        // file is simply generated again.
        drop(file);
        std::fs::rename(&tmp, path).map_err(|e| Error::io("replace", path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| WriteOutcome::Written)
}

/// Whether `old` is exactly the concatenation of `parts`.
fn same_content(old: &[u8], parts: &[&[u8]]) -> bool {
    let mut rest = old;
    for part in parts {
        match rest.split_at_checked(part.len()) {
            Some((head, tail)) if head == *part => rest = tail,
            _ => return false,
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_content_keeps_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/out.txt");
        assert_eq!(write_if_changed(&path, b"one").unwrap(), WriteOutcome::Written);
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(write_if_changed(&path, b"one").unwrap(), WriteOutcome::Unchanged);
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), before);
        assert_eq!(write_if_changed(&path, b"two").unwrap(), WriteOutcome::Written);
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn parts_compare_and_write_as_their_concatenation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        assert_eq!(write_parts_if_changed(&path, &[b"ab", b"", b"cd"]).unwrap(), WriteOutcome::Written);
        assert_eq!(std::fs::read(&path).unwrap(), b"abcd");
        // The same bytes cut elsewhere are the same content.
        assert_eq!(write_parts_if_changed(&path, &[b"a", b"bcd"]).unwrap(), WriteOutcome::Unchanged);
        assert_eq!(write_if_changed(&path, b"abcd").unwrap(), WriteOutcome::Unchanged);
        // Same length, different bytes.
        assert_eq!(write_parts_if_changed(&path, &[b"ab", b"ce"]).unwrap(), WriteOutcome::Written);
        assert_eq!(std::fs::read(&path).unwrap(), b"abce");
    }
}
