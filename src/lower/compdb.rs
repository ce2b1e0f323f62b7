//! Lowering to `compile_commands.json`, the compilation database clangd and other C tools read:
//! one entry per compile action of one configuration.
//!
//! Each entry is `{"directory", "file", "arguments", "output"}`: `directory` is the absolute
//! build directory, and `file`, `output` and every path in `arguments` are relative to it,
//! spelled exactly as in the command ninja runs (`lower::commands::action_words`), so the
//! database and the build cannot drift apart. A database describes one configuration, since
//! an editor can only use one set of flags per file: by default the first `native` one.

use std::path::Path;

use std::collections::HashMap;

use super::commands;
use super::graph_json::find_config;
use crate::error::Result;
use crate::graph::{Action, ActionKind, BuildGraph, ConfigId, FlagSetId};
use crate::plan::Plan;

/// The configuration a compilation database describes when none is asked for: the first
/// whose target is `native`, else the first; `None` when the graph has no configuration.
pub fn default_config(graph: &BuildGraph) -> Option<ConfigId> {
    let index = graph.configs.iter().position(|c| c.target == "native").unwrap_or(0);
    (index < graph.configs.len()).then_some(ConfigId(index as u32))
}

/// The `compile_commands.json` text for the compile actions of `config` (a name such as
/// `wasi-debug`; `None`: see [`default_config`]), in the graph's action order. An unknown
/// name is a usage error listing the valid ones.
pub fn lower_compdb(plan: &Plan, config: Option<&str>) -> Result<String> {
    Ok(lower_compdb_parts(plan, config)?.concat())
}

/// [`lower_compdb`] in consecutive parts: a large database is formatted in two halves, on two
/// threads.
pub fn lower_compdb_parts(plan: &Plan, config: Option<&str>) -> Result<Vec<String>> {
    compile_commands(&plan.graph, &plan.build_dir, config)
}

/// [`lower_compdb_parts`] of `graph`, whose build directory is `build_dir` (absolute).
fn compile_commands(graph: &BuildGraph, build_dir: &Path, config: Option<&str>) -> Result<Vec<String>> {
    let config = match config {
        Some(name) => Some(find_config(graph, name)?),
        None => default_config(graph),
    };
    let actions: Vec<&Action> = graph
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::Compile && config.is_some() && a.config == config)
        .filter(|a| a.tool.is_some() && !a.inputs.is_empty() && !a.outputs.is_empty())
        .collect();
    // Written by hand rather than through serde: a chain of 1,000 modules makes entries of
    // hundreds of words each, and every flag set's words are rendered once here, not once per
    // file. `arguments` are exactly `action_words` (a test checks it).
    let mut directory = String::new();
    push_json_str(&mut directory, &build_dir.to_string_lossy());
    let mut rendered: HashMap<FlagSetId, String> = HashMap::new();
    for f in actions.iter().filter_map(|a| a.flags) {
        rendered.entry(f).or_insert_with(|| {
            let mut text = String::new();
            for (i, w) in graph.expand_flags(f).iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                push_json_str(&mut text, w);
            }
            text
        });
    }
    let entries = |range: std::ops::Range<usize>| -> String {
        let mut out = String::with_capacity(range.len() * 256);
        for index in range {
            let a = actions[index];
            let (Some(tool), Some(&src), Some(&obj)) = (a.tool, a.inputs.first(), a.outputs.first()) else { continue };
            let (src, obj) = (graph.path(src), graph.path(obj));
            out.push_str(if index == 0 { "\n" } else { ",\n" });
            out.push_str("  {\n    \"directory\": ");
            out.push_str(&directory);
            out.push_str(",\n    \"file\": ");
            push_json_str(&mut out, src);
            out.push_str(",\n    \"arguments\": [");
            let mut sep = "";
            for w in graph.tools[tool.index()]
                .command
                .iter()
                .map(String::as_str)
                .chain(commands::depfile_args(obj).iter().map(String::as_str))
            {
                out.push_str(sep);
                push_json_str(&mut out, w);
                sep = ", ";
            }
            if let Some(flags) = a.flags.and_then(|f| rendered.get(&f)).filter(|f| !f.is_empty()) {
                out.push_str(sep);
                out.push_str(flags);
            }
            for w in ["-c", src, "-o", obj] {
                out.push_str(sep);
                push_json_str(&mut out, w);
            }
            out.push_str("],\n    \"output\": ");
            push_json_str(&mut out, obj);
            out.push_str("\n  }");
        }
        out
    };
    let mut parts = vec!["[".to_string()];
    if actions.len() < 2048 {
        parts.push(entries(0..actions.len()));
    } else {
        let middle = actions.len() / 2;
        let (a, b) = std::thread::scope(|scope| {
            let other = scope.spawn(|| entries(middle..actions.len()));
            (entries(0..middle), other.join())
        });
        parts.push(a);
        // The worker only formats text; should it fail anyway, format its half here.
        parts.push(b.unwrap_or_else(|_| entries(middle..actions.len())));
    }
    parts.push(if actions.is_empty() { "]\n" } else { "\n]\n" }.to_string());
    Ok(parts)
}

