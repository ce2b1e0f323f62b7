//! Source globs: `*`, `?`, `[a-z]`, `[!a-z]`, `{a,b}` within a path component (globset's
//! syntax and rules, compiled once per pattern: `?` is one byte, so a non-ASCII character
//! needs `*` or a class) and `**` across directories.
//!
//! Expansion also reports every directory it listed (with its stamp from before the listing),
//! because a build file that depends on a glob must be regenerated when a file is added to or
//! removed from one of them.
//!
//! The walk is spygen's own rather than `walkdir`'s: walkdir detects only a link back to an
//! ancestor, not a directory reached twice through two links, and opens a directory before a
//! filter can prune it, while a pattern such as `src/*/gen/*.c` must list only what it can
//! match. It keeps walkdir's guarantees: it is iterative (no recursion on the depth of the
//! tree), follows each directory once (by device and inode: a symbolic link loop is reported,
//! never walked around), never leaves the directory the pattern starts from through a symbolic
//! link, and an unreadable directory is an error naming it, never silently skipped.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use globset::{GlobBuilder, GlobMatcher};

use crate::fsutil::Stamp;

/// One component of a compiled pattern.
#[derive(Debug, Clone)]
enum Component {
    /// A name matched exactly (`src`, `..`).
    Literal(String),
    /// `**`: any number of directories, dot-directories excepted.
    AnyDirectories,
    /// `*` followed by literal text (`*.c`, `*`): the common case, matched as a suffix test.
    /// globset builds a candidate for each name it is asked about; at 100,000 source files
    /// that is measurable, and `*.c` needs none of it.
    Suffix(String),
    /// A wildcard component.
    Glob {
        /// globset's matcher of the component.
        matcher: GlobMatcher,
        /// Whether the component starts with `.` (only such a component matches dot-files).
        dot: bool,
    },
}

/// A source pattern, compiled: relative to a module's directory, `/`-separated.
#[derive(Debug, Clone)]
pub struct Pattern {
    /// The components, `.` and empty ones left out.
    components: Vec<Component>,
    /// Whether any component is a wildcard (otherwise the pattern names one file).
    wildcard: bool,
}

impl Pattern {
    /// Compiles `text`; an absolute pattern or invalid glob syntax is an error saying why.
    pub fn parse(text: &str) -> Result<Pattern, String> {
        if text.starts_with('/') {
            return Err(format!(
                "`{text}` is an absolute pattern: sources are relative to the manifest's directory (a pattern may still reach outside it with `..`)"
            ));
        }
        let mut components = Vec::new();
        let mut wildcard = false;
        for part in text.split('/').filter(|c| !c.is_empty() && *c != ".") {
            let component = if part == "**" {
                Component::AnyDirectories
            } else if let Some(suffix) = part.strip_prefix('*').filter(|s| !is_pattern(s) && !s.contains('\\')) {
                Component::Suffix(suffix.to_string())
            } else if is_pattern(part) {
                let glob = GlobBuilder::new(part)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                    .map_err(|e| format!("`{text}` is not a valid pattern: {}", e.kind()))?;
                Component::Glob { matcher: glob.compile_matcher(), dot: part.starts_with('.') }
            } else {
                Component::Literal(part.to_string())
            };
            wildcard |= !matches!(component, Component::Literal(_));
            components.push(component);
        }
        Ok(Pattern { components, wildcard })
    }

    /// Whether the pattern has a wildcard (otherwise it names one file).
    pub fn has_wildcard(&self) -> bool {
        self.wildcard
    }
}

/// Compiled patterns by their text, shared by the threads expanding sources: a project of
/// 1,000 modules that all say `src/*.c` compiles that pattern once.
#[derive(Debug, Default)]
pub struct PatternCache {
    /// Each pattern text seen, compiled (or why it cannot be).
    known: std::sync::Mutex<std::collections::HashMap<String, Result<std::sync::Arc<Pattern>, String>>>,
}

impl PatternCache {
    /// The compiled `text` (see [`Pattern::parse`]).
    pub fn get(&self, text: &str) -> Result<std::sync::Arc<Pattern>, String> {
        let mut known = self.known.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(p) = known.get(text) {
            return p.clone();
        }
        let p = Pattern::parse(text).map(std::sync::Arc::new);
        known.insert(text.to_string(), p.clone());
        p
    }
}

