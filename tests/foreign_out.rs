//! Foreign make modules build out of the source tree: a vendored library whose `archive` is in
//! `{out}` is built by its own Makefile into each build dir (`SPYGEN_OUT`), so build dirs are
//! independent, the vendored tree stays as it was checked out, every clean removes what its
//! make wrote, and compile_commands.json lists its compiles (from its dry run). A Makefile
//! that builds into its own tree keeps doing so, with a note.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A copy of `examples/` and its demo project.
fn demo_copy() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    (tmp, examples, demo)
}

/// `spygen gen -q` of the demo for native debug only (fast), into `build_dir`, then `args`.
fn gen_native_debug(demo: &Path, build_dir: &Path, args: &[&str]) -> (String, String) {
    let (code, out, err) = run(spygen()
        .args(["gen", "--target", "native", "--build-type", "debug", "--build-dir"])
        .arg(build_dir)
        .arg(demo)
        .args(args));
    assert_eq!(code, 0, "spygen gen failed:\n{out}\n{err}");
    (out, err)
}

/// `ninja -C build ARGS`'s output; it must succeed.
fn ninja(build: &Path, args: &[&str]) -> String {
    run_ok(Command::new("ninja").arg("-C").arg(build).args(args))
}

/// Every file under `dir` (relative path → content); empty when `dir` does not exist.
fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// The names of the files under `dir`.
fn names_under(dir: &Path) -> Vec<String> {
    files_under(dir).into_keys().collect()
}

/// Whether ninja, make and the native toolchain are here (else the test is skipped, saying so).
fn native_tools_here() -> bool {
    require_program("ninja", "apt-get install ninja-build")
        && require_program("make", "apt-get install make")
        && require_target("native")
}

#[test]
fn two_build_dirs_of_the_demo_build_the_vendored_library_each_for_itself() {
    if !native_tools_here() {
        return;
    }
    let (_tmp, _examples, demo) = demo_copy();
    let (one, two) = (demo.join("build"), demo.join("other-build"));
    for build in [&one, &two] {
        gen_native_debug(&demo, build, &["-q"]);
        ninja(build, &[]);
    }
    let foreign = |build: &Path| names_under(&build.join("native/debug/foreign/tinyenc"));
    let expected =
        ["libtinyenc.a", "obj/base32.d", "obj/base32.o", "obj/base64.d", "obj/base64.o", "obj/crc32.d", "obj/crc32.o"];
    assert_eq!(foreign(&one), expected);
    assert_eq!(foreign(&two), expected);
    // Each make got its own build dir's output directory, relative to the library's.
    let build_ninja = std::fs::read_to_string(two.join("build.ninja")).unwrap();
    assert!(build_ninja.contains(" SPYGEN_OUT=../../demo/other-build/native/debug/foreign/tinyenc\n"), "{build_ninja}");

    // Removing one build dir takes its copy of the library with it; the other has all it
    // needs, and its programs still run.
    std::fs::remove_dir_all(&one).unwrap();
    assert!(ninja(&two, &[]).contains("ninja: no work to do."));
    let out = run_ok(Command::new(two.join("native/debug/encdemo")).args(["hello"]));
    assert!(out.contains("base64 hello aGVsbG8="), "{out}");
}

#[test]
fn building_and_removing_the_build_dir_leave_the_vendored_directory_as_it_was_checked_out() {
    if !native_tools_here() {
        return;
    }
    let (_tmp, examples, demo) = demo_copy();
    let vendor = examples.join("out-of-tree/vendor");
    let checked_out = files_under(&vendor);
    let build = demo.join("build");
    // Every configuration whose toolchain is here, through ninja and through the Makefile.
    run_ok(spygen().args(["gen", "-q"]).arg(&demo));
    ninja(&build, &[]);
    let make_build = demo.join("make-build");
    run_ok(
        spygen()
            .args(["gen", "-q", "--format", "make", "--target", "native", "--build-dir"])
            .arg(&make_build)
            .arg(&demo),
    );
    run_ok(Command::new("make").arg("-s").arg("-C").arg(&make_build).arg("-j2"));
    assert!(!vendor.join("tinyenc/build").exists(), "no build/ in the vendored library");
    let now = files_under(&vendor);
    let added: Vec<&String> = now.keys().filter(|k| !checked_out.contains_key(*k)).collect();
    assert!(added.is_empty(), "new files under vendor/: {added:?}");
    assert!(now == checked_out, "a file under vendor/ changed");
    std::fs::remove_dir_all(&build).unwrap();
    std::fs::remove_dir_all(&make_build).unwrap();
    assert!(files_under(&vendor) == checked_out);
}

