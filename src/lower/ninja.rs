//! Lowering to `build.ninja`: per-toolchain rules and tool variables, one compile rule per unit
//! and configuration spelling its tools and flags out (long include lists spelled for many
//! objects named as response files), link flag variables defined once, compact edges, phony
//! aliases, a regeneration edge. Every rule's command is its action kind's
//! [`CommandTemplate`], its variables spelled the ninja way ([`rule_command`]).

use std::borrow::Cow;
use std::fmt::Write;

use super::{ResponseFile, action_response_words};
use crate::graph::{
    Action, ActionKind, BuildGraph, CommandTemplate, FileId, FlagPart, FlagSetId, LINK_POOL, Var, Word,
};
use crate::shell;

/// `path` escaped for a ninja build line: `$`, space and `:` are special there.
pub fn escape_path(path: &str) -> Cow<'_, str> {
    // Bytes, not characters: this runs for every path of every edge.
    if !path.bytes().any(|b| matches!(b, b'$' | b' ' | b':')) {
        return Cow::Borrowed(path);
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
    Cow::Owned(out)
}

/// Text escaped for a ninja variable value (only `$` is special there).
pub fn escape_value(text: &str) -> Cow<'_, str> {
    if text.contains('$') { Cow::Owned(text.replace('$', "$$")) } else { Cow::Borrowed(text) }
}

/// Command words quoted for the shell, then escaped for ninja.
fn command_words(words: &[String]) -> String {
    let joined = shell::join(words);
    match escape_value(&joined) {
        Cow::Borrowed(_) => joined,
        Cow::Owned(escaped) => escaped,
    }
}

