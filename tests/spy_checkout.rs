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
        // The vendored library's archives too: its Makefile builds them into the build dir.
        let all = archives(&demo.join("build"));
        assert!(all.contains_key("native/release/foreign/tinyenc/libtinyenc.a"), "{:?}", all.keys());
        built.push(all);
    }
    let (first, second) = (&built[0], &built[1]);
    assert_eq!(first.keys().collect::<Vec<_>>(), second.keys().collect::<Vec<_>>());
    // GCC's LTO objects (native release) included: compiles see their directory as
    // /proc/self/cwd, the same path in both checkouts.
    for (name, bytes) in first {
        assert!(&second[name] == bytes, "{name} differs between the two checkouts");
    }
    let compared = first.len();
    assert!(compared >= 20, "only {compared} archives compared: {:?}", first.keys());
}

/// SPy's bundle cache key, computed as SPy's interpreter computes it: sha256 over each archive's
/// bytes in link order, then the version string `python -m ziglang version` prints.
fn spy_cache_key(dir: &Path, archives: &[&str]) -> String {
    let script = "import hashlib, subprocess, sys\n\
                  h = hashlib.sha256()\n\
                  for a in sys.argv[1:]:\n    h.update(open(a, 'rb').read())\n\
                  v = subprocess.run([sys.executable, '-m', 'ziglang', 'version'], capture_output=True, text=True, check=True)\n\
                  h.update(v.stdout.strip().encode())\n\
                  print(h.hexdigest())\n";
    run_ok(std::process::Command::new("python3").arg("-c").arg(script).args(archives).current_dir(dir))
        .trim()
        .to_string()
}

