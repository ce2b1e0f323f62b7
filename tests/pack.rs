//! Packs (`spygen pack`): a built module, its archives, headers and resolved manifests in one
//! reproducible file that another project names in `deps` or `extra-vm-modules` and links
//! prebuilt; and everything a damaged or hostile pack must not get past.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::*;

/// The demo's `spyvm_tinyenc`, packed once for this test binary.
struct Fixture {
    /// The private copy of `examples/` it was packed in.
    examples: PathBuf,
    /// Packed for native and wasi, debug only.
    pack: PathBuf,
    /// The same, packed a second time.
    pack_again: PathBuf,
    /// Packed for native debug only.
    native_only: PathBuf,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

/// The packs of [`Fixture`]; `None` (the test skips, or fails in CI) when ninja or the native
/// or wasi toolchain is missing.
fn fixture() -> Option<&'static Fixture> {
    if !require_program("ninja", "apt-get install ninja-build") || !require_target("native") || !require_target("wasi")
    {
        return None;
    }
    Some(FIXTURE.get_or_init(|| {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        // Earlier runs' fixtures, once their test process is gone.
        for entry in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("pack-fixture-")
                && !Path::new("/proc").join(pid).exists()
            {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let root = tmp.join(format!("pack-fixture-{}", std::process::id()));
        let examples = root.join("examples");
        copy_tree(&repo_root().join("examples"), &examples);
        let demo = examples.join("out-of-tree/demo");
        let dist = root.join("dist");
        let pack = |name: &str, targets: &[&str]| {
            let out = dist.join(name);
            let mut cmd = spygen();
            cmd.args(["pack", "spyvm_tinyenc", "--build-type", "debug", "-o"]).arg(&out).current_dir(&demo);
            for t in targets {
                cmd.args(["--target", t]);
            }
            run_ok(&mut cmd);
            out
        };
        Fixture {
            pack: pack("spyvm_tinyenc.spymod", &["native", "wasi"]),
            pack_again: pack("again.spymod", &["native", "wasi"]),
            native_only: pack("native-only.spymod", &["native"]),
            examples,
        }
    }))
}

/// A project in `dir` whose program `encdemo` (the demo's) links `modules` (packs or module
/// directories), with the examples' runtime; returns `dir`.
fn consumer(fx: &Fixture, dir: &Path, modules: &[&Path]) -> PathBuf {
    let list: Vec<String> = modules.iter().map(|m| toml_string(&m.display().to_string())).collect();
    let spy_toml = format!(
        "[spygen]\nruntime = {}\nbuild-dir = \"build\"\n\n[[spygen.program]]\nname = \"encdemo\"\nsources = [\"encdemo.c\"]\ndeps = [{}]\n",
        toml_string(&fx.examples.join("runtime").display().to_string()),
        list.join(", ")
    );
    let encdemo = std::fs::read_to_string(fx.examples.join("out-of-tree/demo/encdemo.c")).unwrap();
    write_files(dir, &[("spy.toml", &spy_toml), ("encdemo.c", &encdemo)]);
    dir.to_path_buf()
}

/// The members of the zip at `path`, in order, with their contents.
fn members(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mut content = Vec::new();
            file.read_to_end(&mut content).unwrap();
            (file.name().unwrap().to_string(), content)
        })
        .collect()
}

