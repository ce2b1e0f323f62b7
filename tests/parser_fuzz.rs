//! Fuzz-style harness for the readers of user files: random bytes, random TOML built from the
//! manifests' own keys with values of every type (control characters, huge numbers, invalid
//! UTF-8, deep nesting) fed to the module manifest, project manifest and toolchain descriptor
//! readers. Whatever they are given, they answer with an error or a value, never a panic or a
//! crash; an error read from a file names the file. A few cases go through the binary, whose
//! exit code must be 0, 1 or 2 (never a panic's 101 or an abort's 134).
//!
//! Deterministic by default (a fixed seed, 400 cases per reader); a longer run:
//! `SPYGEN_HARNESS_CASES=20000 cargo test --test parser_fuzz`, another seed with
//! `SPYGEN_HARNESS_SEED=<n>`.

mod common;

use std::path::Path;

use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use spygen::manifest::{LoadOptions, Project, load_module};
use spygen::toolchain::Db;

fn config(default_cases: u32) -> Config {
    harness_config(default_cases, 0xf022_0011, 256)
}

/// Keys of module manifests, project manifests and descriptors, so random documents reach the
/// checks behind the syntax.
const KEYS: &[&str] = &[
    "name",
    "kind",
    "sources",
    "public-include-dirs",
    "include-dirs",
    "public-headers",
    "defines",
    "cflags",
    "ldflags",
    "deps",
    "targets",
    "exports",
    "system-lib",
    "pkg-config",
    "fallback-libs",
    "suffix",
    "foreign-make",
    "archive",
    "directory",
    "args",
    "target",
    "build-type",
    "extra-sources",
    "wasi",
    "native",
    "release",
    "debug",
    "extra-vm-modules",
    "spygen",
    "runtime",
    "build-dir",
    "build-types",
    "launcher",
    "launcher-for",
    "link-jobs",
    "program",
    "description",
    "triplet",
    "install",
    "compiler",
    "archiver",
    "env",
    "candidates",
    "command",
    "probe",
    "probe-inputs",
    "version-args",
    "flags",
    "base",
    "warnings",
    "warning-as-error",
    "suffixes",
    "object",
    "executable",
    "link",
    "export",
    "export-list",
    "reactor",
    "side-outputs",
    "nearest",
    "files",
];

/// A TOML value as text: strings with anything in them (escaped as TOML requires), integers at
/// the edges of their range, floats, booleans, arrays and inline tables, nested.
fn toml_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        any::<String>().prop_map(|s| toml_string(&s)),
        "[ -~]{0,20}".prop_map(|s| toml_string(&s)),
        Just("\"\\u0000\\n\\t\\u007f\\u0085\"".to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        Just("9223372036854775808".to_string()),
        Just("-0".to_string()),
        any::<f64>().prop_map(|f| if f.is_finite() { format!("{f:e}") } else { "nan".to_string() }),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("\"../..\"".to_string()),
        Just("\"/**/*.c\"".to_string()),
        Just("\"src/[a.c\"".to_string()),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(|v| format!("[{}]", v.join(", "))),
            proptest::collection::vec((proptest::sample::select(KEYS), inner), 0..5).prop_map(|kv| {
                let items: Vec<String> = kv.into_iter().map(|(k, v)| format!("\"{k}\" = {v}")).collect();
                format!("{{ {} }}", items.join(", "))
            }),
        ]
    })
}

/// A TOML document: top-level keys, then tables and arrays of tables, from the manifests' keys.
fn toml_document() -> impl Strategy<Value = String> {
    let pairs = || proptest::collection::vec((proptest::sample::select(KEYS), toml_value()), 0..8);
    let tables = proptest::collection::vec(
        (proptest::sample::select(KEYS), proptest::sample::select(KEYS), any::<bool>(), pairs()),
        0..4,
    );
    (pairs(), tables).prop_map(|(top, tables)| {
        let mut text = String::new();
        for (k, v) in top {
            text += &format!("{k} = {v}\n");
        }
        for (outer, inner, array, body) in tables {
            text += &if array { format!("[[{outer}]]\n") } else { format!("[{outer}.{inner}]\n") };
            for (k, v) in body {
                text += &format!("{k} = {v}\n");
            }
        }
        text
    })
}

/// Any bytes, or a TOML document with some of its bytes damaged.
fn file_content() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        toml_document().prop_map(String::into_bytes),
        (toml_document(), any::<usize>(), any::<u8>()).prop_map(|(doc, at, byte)| {
            let mut bytes = doc.into_bytes();
            if !bytes.is_empty() {
                let i = at % bytes.len();
                bytes[i] = byte;
            }
            bytes
        }),
    ]
}

/// Runs `read` on every generated content written to `file` in a fresh directory; an error
/// must be a message naming the file when it comes from one.
fn fuzz(file: &str, read: impl Fn(&Path) -> Result<(), spygen::Error>) {
    let mut runner = TestRunner::new(config(400));
    let result = runner.run(&file_content(), |content| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(file), &content).unwrap();
        if let Err(e) = read(dir.path()) {
            prop_assert!(!e.message.is_empty());
            if let Some(at) = &e.location {
                prop_assert!(at.file.ends_with(file) || at.file.to_string_lossy().contains("<builtin>"), "{e}");
                prop_assert!(at.line >= 1 && at.column >= 1);
            }
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}

#[test]
fn random_module_manifests_never_panic_the_reader() {
    fuzz("spygen.toml", |dir| load_module(dir, None).map(|_| ()));
}

#[test]
fn random_project_manifests_never_panic_the_reader() {
    fuzz("spy.toml", |dir| Project::load(dir, &LoadOptions::default()).map(|_| ()));
}

#[test]
fn random_toolchain_descriptors_never_panic_the_database() {
    fuzz("native.toml", |dir| Db::load(Some(dir)).map(|_| ()));
    fuzz("defaults.toml", |dir| Db::load(Some(dir)).map(|_| ()));
}

#[test]
fn nesting_thousands_deep_is_an_error_not_a_crash() {
    for depth in [1_000, 100_000] {
        let dir = tempfile::tempdir().unwrap();
        let arrays = format!("sources = {}{}\n", "[".repeat(depth), "]".repeat(depth));
        let tables = format!("name = {}1{}\n", "{ a = ".repeat(depth), " }".repeat(depth));
        for text in [arrays, tables] {
            std::fs::write(dir.path().join("spygen.toml"), &text).unwrap();
            let err = load_module(dir.path(), None).unwrap_err();
            assert!(err.location.is_some_and(|at| at.file.ends_with("spygen.toml")), "{}", err.message);
        }
    }
}

#[test]
fn random_projects_through_the_binary_exit_with_an_error_code_never_a_crash() {
    let mut runner = TestRunner::new(config(30));
    let strategy = (file_content(), file_content());
    let result = runner.run(&strategy, |(project, module)| {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("spy.toml"), &project).unwrap();
        std::fs::create_dir(root.join("m")).unwrap();
        std::fs::write(root.join("m/spygen.toml"), &module).unwrap();
        std::fs::write(root.join("m/a.c"), "int a;\n").unwrap();
        let (code, _, err) = run(spygen().args(["gen", "-q", "--extra-vm-module"]).arg(root.join("m")).arg(root));
        if ![0, 1, 2].contains(&code) {
            return Err(TestCaseError::fail(format!("exit code {code}\n{err}")));
        }
        prop_assert!(code == 0 || err.starts_with("spygen: error: "), "{err}");
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
