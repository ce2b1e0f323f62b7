//! The Makefile lowering, the includable `spygen.mk` fragment and foreign make nodes: make and
//! ninja build the same artifacts with the same commands; the vendored library's own Makefile
//! builds every configuration through the fragment alone and fails clearly on a bad TARGET.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use common::*;

fn generate(demo: &Path, format: &str) {
    run_ok(spygen().args(["gen", "-q", "--format", format]).arg(demo));
}

/// Every file under `dir` (relative), leaving out the build tools' own bookkeeping.
fn artifacts(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(path.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    // Bundle cache keys hash the archives, whose debug info names the (different) source
    // directories of the two copies: compare the cache's shape, not its keys.
    let mut out: BTreeSet<String> = out
        .into_iter()
        .map(|p| match p.strip_prefix("wasm-bundles/").and_then(|rest| rest.split_once('/')) {
            Some((_key, file)) => format!("wasm-bundles/<key>/{file}"),
            None => p,
        })
        .collect();
    out.retain(|p| {
        // ninja moves depfiles into its .ninja_deps log; make keeps them. The Makefile's command
        // stamps are make's counterpart of ninja's command log.
        !p.starts_with(".ninja_")
            && !p.starts_with(".spygen/")
            && !p.ends_with(".rsp")
            && !p.ends_with(".d")
            && !["build.ninja", "Makefile"].contains(&p.as_str())
    });
    out
}

/// spygen's compile command lines (depfile via `-MMD -MF`; a vendored make's differ), sorted.
fn compile_lines(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text.lines().filter(|l| l.contains(" -MMD -MF ")).map(str::to_string).collect();
    v.sort();
    v
}

#[test]
fn make_and_ninja_build_the_same_artifacts_with_the_same_commands() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let (_a, with_ninja) = examples_copy();
    let (_b, with_make) = examples_copy();
    let ninja_demo = with_ninja.join("out-of-tree/demo");
    let make_demo = with_make.join("out-of-tree/demo");
    generate(&ninja_demo, "ninja");
    generate(&make_demo, "make");
    let (ninja_build, make_build) = (ninja_demo.join("build"), make_demo.join("build"));

    // The commands, before anything is built: ninja's own listing and make's dry run.
    let ninja_cmds = run_ok(Command::new("ninja").arg("-C").arg(&ninja_build).args(["-t", "commands", "all"]));
    let make_cmds = run_ok(Command::new("make").arg("-C").arg(&make_build).args(["-n", "V=1", "all"]));
    let (ninja_cc, make_cc) = (compile_lines(&ninja_cmds), compile_lines(&make_cmds));
    assert!(ninja_cc.len() > 40, "{} compile commands", ninja_cc.len());
    assert_eq!(ninja_cc, make_cc);

    run_ok(Command::new("ninja").arg("-C").arg(&ninja_build));
    run_ok(Command::new("make").arg("-C").arg(&make_build).arg("-j2"));
    let (by_ninja, by_make) = (artifacts(&ninja_build), artifacts(&make_build));
    assert_eq!(
        by_ninja,
        by_make,
        "only ninja: {:?}\nonly make: {:?}",
        by_ninja.difference(&by_make).collect::<Vec<_>>(),
        by_make.difference(&by_ninja).collect::<Vec<_>>()
    );
    // The vendored library's archives and objects, built by its own Makefile into each build
    // dir (among the artifacts compared above); its own directory is left as it was.
    assert!(by_make.contains("native/debug/foreign/tinyenc/libtinyenc.a"), "{by_make:?}");
    assert!(by_make.contains("native/debug/foreign/tinyenc/obj/base64.o"), "{by_make:?}");
    for root in [&with_ninja, &with_make] {
        assert!(!root.join("out-of-tree/vendor/tinyenc/build").exists());
    }

    // A second make does nothing.
    let again = run_ok(Command::new("make").arg("-C").arg(&make_build));
    assert!(again.contains("Nothing to be done for 'all'"), "{again}");
    let programs = run_ok(&mut Command::new(make_build.join("native/release/encdemo")));
    assert!(programs.contains("base64 hello aGVsbG8="), "{programs}");

    // Touching a header rebuilds its dependents under make too, and nothing else.
    touch(&with_make.join("runtime/src/runtime_internal.h"));
    let out = run_ok(Command::new("make").arg("-C").arg(&make_build).arg("native-debug"));
    let compiled: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("CC ")).collect();
    assert!(!compiled.is_empty() && compiled.iter().all(|c| c.starts_with("native/debug/obj/runtime/src/")), "{out}");
    assert!(out.contains("LINK native/debug/encdemo") && !out.contains("MAKE "), "{out}");

    // Editing a vendored source re-runs its make, then relinks the glue's users; nothing else.
    touch(&with_make.join("out-of-tree/vendor/tinyenc/src/base64.c"));
    let out = run_ok(Command::new("make").arg("-C").arg(&make_build).arg("native-debug"));
    let steps: Vec<&str> = out.lines().filter(|l| !l.starts_with("make")).collect();
    assert_eq!(steps[0], "MAKE native/debug/foreign/tinyenc/libtinyenc.a", "{out}");
    let mut rest = steps[1..].to_vec();
    rest.sort();
    // make has no restat: the library's module manifest is touched even with the same
    // hashes, so the glue's over it is written again too.
    assert_eq!(
        rest,
        [
            "LINK native/debug/encdemo",
            "LINK native/debug/tinyenc_vectors",
            "SPYMOD native/debug/spyvm_tinyenc.spymod.json",
            "SPYMOD native/debug/tinyenc.spymod.json"
        ],
        "{out}"
    );
}

