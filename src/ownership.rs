//! Which files in a build directory are spygen's to replace. A build directory can be shared
//! by accident with another tool that writes the same names (`spy build` writes its own
//! `build.ninja` into `build/`): spygen replaces or deletes a build file only when it wrote
//! it, and otherwise stops before writing anything.
//!
//! A file is spygen's when the build directory's record of the last generation
//! ([`crate::fingerprint::FILE`]) lists it, or when its first line is the header spygen writes
//! (the record may have been deleted). `compile_commands.json` has no header: it is spygen's when
//! the record lists it or when a build file beside it is spygen's.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};
use crate::options::{COMPDB_FILE, FRAGMENT_FILE, MAKEFILE, NINJA_FILE};

/// The start of the first line spygen writes in each of its text build files.
fn header_mark(name: &str) -> Option<&'static str> {
    match name {
        NINJA_FILE => Some(crate::lower::ninja::HEADER_START),
        MAKEFILE => Some(crate::lower::make::HEADER_START),
        FRAGMENT_FILE => Some("# spygen.mk: "),
        _ => None,
    }
}

/// Whether `path` starts with spygen's header for a file named `name`, written by spygen.
fn has_header(path: &Path, name: &str) -> bool {
    let Some(mark) = header_mark(name) else { return false };
    let mut first = [0u8; 256];
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    let mut len = 0;
    while len < first.len() {
        match file.read(&mut first[len..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => len += n,
        }
    }
    let line = first[..len].split(|&b| b == b'\n').next().unwrap_or_default();
    let says = |text: &[u8]| line.windows(text.len()).any(|w| w == text);
    line.starts_with(mark.as_bytes()) && (says(b"written by spygen") || says(b"written by `spygen gen`"))
}

/// Checks that each file of `names` in `build_dir` is either absent or spygen's, before a
/// generation replaces or deletes them. The error names the first file that is another tool's
/// and how to keep both (exit status 2: nothing was written).
pub fn check_replaceable(build_dir: &Path, names: &[&str]) -> Result<()> {
    // The header first: reading a file's first line costs less than reading the record.
    let mut record: Option<Vec<std::path::PathBuf>> = None;
    let mut listed = |path: &Path| -> bool {
        record.get_or_insert_with(|| crate::fingerprint::recorded_files(build_dir)).iter().any(|p| p == path)
    };
    for &name in names {
        let path = build_dir.join(name);
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if !meta.is_file() {
            // Not a build file another tool wrote: the writer's own error names it (a directory
            // in the way), before anything is replaced.
            continue;
        }
        let ours = if name == COMPDB_FILE {
            [NINJA_FILE, MAKEFILE].iter().any(|n| has_header(&build_dir.join(n), n)) || listed(&path)
        } else {
            has_header(&path, name) || listed(&path)
        };
        if !ours {
            return Err(Error::usage(format!(
                "{} was not written by spygen: refusing to replace another tool's {name}",
                path.display()
            ))
            .help(format!(
                "generate into another directory with --build-dir DIR (or `build-dir` under [spygen] in spy.toml); `spy build` writes its own build.ninja into build/. If {} is a stale file you no longer need, delete it",
                path.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_file_with_spygens_header_is_spygens_even_without_the_record() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(NINJA_FILE), "# build.ninja for ../spy.toml, written by spygen. Do not edit\n")
            .unwrap();
        std::fs::write(dir.path().join(COMPDB_FILE), "[]").unwrap();
        check_replaceable(dir.path(), &[NINJA_FILE, COMPDB_FILE]).unwrap();
    }

    #[test]
    fn another_tools_build_ninja_is_refused_naming_the_file_and_build_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(NINJA_FILE), "rule cc\n  command = cc $in\n").unwrap();
        let err = check_replaceable(dir.path(), &[NINJA_FILE]).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let text = err.to_string();
        assert!(text.contains(&dir.path().join(NINJA_FILE).display().to_string()), "{text}");
        assert!(text.contains("--build-dir"), "{text}");
    }

    #[test]
    fn a_compilation_database_beside_no_spygen_build_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(COMPDB_FILE), "[]").unwrap();
        assert!(check_replaceable(dir.path(), &[COMPDB_FILE]).is_err());
    }

    #[test]
    fn a_file_the_generation_record_lists_is_spygens() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(MAKEFILE);
        std::fs::write(&path, "all:\n").unwrap();
        std::fs::write(dir.path().join(crate::fingerprint::FILE), format!("header\n{}\t1:2\n", path.display()))
            .unwrap();
        check_replaceable(dir.path(), &[MAKEFILE]).unwrap();
    }
}
