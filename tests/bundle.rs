//! `spygen bundle`: whole-archive wasi reactors through the content-addressed cache — real
//! links with zig, loaded in node's WASI; concurrent builds, corruption, key changes, gc.

mod common;

use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

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
    let build = root.join("p/build-spygen");
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
    sha256_hex(&std::fs::read(path).unwrap())
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

#[test]
fn gc_removes_only_cache_entries_and_leaves_a_build_directory_used_as_cache_alone() {
    let Some((_tmp, build)) = archives() else { return };
    // A bundle cached in the build directory itself, beside everything else it holds.
    assert_eq!(bundle(&build, &[]).0, 0);
    let (code, _, err) = run(spygen()
        .args(["bundle", "--cache-dir", ".", "wasi/debug/rt.a", "wasi/debug/a.a", "--export", "a_get"])
        .current_dir(&build));
    assert_eq!(code, 0, "{err}");
    // A directory named like a key but without a manifest is not an entry either.
    let fake_key = "ab".repeat(32);
    std::fs::create_dir(build.join(&fake_key)).unwrap();
    std::fs::write(build.join(&fake_key).join("notes.txt"), "mine").unwrap();
    let before: Vec<String> = std::fs::read_dir(&build)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() != 64 || *n == fake_key)
        .collect();
    let out = run_ok(spygen().args(["bundle", "--gc", "--keep", "0", "--cache-dir", "."]).current_dir(&build));
    assert!(out.contains("removed 1 bundle(s)"), "{out}");
    for name in ["cache", "wasi", "build.ninja", &fake_key] {
        assert!(out.contains(&format!("left alone: {name} (not a cache entry)")), "{name}: {out}");
    }
    for name in &before {
        assert!(build.join(name).exists(), "{name} must survive gc");
    }
    assert!(build.join(&fake_key).join("notes.txt").exists());
    assert!(build.join("wasi/debug/rt.a").is_file() && build.join("cache").is_dir());
    let listing = run_ok(spygen().args(["bundle", "--list", "--cache-dir", "."]).current_dir(&build));
    assert!(listing.starts_with("0 bundle(s)") && listing.contains("left alone: wasi"), "{listing}");
}

#[test]
fn an_output_is_a_copy_written_through_symlinks_and_never_a_special_file() {
    let Some((_tmp, build)) = archives() else { return };
    assert_eq!(bundle(&build, &["-o", "one.wasm"]).0, 0);
    assert_eq!(bundle(&build, &["-o", "two.wasm"]).0, 0);
    let entry = entries(&build.join("cache")).remove(0);
    let cached = sha256(&entry.join("bundle.wasm"));
    // Each output has its own bytes: editing one changes neither the other nor the cache.
    std::fs::File::options().append(true).open(build.join("one.wasm")).unwrap().set_len(10).unwrap();
    assert_eq!(sha256(&build.join("two.wasm")), cached);
    assert_eq!(sha256(&entry.join("bundle.wasm")), cached);
    let (_, out, err) = bundle(&build, &[]);
    assert!(out.contains("from the cache") && err.is_empty(), "the entry is intact: {out}{err}");

    // A symbolic link to a regular file: the file gets the bundle, the link stays a link.
    std::fs::write(build.join("real.wasm"), "old").unwrap();
    std::os::unix::fs::symlink("real.wasm", build.join("link.wasm")).unwrap();
    assert_eq!(bundle(&build, &["-o", "link.wasm"]).0, 0);
    assert!(std::fs::symlink_metadata(build.join("link.wasm")).unwrap().file_type().is_symlink());
    assert_eq!(sha256(&build.join("real.wasm")), cached);

    // Not a regular file: refused, and left as it was.
    let fifo = build.join("fifo");
    run_ok(Command::new("mkfifo").arg(&fifo));
    std::os::unix::fs::symlink("/proc/self/fd/1", build.join("to-stdout")).unwrap();
    std::os::unix::fs::symlink("missing.wasm", build.join("dangling")).unwrap();
    let refused = [
        (fifo.to_str().unwrap().to_string(), "is a FIFO"),
        ("/dev/null".to_string(), "is a character device"),
        (build.join("wasi").to_string_lossy().into_owned(), "is a directory"),
        ("dangling".to_string(), "a dangling symbolic link"),
    ];
    for (path, what) in &refused {
        let (code, _, err) = bundle(&build, &["-o", path]);
        assert_eq!(code, 2, "{path}: {err}");
        assert!(err.contains(what) && err.contains("must be a regular file"), "{path}: {err}");
    }
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
    assert!(!build.join("missing.wasm").exists());
}

