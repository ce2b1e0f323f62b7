//! System libraries per target: pkg-config asked with each target's own settings (the host's
//! answers never reach a cross target), another installation chosen from outside the module,
//! and where each library's flags came from.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Installs a private library `mini` for `target` under `prefix` (a path with a space, which
/// the `.pc` file escapes as pkg-config wants): `include/mini.h`, `lib/libmini.a` whose
/// `mini_value()` returns `value`, and `lib/pkgconfig/mini.pc`. Built with the target's own
/// compiler and archiver as `spygen flags` gives them.
fn install_mini(prefix: &Path, target: &str, value: i32) -> PathBuf {
    let flags = |what: &str| {
        let out = run_ok(spygen().args(["flags", "--target", target, what]).current_dir(prefix.parent().unwrap()));
        shlex::split(out.trim()).unwrap()
    };
    let (cc, ar, cflags) = (flags("--cc"), flags("--ar"), flags("--cflags"));
    std::fs::create_dir_all(prefix.join("include")).unwrap();
    std::fs::create_dir_all(prefix.join("lib/pkgconfig")).unwrap();
    std::fs::write(prefix.join("include/mini.h"), "int mini_value(void);\n").unwrap();
    let src = prefix.join("mini.c");
    std::fs::write(&src, format!("int mini_value(void) {{ return {value}; }}\n")).unwrap();
    let obj = prefix.join("mini.o");
    run_ok(Command::new(&cc[0]).args(&cc[1..]).args(&cflags).arg("-c").arg(&src).arg("-o").arg(&obj));
    run_ok(Command::new(&ar[0]).args(&ar[1..]).arg("rcs").arg(prefix.join("lib/libmini.a")).arg(&obj));
    let escaped = prefix.display().to_string().replace(' ', "\\ ");
    let pc = format!(
        "prefix={escaped}\nincludedir=${{prefix}}/include\nlibdir=${{prefix}}/lib\n\n\
         Name: mini\nDescription: a test library\nVersion: 1.0\nCflags: -I${{includedir}} -DMINI_TARGET_{}\nLibs: -L${{libdir}} -lmini\n",
        target.to_ascii_uppercase().replace('-', "_")
    );
    std::fs::write(prefix.join("lib/pkgconfig/mini.pc"), pc).unwrap();
    prefix.join("lib/pkgconfig")
}

/// A project: module `m` wraps `mini` (a system library), program `app` prints its value.
fn project(dir: &Path, module_extra: &str) {
    write_files(
        dir,
        &[
            (
                "spy.toml",
                "extra-vm-modules = [\"m\"]\n[spygen]\nbuild-types = [\"debug\"]\ntargets = [\"native\", \"wasi\"]\n\n\
                 [[spygen.program]]\nname = \"app\"\nsources = [\"app.c\"]\ndeps = [\"m\"]\n",
            ),
            (
                "m/spygen.toml",
                &format!(
                    "name = \"m\"\nsources = [\"m.c\"]\npublic-include-dirs = [\".\"]\n{module_extra}\n[[system-lib]]\npkg-config = \"mini\"\n"
                ),
            ),
            ("m/m.h", "int m_value(void);\n"),
            ("m/m.c", "#include <mini.h>\n#include \"m.h\"\nint m_value(void) { return mini_value(); }\n"),
            (
                "app.c",
                "#include <stdio.h>\n#include \"m.h\"\nint main(void) { printf(\"%d\\n\", m_value()); return 0; }\n",
            ),
        ],
    );
}

fn tools() -> bool {
    require_program("ninja", "apt-get install ninja-build")
        && require_program("node", "apt-get install nodejs")
        && require_program("pkg-config", "apt-get install pkgconf")
        && require_target("wasi")
}

/// Runs the wasi program through node's WASI.
fn run_wasi(wasm: &Path) -> String {
    let launcher = repo_root().join("templates/wasi-run.mjs");
    run_ok(Command::new("node").arg("--no-warnings").arg(launcher).arg(wasm))
}

