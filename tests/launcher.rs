//! Compiler launchers (`spygen gen --launcher`) with the real tools and the demo project: ccache
//! serves a clean rebuild entirely from its cache, spygen's compiles and the vendored library's
//! (its own Makefile, through spygen.mk) alike; distcc sends every compile to a distccd on the
//! loopback; depfiles and incremental rebuilds are the same with a launcher as without; the
//! `TARGET=CMD`, `none` and `$SPYGEN_LAUNCHER` forms; a launcher that is not installed is an
//! error when generating; ninja's link pool keeps links apart while compiles run side by side.

mod common;

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// What encdemo prints for `hello`.
const ENCDEMO_HELLO: &str = "base64 hello aGVsbG8=\nbase32 hello NBSWY3DP\ncrc32 hello 3610a686\n";

/// A private copy of the examples, and where the demo builds.
struct Demo {
    /// Holds the copy.
    _tmp: tempfile::TempDir,
    /// The copy of `examples/`.
    examples: PathBuf,
    /// The demo project (`spy.toml`).
    project: PathBuf,
    /// spygen's build directory.
    build: PathBuf,
    /// The vendored library, built by its own Makefile into the build dir's
    /// `<target>/<build type>/foreign/tinyenc/`.
    tinyenc: PathBuf,
}

impl Demo {
    fn new() -> Demo {
        let (tmp, examples) = examples_copy();
        let project = examples.join("out-of-tree/demo");
        Demo {
            _tmp: tmp,
            build: project.join("build"),
            tinyenc: examples.join("out-of-tree/vendor/tinyenc"),
            project,
            examples,
        }
    }

    /// `spygen gen` for the native target with `build_types`, then `args` (`--launcher ...`).
    fn gen_command(&self, build_types: &[&str], args: &[&str]) -> Command {
        let mut cmd = spygen();
        cmd.env_remove("SPYGEN_LAUNCHER").args(["gen", "-q", "--target", "native"]).arg(&self.project);
        for build_type in build_types {
            cmd.args(["--build-type", build_type]);
        }
        cmd.args(args);
        cmd
    }

    fn generate(&self, build_types: &[&str], args: &[&str]) {
        run_ok(&mut self.gen_command(build_types, args));
    }

    fn build_ninja(&self) -> String {
        std::fs::read_to_string(self.build.join("build.ninja")).unwrap()
    }

    /// Removes every build output: spygen's build directory, the vendored library's included.
    fn remove_outputs(&self) {
        if self.build.exists() {
            std::fs::remove_dir_all(&self.build).unwrap();
        }
    }

    /// `ninja -C build ARGS`, without the caller's `SPYGEN_LAUNCHER` (regeneration must not see it).
    fn ninja(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("ninja");
        cmd.env_remove("SPYGEN_LAUNCHER").arg("-C").arg(&self.build).args(args);
        cmd
    }

    /// Runs a full build from nothing (after `remove_outputs`) and returns how many compiles it
    /// ran: one per object file, spygen's (each one a `CC` line of ninja) and the vendored
    /// library's (its Makefile runs silently, once per configuration).
    fn build_from_scratch(&self, ninja: &mut Command, build_types: &[&str]) -> usize {
        let out = run_ok(ninja);
        let (theirs, ours): (Vec<PathBuf>, Vec<PathBuf>) = files_ending(&self.build.join("native"), ".o")
            .into_iter()
            .partition(|p| p.to_string_lossy().contains("/foreign/tinyenc/"));
        let (ours, theirs) = (ours.len(), theirs.len());
        let cc_lines = out.lines().filter(|l| l.contains("] CC ")).count();
        assert_eq!(cc_lines, ours, "one CC step per object:\n{out}");
        let sources = files_ending(&self.tinyenc.join("src"), ".c").len();
        assert_eq!(
            theirs,
            sources * build_types.len(),
            "the vendored library compiled each source once per build type"
        );
        ours + theirs
    }