#[test]
fn a_spy_compatible_bundle_lands_where_spys_interpreter_looks_and_spys_own_entries_are_hits() {
    if !require_target("wasi") || !require_program("ninja", "apt-get install ninja-build") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let source =
        "int rt_base(void);\n__attribute__((export_name(\"a_get\"))) int a_get(void) { return 41 + rt_base(); }\n";
    let build = build_wasi_release_of_rt_and_a(&root, source, "");
    let archives = ["wasi/release/rt.a", "wasi/release/a.a"];
    let cache = root.join("build/wasm-bundles");
    let bundle = |extra: &[&str]| {
        run(spygen()
            .args(["bundle", "--spy-compatible", "--target", "wasi", "--build-type", "release", "--cache-dir"])
            .arg(&cache)
            .args(archives)
            .args(extra)
            .current_dir(&build))
    };
    let (code, out, err) = bundle(&["-o", "out.wasm"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("linked: out.wasm"), "{out}");
    // Where SPy looks: <cache>/<its key>/bundle.wasm, with SPy's manifest keys.
    let key = spy_cache_key(&build, &archives);
    let entry = cache.join(&key);
    assert!(entry.join("bundle.wasm").is_file(), "no entry {key}: {:?}", std::fs::read_dir(&cache).unwrap().count());
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(entry.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["cache_key"], key.as_str());
    assert_eq!(manifest["archives"], serde_json::json!(archives));
    assert!(manifest["zig_version"].as_str().is_some_and(|v| v.chars().next().is_some_and(|c| c.is_ascii_digit())));
    let command: Vec<&str> = manifest["link_command"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(!command.contains(&"-flto") && !command.iter().any(|w| w.contains("--export")), "{command:?}");
    // The export the C code marks is there.
    if let Some(values) = call_wasm_exports(&build.join("out.wasm"), &["a_get"]) {
        assert_eq!(values.trim(), "42");
    }
    // Exports on the command line have no place in SPy's key.
    let (code, _, err) = bundle(&["--export", "a_get"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("export_name"), "{err}");
    // An entry SPy itself wrote (its three keys, no hash) is a hit: nothing is linked.
    let spy_manifest =
        serde_json::json!({"archives": archives, "zig_version": manifest["zig_version"], "cache_key": key});
    std::fs::write(entry.join("manifest.json"), serde_json::to_string_pretty(&spy_manifest).unwrap()).unwrap();
    let (code, out, err) = bundle(&[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("from the cache"), "{out}");
    let listed = run_ok(spygen().args(["bundle", "--list", "--cache-dir"]).arg(&cache));
    assert!(listed.contains(&format!("{key}  ok")), "{listed}");
}

/// A virtualenv holding `pip install ziglang==<version>`, as SPy's `pip install -e .` makes
/// one; `None` (skipped, or a failure in CI) when one cannot be made here.
fn virtualenv_with_zig(dir: &Path, version: &str) -> Option<std::path::PathBuf> {
    let venv = dir.join("venv");
    let made =
        std::process::Command::new("python3").arg("-m").arg("venv").arg(&venv).status().is_ok_and(|s| s.success())
            && std::process::Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "--disable-pip-version-check", &format!("ziglang=={version}")])
                .status()
                .is_ok_and(|s| s.success());
    if made {
        return Some(venv);
    }
    let why = format!("cannot make a virtualenv with ziglang=={version} (python3 -m venv, pip and PyPI needed)");
    if in_ci() {
        panic!("{why}");
    }
    skipped(&why);
    None
}

#[test]
fn a_required_zig_version_is_found_in_the_active_virtualenv_and_a_mismatch_is_an_error_with_the_install_command() {
    if !require_target("wasi") || !require_program("ninja", "apt-get install ninja-build") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let Some(venv) = virtualenv_with_zig(&root, "0.13.0") else { return };
    let project = root.join("p");
    write_files(
        &project,
        &[
            ("m/spygen.toml", "name = \"m\"\nsources = [\"m.c\"]\n"),
            ("m/m.c", "__attribute__((export_name(\"m\"))) int m(void) { return 1; }\n"),
            (
                "spy.toml",
                "extra-vm-modules = [\"m\"]\n[spygen]\ntargets = [\"wasi\"]\nbuild-types = [\"debug\", \"release\"]\n\n[spygen.require]\nzig = \"==0.13.0\"\n",
            ),
        ],
    );
    let in_venv = |cmd: &mut std::process::Command| {
        cmd.env("VIRTUAL_ENV", &venv).current_dir(&project);
    };
    // The active environment's zig meets the requirement: the build files run it, by path.
    let mut generate = spygen();
    in_venv(generate.args(["gen", "-q", "."]));
    run_ok(&mut generate);
    let ninja = std::fs::read_to_string(project.join("build-spygen/build.ninja")).unwrap();
    let cc_line = ninja.lines().find(|l| l.starts_with("cc.wasi = ")).unwrap();
    assert!(
        cc_line.starts_with(&format!("cc.wasi = {}/", venv.display())) && cc_line.ends_with("/ziglang/zig cc"),
        "{cc_line}"
    );
    run_ok(std::process::Command::new("ninja").arg("-C").arg(project.join("build-spygen")));
    let mut flags = spygen();
    in_venv(flags.args(["flags", "--target", "wasi", "--cc"]));
    assert_eq!(format!("{}\n", &cc_line["cc.wasi = ".len()..]), run_ok(&mut flags));
    let mut toolchains = spygen();
    in_venv(toolchains.arg("toolchains"));
    assert!(run_ok(&mut toolchains).contains("requires  zig ==0.13.0: found 0.13.0, met"));
    // A release bundle of zig 0.13's LTO archives links under zig 0.13 (its wasm-ld aborts
    // when the link itself is given -flto), keyed as SPy keys it.
    let mut bundle = spygen();
    in_venv(bundle.args(["bundle", "--spy-compatible", "--build-type", "release", "--cache-dir", "cache"]));
    bundle.arg("build-spygen/wasi/release/m.a").args(["-o", "m.wasm"]);
    run_ok(&mut bundle);
    let entry =
        std::fs::read_dir(project.join("cache")).unwrap().map(|e| e.unwrap().path()).find(|p| p.is_dir()).unwrap();
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(entry.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["zig_version"], "0.13.0");
    if let Some(values) = call_wasm_exports(&project.join("m.wasm"), &["m"]) {
        assert_eq!(values.trim(), "1");
    }

    // Without the environment, the zig found is another version (unless it happens to be
    // 0.13.0 too): an error at the requirement, with the command that installs the right one.
    let listed: serde_json::Value =
        serde_json::from_str(&run_ok(spygen().args(["toolchains", "--json"]).env_remove("VIRTUAL_ENV"))).unwrap();
    let wasi = listed.as_array().unwrap().iter().find(|t| t["target"] == "wasi").unwrap();
    if wasi["compiler"]["available"] == true {
        let (code, _, err) = run(spygen().args(["gen", "-q"]).arg(&project).env_remove("VIRTUAL_ENV"));
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains("spy.toml:7:7: target `wasi` needs zig `==0.13.0`, but the compiler found is zig"),
            "{err}"
        );
        assert!(err.contains("help: pip install 'ziglang==0.13.0'"), "{err}");
        // Nothing was replaced: the build files still run the environment's zig.
        let again = std::fs::read_to_string(project.join("build-spygen/build.ninja")).unwrap();
        assert_eq!(again, ninja);
    }
}

/// A tree laid out as SPy's checkout is (our own small runtime and module, not SPy's code): the
/// runtime in `spy/libspy`, an out-of-tree module in `examples/out-of-tree/spyvm_demo`, spy.toml
/// at the top asking for SPy's layout, and the runtime's own reactor where SPy loads it.
fn spy_shaped_tree(root: &Path) {
    write_files(
        root,
        &[
            (
                "spy/libspy/spygen.toml",
                "name = \"libspy\"\nsources = [\"src/*.c\"]\npublic-include-dirs = [\"include\"]\n",
            ),
            ("spy/libspy/include/spy.h", "int spy_answer(void);\n"),
            (
                "spy/libspy/src/answer.c",
                "#include \"spy.h\"\n__attribute__((export_name(\"spy_answer\"))) int spy_answer(void) { return 42; }\n\
                 const char *spy_where(void) { return __FILE__; }\n",
            ),
            (
                "examples/out-of-tree/spyvm_demo/spygen.toml",
                "name = \"spyvm_demo\"\nsources = [\"src/*.c\"]\npublic-include-dirs = [\"include\"]\n",
            ),
            ("examples/out-of-tree/spyvm_demo/include/spyvm_demo.h", "int spyvm_demo_twice(void);\n"),
            (
                "examples/out-of-tree/spyvm_demo/src/demo.c",
                "#include \"spy.h\"\n#include \"spyvm_demo.h\"\nint spyvm_demo_twice(void) { return 2 * spy_answer(); }\n",
            ),
            (
                "spy.toml",
                "extra-vm-modules = [\"examples/out-of-tree/spyvm_demo\"]\n\n[spygen]\nruntime = \"spy/libspy\"\nlayout = \"spy\"\n\
                 targets = [\"native\", \"wasi\"]\nbuild-types = [\"debug\", \"release\"]\n\n\
                 # libspy.wasm, loaded by SPy's interpreter at start\n\
                 [[spygen.program]]\nname = \"libspy_reactor\"\nkind = \"reactor\"\ndeps = [\"spy/libspy\"]\ntargets = [\"wasi\"]\n\
                 output = \"spy/libspy/build/{target}/{build_type}/libspy.wasm\"\n",
            ),
        ],
    );
}

#[test]
fn spys_layout_puts_every_archive_and_libspy_wasm_where_an_unmodified_spy_checkout_looks() {
    if !require_target("wasi") || !require_program("ninja", "apt-get install ninja-build") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    spy_shaped_tree(&root);
    run_ok(spygen().args(["gen", "-q"]).arg(&root));
    run_ok(std::process::Command::new("ninja").arg("-C").arg(root.join("build-spygen")));
    for target in ["native", "wasi"] {
        for build_type in ["debug", "release"] {
            // Where SPy's Makefiles put them and its modules' build_info() look.
            let libspy = root.join(format!("spy/libspy/build/{target}/{build_type}/libspy.a"));
            let module = root.join(format!("examples/out-of-tree/spyvm_demo/build/{target}/{build_type}/spyvm_demo.a"));
            assert!(libspy.is_file(), "{}", libspy.display());
            assert!(module.is_file(), "{}", module.display());
            // spygen flags --libdir points there too.
            let libdir = run_ok(
                spygen().args(["flags", "--target", target, "--build-type", build_type, "--libdir"]).current_dir(&root),
            );
            assert_eq!(libdir.trim(), format!("-L{}", libspy.parent().unwrap().display()));
        }
    }
    // A traceback names the source as the project does, not by the way from the build dir.
    let archive = std::fs::read(root.join("spy/libspy/build/native/debug/libspy.a")).unwrap();
    let holds = |text: &str| archive.windows(text.len()).any(|w| w == text.as_bytes());
    assert!(holds("spy/libspy/src/answer.c") && !holds("../spy/libspy/src/answer.c"));
    assert!(!holds(&root.display().to_string()), "no path of the checkout in the archive");
    // The reactor links as SPy links libspy.wasm: the target's flags, no -flto (zig 0.13's
    // wasm-ld aborts on SPy's runtime with it).
    let ninja = std::fs::read_to_string(root.join("build-spygen/build.ninja")).unwrap();
    let reactor_flags = ninja.lines().find(|l| l.starts_with("ldflags.libspy_reactor.wasi-release = ")).unwrap();
    assert!(!reactor_flags.contains("-flto") && reactor_flags.contains("-mexec-model=reactor"), "{reactor_flags}");
    let wasm = root.join("spy/libspy/build/wasi/debug/libspy.wasm");
    assert!(wasm.is_file() && root.join("spy/libspy/build/wasi/release/libspy.wasm").is_file());
    // Archives are not duplicated in the build dir, which holds the objects.
    let build = root.join("build-spygen");
    assert!(!build.join("native/debug/libspy.a").exists() && build.join("native/debug/obj").is_dir());
    // spygen.mk's LIBDIR agrees.
    let fragment = std::fs::read_to_string(build.join("spygen.mk")).unwrap();
    let expected = format!("SPYGEN_LIBDIR_wasi_debug := -L{}/spy/libspy/build/wasi/debug", root.display());
    assert!(fragment.contains(&expected), "{expected}");
    // The reactor SPy loads works: its export answers.
    if let Some(values) = call_wasm_exports(&wasm, &["spy_answer"]) {
        assert_eq!(values.trim(), "42");
    }
    // A second build has nothing to do: outputs outside the build dir are tracked as any other.
    let again = run_ok(std::process::Command::new("ninja").arg("-C").arg(&build));
    assert!(again.contains("no work to do"), "{again}");
}

#[test]
fn an_unknown_layout_and_an_output_without_placeholders_are_errors_at_their_lines() {
    let dir = tempfile::tempdir().unwrap();
    project(dir.path(), "layout = \"gn\"\n");
    let (code, _, err) = run(spygen().args(["gen", "-q"]).arg(dir.path()));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("spy.toml:5:10: unknown `layout` `gn`"), "{err}");
    let other = tempfile::tempdir().unwrap();
    project(other.path(), "[[spygen.program]]\nname = \"p\"\nsources = [\"m/m.c\"]\noutput = \"bin/p\"\n");
    let (code, _, err) = run(spygen().args(["gen", "-q"]).arg(other.path()));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("spy.toml:8:10: a program's `output` must contain `{target}` and `{build_type}`"), "{err}");
}