#[test]
fn ninja_clean_and_spygen_clean_remove_every_file_the_vendored_makefile_wrote() {
    if !native_tools_here() {
        return;
    }
    let (_tmp, _examples, demo) = demo_copy();
    let build = demo.join("build");
    gen_native_debug(&demo, &build, &["-q"]);
    let foreign = build.join("native/debug/foreign");
    ninja(&build, &[]);
    assert!(names_under(&foreign).contains(&"tinyenc/obj/base64.o".to_string()));

    // ninja knows the objects and depfiles (from the Makefile's dry run) as outputs of the make.
    ninja(&build, &["-t", "clean"]);
    assert_eq!(names_under(&foreign), Vec::<String>::new(), "`ninja -t clean` left them");

    // spygen clean runs the library's own `clean` goal with the same SPYGEN_OUT.
    ninja(&build, &[]);
    assert!(!names_under(&foreign).is_empty());
    let out = run_ok(spygen().args(["clean", "--target", "native", "--build-type", "debug"]).arg(&demo));
    assert!(!out.contains("note:"), "{out}");
    assert_eq!(names_under(&foreign), Vec::<String>::new(), "`spygen clean` left them");
    assert!(!foreign.exists(), "and the directories left empty");
}

#[test]
fn compile_commands_json_lists_the_vendored_compiles_and_each_command_compiles_its_source() {
    if !require_program("make", "apt-get install make") || !require_target("native") {
        return;
    }
    let (_tmp, examples, demo) = demo_copy();
    let build = demo.join("build");
    gen_native_debug(&demo, &build, &["-q"]);
    let database: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(build.join("compile_commands.json")).unwrap()).unwrap();
    let base64 = examples.join("out-of-tree/vendor/tinyenc/src/base64.c");
    let entry = database
        .as_array()
        .unwrap()
        .iter()
        .find(|e| Path::new(e["directory"].as_str().unwrap()).join(e["file"].as_str().unwrap()) == base64)
        .unwrap_or_else(|| panic!("no entry for {}: {database:#}", base64.display()));
    let directory = Path::new(entry["directory"].as_str().unwrap());
    assert_eq!(directory, examples.join("out-of-tree/vendor/tinyenc"), "make's directory");
    let args: Vec<&str> = entry["arguments"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(args[0], program_path("cc"), "the compiler spygen.mk gives, first: {args:?}");
    assert!(args.windows(2).any(|w| w == ["-c", "src/base64.c"]), "{args:?}");
    assert!(args.contains(&"-DSPY_DEBUG"), "native-debug's flags: {args:?}");
    // Run as a tool would: it writes the object the entry names, in the build dir.
    let object = directory.join(entry["output"].as_str().unwrap());
    assert!(spygen::paths::normalize(&object).starts_with(build.join("native/debug/foreign/tinyenc/obj")), "{entry}");
    std::fs::create_dir_all(object.parent().unwrap()).unwrap();
    run_ok(Command::new(args[0]).args(&args[1..]).current_dir(directory));
    assert!(object.is_file());
}

#[test]
fn a_makefile_that_fails_its_dry_run_is_a_warning_and_its_compiles_are_left_out() {
    if !require_program("make", "apt-get install make") || !require_target("native") {
        return;
    }
    let (_tmp, examples, demo) = demo_copy();
    // A Makefile refusing dry runs (`make -n`); the build itself is unaffected.
    let makefile = examples.join("out-of-tree/vendor/tinyenc/Makefile");
    let text = std::fs::read_to_string(&makefile).unwrap();
    let refusing =
        format!("ifneq ($(findstring n,$(firstword -$(MAKEFLAGS))),)\n$(error no dry runs here)\nendif\n{text}");
    std::fs::write(&makefile, refusing).unwrap();
    let build = demo.join("build");
    let (_, err) = gen_native_debug(&demo, &build, &["-q"]);
    assert!(
        err.contains("warning: the dry run of tinyenc's Makefile (`make -n`, native-debug) failed: ")
            && err.contains("no dry runs here"),
        "{err}"
    );
    let database = std::fs::read_to_string(build.join("compile_commands.json")).unwrap();
    assert!(!database.contains("base64.c") && database.contains("encdemo.c"), "{database}");
}

