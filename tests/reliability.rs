//! Hostile input and faults (issue 11): each test is a defect that once lost data, crashed or
//! built the wrong thing, and now holds. Generation runs through the binary: exit codes, files
//! left behind and what ninja and make then do are the behaviour under test.

mod common;

use std::path::Path;

use common::*;

/// Whether ninja and make are installed (in CI their absence fails the test).
fn require_ninja_and_make() -> bool {
    require_program("ninja", "apt-get install ninja-build") && require_program("make", "apt-get install make")
}

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
    let ninja = std::fs::read_to_string(dir.path().join("build-spygen/build.ninja")).unwrap();
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
    assert!(!dir.path().join("build-spygen").exists(), "no build file is written");
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
    assert!(err.contains(r"a\nb/") && err.contains("holds a control character: no build file can carry it"), "{err}");
    assert!(!project.join("build-spygen").exists());
    let (code, _, err) = run(spygen().args(["gen", "--target", "native", "--launcher", "cc\nache"]).arg(dir.path()));
    assert_eq!(code, 2);
    assert!(err.contains(r#"--launcher "cc\nache" holds a control character"#), "{err}");
}

/// A native project in `root`: module `m` (a.c) and the program `app` linking it.
fn write_app_project(root: &Path) {
    write_files(
        root,
        &[
            (
                "spy.toml",
                "extra-vm-modules = [\"m\"]\n\n[spygen]\ntargets = [\"native\"]\n\n[[spygen.program]]\nname = \"app\"\nsources = [\"main.c\"]\ndeps = [\"m\"]\n",
            ),
            ("main.c", "#include <stdio.h>\nint a(void);\nint main(void) { printf(\"%d\\n\", a()); return 0; }\n"),
            ("m/a.c", "#ifndef VALUE\n#define VALUE 1\n#endif\nint a(void) { return VALUE; }\n"),
            ("m/spygen.toml", "name = \"m\"\nsources = [\"a.c\"]\n"),
        ],
    );
}

/// Sets the modification time of `path` to `secs` from now (negative: in the past).
fn set_mtime(path: &Path, secs: i64) {
    let now = std::time::SystemTime::now();
    let t = if secs >= 0 {
        now + std::time::Duration::from_secs(secs as u64)
    } else {
        now - std::time::Duration::from_secs((-secs) as u64)
    };
    std::fs::File::options().append(true).open(path).unwrap().set_modified(t).unwrap();
}

/// Runs `cmd` with a time limit, killing it when it is exceeded; returns (exit code, stdout,
/// stderr), the code `None` when it had to be killed.
fn run_with_timeout(cmd: &mut std::process::Command, limit: std::time::Duration) -> (Option<i32>, String, String) {
    let mut child = cmd.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn().unwrap();
    let start = std::time::Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code();
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let out = child.wait_with_output().unwrap();
    (code, String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn make_and_ninja_regenerate_once_when_a_manifest_is_dated_in_the_future() {
    if !require_ninja_and_make() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_app_project(dir.path());
    run_ok(spygen().args(["gen", "-q", "--format", "all"]).arg(dir.path()));
    let build = dir.path().join("build-spygen");
    run_ok(std::process::Command::new("make").arg("-C").arg(&build));
    run_ok(std::process::Command::new("ninja").arg("-C").arg(&build));
    set_mtime(&dir.path().join("m/spygen.toml"), 3600);

    let limit = std::time::Duration::from_secs(60);
    let (code, out, err) = run_with_timeout(std::process::Command::new("make").arg("-C").arg(&build), limit);
    assert_eq!(code, Some(0), "make must finish\n{out}\n{err}");
    assert!(out.matches("spygen: regenerated").count() <= 1, "{out}");
    assert!(err.contains("m/spygen.toml is dated 3599 s in the future") || err.contains("is dated 3600 s"), "{err}");
    let again = run_ok(std::process::Command::new("make").arg("-C").arg(&build));
    assert!(again.contains("Nothing to be done"), "{again}");

    let (code, out, err) = run_with_timeout(std::process::Command::new("ninja").arg("-C").arg(&build), limit);
    assert_eq!(code, Some(0), "ninja must finish\n{out}\n{err}");
    let again = run_ok(std::process::Command::new("ninja").arg("-C").arg(&build));
    assert!(again.contains("no work to do"), "{again}");
}

#[test]
fn interrupting_make_while_it_regenerates_deletes_no_generated_file() {
    use std::os::unix::process::CommandExt;
    if !require_program("make", "apt-get install make") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_app_project(dir.path());
    run_ok(spygen().args(["gen", "-q", "--format", "all"]).arg(dir.path()));
    let build = dir.path().join("build-spygen");
    run_ok(std::process::Command::new("make").arg("-C").arg(&build));
    // A change that rewrites every generated file, then a spygen that lingers after writing
    // them, as a slow machine would, for the interrupt to land while make waits for it.
    std::fs::write(dir.path().join("m/spygen.toml"), "name = \"m\"\nsources = [\"a.c\"]\ndefines = [\"VALUE=2\"]\n")
        .unwrap();
    let marker = dir.path().join("regenerated");
    let wrapper = dir.path().join("slow-spygen");
    write_script(
        &wrapper,
        &format!("{} \"$@\" || exit $?\ntouch '{}'\nsleep 30\n", env!("CARGO_BIN_EXE_spygen"), marker.display()),
    );
    let mut make = std::process::Command::new("make")
        .arg("-C")
        .arg(&build)
        .arg(format!("SPYGEN={}", wrapper.display()))
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = std::time::Instant::now();
    while !marker.exists() {
        assert!(start.elapsed() < std::time::Duration::from_secs(30), "the regeneration never ran");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    run_ok(std::process::Command::new("kill").args(["-INT", "--", &format!("-{}", make.id())]));
    make.wait().unwrap();
    for name in ["Makefile", "build.ninja", "spygen.mk", "compile_commands.json"] {
        let text = std::fs::read_to_string(build.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(name == "spygen.mk" || text.contains("VALUE=2"), "{name} is the regenerated one");
    }
}

/// Writes an executable shell script.
fn write_script(path: &Path, body: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, format!("#!/bin/sh\n{body}")).unwrap();
    std::fs::set_permissions(path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
}

/// PATH with `dir` first.
fn path_with(dir: &Path) -> String {
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap_or_default())
}

#[test]
fn a_manifest_edited_while_gen_reads_the_project_is_seen_by_the_next_gen_and_by_ninja() {
    if !require_program("ninja", "apt-get install ninja-build") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_app_project(dir.path());
    // pkg-config runs after the manifests are read: this one edits a manifest at that moment,
    // once, as a user saving in an editor would.
    let manifest = dir.path().join("m/spygen.toml");
    std::fs::write(&manifest, "name = \"m\"\nsources = [\"a.c\"]\n[[system-lib]]\npkg-config = \"zz\"\n").unwrap();
    let bin = dir.path().join("bin");
    let once = dir.path().join("edited");
    let edited = dir.path().join("edited.toml");
    let text = "name = \"m\"\nsources = [\"a.c\"]\ndefines = [\"VALUE=7\"]\n[[system-lib]]\npkg-config = \"zz\"\n";
    std::fs::write(&edited, text).unwrap();
    write_script(
        &bin.join("pkg-config"),
        &format!(
            "[ -e '{once}' ] || {{ touch '{once}'; cp '{edited}' '{m}'; }}\nexit 1\n",
            edited = edited.display(),
            once = once.display(),
            m = manifest.display()
        ),
    );
    let generate = || {
        let mut cmd = spygen();
        cmd.args(["gen", "--target", "native"]).arg(dir.path()).env("PATH", path_with(&bin));
        cmd
    };
    run_ok(&mut generate());
    let build = dir.path().join("build-spygen");
    assert!(!std::fs::read_to_string(build.join("build.ninja")).unwrap().contains("VALUE=7"));
    // ninja first: its regeneration must see the edit (build.ninja is dated before it).
    let out = run_ok(std::process::Command::new("ninja").arg("-C").arg(&build).env("PATH", path_with(&bin)));
    assert!(out.contains("REGEN build.ninja"), "{out}");
    assert!(std::fs::read_to_string(build.join("build.ninja")).unwrap().contains("VALUE=7"));
    let app = run_ok(&mut std::process::Command::new(build.join("native/debug/app")));
    assert_eq!(app, "7\n");

    // The same through spygen gen alone: its record holds the stamp from before the read.
    std::fs::remove_file(&once).unwrap();
    std::fs::write(&manifest, "name = \"m\"\nsources = [\"a.c\"]\n[[system-lib]]\npkg-config = \"zz\"\n").unwrap();
    run_ok(&mut generate());
    let out = run_ok(&mut generate());
    assert!(!out.contains("no input changed"), "the edit made during the last gen is a change: {out}");
    assert!(std::fs::read_to_string(build.join("build.ninja")).unwrap().contains("VALUE=7"));
}

#[test]
fn ninja_regenerates_with_the_options_and_environment_of_the_generation_it_comes_from() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_program("gcc", "apt-get install gcc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_app_project(dir.path());
    let build = dir.path().join("build-spygen");
    run_ok(spygen().args(["gen", "-q", "--compdb-config", "native-release"]).arg(dir.path()).env("CC", "gcc"));
    let check = || {
        let ninja = std::fs::read_to_string(build.join("build.ninja")).unwrap();
        assert!(ninja.contains(&format!("\ncc.native = {}\n", program_path("gcc"))), "CC is kept");
        assert!(ninja.contains("--compdb-config native-release") && ninja.contains("--env CC=gcc"), "{ninja}");
        let compdb = std::fs::read_to_string(build.join("compile_commands.json")).unwrap();
        assert!(compdb.contains("native/release/obj") && !compdb.contains("native/debug/obj"), "{compdb}");
    };
    check();
    std::fs::write(dir.path().join("m/spygen.toml"), "name = \"m\"\nsources = [\"a.c\"]\ndefines = [\"VALUE=3\"]\n")
        .unwrap();
    // ninja runs in another environment: no CC, or a CC that does not work, and variables
    // that would change other settings.
    let out = run_ok(
        std::process::Command::new("ninja")
            .arg("-C")
            .arg(&build)
            .env("CC", "/bin/false")
            .env("SPY_WERROR", "1")
            .env("SPYGEN_LINK_JOBS", "3"),
    );
    assert!(out.contains("REGEN build.ninja"), "{out}");
    check();
    let ninja = std::fs::read_to_string(build.join("build.ninja")).unwrap();
    assert!(ninja.contains("-DVALUE=3") && !ninja.contains("-Werror ") && !ninja.contains("depth = 3"), "{ninja}");
    assert_eq!(run_ok(&mut std::process::Command::new(build.join("native/debug/app"))), "3\n");
}

/// A toolchain directory with a target `mytarget` whose compiler is `spygen-test-cc` (or the
/// variable MY_CC), archiving with `ar`.
fn write_mytarget(dir: &Path) {
    write_files(
        dir,
        &[(
            "mytarget.toml",
            "description = \"a test target\"\ntriplet = \"host\"\n\n[compiler]\nenv = \"MY_CC\"\ncandidates = [{ command = [\"spygen-test-cc\"] }]\nversion-args = [\"--version\"]\n\n[archiver]\ncandidates = [{ command = [\"ar\"] }]\n",
        )],
    );
}

#[test]
fn a_compiler_installed_later_in_a_path_directory_that_did_not_exist_is_seen() {
    let dir = tempfile::tempdir().unwrap();
    write_app_project(dir.path());
    std::fs::write(dir.path().join("spy.toml"), "extra-vm-modules = [\"m\"]\n").unwrap();
    let tc = dir.path().join("tc");
    write_mytarget(&tc);
    let later = dir.path().join("later/bin");
    let generate = || {
        let mut cmd = spygen();
        cmd.arg("--toolchain-dir").arg(&tc).args(["gen", "--target", "native", "--target", "mytarget"]);
        cmd.arg(dir.path()).env("PATH", path_with(&later)).env_remove("MY_CC");
        cmd
    };
    let (code, _, err) = run(&mut generate());
    assert_eq!(code, 2, "the asked-for target is not installed: {err}");
    // Asked for without --target it is left out of the default build, with a warning.
    let generate_all = || {
        let mut cmd = spygen();
        cmd.arg("--toolchain-dir").arg(&tc).args(["gen"]).arg(dir.path());
        cmd.env("PATH", path_with(&later)).env_remove("MY_CC");
        cmd
    };
    let out = run_ok(&mut generate_all());
    assert!(!out.contains("mytarget-debug"), "{out}");
    assert!(run_ok(&mut generate_all()).contains("no input changed"));
    write_script(&later.join("spygen-test-cc"), "exec cc \"$@\"\n");
    let out = run_ok(&mut generate_all());
    assert!(out.contains("mytarget-debug"), "the new compiler is found: {out}");
    run_ok(&mut generate());
}

#[test]
fn a_user_descriptors_environment_variable_is_an_input_of_the_no_op_check() {
    let dir = tempfile::tempdir().unwrap();
    write_app_project(dir.path());
    let tc = dir.path().join("tc");
    write_mytarget(&tc);
    let generate = |my_cc: &str| {
        let mut cmd = spygen();
        cmd.arg("--toolchain-dir").arg(&tc).args(["gen", "--target", "mytarget"]).arg(dir.path()).env("MY_CC", my_cc);
        run_ok(&mut cmd)
    };
    generate("cc");
    assert!(generate("cc").contains("no input changed"));
    let out = generate("gcc");
    assert!(!out.contains("no input changed"), "{out}");
    let ninja = std::fs::read_to_string(dir.path().join("build-spygen/build.ninja")).unwrap();
    let cc = format!("\ncc.mytarget = {}\n", program_path("gcc"));
    assert!(ninja.contains(&cc) && ninja.contains("--env MY_CC=gcc"), "{ninja}");
}

#[test]
fn concurrent_generations_with_different_options_leave_a_record_that_matches_the_build_files() {
    let dir = tempfile::tempdir().unwrap();
    // Large enough that writing takes a while, for the two to interleave without the lock.
    write_chain(dir.path(), 400);
    let build = dir.path().join("build-spygen");
    for round in 0..12 {
        let spawn = |build_type: &str| {
            let mut cmd = spygen();
            cmd.args(["gen", "-q", "--target", "native", "--build-type", build_type]).arg(dir.path());
            cmd.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped()).spawn().unwrap()
        };
        let (a, b) = (spawn("debug"), spawn("release"));
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        }
        // The record's request (its second line) is the regeneration command build.ninja holds.
        let record = std::fs::read_to_string(build.join(".spygen-inputs")).unwrap();
        let request = record.lines().nth(1).unwrap();
        let ninja = std::fs::read_to_string(build.join("build.ninja")).unwrap();
        assert!(ninja.contains(&format!("  command = $spygen {request} --regen\n")), "round {round}: {request}");
    }
}

#[test]
fn temporaries_left_by_a_killed_generation_are_removed_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    write_app_project(dir.path());
    run_ok(spygen().args(["gen", "-q"]).arg(dir.path()));
    let build = dir.path().join("build-spygen");
    // What `kill -9` left: spygen 0.1's temporary names and today's.
    let stale = [".compile_commands.json.tmp.4242", ".build.ninja.Ab3xYz.spygen-tmp"];
    for name in stale {
        std::fs::write(build.join(name), "half a file").unwrap();
    }
    std::fs::write(build.join(".notes.tmp.txt"), "someone else's").unwrap();
    run_ok(spygen().args(["gen", "-q"]).arg(dir.path()));
    for name in stale {
        assert!(!build.join(name).exists(), "{name} is removed");
    }
    assert!(build.join(".notes.tmp.txt").exists(), "files spygen did not name are left alone");
}

#[test]
fn an_unwritable_later_output_leaves_every_earlier_one_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    write_app_project(dir.path());
    run_ok(spygen().args(["gen", "-q"]).arg(dir.path()));
    let build = dir.path().join("build-spygen");
    let ninja = build.join("build.ninja");
    let (before, mtime) = (std::fs::read(&ninja).unwrap(), std::fs::metadata(&ninja).unwrap().modified().unwrap());
    std::fs::remove_file(build.join("compile_commands.json")).unwrap();
    std::fs::create_dir(build.join("compile_commands.json")).unwrap();
    std::fs::write(dir.path().join("m/spygen.toml"), "name = \"m\"\nsources = [\"a.c\"]\ndefines = [\"VALUE=5\"]\n")
        .unwrap();
    let (code, _, err) = run(spygen().args(["gen", "-q"]).arg(dir.path()));
    assert_eq!(code, 1);
    assert!(err.contains("compile_commands.json: a directory is in the way"), "{err}");
    assert_eq!(std::fs::read(&ninja).unwrap(), before, "build.ninja is not replaced");
    assert_eq!(std::fs::metadata(&ninja).unwrap().modified().unwrap(), mtime);
    let leftovers: Vec<String> = std::fs::read_dir(&build)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".spygen-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_generation_waits_while_another_holds_the_build_directory() {
    let dir = tempfile::tempdir().unwrap();
    write_app_project(dir.path());
    run_ok(spygen().args(["gen", "-q"]).arg(dir.path()));
    std::fs::write(dir.path().join("m/spygen.toml"), "name = \"m\"\nsources = [\"a.c\"]\ndefines = [\"VALUE=9\"]\n")
        .unwrap();
    // Hold the lock as a running generation does.
    let lock = std::fs::File::options().write(true).open(dir.path().join("build-spygen/.spygen-lock")).unwrap();
    lock.lock().unwrap();
    let child = spygen()
        .arg("gen")
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(500));
    let ninja = std::fs::read_to_string(dir.path().join("build-spygen/build.ninja")).unwrap();
    assert!(!ninja.contains("VALUE=9"), "nothing is written while the other generation runs");
    drop(lock);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("spygen: waiting for another spygen gen in"));
    assert!(std::fs::read_to_string(dir.path().join("build-spygen/build.ninja")).unwrap().contains("VALUE=9"));
}

