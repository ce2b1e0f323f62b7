//! The inputs of a generation and their state (size and mtime), kept in the build directory as
//! `.spygen-inputs`, so `spygen gen` with nothing changed returns before planning anything and
//! writes nothing. The record covers the options and environment, spygen itself, every
//! manifest and user descriptor, every directory a source glob read, the PATH directories
//! (a newly installed compiler changes one), and the generated files themselves.

use std::path::{Path, PathBuf};

use crate::fsutil::{Stamp, stamp, write_if_changed};

/// The record's file name in the build directory.
pub const FILE: &str = ".spygen-inputs";

/// The first lines of a record: spygen (version and executable), what was asked (`request`:
/// the regeneration arguments, which spell out every option and every environment value a
/// generation reads, see [`crate::options::GenOptions::regen_args`]), PATH, which decides which
/// tools are found, and the link pool's default depth, which follows the machine's cores. The
/// current directory is not part of it: the request's paths are relative to the build directory.
/// `probe_env` are the variables tool probes read, with their values (a switched virtualenv or
/// pyenv version may resolve zig to another package's binary).
pub fn header(request: &[String], exe: &Path, probe_env: &[(String, String)]) -> String {
    let probe_env: String = probe_env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    format!(
        "spygen-inputs v3 {} {}\n{}\nPATH={}\ndefault-link-jobs={}\n{probe_env}",
        env!("CARGO_PKG_VERSION"),
        exe.display(),
        crate::shell::join(request),
        std::env::var("PATH").unwrap_or_default(),
        crate::toolchain::launcher::default_link_jobs()
    )
}

/// A file's state as a record line spells it: its stamp, or `missing`.
struct Shown(Option<Stamp>);

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(s) => s.fmt(f),
            None => f.write_str("missing"),
        }
    }
}

/// The PATH directories, whose mtimes change when a program is installed in one of them.
pub fn path_dirs() -> Vec<PathBuf> {
    std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect()).unwrap_or_default()
}

/// Whether the record in `build_dir` matches `header` and every file in it is as recorded: a
/// file recorded as missing must still be missing (a PATH directory created since is a change).
pub fn up_to_date(build_dir: &Path, header: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(build_dir.join(FILE)) else {
        return false;
    };
    let Some(files) = text.strip_prefix(header) else {
        return false;
    };
    files.lines().all(|line| match entry(line) {
        Some((path, state)) => Shown(stamp(Path::new(path))).to_string() == state,
        None => false,
    })
}

/// A record line's file and its state (`path\tstate`); `None` for a header line.
fn entry(line: &str) -> Option<(&str, &str)> {
    line.rsplit_once('\t')
}

/// The files the record in `build_dir` lists (none when there is no record).
pub fn recorded_files(build_dir: &Path) -> Vec<PathBuf> {
    let Ok(text) = std::fs::read_to_string(build_dir.join(FILE)) else {
        return Vec::new();
    };
    text.lines().filter_map(entry).map(|(path, _)| PathBuf::from(path)).collect()
}

/// Writes the record of `files` (absolute paths, each with its stamp taken before it was read),
/// after the outputs are written.
pub fn record(build_dir: &Path, header: &str, files: &[(PathBuf, Option<Stamp>)]) {
    use std::fmt::Write;
    let mut text = header.to_string();
    for (f, s) in files {
        // Writing into the text never fails.
        let _ = writeln!(text, "{}\t{}", f.display(), Shown(*s));
    }
    // Best effort: without the record the next run only does the full work.
    let _ = write_if_changed(&build_dir.join(FILE), text.as_bytes());
}
