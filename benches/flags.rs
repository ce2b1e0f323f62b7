//! Benchmark: wall time of `spygen flags --target wasi --cflags` as a whole process, the way a
//! Makefile runs it. Run with `cargo bench --bench flags`; prints median, p10 and p90.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/exe.rs"]
mod exe;
use exe::EXE;

fn time_runs(args: &[&str], runs: usize) -> Vec<Duration> {
    let exe = EXE.as_str();
    let demo = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/out-of-tree/demo");
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let status = Command::new(exe)
            .args(args)
            .current_dir(demo)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run spygen");
        times.push(start.elapsed());
        assert!(status.success(), "spygen {args:?} failed");
    }
    times.sort();
    times
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once as a smoke test.
    let quick = !std::env::args().any(|a| a == "--bench");
    let runs = if quick { 5 } else { 300 };
    // Run from the demo project: the runtime is found by walking up to spy.toml and reading
    // the runtime's manifest, as a Makefile in a module directory would. `--cc` resolves the
    // compiler on this machine (for zig from PyPI that runs a Python probe), so it is slower.
    for args in [
        &["flags", "--target", "wasi", "--cflags"][..],
        &["flags", "--target", "wasi", "--cflags", "--runtime-root", "/opt/spy/libspy"][..],
        &["flags", "--target", "native", "--build-type", "release", "--cflags", "--ldflags", "--libdir"][..],
        &["flags", "--target", "wasi", "--cc"][..],
    ] {
        let _warm = time_runs(args, 3.min(runs));
        let t = time_runs(args, runs);
        println!(
            "spygen {:<60} runs {runs:>4}  median {:.2} ms  p10 {:.2} ms  p90 {:.2} ms",
            args.join(" "),
            ms(t[t.len() / 2]),
            ms(t[t.len() / 10]),
            ms(t[t.len() * 9 / 10]),
        );
    }
}
