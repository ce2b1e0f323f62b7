//! Lowering: turning the build graph into files other tools read. One file per output format.

pub mod commands;
pub mod compdb;
pub mod dot;
pub mod graph_json;
pub mod make;
pub mod make_fragment;
pub mod make_syntax;
pub mod ninja;

use crate::graph::{Action, BuildGraph, ConfigId, FlagSetId};

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
