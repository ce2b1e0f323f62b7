//! Lowering to `build.ninja`: per-toolchain rules and tool variables, per-configuration and
//! per-unit flag variables defined once, compact edges, phony aliases, a regeneration edge.

use std::fmt::Write;

use super::{ResponseFile, action_response_words};
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
pub fn escape_value(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains('$') { std::borrow::Cow::Owned(text.replace('$', "$$")) } else { std::borrow::Cow::Borrowed(text) }
}

/// Command words quoted for the shell, then escaped for ninja.
fn command_words(words: &[String]) -> String {
    let joined = shell::join(words);
    match escape_value(&joined) {
        std::borrow::Cow::Borrowed(_) => joined,
        std::borrow::Cow::Owned(escaped) => escaped,
    }
}

/// Writes the whole `build.ninja` text of `plan`.
pub fn lower_ninja(plan: &Plan, spygen_exe: &str) -> String {
    let response_files = super::compile_response_files(&plan.graph);
    lower_ninja_parts(plan, spygen_exe, &response_files).concat()
}

/// The `build.ninja` text of `plan` in consecutive parts (large files are formatted in parts
/// on two threads; writing the parts one after the other spares copying them into one).
/// `response_files` (from [`super::compile_response_files`], written beside it) hold the
/// compile flags too long for a command line.
pub fn lower_ninja_parts(plan: &Plan, spygen_exe: &str, response_files: &[Option<ResponseFile>]) -> Vec<String> {
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
    let _ = writeln!(out, "  command = $spygen {} --regen", command_words(&plan.regen_command));
    out.push_str("  description = REGEN build.ninja\n  generator = 1\n  restat = 1\n\n");

    let _ = writeln!(
        out,
        "# links and wasm bundles take much memory: `depth` of them at a time (--link-jobs);\n\
         # compiles use every job slot\npool link\n  depth = {}\n",
        plan.link_jobs
    );

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
             rule bundle\n  command = $spygen $args\n  description = BUNDLE $out\n  restat = 1\n  pool = link\n\n",
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
            "rule ar.{target}\n  command = rm -f $out && ${{ar.{target}}} rcs $out $in\n  description = AR $out\n\
             rule ar-rsp.{target}\n  command = rm -f $out && ${{ar.{target}}} rcs $out @$out.rsp\n  \
             rspfile = $out.rsp\n  rspfile_content = $rsp\n  description = AR $out\n\
             rule link.{target}\n  command = ${{cc.{target}}} -o $out $in $ldflags\n  description = LINK $out\n  \
             pool = link\n\
             rule link-whole.{target}\n  command = ${{cc.{target}}} -o $out -Wl,--whole-archive $in \
             -Wl,--no-whole-archive $ldflags\n  description = LINK $out\n  pool = link\n\n"
        );
    }

    // Every flag set's own words, spelled once: inline sets are copied into many others.
    let spelled: Vec<String> = graph.flag_sets.iter().map(|set| command_words(&set.words)).collect();
    let plan_of_edges = plan_edges(graph, &spelled, response_files);
    let edges = &plan_of_edges.edges;
    let write = |edges: &[Edge]| write_edges(graph, &plan_of_edges, &spelled, edges);
    let mut parts = vec![out];
    if edges.len() < 4096 {
        parts.push(write(edges));
    } else {
        let (first, second) = edges.split_at(plan_of_edges.middle());
        let (a, b) = std::thread::scope(|scope| {
            let other = scope.spawn(|| write(second));
            (write(first), other.join())
        });
        parts.push(a);
        // The worker only formats text; should it fail anyway, format its half here.
        parts.push(b.unwrap_or_else(|_| write(second)));
    }
    let mut out = String::new();

    out.push_str("\n# aliases: per configuration, per target, per module and program; `all` is the default\n");
    for action in graph.actions.iter().filter(|a| a.kind == ActionKind::Phony) {
        write_edge(graph, action, "phony", None, &mut out);
    }
    out.push_str("\n# regeneration\n");
    for action in graph.actions.iter().filter(|a| a.kind == ActionKind::Regenerate) {
        write_edge(graph, action, "regen", None, &mut out);
        // A new spygen may write different files: it is an input too (by its path: `$spygen`
        // is a shell word, quoted when the path needs it).
        out.truncate(out.len() - 1);
        out.push_str(" | ");
        out.push_str(&escape_path(spygen_exe));
        out.push('\n');
    }
    let defaults: Vec<String> = graph.defaults.iter().map(|&f| escape_path(graph.path(f)).into_owned()).collect();
    if defaults.is_empty() {
        out.push_str("\n# no toolchain of the wanted configurations is installed: nothing is built by default\n");
        out.push_str("default build.ninja\n");
    } else {
        let _ = writeln!(out, "\ndefault {}", defaults.join(" "));
    }
    parts.push(out);
    parts
}

/// Pass 1 of the lowering: the edges in order, each with what must be defined before it.
struct EdgePlan {
    /// The edges of every action but aliases and regeneration, in the graph's order.
    edges: Vec<Edge>,
    /// Roughly how much text each edge writes, to split the work evenly.
    weights: Vec<usize>,
    /// Rule names, by index.
    rules: Vec<String>,
    /// The response file each rule's edges depend on (compiles with long flags), by rule.
    rule_inputs: Vec<Option<String>>,
}

