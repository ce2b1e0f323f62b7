//! `spygen flags`: the exact flags of every target × build type × option, errors, runtime
//! discovery, user descriptors, and real compiles with the printed command lines.

mod common;

use std::path::Path;

use common::*;

const TARGETS: [&str; 4] = ["native", "native-static", "wasi", "emscripten"];
const BUILD_TYPES: [&str; 2] = ["debug", "release"];
const OPTIONS: [&str; 3] = ["--cflags", "--ldflags", "--libdir"];

fn flags(args: &[&str]) -> String {
    run_ok(spygen().arg("flags").args(args)).trim_end_matches('\n').to_string()
}

#[test]
fn every_target_build_type_and_option_combination() {
    let mut table = String::new();
    for target in TARGETS {
        for build_type in BUILD_TYPES {
            for werror in [false, true] {
                for mask in 1..(1 << OPTIONS.len()) {
                    let mut args = vec!["--target", target, "--build-type", build_type, "--runtime-root", "/RUNTIME"];
                    let chosen: Vec<&str> =
                        (0..OPTIONS.len()).filter(|i| mask & (1 << i) != 0).map(|i| OPTIONS[i]).collect();
                    args.extend(&chosen);
                    if werror {
                        args.push("--warning-as-error");
                    }
                    let werror_tag = if werror { " --warning-as-error" } else { "" };
                    table += &format!("{target} {build_type} {}{werror_tag}\n    {}\n", chosen.join(" "), flags(&args));
                }
            }
        }
    }
    insta::assert_snapshot!(table);
}

