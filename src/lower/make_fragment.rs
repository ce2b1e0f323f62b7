//! Lowering to `spygen.mk`, the fragment a vendored library's own Makefile includes to get CC,
//! AR, CFLAGS, LDFLAGS and LIBDIR for `$(TARGET)` and `$(BUILD_TYPE)`. The skeleton is
//! `templates/spygen.mk.in`; this fills in one block of definitions per target.

use std::fmt::Write;

use super::make_syntax::{config_variables, escape_value, words};
use crate::graph::{BuildGraph, ToolRole};
use crate::toolchain::{Db, FlagOptions};

const TEMPLATE: &str = include_str!("../../templates/spygen.mk.in");

/// The text of `spygen.mk`: every toolchain of `db`, with the runtime, launchers,
/// environment and warning setting of the generation that made `graph`. Each configuration's
/// variables are written by [`config_variables`], as `spygen flags --format make` writes them.
pub fn lower_make_fragment(db: &Db, graph: &BuildGraph) -> String {
    let settings = graph.settings();
    let mut defs = String::new();
    if settings.warning_as_error {
        defs.push_str("SPY_WERROR ?= 1\n");
    }
    let runtime = settings.runtime_include_dirs.as_deref();
    let includes: Vec<String> =
        runtime.unwrap_or_default().iter().flat_map(|d| ["-I".to_string(), d.clone()]).collect();
    let _ = writeln!(defs, "SPYGEN_INCLUDES := {}", words(&includes));
    let env = |k: &str| settings.env.get(k).filter(|v| !v.is_empty()).cloned();
    for t in db.iter() {
        let _ = writeln!(defs, "\n# {}: {} ({})", t.name, t.description, t.triplet);
        let launcher = Ok(graph.find_tool(&t.name, ToolRole::Launcher).map(|l| graph.tool(l).command.clone()));
        let tools = t.config_tools(&env, &settings.requirements);
        let missing: Vec<String> =
            tools.cc.as_ref().err().into_iter().chain(tools.ar.as_ref().err()).cloned().collect();
        for bt in t.build_type_names() {
            // Warnings as errors and the runtime's include dirs are added when make runs
            // (SPY_WERROR, SPYGEN_INCLUDES).
            let opts = FlagOptions { build_type: bt.to_string(), warning_as_error: false };
            let libdir = runtime.map(|_| format!("-L{}/{}/{bt}", settings.runtime_lib_root, t.name));
            // The project's flags, as every compile and link of the build files get them.
            let project = &settings.project_flags;
            let (project_cflags, project_ldflags) = (project.cflags(&t.name, bt), project.ldflags(&t.name, bt));
            let mut flags = t.config_flags(&opts, &[], libdir);
            flags.cflags.extend(project_cflags.iter().cloned());
            flags.ldflags.extend(project_ldflags);
            defs.push_str(&config_variables(&flags, &tools, &launcher, &|var| format!("SPYGEN_{var}_{}_{bt}", t.name)));
            // With SPY_WERROR, the warning-as-error flags replace the warning flags.
            let mut werror = t.config_flags(&FlagOptions { warning_as_error: true, ..opts }, &[], None);
            werror.cflags.extend(project_cflags);
            defs.push_str(&crate::lower::make_syntax::assign(
                &format!("SPYGEN_CFLAGS_WERROR_{}_{bt}", t.name),
                &crate::shell::join(&werror.cflags),
            ));
        }
        if !missing.is_empty() {
            let _ = writeln!(defs, "SPYGEN_MISSING_{} := {}", t.name, escape_value(&missing.join(", ")));
        }
        let _ = writeln!(defs, "SPYGEN_BUILD_TYPES_{} := {}", t.name, t.build_type_names().join(" "));
        // Spelled with stand-ins, escaped, then given make's references: the including
        // Makefile's directory, and the object a recipe writes (expanded when the recipe runs).
        let (dir, object) = ("SPYGEN_STAND_IN_DIR", "SPYGEN_STAND_IN_OBJECT");
        // The Makefile's directory, by the path make knows and by the link to it that compiles
        // run from spygen's build files see as PWD.
        let mut maps = t.flags.path_map(dir, ".");
        maps.extend(t.flags.path_map(crate::graph::PORTABLE_PWD, "."));
        let path_map = words(&maps).replace(dir, "$(CURDIR)");
        let _ = writeln!(defs, "SPYGEN_PATH_MAP_{} := {path_map}", t.name);
        let per_object: Vec<String> =
            t.flags.per_object.iter().map(|w| w.replace(crate::graph::OBJECT_PLACEHOLDER, object)).collect();
        let _ = writeln!(defs, "SPYGEN_OBJECT_CFLAGS_{} = {}", t.name, words(&per_object).replace(object, "$@"));
    }
    let defs: String = defs.lines().map(|l| format!("{}\n", l.trim_end())).collect();
    TEMPLATE
        .replace("@SOURCE@", &format!("for {}", settings.project_manifest))
        .replace("@TARGETS@", &db.names().join(" "))
        .replace("@DEFINITIONS@", &defs)
}
