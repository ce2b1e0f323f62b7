//! The project manifest as SPy reads it: `extra-vm-modules`, the additive
//! `--extra-vm-module`, `--no-spy-toml`; and system libraries through pkg-config.

mod common;

use std::path::Path;

use common::*;

fn modules(dir: &Path) {
    write_files(
        dir,
        &[
            ("rt/spygen.toml", "name = \"rt\"\nsources = [\"rt.c\"]\npublic-include-dirs = [\".\"]\n"),
            ("rt/rt.c", "int rt(void) { return 1; }\n"),
            ("m1/spygen.toml", "name = \"m1\"\nsources = [\"m1.c\"]\n"),
            ("m1/m1.c", "int m1(void) { return 1; }\n"),
            ("m2/spygen.toml", "name = \"m2\"\nsources = [\"m2.c\"]\n"),
            ("m2/m2.c", "int m2(void) { return 2; }\n"),
            (
                "p/spy.toml",
                "extra-vm-modules = [\"../m1\"]\n[spygen]\nruntime = \"../rt\"\ntargets = [\"native\"]\nbuild-types = [\"debug\"]\n",
            ),
        ],
    );
}

fn ninja_text(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("build.ninja")).unwrap()
}

#[test]
fn extra_vm_module_adds_to_spy_toml_and_no_spy_toml_ignores_it() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    modules(&root);
    run_ok(spygen().args(["gen", "-q"]).arg(root.join("p")));
    let text = ninja_text(&root.join("p/build-spygen"));
    assert!(text.contains("build native/debug/m1.a:") && text.contains("build native/debug/rt.a:"));
    assert!(!text.contains("m2"));

    // --extra-vm-module is additive, relative to the current directory.
    run_ok(spygen().args(["gen", "-q", "p", "--extra-vm-module", "m2"]).current_dir(&root));
    let text = ninja_text(&root.join("p/build-spygen"));
    assert!(text.contains("build native/debug/m1.a:") && text.contains("build native/debug/m2.a:"));
    // ... and the regeneration command keeps it.
    assert!(text.contains("--extra-vm-module ../../m2"), "{text}");

    // --no-spy-toml: only the command-line modules, every target, no runtime.
    run_ok(
        spygen()
            .args([
                "gen",
                "-q",
                "p",
                "--no-spy-toml",
                "--extra-vm-module",
                "m2",
                "--target",
                "native",
                "--build-dir",
                "b2",
            ])
            .current_dir(&root),
    );
    let text = ninja_text(&root.join("b2"));
    assert!(text.contains("build native/debug/m2.a:") && text.contains("build native/release/m2.a:"));
    assert!(!text.contains("m1.a") && !text.contains("rt.a"), "{text}");
}

#[test]
fn system_libraries_come_from_pkg_config_honouring_pkg_config_path() {
    if !require_program("pkg-config", "apt-get install pkg-config") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    modules(&root);
    write_files(
        &root,
        &[
            (
                "m1/spygen.toml",
                "name = \"m1\"\nsources = [\"m1.c\"]\n\n[[system-lib]]\npkg-config = \"spygen-test-zz\"\n\
                 fallback-cflags = [\"-DZZ_FALLBACK\"]\nfallback-libs = [\"-lzz\"]\n",
            ),
            (
                "opt/lib/pkgconfig/spygen-test-zz.pc",
                "prefix=/opt/zz\nName: zz\nDescription: test\nVersion: 1.0\nCflags: -I${prefix}/include -DZZ_FROM_PC\nLibs: -L${prefix}/lib -lzz\n",
            ),
            (
                "p/spy.toml",
                "extra-vm-modules = [\"../m1\"]\n[spygen]\nruntime = \"../rt\"\ntargets = [\"native\"]\nbuild-types = [\"debug\"]\n\
                 [[spygen.program]]\nname = \"app\"\nsources = [\"app.c\"]\ndeps = [\"../m1\"]\n",
            ),
            ("p/app.c", "int main(void) { return 0; }\n"),
        ],
    );
    // Not found: the fallback flags, with one warning naming the manifest entry.
    let (code, _, err) = run(spygen().args(["gen", "-q"]).arg(root.join("p")).env_remove("PKG_CONFIG_PATH"));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("m1/spygen.toml:4:1") && err.contains("pkg-config does not know `spygen-test-zz`"), "{err}");
    let text = ninja_text(&root.join("p/build-spygen"));
    assert!(text.contains("-DZZ_FALLBACK") && text.contains("-lzz"), "{text}");

    // Found through PKG_CONFIG_PATH (a conda or /opt install): pkg-config's flags, on the
    // module's compiles and on the link of every program using it.
    let (code, _, err) =
        run(spygen().args(["gen", "-q"]).arg(root.join("p")).env("PKG_CONFIG_PATH", root.join("opt/lib/pkgconfig")));
    assert_eq!((code, err.as_str()), (0, ""));
    let text = ninja_text(&root.join("p/build-spygen"));
    // Per configuration: another target may find another build of the library.
    let m1 = text.lines().skip_while(|l| *l != "rule cc.m1.native-debug").nth(1).unwrap_or_default();
    assert!(m1.contains(" -I../../rt -I/opt/zz/include -DZZ_FROM_PC -frandom-seed=$out "), "{text}");
    assert!(text.contains("ldflags.app.native-debug = ${ldflags.native-debug} -L/opt/zz/lib -lzz"), "{text}");
    assert!(!text.contains("ZZ_FALLBACK"));
}