/// How a rule's command spells the action's flags ([`Var::Flags`]).
enum FlagsSpelling<'a> {
    /// A compile rule's flags, spelled out (quoted and escaped): its own rule, one per unit and
    /// configuration, is the one place that names them.
    Words(&'a str),
    /// A response file holding them: `@path`.
    ResponseFile(&'a str),
    /// The edge's `ldflags` binding: `$ldflags`.
    EdgeBinding,
}

/// The command of a rule running `template` for actions of `target`: variables are ninja's
/// (`$in`, `$out`, `${cc.wasi}`), literals quoted for the shell. `args` spells the arguments
/// in the rule itself (the one regeneration edge); otherwise edges bind `$args`. A compile
/// rule spells its tools out too (`/usr/bin/cc`, not `${cc.native}`): ninja evaluates the
/// command once per object, and a variable costs it a lookup and a copy each time.
fn rule_command(
    graph: &BuildGraph,
    kind: ActionKind,
    target: &str,
    template: CommandTemplate,
    flags: &FlagsSpelling,
    args: Option<&[String]>,
) -> String {
    let tool_word = |tool: &crate::graph::Tool| match kind {
        ActionKind::Compile => command_words(&tool.command),
        _ => format!("${{{}}}", tool.variable()),
    };
    let mut steps = Vec::new();
    for step in template.steps {
        let mut words: Vec<String> = Vec::new();
        for word in *step {
            match word {
                Word::Lit(text) => words.push(command_words(&[text.to_string()])),
                Word::Var(Var::Launcher) => words.extend(graph.launcher(target).map(tool_word)),
                Word::Var(Var::Tool) => {
                    let tool = kind.tool_role().and_then(|role| graph.find_tool(target, role));
                    words.extend(tool.map(|t| tool_word(graph.tool(t))));
                }
                Word::Var(Var::Flags) => words.push(match flags {
                    FlagsSpelling::Words(text) => text.to_string(),
                    FlagsSpelling::ResponseFile(path) => format!("@{}", command_words(&[path.to_string()])),
                    FlagsSpelling::EdgeBinding => "$ldflags".into(),
                }),
                Word::Var(Var::ObjectFlags) => {
                    // Escaped with a stand-in for the path, which ninja's `$out` then spells.
                    const STAND_IN: &str = "SPYGEN_OBJECT_PATH";
                    let tool = kind.tool_role().and_then(|role| graph.find_tool(target, role));
                    for word in tool.iter().flat_map(|&t| graph.tool(t).object_flags_for(STAND_IN)) {
                        words.push(command_words(&[word]).replace(STAND_IN, "$out"));
                    }
                }
                Word::Var(Var::Inputs) => words.push("$in".into()),
                Word::Var(Var::Output) => words.push("$out".into()),
                Word::Var(Var::Depfile) => words.push("$out.d".into()),
                Word::Var(Var::AtRspfile) => words.push("@$out.rsp".into()),
                Word::Var(Var::Rspfile) => words.push("$out.rsp".into()),
                Word::Var(Var::Args) => words.push(args.map_or("$args".into(), command_words)),
                Word::Var(Var::Spygen) => words.push("$spygen".into()),
                Word::Var(Var::Make) => words.push("make".into()),
                Word::Var(Var::Pwd) => words.push(crate::graph::PORTABLE_PWD_ASSIGNMENT.into()),
            }
        }
        words.retain(|w| !w.is_empty());
        steps.push(words.join(" "));
    }
    steps.join(" && ")
}

/// Writes `rule <name>` running `command` for actions of `kind`: a depfile when the command
/// has one, `rspfile` when it goes through a response file, the pool and restat the kind asks
/// for. `description` is what follows the kind's verb (usually `$out`).
fn write_rule(out: &mut String, name: &str, command: &str, kind: ActionKind, rsp: bool, description: &str) {
    let _ = writeln!(out, "rule {name}\n  command = {command}");
    if kind.command().is_some_and(|c| c.uses(Var::Depfile)) {
        out.push_str("  depfile = $out.d\n  deps = gcc\n");
    }
    if rsp {
        out.push_str("  rspfile = $out.rsp\n  rspfile_content = $rsp\n");
    }
    let _ = writeln!(out, "  description = {} {description}", kind.verb());
    if kind == ActionKind::Regenerate {
        out.push_str("  generator = 1\n  restat = 1\n");
    } else if kind.restat() {
        out.push_str("  restat = 1\n");
    }
    if let Some(pool) = kind.pool() {
        let _ = writeln!(out, "  pool = {pool}");
    }
}

/// The name of the rule of non-compile `action` (compiles have one rule per flag set; `phony`
/// is ninja's own).
fn rule_name(graph: &BuildGraph, action: &Action, rsp: bool) -> String {
    let target = graph.tool_target(action);
    match (action.kind, rsp) {
        (ActionKind::Archive, false) => format!("ar.{target}"),
        (ActionKind::Archive, true) => format!("ar-rsp.{target}"),
        (ActionKind::Link, false) => format!("link.{target}"),
        (ActionKind::LinkWholeArchive, false) => format!("link-whole.{target}"),
        (ActionKind::Link | ActionKind::LinkWholeArchive, true) => format!("link-rsp.{target}"),
        (ActionKind::ForeignMake, _) => "foreign-make".into(),
        (ActionKind::Bundle, false) => "bundle".into(),
        (ActionKind::Bundle, true) => "bundle-rsp".into(),
        (ActionKind::Regenerate, _) => "regen".into(),
        // One per target: the command names the target's compiler.
        (ActionKind::ModuleManifest, false) => format!("spymod.{target}"),
        (ActionKind::ModuleManifest, true) => format!("spymod-rsp.{target}"),
        // One per target, which may have no runner (its programs run directly).
        (ActionKind::Test, _) => {
            format!("test.{}", action.config.map(|c| graph.config(c).target.as_str()).unwrap_or_default())
        }
        (ActionKind::Phony, _) => "phony".into(),
        // A compile without flags (the planner gives every compile some).
        (ActionKind::Compile, _) => format!("cc.{target}"),
    }
}

/// How build.ninja's first line starts (the rest: `<project>, written by spygen. ...`), by
/// which [`crate::ownership`] knows the file is spygen's.
pub const HEADER_START: &str = "# build.ninja for ";

/// Writes the whole `build.ninja` text of `graph`.
pub fn lower_ninja(graph: &BuildGraph) -> String {
    let (response_files, referenced) = super::ninja_response_files(graph);
    lower_ninja_parts(graph, &response_files, &referenced).concat()
}

/// The `build.ninja` text of `graph` in the consecutive parts [`write_ninja`] hands over: the
/// preamble first, the aliases and regeneration last.
pub fn lower_ninja_parts(
    graph: &BuildGraph,
    response_files: &[Option<ResponseFile>],
    referenced: &[Option<ResponseFile>],
) -> Vec<String> {
    let mut parts = Vec::new();
    write_ninja(graph, response_files, referenced, &mut |text| parts.push(text.to_string()));
    parts
}

/// Past this many bytes, the edges build.ninja's writer formats are handed over: the file is
/// written as it is formatted, and never held whole in memory (13 MB at 100,000 compiles).
const NINJA_CHUNK: usize = 256 << 10;

/// A chunk's buffer: past [`NINJA_CHUNK`] by up to one edge, which the slack holds unless the
/// edge is longer (then the buffer grows, once).
const NINJA_CHUNK_CAPACITY: usize = NINJA_CHUNK + (64 << 10);

/// The `build.ninja` text of `graph`, handed to `sink` in consecutive parts as it is formatted:
/// the preamble, the edges in chunks (formatted on two threads when there are many: the first
/// half's chunks as they come, the second half's at its end), then the aliases and the
/// regeneration. `response_files` and `referenced` (from [`super::ninja_response_files`], by
/// flag set) hold the compile flags too long for a command line and the lists of flags
/// compile rules name in place of their words; both are written beside it.
pub fn write_ninja(
    graph: &BuildGraph,
    response_files: &[Option<ResponseFile>],
    referenced: &[Option<ResponseFile>],
    sink: &mut dyn FnMut(&str),
) {
    let settings = graph.settings();
    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(
        out,
        "{HEADER_START}{}, written by spygen. Do not edit: edit the manifests instead;\n\
         # ninja re-runs spygen when a manifest, a descriptor or a globbed directory changes.",
        settings.project_manifest
    );
    out.push_str("ninja_required_version = 1.10\n\n");
    let _ = writeln!(out, "spygen = {}\n", command_words(std::slice::from_ref(&settings.spygen_exe)));
    for (_, action) in graph.actions_of(ActionKind::Regenerate).take(1) {
        let kind = ActionKind::Regenerate;
        let command = kind
            .command()
            .map(|template| rule_command(graph, kind, "", template, &FlagsSpelling::EdgeBinding, Some(&action.args)));
        let output = action.outputs.first().map(|&f| graph.path(f)).unwrap_or_default();
        write_rule(&mut out, &rule_name(graph, action, false), &command.unwrap_or_default(), kind, false, output);
        out.push('\n');
    }

    let _ = writeln!(
        out,
        "# links and wasm bundles take much memory: `depth` of them at a time (--link-jobs);\n\
         # compiles use every job slot\npool {LINK_POOL}\n  depth = {}\n",
        settings.link_jobs
    );

    for (kind, comment) in [
        (
            ActionKind::ForeignMake,
            "# a library's own Makefile; restat: an up-to-date library does not relink its users\n",
        ),
        (
            ActionKind::Bundle,
            "# wasm bundles through spygen's content-addressed cache; restat: an unchanged bundle\n\
             # is not rewritten\n",
        ),
    ] {
        if let (Some((_, action)), Some(template)) = (graph.actions_of(kind).next(), kind.command()) {
            out.push_str(comment);
            let command = rule_command(graph, kind, "", template, &FlagsSpelling::EdgeBinding, None);
            write_rule(&mut out, &rule_name(graph, action, false), &command, kind, false, "$out");
            out.push('\n');
        }
    }

    // Toolchains: tool variables and the archive and link rules, once each.
    for target in graph.targets() {
        let _ = writeln!(out, "# toolchain {target}");
        for (_, tool) in graph.tools().filter(|(_, t)| t.target == target) {
            let _ = writeln!(out, "{} = {}", tool.variable(), command_words(&tool.command));
        }
        for (kind, rsp, name) in [
            (ActionKind::Archive, false, "ar"),
            (ActionKind::Archive, true, "ar-rsp"),
            (ActionKind::Link, false, "link"),
            (ActionKind::LinkWholeArchive, false, "link-whole"),
        ] {
            let template = if rsp { kind.response_file_command().map(|r| r.command) } else { kind.command() };
            if let Some(template) = template {
                let command = rule_command(graph, kind, target, template, &FlagsSpelling::EdgeBinding, None);
                write_rule(&mut out, &format!("{name}.{target}"), &command, kind, rsp, "$out");
            }
        }
        out.push('\n');
    }

    // Every flag set's words, spelled once when it has one list of its own: sets copied into
    // many others are spelled once, not once per copy.
    let spelled: Vec<Option<String>> = graph
        .flag_sets()
        .map(|(_, set)| {
            let mut own = set.parts.iter().filter_map(|p| match p {
                crate::graph::FlagPart::Words(w) => Some(w),
                _ => None,
            });
            match (own.next(), own.next()) {
                (Some(words), None) => Some(command_words(words)),
                _ => None,
            }
        })
        .collect();
    let plan_of_edges = plan_edges(graph, response_files, referenced);
    sink(&out);
    drop(out);
    let edges = &plan_of_edges.edges;
    let write =
        |edges: &[Edge], full: &mut dyn FnMut(&mut String)| write_edges(graph, &plan_of_edges, &spelled, edges, full);
    // The first half's chunks are written as they are made.
    let mut written = |text: &mut String| {
        sink(text);
        text.clear();
    };
    if edges.len() < 4096 {
        let rest = write(edges, &mut written);
        sink(&rest);
    } else {
        // The second half's are kept, chunk by chunk, until the first half is written: one
        // growing buffer would be copied as it grows, and could reach twice the text's size.
        let (rest, (kept, second_rest)) = super::in_two_halves_apart(
            edges,
            &plan_of_edges.weights,
            |first| write(first, &mut written),
            |second| {
                let mut kept = Vec::new();
                let rest = write(second, &mut |text| {
                    kept.push(std::mem::replace(text, String::with_capacity(NINJA_CHUNK_CAPACITY)))
                });
                (kept, rest)
            },
        );
        sink(&rest);
        for chunk in kept {
            sink(&chunk);
        }
        sink(&second_rest);
    }
    let mut out = String::new();

    out.push_str("\n# aliases: per configuration, per target, per module and program, tests; `all` is the default\n");
    for (_, action) in graph.actions_of(ActionKind::Phony) {
        write_edge(graph, action, &rule_name(graph, action, false), &[], &[], &mut out);
    }
    out.push_str("\n# regeneration\n");
    // The compile flags' response files are written with build.ninja: one gone regenerates.
    let generated: Vec<&str> = response_files.iter().chain(referenced).flatten().map(|r| r.path.as_str()).collect();
    for (_, action) in graph.actions_of(ActionKind::Regenerate) {
        write_edge(graph, action, &rule_name(graph, action, false), &[], &generated, &mut out);
        // A new spygen may write different files: it is an input too (by its path: `$spygen`
        // is a shell word, quoted when the path needs it).
        out.truncate(out.len() - 1);
        out.push_str(" | ");
        out.push_str(&escape_path(&settings.spygen_exe));
        out.push('\n');
    }
    let defaults: Vec<Cow<str>> = graph.defaults().iter().map(|&f| escape_path(graph.path(f))).collect();
    if defaults.is_empty() {
        out.push_str("\n# no toolchain of the wanted configurations is installed: nothing is built by default\n");
        out.push_str("default build.ninja\n");
    } else {
        let _ = writeln!(out, "\ndefault {}", defaults.join(" "));
    }
    sink(&out);
}

/// Pass 1 of the lowering: the edges in order, each with what must be defined before it.
struct EdgePlan<'a> {
    /// The edges of every action but aliases and regeneration, in the graph's order.
    edges: Vec<Edge>,
    /// Roughly how much text each edge writes, to split the work evenly.
    weights: Vec<usize>,
    /// Rule names, by index.
    rules: Vec<String>,
    /// The compile flags' response files, by flag set (see [`write_ninja`]).
    response_files: &'a [Option<ResponseFile>],
    /// The response files of the sets compile flags refer to, by set.
    referenced: &'a [Option<ResponseFile>],
}

