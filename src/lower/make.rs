//! Lowering to a GNU `Makefile` equivalent to `build.ninja`: the same outputs from the same
//! commands, header dependencies through `-MMD` depfiles, the same aliases, and a rule that
//! re-runs spygen when an input changes. `make -j` safe: every rule names all its inputs.
//!
//! ninja rebuilds an output whose command changed (its log keeps each command); make only
//! compares dates. So every command gets a *command stamp*, a small file under
//! `.spygen/commands/` holding the command's words, which the generation rewrites only when
//! they change, and which each output depends on: new flags, another compiler, a source
//! removed from an archive's list all make the stamp newer than the outputs built before.

use std::fmt::Write;

use super::ResponseFile;
use super::commands;
use super::make_syntax::{escape_value, recipe_words, words};
use crate::graph::{Action, ActionKind, BuildGraph, FileId};
use crate::plan::Plan;

/// `path` escaped for a make target or prerequisite list.
pub fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '$' => out.push_str("$$"),
            ' ' => out.push_str("\\ "),
            ':' => out.push_str("\\:"),
            '#' => out.push_str("\\#"),
            _ => out.push(c),
        }
    }
    out
}

/// Words as the text of a response file, escaped for a make variable's value.
fn words_for_response_file(words: &[String]) -> String {
    escape_value(&crate::shell::response_file(words))
}

fn tool_var(graph: &BuildGraph, action: &Action) -> String {
    graph.tools[action.tool.map(|t| t.index()).unwrap_or_default()].variable()
}

fn parent_dir(path: &str) -> &str {
    path.rfind('/').map_or(".", |i| &path[..i])
}

/// The directory, relative to the build directory, holding the Makefile's command stamps.
pub const COMMAND_STAMPS_DIR: &str = ".spygen/commands";

/// The Makefile and the command stamps it depends on.
#[derive(Debug, Clone, Default)]
pub struct MakeOutput {
    /// The text of the Makefile.
    pub makefile: String,
    /// Each command stamp: its path relative to the build directory, and its content.
    pub stamps: Vec<(String, String)>,
}

/// The command stamp of `action` (see the module's doc): its path and content, `None` for
/// actions that run no command. A compile's stamp is its unit's and configuration's, shared by
/// every object of the unit: the compiler, the launcher and the flags, the words the compile
/// commands have in common.
/// A compile whose flags are in a response file stamps the file's name: the file itself is a
/// prerequisite too, rewritten when the flags change.
fn command_stamp(
    graph: &BuildGraph,
    action: &Action,
    response_file: Option<&ResponseFile>,
) -> Option<(String, String)> {
    let config = &graph.configs[action.config?.index()];
    let owner = action.owner.as_deref()?;
    let (kind, words) = match action.kind {
        ActionKind::Compile => {
            let tool = &graph.tools[action.tool?.index()];
            let mut words: Vec<String> = graph.launcher(&tool.target).map(|l| l.command.clone()).unwrap_or_default();
            words.extend(tool.command.iter().cloned());
            match response_file {
                Some(r) => words.push(format!("@{}", r.path)),
                None => words.extend(action.flags.map(|f| graph.expand_flags(f)).unwrap_or_default()),
            }
            ("cc", words)
        }
        ActionKind::Archive => ("ar", commands::action_words(graph, action)?),
        ActionKind::Link | ActionKind::LinkWholeArchive => ("link", commands::action_words(graph, action)?),
        ActionKind::ForeignMake => ("make", commands::action_words(graph, action)?),
        ActionKind::Bundle => ("bundle", commands::action_words(graph, action)?),
        ActionKind::Phony | ActionKind::Regenerate => return None,
    };
    Some((format!("{COMMAND_STAMPS_DIR}/{}/{owner}.{kind}", config.name()), crate::shell::join(&words) + "\n"))
}

