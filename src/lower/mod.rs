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
pub use make::lower_make;
pub use ninja::lower_ninja;

/// The flag-set variables `id` needs, parents first, each defined once across calls (tracked in
/// `defined`): `(name, value)` pairs where the value refers to the parent with `reference` and
/// spells the set's own words with `spell`. Shared by the ninja and make lowerings.
pub(crate) fn flag_set_definitions(
    graph: &BuildGraph,
    id: FlagSetId,
    defined: &mut [bool],
    reference: &dyn Fn(&str) -> String,
    spell: &dyn Fn(&[String]) -> String,
) -> Vec<(String, String)> {
    if defined[id.index()] {
        return Vec::new();
    }
    let set = &graph.flag_sets[id.index()];
    let mut out = match set.parent {
        Some(p) => flag_set_definitions(graph, p, defined, reference, spell),
        None => Vec::new(),
    };
    defined[id.index()] = true;
    if let Some(sfx) = set.suffix {
        out.extend(flag_set_definitions(graph, sfx, defined, reference, spell));
    }
    let mut value: Vec<String> = set.parent.map(|p| reference(&graph.flag_sets[p.index()].name)).into_iter().collect();
    if !set.words.is_empty() {
        value.push(spell(&set.words));
    }
    if let Some(sfx) = set.suffix {
        value.push(reference(&graph.flag_sets[sfx.index()].name));
    }
    out.push((set.name.clone(), value.join(" ")));
    out
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
