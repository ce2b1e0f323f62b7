//! Source patterns against hostile trees (issue 11): symbolic link loops, links out of the
//! module, unreadable directories, directories named as sources, file names no build file can
//! spell, names too long for the objects derived from them.

mod common;

use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

use common::*;

/// A native project in `root` whose module `m` has the sources `patterns` (TOML array items).
fn project(root: &Path, patterns: &str) {
    write_files(
        root,
        &[
            ("spy.toml", "extra-vm-modules = [\"m\"]\n[spygen]\ntargets = [\"native\"]\nbuild-types = [\"debug\"]\n"),
            ("m/spygen.toml", &format!("name = \"m\"\nsources = [{patterns}]\n")),
            ("m/src/a.c", "int a(void) { return 1; }\n"),
        ],
    );
}

/// Generates `root` in this process (the library's `generate`): the exit code `spygen gen`
/// would have and what it would print on stderr (warnings, or the error).
fn generate(root: &Path) -> (i32, String) {
    let db = spygen::toolchain::Db::load(None).unwrap();
    match spygen::generate(&db, &gen_options(root)) {
        Ok(generated) => (0, generated.warnings.iter().map(|w| format!("spygen: warning: {w}\n")).collect()),
        Err(e) => (e.exit_code(), format!("spygen: error: {e}\n")),
    }
}

/// The compile edges of build.ninja.
fn compiles(root: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(root.join("build-spygen/build.ninja")).unwrap();
    text.lines().filter(|l| l.starts_with("build native/debug/obj/")).map(str::to_string).collect()
}

#[test]
fn a_symbolic_link_loop_under_double_star_is_walked_once_and_named_in_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "\"src/**/*.c\"");
    std::os::unix::fs::symlink(".", dir.path().join("m/src/loop")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("m/src/up")).unwrap();
    let (code, err) = generate(dir.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(compiles(dir.path()).len(), 1, "a.c is compiled once");
    assert!(
        err.contains("m/spygen.toml:2:12: ")
            && err.contains("m/src/loop is a symbolic link to a directory already walked"),
        "{err}"
    );
}

#[test]
fn a_link_out_of_the_module_is_not_followed_unless_the_pattern_starts_there() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "\"src/**/*.c\"");
    write_files(dir.path(), &[("shared/x.c", "int x(void) { return 2; }\n")]);
    std::os::unix::fs::symlink("../../shared", dir.path().join("m/src/shared")).unwrap();
    let (code, err) = generate(dir.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(compiles(dir.path()).len(), 1);
    assert!(err.contains("m/src/shared is a symbolic link leading out of"), "{err}");
    std::fs::write(dir.path().join("m/spygen.toml"), "name = \"m\"\nsources = [\"src/*.c\", \"../shared/**/*.c\"]\n")
        .unwrap();
    let (code, err) = generate(dir.path());
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(compiles(dir.path()).len(), 2);
}

#[test]
fn an_absolute_or_malformed_pattern_is_refused_at_its_entry() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "\"src/*.c\", \"/**/*.c\"");
    let (code, err) = generate(dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("m/spygen.toml:2:23: `/**/*.c` is an absolute pattern"), "{err}");
    std::fs::write(dir.path().join("m/spygen.toml"), "name = \"m\"\nsources = [\"src/[ab.c\"]\n").unwrap();
    let (code, err) = generate(dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("m/spygen.toml:2:12: `src/[ab.c` is not a valid pattern"), "{err}");
}

