//! Resolved module manifests: after a build, each module's `<module>.spymod.json` is enough to
//! compile and link against it (the demo's Python `build_info()` reads it), and its hashes
//! catch a file changed since.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

/// Builds `target`'s debug configuration of the demo copy and returns what the example
/// `build_info()` gives for spyvm_tinyenc.
fn build_info(examples: &Path, target: &str) -> serde_json::Value {
    let demo = examples.join("out-of-tree/demo");
    run_ok(spygen().args(["build", &format!("{target}-debug")]).current_dir(&demo));
    let script = examples.join("out-of-tree/spyvm_tinyenc/build_info.py");
    let out = run_ok(Command::new("python3").arg(script).arg(demo.join("build")).args([target, "debug"]));
    serde_json::from_str(&out).unwrap()
}

/// Compiles and links `main.c` with only what `info` says; returns the program.
fn link_with(info: &serde_json::Value, dir: &Path, name: &str) -> std::path::PathBuf {
    let words = |key: &str| -> Vec<String> {
        info[key].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_string()).collect()
    };
    let main = dir.join("main.c");
    std::fs::write(
        &main,
        "#include <stdio.h>\n#include <tinyenc.h>\nint main(void) {\n\
         \x20   printf(\"%08x\\n\", (unsigned)tinyenc_crc32((const unsigned char *)\"hello\", 5));\n    return 0;\n}\n",
    )
    .unwrap();
    let out = dir.join(name);
    let cc = words("compiler");
    run_ok(
        Command::new(&cc[0]).args(&cc[1..]).args(words("cflags")).arg(&main).arg("-o").arg(&out).args(words("ldflags")),
    );
    out
}

#[test]
fn a_modules_manifest_is_enough_to_compile_and_link_against_it_on_native_and_wasi() {
    if !require_program("ninja", "apt-get install ninja-build")
        || !require_program("python3", "apt-get install python3")
        || !require_program("node", "apt-get install nodejs")
        || !require_target("native")
        || !require_target("wasi")
    {
        return;
    }
    let (tmp, examples) = examples_copy();
    let native = build_info(&examples, "native");
    let archives: Vec<&str> = native["archives"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(archives.len(), 3, "the module, then the vendored library, then the runtime: {archives:?}");
    assert!(archives[0].ends_with("native/debug/spyvm_tinyenc.a") && archives[2].ends_with("native/debug/runtime.a"));
    let program = link_with(&native, tmp.path(), "crc-native");
    assert_eq!(run_ok(&mut Command::new(program)), "3610a686\n");
    let wasi = build_info(&examples, "wasi");
    assert!(wasi["exports"].as_array().unwrap().iter().any(|e| e == "spy_tinyenc$crc32"), "{wasi}");
    let wasm = link_with(&wasi, tmp.path(), "crc.wasm");
    let launcher = repo_root().join("templates/wasi-run.mjs");
    assert_eq!(run_ok(Command::new("node").arg("--no-warnings").arg(launcher).arg(wasm)), "3610a686\n");
}

#[test]
fn the_manifest_records_the_toolchain_and_system_libraries_and_its_hashes_catch_a_changed_archive() {
    if !require_program("ninja", "apt-get install ninja-build")
        || !require_program("python3", "apt-get install python3")
        || !require_target("native")
    {
        return;
    }
    let (_tmp, examples) = examples_copy();
    let demo = examples.join("out-of-tree/demo");
    run_ok(spygen().args(["build", "native-debug"]).current_dir(&demo));
    let text = std::fs::read_to_string(demo.join("build/native/debug/spyvm_libmagic.spymod.json")).unwrap();
    let m: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(m["schema"], "spygen-module/1");
    assert!(m["toolchain"]["compiler"][0].as_str().unwrap().starts_with('/'), "the compiler by its path: {m}");
    assert_eq!(m["toolchain"]["package"], "cc");
    assert_eq!(m["system_libs"][0]["package"], "libmagic", "{m}");
    assert!(m["ldflags"].as_array().unwrap().iter().any(|f| f == "-lmagic"), "{m}");
    assert!(m["provenance"]["manifest"].as_str().unwrap().ends_with("spyvm_libmagic/spygen.toml"));
    assert_eq!(m["provenance"]["manifest_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(m["provenance"]["project"], demo.join("spy.toml").to_str().unwrap(), "the project it was built in");
    let spy_toml = std::fs::read(demo.join("spy.toml")).unwrap();
    assert_eq!(m["provenance"]["project_sha256"], sha256_hex(&spy_toml).as_str());
    assert!(m["system_libs"][0]["origin"].as_str().unwrap().contains("libmagic.pc"), "which libmagic: {m}");
    // An archive changed behind the manifest's back is caught by the reader.
    let archive = demo.join("build/native/debug/runtime.a");
    let mut bytes = std::fs::read(&archive).unwrap();
    bytes.push(b'\n');
    std::fs::write(&archive, bytes).unwrap();
    let script = examples.join("out-of-tree/spyvm_tinyenc/build_info.py");
    let read_back = || run(Command::new("python3").arg(&script).arg(demo.join("build")).args(["native", "debug"]));
    let (code, _, err) = read_back();
    assert_ne!(code, 0);
    assert!(err.contains("runtime.a changed since"), "{err}");
    // The next build writes the manifests over it again: they follow their archives.
    run_ok(spygen().args(["build", "native-debug"]).current_dir(&demo));
    let (code, _, err) = read_back();
    assert_eq!(code, 0, "{err}");
}