/// Appends `text` as a JSON string literal.
fn push_json_str(out: &mut String, text: &str) {
    if text.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        out.push_str(&serde_json::to_string(text).unwrap_or_default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Action, Configuration, FlagSet, Tool, ToolRole};

    fn graph_with(targets: &[&str]) -> BuildGraph {
        let mut graph = BuildGraph::new();
        for t in targets {
            let config =
                graph.add_config(Configuration { target: t.to_string(), build_type: "debug".into(), available: true });
            let cc = graph.add_tool(Tool {
                target: t.to_string(),
                role: ToolRole::Compiler,
                command: vec![format!("{t}-cc")],
            });
            let flags = graph.add_flag_set(FlagSet::new(format!("cflags.{t}"), vec!["-DX=\"a b\"".into()]));
            let mut a = Action::new(ActionKind::Compile);
            a.config = Some(config);
            a.tool = Some(cc);
            a.flags = Some(flags);
            a.inputs = smallvec::smallvec![graph.file("../src/a.c")];
            a.outputs = smallvec::smallvec![graph.file(&format!("{t}/debug/obj/a.o"))];
            graph.add_action(a).unwrap();
        }
        graph
    }

    fn lower(graph: &BuildGraph, config: Option<&str>) -> Result<String> {
        compile_commands(graph, Path::new("/p/build"), config).map(|parts| parts.concat())
    }

    #[test]
    fn defaults_to_the_first_native_configuration() {
        let graph = graph_with(&["wasi", "native"]);
        let text = lower(&graph, None).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 1);
        assert_eq!(v[0]["directory"], "/p/build");
        assert_eq!(v[0]["file"], "../src/a.c");
        assert_eq!(v[0]["output"], "native/debug/obj/a.o");
        assert_eq!(v[0]["arguments"][0], "native-cc");
        assert_eq!(v[0]["arguments"][4], "-DX=\"a b\"");
        assert!(text.ends_with("]\n"));
        let wasi = lower(&graph_with(&["wasi"]), None).unwrap();
        assert!(wasi.contains("wasi-cc"));
    }

    #[test]
    fn an_unknown_configuration_lists_the_valid_ones() {
        let graph = graph_with(&["wasi", "native"]);
        let err = lower(&graph, Some("native-release")).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.message.contains("wasi-debug, native-debug"), "{err}");
        assert!(lower(&graph, Some("wasi-debug")).unwrap().contains("wasi-cc"));
    }

    #[test]
    fn arguments_are_exactly_the_action_words() {
        let graph = graph_with(&["native"]);
        let v: serde_json::Value = serde_json::from_str(&lower(&graph, None).unwrap()).unwrap();
        let action = graph.actions.iter().find(|a| a.kind == ActionKind::Compile).unwrap();
        let words = commands::action_words(&graph, action).unwrap();
        assert_eq!(v[0]["arguments"], serde_json::json!(words));
    }
}
