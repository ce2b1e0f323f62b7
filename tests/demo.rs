//! The demo end to end: `spygen gen` then real ninja with real compilers for every available
//! configuration; the programs run and print what the library's test vectors, coreutils and
//! `file` say; incremental rebuilds do the least work; regeneration is automatic and quiet.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

const ALL_TARGETS: [&str; 4] = ["native", "native-static", "wasi", "emscripten"];

fn generate(demo: &Path) -> String {
    run_ok(spygen().args(["gen"]).arg(demo))
}

fn ninja(build: &Path, args: &[&str]) -> String {
    run_ok(Command::new("ninja").arg("-C").arg(build).args(args))
}

/// The end-to-end snapshot of build.ninja: the demo in one configuration, wasi-release, which
/// has every kind of action (compiles, archives, a vendored library's make, links, a reactor, a
/// wasm bundle). Each lowering rule has a small snapshot of its own (src/lower/ninja.rs).
#[test]
fn the_demo_build_ninja_for_wasi_release() {
    if !require_target("wasi") {
        return;
    }
    let (tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    run_ok(spygen().args(["gen", "--target", "wasi", "--build-type", "release"]).arg(&demo));
    let text = std::fs::read_to_string(demo.join("build/build.ninja")).unwrap();
    machine_filters(tmp.path()).bind(|| insta::assert_snapshot!(text));
}

#[test]
fn the_demo_build_ninja_parses_and_is_the_same_from_any_copy() {
    if !ALL_TARGETS.iter().all(|t| require_target(t)) {
        return;
    }
    let (_tmp, examples) = examples_copy();
    generate(&examples.join("out-of-tree/demo"));
    let text = std::fs::read(examples.join("out-of-tree/demo/build/build.ninja")).unwrap();
    let mut builds = 0;
    for statement in ninja_build_syntax::parse(&text) {
        if let ninja_build_syntax::Statement::Build(_) = statement.expect("valid ninja syntax") {
            builds += 1;
        }
    }
    assert!(builds > 50, "{builds} build statements");
    // Deterministic: a second generation into another copy is byte-identical (paths in it are
    // relative to the build directory; compiles see their directory as /proc/self/cwd).
    let (_tmp2, examples2) = examples_copy();
    generate(&examples2.join("out-of-tree/demo"));
    let again = std::fs::read(examples2.join("out-of-tree/demo/build/build.ninja")).unwrap();
    assert!(again == text, "two generations differ");
}

fn check_encdemo_output(out: &str, what: &str) {
    let expected = "base64 hello aGVsbG8=\nbase32 hello NBSWY3DP\ncrc32 hello 3610a686\n\
                    base64  \nbase32  \ncrc32  00000000\n\
                    base64 foobar Zm9vYmFy\nbase32 foobar MZXW6YTBOI======\ncrc32 foobar 9ef61f95\n";
    assert_eq!(out, expected, "{what}");
}

/// The demo generated for `targets` in debug and built by ninja, in a copy of the examples:
/// (the copy's guard, the examples, the demo, its build directory).
fn built_demo(targets: &[&str]) -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
    let (tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    let mut command = spygen();
    command.args(["gen", "-q", "--build-type", "debug"]);
    for t in targets {
        command.args(["--target", t]);
    }
    run_ok(command.arg(&demo));
    let build = demo.join("build");
    ninja(&build, &[]);
    (tmp, examples, demo, build)
}

/// The ninja steps of `out` (`CC ...`, `LINK ...`), without ninja's `[n/m]` prefix.
fn steps(out: &str) -> Vec<&str> {
    out.lines().filter_map(|l| l.split("] ").nth(1)).collect()
}

#[test]
fn every_target_builds_and_the_programs_agree_with_coreutils_and_file() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let (_tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    let build = demo.join("build");
    generate(&demo);
    ninja(&build, &[]);
    let args = ["hello", "", "foobar"];

    // The expected values agree with coreutils.
    for (tool, word) in [("base64", "foobar"), ("base32", "foobar")] {
        let out = run_ok(Command::new("sh").arg("-c").arg(format!("printf {word} | {tool}")));
        assert!(out.starts_with(if tool == "base64" { "Zm9vYmFy" } else { "MZXW6YTBOI======" }));
    }
    for build_type in ["debug", "release"] {
        run_vectors(&build, build_type);
        let exe = build.join(format!("native/{build_type}/encdemo"));
        check_encdemo_output(&run_ok(Command::new(&exe).args(args)), &format!("native {build_type}"));
        if require_target("native-static") {
            let exe = build.join(format!("native-static/{build_type}/encdemo"));
            check_encdemo_output(&run_ok(Command::new(&exe).args(args)), "native-static");
            let file = run_ok(Command::new("file").arg(&exe));
            assert!(file.contains("statically linked"), "{file}");
        }
        if require_target("wasi") && require_program("node", "apt-get install nodejs") {
            let wasm = build.join(format!("wasi/{build_type}/encdemo.wasm"));
            let runner = repo_root().join("tests/support/run-wasi.mjs");
            check_encdemo_output(&run_ok(Command::new("node").arg(&runner).arg(&wasm).args(args)), "wasi");
            // The reactor linked by ninja and the bundle linked through the cache.
            for program in ["tinyenc_reactor", "tinyenc_bundle"] {
                let reactor = build.join(format!("wasi/{build_type}/{program}.wasm"));
                let call = repo_root().join("tests/support/call-reactor.mjs");
                let crc =
                    run_ok(Command::new("node").arg(&call).arg(&reactor).args(["spy_tinyenc$crc32", "123456789"]));
                assert_eq!(crc.trim(), 0xCBF43926u32.to_string(), "the export with `$` in its name works");
                let b64 =
                    run_ok(Command::new("node").arg(&call).arg(&reactor).args(["spy_tinyenc$b64encode", "foobar"]));
                assert_eq!(b64.trim(), "Zm9vYmFy");
            }
        }
        if require_target("emscripten") {
            let js = build.join(format!("emscripten/{build_type}/encdemo.js"));
            let out = run_ok(Command::new("node").arg("--no-experimental-fetch").arg(&js).args(args));
            check_encdemo_output(&out, "emscripten");
        }
        // whatis agrees with `file` on a few kinds of files.
        let whatis = build.join(format!("native/{build_type}/whatis"));
        let empty = demo.join("build/empty");
        std::fs::write(&empty, "").unwrap();
        let samples = [demo.join("encdemo.c"), empty, demo.join("spy.toml"), build.join("native/debug/encdemo")];
        for sample in &samples {
            let ours = run_ok(Command::new(&whatis).arg(sample));
            let theirs = run_ok(Command::new("file").arg(sample));
            assert_eq!(ours, theirs);
        }
    }
    // Nothing to do the second time.
    assert!(ninja(&build, &[]).contains("no work to do"));
}

#[test]
fn a_private_header_rebuilds_only_the_objects_including_it_then_the_archive_and_programs() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let (_tmp, examples, _, build) = built_demo(&["native"]);
    let src_dir = examples.join("runtime/src");
    let includers: Vec<String> = std::fs::read_dir(&src_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "c"))
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("runtime_internal.h"))
        .map(|p| format!("native/debug/obj/runtime/src/{}.o", p.file_stem().unwrap().to_string_lossy()))
        .collect();
    assert!(!includers.is_empty());
    touch(&src_dir.join("runtime_internal.h"));
    let out = ninja(&build, &["native-debug"]);
    assert_eq!(
        sorted(out.lines().filter_map(|l| l.split("CC ").nth(1))),
        sorted(includers.iter().map(String::as_str)),
        "{out}"
    );
    assert!(out.contains("AR native/debug/runtime.a") && out.contains("LINK native/debug/encdemo"), "{out}");
    assert!(!out.contains("MAKE "), "the vendored library does not use the runtime:\n{out}");
}

