//! Hostile input and faults (issue 11): each test is a defect that once lost data, crashed or
//! built the wrong thing, and now holds. Generation runs through the binary: exit codes, files
//! left behind and what ninja and make then do are the behaviour under test.

mod common;

use std::path::Path;

use common::*;

/// Writes a chain of `n` modules under `root/m`: module i depends on module i + 1, each with
/// one source; the project's only VM module is the chain's head.
fn write_chain(root: &Path, n: usize) {
    for i in 0..n {
        let dir = root.join(format!("m/{i}"));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::write(dir.join("src/a.c"), format!("int f{i}(void) {{ return {i}; }}\n")).unwrap();
        let dep = if i + 1 < n { format!("deps = [\"../{}\"]\n", i + 1) } else { String::new() };
        std::fs::write(dir.join("spygen.toml"), format!("name = \"m{i}\"\nsources = [\"src/a.c\"]\n{dep}")).unwrap();
    }
    std::fs::write(root.join("spy.toml"), "extra-vm-modules = [\"m/0\"]\n").unwrap();
}

#[test]
fn a_dependency_chain_of_fifty_thousand_modules_generates_without_overflowing_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    write_chain(dir.path(), 50_000);
    let out = run_ok(spygen().args(["gen", "-q", "--target", "native", "--build-type", "debug"]).arg(dir.path()));
    assert_eq!(out, "");
    let ninja = std::fs::read_to_string(dir.path().join("build/build.ninja")).unwrap();
    let archives = ninja.lines().filter(|l| l.starts_with("build native/debug/m") && l.contains(": ar")).count();
    assert_eq!(archives, 50_000);
}

/// A one-module project in `root`: module `m` with `a.c`, its manifest's extra lines `extra`.
fn write_module_project(root: &Path, extra: &str) {
    write_files(
        root,
        &[
            ("spy.toml", "extra-vm-modules = [\"m\"]\n"),
            ("m/a.c", "int a(void) { return 1; }\n"),
            ("m/spygen.toml", &format!("name = \"m\"\nsources = [\"a.c\"]\n{extra}")),
        ],
    );
}

#[test]
fn a_line_break_in_a_define_is_an_error_at_its_line_and_column_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    write_module_project(dir.path(), "defines = [\"X=1\\nrule pwn\\n  command = touch pwned\"]\n");
    let (code, _, err) = run(spygen().args(["gen", "--target", "native"]).arg(dir.path()));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("m/spygen.toml:3:12: an entry of `defines` holds the control character U+000A"), "{err}");
    assert!(!dir.path().join("build").exists(), "no build file is written");
}

#[test]
fn control_characters_are_rejected_in_every_string_spygen_reads_but_not_in_spys_own_keys() {
    let dir = tempfile::tempdir().unwrap();
    write_module_project(dir.path(), "[target.native]\ncflags = [\"-Wall\\t\"]\n");
    let (code, _, err) = run(spygen().args(["gen", "--target", "native"]).arg(dir.path()));
    assert_eq!(code, 1);
    assert!(err.contains("m/spygen.toml:4:11: an entry of `cflags` holds the control character U+0009"), "{err}");

    // spy.toml: the `[spygen]` table is checked, SPy's own keys are not spygen's business.
    let dir = tempfile::tempdir().unwrap();
    write_module_project(dir.path(), "");
    let spy = "extra-vm-modules = [\"m\"]\nbanner = \"two\\nlines\"\n\n[spygen]\nbuild-dir = \"out\\r\"\n";
    std::fs::write(dir.path().join("spy.toml"), spy).unwrap();
    let (code, _, err) = run(spygen().args(["gen", "--target", "native"]).arg(dir.path()));
    assert_eq!(code, 1);
    assert!(err.contains("spy.toml:5:13: `build-dir` holds the control character U+000D"), "{err}");
    std::fs::write(dir.path().join("spy.toml"), "extra-vm-modules = [\"m\"]\nbanner = \"two\\nlines\"\n").unwrap();
    run_ok(spygen().args(["gen", "-q", "--target", "native"]).arg(dir.path()));

    // A descriptor's description is written into spygen.mk as a comment line.
    let tc = tempfile::tempdir().unwrap();
    std::fs::write(tc.path().join("native.toml"), "description = \"host\\nall: ; touch pwned\"\n").unwrap();
    let (code, _, err) = run(spygen().arg("--toolchain-dir").arg(tc.path()).arg("toolchains"));
    assert_eq!(code, 1);
    assert!(err.contains("native.toml:1:15: `description` holds the control character U+000A"), "{err}");
}

#[test]
fn a_project_or_option_whose_path_holds_a_line_break_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("a\nb");
    write_module_project(&project, "");
    // Named on the command line, or reached as the working directory.
    let (code, _, err) = run(spygen().args(["gen", "--target", "native"]).arg(&project));
    assert_eq!(code, 2);
    assert!(err.contains(r#"PROJECT ""#) && err.contains(r#"a\nb" holds a control character"#), "{err}");
    let (code, _, err) = run(spygen().args(["gen", "--target", "native", "."]).current_dir(&project));
    assert_eq!(code, 1);
    assert!(err.contains(r"a\nb/build") && err.contains("no build file can carry it"), "{err}");
    assert!(!project.join("build").exists());
    let (code, _, err) = run(spygen().args(["gen", "--target", "native", "--launcher", "cc\nache"]).arg(dir.path()));
    assert_eq!(code, 2);
    assert!(err.contains(r#"--launcher "cc\nache" holds a control character"#), "{err}");
}
