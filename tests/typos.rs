//! Typos in manifests and descriptors are never silent: an unknown key of spygen's own tables
//! is an error saying which key was probably meant, a top-level key of spy.toml that neither
//! SPy nor spygen reads is a warning saying the same, and a misspelt target, build type,
//! program kind, layout or required package gets the close name too. A name close to nothing
//! gets no guess.

mod common;

use std::path::{Path, PathBuf};

use common::*;

/// A project in `p/`: the runtime `rt` and a module `a` (its manifest `a_manifest`), with
/// `spy_toml` as the project manifest. Returns the temporary directory and its path.
fn project(spy_toml: &str, a_manifest: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write_files(
        &root,
        &[
            ("rt/spygen.toml", "name = \"rt\"\nsources = [\"rt.c\"]\n"),
            ("rt/rt.c", "int rt(void) { return 1; }\n"),
            ("a/spygen.toml", a_manifest),
            ("a/a.c", "int a(void) { return 2; }\n"),
            ("p/spy.toml", spy_toml),
            ("p/main.c", "int main(void) { return 0; }\n"),
        ],
    );
    (dir, root)
}

/// The valid module manifest of `a`.
const A: &str = "name = \"a\"\nsources = [\"a.c\"]\n";

/// The `[spygen]` table of a project building the runtime for native only.
const SPYGEN: &str = "[spygen]\nruntime = \"../rt\"\ntargets = [\"native\"]\n";

/// Runs `spygen gen` on the project under `root` with `extra` arguments; returns the exit code
/// and stderr with `root/` taken out of paths.
fn generate_with(root: &Path, extra: &[&std::ffi::OsStr]) -> (i32, String) {
    let (code, _, err) = run(spygen().arg("gen").arg(root.join("p")).args(extra));
    (code, err.replace(&format!("{}/", root.display()), ""))
}

/// [`generate_with`] without extra arguments.
fn generate(root: &Path) -> (i32, String) {
    generate_with(root, &[])
}

/// Expects `spygen gen` to fail with exit code 1 and the error line `expected`, followed by a
/// help line, and to write no build file.
fn expect_error(root: &Path, expected: &str) -> String {
    let (code, err) = generate(root);
    assert_eq!(code, 1, "{err}");
    let first = err.lines().next().unwrap_or_default();
    assert_eq!(first, format!("spygen: error: {expected}"), "{err}");
    assert!(err.lines().nth(1).is_some_and(|l| l.starts_with("  help: ")), "every error says what to do:\n{err}");
    assert!(!root.join("p/build-spygen/build.ninja").exists(), "nothing is generated on an error");
    err
}

#[test]
fn a_misspelt_extra_vm_modules_is_a_warning_naming_the_key_meant_and_generation_goes_on() {
    let (_dir, root) = project(&format!("extra-vm-module = [\"../a\"]\n\n{SPYGEN}"), A);
    let (code, err) = generate(&root);
    assert_eq!(code, 0, "{err}");
    let warning = "spygen: warning: p/spy.toml:1:1: unknown key `extra-vm-module` (SPy reads: extra-vm-modules; \
                   spygen reads [spygen]); did you mean `extra-vm-modules`?";
    assert_eq!(err.matches(warning).count(), 1, "one warning for the key:\n{err}");
    // The misspelt list is not read: the runtime is generated, the module is not.
    let ninja = std::fs::read_to_string(root.join("p/build-spygen/build.ninja")).unwrap();
    assert!(ninja.contains("rt.c") && !ninja.contains("a.c"), "{ninja}");
    // A generation with nothing to do still says it.
    let (code, again) = generate(&root);
    assert_eq!(code, 0, "{again}");
    assert_eq!(again.matches(warning).count(), 1, "{again}");
}

#[test]
fn top_level_tables_spy_does_not_read_are_warnings_and_a_misspelt_spygen_table_is_named() {
    let spy_toml =
        format!("extra-vm-modules = [\"../a\"]\n\n[tool.black]\nx = 1\n\n[spygn]\nlayout = \"spy\"\n\n{SPYGEN}");
    let (_dir, root) = project(&spy_toml, A);
    let (code, err) = generate(&root);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "spygen: warning: p/spy.toml:3:2: unknown table `[tool]` (SPy reads: extra-vm-modules; spygen reads [spygen])\n"
        ),
        "no guess for a table named like nothing known:\n{err}"
    );
    assert!(
        err.contains(
            "spygen: warning: p/spy.toml:6:2: unknown table `[spygn]` (SPy reads: extra-vm-modules; spygen reads \
             [spygen]); did you mean `[spygen]`?\n"
        ),
        "{err}"
    );
}

#[test]
fn keys_spy_and_spygen_read_give_no_warning() {
    let (_dir, root) = project(&format!("extra-vm-modules = [\"../a\"]\n\n{SPYGEN}"), A);
    let (code, err) = generate(&root);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("warning"), "{err}");
}

#[test]
fn a_misspelt_key_in_a_module_manifest_is_an_error_naming_the_key_meant_and_every_valid_one() {
    let (_dir, root) =
        project(&format!("extra-vm-modules = [\"../a\"]\n{SPYGEN}"), "name = \"a\"\nsorces = [\"a.c\"]\n");
    let err = expect_error(&root, "a/spygen.toml:2:1: unknown key `sorces`; did you mean `sources`?");
    assert!(err.contains("help: the keys here are `name`, `kind`, `sources`, `public-include-dirs`,"), "{err}");
}

