//! `spygen build`, `run` and `test` keep the options of the last `spygen gen` into the same
//! build directory: a launcher, targets or flags given once are not silently dropped by the
//! next build (which would rebuild everything without them).

mod common;

use std::path::Path;

use common::*;

fn project(dir: &Path) {
    write_files(
        dir,
        &[
            ("app.c", "#include <stdio.h>\nint main(void) { puts(MODE); return 0; }\n"),
            (
                "spy.toml",
                "[spygen]\nbuild-types = [\"debug\"]\n\n[[spygen.program]]\nname = \"app\"\nsources = [\"app.c\"]\n",
            ),
        ],
    );
}

#[test]
fn build_run_and_test_keep_the_last_generations_options_and_an_option_given_replaces_its_value() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path());
    run_ok(spygen().args(["gen", "-q", "--target", "native", "--define", "MODE=\"gen\""]).current_dir(dir.path()));
    let ninja = dir.path().join("build-spygen/build.ninja");
    let before = std::fs::read(&ninja).unwrap();
    // A build with no option: the same generation (nothing rewritten), saying what it kept.
    let (code, _, err) = run(spygen().arg("build").current_dir(dir.path()));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("spygen: keeping the last generation's --target, --define"), "{err}");
    assert_eq!(std::fs::read(&ninja).unwrap(), before, "build.ninja is the generation's");
    let out = run_ok(spygen().args(["run", "app"]).current_dir(dir.path()));
    assert_eq!(out, "gen\n");
    // An option given replaces that option only: the target stays native.
    run_ok(spygen().args(["build", "--define", "MODE=\"build\""]).current_dir(dir.path()));
    assert_eq!(run_ok(spygen().args(["run", "app"]).current_dir(dir.path())), "build\n");
    let text = std::fs::read_to_string(&ninja).unwrap();
    assert!(!text.contains("wasi"), "still native only");
    // `spygen gen` sets every option anew.
    run_ok(spygen().args(["gen", "-q", "--target", "native", "--define", "MODE=\"again\""]).current_dir(dir.path()));
    let (_, out, err) = run(spygen().args(["run", "app"]).current_dir(dir.path()));
    assert_eq!(out, "again\n", "{err}");
}