#[test]
fn a_spygen_whose_path_needs_quoting_generates_build_files_that_ninja_and_make_run() {
    if !require_ninja_and_make() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let exe = dir.path().join("my bin$x/spygen");
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_spygen"), &exe).unwrap();
    let project = dir.path().join("p");
    write_app_project(&project);
    let mut generate = std::process::Command::new(&exe);
    run_ok(generate.args(["gen", "-q", "--format", "all"]).arg(&project).env_remove("SPYGEN_LAUNCHER"));
    let build = project.join("build-spygen");
    run_ok(std::process::Command::new("ninja").arg("-C").arg(&build));
    run_ok(std::process::Command::new("make").arg("-C").arg(&build));
    // Both regenerate through it.
    std::fs::write(project.join("m/spygen.toml"), "name = \"m\"\nsources = [\"a.c\"]\ndefines = [\"VALUE=4\"]\n")
        .unwrap();
    let out = run_ok(std::process::Command::new("make").arg("-C").arg(&build).arg("native-debug"));
    assert!(out.contains("spygen: regenerated"), "{out}");
    assert_eq!(run_ok(&mut std::process::Command::new(build.join("native/debug/app"))), "4\n");
    std::fs::write(project.join("m/spygen.toml"), "name = \"m\"\nsources = [\"a.c\"]\ndefines = [\"VALUE=6\"]\n")
        .unwrap();
    let out = run_ok(std::process::Command::new("ninja").arg("-C").arg(&build).arg("native-debug"));
    assert!(out.contains("REGEN build.ninja"), "{out}");
    assert_eq!(run_ok(&mut std::process::Command::new(build.join("native/debug/app"))), "6\n");
}

