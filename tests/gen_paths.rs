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
    let build = root.join("p/build");
    run_ok(Command::new("ninja").arg("-C").arg(&build));
    let out = run_ok(&mut Command::new(build.join("native/debug/app")));
    assert_eq!(out, "hi $there 42\n");
    let again = run_ok(Command::new("ninja").arg("-C").arg(&build));
    assert!(again.contains("no work to do"), "{again}");
}