#[test]
fn the_vendored_makefile_builds_every_available_configuration_through_the_fragment() {
    let (_tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    generate(&demo, "ninja");
    let fragment = demo.join("build/spygen.mk");
    let vendor = examples.join("out-of-tree/vendor/tinyenc");
    let make = |args: &[&str]| {
        run(Command::new("make")
            .arg("-s")
            .arg("-C")
            .arg(&vendor)
            .arg(format!("SPYGEN_MK={}", fragment.display()))
            .args(args))
    };
    let mut built = 0;
    for target in ["native", "native-static", "wasi", "emscripten"] {
        if !require_target(target) {
            continue;
        }
        for build_type in ["debug", "release"] {
            let (code, _, err) = make(&[&format!("TARGET={target}"), &format!("BUILD_TYPE={build_type}")]);
            assert_eq!(code, 0, "{target} {build_type}: {err}");
            assert!(vendor.join(format!("build/{target}/{build_type}/libtinyenc.a")).is_file());
            built += 1;
        }
    }
    assert!(built >= 2);

    let (code, _, err) = make(&["TARGET=bogus"]);
    assert_ne!(code, 0);
    assert!(err.contains("unknown TARGET 'bogus': valid targets are emscripten native native-static wasi"), "{err}");
    let (code, _, err) = make(&[]);
    assert_ne!(code, 0);
    assert!(err.contains("TARGET is not set: run make TARGET=<target>, one of: emscripten native"), "{err}");
    let (code, _, err) = make(&["TARGET=wasi", "BUILD_TYPE=fast"]);
    assert_ne!(code, 0);
    assert!(err.contains("unknown BUILD_TYPE 'fast' for target wasi: valid build types are debug release"), "{err}");
}

#[test]
fn flags_format_make_serves_a_vendored_makefile_without_any_build_dir() {
    if !require_target("native") {
        return;
    }
    let (_tmp, examples) = examples_copy();
    let vendor = examples.join("out-of-tree/vendor/tinyenc");
    let flags = run_ok(
        spygen()
            .args(["flags", "--format", "make", "--target", "native", "--build-type", "release"])
            .current_dir(&vendor),
    );
    std::fs::write(vendor.join("flags.mk"), flags).unwrap();
    let out = run_ok(Command::new("make").arg("-C").arg(&vendor).args([
        "SPYGEN_MK=flags.mk",
        "TARGET=native",
        "BUILD_TYPE=release",
    ]));
    assert!(out.contains("-DSPY_RELEASE -O3 -flto"), "{out}");
    assert!(vendor.join("build/native/release/libtinyenc.a").is_file());
}

/// The end-to-end snapshots of the Makefile and spygen.mk: the demo in wasi-release (see
/// tests/demo.rs); each rule has a small snapshot of its own (src/lower/make.rs).
#[test]
fn the_demo_makefile_and_fragment_for_wasi_release() {
    if !require_target("wasi") {
        return;
    }
    let (tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    run_ok(spygen().args(["gen", "-q", "--format", "make", "--target", "wasi", "--build-type", "release"]).arg(&demo));
    let read = |name: &str| std::fs::read_to_string(demo.join("build").join(name)).unwrap();
    machine_filters(tmp.path()).bind(|| {
        insta::assert_snapshot!("makefile", read("Makefile"));
        insta::assert_snapshot!("fragment", read("spygen.mk"));
    });
}

/// Under make too, a launcher goes before compiles only (ninja and make agree on every compile
/// line), and LINK_WRAPPER, make's stand-in for ninja's link pool, serialises links: built with
/// `flock`, every program still links and runs.
#[test]
fn make_with_a_launcher_and_a_link_wrapper() {
    if !require_program("ninja", "apt-get install ninja-build")
        || !require_program("ccache", "apt-get install ccache")
        || !require_program("flock", "apt-get install util-linux")
        || !require_target("native")
    {
        return;
    }
    let (_tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    let cache = tempfile::tempdir().unwrap();
    run_ok(spygen().args(["gen", "-q", "--format", "all", "--target", "native", "--launcher", "ccache"]).arg(&demo));
    let build = demo.join("build");
    let ninja_cmds = run_ok(Command::new("ninja").arg("-C").arg(&build).args(["-t", "commands", "all"]));
    let make_cmds = run_ok(Command::new("make").arg("-C").arg(&build).args(["-n", "V=1", "all"]));
    let (ninja_cc, make_cc) = (compile_lines(&ninja_cmds), compile_lines(&make_cmds));
    let launched = format!("PWD=/proc/self/cwd {} {} ", program_path("ccache"), program_path("cc"));
    assert!(!ninja_cc.is_empty() && ninja_cc.iter().all(|l| l.starts_with(&launched)), "{ninja_cc:?}");
    assert_eq!(ninja_cc, make_cc);
    // Links and archives never go through the launcher.
    for l in make_cmds.lines().chain(ninja_cmds.lines()) {
        if l.contains(" rcs ")
            || l.starts_with(&format!("{} -o ", program_path("cc")))
            || l.contains(" -o native/debug/encdemo")
        {
            assert!(!l.contains("ccache"), "{l}");
        }
    }

    let out = run_ok(
        Command::new("make")
            .arg("-C")
            .arg(&build)
            .args(["-j4", "V=1", "LINK_WRAPPER=flock .link-lock"])
            .env("CCACHE_DIR", cache.path()),
    );
    let links: Vec<&str> =
        out.lines().filter(|l| l.contains(" -o native/") && !l.contains(" -c ") && !l.contains(" spymod ")).collect();
    assert!(
        links.len() >= 6
            && links.iter().all(|l| l.starts_with(&format!("flock .link-lock {} -o ", program_path("cc")))),
        "{links:?}"
    );
    let vectors = run_ok(&mut Command::new(build.join("native/debug/tinyenc_vectors")));
    assert!(vectors.starts_with("ok "), "{vectors}");
    let encdemo = run_ok(&mut Command::new(build.join("native/release/encdemo")));
    assert!(encdemo.contains("base64 hello aGVsbG8="), "{encdemo}");
}

/// Under SPY_WERROR (exactly `1` or `true`, as SPy's flags helper reads it) the fragment's
/// CFLAGS hold the warning-as-error flags in place of the warning flags; otherwise the warning
/// flags. The runtime's include dirs follow either way.
#[test]
fn the_fragment_replaces_the_warning_flags_under_spy_werror() {
    if !require_program("make", "apt-get install make") {
        return;
    }
    let (_tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    run_ok(spygen().args(["gen", "-q", "--no-compdb"]).arg(&demo));
    let probe = demo.join("build/probe.mk");
    std::fs::write(&probe, "include spygen.mk\nprint: ; @echo $(CFLAGS)\n").unwrap();
    let cflags = |werror: &str| {
        run_ok(
            Command::new("make")
                .arg("-s")
                .arg("-C")
                .arg(demo.join("build"))
                .args(["-f", "probe.mk", "print", "TARGET=native"])
                .env("SPY_WERROR", werror),
        )
    };
    // The warning set, then the path map of the directory make runs in, then the includes.
    // The directory make runs in, as make knows it and as PWD names it in spygen's build files.
    let path_map =
        format!(" -ffile-prefix-map={}=. -ffile-prefix-map=/proc/self/cwd=. -I ", demo.join("build").display());
    for on in ["1", "true"] {
        let flags = cflags(on);
        assert!(flags.contains(&format!(" -Werror -Wno-unreachable-code{path_map}")), "SPY_WERROR={on}: {flags}");
        assert!(!flags.contains("-Werror=implicit-function-declaration"), "SPY_WERROR={on}: {flags}");
    }
    for off in ["", "0", "TRUE"] {
        let flags = cflags(off);
        assert!(
            flags.contains(&format!(" -Werror=implicit-function-declaration{path_map}")),
            "SPY_WERROR={off:?}: {flags}"
        );
        assert!(!flags.contains("-Wno-unreachable-code"), "SPY_WERROR={off:?}: {flags}");
    }
}