/// The result of expanding one pattern.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// Matching files, sorted.
    pub files: Vec<PathBuf>,
    /// Directories whose listing the result depends on, sorted, each stamped before it was
    /// listed.
    pub dirs_read: Vec<(PathBuf, Option<Stamp>)>,
    /// Symbolic links not followed (loops, directories reached twice, links leading out of the
    /// pattern's directory), one line each.
    pub warnings: Vec<String>,
}

/// Whether the component `pattern` has any wildcard (otherwise it names one file).
pub fn is_pattern(pattern: &str) -> bool {
    pattern.contains(['*', '?', '[', '{'])
}

/// What a path is, when already known from a directory listing (saves a `stat`).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    File,
    Dir,
    /// A symbolic link to a directory: followed only if it stays inside the walk's root and
    /// leads to a directory not walked yet.
    LinkedDir,
    Unknown,
}

/// Expands `pattern` relative to `base`. A pattern without wildcards yields its one path if it
/// exists as a file (a directory there is an error: name its files with a pattern). Names
/// starting with `.` are matched only by components starting with `.`; `**` does not descend
/// into dot-directories. An error names the path and what is wrong with it.
pub fn expand(base: &Path, pattern: &Pattern) -> Result<Expansion, String> {
    let mut out = Expansion::default();
    // The literal directories the pattern starts with: its root, which links may not leave.
    let first_wild = pattern.components.iter().position(|c| !matches!(c, Component::Literal(_)));
    let literal_len = first_wild.unwrap_or(pattern.components.len().saturating_sub(1));
    let mut root = base.to_path_buf();
    for c in &pattern.components[..literal_len] {
        if let Component::Literal(name) = c {
            root.push(name);
        }
    }
    let rest = &pattern.components[literal_len..];
    if !pattern.wildcard {
        return literal_file(&root, rest, out);
    }
    // The root's real path, found when a symbolic link first needs it (most walks meet none).
    let mut real_root: Option<PathBuf> = None;
    // (directory, kind, index of the next component to match there)
    let mut stack: Vec<(PathBuf, Kind, usize)> = vec![(root.clone(), Kind::Dir, 0)];
    // Directories listed, by (device, inode, component index).
    let mut walked: HashSet<(u64, u64, usize)> = HashSet::new();
    while let Some((path, kind, index)) = stack.pop() {
        let Some(component) = rest.get(index) else {
            let is_file = match kind {
                Kind::File => true,
                Kind::Dir | Kind::LinkedDir => false,
                Kind::Unknown => path.is_file(),
            };
            if is_file {
                out.files.push(path);
            }
            continue;
        };
        if kind == Kind::File {
            continue;
        }
        match component {
            Component::Literal(name) => stack.push((path.join(name), Kind::Unknown, index + 1)),
            Component::AnyDirectories | Component::Glob { .. } | Component::Suffix(_) => {
                if kind == Kind::LinkedDir && real_root.is_none() {
                    real_root =
                        Some(std::fs::canonicalize(&root).map_err(|e| format!("cannot read {}: {e}", root.display()))?);
                }
                let Some(entries) = list(&path, kind, index, real_root.as_deref(), &mut walked, &mut out)? else {
                    continue;
                };
                // Pushed in reverse: popped (walked) in name order.
                let mut next = Vec::with_capacity(entries.len() + 1);
                if let Component::AnyDirectories = component {
                    // Zero directories here, then each subdirectory with `**` still to match.
                    next.push((path.clone(), Kind::Dir, index + 1));
                    for (name, entry_kind) in entries {
                        if matches!(entry_kind, Kind::Dir | Kind::LinkedDir)
                            && !name.as_encoded_bytes().starts_with(b".")
                        {
                            next.push((joined(&path, &name), entry_kind, index));
                        }
                    }
                } else {
                    for (name, entry_kind) in entries {
                        let bytes = name.as_encoded_bytes();
                        let matched = match component {
                            // `*` never matches a leading dot.
                            Component::Suffix(s) => !bytes.starts_with(b".") && bytes.ends_with(s.as_bytes()),
                            Component::Glob { matcher, dot } => {
                                (*dot || !bytes.starts_with(b".")) && matcher.is_match(&name)
                            }
                            _ => false,
                        };
                        if matched {
                            next.push((joined(&path, &name), entry_kind, index + 1));
                        }
                    }
                }
                stack.extend(next.into_iter().rev());
            }
        }
    }
    // The walk visits names in order, so its files come sorted; only `**`, which matches
    // files before subdirectories and may reach one twice, needs a sort (of paths, component
    // by component: what a walk in name order gives).
    if pattern.components.iter().any(|c| matches!(c, Component::AnyDirectories)) {
        out.files.sort();
        out.files.dedup();
    }
    out.dirs_read.sort();
    out.dirs_read.dedup_by(|a, b| a.0 == b.0);
    Ok(out)
}

