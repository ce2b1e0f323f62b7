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
use super::make_syntax::{escape_value, recipe_words, words};
use crate::graph::{Action, ActionKind, BuildGraph, CommandTemplate, FileId, FlagSetId, Var, Word};

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
    let config = graph.config(action.config?);
    let owner = action.owner.as_deref()?;
    let (kind, words) = match action.kind {
        ActionKind::Compile => {
            let tool = graph.tool(action.tool?);
            let mut words: Vec<String> = graph.launcher(&tool.target).map(|l| l.command.clone()).unwrap_or_default();
            words.extend(tool.command.iter().cloned());
            match response_file {
                Some(r) => words.push(format!("@{}", r.path)),
                None => words.extend(action.flags.map(|f| graph.expand_flags(f)).unwrap_or_default()),
            }
            ("cc", words)
        }
        ActionKind::Archive => ("ar", graph.action_words(action)?),
        ActionKind::Link | ActionKind::LinkWholeArchive => ("link", graph.action_words(action)?),
        ActionKind::ForeignMake => ("make", graph.action_words(action)?),
        ActionKind::Bundle => ("bundle", graph.action_words(action)?),
        ActionKind::Test => ("test", graph.action_words(action)?),
        ActionKind::ModuleManifest => ("spymod", graph.action_words(action)?),
        ActionKind::Phony | ActionKind::Regenerate => return None,
    };
    Some((format!("{COMMAND_STAMPS_DIR}/{}/{owner}.{kind}", config.name()), crate::shell::join(&words) + "\n"))
}

/// How a recipe spells `action`'s command: `template`'s words with make's variables (`$(cc.wasi)`,
/// `$(cflags...)`), paths quoted for the shell, steps joined with `&&`. `flags_file` is the
/// response file of a compile's flags, when they are too long for a command line.
fn recipe_command(graph: &BuildGraph, action: &Action, template: CommandTemplate, flags_file: Option<&str>) -> String {
    let path = |p: &str| recipe_words(&[p.to_string()]);
    let output = action.outputs.first().map(|&f| graph.path(f)).unwrap_or_default();
    let target = graph.tool_target(action);
    let mut steps = Vec::new();
    for step in template.steps {
        let mut out: Vec<String> = Vec::new();
        for word in *step {
            match word {
                Word::Lit(text) => out.push(path(text)),
                Word::Var(Var::Launcher) => out.extend(graph.launcher(target).map(|l| format!("$({})", l.variable()))),
                Word::Var(Var::Tool) => out.extend(action.tool.map(|t| format!("$({})", graph.tool(t).variable()))),
                Word::Var(Var::Flags) => match (flags_file, action.flags) {
                    (Some(file), _) => out.push(format!("@{}", path(file))),
                    (None, Some(flags)) => out.push(format!("$({})", graph.flag_set(flags).name)),
                    (None, None) => {}
                },
                Word::Var(Var::ObjectFlags) => {
                    if let Some(t) = action.tool {
                        out.extend(graph.tool(t).object_flags_for(output).map(|w| path(&w)));
                    }
                }
                Word::Var(Var::Inputs) => {
                    let inputs: Vec<String> = action.inputs.iter().map(|&f| graph.path(f).to_string()).collect();
                    out.push(recipe_words(&inputs));
                }
                Word::Var(Var::Output) => out.push(path(output)),
                Word::Var(Var::Depfile) => out.push(path(&format!("{output}.d"))),
                Word::Var(Var::AtRspfile) => out.push(format!("@{}", path(&format!("{output}.rsp")))),
                Word::Var(Var::Rspfile) => out.push(path(&format!("{output}.rsp"))),
                Word::Var(Var::Args) => out.push(recipe_words(&action.args)),
                Word::Var(Var::Spygen) => out.push("$(SPYGEN)".into()),
                Word::Var(Var::Make) => out.push("$(MAKE)".into()),
                Word::Var(Var::Pwd) => out.push(crate::graph::PORTABLE_PWD_ASSIGNMENT.into()),
            }
        }
        out.retain(|w| !w.is_empty());
        steps.push(out.join(" "));
    }
    steps.join(" && ")
}

/// How the Makefile's first line starts (the rest: `<project>, written by spygen. ...`), by
/// which [`crate::ownership`] knows the file is spygen's.
pub const HEADER_START: &str = "# Makefile for ";

