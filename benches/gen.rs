//! Benchmark: `spygen gen` on synthetic projects of N modules × M sources, as a whole process
//! (median wall time, peak RSS), next to `gn gen` on the equivalent BUILD.gn when GN is
//! installed (Debian package generate-ninja), plus a no-op regeneration and `ninja -n`.
//!
//!     cargo bench --bench gen                       # the three sizes, both shapes
//!     cargo bench --bench gen -- 200 50 chain       # one size and shape
//!     TMPDIR=/dev/shm cargo bench --bench gen -- 200 50 chain   # the projects in memory
//!
//! On disk, GN's time moves with the file system's state (it creates a file per target); in
//! memory (the projects and build directories go where `TMPDIR` says) neither tool's does.
//!
//! Shapes: `chain` (module i depends on i-1, as in the figures) and `wide` (each module
//! depends on up to three random earlier ones). Public include dirs propagate in both.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/exe.rs"]
mod exe;
use exe::EXE;

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Chain,
    Wide,
}

fn deps_of(shape: Shape, i: usize, seed: &mut u64) -> Vec<usize> {
    match shape {
        Shape::Chain => (i > 0).then(|| i - 1).into_iter().collect(),
        Shape::Wide => {
            let mut deps = Vec::new();
            for _ in 0..3.min(i) {
                *seed ^= *seed << 13;
                *seed ^= *seed >> 7;
                *seed ^= *seed << 17;
                let d = (*seed % i as u64) as usize;
                if !deps.contains(&d) {
                    deps.push(d);
                }
            }
            deps
        }
    }
}

/// Writes the spygen project and the equivalent GN project under `root`.
fn write_project(root: &Path, modules: usize, sources: usize, shape: Shape, configs: (&[&str], &[&str])) {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut gn = String::new();
    let mut vm = Vec::new();
    for i in 0..modules {
        let dir = root.join(format!("m{i}"));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::create_dir_all(dir.join("include")).unwrap();
        std::fs::write(dir.join(format!("include/m{i}.h")), format!("int m{i}_f0(void);\n")).unwrap();
        for s in 0..sources {
            std::fs::write(
                dir.join(format!("src/f{s}.c")),
                format!("#include \"m{i}.h\"\nint m{i}_f{s}(void) {{ return {s}; }}\n"),
            )
            .unwrap();
        }
        let deps = deps_of(shape, i, &mut seed);
        let dep_list: Vec<String> = deps.iter().map(|d| format!("\"../m{d}\"")).collect();
        std::fs::write(
            dir.join("spygen.toml"),
            format!(
                "name = \"m{i}\"\nsources = [\"src/*.c\"]\npublic-include-dirs = [\"include\"]\ndeps = [{}]\n",
                dep_list.join(", ")
            ),
        )
        .unwrap();
        vm.push(format!("\"../m{i}\""));
        let gn_deps: Vec<String> = deps.iter().map(|d| format!("\":m{d}\"")).collect();
        let gn_sources: Vec<String> = (0..sources).map(|s| format!("\"m{i}/src/f{s}.c\"")).collect();
        let _ = write!(
            gn,
            "config(\"m{i}_public\") {{\n  include_dirs = [ \"m{i}/include\" ]\n}}\n\
             static_library(\"m{i}\") {{\n  sources = [ {} ]\n  public_configs = [ \":m{i}_public\" ]\n  public_deps = [ {} ]\n}}\n",
            gn_sources.join(", "),
            gn_deps.join(", ")
        );
    }
    let (targets, build_types) = configs;
    let quoted = |v: &[&str]| v.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(", ");
    std::fs::create_dir_all(root.join("p")).unwrap();
    std::fs::write(
        root.join("p/spy.toml"),
        format!(
            "extra-vm-modules = [{}]\n[spygen]\ntargets = [{}]\nbuild-types = [{}]\n",
            vm.join(", "),
            quoted(targets),
            quoted(build_types)
        ),
    )
    .unwrap();
    // GN: the same static libraries with one toolchain.
    std::fs::write(root.join(".gn"), "buildconfig = \"//BUILDCONFIG.gn\"\n").unwrap();
    std::fs::write(root.join("BUILDCONFIG.gn"), "set_default_toolchain(\"//toolchain:cc\")\n").unwrap();
    std::fs::create_dir_all(root.join("toolchain")).unwrap();
    std::fs::write(
        root.join("toolchain/BUILD.gn"),
        "toolchain(\"cc\") {\n\
         \x20 tool(\"cc\") {\n    depfile = \"{{output}}.d\"\n    command = \"cc -MMD -MF $depfile {{defines}} {{include_dirs}} {{cflags}} {{cflags_c}} -c {{source}} -o {{output}}\"\n    depsformat = \"gcc\"\n    outputs = [ \"{{source_out_dir}}/{{target_output_name}}.{{source_name_part}}.o\" ]\n    description = \"CC {{output}}\"\n  }\n\
         \x20 tool(\"alink\") {\n    command = \"rm -f {{output}} && ar rcs {{output}} {{inputs}}\"\n    outputs = [ \"{{target_out_dir}}/{{target_output_name}}{{output_extension}}\" ]\n    default_output_extension = \".a\"\n    output_prefix = \"lib\"\n    description = \"AR {{output}}\"\n  }\n\
         \x20 tool(\"stamp\") {\n    command = \"touch {{output}}\"\n  }\n\
         }\n",
    )
    .unwrap();
    std::fs::write(root.join("BUILD.gn"), gn).unwrap();
}