/// Pass 1, in order: what must be defined before each edge (configuration headings, flag
/// variables, compile rules and response-file rules) and each edge's rule. It touches each
/// action once, cheaply, and spells no compile flags: the text, compile rules included (the
/// bulk of a chain of modules' build.ninja), is written by [`write_edges`], on two threads.
fn plan_edges<'a>(
    graph: &BuildGraph,
    response_files: &'a [Option<ResponseFile>],
    referenced: &'a [Option<ResponseFile>],
) -> EdgePlan<'a> {
    let mut defined = vec![false; graph.flag_set_count()];
    let lengths = graph.flag_set_lengths();
    let mut rules: Vec<String> = Vec::new();
    // One compile rule per module and configuration, its tools and flags spelled in it: edges
    // then carry no bindings, ninja keeps one copy of each flag list, not one per object, and
    // evaluating a command looks up no variable but `$in` and `$out`.
    let mut compile_rules: Vec<Option<u32>> = vec![None; graph.flag_set_count()];
    let mut other_rules: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut edges: Vec<Edge> = Vec::with_capacity(graph.action_count());
    let mut weights: Vec<usize> = Vec::with_capacity(graph.action_count());
    let mut current_config = None;
    for (id, action) in graph.actions() {
        if matches!(action.kind, ActionKind::Phony | ActionKind::Regenerate) {
            continue; // written after every real edge
        }
        let mut prelude = String::new();
        if let Some(heading) = super::config_heading(graph, action, &mut current_config) {
            prelude.push_str(&heading);
        }
        let mut flag_sets = Vec::new();
        // A compile's rule spells its flags out, or names their response file: no variable.
        if let Some(flags) = action.flags.filter(|_| action.kind != ActionKind::Compile) {
            graph.flag_sets_to_define(flags, &mut defined, &mut flag_sets);
        }
        let mut weight = 64 + action.inputs.len() * 32 + flag_sets.iter().map(|f| lengths[f.index()]).sum::<usize>();
        let target = graph.tool_target(action);
        let rsp = action_response_words(graph, action);
        let mut rule_text = String::new();
        let mut compile_rule = None;
        let rule = match (action.kind, action.flags) {
            (ActionKind::Compile, Some(flags)) => match compile_rules[flags.index()] {
                Some(rule) => rule,
                None => {
                    // Written right before its first edge, by pass 2.
                    compile_rule = Some(flags);
                    weight += lengths[flags.index()];
                    rules.push(compile_rule_name(graph, action, flags));
                    let rule = rules.len() as u32 - 1;
                    compile_rules[flags.index()] = Some(rule);
                    rule
                }
            },
            (kind, _) => {
                let name = rule_name(graph, action, rsp.is_some());
                match other_rules.get(&name) {
                    Some(&rule) => rule,
                    None => {
                        // Archive rules and the rules of foreign makes and bundles are written
                        // at the top; compiles without flags and response-file links and
                        // bundles where first used.
                        let template = match (kind, rsp.is_some()) {
                            (ActionKind::Archive, _) | (ActionKind::ForeignMake, _) | (ActionKind::Bundle, false) => {
                                None
                            }
                            (ActionKind::Link | ActionKind::LinkWholeArchive, false) => None,
                            (_, true) => kind.response_file_command().map(|r| r.command),
                            (_, false) => kind.command(),
                        };
                        if let Some(template) = template {
                            let command =
                                rule_command(graph, kind, target, template, &FlagsSpelling::EdgeBinding, None);
                            write_rule(&mut rule_text, &name, &command, kind, rsp.is_some(), "$out");
                        }
                        rules.push(name.clone());
                        let rule = rules.len() as u32 - 1;
                        other_rules.insert(name, rule);
                        rule
                    }
                }
            }
        };
        let rsp = rsp.map(|words| escape_value(&shell::response_file(&words)).into_owned());
        weights.push(weight);
        let first = (!prelude.is_empty()
            || !flag_sets.is_empty()
            || !rule_text.is_empty()
            || compile_rule.is_some()
            || rsp.is_some())
        .then(|| Box::new(FirstUse { prelude, flag_sets, rule_text, compile_rule, rsp }));
        edges.push(Edge { action: id, rule, first });
    }
    EdgePlan { edges, weights, rules, response_files, referenced }
}