#[test]
fn a_no_op_generation_writes_nothing_but_any_input_change_is_seen() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    modules(&root);
    let build = root.join("p/build-spygen");
    run_ok(spygen().args(["gen", "-q"]).arg(root.join("p")).env_remove("CC"));
    let listing = || -> Vec<(String, std::time::SystemTime)> {
        let mut v: Vec<_> = std::fs::read_dir(&build)
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| (e.file_name().to_string_lossy().into_owned(), e.metadata().unwrap().modified().unwrap()))
            .collect();
        v.sort();
        v
    };
    let before = listing();
    let out = run_ok(spygen().args(["gen"]).arg(root.join("p")).env_remove("CC"));
    assert!(out.contains("unchanged (no input changed)"), "{out}");
    assert_eq!(listing(), before, "not a single file written");
    // --force plans again (and still writes nothing that did not change).
    let out = run_ok(spygen().args(["gen", "--force"]).arg(root.join("p")).env_remove("CC"));
    assert!(out.contains("build.ninja in") && out.contains(": unchanged ("), "{out}");

    // The environment is an input: another CC regenerates.
    run_ok(spygen().args(["gen", "-q"]).arg(root.join("p")).env("CC", "gcc"));
    assert!(ninja_text(&build).contains(&format!("\ncc.native = {}\n", program_path("gcc"))));
    // So is a manifest.
    std::fs::write(root.join("m1/spygen.toml"), "name = \"m1\"\nsources = [\"m1.c\"]\ndefines = [\"NEW=1\"]\n")
        .unwrap();
    run_ok(spygen().args(["gen", "-q"]).arg(root.join("p")).env("CC", "gcc"));
    assert!(ninja_text(&build).contains("-DNEW=1"));
}

#[test]
fn the_library_generates_in_process_and_a_second_call_without_a_change_plans_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    modules(&root);
    let options = gen_options(&root.join("p"));
    let first = generate_in_process(&options);
    assert_eq!(first.build_dir, root.join("p/build-spygen"));
    let files = first.files.expect("the first generation plans and writes");
    assert_eq!(files.names, ["build.ninja", "spygen.mk", "compile_commands.json"]);
    assert_eq!(files.written, files.names, "all are new");
    // rt and m1: a compile and an archive each; the aliases and the regeneration.
    assert!(files.actions >= 4, "{} actions", files.actions);
    assert_eq!(files.default_configs, ["native-debug"]);
    let second = generate_in_process(&options);
    assert!(second.files.is_none(), "no input changed: nothing planned or written");
    let forced = generate_in_process(&spygen::GenOptions { force: true, ..options });
    assert_eq!(forced.files.expect("forced").written, Vec::<&str>::new(), "same content: nothing rewritten");
}

#[test]
fn tools_are_written_by_absolute_path_and_a_replaced_tool_is_a_change() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    modules(&root);
    // A compiler wrapper given by name in CC, found on PATH: written by its path.
    let wrapper = root.join("p/tools/mycc");
    write_files(&root, &[("p/tools/mycc", "#!/bin/sh\nexec cc \"$@\"\n")]);
    std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let env = [("CC".to_string(), wrapper.display().to_string())].into_iter().collect();
    let options = spygen::GenOptions { env, ..gen_options(&root.join("p")) };
    generate_in_process(&options);
    let text = ninja_text(&root.join("p/build-spygen"));
    assert!(text.contains(&format!("\ncc.native = {}\n", wrapper.display())), "{text}");
    assert!(text.contains(&format!("\nar.native = {}\n", program_path("ar"))), "{text}");
    assert!(generate_in_process(&options).files.is_none(), "nothing changed");
    // An upgrade: the program is replaced. The next generation resolves the tools again.
    touch(&wrapper);
    assert!(generate_in_process(&options).files.is_some(), "the replaced tool is seen");
}