#[test]
fn a_vendored_library_is_rebuilt_by_its_own_make_and_an_unchanged_archive_relinks_nothing() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let (_tmp, examples, _, build) = built_demo(&["native"]);
    // Editing one of its private headers re-runs its make, which rebuilds the archive; then
    // the programs linking it relink and its module manifest hashes it again (the same bytes:
    // the manifests over it are left alone), and spygen compiles nothing.
    touch(&examples.join("out-of-tree/vendor/tinyenc/src/tinyenc_tables.h"));
    let out = ninja(&build, &["native-debug"]);
    let ran = steps(&out);
    assert_eq!(ran.first(), Some(&"MAKE native/debug/foreign/tinyenc/libtinyenc.a"), "{out}");
    assert_eq!(
        sorted(ran[1..].iter().copied()),
        ["LINK native/debug/encdemo", "LINK native/debug/tinyenc_vectors", "SPYMOD native/debug/tinyenc.spymod.json"]
    );
    // An input change that leaves the archive as it was (its Makefile) re-runs make, and
    // nothing after it (restat). The Makefile is an input of the generation too (its dry run
    // gives compile_commands.json the library's compiles): spygen runs first, and rewrites
    // nothing.
    touch(&examples.join("out-of-tree/vendor/tinyenc/Makefile"));
    let out = ninja(&build, &["native-debug"]);
    assert_eq!(steps(&out), ["REGEN build.ninja", "MAKE native/debug/foreign/tinyenc/libtinyenc.a"], "{out}");
    assert_eq!(steps(&ninja(&build, &["native-debug"])), Vec::<&str>::new(), "then nothing is left to do");
}

