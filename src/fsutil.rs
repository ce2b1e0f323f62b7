//! Writing generated files: atomically (temporary file + rename) and only when the content changed.

use std::io::Write;
use std::path::Path;
use std::time::SystemTime;

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
    stamp_of(&std::fs::metadata(path).ok()?)
}

/// The stamp of a file whose metadata is at hand.
pub fn stamp_of(m: &std::fs::Metadata) -> Option<Stamp> {
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

/// The name ending of spygen's temporary files: one found in a build directory is left over
/// from an interrupted run (say, `kill -9`), and the next generation removes it.
pub const TEMP_SUFFIX: &str = ".spygen-tmp";

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
    Ok(write_files_if_changed(vec![FileToWrite { path, content: Content::Parts(parts), mtime: None }])?[0])
}

/// One file of [`write_files_if_changed`].
#[derive(Debug)]
pub struct FileToWrite<'a> {
    /// Where it goes.
    pub path: &'a Path,
    /// What it holds.
    pub content: Content<'a>,
    /// The modification time it gets if it is written from parts (`None`: the time of writing).
    pub mtime: Option<SystemTime>,
}

/// What a [`FileToWrite`] holds.
#[derive(Debug)]
pub enum Content<'a> {
    /// Consecutive parts, written to a temporary file when they differ from the file's.
    Parts(&'a [&'a [u8]]),
    /// A temporary file written as the content was made (a finished [`StreamedFile`]; `None`:
    /// the content is the file's already).
    Streamed(Option<tempfile::NamedTempFile>),
}

/// Writes each file whose content differs, all of them or none: every destination is checked
/// first (a directory, FIFO or device in the way is an error naming it, before anything is
/// written), every new content goes to a temporary file beside its destination, and only once
/// all are written are they renamed into place, in order. A failure leaves every file as it was
/// (and no temporary behind), so build files from two generations are never mixed. Unchanged
/// files keep their modification time.
pub fn write_files_if_changed(files: Vec<FileToWrite>) -> Result<Vec<WriteOutcome>> {
    let mut outcomes = Vec::with_capacity(files.len());
    for f in &files {
        let unchanged = match &f.content {
            Content::Parts(parts) => holds(f.path, parts)?,
            Content::Streamed(temp) => temp.is_none(),
        };
        outcomes.push(if unchanged { WriteOutcome::Unchanged } else { WriteOutcome::Written });
    }
    let mut pending = Vec::new();
    for (f, outcome) in files.into_iter().zip(&outcomes) {
        let temp = match f.content {
            Content::Parts(parts) if *outcome == WriteOutcome::Written => Some(temporary_with(f.path, parts, f.mtime)?),
            Content::Parts(_) => None,
            Content::Streamed(temp) => temp,
        };
        pending.extend(temp.map(|temp| (f.path, temp)));
    }
    // Everything is on disk: the renames are all that is left.
    for (path, tmp) in pending {
        tmp.persist(path).map_err(|e| Error::io("replace", path, e.error))?;
    }
    Ok(outcomes)
}

/// Writes each of `files` (path, content) that is not there yet, in place, for files whose name
/// holds a hash of their content: no other content can take the name, so one there with the
/// content's length holds it (a write cut short leaves another length, and is redone), and
/// none is named by a build file until that file is renamed into place, after these. A file
/// of another length is written again; unchanged ones keep their modification time.
pub fn write_content_named(files: &[(&Path, &[u8])]) -> Result<()> {
    let mut made: Option<&Path> = None;
    for &(path, content) in files {
        if std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == content.len() as u64) {
            continue;
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty() && made != Some(*d)) {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
            made = Some(dir);
        }
        std::fs::write(path, content).map_err(|e| Error::io("write", path, e))?;
    }
    Ok(())
}

/// Whether `path` already holds exactly `parts`; an error when something other than a regular
/// file (or a symbolic link to one) is in the way.
fn holds(path: &Path, parts: &[&[u8]]) -> Result<bool> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(Error::io("read", path, e)),
    };
    if !meta.is_file() {
        return Err(Error::env(format!("cannot write {}: {} is in the way", path.display(), kind_of(&meta)))
            .help("move it away: spygen writes a generated file there"));
    }
    let len: usize = parts.iter().map(|p| p.len()).sum();
    Ok(meta.len() == len as u64 && file_holds(path, parts))
}

