//! `spygen build`: one command from a project to built outputs, through ninja or make, with
//! the project found from the current directory and the build's exit status passed through.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// A native project: a module and a program printing what the module computes.
fn project(dir: &Path) {
    write_files(
        dir,
        &[
            ("m/spygen.toml", "name = \"m\"\nsources = [\"m.c\"]\npublic-include-dirs = [\".\"]\n"),
            ("m/m.h", "int m_answer(void);\n"),
            ("m/m.c", "#include \"m.h\"\nint m_answer(void) { return 42; }\n"),
            (
                "app.c",
                "#include <stdio.h>\n#include \"m.h\"\nint main(void) { printf(\"%d\\n\", m_answer()); return 0; }\n",
            ),
            (
                "spy.toml",
                "extra-vm-modules = [\"m\"]\n[spygen]\ntargets = [\"native\"]\nbuild-types = [\"debug\", \"release\"]\n\n\
                 [[spygen.program]]\nname = \"app\"\nsources = [\"app.c\"]\ndeps = [\"m\"]\n",
            ),
        ],
    );
}

fn app(dir: &Path, build_type: &str) -> String {
    run_ok(&mut Command::new(dir.join(format!("build-spygen/native/{build_type}/app"))))
}

#[test]
fn build_generates_then_runs_ninja_and_a_second_build_has_nothing_to_do() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let (code, out, err) = run(spygen().args(["build", "native-debug"]).current_dir(dir.path()));
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("spygen: building with ninja"), "{err}");
    assert!(out.contains("LINK native/debug/app"), "{out}");
    assert_eq!(app(dir.path(), "debug"), "42\n");
    assert!(!dir.path().join("build-spygen/native/release/app").exists(), "only the goal was built");
    let (code, out, _) = run(spygen().args(["build", "native-debug"]).current_dir(dir.path()));
    assert_eq!(code, 0);
    assert!(out.contains("no work to do"), "{out}");
}

#[test]
fn build_with_make_counts_the_steps_and_builds_the_same_program() {
    if !require_program("make", "apt-get install make") || !require_target("native") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let (code, out, err) = run(spygen().args(["build", "--backend", "make", "native-release"]).current_dir(dir.path()));
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("spygen: building with GNU make"), "{err}");
    // Each step of the dry run's count, numbered as it runs: compile, compile, archive, then
    // the module's manifest and the link (both ready once the archive is, in either order).
    let steps: Vec<&str> = out.lines().filter(|l| l.starts_with('[')).collect();
    assert_eq!(steps.len(), 5, "{out}");
    assert!(steps.iter().all(|l| l.contains("/5] ")), "{steps:?}");
    assert!(steps.last().unwrap().starts_with("[5/5] "), "{steps:?}");
    let step = |text: &str| steps.iter().any(|l| l.ends_with(text));
    assert!(step("] LINK native/release/app") && step("] SPYMOD native/release/m.spymod.json"), "{steps:?}");
    assert_eq!(app(dir.path(), "release"), "42\n");
}

#[test]
fn the_project_is_found_from_a_subdirectory_and_goals_are_listed_by_kind() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let listed = run_ok(spygen().args(["build", "--list"]).current_dir(dir.path().join("m")));
    assert_eq!(
        listed,
        "configurations: native-debug native-release\ntargets: native\nmodules: m\nprograms: app\ndefault: all\n"
    );
    assert!(dir.path().join("build-spygen/build.ninja").is_file(), "the build dir is the project's, not m/'s");
    // `m` is the module's directory and its name: as a goal, it builds the module.
    let out = run_ok(spygen().args(["build", "m"]).current_dir(dir.path()));
    assert!(out.contains("AR native/debug/m.a") && out.contains("AR native/release/m.a"), "{out}");
    assert!(!out.contains("LINK"), "{out}");
}

#[test]
fn an_unknown_goal_lists_the_goals_and_builds_nothing() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let (code, _, err) = run(spygen().args(["build", "native-dbg"]).current_dir(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("unknown goal `native-dbg`; the goals are:\nconfigurations: native-debug native-release"),
        "{err}"
    );
    assert!(!dir.path().join("build-spygen/native").exists(), "nothing was built");
}

