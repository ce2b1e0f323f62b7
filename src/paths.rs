//! Lexical path arithmetic: normalising `.`/`..` and expressing one path relative to another.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

/// Removes `.` components and folds `a/..` pairs without touching the file system: what
/// collecting `path.components()` would give with each `..` after a name taken back, spelled
/// straight into one buffer (a generation normalises a path per module and per input).
pub fn normalize(path: &Path) -> PathBuf {
    let bytes = path.as_os_str().as_bytes();
    let rooted = bytes.first() == Some(&b'/');
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len().max(1));
    if rooted {
        out.push(b'/');
    }
    // Where the names start, and how many names end `out` (after its last `..`).
    let floor = out.len();
    let mut names = 0usize;
    for part in parts(bytes) {
        if part == b".." {
            if names > 0 {
                let cut = out[floor..].iter().rposition(|&b| b == b'/').map_or(floor, |i| floor + i);
                out.truncate(cut);
                names -= 1;
                continue;
            }
            // Nothing is above the root.
            if rooted {
                continue;
            }
        } else {
            names += 1;
        }
        if out.len() > floor {
            out.push(b'/');
        }
        out.extend_from_slice(part);
    }
    if out.is_empty() {
        out.push(b'.');
    }
    PathBuf::from(OsString::from_vec(out))
}

/// The components of `path` after its root, as `Path::components` finds them: empty ones and
/// `.` left out (only a relative path's leading `.` is a component, and no caller keeps it).
fn parts(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    path.split(|&b| b == b'/').filter(|p| !p.is_empty() && *p != b".")
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
    PathBuf::from(OsString::from_vec(relative_bytes(path, base)))
}

/// [`relative`], as build files spell it (see [`to_slash`]).
pub fn relative_slash(path: &Path, base: &Path) -> String {
    match String::from_utf8(relative_bytes(path, base)) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// The bytes of [`relative`]: for two absolute paths, their components compared and joined as
/// bytes in one buffer (a generation spells a path per module and per configuration this way);
/// otherwise as `Path::components` sees them.
fn relative_bytes(path: &Path, base: &Path) -> Vec<u8> {
    let (p, b) = (path.as_os_str().as_bytes(), base.as_os_str().as_bytes());
    if !(p.starts_with(b"/") && b.starts_with(b"/")) {
        return relative_components(path, base).into_os_string().into_vec();
    }
    let mut path_parts = parts(p).peekable();
    let mut base_parts = parts(b).peekable();
    while let (Some(x), Some(y)) = (path_parts.peek(), base_parts.peek()) {
        if x != y {
            break;
        }
        path_parts.next();
        base_parts.next();
    }
    let mut out: Vec<u8> = Vec::with_capacity(p.len());
    for part in base_parts.map(|_| b"..".as_slice()).chain(path_parts) {
        if !out.is_empty() {
            out.push(b'/');
        }
        out.extend_from_slice(part);
    }
    if out.is_empty() {
        out.push(b'.');
    }
    out
}

/// [`relative`] by `Path::components`, for paths that are not both absolute.
fn relative_components(path: &Path, base: &Path) -> PathBuf {
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

    /// `normalize` as `Path::components` defines it: each `..` takes back the name before it,
    /// is dropped at the root, and is kept when nothing is left to take back.
    fn normalize_by_components(path: &Path) -> PathBuf {
        let mut out: Vec<Component> = Vec::new();
        for comp in path.components() {
            match comp {
                Component::CurDir => {}
                Component::ParentDir => match out.last() {
                    Some(Component::Normal(_)) => {
                        out.pop();
                    }
                    Some(Component::RootDir) => {}
                    _ => out.push(comp),
                },
                other => out.push(other),
            }
        }
        if out.is_empty() { PathBuf::from(".") } else { out.iter().collect() }
    }

    /// Paths of a few short names, `.`, `..`, doubled and trailing slashes, rooted or not.
    fn any_path() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let part = prop_oneof![Just(""), Just("."), Just(".."), Just("a"), Just("b"), Just("é"), Just(".c")];
        (any::<bool>(), proptest::collection::vec(part, 0..7)).prop_map(|(rooted, parts)| {
            let joined = parts.join("/");
            if rooted { format!("/{joined}") } else { joined }
        })
    }

    proptest::proptest! {
        #[test]
        fn normalize_gives_what_the_path_components_give(path in any_path()) {
            proptest::prop_assert_eq!(normalize(Path::new(&path)), normalize_by_components(Path::new(&path)));
        }

        #[test]
        fn relative_gives_what_the_path_components_give(path in any_path(), base in any_path()) {
            let (path, base) = (normalize(Path::new(&format!("/{path}"))), normalize(Path::new(&format!("/{base}"))));
            proptest::prop_assert_eq!(relative(&path, &base), relative_components(&path, &base));
            proptest::prop_assert_eq!(relative_slash(&path, &base), to_slash(&relative_components(&path, &base)));
        }

        #[test]
        fn relative_of_unnormalised_absolute_paths_compares_their_components(path in any_path(), base in any_path()) {
            let (path, base) = (format!("/{path}"), format!("/{base}"));
            proptest::prop_assert_eq!(relative(Path::new(&path), Path::new(&base)), relative_components(Path::new(&path), Path::new(&base)));
        }
    }
}