/// The `CC <object>` lines of a make or ninja run's output, sorted.
fn compiled(out: &str) -> Vec<String> {
    let mut v: Vec<String> =
        out.lines().filter_map(|l| l.split_once("CC ").map(|(_, o)| o.trim().to_string())).collect();
    v.sort();
    v
}

#[test]
fn make_rebuilds_after_a_define_a_compiler_or_a_source_list_change_as_ninja_does() {
    if !require_program("make", "apt-get install make") || !require_program("gcc", "apt-get install gcc") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_app_project(dir.path());
    write_files(
        dir.path(),
        &[("m/spygen.toml", "name = \"m\"\nsources = [\"*.c\"]\n"), ("m/b.c", "int b(void) { return 2; }\n")],
    );
    run_ok(spygen().args(["gen", "-q", "--format", "make", "--build-type", "debug"]).arg(dir.path()));
    let build = dir.path().join("build-spygen");
    let make = || run_ok(std::process::Command::new("make").arg("-C").arg(&build));
    let app = || run_ok(&mut std::process::Command::new(build.join("native/debug/app")));
    make();
    assert_eq!(app(), "1\n");
    assert!(make().contains("Nothing to be done"));

    // A define: the module's objects are compiled again, nothing else.
    std::fs::write(dir.path().join("m/spygen.toml"), "name = \"m\"\nsources = [\"*.c\"]\ndefines = [\"VALUE=8\"]\n")
        .unwrap();
    let out = make();
    assert_eq!(compiled(&out), ["native/debug/obj/m/a.o", "native/debug/obj/m/b.o"], "{out}");
    assert_eq!(app(), "8\n");
    assert!(make().contains("Nothing to be done"));

    // Another compiler: everything is compiled again.
    run_ok(spygen().args(["gen", "-q", "--format", "make", "--build-type", "debug"]).arg(dir.path()).env("CC", "gcc"));
    let out = make();
    assert_eq!(compiled(&out).len(), 3, "{out}");

    // A source removed from the list: the archive is made again from the remaining objects.
    std::fs::remove_file(dir.path().join("m/b.c")).unwrap();
    let out = make();
    assert!(out.contains("AR native/debug/m.a"), "{out}");
    let members = run_ok(std::process::Command::new("ar").arg("t").arg(build.join("native/debug/m.a")));
    assert_eq!(members, "a.o\n");
    assert!(make().contains("Nothing to be done"));
}

