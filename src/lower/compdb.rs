//! Lowering to `compile_commands.json`, the compilation database clangd and other C tools read:
//! one entry per compile action of one configuration.
//!
//! Each entry is `{"directory", "file", "arguments", "output"}`: `directory` is the absolute
//! build directory, and `file`, `output` and every path in `arguments` are relative to it,
//! spelled exactly as in the command ninja runs (the compile template's words,
//! [`BuildGraph::action_words`]), so the database and the build cannot drift apart. A
//! database describes one configuration, since an editor can only use one set of flags per
//! file: by default the first `native` one.
//!
//! A foreign make module's compiles are in it too, as its Makefile's dry run at generation
//! found them ([`crate::graph::DryRun`]): their `directory` is the one make compiles in, and
//! their `file` and `arguments` are the dry run's words.
//!
//! The database is written as it is formatted ([`write_compdb`]), a few entries at a time: in
//! a chain of 1,000 modules each entry carries hundreds of include flags, and the whole file
//! (over a gigabyte) is never held in memory.

use std::collections::HashMap;
use std::io::Write;

use crate::graph::{Action, ActionKind, BuildGraph, ConfigId, FlagSetId, ForeignCompile, Var, Word};

/// The `compile_commands.json` text for the compile actions of `config` (`None`: the graph's
/// [`compdb_config`](crate::graph::GraphSettings::compdb_config), else its
/// [`default_compdb_config`](BuildGraph::default_compdb_config)), in the graph's action order.
pub fn lower_compdb(graph: &BuildGraph, config: Option<ConfigId>) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail.
    let _ = write_compdb(graph, config, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`lower_compdb`], written to `out` as it is formatted, in chunks of about a megabyte.
pub fn write_compdb(graph: &BuildGraph, config: Option<ConfigId>, out: &mut dyn Write) -> std::io::Result<()> {
    let config = config.or(graph.settings().compdb_config).or_else(|| graph.default_compdb_config());
    let in_config = |a: &Action| config.is_some() && a.config == config;
    let mut actions: Vec<&Action> = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    for (id, a) in graph.actions() {
        if a.kind == ActionKind::Compile && in_config(a) && a.tool.is_some() && !a.inputs.is_empty() {
            if !a.outputs.is_empty() {
                entries.push(Entry::Compile(a));
                actions.push(a);
            }
        } else if a.kind == ActionKind::ForeignMake && in_config(a) {
            let compiles = graph.dry_run(id).map_or(&[][..], |d| d.compiles.as_slice());
            entries.extend(compiles.iter().map(Entry::Foreign));
        }
    }
    // Written by hand rather than through serde: a chain of 1,000 modules makes entries of
    // hundreds of words each, and every flag set's words are rendered once here, not once per
    // file. `arguments` are exactly `action_words` (a test checks it): the compile template's
    // words, each variable rendered here.
    let mut directory = String::new();
    push_json_str(&mut directory, &graph.settings().build_dir);
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
    let template = ActionKind::Compile.command().map(|c| c.main_step()).unwrap_or_default();
    // Appends the entry of spygen's own compile `a` to `out`.
    let compile_entry = |a: &Action, out: &mut String| {
        {
            let (Some(tool), Some(&src), Some(&obj)) = (a.tool, a.inputs.first(), a.outputs.first()) else { return };
            let (src, obj) = (graph.path(src), graph.path(obj));
            out.push_str("  {\n    \"directory\": ");
            out.push_str(&directory);
            out.push_str(",\n    \"file\": ");
            push_json_str(out, src);
            out.push_str(",\n    \"arguments\": [");
            let mut sep = "";
            // `raw`: already JSON (a flag set's rendered words).
            let mut push = |out: &mut String, text: &str, raw: bool| {
                out.push_str(sep);
                if raw {
                    out.push_str(text);
                } else {
                    push_json_str(out, text);
                }
                sep = ", ";
            };
            for word in template {
                match *word {
                    Word::Lit(text) => push(out, text, false),
                    Word::Var(Var::Tool) => graph.tool(tool).command.iter().for_each(|w| push(out, w, false)),
                    Word::Var(Var::Flags) => {
                        if let Some(flags) = a.flags.and_then(|f| rendered.get(&f)).filter(|f| !f.is_empty()) {
                            push(out, flags, true);
                        }
                    }
                    Word::Var(Var::Inputs) => push(out, src, false),
                    Word::Var(Var::Output) => push(out, obj, false),
                    Word::Var(Var::Depfile) => push(out, &format!("{obj}.d"), false),
                    // Tools reading the database want the compiler, not ccache or distcc, and
                    // the directory is the entry's own.
                    Word::Var(Var::Launcher | Var::Pwd) => {}
                    Word::Var(other) => {
                        for w in graph.expand_words(a, &[Word::Var(other)], false) {
                            push(out, &w, false);
                        }
                    }
                }
            }
            out.push_str("],\n    \"output\": ");
            push_json_str(out, obj);
            out.push_str("\n  }");
        }
    };
    // Appends entry `index` to `out`.
    let entry = |index: usize, out: &mut String| {
        out.push_str(if index == 0 { "\n" } else { ",\n" });
        match entries[index] {
            Entry::Compile(a) => compile_entry(a, out),
            Entry::Foreign(compile) => foreign_entry(compile, out),
        }
    };
    out.write_all(b"[")?;
    let mut chunk = String::with_capacity(2 << 20);
    for index in 0..entries.len() {
        entry(index, &mut chunk);
        if chunk.len() >= 1 << 20 {
            out.write_all(chunk.as_bytes())?;
            chunk.clear();
        }
    }
    out.write_all(chunk.as_bytes())?;
    out.write_all(if entries.is_empty() { b"]\n" } else { b"\n]\n" })
}

