//! Lowering to Graphviz dot (`spygen graph --format dot | dot -Tsvg > graph.svg`): the build
//! graph, or one configuration of it, for people to look at.
//!
//! - Files are boxes labelled with their path (relative to the build directory); sources (no
//!   producer: C files, manifests, globbed directories) are `note` shapes, aliases (outputs of
//!   phony actions, such as `native-debug`) rounded boxes.
//! - Actions are grey ellipses labelled with what they do: `CC`, `AR`, `LINK`,
//!   `LINK whole-archive` (reactors), `MAKE` (a library's own Makefile), `PHONY` (an alias),
//!   `REGEN` (re-runs spygen).
//! - Edges go from input file to action (solid; dashed for implicit inputs, dotted for
//!   order-only ones) and from action to output file (dashed for implicit outputs).
//! - Each configuration is a cluster (dashed border when its toolchain is not installed) with
//!   one cluster per module or program inside; an action's outputs sit next to it. Sources,
//!   aliases and the regeneration edge are outside every cluster.
//!
//! With a configuration (`--config wasi-release`), only that configuration's actions are
//! drawn, with the files they read and write. Node names are `f<file id>` and `a<action id>`;
//! labels are double-quoted with `"` and `\` escaped (a backslash would otherwise start a
//! Graphviz escape such as `\N`); `$` is not special in dot and needs no escape.

use std::fmt::Write;

use super::graph_json::View;
use crate::error::Result;
use crate::graph::{ActionId, ActionKind, BuildGraph, ConfigId, FileId};

/// `text` as a double-quoted dot string that renders as `text` verbatim.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The label of an action node.
fn action_label(kind: ActionKind) -> &'static str {
    match kind {
        ActionKind::Compile => "CC",
        ActionKind::Archive => "AR",
        ActionKind::Link => "LINK",
        ActionKind::LinkWholeArchive => "LINK whole-archive",
        ActionKind::ForeignMake => "MAKE",
        ActionKind::Bundle => "BUNDLE",
        ActionKind::Phony => "PHONY",
        ActionKind::Regenerate => "REGEN",
        ActionKind::Test => "TEST",
        ActionKind::ModuleManifest => "SPYMOD",
    }
}

/// The actions of one configuration, grouped by owner in order of first appearance.
struct ConfigCluster<'a> {
    /// The configuration.
    config: ConfigId,
    /// (owner, its actions); `None` for actions without an owner.
    owners: Vec<(Option<&'a str>, Vec<ActionId>)>,
}

/// The dot text of the graph (`config` is `None`) or of the configuration named `config`; an
/// unknown name is a usage error listing the valid ones.
/// The title names the project manifest.
pub fn lower_dot(graph: &BuildGraph, config: Option<&str>) -> Result<String> {
    let manifest = graph.settings().project_manifest.as_str();
    let view = View::new(graph, config)?;
    let mut clusters: Vec<ConfigCluster> =
        view.configs.iter().map(|&config| ConfigCluster { config, owners: Vec::new() }).collect();
    let mut loose: Vec<ActionId> = Vec::new();
    for &a in &view.actions {
        let action = graph.action(a);
        let Some(cluster) = action.config.and_then(|c| clusters.iter_mut().find(|k| k.config == c)) else {
            loose.push(a);
            continue;
        };
        let owner = action.owner.as_deref();
        match cluster.owners.iter_mut().find(|(o, _)| *o == owner) {
            Some((_, actions)) => actions.push(a),
            None => cluster.owners.push((owner, vec![a])),
        }
    }

    let mut out = String::with_capacity(64 * 1024);
    let title = match config {
        Some(name) => format!("{manifest} ({name})"),
        None => manifest.to_string(),
    };
    let _ = writeln!(out, "digraph spygen {{");
    let _ = writeln!(
        out,
        "  label={};\n  labelloc=t;\n  rankdir=LR;\n  node [fontsize=10];\n  edge [arrowsize=0.6];",
        quote(&format!("spygen build graph: {title}"))
    );
    let mut placed = vec![false; graph.file_count()];
    for (i, cluster) in clusters.iter().enumerate() {
        if cluster.owners.is_empty() {
            continue;
        }
        let c = graph.config(cluster.config);
        let (label, style) = if c.available {
            (c.name(), "solid")
        } else {
            (format!("{} (toolchain not installed)", c.name()), "dashed")
        };
        let _ = writeln!(out, "  subgraph cluster_c{i} {{\n    label={};\n    style={style};", quote(&label));
        for (j, (owner, actions)) in cluster.owners.iter().enumerate() {
            let indent = match owner {
                Some(name) => {
                    let _ = writeln!(out, "    subgraph cluster_c{i}_{j} {{\n      label={};", quote(name));
                    "      "
                }
                None => "    ",
            };
            for &a in actions {
                write_action(graph, a, indent, &mut placed, &mut out);
            }
            if owner.is_some() {
                out.push_str("    }\n");
            }
        }
        out.push_str("  }\n");
    }
    for &a in &loose {
        write_action(graph, a, "  ", &mut placed, &mut out);
    }
    for &f in &view.files {
        if !placed[f.index()] {
            write_file(graph, f, "  ", &mut out);
        }
    }
    for &a in &view.actions {
        let action = graph.action(a);
        for (files, style) in [
            (&action.inputs[..], ""),
            (&action.implicit[..], " [style=dashed]"),
            (&action.order_only[..], " [style=dotted]"),
        ] {
            for f in files {
                let _ = writeln!(out, "  f{} -> a{}{style};", f.index(), a.index());
            }
        }
        for (files, style) in [(&action.outputs[..], ""), (&action.implicit_outputs[..], " [style=dashed]")] {
            for f in files {
                let _ = writeln!(out, "  a{} -> f{}{style};", a.index(), f.index());
            }
        }
    }
    out.push_str("}\n");
    Ok(out)
}

