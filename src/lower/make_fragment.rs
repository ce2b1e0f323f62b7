//! Lowering to `spygen.mk`, the fragment a vendored library's own Makefile includes to get CC,
//! AR, CFLAGS, LDFLAGS and LIBDIR for `$(TARGET)` and `$(BUILD_TYPE)`. The skeleton is
//! `templates/spygen.mk.in`; this fills in one block of definitions per target.

use std::fmt::Write;
use std::path::PathBuf;

use super::make_syntax::{escape_value, words};
use crate::shell;
use crate::toolchain::{Db, FlagOptions, Resolution};

const TEMPLATE: &str = include_str!("../../templates/spygen.mk.in");

/// What the fragment needs besides the toolchain database.
#[derive(Debug, Clone, Default)]
pub struct FragmentInput {
    /// What wrote it, for the header (`for ../spy.toml`).
    pub source: String,
    /// The runtime's include directories (absolute), appended to CFLAGS as `-I`.
    pub include_dirs: Vec<PathBuf>,
    /// The directory holding `<target>/<build-type>/` archives (absolute), for LIBDIR.
    pub libdir_base: Option<PathBuf>,
    /// Warnings are errors unless SPY_WERROR says otherwise.
    pub warning_as_error: bool,
    /// The compiler launcher of each target that has one (`LAUNCHER`).
    pub launchers: std::collections::BTreeMap<String, Vec<String>>,
    /// The environment the generation reads (`CC`, `AR`...), as it saw it (empty: unset).
    pub env: std::collections::BTreeMap<String, String>,
}

/// The text of `spygen.mk`.
pub fn lower_make_fragment(db: &Db, input: &FragmentInput) -> String {
    let mut defs = String::new();
    if input.warning_as_error {
        defs.push_str("SPY_WERROR ?= 1\n");
    }
    let includes: Vec<String> =
        input.include_dirs.iter().flat_map(|d| ["-I".to_string(), d.display().to_string()]).collect();
    let _ = writeln!(defs, "SPYGEN_INCLUDES := {}", words(&includes));
    let _ = writeln!(
        defs,
        "SPYGEN_LIBDIR_BASE := {}",
        input.libdir_base.as_ref().map(|p| escape_value(&shell::quote(&p.display().to_string()))).unwrap_or_default()
    );
    for t in db.iter() {
        let _ = writeln!(defs, "\n# {}: {} ({})", t.name, t.description, t.triplet);
        let mut missing = Vec::new();
        for (var, tool) in [("CC", &t.compiler), ("AR", &t.archiver)] {
            match tool.resolve(&|k| input.env.get(k).filter(|v| !v.is_empty()).cloned()) {
                Resolution::Found(r) => {
                    let _ = writeln!(defs, "SPYGEN_{var}_{} := {}", t.name, words(&r.command));
                }
                Resolution::Missing { tried } => missing.push(format!("no {} (tried {})", tool.role, tried.join("; "))),
            }
        }
        if let Some(launcher) = input.launchers.get(&t.name) {
            let _ = writeln!(defs, "SPYGEN_LAUNCHER_{} := {}", t.name, words(launcher));
        }
        if !missing.is_empty() {
            let text = format!("{}; to install: {}", missing.join(", "), t.install_hint);
            let _ = writeln!(defs, "SPYGEN_MISSING_{} := {}", t.name, escape_value(&text));
        }
        let _ = writeln!(defs, "SPYGEN_BUILD_TYPES_{} := {}", t.name, t.build_type_names().join(" "));
        for bt in t.build_type_names() {
            let opts = FlagOptions { build_type: bt.to_string(), warning_as_error: false };
            let _ = writeln!(defs, "SPYGEN_CFLAGS_{}_{bt} := {}", t.name, words(&t.flags.cflags(&opts)));
            let _ = writeln!(defs, "SPYGEN_LDFLAGS_{}_{bt} := {}", t.name, words(&t.flags.ldflags(&opts)));
        }
        let _ = writeln!(defs, "SPYGEN_WERROR_{} := {}", t.name, words(&t.flags.warning_as_error));
        let _ = writeln!(defs, "SPYGEN_OBJ_SUFFIX_{} := {}", t.name, escape_value(&t.suffixes.object));
        let _ = writeln!(defs, "SPYGEN_LIB_SUFFIX_{} := {}", t.name, escape_value(&t.suffixes.archive));
        let _ = writeln!(defs, "SPYGEN_EXE_SUFFIX_{} := {}", t.name, escape_value(&t.suffixes.executable));
    }
    let defs: String = defs.lines().map(|l| format!("{}\n", l.trim_end())).collect();
    TEMPLATE
        .replace("@SOURCE@", &format!("for {}", input.source))
        .replace("@TARGETS@", &db.names().join(" "))
        .replace("@DEFINITIONS@", &defs)
}