/// An entry of the database, in the graph's action order.
#[derive(Debug, Clone, Copy)]
enum Entry<'g> {
    /// spygen's own compile.
    Compile(&'g Action),
    /// A compile a foreign make runs, from its dry run.
    Foreign(&'g ForeignCompile),
}

/// Appends the entry of `compile`, a foreign make's, to `out`.
fn foreign_entry(compile: &ForeignCompile, out: &mut String) {
    out.push_str("  {\n    \"directory\": ");
    push_json_str(out, &compile.directory);
    out.push_str(",\n    \"file\": ");
    push_json_str(out, &compile.file);
    out.push_str(",\n    \"arguments\": [");
    for (i, word) in compile.arguments.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_json_str(out, word);
    }
    out.push(']');
    if let Some(output) = &compile.output {
        out.push_str(",\n    \"output\": ");
        push_json_str(out, output);
    }
    out.push_str("\n  }");
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
    use crate::graph::{Action, Configuration, FlagSet, GraphSettings, Tool, ToolRole};

    fn graph_with(targets: &[&str]) -> BuildGraph {
        let mut graph = BuildGraph::new();
        graph.set_settings(GraphSettings { build_dir: "/p/build".into(), ..GraphSettings::default() });
        for t in targets {
            let config =
                graph.add_config(Configuration { target: t.to_string(), build_type: "debug".into(), available: true });
            let cc = graph.add_tool(Tool::new(*t, ToolRole::Compiler, vec![format!("{t}-cc")]));
            let flags = graph.add_flag_set(FlagSet::words(format!("cflags.{t}"), vec!["-DX=\"a b\"".into()]));
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

    #[test]
    fn the_database_describes_the_first_native_configuration_unless_told_otherwise() {
        let graph = graph_with(&["wasi", "native"]);
        let text = lower_compdb(&graph, None);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v.as_array().unwrap().len(), 1);
        assert_eq!(v[0]["directory"], "/p/build");
        assert_eq!(v[0]["file"], "../src/a.c");
        assert_eq!(v[0]["output"], "native/debug/obj/a.o");
        assert_eq!(v[0]["arguments"][0], "native-cc");
        assert_eq!(v[0]["arguments"][4], "-DX=\"a b\"");
        assert!(text.ends_with("]\n"));
        assert!(lower_compdb(&graph_with(&["wasi"]), None).contains("wasi-cc"), "no native: the first");
        let wasi = graph.find_config("wasi-debug").unwrap();
        assert!(lower_compdb(&graph, Some(wasi)).contains("wasi-cc"));
    }

    #[test]
    fn a_foreign_makes_compiles_are_entries_in_its_directory_where_the_make_is() {
        let mut f = crate::lower::fixture::Fixture::new(false);
        f.compiles(&["../m/src/a.c"]);
        f.foreign_make();
        f.foreign_dry_run();
        f.compiles(&["../m/src/b.c"]);
        let v: serde_json::Value = serde_json::from_str(&lower_compdb(&f.graph, None)).unwrap();
        let files: Vec<&str> = v.as_array().unwrap().iter().map(|e| e["file"].as_str().unwrap()).collect();
        assert_eq!(files, ["../m/src/a.c", "src/lib.c", "../m/src/b.c"]);
        assert_eq!(v[1]["directory"], "/p/vendor/lib");
        assert_eq!(v[1]["arguments"], serde_json::json!(["zig", "cc", "-O2", "-c", "src/lib.c", "-o", v[1]["output"]]));
        assert_eq!(v[0]["directory"], "/p/build");
    }

    #[test]
    fn arguments_are_exactly_the_action_words() {
        let graph = graph_with(&["native"]);
        let v: serde_json::Value = serde_json::from_str(&lower_compdb(&graph, None)).unwrap();
        let (_, action) = graph.actions().find(|(_, a)| a.kind == ActionKind::Compile).unwrap();
        let words = graph.action_words(action).unwrap();
        assert_eq!(v[0]["arguments"], serde_json::json!(words));
    }
}