/// Writes the whole `Makefile` text of `graph` and its command stamps. `response_files` (from
/// [`super::compile_response_files`], written beside it) hold the compile flags too long for a
/// command line.
pub fn lower_make(graph: &BuildGraph, response_files: &[Option<ResponseFile>]) -> MakeOutput {
    let settings = graph.settings();
    let mut out = String::with_capacity(64 * 1024);
    let _ = writeln!(
        out,
        "{HEADER_START}{}, written by spygen. Do not edit: edit the manifests instead;\n\
         # make re-runs spygen when a manifest, a descriptor or a globbed directory changes.\n\
         # Goals: all (the default: every configuration whose toolchain is installed), one per\n\
         # configuration (wasi-release), per target (wasi), per module and program; test and\n\
         # test-<configuration> run the tests (a passed test reruns when its program changes). V=1 shows commands.\n\
         # make has no job pools (build.ninja keeps links in a `link` pool): links run under -j like\n\
         # any recipe. LINK_WRAPPER goes before each link and bundle command: to run one at a time,\n\
         # make -j8 LINK_WRAPPER='flock .link-lock' (flock from util-linux; recipes run in this directory).",
        settings.project_manifest
    );
    let _ = writeln!(out, "\nSPYGEN := {}", words(std::slice::from_ref(&settings.spygen_exe)));
    out.push_str("ifeq ($(V),1)\nQ :=\nelse\nQ := @\nendif\n.DEFAULT_GOAL := all\n.SUFFIXES:\n.DELETE_ON_ERROR:\n");
    out.push_str("LINK_WRAPPER ?=\nLINK_PREFIX := $(if $(LINK_WRAPPER),$(LINK_WRAPPER) )\n");

    for target in graph.targets() {
        let _ = writeln!(out, "\n# toolchain {target}");
        for (_, tool) in graph.tools().filter(|(_, t)| t.target == target) {
            let _ = writeln!(out, "{} := {}", tool.variable(), words(&tool.command));
        }
    }

    let mut defined = vec![false; graph.flag_set_count()];
    let mut depfiles: Vec<String> = Vec::new();
    let mut current_config = None;
    let mut stamps: Vec<(String, String)> = Vec::new();
    let mut stamped_flags = vec![false; graph.flag_set_count()];
    for (id, action) in graph.actions() {
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
            let var = format!("rsp.{}", id.index());
            let rsp = format!("{first_out}.rsp");
            let _ = writeln!(out, "{var} := {}", words_for_response_file(&rsp_words));
            let _ = writeln!(out, "{var}.file := {}", escape_value(&rsp));
            format!("$(file >$({var}.file),$({var}))")
        });
        if matches!(action.kind, ActionKind::Phony | ActionKind::Regenerate) {
            continue;
        }
        let (template, writes_rsp) = match (&long, action.kind.response_file_command()) {
            (Some(write), Some(rsp)) => (rsp.command, Some(write.clone())),
            _ => match action.kind.command() {
                Some(template) => (template, None),
                None => continue,
            },
        };
        let mut command = String::from("$(Q)");
        if action.kind.pool().is_some() {
            command.push_str("$(LINK_PREFIX)");
        }
        command.push_str(&recipe_command(graph, action, template, response_file.map(|r| r.path.as_str())));
        if matches!(action.kind, ActionKind::Bundle | ActionKind::ModuleManifest) {
            // make has no restat: the touch keeps the bundle newer than its archives even when
            // it comes from the cache unchanged.
            command.push_str(&format!(" && touch {}", recipe_words(&[first_out.to_string()])));
        }
        if action.kind == ActionKind::Compile {
            depfiles.push(escape_path(&format!("{first_out}.d")));
        }
        let mut recipe = vec![format!("@echo {} {}", action.kind.verb(), recipe_words(&[first_out.to_string()]))];
        recipe.extend(writes_rsp);
        recipe.push(command);
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

    out.push_str("\n# aliases: per configuration, per target, per module and program, tests; `all` is the default\n");
    let phony: Vec<&Action> = graph.actions_of(ActionKind::Phony).map(|(_, a)| a).collect();
    let names: Vec<String> = phony.iter().map(|a| escape_path(graph.path(a.outputs[0]))).collect();
    let _ = writeln!(out, ".PHONY: {}", names.join(" "));
    for action in phony {
        write_rule(graph, action, &[], &[], &mut out);
    }

    // `make help` lists the goals as `spygen build --list` does; `make clean` is `spygen clean`
    // with the generation's own arguments (so it plans the same outputs).
    out.push_str("\n# help: the goals; clean: remove what the build made (spygen clean)\n.PHONY: help clean\nhelp:\n");
    for line in super::goals::listing(&super::goals::goals(graph)).lines() {
        let _ = writeln!(out, "\t@echo {}", recipe_words(&[line.to_string()]));
    }
    for (_, action) in graph.actions_of(ActionKind::Regenerate) {
        let args: Vec<String> =
            std::iter::once("clean".to_string()).chain(action.args.iter().skip(1).cloned()).collect();
        let _ = writeln!(out, "clean:\n\t$(Q)$(SPYGEN) {}", recipe_words(&args));
    }

    out.push_str(
        "\n# regeneration: make asks spygen on every run. spygen's record of its inputs (their exact\n\
         # stamps, not a comparison of dates) answers in milliseconds whether anything changed,\n\
         # whatever the clocks say, and a file is rewritten only when its content changes, so make\n\
         # restarts only when the Makefile did. .PRECIOUS: an interrupt never deletes a generated\n\
         # file (each is replaced atomically, never left half-written).\n",
    );
    for (_, action) in graph.actions_of(ActionKind::Regenerate) {
        let mut outputs = action.outputs.clone();
        outputs.extend(action.implicit_outputs.iter().copied());
        let outputs = paths(graph, &outputs);
        let command = action.kind.command().map(|t| recipe_command(graph, action, t, None)).unwrap_or_default();
        let _ = writeln!(out, ".PHONY: FORCE\nFORCE:\n.PRECIOUS: {outputs}\n{outputs} &: FORCE\n\t$(Q){command}");
    }
    MakeOutput { makefile: out, stamps }
}