/// A project whose compile and link commands pass Linux's 128 KiB limit on one `sh -c`
/// argument: a chain of 60 modules, each with six public include dirs and six `-L` flags of
/// 200-character names, which the last module's compile and the program's link carry all of.
fn write_long_flags_project(root: &Path) {
    let long = |c: char, n: usize| std::iter::repeat_n(c, n).collect::<String>();
    let quoted = |v: &[String]| v.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..60 {
        let dir = format!("m{i}_{}", long('d', 200));
        let incs: Vec<String> = (0..6).map(|k| format!("inc{k}_{}", long('i', 200))).collect();
        for inc in &incs {
            files.push((format!("{dir}/{inc}/keep.h"), String::new()));
        }
        let ldflags: Vec<String> = incs.iter().map(|inc| format!("-L../{dir}/{inc}")).collect();
        let dep = if i > 0 { format!("deps = [\"../m{}_{}\"]\n", i - 1, long('d', 200)) } else { String::new() };
        files.push((
            format!("{dir}/spygen.toml"),
            format!(
                "name = \"m{i}\"\nsources = [\"a.c\"]\npublic-include-dirs = [{}]\nldflags = [{}]\n{dep}",
                quoted(&incs),
                quoted(&ldflags)
            ),
        ));
        files.push((format!("{dir}/a.c"), format!("int f{i}(void) {{ return {i}; }}\n")));
    }
    files.push(("main.c".into(), "int f59(void);\nint main(void) { return f59() == 59 ? 0 : 1; }\n".into()));
    files.push((
        "spy.toml".into(),
        format!(
            "[spygen]\nbuild-types = [\"debug\"]\n\n[[spygen.program]]\nname = \"app\"\nsources = [\"main.c\"]\ndeps = [\"m59_{}\"]\n",
            long('d', 200)
        ),
    ));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    write_files(root, &files);
}

