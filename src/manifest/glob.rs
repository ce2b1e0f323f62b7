//! Source globs: `*`, `?`, `[a-z]` within a path component and `**` across directories.
//!
//! Expansion also reports every directory it listed, because a build file that depends on a
//! glob must be regenerated when a file is added to or removed from one of them.

use std::path::{Path, PathBuf};

use crate::fsutil::Stamp;

/// The result of expanding one pattern.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// Matching files, sorted.
    pub files: Vec<PathBuf>,
    /// Directories whose listing the result depends on, sorted, each stamped before it was
    /// listed.
    pub dirs_read: Vec<(PathBuf, Option<Stamp>)>,
}

/// Whether `pattern` has any wildcard (otherwise it names one file).
pub fn is_pattern(pattern: &str) -> bool {
    pattern.contains(['*', '?', '['])
}

/// Expands `pattern` relative to `base`. A pattern without wildcards yields its one path if it
/// exists as a file. Names starting with `.` are matched only by patterns starting with `.`.
pub fn expand(base: &Path, pattern: &str) -> Expansion {
    let mut out = Expansion::default();
    let root = if Path::new(pattern).is_absolute() { PathBuf::from("/") } else { base.to_path_buf() };
    let components: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty() && *c != ".").collect();
    walk(&root, Kind::Unknown, &components, &mut out);
    // Each listing is sorted and walked in order, so only `**` (which visits a directory's
    // files before its subdirectories', and may reach a file twice) needs sorting.
    if components.contains(&"**") {
        out.files.sort();
        out.files.dedup();
    }
    out.dirs_read.sort();
    out.dirs_read.dedup_by(|a, b| a.0 == b.0);
    out
}

/// What a path is, when already known from a directory listing (saves a `stat`).
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    File,
    Dir,
    Unknown,
}

fn walk(dir: &Path, kind: Kind, rest: &[&str], out: &mut Expansion) {
    let Some((first, tail)) = rest.split_first() else {
        let is_file = match kind {
            Kind::File => true,
            Kind::Dir => false,
            Kind::Unknown => dir.is_file(),
        };
        if is_file {
            out.files.push(dir.to_path_buf());
        }
        return;
    };
    if kind == Kind::File {
        return;
    }
    if *first == "**" {
        // Zero directories, then each subdirectory (recursively).
        walk(dir, kind, tail, out);
        for (name, sub_kind) in list(dir, out) {
            if sub_kind == Kind::Dir && !name.as_encoded_bytes().starts_with(b".") {
                walk(&dir.join(name), sub_kind, rest, out);
            }
        }
    } else if is_pattern(first) {
        for (name, entry_kind) in list(dir, out) {
            let text = name.to_string_lossy();
            if (!text.starts_with('.') || first.starts_with('.')) && matches(first, &text) {
                walk(&dir.join(name), entry_kind, tail, out);
            }
        }
    } else {
        walk(&dir.join(first), Kind::Unknown, tail, out);
    }
}

/// The entries of `dir`, sorted by name, with their kinds; records `dir` as read.
fn list(dir: &Path, out: &mut Expansion) -> Vec<(std::ffi::OsString, Kind)> {
    let stamp = crate::fsutil::stamp(dir);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    out.dirs_read.push((dir.to_path_buf(), stamp));
    let mut v: Vec<(std::ffi::OsString, Kind)> = entries
        .filter_map(|e| e.ok())
        .map(|e| {
            // The listing's own type (no stat); symbolic links are looked through.
            let kind = match e.file_type() {
                Ok(t) if t.is_file() => Kind::File,
                Ok(t) if t.is_dir() => Kind::Dir,
                _ => match std::fs::metadata(e.path()) {
                    Ok(m) if m.is_file() => Kind::File,
                    Ok(m) if m.is_dir() => Kind::Dir,
                    _ => Kind::Unknown,
                },
            };
            (e.file_name(), kind)
        })
        .collect();
    // Names in one directory: comparing them is comparing the paths, without splitting paths.
    v.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    v
}

/// Whether `name` matches the one-component `pattern` (no allocation but for `[...]` classes).
pub fn matches(pattern: &str, name: &str) -> bool {
    let mut p = pattern.chars();
    let mut n = name.chars();
    match p.next() {
        None => name.is_empty(),
        Some('*') => {
            let rest = p.as_str();
            name.char_indices().map(|(i, _)| i).chain([name.len()]).any(|i| matches(rest, &name[i..]))
        }
        Some('?') => n.next().is_some() && matches(p.as_str(), n.as_str()),
        Some('[') => {
            let Some(c) = n.next() else { return false };
            match class_end(pattern) {
                Some(end) => {
                    let class: Vec<char> = pattern[1..end].chars().collect();
                    class_matches(&class, c) && matches(&pattern[end + 1..], n.as_str())
                }
                None => c == '[' && matches(p.as_str(), n.as_str()),
            }
        }
        Some(c) => n.next() == Some(c) && matches(p.as_str(), n.as_str()),
    }
}

/// The byte index of the `]` closing the class `pattern` starts with: the first one after
/// `[`, `[!`, `[]` or `[!]`.
fn class_end(pattern: &str) -> Option<usize> {
    let start = if pattern[1..].starts_with('!') { 2 } else { 1 };
    let first = pattern[start..].chars().next()?;
    let from = start + first.len_utf8();
    pattern[from..].find(']').map(|i| from + i)
}

fn class_matches(class: &[char], c: char) -> bool {
    let (negate, class) = match class.first() {
        Some('!') => (true, &class[1..]),
        _ => (false, class),
    };
    let mut found = false;
    let mut i = 0;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == '-' {
            found |= class[i] <= c && c <= class[i + 2];
            i += 3;
        } else {
            found |= class[i] == c;
            i += 1;
        }
    }
    found != negate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_patterns() {
        assert!(matches("*.c", "encode.c"));
        assert!(!matches("*.c", "encode.h"));
        assert!(matches("enc?de.c", "encode.c"));
        assert!(matches("[a-c]x", "bx"));
        assert!(!matches("[!a-c]x", "bx"));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "aXXbYc"));
        assert!(!matches("a*b*c", "aXXbY"));
        // `]` right after `[` or `[!` is a member; an unclosed `[` is literal.
        assert!(matches("[]]x", "]x"));
        assert!(!matches("[!]]x", "]x"));
        assert!(matches("[!]]x", "ax"));
        assert!(matches("[abc", "[abc"));
        assert!(!matches("[abc", "a"));
        // Characters, not bytes.
        assert!(matches("?t?.c", "étè.c"));
        assert!(matches("[à-é]*", "é.c"));
        assert!(matches("*é", "café"));
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
        let e = expand(base, "src/*.c");
        assert_eq!(e.files, [base.join("src/a.c")]);
        assert_eq!(e.dirs_read.iter().map(|d| &d.0).collect::<Vec<_>>(), [&base.join("src")]);
        let e = expand(base, "src/**/*.c");
        assert_eq!(e.files, [base.join("src/a.c"), base.join("src/sub/c.c")]);
        assert!(e.dirs_read.iter().any(|d| d.0 == base.join("src/sub")));
        let e = expand(base, "top.c");
        assert_eq!(e.files, [base.join("top.c")]);
        assert!(e.dirs_read.is_empty());
        assert!(expand(base, "nope/*.c").files.is_empty());
    }
}