/// Runs `cmd` through GNU time when it is installed (for the peak RSS); returns (wall time,
/// peak RSS in MB, 0 without GNU time). What earlier runs wrote is flushed to disk first,
/// untimed: the kernel writes dirty pages back on a thread of its own some seconds later, which
/// on two cores would otherwise land in whichever run comes next (hundreds of megabytes of
/// writeback pending made the same generation take 190 to 470 ms).
fn measure(cmd: &mut Command) -> (Duration, f64) {
    let _ = Command::new("sync").status();
    // Peak RSS through /usr/bin/time, which forks the tool from its own small process: the
    // `ru_maxrss` of a child this process spawned itself (posix_spawn, a vfork) would count
    // this process's own peak too, as the kernel carries the old peak across the exec.
    if !Path::new("/usr/bin/time").exists() {
        let start = Instant::now();
        let status = cmd.stdout(Stdio::null()).status().expect("run");
        assert!(status.success(), "{cmd:?} failed");
        return (start.elapsed(), 0.0);
    }
    let rss_file = std::env::temp_dir().join(format!("spygen-bench-rss-{}", std::process::id()));
    let mut timed = Command::new("/usr/bin/time");
    timed.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(cmd.get_program()).args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    let start = Instant::now();
    let status = timed.stdout(Stdio::null()).stderr(Stdio::inherit()).status().expect("run");
    let elapsed = start.elapsed();
    assert!(status.success(), "{cmd:?} failed");
    let written = std::fs::read_to_string(&rss_file);
    let _ = std::fs::remove_file(&rss_file);
    let kb: f64 = written.unwrap_or_default().trim().lines().last().unwrap_or("0").parse().unwrap_or(0.0);
    (elapsed, kb / 1024.0)
}

