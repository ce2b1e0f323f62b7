//! Helpers shared by the integration tests: running the spygen binary and requiring tools.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A command running the spygen binary under test, with spygen's own env vars cleared.
pub fn spygen() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_spygen"));
    cmd.env_remove("SPYGEN_TOOLCHAIN_DIR")
        .env_remove("SPY_WERROR")
        .env_remove("SPYGEN_LAUNCHER")
        .env_remove("SPYGEN_LINK_JOBS");
    cmd
}

/// Runs `cmd`, returning (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let out: Output = cmd.output().expect("spawn");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `cmd` and returns its stdout, failing the test with stderr if it does not exit 0.
pub fn run_ok(cmd: &mut Command) -> String {
    let (code, out, err) = run(cmd);
    assert_eq!(code, 0, "command failed: {cmd:?}\nstdout:\n{out}\nstderr:\n{err}");
    out
}

/// True when running under CI (`CI=true`), where a missing tool is a failure, not a skip.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Whether the toolchain of `target` is available here (per `spygen toolchains --json`).
/// In CI a missing toolchain fails the test; locally the test is skipped with a message.
pub fn require_target(target: &str) -> bool {
    let out = run_ok(spygen().args(["toolchains", "--json"]));
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let entry =
        list.as_array().unwrap().iter().find(|t| t["target"] == target).unwrap_or_else(|| panic!("no target {target}"));
    if entry["available"] == true {
        return true;
    }
    let hint = entry["install"].as_str().unwrap_or_default();
    if in_ci() {
        panic!("toolchain `{target}` is missing in CI: {hint}");
    }
    eprintln!("SKIPPED: toolchain `{target}` is not installed here ({hint})");
    false
}

/// Whether the program `name` is on PATH; in CI its absence fails the test.
pub fn require_program(name: &str, install: &str) -> bool {
    if which(name).is_some() {
        return true;
    }
    if in_ci() {
        panic!("`{name}` is missing in CI: {install}");
    }
    eprintln!("SKIPPED: `{name}` is not installed here ({install})");
    false
}

/// The path of `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// build.ninja text with what depends on this machine replaced by a placeholder: spygen's
/// path, the resolved tools, the link pool's default depth (it follows the cores).
pub fn redact_ninja(text: &str) -> String {
    let text = text.replace(env!("CARGO_BIN_EXE_spygen"), "<spygen>");
    text.lines()
        .map(|l| {
            let tool_var = (l.starts_with("cc.") || l.starts_with("ar.")) && l.contains(" = ");
            if l.starts_with("spygen = ") || tool_var || l.starts_with("  depth = ") {
                format!("{} = <resolved on this machine>\n", l.split(" = ").next().unwrap())
            } else {
                format!("{l}\n")
            }
        })
        .collect()
}

/// The repository root.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Writes `files` (relative path, content) under `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (rel, content) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

/// Copies the directory tree `from` into `to`, leaving out `build` directories.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "build" {
                copy_tree(&src, &dst);
            }
        } else {
            std::fs::copy(&src, &dst).unwrap();
        }
    }
}

/// A private copy of the repository's `examples/` in a temporary directory (tests touch files).
pub fn examples_copy() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap().join("examples");
    copy_tree(&repo_root().join("examples"), &root);
    (dir, root)
}

/// Whether the tests run as root, whose power to read any file would hide permission errors.
pub fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// A command running `program` without the power to read or enter files it has no permission
/// for, so that a permission test means the same under root as for a user: root's
/// CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH are dropped with `setpriv` (util-linux).
pub fn without_read_override(program: &Path) -> Command {
    if running_as_root() {
        let mut cmd = Command::new("setpriv");
        cmd.arg("--bounding-set=-dac_override,-dac_read_search").arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// [`spygen`] run through [`without_read_override`].
pub fn spygen_without_read_override() -> Command {
    let mut cmd = without_read_override(Path::new(env!("CARGO_BIN_EXE_spygen")));
    cmd.env_remove("SPYGEN_TOOLCHAIN_DIR")
        .env_remove("SPY_WERROR")
        .env_remove("SPYGEN_LAUNCHER")
        .env_remove("SPYGEN_LINK_JOBS");
    cmd
}

/// The property-based harnesses' settings: `default_cases` cases (`SPYGEN_HARNESS_CASES`
/// overrides), from a fixed seed (`SPYGEN_HARNESS_SEED` overrides), nothing persisted.
pub fn harness_config(default_cases: u32, default_seed: u64, max_shrink_iters: u32) -> proptest::test_runner::Config {
    let cases = std::env::var("SPYGEN_HARNESS_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default_cases);
    let seed = std::env::var("SPYGEN_HARNESS_SEED").ok().and_then(|v| v.parse().ok()).unwrap_or(default_seed);
    proptest::test_runner::Config {
        cases,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        failure_persistence: None,
        max_shrink_iters,
        ..proptest::test_runner::Config::default()
    }
}

/// `text` as a TOML basic string: quotes and backslashes escaped, control characters as
/// `\uXXXX`.
pub fn toml_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