    /// Checks that the native programs of `build_type` run and print what they should.
    fn check_programs(&self, build_type: &str) {
        let dir = self.build.join("native").join(build_type);
        let vectors = run_ok(&mut Command::new(dir.join("tinyenc_vectors")));
        assert_eq!(vectors.trim(), "ok 18 vectors", "native/{build_type}");
        let encdemo = run_ok(Command::new(dir.join("encdemo")).arg("hello"));
        assert_eq!(encdemo, ENCDEMO_HELLO, "native/{build_type}");
    }
}

/// The files under `dir` whose names end with `suffix`, recursively, sorted.
fn files_ending(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// Removes from `cmd`'s environment every variable of the caller whose name starts with `prefix`.
fn clear_env_prefix(cmd: &mut Command, prefix: &str) {
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with(prefix) {
            cmd.env_remove(&name);
        }
    }
}

/// ccache with its own cache and configuration in a directory of the test, whatever the
/// caller's ccache settings are.
struct Ccache {
    /// Holds the cache and the (empty) configuration file.
    dir: tempfile::TempDir,
}

/// ccache's counters that the tests look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CcacheStats {
    /// Results served from the cache, in direct or preprocessor mode.
    hits: u64,
    /// Compiles that ran the compiler and stored their result.
    misses: u64,
}

impl Ccache {
    fn new() -> Ccache {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ccache.conf"), "").unwrap();
        Ccache { dir }
    }

    /// Points `cmd` (and the ccache it runs) at this cache.
    fn apply<'a>(&self, cmd: &'a mut Command) -> &'a mut Command {
        clear_env_prefix(cmd, "CCACHE_");
        cmd.env("CCACHE_DIR", self.dir.path().join("cache"))
            .env("CCACHE_CONFIGPATH", self.dir.path().join("ccache.conf"))
    }

    fn stats(&self) -> CcacheStats {
        let out = run_ok(self.apply(Command::new("ccache").arg("--print-stats")));
        let counters: BTreeMap<&str, u64> = out
            .lines()
            .filter_map(|l| l.split_once('\t'))
            .map(|(key, value)| (key, value.trim().parse().unwrap_or(0)))
            .collect();
        let get =
            |key: &str| *counters.get(key).unwrap_or_else(|| panic!("no `{key}` in ccache --print-stats:\n{out}"));
        CcacheStats { hits: get("direct_cache_hit") + get("preprocessed_cache_hit"), misses: get("cache_miss") }
    }
}

/// With `--launcher ccache`, build.ninja puts ccache before each compile (never before an
/// archive or a link), and the vendored library's Makefile uses it too: after removing every
/// output, a rebuild in the same place is served entirely from the cache (one hit per compile,
/// no miss), and the programs linked from the cached objects work.
#[test]
fn ccache_serves_a_clean_rebuild_from_its_cache() {
    if !(require_program("ninja", "apt-get install ninja-build")
        && require_program("ccache", "apt-get install ccache")
        && require_target("native"))
    {
        return;
    }
    let demo = Demo::new();
    let ccache = Ccache::new();
    let build_types = ["debug", "release"];
    demo.generate(&build_types, &["--launcher", "ccache"]);

    let text = demo.build_ninja();
    assert!(text.lines().any(|l| l == format!("launcher.native = {}", program_path("ccache"))), "{text}");
    let commands: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("  command = ")).collect();
    let compiles: Vec<&&str> = commands.iter().filter(|c| c.contains(" -c $in")).collect();
    assert!(!compiles.is_empty(), "{text}");
    // Compile rules spell the launcher and the compiler out.
    let cc = text.lines().find_map(|l| l.strip_prefix("cc.native = ")).expect("the native compiler");
    for command in compiles {
        let start = format!("PWD=/proc/self/cwd {} {cc} -MMD -MF $out.d ", program_path("ccache"));
        assert!(command.starts_with(&start), "{command}");
    }
    for command in commands.iter().filter(|c| c.contains("${ar.native}") || c.contains("$ldflags")) {
        assert!(!command.contains("launcher"), "archives and links run without the launcher: {command}");
    }

    // A cold cache: every compile, spygen's and the vendored library's, is a miss.
    let compiled = demo.build_from_scratch(ccache.apply(&mut demo.ninja(&[])), &build_types);
    let cold = ccache.stats();
    assert_eq!(cold, CcacheStats { hits: 0, misses: compiled as u64 }, "every compile went through ccache");

    // The same project in the same place, from nothing: every compile is a hit.
    demo.remove_outputs();
    demo.generate(&build_types, &["--launcher", "ccache"]);
    let recompiled = demo.build_from_scratch(ccache.apply(&mut demo.ninja(&[])), &build_types);
    assert_eq!(recompiled, compiled);
    let warm = ccache.stats();
    assert_eq!(warm.misses, cold.misses, "no new miss: {warm:?} after {cold:?}");
    assert_eq!(warm.hits - cold.hits, recompiled as u64, "one hit per compile: {warm:?} after {cold:?}");
    assert!(warm.hits > 0);
    for build_type in build_types {
        demo.check_programs(build_type);
    }
}