/// Builds `build` with ninja, then again from scratch with make, checking the program runs and
/// a second run of each does nothing.
fn build_with_ninja_then_make(build: &Path, program: &Path) {
    run_ok(std::process::Command::new("ninja").arg("-C").arg(build).arg("-j2"));
    run_ok(&mut std::process::Command::new(program));
    assert!(run_ok(std::process::Command::new("ninja").arg("-C").arg(build)).contains("no work to do"));
    run_ok(std::process::Command::new("ninja").arg("-C").arg(build).args(["-t", "clean"]));
    run_ok(std::process::Command::new("make").arg("-C").arg(build).arg("-j2"));
    run_ok(&mut std::process::Command::new(program));
    assert!(run_ok(std::process::Command::new("make").arg("-C").arg(build)).contains("Nothing to be done"));
}

#[test]
fn compile_and_link_commands_past_the_command_line_limit_go_through_response_files() {
    // gcc cannot take 128 KiB of options at all (it hands them to its passes in one environment
    // variable); clang, zig cc's driver, can: the native-static target runs it.
    if !require_ninja_and_make() || !require_target("native-static") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_long_flags_project(dir.path());
    run_ok(spygen().args(["gen", "-q", "--format", "all", "--target", "native-static"]).arg(dir.path()));
    let build = dir.path().join("build-spygen");
    let ninja = std::fs::read_to_string(build.join("build.ninja")).unwrap();
    // Named by the flag set and a hash of the content.
    let name = std::fs::read_dir(build.join(".spygen/rsp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .find(|n| n.starts_with("cflags.m59.native-static-debug.") && n.ends_with(".rsp"))
        .expect("m59's response file");
    let rsp = std::fs::read_to_string(build.join(".spygen/rsp").join(&name)).unwrap();
    assert!(rsp.len() > 128 * 1024, "the flags alone pass the limit: {} bytes", rsp.len());
    assert!(ninja.contains(&format!(" @.spygen/rsp/{name} -frandom-seed=$out -c $in")), "the compile names them");
    assert!(ninja.contains("build native-static/debug/app: link-rsp.native-static"), "the long link");
    build_with_ninja_then_make(&build, &build.join("native-static/debug/app"));
}

#[test]
fn include_flags_that_many_compiles_share_are_read_from_one_response_file_named_by_their_content() {
    if !require_ninja_and_make() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // 40 public include directories of about 100 bytes: 4 KiB of `-I` flags, which 80 objects
    // would spell, 330 KiB a run: past the 256 KiB after which the list goes into a file.
    let deep = "i".repeat(90);
    let inc_dirs: Vec<String> = (0..40).map(|k| format!("include/d{k}_{deep}")).collect();
    let inc_manifest = |dirs: &[String]| {
        let quoted: Vec<String> = dirs.iter().map(|d| format!("\"{d}\"")).collect();
        format!("name = \"inc\"\npublic-include-dirs = [{}]\n", quoted.join(", "))
    };
    let mut files: Vec<(String, String)> = vec![
        ("inc/spygen.toml".into(), inc_manifest(&inc_dirs)),
        // Found only through the last directory of the list.
        (format!("inc/{}/last.h", inc_dirs[39]), "#define LAST 1000\n".into()),
        ("big/spygen.toml".into(), "name = \"big\"\nsources = [\"src/*.c\"]\ndeps = [\"../inc\"]\n".into()),
        ("main.c".into(), "int g79(void);\nint main(void) { return g79() == 1079 ? 0 : 1; }\n".into()),
        (
            "spy.toml".into(),
            "[spygen]\ntargets = [\"native\"]\nbuild-types = [\"debug\"]\n\n[[spygen.program]]\nname = \"app\"\nsources = [\"main.c\"]\ndeps = [\"big\"]\n".into(),
        ),
    ];
    for k in 0..80 {
        files.push((
            format!("big/src/g{k}.c"),
            format!("#include \"last.h\"\nint g{k}(void) {{ return LAST + {k}; }}\n"),
        ));
    }
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    write_files(dir.path(), &files);
    run_ok(spygen().args(["gen", "-q", "--format", "all"]).arg(dir.path()));
    let build = dir.path().join("build-spygen");
    let rsp_files = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(build.join(".spygen/rsp"))
            .map(|d| d.map(|e| e.unwrap().file_name().into_string().unwrap()).collect())
            .unwrap_or_default();
        names.sort();
        names
    };
    let [name] = rsp_files().try_into().expect("one response file, big's include flags");
    assert!(name.starts_with("includes.big.") && name.ends_with(".rsp"), "{name}");
    let content = std::fs::read_to_string(build.join(".spygen/rsp").join(&name)).unwrap();
    assert!(content.contains(&format!("-I../inc/{}", inc_dirs[39])), "{content}");
    let ninja = std::fs::read_to_string(build.join("build.ninja")).unwrap();
    let rule = ninja.split("rule cc.big.native-debug\n").nth(1).and_then(|r| r.lines().next()).unwrap_or_default();
    assert!(rule.contains(&format!(" @.spygen/rsp/{name} ")), "big's compile rule names the file: {rule}");
    assert!(!rule.contains(&inc_dirs[39]), "and spells none of the flags: {rule}");
    build_with_ninja_then_make(&build, &build.join("native/debug/app"));

    // Another list, another file and another command: ninja recompiles every object of big,
    // and the old file goes.
    run_ok(std::process::Command::new("ninja").arg("-C").arg(&build));
    std::fs::write(dir.path().join("inc/spygen.toml"), inc_manifest(&inc_dirs[1..])).unwrap();
    let out = run_ok(std::process::Command::new("ninja").arg("-C").arg(&build).arg("-j2"));
    let recompiled = out.lines().filter(|l| l.contains("CC native/debug/obj/big/")).count();
    assert_eq!(recompiled, 80, "{out}");
    let [renamed] = rsp_files().try_into().expect("one response file again");
    assert_ne!(renamed, name, "the new list's own name");
    run_ok(&mut std::process::Command::new(build.join("native/debug/app")));
}

#[test]
fn archives_of_hundreds_of_long_object_paths_go_through_response_files() {
    if !require_ninja_and_make() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("src/{}", std::iter::repeat_n('s', 220).collect::<String>());
    let mut files: Vec<(String, String)> = (0..450)
        .map(|k| (format!("big/{deep}/s{k}_{}.c", "n".repeat(40)), format!("int g{k}(void) {{ return {k}; }}\n")))
        .collect();
    files.push(("big/spygen.toml".into(), "name = \"big\"\nsources = [\"src/**/*.c\"]\n".into()));
    files.push(("main.c".into(), "int g449(void);\nint main(void) { return g449() == 449 ? 0 : 1; }\n".into()));
    files.push((
        "spy.toml".into(),
        "[spygen]\ntargets = [\"native\"]\nbuild-types = [\"debug\"]\n\n[[spygen.program]]\nname = \"app\"\nsources = [\"main.c\"]\ndeps = [\"big\"]\n".into(),
    ));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    write_files(dir.path(), &files);
    run_ok(spygen().args(["gen", "-q", "--format", "all"]).arg(dir.path()));
    let build = dir.path().join("build-spygen");
    let ninja = std::fs::read_to_string(build.join("build.ninja")).unwrap();
    let objects: usize = ninja.lines().find(|l| l.starts_with("build native/debug/big.a")).unwrap().len();
    assert!(objects > 128 * 1024, "the object list alone passes the limit: {objects} bytes");
    assert!(ninja.contains("build native/debug/big.a: ar-rsp.native"));
    build_with_ninja_then_make(&build, &build.join("native/debug/app"));
    let members = run_ok(std::process::Command::new("ar").arg("t").arg(build.join("native/debug/big.a")));
    assert_eq!(members.lines().count(), 450);
}

#[test]
fn an_unreadable_module_directory_or_a_spy_toml_that_is_a_directory_is_named_as_such() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    write_module_project(dir.path(), "");
    let module = dir.path().join("m");
    std::fs::set_permissions(&module, std::fs::Permissions::from_mode(0o000)).unwrap();
    let (code, _, err) = run(spygen_without_read_override().args(["gen", "--target", "native"]).arg(dir.path()));
    std::fs::set_permissions(&module, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot read") && err.contains("m/spygen.toml: Permission denied"), "{err}");
    assert!(!err.contains("has no spygen.toml"), "{err}");

    std::fs::remove_file(dir.path().join("spy.toml")).unwrap();
    std::fs::create_dir(dir.path().join("spy.toml")).unwrap();
    let (code, _, err) = run(spygen().args(["gen", "--target", "native"]).arg(dir.path()));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("spy.toml is a directory, not a project manifest"), "{err}");
}