impl EdgePlan {
    /// Where to cut the edges into two halves of about the same text.
    fn middle(&self) -> usize {
        let total: usize = self.weights.iter().sum();
        let mut sum = 0;
        self.weights
            .iter()
            .position(|w| {
                sum += w;
                sum >= total / 2
            })
            .unwrap_or(self.edges.len() / 2)
    }
}

/// Pass 1, in order: what must be defined before each edge (configuration headings, flag
/// variables, compile rules) and each edge's rule. It touches each action once, cheaply; the
/// text is written by [`write_edges`]. `spelled` holds every flag set's own words, spelled.
fn plan_edges(graph: &BuildGraph, spelled: &[String], response_files: &[Option<ResponseFile>]) -> EdgePlan {
    let mut defined = vec![false; graph.flag_sets.len()];
    let mut rules: Vec<String> = Vec::new();
    // A compile rule's response file, which its edges depend on, by rule.
    let mut rule_inputs: Vec<Option<String>> = Vec::new();
    // One compile rule per module and configuration, its flags in a file-level variable: edges
    // then carry no bindings, and ninja keeps one copy of each flag list, not one per object.
    let mut compile_rules: Vec<Option<u32>> = vec![None; graph.flag_sets.len()];
    let mut other_rules: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut edges: Vec<Edge> = Vec::with_capacity(graph.actions.len());
    let mut weights: Vec<usize> = Vec::with_capacity(graph.actions.len());
    let mut current_config = None;
    for (index, action) in graph.actions.iter().enumerate() {
        if matches!(action.kind, ActionKind::Phony | ActionKind::Regenerate) {
            continue; // written after every real edge
        }
        let mut prelude = String::new();
        if let Some(heading) = super::config_heading(graph, action, &mut current_config) {
            prelude.push_str(&heading);
        }
        let mut flag_sets = Vec::new();
        if let Some(flags) = action.flags {
            super::flag_sets_to_define(graph, flags, &mut defined, &mut flag_sets);
        }
        let mut weight = 64 + action.inputs.len() * 32;
        for &f in &flag_sets {
            let set = &graph.flag_sets[f.index()];
            weight += std::iter::once(f)
                .chain(set.inline.iter().copied())
                .map(|i| spelled[i.index()].len() + 1)
                .sum::<usize>();
        }
        weights.push(weight);
        let target = action.tool.map(|t| graph.tools[t.index()].target.as_str()).unwrap_or_default();
        // A compile rule is written right before its first edge, after the flag variables it
        // uses; the other rules are in the toolchain sections.
        let mut rule_text = String::new();
        let rsp = action_response_words(graph, action);
        let mut new_rule = |name: String, text: Option<&mut String>, flags: Option<FlagSetId>| -> u32 {
            let rsp_file = flags.and_then(|f| response_files[f.index()].as_ref());
            match text {
                Some(text) if action.kind == ActionKind::Compile => {
                    // The launcher (ccache, distcc) goes before compiles only.
                    let launcher =
                        graph.launcher(target).map(|l| format!("${{{}}} ", l.variable())).unwrap_or_default();
                    let flags = match (rsp_file, flags) {
                        (Some(r), _) => format!(" @{}", command_words(std::slice::from_ref(&r.path))),
                        (None, Some(f)) => format!(" ${{{}}}", graph.flag_sets[f.index()].name),
                        (None, None) => String::new(),
                    };
                    let _ = write!(
                        text,
                        "rule {name}\n  command = {launcher}${{cc.{target}}} -MMD -MF $out.d{flags} -c $in -o $out\n  \
                         depfile = $out.d\n  deps = gcc\n  description = CC $out\n"
                    );
                }
                Some(text) => {
                    // A link or bundle whose words go through a response file (`$rsp`).
                    let (command, what, restat) = match action.kind {
                        ActionKind::Bundle => {
                            ("$spygen bundle --args-from $out.rsp".to_string(), "BUNDLE", "  restat = 1\n")
                        }
                        _ => (format!("${{cc.{target}}} @$out.rsp"), "LINK", ""),
                    };
                    let _ = write!(
                        text,
                        "rule {name}\n  command = {command}\n  rspfile = $out.rsp\n  rspfile_content = $rsp\n  \
                         description = {what} $out\n{restat}  pool = link\n"
                    );
                }
                None => {}
            }
            rules.push(name);
            rule_inputs.push(rsp_file.map(|r| r.path.clone()));
            rules.len() as u32 - 1
        };
        let rule = match (action.kind, action.flags) {
            (ActionKind::Compile, Some(id)) => match compile_rules[id.index()] {
                Some(rule) => rule,
                None => {
                    let name = &graph.flag_sets[id.index()].name;
                    let rule_name = format!("cc.{}", name.strip_prefix("cflags.").unwrap_or(name));
                    let rule = new_rule(rule_name, Some(&mut rule_text), Some(id));
                    compile_rules[id.index()] = Some(rule);
                    rule
                }
            },
            (kind, _) => {
                let name = match (kind, &rsp) {
                    (ActionKind::Archive, Some(_)) => format!("ar-rsp.{target}"),
                    (ActionKind::Archive, None) => format!("ar.{target}"),
                    (ActionKind::Link | ActionKind::LinkWholeArchive, Some(_)) => format!("link-rsp.{target}"),
                    (ActionKind::Link, None) => format!("link.{target}"),
                    (ActionKind::LinkWholeArchive, None) => format!("link-whole.{target}"),
                    (ActionKind::ForeignMake, _) => "foreign-make".into(),
                    (ActionKind::Bundle, Some(_)) => "bundle-rsp".into(),
                    (ActionKind::Bundle, None) => "bundle".into(),
                    // A compile without flags (the planner gives every compile some).
                    _ => format!("cc.{target}"),
                };
                match other_rules.get(&name) {
                    Some(&rule) => rule,
                    None => {
                        // Compile and response-file rules are written where first used; the
                        // others are in the toolchain sections.
                        let written_here =
                            kind == ActionKind::Compile || (rsp.is_some() && kind != ActionKind::Archive);
                        let text = written_here.then_some(&mut rule_text);
                        let rule = new_rule(name.clone(), text, None);
                        other_rules.insert(name, rule);
                        rule
                    }
                }
            }
        };
        let rsp = rsp.map(|words| escape_value(&crate::shell::response_file(&words)).into_owned());
        edges.push(Edge { action: index, rule, prelude, flag_sets, rule_text, rsp });
    }
    EdgePlan { edges, weights, rules, rule_inputs }
}