#[test]
fn no_compdb_writes_no_database_and_removes_a_stale_one() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    modules(&root);
    let build = root.join("p/build-spygen");
    let options = gen_options(&root.join("p"));
    generate_in_process(&options);
    assert!(build.join("compile_commands.json").is_file());
    generate_in_process(&spygen::GenOptions { no_compdb: true, ..options });
    assert!(!build.join("compile_commands.json").exists(), "a stale database is removed");
    let text = ninja_text(&build);
    // The regeneration keeps the choice and no longer promises the database.
    assert!(text.contains(" --no-compdb"), "{text}");
    assert!(!text.contains("compile_commands.json"), "{text}");
}

/// A launcher set in spy.toml (`launcher`, `[spygen.launcher-for]`) goes before compiles only,
/// per target, and shows in build.ninja as `launcher.<target>`; the link pool holds links.
#[test]
fn launcher_from_spy_toml_prefixes_compiles_only() {
    if !require_program("ccache", "apt-get install ccache") || !require_target("native") || !require_target("wasi") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    modules(&root);
    write_files(
        &root,
        &[
            ("app/main.c", "int rt(void);\nint main(void) { return rt() - 1; }\n"),
            (
                "p/spy.toml",
                "extra-vm-modules = [\"../m1\"]\n[spygen]\nruntime = \"../rt\"\ntargets = [\"native\", \"wasi\"]\n\
                 build-types = [\"debug\"]\nlauncher = \"ccache\"\n\
                 [spygen.launcher-for]\nwasi = \"none\"\n\
                 [[spygen.program]]\nname = \"app\"\nsources = [\"../app/main.c\"]\ndeps = [\"../rt\"]\n",
            ),
        ],
    );
    generate_in_process(&spygen::GenOptions { no_compdb: true, link_jobs: Some(2), ..gen_options(&root.join("p")) });
    let text = ninja_text(&root.join("p/build-spygen"));
    machine_filters(&root).bind(|| insta::assert_snapshot!("launcher_build_ninja", text));

    // Every command naming the launcher is a native compile rule's, which spells it out.
    let ccache = program_path("ccache");
    let lines: Vec<&str> = text.lines().collect();
    let mut uses = 0;
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with("  command = ") && l.contains(&ccache) {
            assert!(
                l.starts_with(&format!("  command = PWD=/proc/self/cwd {ccache} /")) && l.contains(" -MMD "),
                "{l}"
            );
            assert!(
                lines[i - 1].starts_with("rule cc.") && lines[i - 1].ends_with(".native-debug"),
                "{}",
                lines[i - 1]
            );
            uses += 1;
        }
    }
    assert_eq!(uses, 3, "rt, m1 and app compile through ccache on native");
    let launcher = format!("\nlauncher.native = {}\n", program_path("ccache"));
    assert!(text.contains(&launcher) && !text.contains("launcher.wasi"), "wasi has none");
    assert!(text.contains("pool link\n  depth = 2\n"));
    assert_eq!(text.matches("  pool = link\n").count(), 4, "link and link-whole rules of both targets");
    // The regeneration keeps the command-line choice.
    assert!(text.contains("--link-jobs 2"), "{text}");
}

/// A launcher that is not installed, or set for an unknown target, stops generation at the
/// manifest line that sets it.
#[test]
fn launcher_errors_point_at_the_manifest() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    modules(&root);
    let spy = "extra-vm-modules = [\"../m1\"]\n[spygen]\ntargets = [\"native\"]\nlauncher = \"no-such-launcher-xyz\"\n";
    std::fs::write(root.join("p/spy.toml"), spy).unwrap();
    let (code, _, err) = run(spygen().args(["gen", "-q"]).arg(root.join("p")));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("spy.toml:4:12") && err.contains("`no-such-launcher-xyz`"), "{err}");
    assert!(err.contains("--launcher native=none"), "{err}");
    assert!(!root.join("p/build-spygen/build.ninja").exists());
    // The command line overrides the manifest.
    run_ok(spygen().args(["gen", "-q", "--launcher", "none"]).arg(root.join("p")));
    assert!(!ninja_text(&root.join("p/build-spygen")).contains("launcher."));

    let spy = "extra-vm-modules = [\"../m1\"]\n[spygen]\ntargets = [\"native\"]\n[spygen.launcher-for]\nwasm64 = \"ccache\"\n";
    std::fs::write(root.join("p/spy.toml"), spy).unwrap();
    let (code, _, err) = run(spygen().args(["gen", "-q"]).arg(root.join("p")));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("spy.toml:5:10") && err.contains("unknown target `wasm64`"), "{err}");
    // On the command line: a usage error.
    std::fs::write(root.join("p/spy.toml"), "extra-vm-modules = [\"../m1\"]\n").unwrap();
    let (code, _, err) = run(spygen().args(["gen", "-q", "--launcher", "wasm64=ccache"]).arg(root.join("p")));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("unknown target `wasm64`") && err.contains("--launcher wasm64=ccache"), "{err}");
}