/// Writes the compile rule `name` of `action`, whose flags are the set `flags`: spelled out, or
/// named by their response file.
fn write_compile_rule(
    graph: &BuildGraph,
    plan: &EdgePlan,
    spelled: &[Option<String>],
    action: &Action,
    flags: FlagSetId,
    name: &str,
    out: &mut String,
) {
    let Some(template) = action.kind.command() else {
        return;
    };
    let words;
    let spelling = match &plan.response_files[flags.index()] {
        Some(r) => FlagsSpelling::ResponseFile(&r.path),
        None => {
            words = spell_flags(graph, flags, plan.referenced, spelled);
            FlagsSpelling::Words(&words)
        }
    };
    let target = graph.tool_target(action);
    let command = rule_command(graph, action.kind, target, template, &spelling, None);
    write_rule(out, name, &command, action.kind, false, "$out");
}

/// The compile rule of the flag set `flags` of `action`: `cc.<unit>.<configuration>`.
fn compile_rule_name(graph: &BuildGraph, action: &Action, flags: FlagSetId) -> String {
    match (&action.owner, graph.config_name(action)) {
        (Some(owner), Some(config)) => format!("cc.{owner}.{config}"),
        _ => format!("cc.{}", graph.flag_set(flags).name),
    }
}

/// Pass 2: the text of `edges`, with what each needs defined first; `spelled` holds the
/// spelled words of every set that has one list of its own. Each [`NINJA_CHUNK`] of text goes
/// to `full` as it is made (which takes it, leaving the buffer empty), and the rest is returned.
fn write_edges(
    graph: &BuildGraph,
    plan: &EdgePlan,
    spelled: &[Option<String>],
    edges: &[Edge],
    full: &mut dyn FnMut(&mut String),
) -> String {
    let mut text = String::with_capacity(NINJA_CHUNK_CAPACITY);
    for edge in edges {
        if text.len() >= NINJA_CHUNK {
            full(&mut text);
        }
        let action = graph.action(edge.action);
        let first = edge.first.as_deref().unwrap_or(&NOTHING_FIRST);
        text.push_str(&first.prelude);
        for &id in &first.flag_sets {
            define_flags(graph, id, spelled, &mut text);
        }
        text.push_str(&first.rule_text);
        let rule = edge.rule as usize;
        if let Some(flags) = first.compile_rule {
            write_compile_rule(graph, plan, spelled, action, flags, &plan.rules[rule], &mut text);
        }
        // The files a foreign make's dry run found it writes: restat (its rule's) keeps one its
        // Makefile left alone from re-running it, and `ninja -t clean` removes them all.
        let side_outputs = graph.dry_run(edge.action).map_or(&[][..], |d| d.outputs.as_slice());
        write_edge(graph, action, &plan.rules[rule], side_outputs, &[], &mut text);
        if let Some(rsp) = &first.rsp {
            let _ = writeln!(text, "  rsp = {rsp}");
            continue;
        }
        if action.kind.command().is_some_and(|c| c.uses(Var::Args)) {
            let _ = writeln!(text, "  args = {}", command_words(&action.args));
        }
        if let (Some(flags), false) = (action.flags, action.kind == ActionKind::Compile) {
            let _ = writeln!(text, "  ldflags = ${{{}}}", graph.flag_set(flags).name);
        }
    }
    text
}