/// Pass 2: the text of `edges`, with what each needs defined first.
fn write_edges(graph: &BuildGraph, plan: &EdgePlan, spelled: &[String], edges: &[Edge]) -> String {
    let mut text = String::with_capacity(edges.len() * 128);
    for edge in edges {
        let action = &graph.actions[edge.action];
        text.push_str(&edge.prelude);
        for &id in &edge.flag_sets {
            define_flags(graph, id, spelled, &mut text);
        }
        text.push_str(&edge.rule_text);
        let rule = edge.rule as usize;
        write_edge(graph, action, &plan.rules[rule], plan.rule_inputs[rule].as_deref(), &mut text);
        if let Some(rsp) = &edge.rsp {
            let _ = writeln!(text, "  rsp = {rsp}");
            continue;
        }
        if matches!(action.kind, ActionKind::ForeignMake | ActionKind::Bundle) {
            let _ = writeln!(text, "  args = {}", command_words(&action.args));
        }
        if let (Some(flags), false) = (action.flags, action.kind == ActionKind::Compile) {
            let _ = writeln!(text, "  ldflags = ${{{}}}", graph.flag_sets[flags.index()].name);
        }
    }
    text
}

/// One edge to write: its action, its rule (an index into the rule names) and the text that
/// must come before it.
struct Edge {
    /// The action's index in the graph.
    action: usize,
    /// The rule's index.
    rule: u32,
    /// A configuration heading before it (usually empty).
    prelude: String,
    /// The flag variables first needed by this edge, in definition order (usually none).
    flag_sets: Vec<FlagSetId>,
    /// The rule first needed by this edge (usually empty).
    rule_text: String,
    /// The edge's response-file words, spelled for ninja (`rsp = ...`), when its command
    /// would be too long.
    rsp: Option<String>,
}

/// Writes the variable of flag set `id`; `spelled` holds each set's own words, spelled.
fn define_flags(graph: &BuildGraph, id: FlagSetId, spelled: &[String], out: &mut String) {
    let reference = |name: &str| format!("${{{name}}}");
    let spell = |set: FlagSetId| spelled[set.index()].as_str().into();
    let value = super::flag_set_value(graph, id, &reference, &spell);
    let sep = if value.is_empty() { "" } else { " " };
    let _ = writeln!(out, "{} ={sep}{value}", graph.flag_sets[id.index()].name);
}

/// Writes the `build` line of `action` with `rule`; `response_file` is an extra implicit input
/// (the compile flags' response file).
fn write_edge(
    graph: &BuildGraph,
    action: &crate::graph::Action,
    rule: &str,
    response_file: Option<&str>,
    out: &mut String,
) {
    // Straight into `out`: this runs once per edge, 100,000 times in a large project.
    let push_paths = |out: &mut String, separator: &str, files: &[crate::graph::FileId]| {
        if !files.is_empty() {
            out.push_str(separator);
        }
        for &f in files {
            out.push(' ');
            out.push_str(&escape_path(graph.path(f)));
        }
    };
    out.push_str("build");
    push_paths(out, "", &action.outputs);
    push_paths(out, " |", &action.implicit_outputs);
    out.push_str(": ");
    out.push_str(rule);
    push_paths(out, "", &action.inputs);
    push_paths(out, " |", &action.implicit);
    if let Some(path) = response_file {
        out.push_str(if action.implicit.is_empty() { " | " } else { " " });
        out.push_str(&escape_path(path));
    }
    push_paths(out, " ||", &action.order_only);
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