/// A distccd for one test, listening on the loopback only; it and its workers are stopped
/// when it is dropped, also when the test fails.
struct Distccd {
    /// The daemon, leader of its own process group (its workers are in it).
    child: Child,
    /// Its TCP port on 127.0.0.1.
    port: u16,
    /// Its log (its stderr): one `COMPILE_OK` summary line per successful job.
    log: PathBuf,
}

impl Distccd {
    /// Starts distccd on a free port of 127.0.0.1, serving 127.0.0.1 only, logging into `dir`.
    ///
    /// Run by root, distccd switches to an unprivileged user: `--user nobody` makes that user the
    /// same on every machine. The log goes to stderr, a file the test opens (so that user needs
    /// no write access to the test's directories), and compiles run in /tmp, which every user
    /// can write (the caller's TMPDIR may be private). The compilers it runs must be listed in
    /// /usr/lib/distcc, which Debian's distcc package fills for the installed gcc and clang.
    fn start(dir: &Path) -> Distccd {
        // Bound then released: another process could take it in between, which is unlikely.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let log = dir.join("distccd.log");
        let stderr = std::fs::File::create(&log).unwrap();
        let child = Command::new("distccd")
            .args(["--daemon", "--no-detach", "--user", "nobody", "--listen", "127.0.0.1", "--allow", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--jobs", "4", "--log-stderr", "--log-level", "info"])
            .env("TMPDIR", "/tmp")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .process_group(0)
            .spawn()
            .expect("spawn distccd");
        let mut daemon = Distccd { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(20);
        while !daemon.log().contains("daemon started") {
            if let Some(status) = daemon.child.try_wait().unwrap() {
                panic!("distccd exited ({status}) before it started:\n{}", daemon.log());
            }
            assert!(Instant::now() < deadline, "distccd did not start in time:\n{}", daemon.log());
            std::thread::sleep(Duration::from_millis(50));
        }
        daemon
    }

    fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap()).into_owned()
    }

    /// Points the distcc client that `cmd` runs at this daemon only. A job it cannot send is an
    /// error, not a silent local compile (`DISTCC_FALLBACK=0`), a failed remote compile is not
    /// retried locally, no earlier failure keeps the host out (no backoff, a private state
    /// directory).
    fn client<'a>(&self, cmd: &'a mut Command, state: &Path) -> &'a mut Command {
        clear_env_prefix(cmd, "DISTCC_");
        std::fs::create_dir_all(state).unwrap();
        cmd.env("DISTCC_HOSTS", format!("127.0.0.1:{}", self.port))
            .env("DISTCC_FALLBACK", "0")
            .env("DISTCC_SKIP_LOCAL_RETRY", "1")
            .env("DISTCC_BACKOFF_PERIOD", "0")
            .env("DISTCC_DIR", state)
    }

    /// The daemon's per-job summaries: (succeeded, source file as the client named it).
    fn jobs(&self) -> Vec<(bool, String)> {
        self.log()
            .lines()
            .filter(|l| l.contains("(dcc_job_summary)"))
            .map(|l| (l.contains(" COMPILE_OK "), l.split_whitespace().last().unwrap_or_default().to_string()))
            .collect()
    }
}

