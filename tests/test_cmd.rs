//! `spygen test` and the build files' `test` goals: tests built and run on each target through
//! its runner, failures reported with their output, passed tests not rerun, runners chosen by
//! the user, JUnit XML for CI.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// A project of four tests: one passes (checking its arguments), one fails, one hangs past its
/// one-second timeout, one traps. Debug only, native and wasi.
fn project(dir: &Path) {
    write_files(
        dir,
        &[
            (
                "pass.c",
                "#include <stdio.h>\n#include <string.h>\nint main(int argc, char **argv) {\n\
                 \x20   if (argc != 3 || strcmp(argv[1], \"a b\") || strcmp(argv[2], \"--x\")) { puts(\"bad arguments\"); return 1; }\n\
                 \x20   puts(\"fine\");\n    return 0;\n}\n",
            ),
            (
                "fail.c",
                "#include <stdio.h>\nint main(void) {\n    printf(\"expected 1 got 2\\n\");\n    return 1;\n}\n",
            ),
            ("hang.c", "int main(void) {\n    for (volatile int i = 0;; i++) {}\n}\n"),
            ("crash.c", "int main(void) {\n    __builtin_trap();\n}\n"),
            (
                "spy.toml",
                "[spygen]\nbuild-types = [\"debug\"]\ntargets = [\"native\", \"wasi\"]\n\n\
                 [[spygen.program]]\nname = \"pass\"\nkind = \"test\"\nsources = [\"pass.c\"]\nargs = [\"a b\", \"--x\"]\n\n\
                 [[spygen.program]]\nname = \"fail\"\nkind = \"test\"\nsources = [\"fail.c\"]\n\n\
                 [[spygen.program]]\nname = \"hang\"\nkind = \"test\"\nsources = [\"hang.c\"]\ntimeout = 1\n\n\
                 [[spygen.program]]\nname = \"crash\"\nkind = \"test\"\nsources = [\"crash.c\"]\n",
            ),
        ],
    );
}

/// Whether ninja, node and the wasi toolchain are here (else the test says it skipped).
fn tools_for_the_project() -> bool {
    require_program("ninja", "apt-get install ninja-build")
        && require_program("node", "apt-get install nodejs")
        && require_target("wasi")
}

#[test]
fn failures_hangs_and_traps_are_reported_with_their_output_and_fail_the_run() {
    if !tools_for_the_project() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let (code, out, err) =
        run(spygen().args(["test", "--junit", "results.xml"]).env_remove("CI").current_dir(dir.path()));
    assert_eq!(code, 1, "a failure fails the run: {out}{err}");
    for line in [
        "FAIL fail [native-debug]: exit status 1",
        "FAIL fail [wasi-debug]: exit status 1",
        "FAIL hang [native-debug]: timed out after 1 s (killed)",
        "FAIL hang [wasi-debug]: timed out after 1 s (killed)",
        "FAIL crash [native-debug]: killed by signal SIGILL",
        "FAIL crash [wasi-debug]: wasm trap: unreachable",
        "  | expected 1 got 2",
        "native-debug: 1 passed, 3 failed",
        "wasi-debug: 1 passed, 3 failed",
        "2 passed, 6 failed, 0 skipped",
    ] {
        assert!(out.contains(line), "missing `{line}` in:\n{out}");
    }
    assert!(!out.contains("FAIL pass"), "the test given its arguments passes:\n{out}");
    let xml = std::fs::read_to_string(dir.path().join("results.xml")).unwrap();
    assert!(xml.contains("<testsuites name=\"spygen\" tests=\"8\" failures=\"6\" skipped=\"0\""), "{xml}");
    assert!(xml.contains("<testcase name=\"fail\" classname=\"wasi-debug\""), "{xml}");
    assert!(xml.contains("<failure message=\"exit status 1\">"), "{xml}");
    assert!(xml.contains("<error message=\"wasm trap: unreachable\">"), "{xml}");
}

#[test]
fn a_passed_test_is_not_rerun_until_its_program_changes_or_rerun_is_asked() {
    if !tools_for_the_project() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let test = |extra: &[&str]| {
        let mut cmd = spygen();
        cmd.args(["test", "pass"]).args(extra).current_dir(dir.path());
        run_ok(&mut cmd)
    };
    assert!(test(&[]).ends_with("2 passed, 0 failed, 0 skipped\n"));
    let report = dir.path().join("build-spygen/native/debug/.test/pass.json");
    let ran_at = std::fs::metadata(&report).unwrap().modified().unwrap();
    let again = test(&[]);
    assert!(
        again
            .ends_with("2 passed, 0 failed, 0 skipped (2 passed before and unchanged, not rerun: --rerun runs them)\n"),
        "{again}"
    );
    assert_eq!(std::fs::metadata(&report).unwrap().modified().unwrap(), ran_at, "the test did not run again");
    assert!(test(&["--rerun"]).ends_with("2 passed, 0 failed, 0 skipped\n"));
    // A changed program runs again.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let source = dir.path().join("pass.c");
    let text = std::fs::read_to_string(&source).unwrap().replace("fine", "still fine");
    std::fs::write(&source, text).unwrap();
    assert!(test(&["--target", "native"]).ends_with("1 passed, 0 failed, 0 skipped\n"));
    let report = std::fs::read_to_string(&report).unwrap();
    assert!(report.contains("still fine"), "{report}");
}