/// The modules and a launcher script `p/tools/ccwrap` (it runs the compile it is given);
/// returns the script's path.
fn project_with_a_launcher_script(root: &Path) -> std::path::PathBuf {
    modules(root);
    let wrapper = root.join("p/tools/ccwrap");
    write_files(root, &[("p/tools/ccwrap", "#!/bin/sh\n# a launcher: runs the compile it is given\nexec \"$@\"\n")]);
    std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    wrapper
}

/// spy.toml naming the launcher script for every target, and none for wasi.
const SPY_TOML_WITH_LAUNCHER: &str = "extra-vm-modules = [\"../m1\"]\n[spygen]\nruntime = \"../rt\"\n\
     targets = [\"native\", \"wasi\"]\nlauncher = \"tools/ccwrap\"\n[spygen.launcher-for]\nwasi = \"none\"\n";

#[test]
fn a_launcher_path_on_the_command_line_is_relative_to_here_and_the_regeneration_keeps_it() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let wrapper = project_with_a_launcher_script(&root);
    let build = root.join("p/build-spygen");
    run_ok(spygen().args(["gen", "-q", "p", "--target", "native", "--launcher", "p/tools/ccwrap"]).current_dir(&root));
    let text = ninja_text(&build);
    assert!(text.contains(&format!("\nlauncher.native = {}\n", wrapper.display())), "{text}");
    assert!(text.contains(&format!("--launcher {}", wrapper.display())), "the regeneration keeps it: {text}");
    // ninja regenerates from the build dir when spy.toml changes, and builds through it.
    touch(&root.join("p/spy.toml"));
    let out = run_ok(std::process::Command::new("ninja").arg("-C").arg(&build).arg("-v"));
    assert!(out.contains("REGEN") || out.contains("spygen gen"), "{out}");
    assert!(out.contains(&format!("{} {} -MMD", wrapper.display(), program_path("cc"))), "{out}");
}

#[test]
fn removing_a_launcher_is_an_input_change_the_no_op_check_notices() {
    if !require_target("native") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let wrapper = project_with_a_launcher_script(&root);
    let generate = || {
        let mut cmd = spygen();
        cmd.args(["gen", "p", "--target", "native", "--launcher"]).arg(&wrapper).current_dir(&root);
        cmd
    };
    run_ok(&mut generate());
    assert!(run_ok(&mut generate()).contains("unchanged (no input changed)"));
    std::fs::remove_file(&wrapper).unwrap();
    let (code, _, err) = run(&mut generate());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no `") && err.contains("ccwrap` file"), "{err}");
}

#[test]
fn a_launcher_in_spy_toml_is_relative_to_it_and_a_per_target_none_beats_a_launcher_for_every_target() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let wrapper = project_with_a_launcher_script(&root);
    std::fs::write(root.join("p/spy.toml"), SPY_TOML_WITH_LAUNCHER).unwrap();
    // Whatever the current directory.
    let options = gen_options(&root.join("p"));
    generate_in_process(&spygen::GenOptions { no_compdb: true, ..options.clone() });
    let text = ninja_text(&root.join("p/build-spygen"));
    assert!(text.contains(&format!("\nlauncher.native = {}\n", wrapper.display())), "{text}");
    assert!(!text.contains("launcher.wasi"), "{text}");
    run_ok(spygen().args(["gen", "-q", "--no-compdb", "--launcher", "env"]).arg(root.join("p")).current_dir("/"));
    let text = ninja_text(&root.join("p/build-spygen"));
    assert!(
        text.contains(&format!("\nlauncher.native = {}\n", program_path("env"))) && !text.contains("launcher.wasi"),
        "{text}"
    );
}

#[test]
fn flags_format_make_gives_the_projects_launcher_and_graph_does_not_need_it_installed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let wrapper = project_with_a_launcher_script(&root);
    std::fs::write(root.join("p/spy.toml"), SPY_TOML_WITH_LAUNCHER).unwrap();
    let flags = |target: &str| {
        run_ok(spygen().args(["flags", "--format", "make", "--target", target]).current_dir(root.join("p")))
    };
    assert!(flags("native").contains(&format!("\nLAUNCHER := {}\n", wrapper.display())));
    assert!(flags("wasi").contains("\nLAUNCHER :=\n"));
    // A missing launcher stops gen, pointing at spy.toml; graph shows no launcher.
    std::fs::remove_file(&wrapper).unwrap();
    let (code, _, err) = run(spygen().args(["gen", "-q"]).arg(root.join("p")));
    assert_eq!(code, 1, "an error in spy.toml: {err}");
    assert!(err.contains("spy.toml:5:12"), "{err}");
    run_ok(spygen().args(["graph", "--format", "json"]).arg(root.join("p")));
}
