//! Awkward names survive both the ninja and the shell layer: a source directory with a space,
//! a define with quotes, and an exported symbol with `$` in its name.

mod common;

use std::process::Command;

use common::*;

#[test]
fn spaces_and_dollars_build_and_run() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap().join("with space");
    write_files(
        &root,
        &[
            ("rt/spygen.toml", "name = \"rt\"\nsources = [\"*.c\"]\npublic-include-dirs = [\"inc dir\"]\n"),
            ("rt/inc dir/rt.h", "int rt_base(void);\n"),
            ("rt/rt.c", "#include \"rt.h\"\nint rt_base(void) { return 40; }\n"),
            (
                "mod/spygen.toml",
                "name = \"mod\"\nsources = [\"my src/*.c\"]\ndefines = ['GREETING=\"hi $there\"']\n\
                 exports = [\"spy_mod$encode\"]\n",
            ),
            (
                "mod/my src/m.c",
                "#include \"rt.h\"\nconst char *greeting(void) { return GREETING; }\n\
                 int spy_mod$encode(void) { return rt_base() + 2; }\n",
            ),
            (
                "p/spy.toml",
                "extra-vm-modules = [\"../mod\"]\n[spygen]\nruntime = \"../rt\"\ntargets = [\"native\"]\n\
                 [[spygen.program]]\nname = \"app\"\nsources = [\"main.c\"]\ndeps = [\"../mod\"]\n",
            ),
            (
                "p/main.c",
                "#include <stdio.h>\nint spy_mod$encode(void);\nconst char *greeting(void);\n\
                 int main(void) { printf(\"%s %d\\n\", greeting(), spy_mod$encode()); return 0; }\n",
            ),
        ],
    );
    run_ok(spygen().args(["gen", "-q"]).arg(root.join("p")));
    let build = root.join("p/build-spygen");
    run_ok(Command::new("ninja").arg("-C").arg(&build));
    let out = run_ok(&mut Command::new(build.join("native/debug/app")));
    assert_eq!(out, "hi $there 42\n");
    let again = run_ok(Command::new("ninja").arg("-C").arg(&build));
    assert!(again.contains("no work to do"), "{again}");
}

/// An archive whose object list would make a command line over Linux's 128 KiB limit for one
/// `sh -c` argument gets it through a response file; short lists stay on the command line.
#[test]
fn long_object_lists_go_through_a_response_file() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    // 150 objects of about 250 bytes each: 37 KiB of paths, over the 32 KiB threshold.
    let deep = format!("src/{}", "d".repeat(200));
    let mut files: Vec<(String, String)> = (0..150)
        .map(|i| (format!("big/{deep}/source_file_number_{i:03}.c"), format!("int big_{i}(void) {{ return {i}; }}\n")))
        .collect();
    files.push(("big/spygen.toml".into(), format!("name = \"big\"\nsources = [\"{deep}/*.c\"]\n")));
    files.push(("small/spygen.toml".into(), "name = \"small\"\nsources = [\"*.c\"]\n".into()));
    files.push(("small/s.c".into(), "int small(void) { return 1; }\n".into()));
    files.push((
        "p/spy.toml".into(),
        "extra-vm-modules = [\"../big\", \"../small\"]\n[spygen]\ntargets = [\"native\"]\nbuild-types = [\"debug\"]\n"
            .into(),
    ));
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    write_files(&root, &refs);
    run_ok(spygen().args(["gen", "-q"]).arg(root.join("p")));
    let build = root.join("p/build-spygen");
    let text = std::fs::read_to_string(build.join("build.ninja")).unwrap();
    assert!(text.contains("build native/debug/big.a: ar-rsp.native "), "big archive uses the response file rule");
    assert!(text.contains("build native/debug/small.a: ar.native "), "small archive keeps its objects inline");

    run_ok(Command::new("ninja").arg("-C").arg(&build).arg("native/debug/big.a"));
    let members = run_ok(Command::new("ar").arg("t").arg(build.join("native/debug/big.a")));
    assert_eq!(members.lines().count(), 150, "{members}");
    assert!(!build.join("native/debug/big.a.rsp").exists(), "ninja removes the response file after success");
}
