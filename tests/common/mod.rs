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
    skipped(&format!("toolchain `{target}` is not installed here (to install: {hint})"));
    false
}

/// The file each skipped test adds a line to; `tests/run-all.sh` prints how many were skipped
/// and why.
pub fn skip_log() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("skipped-tests.txt")
}

/// Says that the running test is skipped and why: on stderr past the test harness's capture
/// (which swallows a passing test's `eprintln!`), and in [`skip_log`]. The test then returns,
/// and the harness reports it as passed: this line is what tells the two apart.
pub fn skipped(reason: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("a test").to_string();
    let line = format!("SKIPPED {test}: {reason}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    let log = std::fs::OpenOptions::new().create(true).append(true).open(skip_log());
    if let Ok(mut log) = log {
        let _ = log.write_all(line.as_bytes());
    }
}

/// Whether the program `name` is on PATH; in CI its absence fails the test.
pub fn require_program(name: &str, install: &str) -> bool {
    if which(name).is_some() {
        return true;
    }
    if in_ci() {
        panic!("`{name}` is missing in CI: {install}");
    }
    skipped(&format!("`{name}` is not installed here (to install: {install})"));
    false
}

/// The path of `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join(name)).find(|p| p.is_file())
}

/// insta settings that replace what depends on this machine in generated files, so one
/// snapshot holds everywhere: `root` (a temporary directory) by `<tmp>`, spygen's path by
/// `<spygen>`, the tools resolved here (`cc.wasi = ...`, `SPYGEN_CC_wasi_debug := ...`, the
/// tool words starting a JSON command or database entry) by a placeholder, and the link pool's
/// default depth (it follows the cores).
pub fn machine_filters(root: &Path) -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    settings.add_filter(&regex_escape(&root.display().to_string()), "<tmp>");
    settings.add_filter(&regex_escape(env!("CARGO_BIN_EXE_spygen")), "<spygen>");
    // ninja and make tool variables, the fragment's tools, `spygen flags --format make`.
    settings.add_filter(
        r"(?m)^((?:cc|ar|launcher|runner)\.[\w-]+ :?=|SPYGEN_(?:CC|AR|LAUNCHER)_[\w-]+ :?=|(?:CC|AR|LAUNCHER) :?=) [^$\n].*$",
        "$1 <resolved on this machine>",
    );
    // A compile rule's launcher and compiler, spelled out before -MMD.
    settings.add_filter(r"(?m)^(  command = PWD=/proc/self/cwd) [^$\n]*? -MMD ", "$1 <tools> -MMD ");
    settings.add_filter(r"(?m)^  depth = \d+$", "  depth = <cores>");
    // The compiler package's version a module manifest records.
    settings.add_filter(r#"--package-version=[^ \n"]+"#, "--package-version=<version>");
    // The words of a tool starting a command: before -MMD (compile), rcs (archive), -o (link).
    settings.add_filter(r#""arguments": \[(?:"[^"]*", )*?"-MMD""#, r#""arguments": ["<cc>", "-MMD""#);
    settings.add_filter(r#"("command": \[\n)(?:\s+"[^"]*",\n)*?(\s+)"(-MMD|rcs|-o)","#, "$1$2\"<tool>\",\n$2\"$3\",");
    // The program after `--` in a command: a test's runner, a module manifest's compiler.
    settings.add_filter(r#"("--",\n\s+)"/[^"]+""#, "$1\"<program>\"");
    settings
}

/// `text` with regex metacharacters escaped (for insta filters).
pub fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
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

/// The sha256 of `bytes`, in hex (computed here, not by spygen, to check what spygen records).
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Marks `path` as changed, as an editor saving it would: after a pause that puts it after
/// every output built so far, its content is written again, so its new mtime comes from the
/// file system's clock. Setting `SystemTime::now()` instead reads the precise clock, while the
/// kernel stamps written files with a coarse one (up to a tick, about 4 ms, behind): an
/// object a fast compile (a ccache hit) writes right after would be dated before the header
/// and look out of date to ninja and make for ever after.
pub fn touch(path: &Path) {
    std::thread::sleep(std::time::Duration::from_millis(20));
    let content = std::fs::read(path).unwrap();
    std::fs::write(path, content).unwrap();
}

/// The options of generating `project` in this process, as `spygen gen PROJECT --no-env`
/// would: no environment variable read, the spygen under test in the regeneration command.
pub fn gen_options(project: &Path) -> spygen::GenOptions {
    spygen::GenOptions {
        project_dir: project.to_path_buf(),
        spygen_exe: PathBuf::from(env!("CARGO_BIN_EXE_spygen")),
        ..spygen::GenOptions::default()
    }
}

/// Generates with `options` in this process through the library (`spygen::generate`), with the
/// embedded toolchain descriptors; an error fails the test, showing it as the CLI would.
pub fn generate_in_process(options: &spygen::GenOptions) -> spygen::Generated {
    let db = spygen::toolchain::Db::load(None).unwrap_or_else(|e| panic!("{e}"));
    spygen::generate(&db, options).unwrap_or_else(|e| panic!("{e}"))
}

/// The absolute path of `name` on PATH, as spygen writes a tool into build files.
pub fn program_path(name: &str) -> String {
    which(name).unwrap_or_else(|| panic!("`{name}` is not on PATH")).display().to_string()
}

/// A project of a runtime `rt` (`rt_base()` returns 1) and a module `a` whose source is
/// `a_source`, with its spy.toml in `project` (a directory under `root`, or `root` itself for
/// ""), built for wasi release with ninja; returns the build directory.
pub fn build_wasi_release_of_rt_and_a(root: &Path, a_source: &str, project: &str) -> PathBuf {
    let up = if project.is_empty() { "" } else { "../" };
    let spy_toml = format!(
        "extra-vm-modules = [\"{up}a\"]\n[spygen]\nruntime = \"{up}rt\"\ntargets = [\"wasi\"]\nbuild-types = [\"release\"]\n"
    );
    let manifest = if project.is_empty() { "spy.toml".to_string() } else { format!("{project}/spy.toml") };
    write_files(
        root,
        &[
            ("rt/spygen.toml", "name = \"rt\"\nsources = [\"rt.c\"]\n"),
            ("rt/rt.c", "int rt_base(void) { return 1; }\n"),
            ("a/spygen.toml", "name = \"a\"\nsources = [\"a.c\"]\n"),
            ("a/a.c", a_source),
            (&manifest, &spy_toml),
        ],
    );
    run_ok(spygen().args(["gen", "-q"]).arg(root.join(project)));
    let build = root.join(project).join("build-spygen");
    run_ok(Command::new("ninja").arg("-C").arg(&build));
    build
}

/// What node prints calling the exports `calls` of the wasm module `wasm` in order (one value a
/// line); `None` when node is missing here (the caller skips that part, said by
/// [`require_program`]).
pub fn call_wasm_exports(wasm: &Path, calls: &[&str]) -> Option<String> {
    if !require_program("node", "apt-get install nodejs") {
        return None;
    }
    Some(run_ok(Command::new("node").arg(repo_root().join("tests/support/call-exports.mjs")).arg(wasm).args(calls)))
}