/// `dir` joined with `name`, allocated once at its final size (`Path::join` copies `dir`, then
/// grows the copy for `name`: two allocations per file listed).
fn joined(dir: &Path, name: &std::ffi::OsStr) -> PathBuf {
    let mut path = PathBuf::with_capacity(dir.as_os_str().len() + 1 + name.len());
    path.push(dir);
    path.push(name);
    path
}

/// A pattern without wildcards: `path` (the pattern's components joined) if it is a file.
fn literal_file(dir: &Path, rest: &[Component], mut out: Expansion) -> Result<Expansion, String> {
    let mut path = dir.to_path_buf();
    for c in rest {
        if let Component::Literal(name) = c {
            path.push(name);
        }
    }
    match std::fs::metadata(&path) {
        Ok(m) if m.is_file() => out.files.push(path),
        Ok(m) if m.is_dir() => {
            return Err(format!(
                "{} is a directory, not a source file: name its files with a pattern such as `{}/*.c`",
                path.display(),
                path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
            ));
        }
        Ok(m) => return Err(format!("{} is {}, not a source file", path.display(), crate::fsutil::kind_of(&m))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    }
    Ok(out)
}

/// The entries of `dir` (of `kind`, listed to match component `index`), sorted by name, with
/// their kinds; records `dir` as read. `None` when it must not be walked: it vanished, or it
/// was reached through a symbolic link that leaves `real_root` or leads to a directory walked
/// already (with a warning).
fn list(
    dir: &Path,
    kind: Kind,
    index: usize,
    real_root: Option<&Path>,
    walked: &mut HashSet<(u64, u64, usize)>,
    out: &mut Expansion,
) -> Result<Option<Vec<(std::ffi::OsString, Kind)>>, String> {
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read directory {}: {e}", dir.display())),
    };
    if let (Kind::LinkedDir, Some(real_root)) = (kind, real_root) {
        let inside = std::fs::canonicalize(dir).is_ok_and(|real| real.starts_with(real_root));
        if !inside {
            out.warnings.push(format!(
                "{} is a symbolic link leading out of {}: not followed (name that directory in a pattern of its own)",
                dir.display(),
                real_root.display()
            ));
            return Ok(None);
        }
    }
    if !walked.insert((meta.dev(), meta.ino(), index)) {
        out.warnings.push(format!(
            "{} is a symbolic link to a directory already walked (a loop, or a second way to the same place): not followed",
            dir.display()
        ));
        return Ok(None);
    }
    let stamp = crate::fsutil::stamp_of(&meta);
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read directory {}: {e}", dir.display())),
    };
    out.dirs_read.push((dir.to_path_buf(), stamp));
    let mut v = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read directory {}: {e}", dir.display()))?;
        // The listing's own type (no stat); symbolic links are looked through.
        let kind = match entry.file_type() {
            Ok(t) if t.is_file() => Kind::File,
            Ok(t) if t.is_dir() => Kind::Dir,
            Ok(t) if t.is_symlink() => match std::fs::metadata(entry.path()) {
                Ok(m) if m.is_file() => Kind::File,
                Ok(m) if m.is_dir() => Kind::LinkedDir,
                _ => Kind::Unknown,
            },
            _ => Kind::Unknown,
        };
        v.push((entry.file_name(), kind));
    }
    // Names in one directory: comparing them is comparing the paths, without splitting paths.
    v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(pattern: &str, name: &str) -> bool {
        match &Pattern::parse(pattern).unwrap().components[0] {
            Component::Glob { matcher, .. } => matcher.is_match(name),
            Component::Suffix(s) => name.ends_with(s.as_str()),
            Component::Literal(l) => l == name,
            Component::AnyDirectories => true,
        }
    }

    #[test]
    fn component_patterns() {
        assert!(matches("*.c", "encode.c"));
        assert!(!matches("*.c", "encode.h"));
        assert!(matches("enc?de.c", "encode.c"));
        assert!(matches("[a-c]x", "bx"));
        assert!(!matches("[!a-c]x", "bx"));
        assert!(matches("a*b*c", "aXXbYc"));
        assert!(!matches("a*b*c", "aXXbY"));
        assert!(matches("{enc,dec}ode.c", "decode.c"));
        assert!(matches("[]]x", "]x"));
        // Non-ASCII names: `*` and classes see characters; `?` is one byte (globset's rule).
        assert!(matches("*é", "café"));
        assert!(matches("[à-é]*", "é.c"));
        assert!(!matches("?t?.c", "étè.c"));
        // Linear, not exponential: this takes seconds with a backtracking matcher.
        let name = "a".repeat(200);
        assert!(!matches("*a*a*a*a*a*a*a*a*a*a*a*a*b", &name));
    }

    #[test]
    fn absolute_and_malformed_patterns_are_refused() {
        assert!(Pattern::parse("/**/*.c").unwrap_err().contains("absolute pattern"));
        assert!(Pattern::parse("src/[abc.c").unwrap_err().contains("not a valid pattern"));
        assert!(Pattern::parse("../shared/*.c").is_ok());
    }

    fn expand_str(base: &Path, pattern: &str) -> Expansion {
        expand(base, &Pattern::parse(pattern).unwrap()).unwrap()
    }

    #[test]
    fn expands_stars_and_double_stars_and_reports_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        for f in ["src/a.c", "src/b.h", "src/sub/c.c", "src/.hidden/d.c", "top.c"] {
            let p = base.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "").unwrap();
        }
        let e = expand_str(base, "src/*.c");
        assert_eq!(e.files, [base.join("src/a.c")]);
        assert_eq!(e.dirs_read.iter().map(|d| &d.0).collect::<Vec<_>>(), [&base.join("src")]);
        let e = expand_str(base, "src/**/*.c");
        assert_eq!(e.files, [base.join("src/a.c"), base.join("src/sub/c.c")]);
        assert!(e.dirs_read.iter().any(|d| d.0 == base.join("src/sub")));
        let e = expand_str(base, "top.c");
        assert_eq!(e.files, [base.join("top.c")]);
        assert!(e.dirs_read.is_empty());
        assert!(expand_str(base, "nope/*.c").files.is_empty());
        let err = expand(base, &Pattern::parse("src").unwrap()).unwrap_err();
        assert!(err.contains("is a directory") && err.contains("`src/*.c`"), "{err}");
    }

    #[test]
    fn symbolic_link_loops_are_walked_once_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        std::fs::create_dir_all(base.join("src/sub")).unwrap();
        std::fs::write(base.join("src/a.c"), "").unwrap();
        std::fs::write(base.join("src/sub/b.c"), "").unwrap();
        std::os::unix::fs::symlink(".", base.join("src/loop")).unwrap();
        std::os::unix::fs::symlink("..", base.join("src/sub/up")).unwrap();
        let e = expand_str(base, "src/**/*.c");
        assert_eq!(e.files, [base.join("src/a.c"), base.join("src/sub/b.c")]);
        assert_eq!(e.warnings.len(), 2, "{:?}", e.warnings);
        assert!(e.warnings.iter().all(|w| w.contains("already walked")), "{:?}", e.warnings);
    }

    #[test]
    fn a_link_leading_out_of_the_pattern_root_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        std::fs::create_dir_all(base.join("m/src")).unwrap();
        std::fs::create_dir_all(base.join("elsewhere")).unwrap();
        std::fs::write(base.join("elsewhere/x.c"), "").unwrap();
        std::os::unix::fs::symlink("../../elsewhere", base.join("m/src/ext")).unwrap();
        let e = expand_str(&base.join("m"), "src/**/*.c");
        assert!(e.files.is_empty());
        assert!(e.warnings[0].contains("leading out of"), "{:?}", e.warnings);
        // Unless the pattern itself starts there.
        assert_eq!(expand_str(&base.join("m"), "../elsewhere/**/*.c").files.len(), 1);
    }

    #[test]
    fn a_tree_as_deep_as_paths_go_is_walked_to_the_bottom() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        // 1,900 levels: as deep as a path of one-letter directories stays under PATH_MAX.
        let deep: PathBuf = std::iter::repeat_n("d", 1900).collect();
        std::fs::create_dir_all(base.join(&deep)).unwrap();
        std::fs::write(base.join(&deep).join("bottom.c"), "").unwrap();
        let e = expand_str(base, "**/*.c");
        assert_eq!(e.files, [base.join(&deep).join("bottom.c")]);
        assert_eq!(e.dirs_read.len(), 1901);
    }
}