#[test]
fn touching_a_manifest_reruns_spygen_which_rewrites_nothing_and_nothing_else_runs() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let (_tmp, examples, _, build) = built_demo(&["native"]);
    touch(&examples.join("out-of-tree/spyvm_tinyenc/spygen.toml"));
    let mtime = mtime_of(&build.join("build.ninja"));
    let out = ninja(&build, &["native-debug"]);
    assert_eq!(steps(&out), ["REGEN build.ninja"], "{out}");
    assert_eq!(mtime_of(&build.join("build.ninja")), mtime);
    assert!(ninja(&build, &[]).contains("no work to do"));
}

#[test]
fn editing_a_module_source_rebuilds_its_archive_then_the_bundle_over_it() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("wasi") {
        return;
    }
    let (_tmp, examples, _, build) = built_demo(&["wasi"]);
    let glue = examples.join("out-of-tree/spyvm_tinyenc/src/spyvm_tinyenc.c");
    let mut text = std::fs::read_to_string(&glue).unwrap();
    text.push_str("\nint spy_tinyenc_edited(void) { return 1; }\n");
    std::fs::write(&glue, text).unwrap();
    let out = ninja(&build, &["wasi-debug"]);
    assert!(out.contains("AR wasi/debug/spyvm_tinyenc.a"), "{out}");
    // A new cache key: the bundle is linked, not found.
    assert!(out.contains("BUNDLE wasi/debug/tinyenc_bundle.wasm") && out.contains("linked"), "{out}");
}

#[test]
fn a_new_source_in_a_globbed_directory_is_built_without_running_spygen_by_hand() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let (_tmp, examples, _, build) = built_demo(&["native"]);
    std::fs::write(
        examples.join("out-of-tree/spyvm_tinyenc/src/extra_new.c"),
        "int spy_tinyenc_extra(void) { return 7; }\n",
    )
    .unwrap();
    let out = ninja(&build, &["native-debug"]);
    assert!(
        out.contains("REGEN build.ninja") && out.contains("CC native/debug/obj/spyvm_tinyenc/src/extra_new.o"),
        "{out}"
    );
}

#[test]
fn running_gen_again_with_nothing_changed_leaves_build_ninja_alone() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let (_tmp, _, demo, build) = built_demo(&["native"]);
    let mtime = mtime_of(&build.join("build.ninja"));
    let out = run_ok(spygen().args(["gen", "--build-type", "debug", "--target", "native"]).arg(&demo));
    assert!(out.contains("unchanged (no input changed)"), "{out}");
    assert_eq!(mtime_of(&build.join("build.ninja")), mtime);
}

/// Runs the library's test vectors built for every installed target of `build_type`; each must
/// pass all 18.
fn run_vectors(build: &Path, build_type: &str) {
    for target in ["native", "native-static", "wasi", "emscripten"] {
        if !require_target(target) {
            continue;
        }
        let dir = build.join(target).join(build_type);
        let out = match target {
            "wasi" => run_ok(
                Command::new("node")
                    .arg(repo_root().join("tests/support/run-wasi.mjs"))
                    .arg(dir.join("tinyenc_vectors.wasm")),
            ),
            "emscripten" => {
                run_ok(Command::new("node").arg("--no-experimental-fetch").arg(dir.join("tinyenc_vectors.js")))
            }
            _ => run_ok(&mut Command::new(dir.join("tinyenc_vectors"))),
        };
        assert_eq!(out.trim(), "ok 18 vectors", "{target}/{build_type}");
    }
}

fn sorted<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = items.collect();
    v.sort();
    v
}

fn mtime_of(path: &Path) -> std::time::SystemTime {
    std::fs::metadata(path).unwrap().modified().unwrap()
}