/// Writes the node of action `a` and the nodes of its outputs (marking them placed).
fn write_action(graph: &BuildGraph, a: ActionId, indent: &str, placed: &mut [bool], out: &mut String) {
    let action = graph.action(a);
    let _ = writeln!(
        out,
        "{indent}a{} [label={}, shape=ellipse, style=filled, fillcolor=\"#e8e8e8\"];",
        a.index(),
        quote(action_label(action.kind))
    );
    for &f in action.outputs.iter().chain(&action.implicit_outputs) {
        if !std::mem::replace(&mut placed[f.index()], true) {
            write_file(graph, f, indent, out);
        }
    }
}

/// Writes the node of file `f`, shaped by what produces it.
fn write_file(graph: &BuildGraph, f: FileId, indent: &str, out: &mut String) {
    let shape = match graph.producer(f) {
        None => "shape=note",
        Some(p) if graph.action(p).kind == ActionKind::Phony => "shape=box, style=rounded",
        Some(_) => "shape=box",
    };
    let _ = writeln!(out, "{indent}f{} [label={}, {shape}];", f.index(), quote(graph.path(f)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Action, Configuration, GraphSettings};

    #[test]
    fn labels_are_quoted_for_dot() {
        assert_eq!(quote("a.c"), "\"a.c\"");
        assert_eq!(quote("we\"ird\\N$x"), "\"we\\\"ird\\\\N$x\"");
        assert_eq!(quote("two\nlines"), "\"two\\nlines\"");
    }

    #[test]
    fn clusters_per_configuration_and_owner() {
        let mut graph = BuildGraph::new();
        graph.set_settings(GraphSettings { project_manifest: "../spy.toml".into(), ..GraphSettings::default() });
        let config =
            graph.add_config(Configuration { target: "wasi".into(), build_type: "debug".into(), available: false });
        let mut a = Action::new(ActionKind::Compile);
        a.config = Some(config);
        a.owner = Some("m\"x".into());
        a.inputs = smallvec::smallvec![graph.file("../a b$.c")];
        a.implicit = thin_vec::thin_vec![graph.file("gen.h")];
        a.outputs = smallvec::smallvec![graph.file("wasi/debug/a.o")];
        graph.add_action(a).unwrap();
        let mut p = Action::new(ActionKind::Phony);
        p.inputs = smallvec::smallvec![graph.find_file("wasi/debug/a.o").unwrap()];
        p.outputs = smallvec::smallvec![graph.file("wasi-debug")];
        graph.add_action(p).unwrap();
        let dot = lower_dot(&graph, None).unwrap();
        assert!(dot.contains("label=\"wasi-debug (toolchain not installed)\";\n    style=dashed;"));
        assert!(dot.contains("subgraph cluster_c0_0 {\n      label=\"m\\\"x\";\n      a0 [label=\"CC\""));
        assert!(dot.contains("      f2 [label=\"wasi/debug/a.o\", shape=box];"));
        assert!(dot.contains("  f0 [label=\"../a b$.c\", shape=note];"));
        assert!(dot.contains("f1 -> a0 [style=dashed];"));
        assert!(dot.contains("  f3 [label=\"wasi-debug\", shape=box, style=rounded];"));
        let one = lower_dot(&graph, Some("wasi-debug")).unwrap();
        assert!(!one.contains("PHONY") && one.contains("a0 -> f2;"));
    }
}
