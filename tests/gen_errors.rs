//! `spygen gen` on bad input: each error names the manifest, line and column, says what to do,
//! and leaves every output file untouched.

mod common;

use std::path::Path;

use common::*;

/// A small valid project: runtime `rt`, module `a` depending on `b`, program `app`.
fn project(dir: &Path) {
    write_files(
        dir,
        &[
            ("rt/spygen.toml", "name = \"rt\"\nsources = [\"*.c\"]\npublic-include-dirs = [\".\"]\n"),
            ("rt/rt.c", "int rt(void) { return 1; }\n"),
            ("a/spygen.toml", "name = \"a\"\nsources = [\"a.c\"]\ndeps = [\"../b\"]\n"),
            ("a/a.c", "int a(void) { return 2; }\n"),
            ("b/spygen.toml", "name = \"b\"\nsources = [\"src/*.c\"]\n"),
            ("b/src/b.c", "int b(void) { return 3; }\n"),
            (
                "p/spy.toml",
                "extra-vm-modules = [\"../a\"]\n\n[spygen]\nruntime = \"../rt\"\ntargets = [\"native\"]\n\n\
                 [[spygen.program]]\nname = \"app\"\nsources = [\"main.c\"]\ndeps = [\"../a\"]\n",
            ),
            ("p/main.c", "int main(void) { return 0; }\n"),
        ],
    );
}

/// Runs gen on the project after `edit`, expects failure with `expected` in stderr, and checks
/// that the build.ninja from the valid project before is byte-for-byte and mtime untouched.
fn expect_error(edit: &[(&str, &str)], expected: &str) {
    let edit: Vec<(&str, &[u8])> = edit.iter().map(|(p, text)| (*p, text.as_bytes())).collect();
    expect_error_after(&edit, expected);
}

/// [`expect_error`] for edits of any bytes.
fn expect_error_after(edit: &[(&str, &[u8])], expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    project(&root);
    let options = gen_options(&root.join("p"));
    generate_in_process(&options);
    let ninja = root.join("p/build-spygen/build.ninja");
    let before = std::fs::read(&ninja).unwrap();
    let mtime = std::fs::metadata(&ninja).unwrap().modified().unwrap();
    for (path, bytes) in edit {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let db = spygen::toolchain::Db::load(None).unwrap();
    let error = match spygen::generate(&db, &options) {
        Ok(_) => panic!("expected an error with {expected:?}"),
        Err(e) => e,
    };
    assert_eq!(error.exit_code(), 1, "{error}");
    let err = error.to_string().replace(&format!("{}/", root.display()), "");
    assert!(err.contains(expected), "expected {expected:?} in:\n{err}");
    assert!(err.contains("help: "), "every error says what to do:\n{err}");
    assert_eq!(std::fs::read(&ninja).unwrap(), before, "build.ninja must not change");
    assert_eq!(std::fs::metadata(&ninja).unwrap().modified().unwrap(), mtime);
    let leftovers: Vec<_> =
        std::fs::read_dir(root.join("p/build-spygen")).unwrap().map(|e| e.unwrap().file_name()).collect();
    let mut leftovers: Vec<String> = leftovers.iter().map(|n| n.to_string_lossy().into_owned()).collect();
    leftovers.sort();
    assert_eq!(
        leftovers,
        [
            ".spygen-goals",
            ".spygen-inputs",
            ".spygen-lock",
            ".spygen-options",
            ".spygen-tests",
            "build.ninja",
            "compile_commands.json",
            "spygen.mk"
        ],
        "no temporary or partial file"
    );
}

#[test]
fn dependency_cycle_names_the_modules_in_order() {
    expect_error(
        &[("b/spygen.toml", "name = \"b\"\nsources = [\"src/*.c\"]\ndeps = [\"../a\"]\n")],
        "b/spygen.toml:3:9: dependency cycle: a -> b -> a",
    );
}

#[test]
fn missing_module_directory() {
    expect_error(
        &[("a/spygen.toml", "name = \"a\"\nsources = [\"a.c\"]\ndeps = [\"../b\", \"../nope\"]\n")],
        "a/spygen.toml:3:17: module directory nope does not exist",
    );
}

#[test]
fn module_directory_without_manifest() {
    write_and_expect_missing_manifest();
}

fn write_and_expect_missing_manifest() {
    expect_error(
        &[
            ("p/spy.toml", "extra-vm-modules = [\"../a\", \"../empty\"]\n[spygen]\nruntime = \"../rt\"\n"),
            ("empty/x.c", ""),
        ],
        "p/spy.toml:1:29: empty has no spygen.toml",
    );
}

#[test]
fn glob_matching_nothing() {
    expect_error(
        &[("b/spygen.toml", "name = \"b\"\nsources = [\"src/*.c\", \"lib/**/*.c\"]\n")],
        "b/spygen.toml:2:23: source pattern `lib/**/*.c` matches no file in b",
    );
}

#[test]
fn missing_source_file() {
    expect_error(
        &[("a/spygen.toml", "name = \"a\"\nsources = [\n  \"a.c\",\n  \"gone.c\",\n]\ndeps = [\"../b\"]\n")],
        "a/spygen.toml:4:3: source `gone.c` does not exist",
    );
}

#[test]
fn unknown_target_in_a_module() {
    expect_error(
        &[("b/spygen.toml", "name = \"b\"\nsources = [\"src/*.c\"]\ntargets = [\"native\", \"wasm64\"]\n")],
        "b/spygen.toml:3:22: unknown target `wasm64`; valid targets: emscripten, native, native-static, wasi",
    );
}

#[test]
fn unknown_target_in_the_project() {
    expect_error(
        &[("p/spy.toml", "extra-vm-modules = [\"../a\"]\n[spygen]\nruntime = \"../rt\"\ntargets = [\"wasii\"]\n")],
        "p/spy.toml:4:12: unknown target `wasii`",
    );
}

#[test]
fn a_program_needing_a_module_where_it_is_not_supported() {
    expect_error(
        &[
            ("b/spygen.toml", "name = \"b\"\nsources = [\"src/*.c\"]\ntargets = [\"wasi\"]\n"),
            ("a/spygen.toml", "name = \"a\"\nsources = [\"a.c\"]\ndeps = [\"../b\"]\ntargets = [\"native\"]\n"),
        ],
        "a/spygen.toml:4:12: module `a` is built for `native`, but the module `b` it depends on does not support `native`",
    );
}

#[test]
fn malformed_manifest() {
    expect_error(
        &[("a/spygen.toml", "name = \"a\"\nsources = \"a.c\"\n")],
        "a/spygen.toml:2:11: invalid type: string \"a.c\", expected a sequence",
    );
    expect_error(
        &[("a/spygen.toml", "name = \"a\"\nsauces = [\"a.c\"]\n")],
        "a/spygen.toml:2:1: unknown key `sauces`; did you mean `sources`?",
    );
}

#[test]
fn duplicate_names() {
    expect_error(&[("b/spygen.toml", "name = \"a\"\nsources = [\"src/*.c\"]\n")], "two units are named `a`");
}

#[test]
fn explicit_target_that_is_not_installed_is_an_error_with_the_install_hint() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    project(&root);
    // A toolchain whose compiler cannot exist here.
    write_files(
        &root,
        &[(
            "tc/ghost.toml",
            "triplet = \"ghost-none\"\ninstall = \"apt-get install ghost-cc\"\n\
             [compiler]\ncandidates = [{ command = [\"spygen-ghost-cc\"] }]\n\
             [archiver]\ncandidates = [{ command = [\"spygen-ghost-ar\"] }]\n",
        )],
    );
    let (code, _, err) = run(spygen()
        .args(["gen", "--target", "ghost"])
        .arg(root.join("p"))
        .arg("--toolchain-dir")
        .arg(root.join("tc")));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("target `ghost` was asked for, but its toolchain is not installed"), "{err}");
    assert!(err.contains("help: apt-get install ghost-cc"), "{err}");
    assert!(!root.join("p/build-spygen/build.ninja").exists());

    // Not asked for explicitly: one warning line, and left out of `default`.
    write_files(
        &root,
        &[(
            "p/spy.toml",
            "extra-vm-modules = [\"../a\"]\n[spygen]\nruntime = \"../rt\"\ntargets = [\"native\", \"ghost\"]\n",
        )],
    );
    let (code, _, err) =
        run(spygen().args(["gen", "-q"]).arg(root.join("p")).arg("--toolchain-dir").arg(root.join("tc")));
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("warning: toolchain `ghost` is not installed") && err.contains("apt-get install ghost-cc"),
        "{err}"
    );
    let ninja = std::fs::read_to_string(root.join("p/build-spygen/build.ninja")).unwrap();
    assert!(ninja.contains("\ndefault native-debug native-release\n"), "{ninja}");
    assert!(ninja.contains("build ghost-debug: phony ghost-debug/"[..18].trim_end()), "ghost aliases are still there");
}

