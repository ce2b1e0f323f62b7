//! Source globs: `*`, `?`, `[a-z]` within a path component and `**` across directories.
//!
//! Expansion also reports every directory it listed, because a build file that depends on a
//! glob must be regenerated when a file is added to or removed from one of them.

use std::path::{Path, PathBuf};

/// The result of expanding one pattern.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Expansion {
    /// Matching files, sorted.
    pub files: Vec<PathBuf>,
    /// Directories whose listing the result depends on, sorted.
    pub dirs_read: Vec<PathBuf>,
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
    out.files.sort();
    out.files.dedup();
    out.dirs_read.sort();
    out.dirs_read.dedup();
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
        for (sub, sub_kind) in list(dir, out) {
            if sub_kind == Kind::Dir && !hidden(&sub) {
                walk(&sub, sub_kind, rest, out);
            }
        }
    } else if is_pattern(first) {
        for (entry, entry_kind) in list(dir, out) {
            let name = entry.file_name().unwrap_or_default().to_string_lossy();
            if (!name.starts_with('.') || first.starts_with('.')) && matches(first, &name) {
                walk(&entry, entry_kind, tail, out);
            }
        }
    } else {
        walk(&dir.join(first), Kind::Unknown, tail, out);
    }
}

fn hidden(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
}

fn list(dir: &Path, out: &mut Expansion) -> Vec<(PathBuf, Kind)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    out.dirs_read.push(dir.to_path_buf());
    let mut v: Vec<(std::ffi::OsString, Kind, std::fs::DirEntry)> = entries
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
            (e.file_name(), kind, e)
        })
        .collect();
    // Names in one directory: comparing them is comparing the paths, without splitting paths.
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v.into_iter().map(|(_, kind, e)| (e.path(), kind)).collect()
}

/// Whether `name` matches the one-component `pattern`.
pub fn matches(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_from(&p, &n)
}

fn match_from(p: &[char], n: &[char]) -> bool {
    match p.first() {
        None => n.is_empty(),
        Some('*') => (0..=n.len()).any(|i| match_from(&p[1..], &n[i..])),
        Some('?') => !n.is_empty() && match_from(&p[1..], &n[1..]),
        Some('[') => match (class_end(p), n.first()) {
            (Some(end), Some(&c)) => class_matches(&p[1..end], c) && match_from(&p[end + 1..], &n[1..]),
            (Some(_), None) => false,
            (None, _) => n.first() == Some(&'[') && match_from(&p[1..], &n[1..]),
        },
        Some(&c) => n.first() == Some(&c) && match_from(&p[1..], &n[1..]),
    }
}

fn class_end(p: &[char]) -> Option<usize> {
    // The first `]` after `[`, `[!`, `[]` or `[!]` closes the class.
    let start = if p.get(1) == Some(&'!') { 2 } else { 1 };
    (start + 1..p.len()).find(|&i| p[i] == ']')
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
        assert_eq!(e.dirs_read, [base.join("src")]);
        let e = expand(base, "src/**/*.c");
        assert_eq!(e.files, [base.join("src/a.c"), base.join("src/sub/c.c")]);
        assert!(e.dirs_read.contains(&base.join("src/sub")));
        let e = expand(base, "top.c");
        assert_eq!(e.files, [base.join("top.c")]);
        assert!(e.dirs_read.is_empty());
        assert!(expand(base, "nope/*.c").files.is_empty());
    }
}
