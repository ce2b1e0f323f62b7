//! Project-wide flags: spy.toml's `[spygen] defines/cflags/ldflags` (per target and build type
//! too), `--define/--cflag/--ldflag [TARGET=]VALUE`, and the environment's CFLAGS for native
//! only; every compile and link of a configuration gets them, spygen.mk too, and regeneration
//! repeats them.

mod common;

use std::path::Path;

use common::*;

/// A program printing the macros it was compiled with.
fn project(dir: &Path) {
    write_files(
        dir,
        &[
            (
                "app.c",
                "#include <stdio.h>\n#ifndef FROM_ENV\n#define FROM_ENV \"unset\"\n#endif\n\
                 int main(void) {\n#ifdef ON_WASI\n    puts(\"on wasi\");\n#endif\n\
                 \x20   printf(\"%d %s %s\\n\", PROJECT, MODE, FROM_ENV);\n    return 0;\n}\n",
            ),
            (
                "spy.toml",
                "[spygen]\nbuild-types = [\"debug\", \"release\"]\ntargets = [\"native\", \"wasi\"]\n\
                 defines = [\"PROJECT=1\", 'MODE=\"toml\"']\n\n\
                 [spygen.target.wasi]\ndefines = [\"ON_WASI\"]\n\n\
                 [spygen.build-type.release]\ndefines = [\"PROJECT=2\"]\ncflags = [\"-Wno-macro-redefined\", \"-Wno-error\"]\n\n\
                 [[spygen.program]]\nname = \"app\"\nsources = [\"app.c\"]\n",
            ),
        ],
    );
}

#[test]
fn project_flags_reach_every_compile_of_their_configurations_and_the_environment_reaches_native_only() {
    if !require_program("ninja", "apt-get install ninja-build")
        || !require_program("node", "apt-get install nodejs")
        || !require_target("wasi")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let (code, _, err) = run(spygen()
        .args(["build", "--define", "wasi=MODE=\"cli\"", "--cflag=-Wno-macro-redefined"])
        .env("CFLAGS", "-DFROM_ENV=\\\"env\\\"")
        .current_dir(dir.path()));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("CFLAGS from the environment apply to target `native` only"), "{err}");
    let build = dir.path().join("build-spygen");
    // spygen.mk gives vendored Makefiles the same flags.
    let mk = std::fs::read_to_string(build.join("spygen.mk")).unwrap();
    let line = |name: &str| mk.lines().find(|l| l.starts_with(name)).unwrap_or_default().to_string();
    let wasi_cflags = line("SPYGEN_CFLAGS_wasi_debug :=");
    assert!(
        wasi_cflags.ends_with("-DPROJECT=1 '-DMODE=\"toml\"' -DON_WASI '-DMODE=\"cli\"' -Wno-macro-redefined"),
        "{wasi_cflags}"
    );
    let native = |bt: &str| run_ok(&mut std::process::Command::new(build.join(format!("native/{bt}/app"))));
    assert_eq!(native("debug"), "1 toml env\n");
    assert_eq!(native("release"), "2 toml env\n", "a build type's definitions come after the project's");
    // The wasi program: its target's definition, the command line's MODE, no CFLAGS.
    let wasm = build.join("wasi/debug/app.wasm");
    let wasi_run = repo_root().join("templates/wasi-run.mjs");
    let wasi = run_ok(std::process::Command::new("node").arg("--no-warnings").arg(&wasi_run).arg(&wasm));
    assert_eq!(wasi, "on wasi\n1 cli unset\n");
}

#[test]
fn the_command_lines_flags_are_recorded_for_regeneration() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    run_ok(
        spygen()
            .args(["gen", "--target", "native", "--define", "MODE=\"cli\"", "--ldflag", "-Wl,-O1"])
            .current_dir(dir.path()),
    );
    let ninja = std::fs::read_to_string(dir.path().join("build-spygen/build.ninja")).unwrap();
    assert!(
        ninja.contains("'--define=MODE=\"cli\"' --ldflag=-Wl,-O1"),
        "the regeneration command repeats them:\n{ninja}"
    );
    assert!(ninja.contains("ldflags.native-debug = ") && ninja.contains(" -Wl,-O1\n"), "{ninja}");
    // An unknown target or build type in spy.toml is an error at its line.
    let manifest = dir.path().join("spy.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("[spygen.target.wasi]", "[spygen.target.wasm]")).unwrap();
    let (code, _, err) = run(spygen().arg("gen").current_dir(dir.path()));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("spy.toml:6:") && err.contains("`wasm`"), "{err}");
}

#[test]
fn spygen_flags_adds_the_project_flags_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let plain =
        run_ok(spygen().args(["flags", "--target", "native", "--cflags"]).env_remove("CFLAGS").current_dir(dir.path()));
    assert!(!plain.contains("PROJECT"), "byte-compatible with SPy's helper by default: {plain}");
    let with = run_ok(
        spygen()
            .args(["flags", "--target", "native", "--cflags", "--project-flags"])
            .env("CFLAGS", "-O1")
            .current_dir(dir.path()),
    );
    assert_eq!(with, format!("{} -DPROJECT=1 '-DMODE=\"toml\"' -O1\n", plain.trim_end()));
}