/// Whether the file at `path` holds exactly the bytes of `parts` (its length already checked),
/// read a megabyte at a time: a build.ninja of 20 MB is compared without a copy in memory.
fn file_holds(path: &Path, parts: &[&[u8]]) -> bool {
    use std::io::Read;
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    let mut buffer = vec![0u8; 1 << 20];
    for part in parts {
        for chunk in part.chunks(buffer.len()) {
            let old = &mut buffer[..chunk.len()];
            if file.read_exact(old).is_err() || old != chunk {
                return false;
            }
        }
    }
    file.read(&mut buffer[..1]).is_ok_and(|n| n == 0)
}

/// A generated file written as it is produced, with [`write_if_changed`]'s guarantees and
/// bounded memory: while the new bytes equal the old file's, nothing is written; at the first
/// difference a temporary file beside it gets the old bytes so far, then everything after.
/// [`StreamedFile::finish`] says whether the content changed and hands over the temporary file,
/// which the caller renames over the old one with the other generated files.
#[derive(Debug)]
pub struct StreamedFile {
    /// The file being replaced.
    path: std::path::PathBuf,
    /// The old file, read along while the new bytes are the same (`None`: none, or differing).
    old: Option<std::io::BufReader<std::fs::File>>,
    /// How many bytes so far equal the old file's.
    same: u64,
    /// The new content, from the first difference on.
    temp: Option<std::io::BufWriter<tempfile::NamedTempFile>>,
    /// Scratch space for the old bytes compared with the new.
    scratch: Vec<u8>,
}

impl StreamedFile {
    /// Starts writing `path`; an error when something other than a regular file is in the way.
    pub fn new(path: &Path) -> Result<StreamedFile> {
        let mut file = StreamedFile { path: path.to_path_buf(), old: None, same: 0, temp: None, scratch: Vec::new() };
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_file() => {
                let old = std::fs::File::open(path).map_err(|e| Error::io("read", path, e))?;
                file.old = Some(std::io::BufReader::with_capacity(1 << 20, old));
            }
            Ok(meta) => {
                return Err(Error::env(format!("cannot write {}: {} is in the way", path.display(), kind_of(&meta)))
                    .help("move it away: spygen writes a generated file there"));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => file.diverge()?,
            Err(e) => return Err(Error::io("read", path, e)),
        }
        Ok(file)
    }

    /// From here on the content differs: a temporary file gets the old bytes so far.
    fn diverge(&mut self) -> Result<()> {
        // Small: the writers hand over chunks of hundreds of kilobytes, which go straight to the
        // file past it rather than copied into fresh pages first.
        let mut temp = std::io::BufWriter::with_capacity(64 << 10, temporary_with(&self.path, &[], None)?);
        if self.old.take().is_some() && self.same > 0 {
            let old = std::fs::File::open(&self.path).map_err(|e| Error::io("read", &self.path, e))?;
            std::io::copy(&mut std::io::Read::take(old, self.same), &mut temp)
                .map_err(|e| Error::io("copy", &self.path, e))?;
        }
        self.temp = Some(temp);
        Ok(())
    }

    /// The end of the content: `None` when it is exactly the old file's (nothing was written),
    /// else the temporary file holding it, dated `mtime` when given.
    pub fn finish(mut self, mtime: Option<SystemTime>) -> Result<Option<tempfile::NamedTempFile>> {
        if let Some(old) = &mut self.old {
            let at_end = std::io::BufRead::fill_buf(old).map_err(|e| Error::io("read", &self.path, e))?.is_empty();
            if at_end {
                return Ok(None);
            }
            // The old file goes on: the new content is a prefix of it.
            self.diverge()?;
        }
        let Some(temp) = self.temp.take() else { return Ok(None) };
        let temp = temp.into_inner().map_err(|e| Error::io("write", &self.path, e.into_error()))?;
        if let Some(t) = mtime {
            temp.as_file().set_modified(t).map_err(|e| Error::io("set the modification time of", temp.path(), e))?;
        }
        Ok(Some(temp))
    }
}