#[test]
fn cc_and_ar_come_last_in_the_helper_order_and_match_toolchains() {
    for target in TARGETS {
        // `--cc` and `--ar` fail when the tool is missing.
        if !require_target(target) {
            continue;
        }
        let cc = flags(&["--target", target, "--cc"]);
        let ar = flags(&["--target", target, "--ar"]);
        let all =
            flags(&["--ar", "--cc", "--libdir", "--ldflags", "--cflags", "--target", target, "--runtime-root", "/R"]);
        let cflags = flags(&["--target", target, "--cflags", "--runtime-root", "/R"]);
        let ldflags = flags(&["--target", target, "--ldflags"]);
        let expected = [cflags, ldflags, format!("-L/R/build/{target}/debug"), cc.clone(), ar]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(all, expected, "order is cflags, ldflags, libdir, cc, ar");
        let json: serde_json::Value =
            serde_json::from_str(&run_ok(spygen().args(["flags", "--format", "json", "--target", target]))).unwrap();
        if json["cc"]["available"] == true {
            let words: Vec<&str> =
                json["cc"]["command"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
            assert_eq!(cc, words.join(" "));
        }
    }
}

#[test]
fn native_honours_cc_and_ar_environment_variables() {
    let out =
        run_ok(spygen().args(["flags", "--target", "native", "--cc", "--ar"]).env("CC", "gcc -m64").env("AR", "ar"));
    assert_eq!(
        out.trim(),
        format!("{} -m64 {}", program_path("gcc"), program_path("ar")),
        "absolute: PATH at build time does not matter"
    );
    // Other targets ignore CC: zig must not be replaced by the host compiler.
    let out = run_ok(spygen().args(["flags", "--target", "wasi", "--cc"]).env("CC", "gcc"));
    assert!(out.contains("zig"), "{out}");
}

#[test]
fn equals_form_and_spy_werror_env() {
    let spaced = flags(&["--target", "wasi", "--cflags"]);
    assert_eq!(flags(&["--target=wasi", "--cflags"]), spaced);
    let werror = flags(&["--target", "wasi", "--cflags", "--warning-as-error"]);
    // As SPy's helper: the warning-as-error flags replace the warning flags.
    assert!(werror.ends_with("-O0 -g -Werror -Wno-unreachable-code"), "{werror}");
    assert!(!werror.contains("-Werror=implicit-function-declaration"), "{werror}");
    for value in ["1", "true"] {
        let out = run_ok(spygen().args(["flags", "--target", "wasi", "--cflags"]).env("SPY_WERROR", value));
        assert_eq!(out.trim_end(), werror, "SPY_WERROR={value}");
    }
    // Exactly `1` or `true`, as SPy's helper reads it.
    for value in ["0", "false", "", "TRUE"] {
        let out = run_ok(spygen().args(["flags", "--target", "wasi", "--cflags"]).env("SPY_WERROR", value));
        assert_eq!(out.trim_end(), spaced, "SPY_WERROR={value}");
    }
}

#[test]
fn usage_errors_exit_2_and_say_what_to_do() {
    let (code, out, err) = run(spygen().args(["flags", "--target", "wasm64", "--cflags"]));
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(err.contains("unknown target `wasm64`; valid targets: emscripten, native, native-static, wasi"), "{err}");

    let (code, _, err) = run(spygen().args(["flags", "--ldflags"]));
    assert_eq!(code, 2);
    assert!(err.contains("--ldflags needs --target (one of emscripten, native, native-static, wasi)"), "{err}");

    let (code, _, err) = run(spygen().args(["flags", "--target", "wasi", "--build-type", "fast", "--cflags"]));
    assert_eq!(code, 2);
    assert!(err.contains("unknown build type `fast` for target `wasi`; valid build types: debug, release"), "{err}");

    let (code, _, err) = run(spygen().args(["flags", "--target", "wasi"]));
    assert_eq!(code, 2);
    assert!(err.contains("nothing to print"), "{err}");
}

#[test]
fn runtime_comes_from_the_project_found_upwards() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    write_files(
        &root,
        &[
            ("proj/spy.toml", "extra-vm-modules = []\n\n[spygen]\nruntime = \"../rt\"\nbuild-dir = \"out\"\n"),
            ("proj/deep/er/.keep", ""),
            ("rt/spygen.toml", "name = \"rt\"\nsources = []\npublic-include-dirs = [\"api\"]\n"),
        ],
    );
    let expected_i = format!("-I {}/rt/api", root.display());
    let expected_l = format!("-L{}/proj/out/wasi/release", root.display());
    let out = run_ok(
        spygen()
            .args(["flags", "--target", "wasi", "--build-type", "release", "--cflags", "--libdir"])
            .current_dir(root.join("proj/deep/er")),
    );
    assert!(out.trim_end().ends_with(&format!("{expected_i} {expected_l}")), "{out}");
    let out = run_ok(
        spygen()
            .args(["flags", "--target", "wasi", "--build-type", "release", "--libdir", "--project"])
            .arg(root.join("proj")),
    );
    assert_eq!(out.trim_end(), expected_l);

    // Outside any project: no -I/-L, and stderr says why.
    let (code, out, err) = run(spygen().args(["flags", "--target", "wasi", "--cflags", "--libdir"]).current_dir(&root));
    assert_eq!(code, 0);
    assert!(!out.contains("-I") && !out.contains("-L"), "{out}");
    assert!(err.contains("no spy.toml") && err.contains("--runtime-root"), "{err}");

    // A project without a runtime says how to name one.
    write_files(&root, &[("bare/spy.toml", "extra-vm-modules = []\n")]);
    let (_, _, err) = run(spygen().args(["flags", "--target", "wasi", "--cflags"]).current_dir(root.join("bare")));
    assert!(err.contains("names no runtime module") && err.contains("[spygen]"), "{err}");
}

#[test]
fn a_fifth_target_needs_only_a_descriptor_file() {
    let dir = repo_root().join("tests/fixtures/toolchains-extra");
    let out = run_ok(
        spygen()
            .args(["flags", "--target", "riscv64-linux", "--build-type", "minsize", "--cflags", "--ldflags"])
            .arg("--toolchain-dir")
            .arg(&dir),
    );
    assert_eq!(
        out.trim_end(),
        "-fvisibility=hidden -fPIC -DSPY_GC_NONE -DSPY_TARGET_NATIVE --target=riscv64-linux-musl -DSPY_RELEASE -Os \
         -Werror=implicit-function-declaration --target=riscv64-linux-musl -static"
    );
    // The environment variable works the same, and the built-in targets remain.
    let out = run_ok(spygen().args(["toolchains", "--json"]).env("SPYGEN_TOOLCHAIN_DIR", &dir));
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = list.as_array().unwrap().iter().map(|t| t["target"].as_str().unwrap()).collect();
    assert_eq!(names, ["emscripten", "native", "native-static", "riscv64-linux", "wasi"]);
    let riscv = &list[3];
    assert_eq!(riscv["build_types"], serde_json::json!(["debug", "minsize", "release"]));
}

