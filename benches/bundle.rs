//! Benchmark: `spygen bundle` on archives totalling >= 10 MB — the time of a link (a cache
//! miss, `--force-rebuild`) against a cache hit, and the input hashing rate. Run with
//! `cargo bench --bench bundle` (needs zig for wasi: `pip install ziglang`).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "support/exe.rs"]
mod exe;
use exe::EXE;

fn sh(cmd: &str, dir: &Path) {
    let status = Command::new("sh").arg("-c").arg(cmd).current_dir(dir).status().expect("sh");
    assert!(status.success(), "{cmd}");
}

fn spygen_out(args: &[&str], dir: &Path) -> String {
    let out = Command::new(EXE.as_str()).args(args).current_dir(dir).stderr(Stdio::inherit()).output().expect("spygen");
    assert!(out.status.success(), "spygen {args:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Writes `archives` wasi archives of `members` objects, each object holding `blob_bytes` of
/// incompressible data (embedded with #embed) and an exported accessor; returns the export names.
fn make_archives(dir: &Path, archives: usize, members: usize, blob_bytes: usize) -> Vec<String> {
    let cc = spygen_out(&["flags", "--target", "wasi", "--cc"], dir);
    let ar = spygen_out(&["flags", "--target", "wasi", "--ar"], dir);
    let cflags = spygen_out(&["flags", "--target", "wasi", "--cflags", "--build-type", "release"], dir);
    let mut exports = Vec::new();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for a in 0..archives {
        let mut objects = Vec::new();
        for m in 0..members {
            let name = format!("blob_{a}_{m}");
            let data: Vec<u8> = (0..blob_bytes)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    state as u8
                })
                .collect();
            std::fs::write(dir.join(format!("{name}.bin")), data).unwrap();
            std::fs::write(
                dir.join(format!("{name}.c")),
                format!(
                    "static const unsigned char data[] = {{\n#embed \"{name}.bin\"\n}};\n\
                     __attribute__((visibility(\"default\"))) int {name}_at(int i) {{ return data[i]; }}\n"
                ),
            )
            .unwrap();
            sh(&format!("{cc} {cflags} -std=c23 -c {name}.c -o {name}.o"), dir);
            objects.push(format!("{name}.o"));
            exports.push(format!("{name}_at"));
        }
        sh(&format!("rm -f lib{a}.a && {ar} rcs lib{a}.a {}", objects.join(" ")), dir);
    }
    exports
}

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (archives, members, blob) = if quick { (2, 1, 64 << 10) } else { (3, 4, 1 << 20) };
    let exports = make_archives(dir, archives, members, blob);
    let libs: Vec<String> = (0..archives).map(|a| format!("lib{a}.a")).collect();
    let total: u64 = libs.iter().map(|l| std::fs::metadata(dir.join(l)).unwrap().len()).sum();
    let mut args: Vec<String> =
        vec!["bundle".into(), "--build-type".into(), "release".into(), "--cache-dir".into(), "cache".into()];
    args.extend(libs.iter().cloned());
    for e in &exports {
        args.extend(["--export".to_string(), e.clone()]);
    }
    args.extend(["-o".to_string(), "out.wasm".to_string()]);
    let run = |extra: &[&str]| {
        let status =
            Command::new(EXE.as_str()).args(&args).args(extra).current_dir(dir).stdout(Stdio::null()).status().unwrap();
        assert!(status.success());
    };
    run(&[]); // fills the cache (and the tool memo)
    let (link_runs, hit_runs) = if quick { (1, 1) } else { (5, 21) };
    let link = time(link_runs, || run(&["--force-rebuild"]));
    let hit = time(hit_runs, || run(&[]));
    let paths: Vec<std::path::PathBuf> = libs.iter().map(|l| dir.join(l)).collect();
    let hashing = time(if quick { 1 } else { 9 }, || {
        for p in &paths {
            spygen::bundle::hash_file(p).unwrap();
        }
    });
    let mb = total as f64 / 1e6;
    println!(
        "archives: {archives} x {members} objects, {mb:.1} MB in all; bundle {:.1} MB",
        std::fs::metadata(dir.join("out.wasm")).unwrap().len() as f64 / 1e6
    );
    println!("link (cache miss, --force-rebuild): median {:.1} ms of {link_runs}", link.as_secs_f64() * 1e3);
    println!("cache hit:                          median {:.1} ms of {hit_runs}", hit.as_secs_f64() * 1e3);
    println!("hit / link: {:.1}%", 100.0 * hit.as_secs_f64() / link.as_secs_f64());
    println!(
        "hashing the archives (sha256): {:.1} ms, {:.0} MB/s",
        hashing.as_secs_f64() * 1e3,
        mb / hashing.as_secs_f64()
    );
}