/// One edge to write: its action, its rule (an index into the rule names) and what it must
/// write first, if anything. 16 bytes: a large project has 100,000 of them, nearly all with
/// nothing to write first (every new page costs, see README's Performance).
struct Edge {
    /// The action.
    action: crate::graph::ActionId,
    /// The rule's index.
    rule: u32,
    /// What comes first, when anything does.
    first: Option<Box<FirstUse>>,
}

/// What an edge writes before its `build` line, and its response-file words.
struct FirstUse {
    /// A configuration heading before it.
    prelude: String,
    /// The flag variables first needed by this edge, in definition order.
    flag_sets: Vec<FlagSetId>,
    /// The rule first needed by this edge, but a compile rule.
    rule_text: String,
    /// The flag set of the compile rule first needed by this edge (written in pass 2).
    compile_rule: Option<FlagSetId>,
    /// The edge's response-file words, spelled for ninja (`rsp = ...`), when its command
    /// would be too long.
    rsp: Option<String>,
}

/// An edge's [`FirstUse`] when it has none.
static NOTHING_FIRST: FirstUse =
    FirstUse { prelude: String::new(), flag_sets: Vec::new(), rule_text: String::new(), compile_rule: None, rsp: None };

/// The words of flag set `id`, every part expanded, spelled for a command, but a set it refers
/// to that has a file in `referenced` (by set), named `@file` (`spelled` holds the spelled
/// words of every set that has one list of its own).
fn spell_flags(
    graph: &BuildGraph,
    id: FlagSetId,
    referenced: &[Option<ResponseFile>],
    spelled: &[Option<String>],
) -> String {
    let mut out = String::new();
    for part in &graph.flag_set(id).parts {
        let file = match part {
            FlagPart::Ref(r) => referenced.get(r.index()).and_then(Option::as_ref),
            _ => None,
        };
        match file {
            Some(file) => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push('@');
                out.push_str(&command_words(std::slice::from_ref(&file.path)));
            }
            None => push_flags(graph, part, id, spelled, &mut out),
        }
    }
    out
}

