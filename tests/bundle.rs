//! `spygen bundle`: whole-archive wasi reactors through the content-addressed cache — real
//! links with zig, loaded in node's WASI; concurrent builds, corruption, key changes, gc.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use sha2::{Digest, Sha256};

/// Builds three wasi archives with spygen + ninja: a runtime `rt`, a module `a` defining a
/// global, a module `b` using it; returns (temp dir, build dir).
fn archives() -> Option<(tempfile::TempDir, PathBuf)> {
    if !require_target("wasi") || !require_program("ninja", "apt-get install ninja-build") {
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write_files(
        &root,
        &[
            ("rt/spygen.toml", "name = \"rt\"\nsources = [\"rt.c\"]\npublic-include-dirs = [\".\"]\n"),
            ("rt/rt.h", "int rt_base(void);\n"),
            ("rt/rt.c", "#include \"rt.h\"\nint rt_base(void) { return 1; }\n"),
            ("a/spygen.toml", "name = \"a\"\nsources = [\"a.c\"]\n"),
            (
                "a/a.c",
                "#include \"rt.h\"\nint spy_shared_counter = 40;\nint a_get(void) { return spy_shared_counter + rt_base(); }\n",
            ),
            ("b/spygen.toml", "name = \"b\"\nsources = [\"b.c\"]\n"),
            (
                "b/b.c",
                "extern int spy_shared_counter;\nint b_bump(void) { spy_shared_counter += 2; return spy_shared_counter; }\n\
                 int b_only_exported(void) { return 7; }\n",
            ),
            (
                "p/spy.toml",
                "extra-vm-modules = [\"../a\", \"../b\"]\n[spygen]\nruntime = \"../rt\"\ntargets = [\"wasi\"]\nbuild-types = [\"debug\"]\n",
            ),
        ],
    );
    run_ok(spygen().args(["gen", "-q"]).arg(root.join("p")));
    let build = root.join("p/build");
    run_ok(Command::new("ninja").arg("-C").arg(&build));
    Some((dir, build))
}

fn bundle(build: &Path, extra: &[&str]) -> (i32, String, String) {
    run(spygen()
        .args(["bundle", "--target", "wasi", "--cache-dir", "cache"])
        .args(["wasi/debug/rt.a", "wasi/debug/a.a", "wasi/debug/b.a"])
        .args(["--export", "a_get", "--export", "b_bump", "--export", "b_only_exported"])
        .args(extra)
        .current_dir(build))
}

/// Cache entries (directories not starting with `.`; the input-hash index is a file).
fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(cache)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.file_name().unwrap().to_string_lossy().starts_with('.'))
        .collect();
    v.sort();
    v
}