impl Write for StreamedFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        if let Some(old) = &mut self.old {
            self.scratch.resize(buf.len(), 0);
            match std::io::Read::read_exact(old, &mut self.scratch) {
                Ok(()) if self.scratch == buf => {
                    self.same += buf.len() as u64;
                    return Ok(());
                }
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {}
                Err(e) => return Err(e),
            }
            self.diverge().map_err(|e| std::io::Error::other(e.to_string()))?;
        }
        match &mut self.temp {
            Some(temp) => temp.write_all(buf),
            None => Err(std::io::Error::other("the streamed file was not started")),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.temp.as_mut().map_or(Ok(()), |t| t.flush())
    }
}

/// What a file system entry that is not a regular file is, for messages.
pub fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a directory"
    } else if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_symlink() {
        "a symbolic link"
    } else {
        "a regular file"
    }
}

/// The permissions a generated file is created with: readable by all, as any file the user's
/// tools write (the umask applies); a temporary file would otherwise keep its private 0600.
pub fn generated_file_mode() -> std::fs::Permissions {
    std::os::unix::fs::PermissionsExt::from_mode(0o666)
}

/// `parts` in a new temporary file beside `path` (its directory created if need be).
fn temporary_with(path: &Path, parts: &[&[u8]], mtime: Option<SystemTime>) -> Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(TEMP_SUFFIX)
        .permissions(generated_file_mode())
        .tempfile_in(dir)
        .map_err(|e| Error::io("create a temporary file in", dir, e))?;
    for part in parts {
        tmp.write_all(part).map_err(|e| Error::io("write", tmp.path(), e))?;
    }
    if let Some(t) = mtime {
        tmp.as_file().set_modified(t).map_err(|e| Error::io("set the modification time of", tmp.path(), e))?;
    }
    // No fsync: the rename is what readers must not see torn; after a crash a generated file is
    // simply generated again.
    Ok(tmp)
}

/// Opens (creating it, and `dir`, when missing) the lock file `name` in `dir`, for
/// `File::lock` or `File::lock_shared`; its content is never read or written.
pub fn open_lock_file(dir: &Path, name: &str) -> Result<std::fs::File> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
    let path = dir.join(name);
    std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io("open", &path, e))
}

/// Removes what interrupted runs left in `dir`: spygen's temporaries (`*.spygen-tmp`) and
/// those of spygen 0.1 (`.<name>.tmp.<pid>`, for each of `legacy_names`). Only for a directory
/// no other spygen can be writing into at the same time (a build directory, under its lock).
pub fn remove_stale_temporaries(dir: &Path, legacy_names: &[&str]) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.filter_map(|e| e.ok()) {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let legacy = legacy_names.iter().any(|n| {
            name.strip_prefix(&format!(".{n}.tmp."))
                .is_some_and(|pid| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()))
        });
        if (name.ends_with(TEMP_SUFFIX) || legacy) && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Streams `chunks` over `path` and renames the result into place; whether it was written.
    fn stream(path: &Path, chunks: &[&[u8]]) -> bool {
        let mut file = StreamedFile::new(path).unwrap();
        for c in chunks {
            file.write_all(c).unwrap();
        }
        match file.finish(None).unwrap() {
            Some(temp) => {
                temp.persist(path).unwrap();
                true
            }
            None => false,
        }
    }

    #[test]
    fn a_streamed_file_is_written_only_when_its_content_changes_wherever_the_change_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db.json");
        assert!(stream(&path, &[b"abc", b"def"]), "a new file");
        assert_eq!(std::fs::read(&path).unwrap(), b"abcdef");
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert!(!stream(&path, &[b"ab", b"cdef"]), "the same bytes, in other chunks");
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), before, "untouched");
        for (chunks, expected) in [
            (&[&b"abc"[..], b"xef"][..], &b"abcxef"[..]),
            (&[&b"abcxef"[..], b"gh"], b"abcxefgh"),
            (&[&b"abcx"[..]], b"abcx"),
            (&[], b""),
        ] {
            assert!(stream(&path, chunks), "{expected:?}");
            assert_eq!(std::fs::read(&path).unwrap(), expected);
        }
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, ["db.json"], "no temporary file left");
    }

    #[test]
    fn a_directory_in_a_streamed_files_place_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let err = StreamedFile::new(dir.path()).unwrap_err();
        assert!(err.message.contains("a directory is in the way"), "{err}");
    }

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