/// The words of `part` of flag set `id`, every set it names expanded, spelled for a command
/// and appended to `out`.
fn push_flags(graph: &BuildGraph, part: &FlagPart, id: FlagSetId, spelled: &[Option<String>], out: &mut String) {
    let text = match part {
        FlagPart::Ref(r) | FlagPart::Inline(r) => {
            for inner in &graph.flag_set(*r).parts {
                push_flags(graph, inner, *r, spelled, out);
            }
            return;
        }
        FlagPart::Words(words) => match &spelled[id.index()] {
            Some(text) => Cow::Borrowed(text.as_str()),
            None => Cow::Owned(command_words(words)),
        },
    };
    if !text.is_empty() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&text);
    }
}

/// Writes the variable of flag set `id`; `spelled` holds the spelled words of every set that
/// has one list of its own.
fn define_flags(graph: &BuildGraph, id: FlagSetId, spelled: &[Option<String>], out: &mut String) {
    let reference = |name: &str| format!("${{{name}}}");
    let mut spell = |set: FlagSetId, words: &[String], out: &mut String| match &spelled[set.index()] {
        Some(text) => out.push_str(text),
        None => out.push_str(&command_words(words)),
    };
    let value = graph.flag_set_value(id, &reference, &mut spell);
    let sep = if value.is_empty() { "" } else { " " };
    let _ = writeln!(out, "{} ={sep}{value}", graph.flag_set(id).name);
}