impl Drop for Distccd {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let signal = |name: &str| {
            Command::new("kill").args([name, "--", &group]).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
        };
        if !signal("-TERM") {
            let _ = self.child.kill();
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        if matches!(self.child.try_wait(), Ok(None)) {
            signal("-KILL");
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// With `--launcher distcc`, every compile of the demo (spygen's and the vendored library's)
/// is sent to the distccd named by DISTCC_HOSTS, here one on 127.0.0.1, which compiles each one
/// successfully; the programs linked from its objects work. Debug only: distcc compiles `-flto`
/// jobs (the release flags) locally by design, whatever it is told.
#[test]
fn distcc_sends_every_compile_to_distccd() {
    if !(require_program("ninja", "apt-get install ninja-build")
        && require_program("distcc", "apt-get install distcc")
        && require_program("distccd", "apt-get install distcc")
        && require_target("native"))
    {
        return;
    }
    let demo = Demo::new();
    let tmp = tempfile::tempdir().unwrap();
    let daemon = Distccd::start(tmp.path());
    demo.generate(&["debug"], &["--launcher", "distcc"]);
    assert!(demo.build_ninja().lines().any(|l| l == format!("launcher.native = {}", program_path("distcc"))));

    let mut ninja = demo.ninja(&["-j", "4"]);
    daemon.client(&mut ninja, &tmp.path().join("distcc-state"));
    let (code, out, err) = run(&mut ninja);
    assert_eq!(code, 0, "the build failed:\n{out}\n{err}\ndistccd's log:\n{}", daemon.log());

    // The sources the daemon compiled, as the compile commands name them: spygen's (run from
    // the build directory) and the vendored library's (its Makefile runs from its own
    // directory), every one as compile_commands.json names it.
    let compdb: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo.build.join("compile_commands.json")).unwrap()).unwrap();
    let entries = compdb.as_array().unwrap();
    let ours = entries.iter().filter(|e| Path::new(e["directory"].as_str().unwrap()) == demo.build).count();
    assert_eq!(ours, out.lines().filter(|l| l.contains("] CC ")).count(), "{out}");
    let mut expected: Vec<String> = entries.iter().map(|e| e["file"].as_str().unwrap().to_string()).collect();
    for source in files_ending(&demo.tinyenc.join("src"), ".c") {
        let file = format!("src/{}", source.file_name().unwrap().to_string_lossy());
        assert!(expected.contains(&file), "compile_commands.json has the vendored {file}: {expected:?}");
    }
    expected.sort();
    let jobs = daemon.jobs();
    let hint = "(is the compiler listed in /usr/lib/distcc? `update-distcc-symlinks` adds it)";
    assert!(jobs.iter().all(|(ok, _)| *ok), "a job failed {hint}:\n{}", daemon.log());
    let mut compiled: Vec<String> = jobs.into_iter().map(|(_, source)| source).collect();
    compiled.sort();
    assert_eq!(compiled, expected, "distccd compiled each source once {hint}:\n{}", daemon.log());
    demo.check_programs("debug");
}

/// The depfiles (`-MMD`) the compiles leave, spygen's and the vendored library's, every one as
/// path (under `examples/`) → content; `ninja -d keepdepfile` keeps spygen's.
fn depfiles(demo: &Demo) -> BTreeMap<String, Vec<u8>> {
    files_ending(&demo.build, ".d")
        .into_iter()
        .map(|p| (p.strip_prefix(&demo.examples).unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect()
}

/// The dependencies ninja recorded from the depfiles (`ninja -t deps`), per object (in the
/// order the compiles finished, which varies), without the mtimes.
fn recorded_deps(demo: &Demo) -> BTreeMap<String, Vec<String>> {
    let out = run_ok(&mut demo.ninja(&["-t", "deps"]));
    let mut deps = BTreeMap::new();
    for block in out.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut lines = block.lines();
        let object = lines.next().unwrap().split(": #deps").next().unwrap().to_string();
        deps.insert(object, lines.map(|l| l.trim().to_string()).collect());
    }
    deps
}

/// A launcher leaves the compiler's depfiles as they are: ccache, running each compile (cold
/// cache) or replaying it (warm), writes byte for byte the depfiles the compiler alone writes,
/// so ninja records the same dependencies and touching a header rebuilds exactly the objects
/// that include it.
#[test]
fn depfiles_and_incremental_rebuilds_are_the_same_through_a_launcher() {
    if !(require_program("ninja", "apt-get install ninja-build")
        && require_program("ccache", "apt-get install ccache")
        && require_target("native"))
    {
        return;
    }
    let demo = Demo::new();
    let ccache = Ccache::new();
    let debug = ["debug"];
    let keep = ["-d", "keepdepfile"];

    demo.generate(&debug, &[]);
    assert_eq!(native_launcher(&demo), None);
    demo.build_from_scratch(&mut demo.ninja(&keep), &debug);
    let plain = depfiles(&demo);
    let plain_deps = recorded_deps(&demo);
    assert!(plain.keys().any(|k| k.ends_with("runtime/src/alloc.o.d")), "{:?}", plain.keys());
    assert!(plain.keys().any(|k| k.contains("/native/debug/foreign/tinyenc/obj/")), "{:?}", plain.keys());
    assert!(plain_deps.values().flatten().any(|d| d.ends_with("runtime_internal.h")), "{plain_deps:?}");

    for (round, cache) in ["cold", "warm"].into_iter().enumerate() {
        demo.remove_outputs();
        demo.generate(&debug, &["--launcher", "ccache"]);
        let before = ccache.stats();
        let compiled = demo.build_from_scratch(ccache.apply(&mut demo.ninja(&keep)), &debug);
        let after = ccache.stats();
        let expected = if round == 0 {
            CcacheStats { hits: before.hits, misses: before.misses + compiled as u64 }
        } else {
            CcacheStats { hits: before.hits + compiled as u64, misses: before.misses }
        };
        assert_eq!(after, expected, "{cache} cache");
        let through_ccache = depfiles(&demo);
        assert_eq!(
            through_ccache.keys().collect::<Vec<_>>(),
            plain.keys().collect::<Vec<_>>(),
            "the same depfiles ({cache} cache)"
        );
        for (path, content) in &plain {
            assert!(
                through_ccache[path] == *content,
                "{path} ({cache} cache):\n{}\nwithout a launcher:\n{}",
                String::from_utf8_lossy(&through_ccache[path]),
                String::from_utf8_lossy(content)
            );
        }
        assert_eq!(recorded_deps(&demo), plain_deps, "{cache} cache");
    }

    // The runtime's private header: exactly the objects including it rebuild (through ccache).
    let src_dir = demo.examples.join("runtime/src");
    let mut includers: Vec<String> = files_ending(&src_dir, ".c")
        .into_iter()
        .filter(|p| std::fs::read_to_string(p).unwrap().contains("runtime_internal.h"))
        .map(|p| format!("native/debug/obj/runtime/src/{}.o", p.file_stem().unwrap().to_string_lossy()))
        .collect();
    assert!(!includers.is_empty());
    includers.sort();
    touch(&src_dir.join("runtime_internal.h"));
    let out = run_ok(ccache.apply(&mut demo.ninja(&[])));
    let mut rebuilt: Vec<&str> = out.lines().filter_map(|l| l.split("] CC ").nth(1)).collect();
    rebuilt.sort();
    assert_eq!(rebuilt, includers, "{out}");
    assert!(run_ok(&mut demo.ninja(&[])).contains("no work to do"));
    demo.check_programs("debug");
}

/// The launcher line of build.ninja for the native target, if any.
fn native_launcher(demo: &Demo) -> Option<String> {
    demo.build_ninja().lines().find_map(|l| l.strip_prefix("launcher.native = ").map(str::to_string))
}

/// The forms of the setting: `TARGET=CMD` sets one target's launcher and `TARGET=none` takes it
/// away, over a launcher for every target; `$SPYGEN_LAUNCHER` is read too (`--launcher` wins at
/// the same level of detail, the variable fills the targets `--launcher` does not name) and
/// kept when ninja regenerates build.ninja without it; a command of several words runs as
/// those words.
#[test]
fn launcher_per_target_none_environment_and_words() {
    if !(require_program("ninja", "apt-get install ninja-build")
        && require_program("ccache", "apt-get install ccache")
        && require_target("native"))
    {
        return;
    }
    let demo = Demo::new();
    let debug = ["debug"];

    demo.generate(&debug, &["--launcher", "native=ccache"]);
    assert_eq!(native_launcher(&demo).as_deref(), Some(program_path("ccache").as_str()));
    demo.generate(&debug, &["--launcher", "wasi=ccache"]);
    assert_eq!(native_launcher(&demo), None, "another target's launcher");
    demo.generate(&debug, &["--launcher", "ccache", "--launcher", "native=none"]);
    assert_eq!(native_launcher(&demo), None, "`none` for this target wins over every target's");
    let ccache = program_path("ccache");
    assert!(!demo.build_ninja().lines().any(|l| l.starts_with("  command = ") && l.contains(&ccache)));
    demo.generate(&debug, &["--launcher", "native=none", "--launcher", "ccache"]);
    assert_eq!(native_launcher(&demo), None, "whatever the order");

    // The environment variable; --launcher wins over it for the targets it names.
    run_ok(demo.gen_command(&debug, &[]).env("SPYGEN_LAUNCHER", "ccache"));
    assert_eq!(native_launcher(&demo).as_deref(), Some(program_path("ccache").as_str()));
    // Ninja re-runs spygen (a manifest changed) without the variable: the launcher stays.
    touch(&demo.project.join("spy.toml"));
    let out = run_ok(&mut demo.ninja(&["build.ninja"]));
    assert!(out.contains("REGEN build.ninja"), "{out}");
    assert_eq!(native_launcher(&demo).as_deref(), Some(program_path("ccache").as_str()), "after regeneration");
    run_ok(demo.gen_command(&debug, &["--launcher", "native=none"]).env("SPYGEN_LAUNCHER", "ccache"));
    assert_eq!(native_launcher(&demo), None, "--launcher over $SPYGEN_LAUNCHER");
    run_ok(demo.gen_command(&debug, &[]).env("SPYGEN_LAUNCHER", "native=ccache"));
    assert_eq!(native_launcher(&demo).as_deref(), Some(program_path("ccache").as_str()), "TARGET=CMD in the variable");
    run_ok(demo.gen_command(&debug, &["--launcher", "wasi=none"]).env("SPYGEN_LAUNCHER", "ccache"));
    assert_eq!(
        native_launcher(&demo).as_deref(),
        Some(program_path("ccache").as_str()),
        "the variable fills the targets --launcher leaves"
    );

    // Several words: the launcher's own arguments go with it (`env` runs the compile with one
    // more variable), and the compile works.
    demo.generate(&debug, &["--launcher", "env SPYGEN_TEST_LAUNCHER=1"]);
    let launcher = native_launcher(&demo).unwrap();
    let env = program_path("env");
    assert_eq!(launcher.split_whitespace().collect::<Vec<_>>(), [env.as_str(), "SPYGEN_TEST_LAUNCHER=1"], "{launcher}");
    let out = run_ok(&mut demo.ninja(&["-v", "native/debug/obj/runtime/src/alloc.o"]));
    assert!(out.contains(&format!("{env} SPYGEN_TEST_LAUNCHER=1 ")), "{out}");
    assert!(demo.build.join("native/debug/obj/runtime/src/alloc.o").is_file(), "{out}");
}

/// A launcher that is not installed is an error when generating, not when building: spygen
/// exits non-zero naming it and writes no build.ninja.
#[test]
fn an_unknown_launcher_is_an_error_at_generation() {
    if !require_target("native") {
        return;
    }
    let demo = Demo::new();
    let (code, out, err) = run(&mut demo.gen_command(&["debug"], &["--launcher", "no-such-launcher-xyz"]));
    assert_eq!(code, 2, "a usage error\nstdout:\n{out}\nstderr:\n{err}");
    assert!(err.contains("no-such-launcher-xyz"), "{err}");
    assert!(!demo.build.join("build.ninja").exists());

    // The same from the environment, and for one target.
    let (code, _, err) = run(demo.gen_command(&["debug"], &[]).env("SPYGEN_LAUNCHER", "native=no-such-launcher-xyz"));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no-such-launcher-xyz"), "{err}");
    assert!(!demo.build.join("build.ninja").exists());
}

/// The [start, end) times of the outputs `is_link` selects in ninja's log of `build`, in ms.
fn link_intervals(build: &Path, is_link: impl Fn(&str) -> bool) -> Vec<(u64, u64)> {
    let log = std::fs::read_to_string(build.join(".ninja_log")).unwrap();
    log.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f.len() == 5 && is_link(f[3])).then(|| (f[0].parse().unwrap(), f[1].parse().unwrap()))
        })
        .collect()
}

