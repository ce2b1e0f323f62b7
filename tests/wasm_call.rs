//! `spygen::wasm_call` for real: a reactor built with the wasi target's zig cc, its exports
//! called through node and spygen's `wasi-call.mjs` as `spygen run --call` runs them, with the
//! results printed as their types read, traps and exits passed through.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use spygen::wasm_call::{command, prepare};

/// The reactor's C source: an export of each numeric type, one trapping, one exiting, one
/// reading its constructor's work (run by `_initialize`) and one reading a file in the
/// preopened working directory.
const REACTOR: &str = r#"#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static int32_t base;
__attribute__((constructor)) static void init(void) { base = 40; }

int64_t add64(int64_t a, int64_t b) { return a + b; }
double half(double x) { return x / 2; }
float halff(float x) { return x / 2; }
int32_t neg(int32_t x) { return -x; }
int32_t answer(void) { return base + 2; }
void trap(void) { __builtin_trap(); }
void quit(int32_t code) { exit(code); }
int32_t file_size(void) {
    FILE *f = fopen("data.txt", "rb");
    if (!f) return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return (int32_t)n;
}
"#;

/// The exports `REACTOR` is linked with.
const EXPORTS: [&str; 8] = ["add64", "half", "halff", "neg", "answer", "trap", "quit", "file_size"];

/// The wasi target's compiler words, as `spygen toolchains --json` resolves them (zig cc).
fn wasi_compiler() -> Vec<String> {
    let out = run_ok(spygen().args(["toolchains", "--json"]));
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let wasi = list.as_array().unwrap().iter().find(|t| t["target"] == "wasi").expect("a wasi target");
    wasi["compiler"]["command"].as_array().unwrap().iter().map(|w| w.as_str().unwrap().to_string()).collect()
}

/// `REACTOR` built in `dir` as `reactor.wasm`; `None` when zig or node is missing here (said by
/// [`require_target`] and [`require_program`]).
fn build_reactor(dir: &Path) -> Option<PathBuf> {
    if !require_target("wasi") || !require_program("node", "apt-get install nodejs") {
        return None;
    }
    write_files(dir, &[("reactor.c", REACTOR)]);
    let (cc, cc_args) = wasi_compiler().split_first().map(|(c, a)| (c.clone(), a.to_vec())).unwrap();
    let mut build = Command::new(cc);
    build.args(cc_args).args(["--target=wasm32-wasi-musl", "-mexec-model=reactor", "-O2"]);
    build.args(EXPORTS.map(|e| format!("-Wl,--export={e}"))).args(["reactor.c", "-o", "reactor.wasm"]);
    run_ok(build.current_dir(dir));
    Some(dir.join("reactor.wasm"))
}

/// Calls `export` of `wasm` with `args` as `spygen run --call` does through node (the runner's
/// words as the wasi descriptor resolves them), in `dir`: (exit code, stdout, stderr).
fn call(dir: &Path, wasm: &Path, export: &str, args: &[&str]) -> (i32, String, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let call = prepare(wasm, export, &args).unwrap_or_else(|e| panic!("{e}"));
    let node = program_path("node");
    let runner = [node, "--no-warnings".to_string(), dir.join("build/.spygen/wasi-run.mjs").display().to_string()];
    let words = command(&call, wasm, &runner, &dir.join("build/.spygen")).unwrap_or_else(|e| panic!("{e}"));
    run(Command::new(&words[0]).args(&words[1..]).current_dir(dir))
}

/// The one line `export` prints, checking that it exits 0 with nothing on stderr.
fn result(dir: &Path, wasm: &Path, export: &str, args: &[&str]) -> String {
    let (code, out, err) = call(dir, wasm, export, args);
    assert_eq!((code, err.as_str()), (0, ""), "{export} {args:?} printed {out:?}");
    out.strip_suffix('\n').unwrap_or_else(|| panic!("{export}: one line, not {out:?}")).to_string()
}