#[test]
fn a_malformed_descriptor_points_at_file_line_and_column() {
    let dir = repo_root().join("tests/fixtures/toolchains-bad");
    let (code, out, err) =
        run(spygen().args(["flags", "--target", "native", "--cflags"]).arg("--toolchain-dir").arg(&dir));
    assert_eq!((code, out.as_str()), (1, ""));
    let expected = format!(
        "{}:5:10: invalid type: string \"-DSPY_TARGET_WASI\", expected a sequence",
        dir.join("wasi.toml").display()
    );
    assert!(err.contains(&expected), "{err}");
}

#[test]
fn make_and_json_formats() {
    let out = run_ok(spygen().args([
        "flags",
        "--format",
        "make",
        "--target",
        "wasi",
        "--build-type",
        "release",
        "--runtime-root",
        "/RUNTIME",
    ]));
    machine_filters(Path::new("/RUNTIME")).bind(|| insta::assert_snapshot!(out));
    let json: serde_json::Value = serde_json::from_str(&run_ok(spygen().args([
        "flags",
        "--format",
        "json",
        "--target",
        "emscripten",
        "--runtime-root",
        "/RUNTIME",
    ])))
    .unwrap();
    assert_eq!(json["triplet"], "wasm32-unknown-emscripten");
    assert_eq!(json["libdir"], "-L/RUNTIME/build/emscripten/debug");
    assert_eq!(json["suffixes"]["executable"], ".js");
    assert_eq!(json["cflags"].as_array().unwrap().last().unwrap(), "/RUNTIME/include");
}

/// Compiles a C file with exactly what `spygen flags` prints, through a shell as a Makefile would.
fn compile_with_printed_flags(target: &str, magic: &[u8]) {
    if !require_target(target) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("rt/include/spy_rt.h", "#define SPY_ANSWER 42\n"),
            (
                "t.c",
                "#include \"spy_rt.h\"\nint answer(void) { return SPY_ANSWER; }\nint main(void) { return answer() - 42; }\n",
            ),
        ],
    );
    let spygen_bin = env!("CARGO_BIN_EXE_spygen");
    let script = format!(
        "set -e; CC=$({spygen_bin} flags --cc --target {target}); \
         $CC $({spygen_bin} flags --cflags --target {target} --runtime-root rt) -c t.c -o t.o"
    );
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(dir.path())
        .env_remove("CC")
        .status()
        .unwrap();
    assert!(status.success(), "{script}");
    let object = std::fs::read(dir.path().join("t.o")).unwrap();
    assert!(object.starts_with(magic), "{target} object starts with {:?}", &object[..4]);
}

#[test]
fn printed_flags_compile_for_wasi() {
    compile_with_printed_flags("wasi", b"\0asm");
}

#[test]
fn printed_flags_compile_for_native() {
    compile_with_printed_flags("native", b"\x7fELF");
}

#[test]
fn printed_flags_compile_for_native_static() {
    // Release-style -flto objects are LLVM bitcode; debug objects are ELF.
    compile_with_printed_flags("native-static", b"\x7fELF");
}

#[test]
fn printed_flags_compile_for_emscripten() {
    compile_with_printed_flags("emscripten", b"\0asm");
}

