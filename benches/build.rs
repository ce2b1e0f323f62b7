//! Benchmark: building the demo's archives (the runtime, the glue modules, the vendored library
//! through its own Makefile) for every configuration whose toolchain is installed, cold (every
//! output removed) and with nothing to do, in three setups side by side in one run:
//!
//! - **spygen, pip's zig**: `spygen gen`, then ninja; with zig from `pip install ziglang`, build
//!   files run the zig binary inside the package.
//! - **spygen, zig on PATH**: the same with a `zig` on PATH (a link to that binary).
//! - **Makefiles**: the way SPy's hand-written Makefiles build them: one `make` per
//!   configuration for the runtime and glue and one for the vendored library, each asking a
//!   Python flags helper three times (`--cc`, `--ar`, `--cflags`), compiling through
//!   `python3 -m ziglang cc` on the zig targets. The helper and the Makefile are written here,
//!   from the flags spygen plans, so both sides compile the same files with the same flags.
//!
//!     cargo bench --bench build            # 3 cold and 5 no-op builds per setup, medians
//!
//! Under `cargo test --benches` it runs once, on native only, as a smoke test.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/exe.rs"]
mod exe;
use exe::EXE;

fn run(cmd: &mut Command) -> String {
    let out = cmd.stderr(Stdio::inherit()).output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed:\n{}", String::from_utf8_lossy(&out.stdout));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn timed(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let status = cmd.stdout(Stdio::null()).stderr(Stdio::null()).status().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let elapsed = start.elapsed();
    assert!(status.success(), "{cmd:?} failed");
    elapsed
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "build" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// One configuration's archives: the spygen outputs (build-dir relative, for ninja) and what
/// the Makefile way compiles for them.
struct Config {
    /// `wasi-debug`.
    name: String,
    /// The target.
    target: String,
    /// The build type.
    build_type: String,
    /// The archive and foreign-make outputs, as ninja names them.
    outputs: Vec<String>,
    /// Per archive (not the vendored library's): its path under the baseline's directory, and
    /// each compile's source and flags after the configuration's base flags.
    archives: Vec<(String, Vec<Compile>)>,
}

/// One compile of the Makefile way: the source (relative to spygen's build directory) and the
/// unit's flags that follow the configuration's base flags.
type Compile = (String, Vec<String>);

/// What ninja builds and the Makefile way compiles, from `spygen graph --format json` with
/// the build directory `build` (paths are relative to it).
fn configs(demo: &Path, build: &Path, targets: &[String]) -> Vec<Config> {
    let mut graph = Command::new(EXE.as_str());
    graph.args(["graph", "--format", "json", "--build-type", "debug", "--build-type", "release", "--build-dir"]);
    graph.arg(build);
    for t in targets {
        graph.args(["--target", t]);
    }
    let doc: serde_json::Value = serde_json::from_str(&run(graph.arg(demo))).unwrap();
    let files = doc["files"].as_array().unwrap();
    let path = |id: &serde_json::Value| files[id.as_u64().unwrap() as usize]["path"].as_str().unwrap().to_string();
    let actions = doc["actions"].as_array().unwrap();
    let mut out = Vec::new();
    for c in doc["configurations"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap().to_string();
        let (target, build_type) = (c["target"].as_str().unwrap(), c["build_type"].as_str().unwrap());
        let base: Vec<String> = run(Command::new(EXE.as_str()).args([
            "flags",
            "--target",
            target,
            "--build-type",
            build_type,
            "--cflags",
            "--runtime-root",
            "/nonexistent",
        ]))
        .split_whitespace()
        .take_while(|w| *w != "-I")
        .map(str::to_string)
        .collect();
        let mine = actions.iter().filter(|a| a["config"] == c["name"]);
        let mut outputs = Vec::new();
        let mut archives = Vec::new();
        for a in mine.clone().filter(|a| a["kind"] == "archive" || a["kind"] == "foreign-make") {
            outputs.push(path(&a["outputs"][0]));
            if a["kind"] != "archive" {
                continue;
            }
            let mut compiles = Vec::new();
            for object in a["inputs"].as_array().unwrap() {
                let compile = mine.clone().find(|c| c["outputs"][0] == *object).unwrap();
                let words: Vec<String> =
                    compile["command"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_string()).collect();
                // <tool...> -MMD -MF <d> <base> <unit flags> -c <src> -o <obj>
                let start = words.iter().position(|w| w == "-MMD").unwrap() + 3 + base.len();
                let end = words.iter().rposition(|w| w == "-c").unwrap();
                compiles.push((words[end + 1].clone(), words[start..end].to_vec()));
            }
            archives.push((path(&a["outputs"][0]), compiles));
        }
        out.push(Config { name, target: target.into(), build_type: build_type.into(), outputs, archives });
    }
    out
}

/// The Python flags helper of the Makefile way: SPy's `spy.build.flags` in miniature, its
/// tables filled from spygen's answers; CC of the zig targets is `python3 -m ziglang cc`.
fn write_helper(dir: &Path, configs: &[Config]) {
    let mut cc = String::new();
    let mut cflags = String::new();
    for c in configs {
        let tool = |what: &str| {
            run(Command::new(EXE.as_str()).args(["flags", "--target", &c.target, what])).trim().to_string()
        };
        let (compiler, archiver) = (tool("--cc"), tool("--ar"));
        let zig = compiler.contains("zig");
        let compiler = if zig { "python3 -m ziglang cc".to_string() } else { compiler };
        let archiver = if zig { "python3 -m ziglang ar".to_string() } else { archiver };
        let _ = writeln!(cc, "    {:?}: ({compiler:?}, {archiver:?}),", c.target);
        let flags = run(Command::new(EXE.as_str()).args([
            "flags",
            "--target",
            &c.target,
            "--build-type",
            &c.build_type,
            "--cflags",
            "--runtime-root",
            "/nonexistent",
        ]));
        let flags: Vec<&str> = flags.split_whitespace().take_while(|w| *w != "-I").collect();
        let _ = writeln!(cflags, "    ({:?}, {:?}): {:?},", c.target, c.build_type, flags.join(" "));
    }
    let script = format!(
        "import argparse\nTOOLS = {{\n{cc}}}\nCFLAGS = {{\n{cflags}}}\n\
         p = argparse.ArgumentParser()\np.add_argument('--target')\np.add_argument('--build-type', default='debug')\n\
         p.add_argument('--cc', action='store_true')\np.add_argument('--ar', action='store_true')\n\
         p.add_argument('--cflags', action='store_true')\na = p.parse_args()\n\
         if a.cc: print(TOOLS[a.target][0])\nif a.ar: print(TOOLS[a.target][1])\n\
         if a.cflags: print(CFLAGS[(a.target, a.build_type)])\n"
    );
    std::fs::write(dir.join("spyflags.py"), script).unwrap();
    // What a vendored Makefile and the archives' Makefile include: three helper calls.
    std::fs::write(
        dir.join("helper.mk"),
        format!(
            "HELPER := python3 {}\nCC := $(shell $(HELPER) --target $(TARGET) --cc)\nAR := $(shell $(HELPER) --target $(TARGET) --ar)\n\
             CFLAGS := $(shell $(HELPER) --target $(TARGET) --build-type $(BUILD_TYPE) --cflags)\n\
             LAUNCHER :=\nOBJ_SUFFIX := .o\nLIB_SUFFIX := .a\n",
            dir.join("spyflags.py").display()
        ),
    )
    .unwrap();
}

/// The Makefile of the runtime's and glue's archives, one block per configuration (make is run
/// once per configuration with TARGET and BUILD_TYPE, as SPy's Makefiles are).
fn write_makefile(dir: &Path, build: &Path, configs: &[Config]) {
    let mut mk = format!("include {}\n", dir.join("helper.mk").display());
    for c in configs {
        let _ = writeln!(mk, "ifeq ($(TARGET)-$(BUILD_TYPE),{})", c.name);
        let mut libs = Vec::new();
        for (archive, compiles) in &c.archives {
            let lib = format!("{}/base/{archive}", dir.display());
            let mut objects = Vec::new();
            for (i, (src, flags)) in compiles.iter().enumerate() {
                let obj = format!("{lib}.obj/{i}.o");
                // Include dirs are relative to spygen's build directory; make runs elsewhere.
                let flags: Vec<String> = flags
                    .iter()
                    .map(|f| match f.strip_prefix("-I") {
                        Some(dir) if !dir.starts_with('/') => format!("-I{}", build.join(dir).display()),
                        _ => f.clone(),
                    })
                    .collect();
                let _ = writeln!(
                    mk,
                    "{obj}: {}\n\t@mkdir -p $(@D)\n\t$(CC) $(CFLAGS) {} -MMD -MF $@.d -c $< -o $@",
                    build.join(src).display(),
                    flags.join(" ")
                );
                objects.push(obj);
            }
            let _ = writeln!(mk, "{lib}: {}\n\trm -f $@ && $(AR) rcs $@ $^", objects.join(" "));
            libs.push(lib);
        }
        let _ = writeln!(mk, "all: {}\nendif", libs.join(" "));
    }
    std::fs::write(dir.join("Makefile"), mk).unwrap();
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Whether zig from pip's ziglang is installed (`python3 -c 'import ziglang'`), and the path of
/// its binary.
fn pip_zig() -> Option<PathBuf> {
    let out = Command::new("python3")
        .args(["-c", "import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), 'zig'))"])
        .output()
        .ok()?;
    out.status.success().then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let (cold_runs, noop_runs) = if quick { (1, 1) } else { (3, 5) };
    let tmp = tempfile::tempdir().unwrap();
    let examples = tmp.path().join("examples");
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"), &examples);
    let demo = examples.join("out-of-tree/demo");
    let vendor_build = examples.join("out-of-tree/vendor/tinyenc/build");
    let toolchains: serde_json::Value =
        serde_json::from_str(&run(Command::new(EXE.as_str()).args(["toolchains", "--json"]))).unwrap();
    let mut targets: Vec<String> = toolchains
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["available"] == true)
        .map(|t| t["target"].as_str().unwrap().to_string())
        .collect();
    if quick {
        targets.retain(|t| t == "native");
    }
    let zig = pip_zig();
    // zig on PATH: a directory holding a link to pip's zig binary, first on PATH.
    let zig_dir = tmp.path().join("zig-on-path");
    std::fs::create_dir_all(&zig_dir).unwrap();
    if let Some(zig) = &zig {
        std::os::unix::fs::symlink(zig, zig_dir.join("zig")).unwrap();
    }
    let path_with_zig = format!("{}:{}", zig_dir.display(), std::env::var("PATH").unwrap_or_default());
    // Both spygen build directories are siblings: the paths in them are the same.
    let configs = configs(&demo, &tmp.path().join("build-pip"), &targets);
    let baseline = tmp.path().join("makefiles");
    std::fs::create_dir_all(&baseline).unwrap();
    write_helper(&baseline, &configs);

    // The two spygen setups, each in its own build directory.
    let setups: Vec<(&str, PathBuf, Option<&str>)> = vec![
        ("spygen + ninja, pip's zig", tmp.path().join("build-pip"), None),
        ("spygen + ninja, zig on PATH", tmp.path().join("build-path"), Some(path_with_zig.as_str())),
    ];
    for (_, build, path) in &setups {
        let mut generate = Command::new(EXE.as_str());
        generate.args(["gen", "-q", "--no-compdb", "--build-type", "debug", "--build-type", "release", "--build-dir"]);
        generate.arg(build);
        for t in &targets {
            generate.args(["--target", t]);
        }
        if let Some(path) = path {
            generate.env("PATH", path);
        }
        run(generate.arg(&demo));
    }
    write_makefile(&baseline, &setups[0].1, &configs);
    let outputs: Vec<&str> = configs.iter().flat_map(|c| c.outputs.iter().map(String::as_str)).collect();
    let ninja = |build: &Path, path: Option<&str>| {
        let mut cmd = Command::new("ninja");
        cmd.arg("-C").arg(build).args(&outputs);
        if let Some(path) = path {
            cmd.env("PATH", path);
        }
        cmd
    };
    let makefiles = || -> Duration {
        let mut total = Duration::ZERO;
        for c in &configs {
            let vars = [format!("TARGET={}", c.target), format!("BUILD_TYPE={}", c.build_type)];
            total += timed(
                Command::new("make")
                    .args(["-s", "-j2", "-C"])
                    .arg(examples.join("out-of-tree/vendor/tinyenc"))
                    .arg(format!("SPYGEN_MK={}", baseline.join("helper.mk").display()))
                    .args(&vars),
            );
            total += timed(Command::new("make").args(["-s", "-j2", "-C"]).arg(&baseline).args(&vars).arg("all"));
        }
        total
    };
    let clean = |what: &Path| {
        let _ = std::fs::remove_dir_all(&vendor_build);
        for dir in ["native", "native-static", "wasi", "emscripten", "base"] {
            let _ = std::fs::remove_dir_all(what.join(dir));
        }
    };

    let mut cold: Vec<Vec<Duration>> = vec![Vec::new(); 3];
    let mut noop: Vec<Vec<Duration>> = vec![Vec::new(); 3];
    for _ in 0..cold_runs {
        // Interleaved, so a slower moment of the machine touches every setup alike.
        for (i, (_, build, path)) in setups.iter().enumerate() {
            clean(build);
            cold[i].push(timed(&mut ninja(build, *path)));
        }
        clean(&baseline);
        cold[2].push(makefiles());
    }
    for _ in 0..noop_runs {
        for (i, (_, build, path)) in setups.iter().enumerate() {
            let mut cmd = ninja(build, *path);
            let out = run(&mut cmd);
            assert!(out.contains("no work to do"), "{out}");
            noop[i].push(timed(&mut ninja(build, *path)));
        }
        noop[2].push(makefiles());
    }
    let names = [setups[0].0, setups[1].0, "Makefiles + Python flags helper"];
    println!(
        "\nthe demo's archives, {} configurations ({}), cold (outputs removed) and no-op, medians of {cold_runs} and {noop_runs}:",
        configs.len(),
        targets.join(", ")
    );
    if zig.is_none() {
        println!("  (pip's ziglang is not installed: the zig setups compile with the same tools as each other)");
    }
    let cold: Vec<Duration> = cold.into_iter().map(median).collect();
    let noop: Vec<Duration> = noop.into_iter().map(median).collect();
    for i in 0..3 {
        println!("  {:<34} cold {:>8.0} ms   no-op {:>8.1} ms", names[i], ms(cold[i]), ms(noop[i]));
    }
    println!(
        "  pip's zig / zig on PATH            cold {:.2}x\n  pip's zig / Makefiles              cold {:.2}x   no-op {:.4}x",
        ms(cold[0]) / ms(cold[1]),
        ms(cold[0]) / ms(cold[2]),
        ms(noop[0]) / ms(noop[2])
    );
}