#[test]
fn an_underscore_spelling_of_a_key_names_its_kebab_case_form() {
    let manifest = "name = \"a\"\nsources = [\"a.c\"]\npublic_headers = [\"a.h\"]\n";
    let (_dir, root) = project(&format!("extra-vm-modules = [\"../a\"]\n{SPYGEN}"), manifest);
    expect_error(&root, "a/spygen.toml:3:1: unknown key `public_headers`; did you mean `public-headers`?");
}

#[test]
fn misspelt_keys_of_the_spygen_table_and_its_programs_name_the_key_meant() {
    let (_dir, root) = project(&format!("{SPYGEN}build_dir = \"out\"\n"), A);
    expect_error(&root, "p/spy.toml:4:1: unknown key `build_dir`; did you mean `build-dir`?");
    let program = format!("{SPYGEN}\n[[spygen.program]]\nname = \"app\"\nsources = [\"main.c\"]\ndep = [\"../a\"]\n");
    write_files(&root, &[("p/spy.toml", &program)]);
    expect_error(&root, "p/spy.toml:8:1: unknown key `dep`; did you mean `deps`?");
}

#[test]
fn a_misspelt_key_in_a_user_descriptor_names_the_key_meant() {
    let (_dir, root) = project(&format!("extra-vm-modules = [\"../a\"]\n{SPYGEN}"), A);
    let descriptors = root.join("toolchains");
    write_files(
        &descriptors,
        &[(
            "riscv.toml",
            "description = \"a cross compiler\"\ntriplett = \"riscv64-linux-musl\"\n\n[compiler]\ncandidates = [{ command = [\"cc\"] }]\n",
        )],
    );
    let (code, err) = generate_with(&root, &["--toolchain-dir".as_ref(), descriptors.as_os_str()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with(
            "spygen: error: toolchains/riscv.toml:2:1: unknown key `triplett`; did you mean `triplet`?\n  help: the keys here are `description`, `triplet`,"
        ),
        "{err}"
    );
    // In a nested table too.
    write_files(&descriptors, &[("riscv.toml", "triplet = \"riscv64-linux-musl\"\n\n[compiler]\ncandidate = []\n")]);
    let (code, err) = generate_with(&root, &["--toolchain-dir".as_ref(), descriptors.as_os_str()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with(
            "spygen: error: toolchains/riscv.toml:4:1: unknown key `candidate`; did you mean `candidates`?"
        ),
        "{err}"
    );
}

#[test]
fn a_misspelt_program_kind_names_the_kind_meant() {
    let spy_toml =
        format!("{SPYGEN}\n[[spygen.program]]\nname = \"app\"\nkind = \"exectuable\"\nsources = [\"main.c\"]\n");
    let (_dir, root) = project(&spy_toml, A);
    expect_error(&root, "p/spy.toml:7:8: unknown program kind `exectuable`; did you mean `executable`?");
}

#[test]
fn misspelt_names_of_fixed_sets_name_the_one_meant() {
    let (_dir, root) = project(&format!("{SPYGEN}layout = \"spyy\"\n"), A);
    expect_error(&root, "p/spy.toml:4:10: unknown `layout` `spyy`; did you mean `spy`?");
    write_files(&root, &[("p/spy.toml", "[spygen]\nruntime = \"../rt\"\ntargets = [\"wasii\"]\n")]);
    expect_error(
        &root,
        "p/spy.toml:3:12: unknown target `wasii`; valid targets: emscripten, native, native-static, wasi; did you mean `wasi`?",
    );
    write_files(&root, &[("p/spy.toml", &format!("{SPYGEN}\n[spygen.require]\nzg = \"==0.13.0\"\n"))]);
    expect_error(&root, "p/spy.toml:6:6: `zg` is not a tool package spygen knows a version of; did you mean `zig`?");
    write_files(
        &root,
        &[
            ("p/spy.toml", &format!("extra-vm-modules = [\"../a\"]\n{SPYGEN}")),
            ("a/spygen.toml", "name = \"a\"\nsources = [\"a.c\"]\n\n[build-type.relase]\ndefines = [\"FAST\"]\n"),
        ],
    );
    expect_error(
        &root,
        "a/spygen.toml:4:13: unknown build type `relase`; valid build types: debug, release; did you mean `release`?",
    );
}

#[test]
fn a_name_close_to_nothing_valid_gets_no_guess() {
    let (_dir, root) = project(&format!("extra-vm-modules = [\"../a\"]\n{SPYGEN}"), "name = \"a\"\ncolour = \"red\"\n");
    let err = expect_error(&root, "a/spygen.toml:2:1: unknown key `colour`");
    assert!(!err.contains("did you mean"), "{err}");
    assert!(err.contains("help: the keys here are `name`,"), "the valid keys are still listed:\n{err}");
    let spy_toml = format!("{SPYGEN}\n[[spygen.program]]\nname = \"app\"\nkind = \"daemon\"\nsources = [\"main.c\"]\n");
    write_files(&root, &[("p/spy.toml", &spy_toml), ("a/spygen.toml", A)]);
    let err = expect_error(&root, "p/spy.toml:7:8: unknown program kind `daemon`");
    assert!(!err.contains("did you mean"), "{err}");
}
