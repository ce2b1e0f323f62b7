//! Lexical path arithmetic: normalising `.`/`..` and expressing one path relative to another.

use std::path::{Component, Path, PathBuf};

/// Removes `.` components and folds `a/..` pairs without touching the file system.
pub fn normalize(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for comp in path.components() {
        match comp {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(comp),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// `path` made absolute against `base` (usually the current directory) and normalised.
pub fn absolute(path: &Path, base: &Path) -> PathBuf {
    if path.is_absolute() { normalize(path) } else { normalize(&base.join(path)) }
}

/// The current directory, or `.` if it cannot be read.
pub fn current_dir() -> PathBuf {
    std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."))
}

/// `path` expressed relative to directory `base`; both must be absolute and normalised.
pub fn relative(path: &Path, base: &Path) -> PathBuf {
    let p: Vec<Component> = path.components().collect();
    let b: Vec<Component> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c.as_os_str());
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The characters a path in a build file cannot hold, though a file name may: ninja reads a
/// compiler's depfile with a lexer that ends a path at `" & ' * ; < > ? \ ^ | \``, so a source
/// or header named so would rebuild on every run; make reads the same depfiles as rules, where
/// compilers leave `:` unescaped (a second colon makes a static pattern rule); and in a make rule
/// `*`, `?`, `[`, `]` are wildcards, `=` makes a variable assignment, `(` `)` name an archive
/// member and `;` `|` end the prerequisites. Control characters are refused everywhere (see
/// `graph::check_text`).
pub const UNSUPPORTED_PATH_CHARACTERS: &str = "\"&'*:;<>?\\^|`=()[]";

/// [`UNSUPPORTED_PATH_CHARACTERS`] as a table by byte (they are all ASCII): every source path
/// is checked, and a table lookup per byte beats a search of the list per character.
const UNSUPPORTED_BYTES: [bool; 128] = {
    let mut table = [false; 128];
    let bytes = UNSUPPORTED_PATH_CHARACTERS.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
};

/// The first character of `path` that no build file can carry as part of a path (see
/// [`UNSUPPORTED_PATH_CHARACTERS`]).
pub fn unsupported_character(path: &str) -> Option<char> {
    // Bytes of multi-byte characters are all 0x80 or more: never in the table.
    path.bytes().find(|&b| b < 128 && UNSUPPORTED_BYTES[b as usize]).map(char::from)
}

/// A path as a UTF-8 string with `/` separators, for generated files.
pub fn to_slash(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_build_files_cannot_carry_are_found_by_their_character() {
        assert_eq!(unsupported_character("../m/src/a b$#@!{}%,+~é.c"), None);
        assert_eq!(unsupported_character("../m:x/a.c"), Some(':'));
        assert_eq!(unsupported_character("../m*/a.c"), Some('*'));
        assert_eq!(unsupported_character("a=b.c"), Some('='));
        assert_eq!(unsupported_character(r"a\b.c"), Some('\\'));
        for c in UNSUPPORTED_PATH_CHARACTERS.chars() {
            assert_eq!(unsupported_character(&format!("../é/a{c}b.c")), Some(c), "{c}");
        }
    }

    #[test]
    fn normalize_folds_dots() {
        assert_eq!(normalize(Path::new("a/./b/../c")), PathBuf::from("a/c"));
        assert_eq!(normalize(Path::new("../a/..")), PathBuf::from(".."));
        assert_eq!(normalize(Path::new("/../x")), PathBuf::from("/x"));
        assert_eq!(normalize(Path::new("./")), PathBuf::from("."));
    }

    #[test]
    fn relative_walks_up_and_down() {
        let r = relative(Path::new("/p/examples/runtime/src/a.c"), Path::new("/p/examples/demo/build"));
        assert_eq!(r, PathBuf::from("../../runtime/src/a.c"));
        assert_eq!(relative(Path::new("/p/b"), Path::new("/p/b")), PathBuf::from("."));
        assert_eq!(relative(Path::new("/p/b/c"), Path::new("/p/b")), PathBuf::from("c"));
    }
}
