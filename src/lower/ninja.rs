//! Lowering to `build.ninja`: per-toolchain rules and tool variables, per-configuration and
//! per-unit flag variables defined once, compact edges, phony aliases, a regeneration edge.

use std::fmt::Write;

use crate::graph::{ActionKind, BuildGraph, FlagSetId};
use crate::plan::Plan;
use crate::shell;

/// `path` escaped for a ninja build line: `$`, space and `:` are special there.
pub fn escape_path(path: &str) -> std::borrow::Cow<'_, str> {
    if !path.contains(['$', ' ', ':']) {
        return std::borrow::Cow::Borrowed(path);
    }
    let mut out = String::with_capacity(path.len() + 4);
    for c in path.chars() {
        match c {
            '$' => out.push_str("$$"),
            ' ' => out.push_str("$ "),
            ':' => out.push_str("$:"),
            _ => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Text escaped for a ninja variable value (only `$` is special there).
pub fn escape_value(text: &str) -> String {
    text.replace('$', "$$")
}

/// Command words quoted for the shell, then escaped for ninja.
fn command_words(words: &[String]) -> String {
    escape_value(&shell::join(words))
}

/// Writes the whole `build.ninja` text of `plan`.
pub fn lower_ninja(plan: &Plan, spygen_exe: &str) -> String {
    let graph = &plan.graph;
    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(
        out,
        "# build.ninja for {}, written by spygen. Do not edit: edit the manifests instead;\n\
         # ninja re-runs spygen when a manifest, a descriptor or a globbed directory changes.",
        plan.project_manifest
    );
    out.push_str("ninja_required_version = 1.10\n\n");
    let _ = writeln!(out, "spygen = {}\n", command_words(&[spygen_exe.to_string()]));
    out.push_str("rule regen\n");
    let _ = writeln!(out, "  command = $spygen {}", command_words(&plan.regen_command));
    out.push_str("  description = REGEN build.ninja\n  generator = 1\n  restat = 1\n\n");

    if graph.actions.iter().any(|a| a.kind == ActionKind::ForeignMake) {
        out.push_str(
            "# a library's own Makefile; restat: an up-to-date library does not relink its users\n\
             rule foreign-make\n  command = make $args\n  description = MAKE $out\n  restat = 1\n\n",
        );
    }

    if graph.actions.iter().any(|a| a.kind == ActionKind::Bundle) {
        out.push_str(
            "# wasm bundles through spygen's content-addressed cache; restat: an unchanged bundle\n\
             # is not rewritten\n\
             rule bundle\n  command = $spygen $args\n  description = BUNDLE $out\n  restat = 1\n\n",
        );
    }

    // Toolchains: tool variables and rules, once each.
    for target in super::targets_in_order(graph) {
        let _ = writeln!(out, "# toolchain {target}");
        for tool in graph.tools.iter().filter(|t| t.target == target) {
            let _ = writeln!(out, "{} = {}", tool.variable(), command_words(&tool.command));
        }
        let _ = write!(
            out,
            "rule ar.{target}\n  command = rm -f $out && ${{ar.{target}}} rcs $out @$out.rsp\n  \
             rspfile = $out.rsp\n  rspfile_content = $in\n  description = AR $out\n\
             rule link.{target}\n  command = ${{cc.{target}}} -o $out $in $ldflags\n  description = LINK $out\n\
             rule link-whole.{target}\n  command = ${{cc.{target}}} -o $out -Wl,--whole-archive $in \
             -Wl,--no-whole-archive $ldflags\n  description = LINK $out\n\n"
        );
    }

    let mut defined = vec![false; graph.flag_sets.len()];
    // One compile rule per module and configuration, its flags in a file-level variable: edges
    // then carry no bindings, and ninja keeps one copy of each flag list, not one per object.
    let mut compile_rules: std::collections::HashMap<FlagSetId, String> = std::collections::HashMap::new();
    let mut current_config = None;
    for action in &graph.actions {
        if let Some(heading) = super::config_heading(graph, action, &mut current_config) {
            out.push_str(&heading);
        }
        if let Some(flags) = action.flags {
            define_flags(graph, flags, &mut defined, &mut out);
        }
        let target = action.tool.map(|t| graph.tools[t.index()].target.as_str()).unwrap_or_default();
        let rule = match action.kind {
            ActionKind::Compile => {
                let flags = action.flags.map(|f| &graph.flag_sets[f.index()].name);
                match (action.flags, flags) {
                    (Some(id), Some(name)) => compile_rules
                        .entry(id)
                        .or_insert_with(|| {
                            let rule = format!("cc.{}", name.strip_prefix("cflags.").unwrap_or(name));
                            let _ = write!(
                                out,
                                "rule {rule}\n  command = ${{cc.{target}}} -MMD -MF $out.d ${{{name}}} -c $in -o $out\n  \
                                 depfile = $out.d\n  deps = gcc\n  description = CC $out\n"
                            );
                            rule
                        })
                        .clone(),
                    _ => format!("cc.{target}"),
                }
            }
            ActionKind::Archive => format!("ar.{target}"),
            ActionKind::Link => format!("link.{target}"),
            ActionKind::LinkWholeArchive => format!("link-whole.{target}"),
            ActionKind::ForeignMake => "foreign-make".into(),
            ActionKind::Bundle => "bundle".into(),
            ActionKind::Phony => "phony".into(),
            ActionKind::Regenerate => "regen".into(),
        };
        if matches!(action.kind, ActionKind::Phony | ActionKind::Regenerate) {
            continue; // written below, after every real edge
        }
        write_edge(graph, action, &rule, &mut out);
        if matches!(action.kind, ActionKind::ForeignMake | ActionKind::Bundle) {
            let _ = writeln!(out, "  args = {}", command_words(&action.args));
        }
        if let (Some(flags), false) = (action.flags, action.kind == ActionKind::Compile) {
            let _ = writeln!(out, "  ldflags = ${{{}}}", graph.flag_sets[flags.index()].name);
        }
    }

    out.push_str("\n# aliases: per configuration, per target, per module and program; `all` is the default\n");
    for action in graph.actions.iter().filter(|a| a.kind == ActionKind::Phony) {
        write_edge(graph, action, "phony", &mut out);
    }
    out.push_str("\n# regeneration\n");
    for action in graph.actions.iter().filter(|a| a.kind == ActionKind::Regenerate) {
        write_edge(graph, action, "regen", &mut out);
        // A new spygen may write different files: it is an input too.
        out.truncate(out.len() - 1);
        out.push_str(" | $spygen\n");
    }
    let defaults: Vec<String> = graph.defaults.iter().map(|&f| escape_path(graph.path(f)).into_owned()).collect();
    if defaults.is_empty() {
        out.push_str("\n# no toolchain of the wanted configurations is installed: nothing is built by default\n");
        out.push_str("default build.ninja\n");
    } else {
        let _ = writeln!(out, "\ndefault {}", defaults.join(" "));
    }
    out
}

fn define_flags(graph: &BuildGraph, id: FlagSetId, defined: &mut [bool], out: &mut String) {
    let reference = |name: &str| format!("${{{name}}}");
    for (name, value) in super::flag_set_definitions(graph, id, defined, &reference, &command_words) {
        let sep = if value.is_empty() { "" } else { " " };
        let _ = writeln!(out, "{name} ={sep}{value}");
    }
}

fn write_edge(graph: &BuildGraph, action: &crate::graph::Action, rule: &str, out: &mut String) {
    let paths = |files: &[crate::graph::FileId]| -> String {
        let mut text = String::new();
        for &f in files {
            text.push(' ');
            text.push_str(&escape_path(graph.path(f)));
        }
        text
    };
    out.push_str("build");
    out.push_str(&paths(&action.outputs));
    if !action.implicit_outputs.is_empty() {
        out.push_str(" |");
        out.push_str(&paths(&action.implicit_outputs));
    }
    out.push_str(": ");
    out.push_str(rule);
    out.push_str(&paths(&action.inputs));
    if !action.implicit.is_empty() {
        out.push_str(" |");
        out.push_str(&paths(&action.implicit));
    }
    if !action.order_only.is_empty() {
        out.push_str(" ||");
        out.push_str(&paths(&action.order_only));
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_values_are_escaped() {
        assert_eq!(escape_path("my dir/a$b:c.o"), "my$ dir/a$$b$:c.o");
        assert_eq!(escape_value("-Wl,--export=spy_mod$encode"), "-Wl,--export=spy_mod$$encode");
        assert_eq!(
            command_words(&["-Wl,--export=spy_mod$encode".to_string(), "-I../a b".to_string()]),
            "'-Wl,--export=spy_mod$$encode' '-I../a b'"
        );
    }
}