/// Writes the whole `Makefile` text of `plan` and its command stamps. `response_files` (from
/// [`super::compile_response_files`], written beside it) hold the compile flags too long for a
/// command line.
pub fn lower_make(plan: &Plan, spygen_exe: &str, response_files: &[Option<ResponseFile>]) -> MakeOutput {
    let graph = &plan.graph;
    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(
        out,
        "# Makefile for {}, written by spygen. Do not edit: edit the manifests instead;\n\
         # make re-runs spygen when a manifest, a descriptor or a globbed directory changes.\n\
         # Goals: all (the default: every configuration whose toolchain is installed), one per\n\
         # configuration (wasi-release), per target (wasi), per module and program. V=1 shows commands.\n\
         # make has no job pools (build.ninja keeps links in a `link` pool): links run under -j like\n\
         # any recipe. LINK_WRAPPER goes before each link and bundle command: to run one at a time,\n\
         # make -j8 LINK_WRAPPER='flock .link-lock' (flock from util-linux; recipes run in this directory).",
        plan.project_manifest
    );
    let _ = writeln!(out, "\nSPYGEN := {}", words(&[spygen_exe.to_string()]));
    out.push_str("ifeq ($(V),1)\nQ :=\nelse\nQ := @\nendif\n.DEFAULT_GOAL := all\n.SUFFIXES:\n.DELETE_ON_ERROR:\n");
    out.push_str("LINK_WRAPPER ?=\nLINK_PREFIX := $(if $(LINK_WRAPPER),$(LINK_WRAPPER) )\n");

    for target in super::targets_in_order(graph) {
        let _ = writeln!(out, "\n# toolchain {target}");
        for tool in graph.tools.iter().filter(|t| t.target == target) {
            let _ = writeln!(out, "{} := {}", tool.variable(), words(&tool.command));
        }
    }

    let mut defined = vec![false; graph.flag_sets.len()];
    let mut depfiles: Vec<String> = Vec::new();
    let mut current_config = None;
    let mut stamps: Vec<(String, String)> = Vec::new();
    let mut stamped_flags = vec![false; graph.flag_sets.len()];
    for (index, action) in graph.actions.iter().enumerate() {
        if let Some(heading) = super::config_heading(graph, action, &mut current_config) {
            out.push_str(&heading);
        }
        if let Some(flags) = action.flags {
            define_flags(graph, flags, &mut defined, &mut out);
        }
        let Some(first_out) = action.outputs.first().map(|&f| graph.path(f)) else { continue };
        let response_file = action.flags.and_then(|f| response_files[f.index()].as_ref());
        // Words too long for a command line: written to `<output>.rsp` by make's `file`
        // function when the recipe runs, from a variable (the path too: it may hold commas).
        let long = super::action_response_words(graph, action).map(|rsp_words| {
            let var = format!("rsp.{index}");
            let rsp = format!("{first_out}.rsp");
            let _ = writeln!(out, "{var} := {}", words_for_response_file(&rsp_words));
            let _ = writeln!(out, "{var}.file := {}", escape_value(&rsp));
            (format!("$(file >$({var}.file),$({var}))"), format!("@{}", recipe_words(&[rsp])))
        });
        let recipe: Vec<String> = match action.kind {
            ActionKind::Compile => {
                let src = graph.path(action.inputs[0]);
                let cflags = &graph.flag_sets[action.flags.map(|f| f.index()).unwrap_or_default()].name;
                depfiles.push(escape_path(&format!("{first_out}.d")));
                let dep = commands::depfile_args(first_out);
                let target = action.tool.map(|t| graph.tools[t.index()].target.as_str()).unwrap_or_default();
                // The launcher (ccache, distcc) goes before compiles only.
                let launcher = graph.launcher(target).map(|l| format!("$({}) ", l.variable())).unwrap_or_default();
                let flags = match response_file {
                    Some(r) => format!("@{}", recipe_words(std::slice::from_ref(&r.path))),
                    None => format!("$({cflags})"),
                };
                vec![
                    format!("@echo CC {}", recipe_words(&[first_out.to_string()])),
                    format!(
                        "$(Q){launcher}$({}) {} {flags} -c {} -o {}",
                        tool_var(graph, action),
                        recipe_words(&dep),
                        recipe_words(&[src.into()]),
                        recipe_words(&[first_out.into()])
                    ),
                ]
            }
            ActionKind::Archive => {
                let objects = match &long {
                    Some((_, at_file)) => at_file.clone(),
                    None => recipe_words(&action.inputs.iter().map(|&f| graph.path(f).to_string()).collect::<Vec<_>>()),
                };
                let mut recipe = vec![format!("@echo AR {}", recipe_words(&[first_out.to_string()]))];
                recipe.extend(long.iter().map(|(write, _)| write.clone()));
                recipe.push(format!(
                    "$(Q)rm -f {o} && $({}) rcs {o} {objects}",
                    tool_var(graph, action),
                    o = recipe_words(&[first_out.into()])
                ));
                recipe
            }
            ActionKind::Link | ActionKind::LinkWholeArchive if long.is_some() => {
                let (write, at_file) = long.clone().unwrap_or_default();
                vec![
                    format!("@echo LINK {}", recipe_words(&[first_out.to_string()])),
                    write,
                    format!("$(Q)$(LINK_PREFIX)$({}) {at_file}", tool_var(graph, action)),
                ]
            }
            ActionKind::Link | ActionKind::LinkWholeArchive => {
                let inputs: Vec<String> = action.inputs.iter().map(|&f| graph.path(f).to_string()).collect();
                let ldflags = &graph.flag_sets[action.flags.map(|f| f.index()).unwrap_or_default()].name;
                let (pre, post) = if action.kind == ActionKind::LinkWholeArchive {
                    ("-Wl,--whole-archive ", " -Wl,--no-whole-archive")
                } else {
                    ("", "")
                };
                vec![
                    format!("@echo LINK {}", recipe_words(&[first_out.to_string()])),
                    format!(
                        "$(Q)$(LINK_PREFIX)$({}) -o {} {pre}{}{post} $({ldflags})",
                        tool_var(graph, action),
                        recipe_words(&[first_out.into()]),
                        recipe_words(&inputs)
                    ),
                ]
            }
            ActionKind::ForeignMake => vec![
                format!("@echo MAKE {}", recipe_words(&[first_out.to_string()])),
                // $(MAKE) shares the jobserver; make re-reads the archive's mtime afterwards, so
                // an up-to-date library does not relink its users (ninja's restat).
                format!("$(Q)$(MAKE) {}", recipe_words(&action.args)),
            ],
            ActionKind::Bundle => {
                let (write, args) = match &long {
                    Some((write, at_file)) => (Some(write.clone()), format!("bundle --args-from {}", &at_file[1..])),
                    None => (None, recipe_words(&action.args)),
                };
                let mut recipe = vec![format!("@echo BUNDLE {}", recipe_words(&[first_out.to_string()]))];
                recipe.extend(write);
                // make has no restat: the touch keeps the bundle newer than its archives even
                // when it comes from the cache unchanged.
                recipe.push(format!(
                    "$(Q)$(LINK_PREFIX)$(SPYGEN) {args} && touch {}",
                    recipe_words(&[first_out.to_string()])
                ));
                recipe
            }
            ActionKind::Phony | ActionKind::Regenerate => continue,
        };
        let stamp = command_stamp(graph, action, response_file);
        if let Some((path, content)) = &stamp {
            // A compile's stamp is shared by its unit's objects: written once.
            let shared = action.kind == ActionKind::Compile && action.flags.is_some();
            let first =
                !shared || action.flags.is_some_and(|f| !std::mem::replace(&mut stamped_flags[f.index()], true));
            if first {
                stamps.push((path.clone(), content.clone()));
            }
        }
        let prerequisites: Vec<&str> =
            stamp.iter().map(|(p, _)| p.as_str()).chain(response_file.map(|r| r.path.as_str())).collect();
        write_rule(graph, action, &prerequisites, &recipe, &mut out);
    }

    out.push_str("\n# header dependencies written by the compiler (-MMD)\n");
    for chunk in depfiles.chunks(64) {
        let _ = writeln!(out, "-include {}", chunk.join(" "));
    }

    out.push_str("\n# aliases: per configuration, per target, per module and program; `all` is the default\n");
    let phony: Vec<&Action> = graph.actions.iter().filter(|a| a.kind == ActionKind::Phony).collect();
    let names: Vec<String> = phony.iter().map(|a| escape_path(graph.path(a.outputs[0]))).collect();
    let _ = writeln!(out, ".PHONY: {}", names.join(" "));
    for action in phony {
        write_rule(graph, action, &[], &[], &mut out);
    }

    out.push_str(
        "\n# regeneration: make asks spygen on every run. spygen's record of its inputs (their exact\n\
         # stamps, not a comparison of dates) answers in milliseconds whether anything changed,\n\
         # whatever the clocks say, and a file is rewritten only when its content changes, so make\n\
         # restarts only when the Makefile did. .PRECIOUS: an interrupt never deletes a generated\n\
         # file (each is replaced atomically, never left half-written).\n",
    );
    for action in graph.actions.iter().filter(|a| a.kind == ActionKind::Regenerate) {
        let mut outputs = action.outputs.clone();
        outputs.extend(action.implicit_outputs.iter().copied());
        let outputs = paths(graph, &outputs);
        let _ = writeln!(
            out,
            ".PHONY: FORCE\nFORCE:\n.PRECIOUS: {outputs}\n{outputs} &: FORCE\n\t$(Q)$(SPYGEN) {} --regen",
            recipe_words(&plan.regen_command)
        );
    }
    MakeOutput { makefile: out, stamps }
}

