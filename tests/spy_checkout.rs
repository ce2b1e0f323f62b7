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

/// Every archive under `dir` (relative path → bytes).
fn archives(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "a") {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

#[test]
fn two_checkouts_at_different_paths_build_byte_identical_archives() {
    if !require_program("ninja", "apt-get install ninja-build") {
        return;
    }
    for target in ["native", "native-static", "wasi", "emscripten"] {
        if !require_target(target) {
            return;
        }
    }
    // The same tree twice, at paths of different lengths and depths.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let checkouts = [root.join("one/examples"), root.join("a/much/longer/second/checkout/examples")];
    let mut built = Vec::new();
    for examples in &checkouts {
        copy_tree(&repo_root().join("examples"), examples);
        let demo = examples.join("out-of-tree/demo");
        run_ok(spygen().args(["gen", "-q"]).arg(&demo));
        run_ok(std::process::Command::new("ninja").arg("-C").arg(demo.join("build")));
        let mut all = archives(&demo.join("build"));
        let vendored = archives(&examples.join("out-of-tree/vendor/tinyenc/build"));
        all.extend(vendored.into_iter().map(|(k, v)| (format!("vendor/{k}"), v)));
        built.push(all);
    }
    let (first, second) = (&built[0], &built[1]);
    assert_eq!(first.keys().collect::<Vec<_>>(), second.keys().collect::<Vec<_>>());
    // GCC 12 writes the working directory into its LTO objects (native release, with the
    // system cc being GCC) whatever the path maps say: those are the one known exception.
    let cc_is_gcc =
        String::from_utf8_lossy(&std::process::Command::new("cc").arg("--version").output().unwrap().stdout)
            .contains("Free Software Foundation");
    let mut compared = 0;
    for (name, bytes) in first {
        if cc_is_gcc && name.contains("native/release/") {
            continue;
        }
        assert!(&second[name] == bytes, "{name} differs between the two checkouts");
        compared += 1;
    }
    // 2 archives per zig/emcc configuration (runtime, glue) + libmagic glue on native, and the
    // vendored library per configuration.
    assert!(compared >= 20, "only {compared} archives compared: {:?}", first.keys());
}