#[test]
fn an_unreadable_directory_a_pattern_must_list_is_an_error_naming_it() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    project(dir.path(), "\"src/**/*.c\"");
    write_files(dir.path(), &[("m/src/sub/b.c", "int b;\n")]);
    let locked =
        |path: &Path, mode: u32| std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    locked(&dir.path().join("m/src/sub"), 0o000);
    let (code, _, err) = run(spygen_without_read_override().args(["gen", "-q"]).arg(dir.path()));
    locked(&dir.path().join("m/src/sub"), 0o755);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("m/spygen.toml:2:12: cannot read directory") && err.contains("m/src/sub: Permission denied"),
        "{err}"
    );

    // `src/*.c` with `src` itself unreadable: not "matches no file".
    std::fs::write(dir.path().join("m/spygen.toml"), "name = \"m\"\nsources = [\"src/*.c\"]\n").unwrap();
    locked(&dir.path().join("m/src"), 0o000);
    let (code, _, err) = run(spygen_without_read_override().args(["gen", "-q"]).arg(dir.path()));
    locked(&dir.path().join("m/src"), 0o755);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot read") && err.contains("Permission denied") && !err.contains("matches no file"),
        "{err}"
    );
}

#[test]
fn a_directory_named_as_a_source_is_said_to_be_one() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "\"src\"");
    let (code, err) = generate(dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("m/spygen.toml:2:12:") && err.contains("m/src is a directory, not a source file"), "{err}");
    assert!(err.contains("`src/*.c`"), "{err}");
}

#[test]
fn file_names_no_build_file_can_spell_are_refused_naming_the_file_and_the_pattern() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "\"src/*.c\"");
    let bad = dir.path().join("m/src").join(std::ffi::OsStr::from_bytes(b"caf\xe9.c"));
    std::fs::write(&bad, "int c;\n").unwrap();
    let (code, err) = generate(dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("m/spygen.toml:2:12:") && err.contains(r#"caf\xE9.c"#) && err.contains("not UTF-8"), "{err}");
    std::fs::remove_file(&bad).unwrap();
    std::fs::write(dir.path().join("m/src/new\nline.c"), "int n;\n").unwrap();
    let (code, err) = generate(dir.path());
    assert_eq!(code, 1);
    assert!(err.contains(r#"new\nline.c"#) && err.contains("holds a control character"), "{err}");
}

#[test]
fn sources_with_names_near_the_file_name_limit_build() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "\"src/*.c\"");
    // 250 bytes each, the first 240 shared: their objects would be 252 bytes and their
    // depfiles 254, past what tools append.
    let common_part = "n".repeat(240);
    for tail in ["aaaaaaa", "bbbbbbb"] {
        let name = format!("{common_part}{tail}.c");
        assert_eq!(name.len(), 249);
        write_files(dir.path(), &[(&format!("m/src/{name}"), &format!("int f_{tail}(void) {{ return 0; }}\n"))]);
    }
    let (code, err) = generate(dir.path());
    assert_eq!(code, 0, "{err}");
    assert_eq!(compiles(dir.path()).len(), 3);
    run_ok(Command::new("ninja").arg("-C").arg(dir.path().join("build-spygen")));
    let objects = std::fs::read_dir(dir.path().join("build-spygen/native/debug/obj/m/src")).unwrap().count();
    assert!(objects >= 3, "three distinct objects (and their depfiles)");
    let members = run_ok(Command::new("ar").arg("t").arg(dir.path().join("build-spygen/native/debug/m.a")));
    assert_eq!(members.lines().count(), 3, "{members}");
}

#[test]
fn paths_build_files_cannot_carry_are_refused_at_the_entry_naming_the_character() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "\"src/*.c\"");
    // ninja would split `a*b` when reading the compiler's depfile and rebuild it every time.
    write_files(dir.path(), &[("m/src/a*b.c", "int ab;\n")]);
    let (code, err) = generate(dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("m/spygen.toml:2:12:") && err.contains("a*b.c holds `*`: ninja cannot read it back"), "{err}");
    std::fs::remove_file(dir.path().join("m/src/a*b.c")).unwrap();

    std::fs::write(
        dir.path().join("m/spygen.toml"),
        "name = \"m\"\nsources = [\"src/*.c\"]\npublic-include-dirs = [\"inc(1)\"]\n",
    )
    .unwrap();
    let (code, err) = generate(dir.path());
    assert_eq!(code, 1);
    assert!(err.contains("m/spygen.toml:3:24:") && err.contains("inc(1) holds `(`"), "{err}");
    assert!(!dir.path().join("build-spygen").exists(), "nothing written");
}