fn median(runs: usize, mut f: impl FnMut() -> (Duration, f64)) -> (Duration, f64) {
    let mut v: Vec<(Duration, f64)> = (0..runs).map(|_| f()).collect();
    v.sort_by_key(|x| x.0);
    let rss = v.iter().map(|x| x.1).fold(0.0, f64::max);
    (v[v.len() / 2].0, rss)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Benchmarks one project; returns its directory, for the caller to delete once every size is
/// done (deleting a project's many files right before the next one's runs would slow them: see
/// the fresh directories below).
fn bench(modules: usize, sources: usize, shape: Shape, configs: (&[&str], &[&str]), runs: usize) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    write_project(&root, modules, sources, shape, configs);
    let shape_name = if shape == Shape::Chain { "chain" } else { "wide" };
    let n_configs = configs.0.len() * configs.1.len();
    println!(
        "\n{modules} modules x {sources} sources ({} sources), {shape_name}, {n_configs} configuration(s):",
        modules * sources
    );
    // Every fresh generation goes into a directory of its own, left in place until the end:
    // deleting the last one first would time the file system instead. On ext4 without a
    // journal (these machines' disks) a file created within minutes of many deletions searches
    // past each recently deleted inode for a free one (`recently_deleted` in the kernel): with
    // an `rm -rf` before each run, the tool creating more files (GN: one per target) looked
    // up to 3x slower, and a run right after another project's deletion slowed both. Both tools
    // are timed alike.
    let runs_made = std::cell::Cell::new(0usize);
    let fresh_dir = |prefix: &str| {
        runs_made.set(runs_made.get() + 1);
        root.join(format!("{prefix}{}", runs_made.get()))
    };
    let build_dir = std::cell::RefCell::new(root.join("p/build-spygen"));
    // Like for like with `gn gen`: build files only (GN writes no compilation database unless
    // asked). The default, with compile_commands.json, is timed too where its size is sane.
    let gen_into = |extra: &[&str]| {
        let dir = fresh_dir("p/build-spygen-");
        let timed = measure(
            Command::new(EXE.as_str()).args(["gen", "-q"]).args(extra).arg("--build-dir").arg(&dir).arg(root.join("p")),
        );
        *build_dir.borrow_mut() = dir;
        timed
    };
    let full = || gen_into(&["--no-compdb"]);
    // Once, untimed: spygen's first generation may run the toolchain probes (`cc --version`, a
    // Python asking for pip's ziglang) whose answers it then remembers; a Python child would
    // count in that run's peak RSS.
    full();
    let (t, rss) = median(runs, full);
    let size = std::fs::metadata(build_dir.borrow().join("build.ninja")).map(|m| m.len()).unwrap_or(0);
    println!("  spygen gen --no-compdb {:>8}  peak RSS {rss:>6.1} MB  build.ninja {:.1} MB", ms(t), size as f64 / 1e6);
    if modules * sources <= 20_000 {
        let (t, rss) = median(runs, || gen_into(&[]));
        let size = std::fs::metadata(build_dir.borrow().join("compile_commands.json")).map(|m| m.len()).unwrap_or(0);
        println!(
            "  spygen gen (+compdb) {:>10}  peak RSS {rss:>6.1} MB  compile_commands.json {:.1} MB",
            ms(t),
            size as f64 / 1e6
        );
        full();
    }
    let build = build_dir.borrow().clone();
    let listing = || -> Vec<(std::ffi::OsString, std::time::SystemTime)> {
        let mut v: Vec<_> = std::fs::read_dir(&build)
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| (e.file_name(), e.metadata().unwrap().modified().unwrap()))
            .collect();
        v.sort();
        v
    };
    let before = listing();
    let (noop, _) = median(runs, || {
        measure(
            Command::new(EXE.as_str())
                .args(["gen", "-q", "--no-compdb", "--build-dir"])
                .arg(&build)
                .arg(root.join("p")),
        )
    });
    assert_eq!(listing(), before, "a no-op generation writes no file");
    println!(
        "  spygen gen (no-op)   {:>10}  ({:.0}% of a full generation; no file written)",
        ms(noop),
        100.0 * noop.as_secs_f64() / t.as_secs_f64()
    );
    let ninja = ninja_program();
    if let Some(ninja) = &ninja {
        let (n, _) = median(runs, || measure(Command::new(ninja).arg("-C").arg(&build).arg("-n")));
        println!("  ninja -n (spygen)    {:>10}", ms(n));
    }
    if which("gn") && n_configs == 1 {
        // Pairs, spygen then GN, so that the shared machine's slower moments touch both alike;
        // the ratio is the median of the pairs' ratios.
        let mut out = PathBuf::new();
        let mut pairs = Vec::new();
        for _ in 0..runs {
            let (s, _) = full();
            out = fresh_dir("out-");
            let (g, grss) = measure(Command::new("gn").arg("gen").arg(&out).current_dir(&root));
            pairs.push((s, g, grss));
        }
        let grss = pairs.iter().map(|p| p.2).fold(0.0, f64::max);
        let g = median_of(pairs.iter().map(|p| p.1).collect());
        let ratio = median_f(pairs.iter().map(|p| p.0.as_secs_f64() / p.1.as_secs_f64()).collect());
        println!("  gn gen               {:>10}  peak RSS {grss:>6.1} MB", ms(g));
        println!("  spygen / gn          {ratio:>10.2}x time (median of {runs} pairs), {:.2}x RSS", rss / grss);
        if let Some(ninja) = &ninja {
            // The first `ninja -n` in a build directory creates the output directories (ninja
            // does even in a dry run): spygen's had its first above.
            measure(Command::new(ninja).arg("-C").arg(&out).arg("-n"));
            let mut pairs = Vec::new();
            for _ in 0..runs {
                let (s, _) = measure(Command::new(ninja).arg("-C").arg(&build).arg("-n"));
                let (g, _) = measure(Command::new(ninja).arg("-C").arg(&out).arg("-n"));
                pairs.push((s, g));
            }
            let ratio = median_f(pairs.iter().map(|p| p.0.as_secs_f64() / p.1.as_secs_f64()).collect());
            println!("  ninja -n (gn)        {:>10}", ms(median_of(pairs.iter().map(|p| p.1).collect())));
            println!("  ninja -n spygen / gn {ratio:>10.2}x");
        }
    }
    tmp
}

fn median_of(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn median_f(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The ninja to time: the Debian binary when installed, since a `ninja` found first on PATH
/// may be a Python launcher (pip's, pyenv's shims) whose start-up would dwarf the dry run.
fn ninja_program() -> Option<PathBuf> {
    let system = Path::new("/usr/bin/ninja");
    if system.exists() { Some(system.to_path_buf()) } else { which("ninja").then(|| PathBuf::from("ninja")) }
}

fn which(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let quick = !std::env::args().any(|a| a == "--bench");
    let one: (&[&str], &[&str]) = (&["native"], &["debug"]);
    let all: (&[&str], &[&str]) = (&["native", "native-static", "wasi", "emscripten"], &["debug", "release"]);
    if quick {
        bench(4, 3, Shape::Chain, one, 1);
        return;
    }
    if let [m, s, shape] = args.as_slice() {
        let shape = if shape == "wide" { Shape::Wide } else { Shape::Chain };
        let _project = bench(m.parse().unwrap(), s.parse().unwrap(), shape, one, 9);
        return;
    }
    let _projects = [
        bench(200, 50, Shape::Chain, one, 7),
        bench(200, 50, Shape::Wide, one, 7),
        bench(1000, 100, Shape::Chain, one, 5),
        bench(1000, 100, Shape::Chain, all, 3),
    ];
}