#[test]
fn a_compile_error_is_shown_and_its_exit_status_is_spygens() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    write_files(dir.path(), &[("m/m.c", "int m_answer(void) { return undeclared_thing; }\n")]);
    let (code, out, err) = run(spygen().args(["build"]).current_dir(dir.path()));
    assert_eq!(code, 1, "ninja's status for a failed build");
    assert!(format!("{out}{err}").contains("undeclared_thing"), "the compiler's error is shown:\n{out}\n{err}");
}

#[test]
fn arguments_after_a_double_dash_go_to_the_backend() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    // ninja's dry run: every step is shown, none runs.
    let out = run_ok(spygen().args(["build", "native-debug", "--", "-n"]).current_dir(dir.path()));
    assert!(out.contains("LINK native/debug/app"), "{out}");
    assert!(!dir.path().join("build-spygen/native/debug/app").exists());
}

#[test]
fn outside_any_project_build_says_what_a_project_is_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = run(spygen().arg("build").current_dir(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no spy.toml in") && err.contains("any parent directory"), "{err}");
    assert!(err.contains("extra-vm-modules"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    let (code, _, err) = run(spygen().args(["build", "-j", "0"]).current_dir(dir.path()));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn clean_removes_what_the_build_made_and_keeps_the_build_files_until_all() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    run_ok(spygen().arg("build").current_dir(dir.path()));
    let build = dir.path().join("build-spygen");
    std::fs::write(build.join("notes.txt"), "mine\n").unwrap();
    let out = run_ok(spygen().arg("clean").current_dir(dir.path()));
    // 4 objects (ninja keeps their header dependencies in its log, not in depfiles), 2 archives,
    // their 2 module manifests and 2 programs.
    assert!(out.contains("removed 10 file(s)"), "{out}");
    for gone in ["native/debug/app", "native/release/m.a", "native/debug/obj"] {
        assert!(!build.join(gone).exists(), "{gone}");
    }
    assert!(build.join("build.ninja").is_file() && build.join("notes.txt").is_file());
    // A build after a clean builds everything again.
    run_ok(spygen().args(["build", "native-debug"]).current_dir(dir.path()));
    assert_eq!(app(dir.path(), "debug"), "42\n");
    run_ok(spygen().args(["clean", "--all"]).current_dir(dir.path()));
    let left: Vec<String> =
        std::fs::read_dir(&build).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(left, ["notes.txt"], "only what spygen and ninja did not write is left");
    std::fs::remove_file(build.join("notes.txt")).unwrap();
    run_ok(spygen().args(["clean", "--all"]).current_dir(dir.path()));
    assert!(!build.exists(), "an empty build dir goes too");
}

#[test]
fn clean_runs_a_vendored_makefiles_own_clean_and_the_makefile_has_clean_and_help_goals() {
    if !require_program("make", "apt-get install make") || !require_target("native") {
        return;
    }
    let (_tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    run_ok(spygen().args(["gen", "-q", "--format", "make", "--target", "native", "--build-type", "debug"]).arg(&demo));
    let help = run_ok(Command::new("make").arg("-s").arg("-C").arg(demo.join("build")).arg("help"));
    assert_eq!(
        help,
        "configurations: native-debug\ntargets: native\nmodules: runtime spyvm_tinyenc tinyenc spyvm_libmagic\n\
         programs: encdemo whatis tinyenc_reactor tinyenc_vectors tinyenc_bundle\ntests: test-native-debug test\ndefault: all\n"
    );
    run_ok(Command::new("make").arg("-C").arg(demo.join("build")).arg("-j2"));
    let vendored = demo.join("build/native/debug/foreign/tinyenc");
    assert!(vendored.join("libtinyenc.a").is_file() && vendored.join("obj/base64.o").is_file());
    let out = run_ok(Command::new("make").arg("-s").arg("-C").arg(demo.join("build")).arg("clean"));
    assert!(out.contains("spygen: removed"), "{out}");
    assert!(!vendored.exists(), "the library's own `make clean` ran");
    assert!(!demo.join("build/native/debug/encdemo").exists());
    assert!(demo.join("build/Makefile").is_file());
}