fn paths(graph: &BuildGraph, files: &[FileId]) -> String {
    files.iter().map(|&f| escape_path(graph.path(f))).collect::<Vec<_>>().join(" ")
}

fn define_flags(graph: &BuildGraph, id: crate::graph::FlagSetId, defined: &mut [bool], out: &mut String) {
    let reference = |name: &str| format!("$({name})");
    let spell = |set: crate::graph::FlagSetId| words(&graph.flag_sets[set.index()].words).into();
    for (name, value) in super::flag_set_definitions(graph, id, defined, &reference, &spell) {
        let sep = if value.is_empty() { "" } else { " " };
        let _ = writeln!(out, "{name} :={sep}{value}");
    }
}

/// Writes the rule of `action`: its outputs, its inputs and `extra` files (its command stamp,
/// its flags' response file) as prerequisites, then `recipe`.
fn write_rule(graph: &BuildGraph, action: &Action, extra: &[&str], recipe: &[String], out: &mut String) {
    let mut outputs = action.outputs.clone();
    outputs.extend(action.implicit_outputs.iter().copied());
    let mut prereqs: Vec<FileId> = action.inputs.to_vec();
    prereqs.extend(&action.implicit);
    let separator = if outputs.len() > 1 { " &:" } else { ":" };
    let _ = write!(out, "{}{separator}", paths(graph, &outputs));
    if !prereqs.is_empty() {
        let _ = write!(out, " {}", paths(graph, &prereqs));
    }
    for path in extra {
        let _ = write!(out, " {}", escape_path(path));
    }
    if !action.order_only.is_empty() {
        let _ = write!(out, " | {}", paths(graph, &action.order_only));
    }
    out.push('\n');
    if !recipe.is_empty() {
        let dir = parent_dir(graph.path(action.outputs[0]));
        let _ = writeln!(out, "\t@mkdir -p {}", recipe_words(&[dir.to_string()]));
    }
    for line in recipe {
        let _ = writeln!(out, "\t{line}");
    }
}
