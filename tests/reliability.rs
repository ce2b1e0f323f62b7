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