fn paths(graph: &BuildGraph, files: &[FileId]) -> String {
    files.iter().map(|&f| escape_path(graph.path(f))).collect::<Vec<_>>().join(" ")
}

fn define_flags(graph: &BuildGraph, id: FlagSetId, defined: &mut [bool], out: &mut String) {
    let reference = |name: &str| format!("$({name})");
    let mut spell = |_: FlagSetId, list: &[String], out: &mut String| out.push_str(&words(list));
    let mut ids = Vec::new();
    graph.flag_sets_to_define(id, defined, &mut ids);
    for id in ids {
        let value = graph.flag_set_value(id, &reference, &mut spell);
        let sep = if value.is_empty() { "" } else { " " };
        let _ = writeln!(out, "{} :={sep}{value}", graph.flag_set(id).name);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lower::fixture::Fixture;

    /// The rules part of the Makefile: from the first configuration heading to the header
    /// dependencies.
    fn rules(f: &Fixture) -> String {
        let text = lower_make(&f.graph, &crate::lower::compile_response_files(&f.graph, &[])).makefile;
        let start = text.find("\n\n# configuration ").unwrap_or(0);
        let end = text.find("\n# header dependencies").unwrap_or(text.len());
        text[start..end].to_string()
    }

    #[test]
    fn paths_are_escaped_for_make() {
        assert_eq!(escape_path("my dir/a$b:c#.o"), "my\\ dir/a$$b\\:c\\#.o");
    }

    #[test]
    fn compiles_name_their_command_stamp_and_prefix_the_launcher() {
        let mut f = Fixture::new(true);
        f.compiles(&["../m/src/a.c", "../m/src/my dir/b$.c"]);
        insta::assert_snapshot!(rules(&f));
        let stamps = lower_make(&f.graph, &crate::lower::compile_response_files(&f.graph, &[])).stamps;
        assert_eq!(stamps.len(), 1, "one stamp for the unit's compiles: {stamps:?}");
        assert_eq!(stamps[0].0, ".spygen/commands/wasi-release/m.cc");
        assert_eq!(stamps[0].1, "ccache zig cc -O2 -DSPY_RELEASE -DM=1 -I../m/src -I../dep/include\n");
    }

    #[test]
    fn archives_and_links_run_the_same_commands_as_ninja() {
        let mut f = Fixture::new(false);
        let objects = f.compiles(&["../m/src/a.c"]);
        f.archive(&objects);
        f.link(&["wasi/release/obj/m/a.o", "wasi/release/m.a"], true);
        insta::assert_snapshot!(rules(&f));
    }

    #[test]
    fn a_foreign_make_shares_the_jobserver_and_a_bundle_is_touched() {
        let mut f = Fixture::new(false);
        f.foreign_make();
        f.bundle(&["wasi/release/m.a"]);
        insta::assert_snapshot!(rules(&f));
    }

    #[test]
    fn the_files_a_foreign_makes_dry_run_found_are_not_targets_of_its_rule() {
        // make has no restat: an object its Makefile left alone, older than another object's
        // source, would run the library's make on every build.
        let mut f = Fixture::new(false);
        f.foreign_make();
        let without = lower_make(&f.graph, &[]).makefile;
        f.foreign_dry_run();
        assert_eq!(lower_make(&f.graph, &[]).makefile, without);
    }

    #[test]
    fn a_test_runs_through_its_targets_runner_and_stamps_its_command() {
        let mut f = Fixture::new(false);
        f.test();
        insta::assert_snapshot!(rules(&f));
        let stamps = lower_make(&f.graph, &[]).stamps;
        assert_eq!(stamps.len(), 1, "{stamps:?}");
        assert_eq!(stamps[0].0, ".spygen/commands/wasi-release/t.test", "a new runner or timeout reruns the test");
    }

    #[test]
    fn the_makefile_regenerates_itself_on_every_run_and_never_deletes_a_generated_file() {
        let mut f = Fixture::new(false);
        f.aliases_and_regeneration(&["wasi/release/m.a"]);
        let text = lower_make(&f.graph, &crate::lower::compile_response_files(&f.graph, &[])).makefile;
        insta::assert_snapshot!(&text[text.find("\n# aliases").unwrap_or(0)..]);
    }
}
