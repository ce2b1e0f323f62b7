//! `spygen run`: one program built for one configuration and run through its target's runner,
//! with arguments, stdin, stdout, stderr and the exit status passed through unchanged.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

/// A program that counts its stdin, prints its arguments, writes to stderr and exits with 3.
fn project(dir: &Path) {
    write_files(
        dir,
        &[
            (
                "app.c",
                "#include <stdio.h>\nint main(int argc, char **argv) {\n    int c; long n = 0;\n    while ((c = getchar()) != EOF) n++;\n\
                 \x20   printf(\"%d args, %ld bytes in\\n\", argc - 1, n);\n    for (int i = 1; i < argc; i++) printf(\"%s\\n\", argv[i]);\n\
                 \x20   fprintf(stderr, \"to stderr\\n\");\n    return 3;\n}\n",
            ),
            (
                "spy.toml",
                "[spygen]\nbuild-types = [\"debug\"]\n\n[[spygen.program]]\nname = \"app\"\nsources = [\"app.c\"]\n",
            ),
        ],
    );
}

/// Runs `spygen run app --target T -- "a b" c` with `hello` on stdin: (status, stdout, stderr).
fn run_app(dir: &Path, target: &str) -> (i32, String, String) {
    let mut child = spygen()
        .args(["run", "app", "--target", target, "--", "a b", "c"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"hello").unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_program_runs_on_every_target_with_its_arguments_stdin_output_and_exit_status() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_program("node", "apt-get install nodejs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    for target in ["native", "native-static", "wasi", "emscripten"] {
        if !require_target(target) {
            continue;
        }
        let (code, out, err) = run_app(dir.path(), target);
        // stdout is the program's alone: the build's progress went to stderr.
        assert_eq!(out, "2 args, 5 bytes in\na b\nc\n", "{target}: {err}");
        assert!(err.contains("to stderr"), "{target}: {err}");
        assert_eq!(code, 3, "{target}: the program's exit status");
    }
}

#[test]
fn reactors_unknown_programs_and_missing_configurations_are_explained() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("wasi") {
        return;
    }
    let (_tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    let (code, _, err) = run(spygen().args(["run", "tinyenc_reactor", "--target", "wasi"]).current_dir(&demo));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is a wasm reactor (no main)"), "{err}");
    let (code, _, err) = run(spygen().args(["run", "nope"]).current_dir(&demo));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("its programs are: encdemo, tinyenc_bundle, tinyenc_reactor, tinyenc_vectors, whatis"),
        "{err}"
    );
    // whatis links libmagic, a native library: not built for wasi.
    let (code, _, err) = run(spygen().args(["run", "whatis", "--target", "wasi"]).current_dir(&demo));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is not built for wasi here") && err.contains("native-debug"), "{err}");
    // Run from the command line, the demo program prints what the README shows.
    let out =
        run_ok(Command::new(env!("CARGO_BIN_EXE_spygen")).args(["run", "encdemo", "--", "hello"]).current_dir(&demo));
    assert_eq!(out, "base64 hello aGVsbG8=\nbase32 hello NBSWY3DP\ncrc32 hello 3610a686\n");
}

#[test]
fn an_export_of_a_bundle_is_called_from_the_command_line_and_its_result_printed() {
    if !require_program("ninja", "apt-get install ninja-build")
        || !require_program("node", "apt-get install nodejs")
        || !require_target("wasi")
    {
        return;
    }
    let (_tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    // The runtime's version string, by its address in the bundle's memory: a number.
    let out = run_ok(spygen().args(["run", "tinyenc_bundle", "--call", "spy_runtime_version"]).current_dir(&demo));
    assert!(out.trim().parse::<u32>().is_ok_and(|p| p > 0), "an i32 result: {out:?}");
    // A null string makes the glue trap: reported as a trap, exit status 1.
    let (code, _, err) =
        run(spygen().args(["run", "tinyenc_bundle", "--call", "spy_tinyenc$crc32", "0"]).current_dir(&demo));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("wasm trap: "), "{err}");
    let (code, _, err) =
        run(spygen().args(["run", "tinyenc_bundle", "--call", "spy_str_alloc", "1", "2"]).current_dir(&demo));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("`spy_str_alloc` takes 1 argument, 2 given") && err.contains("spy_str_alloc(i32) -> i32"),
        "{err}"
    );
    // A reactor run without --call says how to call one.
    let (code, _, err) = run(spygen().args(["run", "tinyenc_reactor"]).current_dir(&demo));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("spygen run tinyenc_reactor --call EXPORT ARGS..."), "{err}");
}