#[test]
fn gc_running_beside_bundle_builds_never_makes_one_fail() {
    let Some((_tmp, build)) = archives() else { return };
    assert_eq!(bundle(&build, &["-o", "reference.wasm"]).0, 0);
    let reference = sha256(&build.join("reference.wasm"));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let collector = {
        let (stop, build) = (stop.clone(), build.clone());
        std::thread::spawn(move || {
            let mut runs = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                run_ok(spygen().args(["bundle", "--gc", "--keep", "0", "--cache-dir", "cache"]).current_dir(&build));
                runs += 1;
            }
            runs
        })
    };
    let builders: Vec<_> = (0..2)
        .map(|i| {
            let build = build.clone();
            std::thread::spawn(move || {
                for round in 0..6 {
                    let out = format!("out-{i}-{round}.wasm");
                    let (code, _, err) = bundle(&build, &["-o", &out]);
                    assert_eq!(code, 0, "builder {i}, round {round}: {err}");
                }
            })
        })
        .collect();
    for b in builders {
        b.join().unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(collector.join().unwrap() > 0);
    for i in 0..2 {
        for round in 0..6 {
            assert_eq!(sha256(&build.join(format!("out-{i}-{round}.wasm"))), reference);
        }
    }
}

#[test]
fn a_file_in_the_place_of_an_entry_is_replaced_without_leftovers() {
    let Some((_tmp, build)) = archives() else { return };
    assert_eq!(bundle(&build, &[]).0, 0);
    let entry = entries(&build.join("cache")).remove(0);
    std::fs::remove_dir_all(&entry).unwrap();
    std::fs::write(&entry, "not a directory").unwrap();
    let (code, out, err) = bundle(&build, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("is corrupt") && out.contains("linked"), "{out}{err}");
    assert!(entry.join("bundle.wasm").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(build.join("cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".trash-") || n.starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn arguments_come_from_a_response_file_and_hundreds_of_archives_link() {
    if !require_target("wasi") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // One object with a weak function, in 600 archives of long names: whole-archive linking
    // keeps every member, and weak definitions may repeat.
    write_files(root, &[("w.c", "__attribute__((weak)) int spy_weak(void) { return 5; }\n")]);
    let zig = |args: &[&str]| {
        run_ok(Command::new("python3").args(["-m", "ziglang"]).args(args).current_dir(root));
    };
    zig(&["cc", "--target=wasm32-wasi-musl", "-c", "w.c", "-o", "w.o"]);
    let names: Vec<String> = (0..600).map(|i| format!("libs/{i:03}_{}.a", "x".repeat(90))).collect();
    std::fs::create_dir(root.join("libs")).unwrap();
    zig(&["ar", "rcs", &names[0], "w.o"]);
    for name in &names[1..] {
        std::fs::copy(root.join(&names[0]), root.join(name)).unwrap();
    }
    let mut words: Vec<String> = names.clone();
    words.extend(["--export".into(), "spy_weak".into(), "-o".into(), "out dir/weak.wasm".into()]);
    std::fs::write(root.join("args.rsp"), spygen::shell::response_file(&words)).unwrap();
    let out = run_ok(
        spygen()
            .args(["bundle", "--target", "wasi", "--cache-dir", "cache", "--args-from", "args.rsp"])
            .current_dir(root),
    );
    assert!(out.contains("linked: out dir/weak.wasm"), "{out}");
    let m = manifest(&entries(&root.join("cache"))[0]);
    assert_eq!(m["inputs"].as_array().unwrap().len(), 600);
    if require_program("node", "apt-get install nodejs") {
        let values = run_ok(
            Command::new("node")
                .arg(repo_root().join("tests/support/call-exports.mjs"))
                .arg(root.join("out dir/weak.wasm"))
                .arg("spy_weak"),
        );
        assert_eq!(values.trim(), "5");
    }
    // The same arguments on the command line find the same entry.
    let mut cmd = spygen();
    cmd.args(["bundle", "--target", "wasi", "--cache-dir", "cache"]).args(&words).current_dir(root);
    assert!(run_ok(&mut cmd).contains("from the cache"));
}

#[test]
fn a_release_bundle_links_lto_archives_without_flto_as_spys_own_bundle_link_does() {
    if !require_target("wasi") || !require_program("ninja", "apt-get install ninja-build") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let source = "int rt_base(void);\nint a_get(void) { return 41 + rt_base(); }\n";
    let build = build_wasi_release_of_rt_and_a(&root, source, "p");
    let ninja = std::fs::read_to_string(build.join("build.ninja")).unwrap();
    assert!(ninja.contains("-flto"), "release objects are LTO objects");
    let (code, _, err) = run(spygen()
        .args(["bundle", "--target", "wasi", "--build-type", "release", "--cache-dir", "cache"])
        .args(["wasi/release/rt.a", "wasi/release/a.a", "--export", "a_get", "-o", "out.wasm"])
        .current_dir(&build));
    assert_eq!(code, 0, "{err}");
    let m = manifest(&entries(&build.join("cache"))[0]);
    let command: Vec<&str> = m["link_command"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert!(!command.contains(&"-flto"), "{command:?}");
    assert!(command.contains(&"-mexec-model=reactor"), "{command:?}");
    if let Some(values) = call_wasm_exports(&build.join("out.wasm"), &["a_get"]) {
        assert_eq!(values.trim(), "42");
    }
}