#[test]
fn node_prints_each_result_as_its_type_reads_after_the_reactor_is_initialized() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let Some(wasm) = build_reactor(root) else { return };
    // i64 beyond 2^53, in and out; an unsigned argument is the same bits as a signed one.
    assert_eq!(result(root, &wasm, "add64", &["1152921504606846976", "5"]), "1152921504606846981");
    assert_eq!(result(root, &wasm, "add64", &["18446744073709551615", "0x2"]), "1");
    assert_eq!(result(root, &wasm, "add64", &["-9007199254740993", "0"]), "-9007199254740993");
    // i32 results are signed.
    assert_eq!(result(root, &wasm, "neg", &["5"]), "-5");
    assert_eq!(result(root, &wasm, "neg", &["4294967295"]), "1");
    assert_eq!(result(root, &wasm, "neg", &["-2147483648"]), "-2147483648");
    // Floats print as Rust's Display (wasmtime's --invoke) prints them: shortest digits that
    // read back as the value of their own type, no exponent.
    for x in ["3", "0.1", "-7.25", "1e300", "3e-7", "1e21"] {
        let expected = format!("{}", x.parse::<f64>().unwrap() / 2.0);
        assert_eq!(result(root, &wasm, "half", &[x]), expected, "half({x})");
    }
    for x in ["0.1", "3.3", "1e38", "1e-40"] {
        let expected = format!("{}", x.parse::<f32>().unwrap() / 2.0);
        assert_eq!(result(root, &wasm, "halff", &[x]), expected, "halff({x})");
    }
    assert_eq!(result(root, &wasm, "half", &["-inf"]), "-inf");
    assert_eq!(result(root, &wasm, "half", &["nan"]), "NaN");
    assert_eq!(result(root, &wasm, "half", &["-0"]), "-0");
    // _initialize ran the constructor before the call.
    assert_eq!(result(root, &wasm, "answer", &[]), "42");
    // The working directory is preopened: a relative file name opens there.
    std::fs::write(root.join("data.txt"), "12345").unwrap();
    assert_eq!(result(root, &wasm, "file_size", &[]), "5");
    // Nothing returned, nothing printed.
    let (code, out, err) = call(root, &wasm, "quit", &["0"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
}

#[test]
fn a_trap_prints_wasm_trap_and_exits_1_and_an_exit_keeps_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let Some(wasm) = build_reactor(root) else { return };
    let (code, out, err) = call(root, &wasm, "trap", &[]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.starts_with("wasm trap: ") && err.ends_with('\n') && err.lines().count() == 1, "{err}");
    let (code, _, err) = call(root, &wasm, "quit", &["3"]);
    assert_eq!(code, 3, "{err}");
}

#[test]
fn a_multivalue_return_prints_one_result_a_line_and_a_module_without_wasi_needs_no_initializing() {
    if !require_program("node", "apt-get install nodejs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let wasm = root.join("pair.wasm");
    let wat = r#"(module (func (export "pair") (param i32) (result i32 i64 f32 f64)
        local.get 0  i64.const 9007199254740993  f32.const 0.1  f64.const 1e21))"#;
    std::fs::write(&wasm, wat::parse_str(wat).unwrap()).unwrap();
    let (code, out, err) = call(root, &wasm, "pair", &["0xffffffff"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "-1\n9007199254740993\n0.1\n1000000000000000000000\n");
}

#[test]
fn the_script_refuses_a_command_module_and_says_to_run_it_without_call() {
    if !require_program("node", "apt-get install nodejs") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let wasm = root.join("cmd.wasm");
    let wat = r#"(module (func (export "_start")) (func (export "f") (result i32) i32.const 1))"#;
    std::fs::write(&wasm, wat::parse_str(wat).unwrap()).unwrap();
    let (code, out, err) = call(root, &wasm, "f", &[]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("is a wasi command module (it exports _start"), "{err}");
    assert!(err.contains("run the program without --call"), "{err}");
}