#[test]
fn the_regeneration_command_repeats_the_generation_exactly_whatever_options_made_it() {
    let dir = tempfile::tempdir().unwrap();
    write_app_project(dir.path());
    let extra = dir.path().join("x");
    write_files(&extra, &[("spygen.toml", "name = \"x\"\nsources = [\"x.c\"]\n"), ("x.c", "int x;\n")]);
    let tc = dir.path().join("tc");
    write_mytarget(&tc);
    let build = dir.path().join("out dir");
    let variants: [&[&str]; 2] = [
        &["--format", "all", "--compdb-config", "native-release", "--warning-as-error", "--link-jobs", "3"],
        &["--format", "make", "--no-compdb", "--build-type", "debug", "--launcher", "native=env", "--env", "CC=gcc"],
    ];
    for options in variants {
        let mut cmd = spygen();
        cmd.arg("--toolchain-dir").arg(&tc).args(["gen", "-q", "--target", "native"]).args(options);
        cmd.arg("--build-dir").arg(&build).arg("--extra-vm-module").arg(&extra).arg(dir.path());
        run_ok(cmd.env("SPYGEN_LAUNCHER", "wasi=none").env("PKG_CONFIG_PATH", "/opt/pc"));
        // The command the build files hold, run where ninja and make run it, in another
        // environment: it finds nothing to do, because it asks for exactly the same generation.
        let text =
            std::fs::read_to_string(build.join(if options[1] == "make" { "Makefile" } else { "build.ninja" })).unwrap();
        let line = text.lines().find(|l| l.contains(" --regen")).unwrap();
        let words = shlex::split(line.split_once(" gen ").unwrap().1).unwrap();
        assert!(words.contains(&"--env".to_string()) && words.contains(&"PKG_CONFIG_PATH=/opt/pc".to_string()));
        let mut regen = spygen();
        regen.arg("gen").args(words.iter().filter(|w| *w != "--regen")).current_dir(&build);
        let out = run_ok(regen.env("CC", "clang").env("SPY_WERROR", "0").env_remove("PKG_CONFIG_PATH"));
        assert!(out.contains("no input changed"), "{options:?}: {line}\n{out}");
    }
}