fn sha256(path: &Path) -> String {
    Sha256::digest(std::fs::read(path).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

fn manifest(entry: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(entry.join("manifest.json")).unwrap()).unwrap()
}

#[test]
fn a_bundle_shares_globals_between_archives_and_keeps_export_only_symbols() {
    let Some((_tmp, build)) = archives() else { return };
    let (code, out, err) = bundle(&build, &["-o", "out.wasm"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("linked: out.wasm"), "{out}");
    if !require_program("node", "apt-get install nodejs") {
        return;
    }
    let values = run_ok(
        Command::new("node")
            .arg(repo_root().join("tests/support/call-exports.mjs"))
            .arg(build.join("out.wasm"))
            .args(["a_get", "b_bump", "a_get", "b_only_exported"]),
    );
    // a and b see one global; a calls into the runtime; b_only_exported is referenced by nothing
    // but its export, and whole-archive linking kept it.
    assert_eq!(values.lines().collect::<Vec<_>>(), ["41", "42", "43", "7"]);

    // The manifest records the inputs in link order, the sorted exports and the hashes.
    let cache = build.join("cache");
    let entry = &entries(&cache)[0];
    let m = manifest(entry);
    assert_eq!(m["key"], entry.file_name().unwrap().to_string_lossy().as_ref());
    assert_eq!(m["bundle_sha256"], sha256(&entry.join("bundle.wasm")));
    let inputs: Vec<&str> = m["inputs"].as_array().unwrap().iter().map(|i| i["path"].as_str().unwrap()).collect();
    assert_eq!(inputs, ["wasi/debug/rt.a", "wasi/debug/a.a", "wasi/debug/b.a"]);
    assert_eq!(m["exports"], serde_json::json!(["a_get", "b_bump", "b_only_exported"]));
    assert_eq!(m["inputs"][1]["sha256"], sha256(&build.join("wasi/debug/a.a")));
    assert!(m["toolchain"].as_str().unwrap().starts_with("wasi ("), "{m}");
}

#[test]
fn the_key_follows_contents_and_exports_but_not_their_order() {
    let Some((_tmp, build)) = archives() else { return };
    let cache = build.join("cache");
    assert_eq!(bundle(&build, &[]).0, 0);
    // Same exports in another order: a hit, nothing linked.
    let (code, out, _) = run(spygen()
        .args(["bundle", "--cache-dir", "cache", "wasi/debug/rt.a", "wasi/debug/a.a", "wasi/debug/b.a"])
        .args(["--export", "b_only_exported", "--export", "a_get", "--export", "b_bump", "--export", "a_get"])
        .current_dir(&build));
    assert_eq!(code, 0);
    assert!(out.contains("from the cache"), "{out}");
    // --force-rebuild links again, into the same entry.
    let (_, out, _) = bundle(&build, &["--force-rebuild"]);
    assert!(out.contains("linked"), "{out}");
    assert_eq!(entries(&cache).len(), 1);
    // One export less: another key.
    let (_, out, _) = run(spygen()
        .args([
            "bundle",
            "--cache-dir",
            "cache",
            "wasi/debug/rt.a",
            "wasi/debug/a.a",
            "wasi/debug/b.a",
            "--export",
            "a_get",
        ])
        .current_dir(&build));
    assert!(out.contains("linked"), "{out}");
    assert_eq!(entries(&cache).len(), 2);
    // A changed archive: another key.
    std::fs::write(
        build.join("../../b/b.c"),
        "extern int spy_shared_counter;\nint b_bump(void) { return 0; }\nint b_only_exported(void) { return 8; }\n",
    )
    .unwrap();
    run_ok(Command::new("ninja").arg("-C").arg(&build));
    let (_, out, _) = bundle(&build, &[]);
    assert!(out.contains("linked"), "{out}");
    assert_eq!(entries(&cache).len(), 3);

    // gc keeps the most recently used.
    let newest = entries(&cache)
        .into_iter()
        .max_by_key(|e| std::fs::metadata(e.join("manifest.json")).unwrap().modified().unwrap())
        .unwrap();
    let listing = run_ok(spygen().args(["bundle", "--list", "--cache-dir", "cache"]).current_dir(&build));
    assert!(listing.starts_with("3 bundle(s)") && listing.contains(" ok "), "{listing}");
    let out = run_ok(spygen().args(["bundle", "--gc", "--keep", "1", "--cache-dir", "cache"]).current_dir(&build));
    assert!(out.contains("removed 2 bundle(s)"), "{out}");
    assert_eq!(entries(&cache), [newest]);
}

#[test]
fn concurrent_builds_of_one_bundle_all_succeed_into_one_entry() {
    let Some((_tmp, build)) = archives() else { return };
    let children: Vec<_> = (0..4)
        .map(|i| {
            spygen()
                .args(["bundle", "--cache-dir", "cache", "wasi/debug/rt.a", "wasi/debug/a.a", "wasi/debug/b.a"])
                .args(["--export", "a_get", "-o", &format!("out{i}.wasm")])
                .current_dir(&build)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let cache = build.join("cache");
    let dirs: Vec<_> = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    assert_eq!(dirs.len(), 1, "one entry, no temporary directory left: {dirs:?}");
    let entry = &entries(&cache)[0];
    let hash = sha256(&entry.join("bundle.wasm"));
    assert_eq!(manifest(entry)["bundle_sha256"], hash);
    for i in 0..4 {
        assert_eq!(sha256(&build.join(format!("out{i}.wasm"))), hash);
    }
}

#[test]
fn a_corrupt_entry_is_reported_in_one_line_and_rebuilt() {
    let Some((_tmp, build)) = archives() else { return };
    assert_eq!(bundle(&build, &[]).0, 0);
    let entry = entries(&build.join("cache")).remove(0);
    let wasm = entry.join("bundle.wasm");
    let len = std::fs::metadata(&wasm).unwrap().len();
    std::fs::File::options().write(true).open(&wasm).unwrap().set_len(len / 2).unwrap();
    let (code, out, err) = bundle(&build, &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("is corrupt") && err.contains("rebuilding"), "{err}");
    assert!(out.contains("linked"), "{out}");
    assert_eq!(manifest(&entry)["bundle_sha256"], sha256(&wasm));
    assert_eq!(std::fs::metadata(&wasm).unwrap().len(), len);
    let (_, out, err) = bundle(&build, &[]);
    assert!(out.contains("from the cache") && err.is_empty(), "{out}{err}");
}
