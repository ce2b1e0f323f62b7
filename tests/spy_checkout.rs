//! spygen inside a SPy checkout: it never takes over the files SPy's own tools write there
//! (`spy build` writes its build.ninja into `build/`, the interpreter its bundle cache into
//! `build/wasm-bundles/`).

mod common;

use std::path::Path;

use common::*;

fn project(dir: &Path, spygen_table: &str) {
    write_files(
        dir,
        &[
            ("m/spygen.toml", "name = \"m\"\nsources = [\"m.c\"]\n"),
            ("m/m.c", "int m(void) { return 1; }\n"),
            (
                "spy.toml",
                &format!(
                    "extra-vm-modules = [\"m\"]\n[spygen]\ntargets = [\"native\"]\nbuild-types = [\"debug\"]\n{spygen_table}"
                ),
            ),
        ],
    );
}

/// What `spy build demo/x.spy` leaves in `demo/build/`, in the shape SPy's ninja writer gives it.
const SPY_BUILD_NINJA: &str = "rule cc\n  command = cc -c $in -o $out\nbuild x.o: cc src/x.c\n";

#[test]
fn the_default_build_directory_is_not_the_one_spy_build_writes() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "");
    write_files(dir.path(), &[("build/build.ninja", SPY_BUILD_NINJA)]);
    run_ok(spygen().args(["gen", "-q"]).arg(dir.path()));
    assert!(dir.path().join("build-spygen/build.ninja").is_file());
    assert_eq!(std::fs::read_to_string(dir.path().join("build/build.ninja")).unwrap(), SPY_BUILD_NINJA);
    let entries: Vec<_> = std::fs::read_dir(dir.path().join("build")).unwrap().collect();
    assert_eq!(entries.len(), 1, "spygen wrote nothing into SPy's build/");
}

#[test]
fn another_tools_build_ninja_is_never_replaced_and_the_error_says_how_to_keep_both() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "build-dir = \"build\"\n");
    write_files(dir.path(), &[("build/build.ninja", SPY_BUILD_NINJA)]);
    let (code, _, err) = run(spygen().args(["gen", "-q"]).arg(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains(&format!("{} was not written by spygen", dir.path().join("build/build.ninja").display())),
        "{err}"
    );
    assert!(err.contains("--build-dir"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("build/build.ninja")).unwrap(), SPY_BUILD_NINJA);
    let entries: Vec<_> = std::fs::read_dir(dir.path().join("build")).unwrap().collect();
    assert_eq!(entries.len(), 1, "nothing written beside it, not even a lock file");
    // Forcing changes nothing: the file is still another tool's.
    let (code, _, _) = run(spygen().args(["gen", "-q", "--force"]).arg(dir.path()));
    assert_eq!(code, 2);
    // Pointed elsewhere, the same project generates.
    run_ok(spygen().args(["gen", "-q", "--build-dir"]).arg(dir.path().join("out")).arg(dir.path()));
    assert!(dir.path().join("out/build.ninja").is_file());
}

#[test]
fn a_hand_written_makefile_or_compilation_database_is_never_replaced_or_deleted() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "");
    let makefile = "all:\n\techo mine\n";
    write_files(dir.path(), &[("build-spygen/Makefile", makefile)]);
    // Ninja only: spygen has no business with a Makefile, which stays.
    run_ok(spygen().args(["gen", "-q"]).arg(dir.path()));
    let (code, _, err) = run(spygen().args(["gen", "-q", "--format", "all"]).arg(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Makefile was not written by spygen"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.path().join("build-spygen/Makefile")).unwrap(), makefile);

    let other = tempfile::tempdir().unwrap();
    project(other.path(), "");
    let database = "[{\"directory\": \"/elsewhere\", \"file\": \"x.c\", \"command\": \"cc -c x.c\"}]\n";
    write_files(other.path(), &[("build-spygen/compile_commands.json", database)]);
    let (code, _, err) = run(spygen().args(["gen", "-q", "--no-compdb"]).arg(other.path()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("compile_commands.json was not written by spygen"), "{err}");
    let kept = std::fs::read_to_string(other.path().join("build-spygen/compile_commands.json")).unwrap();
    assert_eq!(kept, database);
}

#[test]
fn spygens_own_build_files_are_replaced_even_after_its_record_is_deleted() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "");
    run_ok(spygen().args(["gen", "-q", "--format", "all"]).arg(dir.path()));
    let build = dir.path().join("build-spygen");
    std::fs::remove_file(build.join(".spygen-inputs")).unwrap();
    write_files(dir.path(), &[("m/spygen.toml", "name = \"m\"\nsources = [\"m.c\"]\ndefines = [\"TWO=2\"]\n")]);
    run_ok(spygen().args(["gen", "-q", "--format", "all"]).arg(dir.path()));
    for file in ["build.ninja", "Makefile", "compile_commands.json"] {
        let text = std::fs::read_to_string(build.join(file)).unwrap();
        assert!(text.contains("TWO=2"), "{file} was regenerated:\n{text}");
    }
}