/// Writes `members` as a zip at `path`.
fn write_zip(path: &Path, members: &[(String, Vec<u8>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, content) in members {
        zip.start_file(name.as_str(), zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap();
}

/// A copy of `pack` at `out` whose `target`'s configurations record `version` as their
/// compiler's version, consistently (manifests, index, hashes): a pack as another compiler
/// would have built it.
fn with_compiler_version(pack: &Path, out: &Path, target: &str, version: &str) {
    let mut members = members(pack);
    let mut changed = Vec::new();
    for (name, content) in members.iter_mut() {
        if name.starts_with(&format!("{target}/")) && name.ends_with(".spymod.json") {
            let mut m: serde_json::Value = serde_json::from_slice(content).unwrap();
            m["toolchain"]["version"] = version.into();
            *content = serde_json::to_vec_pretty(&m).unwrap();
            changed.push((name.clone(), sha256_hex(content)));
        }
    }
    assert!(!changed.is_empty(), "the pack holds no {target} manifest");
    let (_, index) = members.iter_mut().find(|(n, _)| n == "spymod-pack.json").unwrap();
    let mut value: serde_json::Value = serde_json::from_slice(index).unwrap();
    for c in value["configurations"].as_array_mut().unwrap() {
        if c["target"] == target {
            c["toolchain"]["version"] = version.into();
        }
    }
    for (name, hash) in changed {
        value["files"][name] = hash.into();
    }
    *index = serde_json::to_vec_pretty(&value).unwrap();
    write_zip(out, &members);
}

/// The directories packs were unpacked into under the build dir `build`.
fn unpacked(build: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(build.join(".spygen-packs")) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn a_program_in_another_project_links_the_packed_module_and_runs_on_native_and_wasi() {
    if !require_program("node", "apt-get install nodejs") {
        return;
    }
    let Some(fx) = fixture() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let project = consumer(fx, tmp.path(), &[&fx.pack]);
    let (code, _, err) = run(spygen().arg("gen").arg(&project));
    assert_eq!(code, 0, "{err}");
    let ninja = std::fs::read_to_string(project.join("build/build.ninja")).unwrap();
    assert!(!ninja.contains("obj/spyvm_tinyenc") && !ninja.contains("tinyenc.c"), "a packed module compiles nothing");
    for target in ["native", "wasi"] {
        let out = run_ok(spygen().args(["run", "encdemo", "--target", target, "--", "hello"]).current_dir(&project));
        assert!(out.contains("crc32 hello 3610a686"), "{target}: {out}");
    }
    let unpacked_dirs = unpacked(&project.join("build"));
    assert_eq!(unpacked_dirs.len(), 1, "unpacked once, into one directory");
    // Its manifest is where every module's is, for what reads it (SPy's build_info()).
    run_ok(spygen().args(["build", "wasi-debug"]).current_dir(&project));
    let manifest = project.join("build/wasi/debug/spyvm_tinyenc.spymod.json");
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(manifest).unwrap()).unwrap();
    let archive = manifest["archives"][0].as_str().unwrap();
    assert!(archive.starts_with(unpacked_dirs[0].to_str().unwrap()), "{archive}");
    assert!(std::path::Path::new(archive).is_file(), "{archive}");
    let (code, out, err) = run(spygen().arg("gen").arg(&project));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("unchanged (no input changed)"), "an unchanged pack is not read again: {out}");
}

#[test]
fn a_configuration_the_pack_lacks_is_left_out_with_one_warning_naming_how_to_pack_it() {
    let Some(fx) = fixture() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let project = consumer(fx, tmp.path(), &[&fx.pack]);
    let (code, _, err) = run(spygen().arg("gen").arg(&project));
    assert_eq!(code, 0, "{err}");
    for (config, fix) in [
        ("`emscripten`", "--target emscripten"),
        ("`native-static`", "--target native-static"),
        ("`native-release`", "--build-type release"),
        ("`wasi-release`", "--build-type release"),
    ] {
        let warnings: Vec<&str> = err.lines().filter(|l| l.contains(&format!("left out of {config}"))).collect();
        assert_eq!(warnings.len(), 1, "one warning for {config}:\n{err}");
        assert!(warnings[0].contains("spy.toml:") && warnings[0].contains(fix), "{}", warnings[0]);
    }
    let (code, _, err) = run(spygen().args(["run", "encdemo", "--target", "emscripten"]).current_dir(&project));
    assert_ne!(code, 0);
    assert!(err.contains("not built for emscripten"), "{err}");
}

#[test]
fn packing_the_same_build_twice_gives_the_same_bytes_and_inspect_verifies_every_member() {
    let Some(fx) = fixture() else { return };
    assert_eq!(std::fs::read(&fx.pack).unwrap(), std::fs::read(&fx.pack_again).unwrap());
    let out = run_ok(spygen().args(["pack", "--inspect"]).arg(&fx.pack));
    assert!(out.contains("module `spyvm_tinyenc`"), "{out}");
    assert!(out.contains("native-debug") && out.contains("wasi-debug") && !out.contains("release"), "{out}");
    for member in
        ["include/0/spyvm_tinyenc.h", "wasi/debug/lib/spyvm_tinyenc.a", "native/debug/spyvm_tinyenc.spymod.json"]
    {
        assert!(out.contains(member), "{member} is listed:\n{out}");
    }
    let count = members(&fx.pack).len() - 1;
    assert!(out.contains(&format!("all {count} members match their sha256")), "{out}");
    let all = members(&fx.pack);
    assert_eq!(all[0].0, "spymod-pack.json", "the index comes first");
    let names: Vec<&String> = all[1..].iter().map(|(n, _)| n).collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]), "then the members by name: {names:?}");
}

#[test]
fn pack_does_not_write_over_a_file_that_is_not_a_pack() {
    let Some(fx) = fixture() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("encdemo.c");
    std::fs::write(&source, "int main(void) { return 0; }\n").unwrap();
    let demo = fx.examples.join("out-of-tree/demo");
    let (code, _, err) = run(spygen().args(["pack", "spyvm_tinyenc", "-o"]).arg(&source).current_dir(&demo));
    assert_ne!(code, 0);
    assert!(err.contains("not a pack spygen wrote: not replacing it"), "{err}");
    assert_eq!(std::fs::read_to_string(&source).unwrap(), "int main(void) { return 0; }\n");
}