fn overlapping(intervals: &[(u64, u64)]) -> bool {
    let mut v = intervals.to_vec();
    v.sort();
    v.windows(2).any(|w| w[1].0 < w[0].1)
}

/// ninja's `link` pool: with `--link-jobs 1`, six programs link one after the other under
/// `ninja -j 6` while their compiles run side by side; with `--link-jobs 3` links overlap.
/// The compiler is a wrapper 300 ms slower than cc, so that overlaps cannot be missed.
#[test]
fn the_link_pool_runs_one_link_at_a_time() {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().canonicalize().unwrap();
    let slow_cc = root.join("slow-cc");
    std::fs::write(
        &slow_cc,
        "#!/bin/sh\n# cc, 300 ms slower: long enough for overlapping steps to show in ninja's log.\nsleep 0.3\nexec cc \"$@\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&slow_cc, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut files: Vec<(String, String)> = vec![(
        "p/spy.toml".into(),
        "[spygen]\ntargets = [\"native\"]\nbuild-types = [\"debug\"]\n".to_string()
            + &(0..6)
                .map(|i| format!("[[spygen.program]]\nname = \"prog{i}\"\nsources = [\"../prog{i}.c\"]\n"))
                .collect::<String>(),
    )];
    for i in 0..6 {
        files.push((format!("prog{i}.c"), format!("int main(void) {{ return {i} - {i}; }}\n")));
    }
    let refs: Vec<(&str, &str)> = files.iter().map(|(p, c)| (p.as_str(), c.as_str())).collect();
    write_files(&root, &refs);
    let build = root.join("p/build-spygen");
    let is_link = |out: &str| out.starts_with("native/debug/prog") && !out.ends_with(".o");

    for (jobs, serial) in [("1", true), ("3", false)] {
        if build.exists() {
            std::fs::remove_dir_all(&build).unwrap();
        }
        run_ok(
            spygen().args(["gen", "-q", "--no-compdb", "--link-jobs", jobs]).arg(root.join("p")).env("CC", &slow_cc),
        );
        run_ok(Command::new("ninja").arg("-C").arg(&build).args(["-j", "6"]).env_remove("SPYGEN_LAUNCHER"));
        let links = link_intervals(&build, is_link);
        assert_eq!(links.len(), 6, "six links in the log");
        let compiles = link_intervals(&build, |out| out.ends_with(".o"));
        assert!(overlapping(&compiles), "compiles run side by side: {compiles:?}");
        assert_eq!(!overlapping(&links), serial, "--link-jobs {jobs}: {links:?}");
    }
    for i in 0..6 {
        run_ok(&mut Command::new(build.join(format!("native/debug/prog{i}"))));
    }
}