#[test]
fn a_wasm_bundle_of_archives_past_the_command_line_limit_is_built_by_ninja_and_make() {
    if !require_ninja_and_make() || !require_target("wasi") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // 150 modules of 100-character names, each exporting a function of a 200-character name:
    // the bundle's arguments are 49 KB.
    let name = |i: usize| format!("m{i:03}_{}", "n".repeat(96));
    let function = |i: usize| format!("spy_f{i:03}_{}", "e".repeat(191));
    let mut files: Vec<(String, String)> = Vec::new();
    for i in 0..150 {
        let manifest = format!("name = \"{}\"\nsources = [\"a.c\"]\nexports = [\"{}\"]\n", name(i), function(i));
        files.push((format!("{}/spygen.toml", name(i)), manifest));
        files.push((format!("{}/a.c", name(i)), format!("int {}(void) {{ return {i}; }}\n", function(i))));
    }
    let deps: Vec<String> = (0..150).map(|i| format!("\"{}\"", name(i))).collect();
    files.push((
        "spy.toml".into(),
        format!(
            "[spygen]\ntargets = [\"wasi\"]\nbuild-types = [\"debug\"]\n\n[[spygen.program]]\nname = \"everything\"\nkind = \"wasm-bundle\"\ndeps = [{}]\n",
            deps.join(", ")
        ),
    ));
    let files: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    write_files(dir.path(), &files);
    run_ok(spygen().args(["gen", "-q", "--format", "all"]).arg(dir.path()));
    let build = dir.path().join("build-spygen");
    let ninja = std::fs::read_to_string(build.join("build.ninja")).unwrap();
    assert!(ninja.contains("build wasi/debug/everything.wasm: bundle-rsp "), "the bundle goes through a response file");
    run_ok(std::process::Command::new("ninja").arg("-C").arg(&build).arg("-j2"));
    let bundle = build.join("wasi/debug/everything.wasm");
    let bytes = std::fs::read(&bundle).unwrap();
    assert_eq!(&bytes[..4], b"\0asm");
    // make, for the bundle alone (the archives ninja built are up to date for it too).
    std::fs::remove_file(&bundle).unwrap();
    let out = run_ok(std::process::Command::new("make").arg("-C").arg(&build).arg("wasi/debug/everything.wasm"));
    assert!(out.contains("BUNDLE wasi/debug/everything.wasm") && !out.contains("CC "), "{out}");
    assert_eq!(std::fs::read(&bundle).unwrap(), bytes);
}