#[test]
fn each_target_links_the_installation_chosen_for_it_and_the_host_one_never_reaches_wasi() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    project(&root, "");
    let native_pc = install_mini(&dir.path().join("my native"), "native", 7);
    let wasi_pc = install_mini(&dir.path().join("my wasi"), "wasi", 42);
    // Without settings for wasi, the module (and the program using it) is left out of wasi.
    let (code, _, err) = run(spygen()
        .args(["gen", "--pkg-config-path"])
        .arg(&native_pc)
        .env_remove("PKG_CONFIG_PATH_WASI")
        .current_dir(&root));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("module `m` is left out of `wasi`: its system library `mini` is not found for wasi"), "{err}");
    assert!(err.contains("PKG_CONFIG_PATH_WASI=<dir of mini.pc built for wasi>"), "{err}");
    // With them, each target gets its own build of the library.
    let (code, _, err) = run(spygen()
        .args(["build", "--pkg-config-path"])
        .arg(&native_pc)
        .env("PKG_CONFIG_PATH_WASI", &wasi_pc)
        .current_dir(&root));
    assert_eq!(code, 0, "{err}");
    let build = root.join("build-spygen");
    assert_eq!(run_ok(&mut Command::new(build.join("native/debug/app"))), "7\n");
    assert_eq!(run_wasi(&build.join("wasi/debug/app.wasm")), "42\n");
    // Where each target's flags came from.
    let json: serde_json::Value = serde_json::from_str(&run_ok(
        spygen()
            .args(["graph", "--format", "json"])
            .current_dir(&root)
            .env("PKG_CONFIG_PATH_WASI", &wasi_pc)
            .args(["--pkg-config-path", native_pc.to_str().unwrap()]),
    ))
    .unwrap();
    let libs = json["system_libs"].as_array().unwrap();
    let origin =
        |target: &str| libs.iter().find(|l| l["target"] == target).map(|l| l["origin"].as_str().unwrap().to_string());
    assert!(origin("native").unwrap().ends_with("my native/lib/pkgconfig/mini.pc"), "{libs:?}");
    let wasi_origin = origin("wasi").unwrap();
    assert!(
        wasi_origin.starts_with("pkg-config in ") && wasi_origin.ends_with("my wasi/lib/pkgconfig/mini.pc"),
        "{wasi_origin}"
    );
}

#[test]
fn a_module_asking_for_a_target_without_its_library_is_an_error_at_its_targets() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    project(&root, "targets = [\"native\", \"wasi\"]\n");
    let (code, _, err) = run(spygen().arg("gen").env_remove("PKG_CONFIG_PATH_WASI").current_dir(&root));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("m/spygen.toml:4:"), "at the target: {err}");
    assert!(err.contains("module `m` is built for `wasi`, but its system library `mini` is not found for it"), "{err}");
    // A program asking for wasi is told why its module is not built there.
    std::fs::write(
        root.join("m/spygen.toml"),
        "name = \"m\"\nsources = [\"m.c\"]\npublic-include-dirs = [\".\"]\n\n[[system-lib]]\npkg-config = \"mini\"\n",
    )
    .unwrap();
    let manifest = root.join("spy.toml");
    let text =
        std::fs::read_to_string(&manifest).unwrap().replace("deps = [\"m\"]", "deps = [\"m\"]\ntargets = [\"wasi\"]");
    std::fs::write(&manifest, text).unwrap();
    let (code, _, err) = run(spygen().arg("gen").env_remove("PKG_CONFIG_PATH_WASI").current_dir(&root));
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("executable `app` is built for `wasi`, but the module `m` it depends on does not support `wasi` (`m` needs the system library `mini`, which is not found for wasi: set PKG_CONFIG_PATH_WASI="),
        "{err}"
    );
    std::fs::write(&manifest, std::fs::read_to_string(&manifest).unwrap().replace("\ntargets = [\"wasi\"]", ""))
        .unwrap();
    // A library declared for wasi itself falls back on its flags there, with a warning.
    let manifest = root.join("m/spygen.toml");
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "[[system-lib]]\npkg-config = \"mini\"\n",
        "[[target.native.system-lib]]\npkg-config = \"mini\"\n\n[[target.wasi.system-lib]]\npkg-config = \"mini\"\nfallback-libs = [\"-lmini-wasi\"]\n",
    );
    std::fs::write(&manifest, text).unwrap();
    let (code, _, err) =
        run(spygen().args(["gen", "--target", "wasi"]).env_remove("PKG_CONFIG_PATH_WASI").current_dir(&root));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("using the fallback flags -lmini-wasi for wasi"), "{err}");
    let ninja = std::fs::read_to_string(root.join("build-spygen/build.ninja")).unwrap();
    assert!(ninja.contains(" -lmini-wasi"), "{ninja}");
}