/// A native project in `root` of `n` modules, each depending on the one before, module `i`
/// with the sources `patterns(i)` (TOML array items) and three files in `src`.
fn many_modules(root: &Path, n: usize, patterns: impl Fn(usize) -> String) {
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..n {
        let dep = if i > 0 { format!("deps = [\"../m{}\"]\n", i - 1) } else { String::new() };
        files.push((format!("m{i}/spygen.toml"), format!("name = \"m{i}\"\nsources = [{}]\n{dep}", patterns(i))));
        for k in 0..3 {
            files.push((format!("m{i}/src/f{k}.c"), format!("int m{i}_f{k}(void) {{ return {k}; }}\n")));
        }
    }
    let modules: Vec<String> = (0..n).map(|i| format!("\"m{i}\"")).collect();
    files.push((
        "spy.toml".into(),
        format!(
            "extra-vm-modules = [{}]\n[spygen]\ntargets = [\"native\"]\nbuild-types = [\"debug\"]\n",
            modules.join(", ")
        ),
    ));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    write_files(root, &files);
}

#[test]
fn many_modules_listed_on_two_threads_give_the_same_build_ninja_every_time() {
    // 120 modules: past the 64 from which a worker thread lists sources while the planner plans.
    let dir = tempfile::tempdir().unwrap();
    many_modules(dir.path(), 120, |_| "\"src/*.c\"".into());
    let (code, err) = generate(dir.path());
    assert_eq!(code, 0, "{err}");
    let ninja = dir.path().join("build-spygen/build.ninja");
    let first = std::fs::read_to_string(&ninja).unwrap();
    assert_eq!(compiles(dir.path()).len(), 360, "every source of every module");
    for _ in 0..5 {
        std::fs::remove_dir_all(dir.path().join("build-spygen")).unwrap();
        let (code, err) = generate(dir.path());
        assert_eq!(code, 0, "{err}");
        assert_eq!(std::fs::read_to_string(&ninja).unwrap(), first);
    }
}

#[test]
fn of_many_modules_the_first_in_dependency_order_whose_pattern_matches_nothing_is_the_error_every_time() {
    let dir = tempfile::tempdir().unwrap();
    // Module 100 comes last, module 30 before it, whichever thread lists which.
    many_modules(dir.path(), 120, |i| if i == 30 || i == 100 { "\"lib/*.c\"".into() } else { "\"src/*.c\"".into() });
    for _ in 0..5 {
        let (code, err) = generate(dir.path());
        assert_eq!(code, 1, "{err}");
        assert!(err.contains("m30/spygen.toml:2:12: source pattern `lib/*.c` matches no file in"), "{err}");
        assert!(!dir.path().join("build-spygen/build.ninja").exists(), "nothing written");
    }
}

#[test]
fn of_many_modules_one_that_no_configuration_builds_still_has_its_sources_checked() {
    let dir = tempfile::tempdir().unwrap();
    many_modules(dir.path(), 100, |i| if i == 99 { "\"lib/*.c\"".into() } else { "\"src/*.c\"".into() });
    // The last module is for wasi only: the native configuration never asks for its sources.
    let manifest = dir.path().join("m99/spygen.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, format!("{text}targets = [\"wasi\"]\n")).unwrap();
    let (code, err) = generate(dir.path());
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("m99/spygen.toml:2:12: source pattern `lib/*.c` matches no file in"), "{err}");
    // Fixed, it generates, and indeed without the module.
    std::fs::write(&manifest, std::fs::read_to_string(&manifest).unwrap().replace("lib/*.c", "src/*.c")).unwrap();
    let (code, err) = generate(dir.path());
    assert_eq!(code, 0, "{err}");
    assert!(compiles(dir.path()).iter().all(|l| !l.contains("/obj/m99/")), "m99 is not built for native");
    assert_eq!(compiles(dir.path()).len(), 297);
}