#[test]
fn a_unit_name_too_long_to_become_a_file_name_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write_module_project(dir.path(), "");
    let long = "m".repeat(129);
    std::fs::write(dir.path().join("m/spygen.toml"), format!("name = \"{long}\"\nsources = [\"a.c\"]\n")).unwrap();
    let (code, _, err) = run(spygen().args(["gen", "--target", "native"]).arg(dir.path()));
    assert_eq!(code, 1);
    assert!(err.contains("m/spygen.toml:1:8:") && err.contains("use up to 128 letters"), "{err}");
}

#[test]
fn a_pkg_config_prefix_with_a_space_reaches_the_compiler_and_the_linker_as_one_word() {
    if !require_program("ninja", "apt-get install ninja-build")
        || !require_program("pkg-config", "apt-get install pkg-config")
        || !require_target("native")
    {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("opt dir");
    write_files(
        &prefix,
        &[
            ("include/zz.h", "int zz_answer(void);\n"),
            ("src/zz.c", "int zz_answer(void) { return 42; }\n"),
            (
                "lib/pkgconfig/zz.pc",
                // A space in a .pc file's path is escaped, and pkg-config prints it so.
                &format!(
                    "prefix={}\nName: zz\nDescription: test\nVersion: 1\nCflags: -I${{prefix}}/include\nLibs: -L${{prefix}}/lib -lzz\n",
                    prefix.display().to_string().replace(' ', "\\ ")
                ),
            ),
        ],
    );
    run_ok(std::process::Command::new("cc").args(["-c", "src/zz.c", "-o", "zz.o"]).current_dir(&prefix));
    run_ok(std::process::Command::new("ar").args(["rcs", "lib/libzz.a", "zz.o"]).current_dir(&prefix));
    write_app_project(dir.path());
    std::fs::write(
        dir.path().join("m/spygen.toml"),
        "name = \"m\"\nsources = [\"a.c\"]\n[[system-lib]]\npkg-config = \"zz\"\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("m/a.c"), "#include <zz.h>\nint a(void) { return zz_answer(); }\n").unwrap();
    let pc_path = prefix.join("lib/pkgconfig");
    let (code, _, err) = run(spygen().args(["gen", "-q"]).arg(dir.path()).env("PKG_CONFIG_PATH", &pc_path));
    assert_eq!((code, err.as_str()), (0, ""), "pkg-config knows zz");
    let ninja = std::fs::read_to_string(dir.path().join("build-spygen/build.ninja")).unwrap();
    let word = format!("'-I{}/include'", prefix.display());
    assert!(ninja.contains(&word), "one word: {word}\n{ninja}");
    // ninja's regeneration asks pkg-config with the PKG_CONFIG_PATH of the generation.
    std::fs::write(
        dir.path().join("m/spygen.toml"),
        "name = \"m\"\nsources = [\"a.c\"]\ndefines = [\"EDITED\"]\n[[system-lib]]\npkg-config = \"zz\"\n",
    )
    .unwrap();
    let out = run_ok(
        std::process::Command::new("ninja")
            .arg("-C")
            .arg(dir.path().join("build-spygen"))
            .env_remove("PKG_CONFIG_PATH"),
    );
    assert!(out.contains("REGEN build.ninja") && !out.contains("warning"), "{out}");
    assert_eq!(run_ok(&mut std::process::Command::new(dir.path().join("build-spygen/native/debug/app"))), "42\n");
}