#[test]
fn probe_answers_are_remembered_until_their_witness_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap();
    let witness = root.join("install/marker.py");
    write_files(
        &root,
        &[
            ("install/marker.py", "# stands for an installed package\n"),
            (
                "tc/probed.toml",
                "triplet = \"probed-none\"\ninstall = \"create the marker\"\n\
                 [compiler]\ncandidates = [{ command = [\"cc\"], probe = [\"sh\", \"-c\", \"echo run >> \\\"$SPYGEN_TEST_WITNESS.runs\\\"; test -f \\\"$SPYGEN_TEST_WITNESS\\\" && echo \\\"$SPYGEN_TEST_WITNESS\\\"\"] }]\n\
                 [archiver]\ncandidates = [{ command = [\"ar\"] }]\n",
            ),
        ],
    );
    let cc = |cache: &Path| {
        run(spygen()
            .args(["flags", "--target", "probed", "--cc", "--toolchain-dir"])
            .arg(root.join("tc"))
            .env("SPYGEN_CACHE_DIR", cache)
            .env("SPYGEN_TEST_WITNESS", &witness))
    };
    let cache = root.join("cache");
    assert_eq!(cc(&cache).1.trim(), program_path("cc"));
    let stored = std::fs::read_to_string(cache.join("tools.json")).unwrap();
    assert!(stored.contains(&witness.display().to_string()), "{stored}");
    // Remembered: the answer holds while the witness is unchanged, and the probe does not
    // run again...
    let probe_runs =
        || std::fs::read_to_string(root.join("install/marker.py.runs")).unwrap_or_default().lines().count();
    assert_eq!(probe_runs(), 1);
    assert_eq!(cc(&cache).1.trim(), program_path("cc"));
    assert_eq!(probe_runs(), 1, "the remembered answer is used");
    // ... and an uninstall (the witness is gone) is noticed at once.
    std::fs::remove_file(&witness).unwrap();
    let (code, out, err) = cc(&cache);
    assert_eq!(probe_runs(), 2, "the probe runs again");
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("no compiler for target `probed`") && err.contains("failed"), "{err}");
}

/// A descriptor's `launcher` is the default of its target: `spygen toolchains` shows it with
/// where it is set, `spygen flags --format make` passes it on as LAUNCHER, and
/// `$SPYGEN_LAUNCHER` overrides it (`native=none` removes it).
#[test]
fn descriptor_launcher_shown_by_toolchains_and_flags() {
    if !require_program("ccache", "apt-get install ccache") {
        return;
    }
    let dir = repo_root().join("tests/fixtures/toolchains-launcher");
    let native = |env: Option<&str>| -> serde_json::Value {
        let mut cmd = spygen();
        cmd.args(["toolchains", "--json"]).arg("--toolchain-dir").arg(&dir).current_dir(&dir);
        if let Some(v) = env {
            cmd.env("SPYGEN_LAUNCHER", v);
        }
        let list: serde_json::Value = serde_json::from_str(&run_ok(&mut cmd)).unwrap();
        list.as_array().unwrap().iter().find(|t| t["target"] == "native").unwrap().clone()
    };
    let launcher = &native(None)["launcher"];
    assert_eq!(launcher["command"], serde_json::json!(["ccache"]));
    assert_eq!(launcher["available"], true);
    // Where: the descriptor's line.
    assert!(launcher["set_by"].as_str().unwrap().ends_with("toolchains-launcher/native.toml:5:1"), "{launcher}");
    assert_eq!(native(Some("native=none"))["launcher"], serde_json::Value::Null);
    assert_eq!(native(Some("wasi=ccache"))["launcher"]["command"], serde_json::json!(["ccache"]));
    assert_eq!(native(Some("native=ccache"))["launcher"]["set_by"], "SPYGEN_LAUNCHER=native=ccache");

    let text = run_ok(spygen().args(["toolchains"]).arg("--toolchain-dir").arg(&dir).current_dir(&dir));
    assert!(text.contains("  launcher  ccache  (set by ") && text.contains("native.toml:5:1)"), "{text}");
    let make =
        run_ok(spygen().args(["flags", "--format", "make", "--target", "native"]).arg("--toolchain-dir").arg(&dir));
    assert!(make.lines().any(|l| l == format!("LAUNCHER := {}", program_path("ccache"))), "{make}");
}