#[test]
fn the_project_chooses_an_installation_in_spy_toml_and_changing_it_regenerates() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    project(&root, "");
    let first = install_mini(&dir.path().join("first"), "native", 1);
    let second = install_mini(&dir.path().join("second"), "native", 2);
    let manifest = root.join("spy.toml");
    let base = std::fs::read_to_string(&manifest).unwrap();
    let choose = |pc: &Path| {
        let table =
            format!("[spygen.system-lib.mini]\npkg-config-path = [{}]\n", toml_string(&pc.display().to_string()));
        std::fs::write(&manifest, base.replace("[[spygen.program]]", &format!("{table}\n[[spygen.program]]"))).unwrap();
    };
    let app = root.join("build-spygen/native/debug/app");
    choose(&first);
    run_ok(spygen().args(["build", "native-debug"]).current_dir(&root));
    assert_eq!(run_ok(&mut Command::new(&app)), "1\n");
    choose(&second);
    run_ok(spygen().args(["build", "native-debug"]).current_dir(&root));
    assert_eq!(run_ok(&mut Command::new(&app)), "2\n");
    // Editing the .pc file read is a change too: it names the first installation's archive.
    let pc = second.join("mini.pc");
    let text = std::fs::read_to_string(&pc).unwrap();
    std::fs::write(&pc, text.replace("second", "first")).unwrap();
    let out = run_ok(spygen().args(["gen"]).current_dir(&root));
    assert!(!out.contains("unchanged"), "the edited .pc regenerates: {out}");
    // Flags given outright need no pkg-config at all.
    let table = "[spygen.system-lib.mini.target.wasi]\ncflags = [\"-DGIVEN\"]\nlibs = [\"-lgiven\"]\n";
    std::fs::write(&manifest, base.replace("[[spygen.program]]", &format!("{table}\n[[spygen.program]]"))).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&run_ok(spygen().args(["graph", "--format", "json"]).current_dir(&root))).unwrap();
    let wasi = json["system_libs"].as_array().unwrap().iter().find(|l| l["target"] == "wasi").cloned().unwrap();
    assert_eq!(wasi["libs"], serde_json::json!(["-lgiven"]));
    assert!(wasi["origin"].as_str().unwrap().starts_with("the flags given at "), "{wasi}");
}

#[test]
fn pkg_configs_own_words_explain_a_library_it_cannot_give() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("proj");
    project(&root, "");
    let pc_dir = install_mini(&dir.path().join("broken"), "native", 1);
    let pc = pc_dir.join("mini.pc");
    let text = std::fs::read_to_string(&pc).unwrap();
    std::fs::write(&pc, text.replace("Version: 1.0\n", "Version: 1.0\nRequires: no-such-dependency-xyz\n")).unwrap();
    let (_, _, err) =
        run(spygen().args(["gen", "--target", "native", "--pkg-config-path"]).arg(&pc_dir).current_dir(&root));
    assert!(err.contains("pkg-config does not know `mini`"), "{err}");
    assert!(err.contains("no-such-dependency-xyz"), "pkg-config's own message: {err}");
}
