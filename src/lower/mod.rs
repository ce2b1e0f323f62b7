//! Lowering: turning the build graph into files other tools read. One file per output format.

pub mod commands;
pub mod compdb;
pub mod dot;
pub mod graph_json;
pub mod make;
pub mod make_fragment;
pub mod make_syntax;
pub mod ninja;

use crate::graph::{Action, ActionKind, BuildGraph, ConfigId, FlagSetId};

pub use compdb::lower_compdb;
pub use dot::lower_dot;
pub use graph_json::lower_graph_json;
pub use make::{MakeOutput, lower_make};
pub use ninja::lower_ninja;

/// The flag sets `id` needs defined, parents and suffixes first, each once across calls
/// (tracked in `defined`), in the order their definitions must appear.
pub(crate) fn flag_sets_to_define(graph: &BuildGraph, id: FlagSetId, defined: &mut [bool], out: &mut Vec<FlagSetId>) {
    if defined[id.index()] {
        return;
    }
    let set = &graph.flag_sets[id.index()];
    if let Some(p) = set.parent {
        flag_sets_to_define(graph, p, defined, out);
    }
    defined[id.index()] = true;
    if let Some(sfx) = set.suffix {
        flag_sets_to_define(graph, sfx, defined, out);
    }
    out.push(id);
}

/// The value of flag set `id`'s variable: a reference to its parent (spelled by `reference`),
/// its own words and those of its inline sets (each set's spelled by `spell`), then a
/// reference to its suffix.
pub(crate) fn flag_set_value<'a>(
    graph: &BuildGraph,
    id: FlagSetId,
    reference: &dyn Fn(&str) -> String,
    spell: &dyn Fn(FlagSetId) -> std::borrow::Cow<'a, str>,
) -> String {
    let set = &graph.flag_sets[id.index()];
    let mut value = String::new();
    let mut push = |text: &str| {
        if !text.is_empty() {
            if !value.is_empty() {
                value.push(' ');
            }
            value.push_str(text);
        }
    };
    if let Some(p) = set.parent {
        push(&reference(&graph.flag_sets[p.index()].name));
    }
    for part in std::iter::once(id).chain(set.inline.iter().copied()) {
        push(&spell(part));
    }
    if let Some(sfx) = set.suffix {
        push(&reference(&graph.flag_sets[sfx.index()].name));
    }
    value
}

/// The flag-set variables `id` needs, as `(name, value)` pairs in definition order, each
/// defined once across calls (see [`flag_sets_to_define`] and [`flag_set_value`]).
pub(crate) fn flag_set_definitions<'a>(
    graph: &BuildGraph,
    id: FlagSetId,
    defined: &mut [bool],
    reference: &dyn Fn(&str) -> String,
    spell: &dyn Fn(FlagSetId) -> std::borrow::Cow<'a, str>,
) -> Vec<(String, String)> {
    let mut ids = Vec::new();
    flag_sets_to_define(graph, id, defined, &mut ids);
    ids.into_iter()
        .map(|id| (graph.flag_sets[id.index()].name.clone(), flag_set_value(graph, id, reference, spell)))
        .collect()
}

/// Past this many bytes, a list of command words that grows with the project (a unit's compile
/// flags, a link's inputs and flags, an archive's objects, a bundle's arguments) goes through a
/// response file: ninja and make run each command as one `sh -c` argument, which Linux caps at
/// 128 KiB, and what else a command holds (tools, one source's paths) stays far below the rest.
/// Shorter lists stay on the command line, sparing a file per command.
pub const RESPONSE_FILE_THRESHOLD: usize = 32 * 1024;

/// The directory, relative to the build directory, of the response files spygen writes for
/// compile flags too long for a command line.
pub const RESPONSE_FILES_DIR: &str = ".spygen/rsp";

/// A response file written at generation: the flags of one unit in one configuration, too long
/// for a command line. Compiles name it (`cc @file`) and depend on it, so that, written only
/// when its content changes, it rebuilds their objects as a changed command line would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseFile {
    /// Its path relative to the build directory.
    pub path: String,
    /// Its words, in response-file syntax (`shell::response_file`).
    pub content: String,
}

/// The response files of the compile flag sets whose words pass [`RESPONSE_FILE_THRESHOLD`],
/// by flag set (`None`: the flags stay on the command line).
pub(crate) fn compile_response_files(graph: &BuildGraph) -> Vec<Option<ResponseFile>> {
    // Each set's length in one pass: parents, suffixes and inline sets come before the sets
    // using them.
    let mut lengths = vec![0usize; graph.flag_sets.len()];
    for (i, set) in graph.flag_sets.iter().enumerate() {
        let own: usize = set.words.iter().map(|w| w.len() + 1).sum();
        let borrowed =
            set.parent.iter().chain(&set.inline).chain(&set.suffix).map(|s| lengths[s.index()]).sum::<usize>();
        lengths[i] = own + borrowed;
    }
    let mut files = vec![None; graph.flag_sets.len()];
    for action in graph.actions.iter().filter(|a| a.kind == ActionKind::Compile) {
        if let Some(id) = action.flags
            && lengths[id.index()] > RESPONSE_FILE_THRESHOLD
            && files[id.index()].is_none()
        {
            let name = &graph.flag_sets[id.index()].name;
            let content = crate::shell::response_file(&graph.expand_flags(id)) + "\n";
            files[id.index()] = Some(ResponseFile { path: format!("{RESPONSE_FILES_DIR}/{name}.rsp"), content });
        }
    }
    files
}

/// The words of `action` (an archive, link or bundle) that go into a response file when they
/// are too long for a command line: an archive's objects, a link's words after the compiler,
/// a bundle's arguments after `bundle`. `None`: short enough, or another kind of action.
pub(crate) fn action_response_words(graph: &BuildGraph, action: &Action) -> Option<Vec<String>> {
    let words = match action.kind {
        ActionKind::Archive => {
            // Every archive of a large project comes here: measure before copying anything.
            let len: usize = action.inputs.iter().map(|&f| graph.path(f).len() + 1).sum();
            if len <= RESPONSE_FILE_THRESHOLD {
                return None;
            }
            action.inputs.iter().map(|&f| graph.path(f).to_string()).collect()
        }
        ActionKind::Link | ActionKind::LinkWholeArchive => {
            let tool_words = graph.tools[action.tool?.index()].command.len();
            commands::action_words(graph, action)?.split_off(tool_words)
        }
        ActionKind::Bundle => action.args.get(1..)?.to_vec(),
        _ => return None,
    };
    let len: usize = words.iter().map(|w: &String| w.len() + 1).sum();
    (len > RESPONSE_FILE_THRESHOLD).then_some(words)
}

/// The targets that have tools in the graph, in the order their tools were added.
pub(crate) fn targets_in_order(graph: &BuildGraph) -> Vec<&str> {
    let mut targets: Vec<&str> = Vec::new();
    for tool in &graph.tools {
        if !targets.contains(&tool.target.as_str()) {
            targets.push(&tool.target);
        }
    }
    targets
}

/// A `# configuration wasi-release` comment line when `action` starts a new configuration
/// (`current` tracks the last one seen).
pub(crate) fn config_heading(graph: &BuildGraph, action: &Action, current: &mut Option<ConfigId>) -> Option<String> {
    let config = action.config?;
    if *current == Some(config) {
        return None;
    }
    *current = Some(config);
    let c = &graph.configs[config.index()];
    let note = if c.available { "" } else { " (toolchain not installed: not built by default)" };
    Some(format!("\n# configuration {}{note}\n", c.name()))
}