#[test]
fn a_makefile_building_into_its_own_tree_works_as_before_with_a_note_saying_how_to_move_it() {
    if !native_tools_here() {
        return;
    }
    let (_tmp, examples, demo) = demo_copy();
    let vendor = examples.join("out-of-tree/vendor/tinyenc");
    let manifest = vendor.join("spygen.toml");
    let text = std::fs::read_to_string(&manifest).unwrap();
    let in_tree = text.replace("\"{out}/libtinyenc.a\"", "\"build/{target}/{build_type}/libtinyenc.a\"");
    assert_ne!(in_tree, text);
    std::fs::write(&manifest, in_tree).unwrap();
    let build = demo.join("build");
    let (_, err) = gen_native_debug(&demo, &build, &[]);
    assert!(
        err.contains("spygen: note: ")
            && err.contains("tinyenc's Makefile builds into its own tree")
            && err.contains("{out}"),
        "{err}"
    );
    let (_, quiet) = gen_native_debug(&demo, &build, &["-q", "--force"]);
    assert!(!quiet.contains("note:"), "-q prints no note: {quiet}");
    let build_ninja = std::fs::read_to_string(build.join("build.ninja")).unwrap();
    assert!(!build_ninja.contains("SPYGEN_OUT"), "no SPYGEN_OUT for it:\n{build_ninja}");

    ninja(&build, &[]);
    assert!(vendor.join("build/native/debug/libtinyenc.a").is_file());
    assert!(vendor.join("build/native/debug/obj/base64.o").is_file());
    assert!(!build.join("native/debug/foreign").exists());
    // Its compiles are in the database all the same.
    let database = std::fs::read_to_string(build.join("compile_commands.json")).unwrap();
    assert!(database.contains("\"output\": \"build/native/debug/obj/base64.o\""), "{database}");
    // spygen clean runs its own clean goal, which removes this configuration's files.
    run_ok(spygen().args(["clean", "--target", "native", "--build-type", "debug"]).arg(&demo));
    assert!(!vendor.join("build/native/debug/libtinyenc.a").exists());
    assert!(!vendor.join("build/native/debug/obj/base64.o").exists());
}

#[test]
fn an_archive_using_out_anywhere_but_at_its_start_is_an_error_at_its_line() {
    let (_tmp, examples, demo) = demo_copy();
    let manifest = examples.join("out-of-tree/vendor/tinyenc/spygen.toml");
    for (archive, message) in [
        ("lib/{out}/libtinyenc.a", "may use `{out}` only as `{out}/<file>`"),
        ("{out}/../libtinyenc.a", "may use `{out}` only as `{out}/<file>`"),
        ("build/libtinyenc.a", "must start with `{out}/`, or contain `{target}` and `{build_type}`"),
    ] {
        let text = std::fs::read_to_string(&manifest).unwrap();
        let start = text.find("archive = ").unwrap();
        let end = start + text[start..].find('\n').unwrap();
        std::fs::write(&manifest, format!("{}archive = \"{archive}\"{}", &text[..start], &text[end..])).unwrap();
        let (code, _, err) = run(spygen().args(["gen", "-q"]).arg(&demo));
        assert_eq!(code, 1, "{archive}: {err}");
        assert!(err.contains("spygen.toml:") && err.contains(message), "{archive}: {err}");
        assert!(err.contains("help: "), "{err}");
    }
}

/// The README's Makefile snippet for spygen.mk, copied as it is into a small library's
/// Makefile, builds into SPYGEN_OUT (spygen's build) and into build/<target>/<build type> (by
/// hand), and its `clean` removes what it built.
#[test]
fn the_readme_makefile_snippet_builds_as_copied() {
    if !require_program("make", "apt-get install make") || !require_target("native") {
        return;
    }
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let section = &readme[readme.find("### Vendored libraries with their own Makefile").unwrap()..];
    let start = section.find("```make\n").unwrap() + "```make\n".len();
    let snippet = &section[start..start + section[start..].find("```").unwrap()];
    assert!(snippet.contains("mkdir -p $(@D)") && snippet.contains("$(SPYGEN_OUT)"), "{snippet}");

    let (_tmp, _examples, demo) = demo_copy();
    run_ok(spygen().args(["gen", "-q", "--target", "native"]).arg(&demo));
    let fragment = demo.join("build/spygen.mk");
    let lib = demo.join("libfoo");
    write_files(
        &lib,
        &[
            ("Makefile", snippet),
            ("src/foo.c", "int foo(void) { return 1; }\n"),
            ("src/bar.c", "int bar(void) { return 2; }\n"),
        ],
    );
    let make = |args: &[&str]| {
        run_ok(
            Command::new("make")
                .arg("-C")
                .arg(&lib)
                .arg(format!("SPYGEN_MK={}", fragment.display()))
                .arg("TARGET=native")
                .args(args),
        )
    };
    let out_dir = demo.join("build/native/debug/foreign/foo");
    make(&[&format!("SPYGEN_OUT={}", out_dir.display())]);
    assert_eq!(names_under(&out_dir), ["libfoo.a", "obj/bar.d", "obj/bar.o", "obj/foo.d", "obj/foo.o"]);
    make(&[&format!("SPYGEN_OUT={}", out_dir.display()), "clean"]);
    assert_eq!(names_under(&out_dir), Vec::<String>::new());
    make(&[]);
    assert!(lib.join("build/native/debug/libfoo.a").is_file(), "by hand: build/$(TARGET)/$(BUILD_TYPE)");
}