#[test]
fn ninja_and_make_test_goals_run_the_same_tests() {
    if !tools_for_the_project() || !require_program("make", "apt-get install make") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    run_ok(spygen().args(["gen", "--format", "all"]).current_dir(dir.path()));
    let build = dir.path().join("build-spygen");
    let goals = run_ok(spygen().args(["build", "--list"]).current_dir(dir.path()));
    assert!(goals.contains("tests: test-native-debug test-wasi-debug test\n"), "{goals}");
    let (code, out, _) = run(Command::new("ninja").args(["-C", build.to_str().unwrap(), "-k0", "test-native-debug"]));
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("FAIL fail [native-debug]: exit status 1") && out.contains("  | expected 1 got 2"), "{out}");
    assert!(build.join("native/debug/.test/pass.passed").is_file(), "the passing test's stamp");
    assert!(!build.join("native/debug/.test/fail.passed").exists());
    let (code, out, _) = run(Command::new("make").args(["-C", build.to_str().unwrap(), "-k", "test-wasi-debug"]));
    assert_ne!(code, 0, "{out}");
    assert!(out.contains("FAIL crash [wasi-debug]: wasm trap: unreachable"), "{out}");
    assert!(build.join("wasi/debug/.test/pass.passed").is_file());
}

#[test]
fn a_configuration_without_a_runner_is_skipped_saying_why_and_fails_under_ci() {
    if !tools_for_the_project() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let args = ["test", "pass", "--runner", "wasi=no-such-runner-xyz"];
    let (code, out, err) = run(spygen().args(args).env_remove("CI").current_dir(dir.path()));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("wasi-debug: 1 skipped: no runner for `wasi`: the runner `no-such-runner-xyz` set by --runner wasi=no-such-runner-xyz is not installed"),
        "{out}"
    );
    assert!(out.ends_with("1 passed, 0 failed, 1 skipped\n"), "{out}");
    let (code, out, _) = run(spygen().args(args).env("CI", "true").current_dir(dir.path()));
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("CI=true: skipped configurations fail the run"), "{out}");
}

#[test]
fn the_runner_comes_from_the_command_line_the_environment_spy_toml_then_the_descriptor() {
    if !tools_for_the_project() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    // A runner that says which one it is, then runs the program with node's WASI.
    let node = which("node").unwrap();
    for name in ["from-toml", "from-env", "from-arg"] {
        let script = format!(
            "#!/bin/sh\necho runner {name}\nexec {} --no-warnings \"$SPYGEN_WASI_RUN\" \"$@\"\n",
            node.display()
        );
        let path = dir.path().join(format!("{name}.sh"));
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let manifest = dir.path().join("spy.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, text.replace("[spygen]\n", "[spygen]\nrunner-for = { wasi = \"./from-toml.sh\" }\n"))
        .unwrap();
    let wasi_run = repo_root().join("templates/wasi-run.mjs");
    let runner_of = |env: Option<&str>, arg: Option<&str>| {
        let mut cmd = spygen();
        cmd.args(["test", "fail", "--target", "wasi", "--rerun"]).env("SPYGEN_WASI_RUN", &wasi_run);
        cmd.env_remove("SPYGEN_RUNNER").env_remove("CI").current_dir(dir.path());
        if let Some(env) = env {
            cmd.env("SPYGEN_RUNNER", env);
        }
        if let Some(arg) = arg {
            cmd.args(["--runner", arg]);
        }
        let (_, out, _) = run(&mut cmd);
        out.lines().find_map(|l| l.strip_prefix("  | runner ").map(str::to_string)).unwrap_or(out)
    };
    assert_eq!(runner_of(None, None), "from-toml");
    assert_eq!(runner_of(Some("wasi=./from-env.sh"), None), "from-env");
    assert_eq!(runner_of(Some("wasi=./from-env.sh"), Some("wasi=./from-arg.sh")), "from-arg");
    // `none` on the command line puts the descriptor's runner aside too: a wasm file cannot
    // run directly.
    let out = runner_of(None, Some("wasi=none"));
    assert!(out.contains("FAIL fail [wasi-debug]: could not be started"), "{out}");
}

#[test]
fn tests_are_chosen_by_name_target_and_build_type_and_listed() {
    if !tools_for_the_project() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    let list = run_ok(spygen().args(["test", "--list", "--target", "wasi", "pa", "cra"]).current_dir(dir.path()));
    assert_eq!(list, "pass [wasi-debug]\ncrash [wasi-debug]\n");
    let (code, _, err) = run(spygen().args(["test", "--target", "emscripten"]).current_dir(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no test runs on target `emscripten`") && err.contains("tests run on: native, wasi"), "{err}");
    let (code, _, err) = run(spygen().args(["test", "nothing-like-it"]).current_dir(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("the tests are: crash, fail, hang, pass"), "{err}");
}

#[test]
fn the_demo_vectors_pass_on_every_target() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_program("node", "apt-get install nodejs") {
        return;
    }
    let targets = ["native", "native-static", "wasi", "emscripten"];
    if !targets.iter().all(|t| require_target(t)) {
        return;
    }
    let (_tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    let out = run_ok(spygen().args(["test", "--build-type", "debug", "--junit", "junit.xml"]).current_dir(&demo));
    for t in targets {
        assert!(out.contains(&format!("{t}-debug: 1 passed\n")), "{out}");
    }
    assert!(out.ends_with("4 passed, 0 failed, 0 skipped\n"), "{out}");
    let xml = std::fs::read_to_string(demo.join("junit.xml")).unwrap();
    assert_eq!(xml.matches("<testcase name=\"tinyenc_vectors\"").count(), 4, "{xml}");
}