/// With many modules in spy.toml (read ahead on two threads), a missing module is still named
/// where the loader first meets it: as a dependency of an earlier module when it is one, else
/// at its own entry.
#[test]
fn among_many_modules_a_missing_one_is_named_where_it_is_first_met() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let mut files: Vec<(String, String)> = Vec::new();
    let mut listed = Vec::new();
    for i in 0..40 {
        // m0 depends on m39, which is missing.
        let deps = if i == 0 { "deps = [\"../m39\"]\n" } else { "" };
        if i != 39 {
            files.push((format!("m{i}/spygen.toml"), format!("name = \"m{i}\"\nsources = [\"m.c\"]\n{deps}")));
            files.push((format!("m{i}/m.c"), format!("int m{i}(void) {{ return {i}; }}\n")));
        }
        listed.push(format!("\"../m{i}\""));
    }
    files.push(("p/spy.toml".into(), format!("extra-vm-modules = [{}]\n", listed.join(", "))));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), t.as_str())).collect();
    write_files(&root, &files);
    let db = spygen::toolchain::Db::load(None).unwrap();
    let err = spygen::generate(&db, &gen_options(&root.join("p"))).unwrap_err().to_string();
    assert!(err.contains("m0/spygen.toml:3:") && err.contains("m39 does not exist"), "{err}");
    // Without the dependency, at its entry in spy.toml.
    std::fs::write(root.join("m0/spygen.toml"), "name = \"m0\"\nsources = [\"m.c\"]\n").unwrap();
    let err = spygen::generate(&db, &gen_options(&root.join("p"))).unwrap_err().to_string();
    assert!(err.contains("p/spy.toml:1:") && err.contains("m39 does not exist"), "{err}");
}

#[test]
fn a_manifest_that_is_not_utf8_is_an_error_at_its_first_bad_byte() {
    // Latin-1 for "é" in a source name, on line 2.
    expect_error_after(
        &[("b/spygen.toml", b"name = \"b\"\nsources = [\"src/caf\xe9.c\"]\n")],
        "b/spygen.toml:2:20: the file is not UTF-8 text (byte 0xe9)\n  help: save it as UTF-8",
    );
}
