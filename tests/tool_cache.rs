//! The remembered answers of tool probes (`python3 -c 'import ziglang'`) follow what decides
//! them: with `python3` a shim choosing an interpreter (pyenv), switching the interpreter
//! switches the answer, while an unchanged setup is answered without running anything.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A pyenv-like `python3` shim in `dir/bin`: the interpreter it runs is chosen by
/// `$PYENV_VERSION`, else a `.python-version` file in the current directory; version `bare`
/// runs it isolated (`-I -S`: no site-packages, so no ziglang). Each run appends a line to
/// `dir/runs`.
fn shim(dir: &Path) -> PathBuf {
    let real = run_ok(Command::new("python3").args(["-c", "import os, sys; print(os.path.realpath(sys.executable))"]));
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = format!(
        "#!/bin/sh\necho run >> '{runs}'\nv=\"$PYENV_VERSION\"\n[ -z \"$v\" ] && [ -f .python-version ] && v=$(cat .python-version)\n\
         [ \"$v\" = bare ] && exec '{real}' -I -S \"$@\"\nexec '{real}' \"$@\"\n",
        runs = dir.join("runs").display(),
        real = real.trim()
    );
    std::fs::write(bin.join("python3"), script).unwrap();
    std::fs::set_permissions(bin.join("python3"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    bin
}

/// How many times the shim ran.
fn runs(dir: &Path) -> usize {
    std::fs::read_to_string(dir.join("runs")).map(|t| t.lines().count()).unwrap_or(0)
}

/// `spygen flags --target wasi --cc` with the shim first on a PATH without zig, in `cwd`.
fn wasi_cc(dir: &Path, cwd: &Path, pyenv_version: Option<&str>) -> (i32, String, String) {
    let mut cmd = spygen();
    cmd.args(["flags", "--target", "wasi", "--cc"]).current_dir(cwd);
    cmd.env("PATH", format!("{}:/usr/bin:/bin", dir.join("bin").display())).env("SPYGEN_CACHE_DIR", dir.join("cache"));
    match pyenv_version {
        Some(v) => cmd.env("PYENV_VERSION", v),
        None => cmd.env_remove("PYENV_VERSION"),
    };
    run(cmd.env_remove("VIRTUAL_ENV").env_remove("PYTHONPATH"))
}

/// Whether ziglang can be imported by the tests' python3 (the answer the shim passes on).
fn ziglang_installed() -> bool {
    let ok = Command::new("python3").args(["-c", "import ziglang"]).status().is_ok_and(|s| s.success());
    if !ok {
        assert!(!in_ci(), "ziglang is missing in CI: pip install ziglang");
        skipped("ziglang is not installed here (to install: pip install ziglang)");
    }
    ok
}

#[test]
fn switching_the_interpreter_through_the_environment_switches_the_remembered_answer() {
    if !ziglang_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    shim(dir.path());
    let cwd = dir.path();
    let (code, out, err) = wasi_cc(dir.path(), cwd, None);
    assert_eq!(code, 0, "{err}");
    assert!(out.ends_with("/ziglang/zig cc\n"), "the zig binary inside the package, no interpreter: {out}");
    let probed = runs(dir.path());
    assert!(probed >= 1);
    // The same setup again: answered from memory, no interpreter started.
    assert_eq!(wasi_cc(dir.path(), cwd, None).0, 0);
    assert_eq!(runs(dir.path()), probed, "nothing ran");
    // Another interpreter, without ziglang: not the remembered answer.
    let (code, _, err) = wasi_cc(dir.path(), cwd, Some("bare"));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no compiler for target `wasi`") && err.contains("pip install ziglang"), "{err}");
    // Back: found again.
    assert!(wasi_cc(dir.path(), cwd, None).1.ends_with("/ziglang/zig cc\n"));
}

#[test]
fn a_python_version_file_choosing_another_interpreter_switches_the_remembered_answer() {
    if !ziglang_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    shim(dir.path());
    let project = dir.path().join("project/sub");
    std::fs::create_dir_all(&project).unwrap();
    assert_eq!(wasi_cc(dir.path(), &project, None).0, 0);
    // pyenv reads the nearest .python-version upwards; here the shim reads the current
    // directory's, which is the nearest.
    std::fs::write(project.join(".python-version"), "bare\n").unwrap();
    let (code, _, err) = wasi_cc(dir.path(), &project, None);
    assert_eq!(code, 1, "{err}");
    std::fs::remove_file(project.join(".python-version")).unwrap();
    assert_eq!(wasi_cc(dir.path(), &project, None).0, 0);
}