#[test]
fn a_member_changed_after_packing_is_refused_naming_it_and_nothing_is_unpacked() {
    let Some(fx) = fixture() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut all = members(&fx.pack);
    let (_, archive) = all.iter_mut().find(|(n, _)| n == "wasi/debug/lib/spyvm_tinyenc.a").unwrap();
    archive.push(b'\n');
    let tampered = tmp.path().join("tampered.spymod");
    write_zip(&tampered, &all);
    let (code, _, err) = run(spygen().args(["pack", "--inspect"]).arg(&tampered));
    assert_ne!(code, 0);
    assert!(err.contains("member `wasi/debug/lib/spyvm_tinyenc.a` has sha256"), "{err}");
    assert!(err.contains("its index says") && err.contains("tampered.spymod"), "{err}");
    let project = consumer(fx, &tmp.path().join("p"), &[&tampered]);
    let (code, _, err) = run(spygen().arg("gen").arg(&project));
    assert_ne!(code, 0);
    assert!(err.contains("spy.toml:") && err.contains("member `wasi/debug/lib/spyvm_tinyenc.a`"), "{err}");
    assert_eq!(unpacked(&project.join("build")), Vec::<PathBuf>::new(), "nothing unpacked");
}

#[test]
fn a_truncated_pack_is_refused_as_incomplete() {
    let Some(fx) = fixture() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(&fx.pack).unwrap();
    let truncated = tmp.path().join("truncated.spymod");
    std::fs::write(&truncated, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let (code, _, err) = run(spygen().args(["pack", "--inspect"]).arg(&truncated));
    assert_ne!(code, 0);
    assert!(err.contains("truncated.spymod: not a complete pack"), "{err}");
}

/// A zip holding a valid-looking index and one member named `name` (written under a
/// placeholder of the same length, then renamed in the bytes: a zip writer may refuse to
/// write such a name, an attacker's does not); `symlink`: the member is a link to `/etc`.
fn hostile_pack(path: &Path, name: &str, symlink: bool) {
    let placeholder: String = "x".repeat(name.len());
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let index = format!(
        "{{\"schema\":\"spygen-pack/1\",\"module\":\"evil\",\"generator\":\"x\",\"runtime\":null,\"configurations\":[],\"files\":{{\"{name}\":\"{}\"}}}}",
        sha256_hex(b"pwned\n")
    );
    zip.start_file("spymod-pack.json", options).unwrap();
    zip.write_all(index.as_bytes()).unwrap();
    if symlink {
        zip.add_symlink(placeholder.as_str(), "/etc", options).unwrap();
    } else {
        zip.start_file(placeholder.as_str(), options).unwrap();
        zip.write_all(b"pwned\n").unwrap();
    }
    let mut bytes = zip.finish().unwrap().into_inner();
    let mut replaced = 0;
    let mut i = 0;
    while i + name.len() <= bytes.len() {
        if bytes[i..i + name.len()] == *placeholder.as_bytes() {
            bytes[i..i + name.len()].copy_from_slice(name.as_bytes());
            replaced += 1;
            i += name.len();
        } else {
            i += 1;
        }
    }
    assert_eq!(replaced, 2, "the name in the local header and in the central directory");
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_member_named_outside_the_pack_or_a_symlink_is_refused_before_anything_is_written() {
    let Some(fx) = fixture() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let escape = tmp.path().join("escaped");
    let absolute = format!("{}/pwned.h", escape.display());
    for (name, symlink, why) in [
        ("../../../escaped/pwned.h", false, "leads out of the pack's directory with `..`"),
        ("include/../../../../escaped/x.h", false, "leads out of the pack's directory"),
        (absolute.as_str(), false, "is not a relative path"),
        ("include/0/link", true, "is a symbolic link"),
    ] {
        let pack = tmp.path().join("hostile.spymod");
        hostile_pack(&pack, name, symlink);
        let (code, _, err) = run(spygen().args(["pack", "--inspect"]).arg(&pack));
        assert_ne!(code, 0, "{name}");
        assert!(err.contains(&format!("member `{name}` {why}")), "{name}: {err}");
        let project = consumer(fx, &tmp.path().join("p/q/r"), &[&pack]);
        let (code, _, err) = run(spygen().arg("gen").arg(&project));
        assert_ne!(code, 0, "{name}");
        assert!(err.contains(&format!("member `{name}` {why}")), "{name}: {err}");
        assert_eq!(unpacked(&project.join("build")), Vec::<PathBuf>::new(), "{name}: nothing unpacked");
        assert!(!escape.exists(), "{name}: nothing written outside");
    }
}

#[test]
fn two_packs_of_one_module_are_the_duplicate_module_error_naming_both() {
    let Some(fx) = fixture() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let project = consumer(fx, tmp.path(), &[&fx.pack, &fx.pack_again]);
    let (code, _, err) = run(spygen().arg("gen").arg(&project));
    assert_ne!(code, 0);
    assert!(err.contains("spyvm_tinyenc"), "{err}");
    for pack in [&fx.pack, &fx.pack_again] {
        assert!(err.contains(&format!("packed in {}", pack.display())), "{err}");
    }
}

/// Generates a consumer of the fixture's pack as if `target`'s configurations had been built by
/// compiler version `version`; returns the exit code and stderr.
fn gen_with_packed_compiler_version(fx: &Fixture, target: &str, version: &str) -> (i32, String) {
    let tmp = tempfile::tempdir().unwrap();
    let other = tmp.path().join("other-compiler.spymod");
    with_compiler_version(&fx.pack, &other, target, version);
    run_ok(spygen().args(["pack", "--inspect"]).arg(&other));
    let project = consumer(fx, &tmp.path().join("p"), &[&other]);
    let (code, _, err) = run(spygen().arg("gen").arg(&project));
    (code, err)
}

#[test]
fn a_pack_built_by_another_zig_is_an_error_naming_both_versions() {
    let Some(fx) = fixture() else { return };
    let (code, err) = gen_with_packed_compiler_version(fx, "wasi", "0.11.0");
    assert_ne!(code, 0);
    assert!(
        err.contains("was built for wasi-debug with zig 0.11.0, but this project compiles wasi-debug with zig "),
        "{err}"
    );
    assert!(err.contains("pack `spyvm_tinyenc` again with zig"), "{err}");
}

#[test]
fn a_pack_built_by_another_gcc_is_a_warning_as_the_native_descriptor_declares_its_archives_stable() {
    let Some(fx) = fixture() else { return };
    let (code, err) = gen_with_packed_compiler_version(fx, "native", "1.0.0");
    assert_eq!(code, 0, "{err}");
    let warning = err.lines().find(|l| l.contains("was packed for native-debug with cc 1.0.0")).unwrap_or_default();
    assert!(warning.contains("archives compatible across versions"), "{err}");
}

#[test]
fn replacing_the_pack_regenerates_with_the_new_one() {
    let Some(fx) = fixture() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("dist/spyvm_tinyenc.spymod");
    std::fs::create_dir_all(pack.parent().unwrap()).unwrap();
    std::fs::copy(&fx.pack, &pack).unwrap();
    let project = consumer(fx, &tmp.path().join("p"), &[&pack]);
    run_ok(spygen().args(["build", "native-debug"]).current_dir(&project));
    let (code, out, err) = run(spygen().arg("gen").arg(&project));
    assert!(code == 0 && out.contains("unchanged (no input changed)"), "{out}{err}");
    std::fs::copy(&fx.native_only, &pack).unwrap();
    let (code, _, err) = run(spygen().arg("gen").arg(&project));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("left out of `wasi`"), "the new pack, which has no wasi build, is read: {err}");
    let out = run_ok(spygen().args(["run", "encdemo", "--", "hello"]).current_dir(&project));
    assert!(out.contains("crc32 hello 3610a686"), "{out}");
    assert_eq!(unpacked(&project.join("build")).len(), 2, "each content unpacked once");
    // A file removed from an unpacked copy is unpacked again by the next generation.
    for dir in unpacked(&project.join("build")) {
        let _ = std::fs::remove_file(dir.join("native/debug/lib/spyvm_tinyenc.a"));
    }
    touch(&project.join("spy.toml"));
    let out = run_ok(spygen().args(["run", "encdemo", "--", "hello"]).current_dir(&project));
    assert!(out.contains("crc32 hello 3610a686"), "{out}");
}

#[test]
fn naming_a_modules_spygen_toml_instead_of_its_directory_says_which_directory_to_name() {
    let tmp = tempfile::tempdir().unwrap();
    write_files(
        tmp.path(),
        &[
            ("m/spygen.toml", "name = \"m\"\nsources = [\"m.c\"]\n"),
            ("m/m.c", "int m(void) { return 1; }\n"),
            ("p/spy.toml", "extra-vm-modules = [\"../m/spygen.toml\"]\n"),
        ],
    );
    let (code, _, err) = run(spygen().arg("gen").arg(tmp.path().join("p")));
    assert_ne!(code, 0);
    assert!(err.contains("spy.toml:1:") && err.contains("is a file, neither a module directory nor a pack"), "{err}");
    assert!(err.contains(&format!("name the module's directory: {}", tmp.path().join("m").display())), "{err}");
}