/// Writes the `build` line of `action` with `rule`; `side_outputs` and `generated` are extra
/// implicit outputs (the files a foreign make's dry run found it writes; the response files
/// written with build.ninja, outputs of its regeneration).
fn write_edge(
    graph: &BuildGraph,
    action: &Action,
    rule: &str,
    side_outputs: &[FileId],
    generated: &[&str],
    out: &mut String,
) {
    // Straight into `out`: this runs once per edge, 100,000 times in a large project.
    let push_paths = |out: &mut String, separator: &str, files: &[FileId]| {
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
    match (action.implicit_outputs.is_empty(), side_outputs.is_empty()) {
        (_, true) => push_paths(out, " |", &action.implicit_outputs),
        (true, false) => push_paths(out, " |", side_outputs),
        (false, false) => {
            push_paths(out, " |", &action.implicit_outputs);
            push_paths(out, "", side_outputs);
        }
    }
    if !generated.is_empty() && action.implicit_outputs.is_empty() && side_outputs.is_empty() {
        out.push_str(" |");
    }
    for path in generated {
        out.push(' ');
        out.push_str(&escape_path(path));
    }
    out.push_str(": ");
    out.push_str(rule);
    push_paths(out, "", &action.inputs);
    push_paths(out, " |", &action.implicit);
    push_paths(out, " ||", &action.order_only);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::fixture::Fixture;

    /// The edges part of build.ninja: everything between the toolchain rules and the aliases.
    fn edges(f: &Fixture) -> String {
        let (files, referenced) = crate::lower::ninja_response_files(&f.graph);
        let parts = lower_ninja_parts(&f.graph, &files, &referenced);
        parts[1..parts.len() - 1].concat()
    }

    #[test]
    fn a_large_graph_written_by_two_threads_in_chunks_has_every_edge_once_in_action_order() {
        let mut f = Fixture::new(false);
        let sources: Vec<String> = (0..6000).map(|i| format!("src/a_source_with_a_long_name_{i:05}.c")).collect();
        let objects = f.compiles(&sources.iter().map(String::as_str).collect::<Vec<_>>());
        let (files, referenced) = crate::lower::ninja_response_files(&f.graph);
        let parts = lower_ninja_parts(&f.graph, &files, &referenced);
        // Past the threshold for two threads, and each half past a chunk.
        assert!(f.graph.action_count() >= 4096);
        assert!(
            parts.iter().filter(|p| p.len() >= NINJA_CHUNK).count() >= 2,
            "{:?}",
            parts.iter().map(String::len).collect::<Vec<_>>()
        );
        let text = parts.concat();
        let built: Vec<&str> =
            text.lines().filter_map(|l| l.strip_prefix("build ")).filter_map(|l| l.split(':').next()).collect();
        assert_eq!(built, objects);
    }

    #[test]
    fn paths_and_values_are_escaped() {
        assert_eq!(escape_path("my dir/a$b:c.o"), "my$ dir/a$$b$:c.o");
        assert_eq!(escape_value("-Wl,--export=spy_mod$encode"), "-Wl,--export=spy_mod$$encode");
        assert_eq!(
            command_words(&["-Wl,--export=spy_mod$encode".to_string(), "-I../a b".to_string()]),
            "'-Wl,--export=spy_mod$$encode' '-I../a b'"
        );
    }

    #[test]
    fn the_preamble_defines_spygen_regeneration_the_link_pool_and_each_toolchains_rules() {
        let mut f = Fixture::new(true);
        f.aliases_and_regeneration(&[]);
        insta::assert_snapshot!(lower_ninja_parts(&f.graph, &[], &[])[0]);
    }

    #[test]
    fn compiles_share_one_rule_per_unit_spelling_its_tools_and_flags() {
        let mut f = Fixture::new(true);
        f.compiles(&["../m/src/a.c", "../m/src/my dir/b$.c"]);
        insta::assert_snapshot!(edges(&f));
    }

    #[test]
    fn archives_and_links_bind_only_what_differs_per_edge() {
        let mut f = Fixture::new(false);
        let objects = f.compiles(&["../m/src/a.c"]);
        f.archive(&objects);
        f.link(&["wasi/release/obj/m/a.o", "wasi/release/m.a"], false);
        insta::assert_snapshot!(edges(&f));
    }

    #[test]
    fn a_reactor_links_every_archive_member() {
        let mut f = Fixture::new(false);
        f.link(&["wasi/release/m.a"], true);
        insta::assert_snapshot!(edges(&f));
    }

    #[test]
    fn a_foreign_make_and_a_bundle_pass_their_arguments() {
        let mut f = Fixture::new(false);
        f.foreign_make();
        f.bundle(&["wasi/release/m.a", "../vendor/lib/build/wasi/release/liblib.a"]);
        let parts = lower_ninja_parts(&f.graph, &[], &[]);
        // Their rules (after the link pool, before the toolchains), then their edges.
        let rules = parts[0].split("# a library's").nth(1).and_then(|r| r.split("# toolchain").next());
        insta::assert_snapshot!(format!("# a library's{}{}", rules.unwrap_or_default(), edges(&f)));
    }

    #[test]
    fn the_files_a_foreign_makes_dry_run_found_are_outputs_of_its_edge() {
        let mut f = Fixture::new(false);
        f.foreign_make();
        f.foreign_dry_run();
        let edges = edges(&f);
        let expected = "build ../vendor/lib/build/wasi/release/liblib.a | wasi/release/foreign/lib/obj/lib.o \
                        wasi/release/foreign/lib/obj/lib.d: foreign-make | ../vendor/lib/src/lib.c spygen.mk\n";
        assert!(edges.contains(expected), "{edges}");
    }

    #[test]
    fn a_test_runs_through_its_targets_runner_and_binds_its_arguments() {
        let mut f = Fixture::new(false);
        f.test();
        let parts = lower_ninja_parts(&f.graph, &[], &[]);
        assert!(parts[0].contains("runner.wasi = /usr/bin/node --no-warnings .spygen/wasi-run.mjs\n"), "{}", parts[0]);
        insta::assert_snapshot!(edges(&f));
    }

    #[test]
    fn words_past_the_command_line_limit_go_through_response_files() {
        let mut f = Fixture::new(false);
        let long: Vec<String> = (0..400).map(|i| format!("../m/src/{:0>90}.c", i)).collect();
        let long: Vec<&str> = long.iter().map(String::as_str).collect();
        let objects = f.compiles(&long);
        f.archive(&objects);
        let text = edges(&f);
        assert!(text.contains("build wasi/release/m.a: ar-rsp.wasi wasi/release/obj/m/"), "archive rule");
        let rsp_line = text.lines().find(|l| l.starts_with("  rsp = ")).unwrap_or_default();
        assert_eq!(rsp_line.split(' ').count() - 4, 400, "every object in the response file");
    }

    /// `n` sources of module `m` compiled with the flags `more` besides its own; their objects.
    fn compiles_with_flags(n: usize, more: &[String]) -> (Fixture, Vec<String>) {
        let mut f = Fixture::new(false);
        let sources: Vec<String> = (0..n).map(|i| format!("../m/src/s{i}.c")).collect();
        let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
        let objects = f.compiles_with(&sources, more);
        (f, objects)
    }

    /// `n` sources of module `m`, and 60 include dirs of 30 bytes making its flags 2 KiB.
    fn long_flags(n: usize) -> (Fixture, Vec<String>) {
        let more: Vec<String> = (0..60).map(|i| format!("-I../dependency{i:03}/include/public")).collect();
        let (mut f, objects) = compiles_with_flags(n, &more);
        f.aliases_and_regeneration(&["wasi/release/m.a"]);
        (f, objects)
    }

    /// The response files of `f`'s compile flags and of the lists they refer to.
    fn response_files(f: &Fixture) -> Vec<crate::lower::ResponseFile> {
        let (files, referenced) = crate::lower::ninja_response_files(&f.graph);
        files.into_iter().chain(referenced).flatten().collect()
    }

    #[test]
    fn long_flags_spelled_for_under_256_kib_a_run_stay_in_the_command() {
        // 2 KiB over 100 objects: 200 KiB a run, under FLAGS_PER_RUN_LIMIT.
        let (f, _) = long_flags(100);
        assert_eq!(response_files(&f), []);
        let text = lower_ninja(&f.graph);
        assert!(text.contains(" -I../dependency059/include/public -frandom-seed=$out"), "{text}");
    }

    #[test]
    fn long_include_flags_of_many_objects_go_into_a_response_file_named_by_its_content() {
        // 2 KiB over 200 objects: 400 KiB a run, past FLAGS_PER_RUN_LIMIT.
        let (f, _) = long_flags(200);
        let files = response_files(&f);
        let [rsp] = files.as_slice() else { panic!("one response file: {files:?}") };
        // The unit's include flags, the same in every configuration.
        let hash = rsp.path.strip_prefix(".spygen/rsp/includes.m.").and_then(|n| n.strip_suffix(".rsp"));
        assert!(hash.is_some_and(|h| h.len() == 16), "{}", rsp.path);
        assert_eq!(
            rsp.content.split(' ').take(3).collect::<Vec<_>>(),
            ["-I../m/src", "-I../dep/include", "-I../dependency000/include/public"]
        );
        let text = lower_ninja(&f.graph);
        // The compile rule names the file in place of the words; the edges do not (no stat per
        // object); the regeneration writes the file.
        let command = format!(" -O2 -DSPY_RELEASE -DM=1 @{} -frandom-seed=$out -c $in -o $out\n", rsp.path);
        assert!(text.contains(&command), "{text}");
        assert!(text.contains("build wasi/release/obj/m/s0.o: cc.m.wasi-release ../m/src/s0.c\n"), "{text}");
        assert!(!text.contains("-I../dependency000/"), "{text}");
        assert!(text.contains(&format!("build build.ninja | spygen.mk {}: regen ", rsp.path)), "{text}");
        // Other flags, another name: the command changes, which rebuilds the objects.
        assert_eq!(response_files(&long_flags(200).0), files, "the same flags, the same name");
        let more: Vec<String> = (0..60).map(|i| format!("-I../dependency{i:03}/include/publiC")).collect();
        let changed = response_files(&compiles_with_flags(200, &more).0);
        assert_ne!(changed.first().map(|r| &r.path), Some(&rsp.path), "other flags, another name");
    }

    #[test]
    fn include_flags_past_the_command_line_limit_are_written_once_not_again_in_a_file_of_the_compile_flags() {
        // 1200 include dirs of 35 bytes: 42 KiB, past RESPONSE_FILE_THRESHOLD, over 20 objects.
        let more: Vec<String> = (0..1200).map(|i| format!("-I../dependency{i:04}/include/public")).collect();
        let (f, _) = compiles_with_flags(20, &more);
        let files = response_files(&f);
        let [rsp] = files.as_slice() else { panic!("one response file: {files:?}") };
        assert!(rsp.path.starts_with(".spygen/rsp/includes.m."), "{}", rsp.path);
        let text = lower_ninja(&f.graph);
        assert!(text.contains(&format!(" -DM=1 @{} -frandom-seed=$out", rsp.path)), "{text}");
        // The Makefile names no include files: there the compile flags need a file of their own.
        let make = crate::lower::compile_response_files(&f.graph, &[]);
        let [whole] = make.iter().flatten().collect::<Vec<_>>()[..] else { panic!("one file for make: {make:?}") };
        assert!(whole.path.starts_with(".spygen/rsp/cflags.m."), "{}", whole.path);
        assert!(whole.content.contains(" -I../dependency1199/include/public"), "every word in it");
    }

    #[test]
    fn aliases_regeneration_and_defaults_close_the_file() {
        let mut f = Fixture::new(false);
        f.aliases_and_regeneration(&["wasi/release/m.a"]);
        let parts = lower_ninja_parts(&f.graph, &[], &[]);
        insta::assert_snapshot!(parts.last().unwrap());
    }
}
