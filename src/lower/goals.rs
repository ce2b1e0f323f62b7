//! The goals a build can be asked for (`spygen build GOAL`, `make GOAL`, `ninja GOAL`): the
//! graph's aliases, each with what it is, written to `<build>/.spygen-goals` so that
//! `spygen build` can list and check goals without planning again.

use std::fmt::Write as _;

use crate::graph::{ActionKind, BuildGraph};

/// The file in the build directory listing the goals.
pub const GOALS_FILE: &str = ".spygen-goals";

/// What a goal builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GoalKind {
    /// Everything installed (`all`, the default).
    All,
    /// One configuration (`wasi-release`).
    Configuration,
    /// Every build type of a target (`wasi`).
    Target,
    /// One module, in every configuration.
    Module,
    /// One program, in every configuration.
    Program,
    /// The tests: all of them (`test`) or one configuration's (`test-wasi-debug`).
    Test,
}

impl GoalKind {
    /// As `--list` groups it.
    pub fn heading(self) -> &'static str {
        match self {
            GoalKind::All => "default",
            GoalKind::Configuration => "configurations",
            GoalKind::Target => "targets",
            GoalKind::Module => "modules",
            GoalKind::Program => "programs",
            GoalKind::Test => "tests",
        }
    }

    fn word(self) -> &'static str {
        match self {
            GoalKind::All => "all",
            GoalKind::Configuration => "configuration",
            GoalKind::Target => "target",
            GoalKind::Module => "module",
            GoalKind::Program => "program",
            GoalKind::Test => "test",
        }
    }

    fn from_word(word: &str) -> Option<GoalKind> {
        [GoalKind::All, GoalKind::Configuration, GoalKind::Target, GoalKind::Module, GoalKind::Program, GoalKind::Test]
            .into_iter()
            .find(|k| k.word() == word)
    }
}

/// Every alias of `graph` with its kind, in the graph's order.
pub fn goals(graph: &BuildGraph) -> Vec<(GoalKind, String)> {
    let configs: Vec<String> = graph.configs().map(|(_, c)| c.name()).collect();
    let targets: Vec<&str> = graph.configs().map(|(_, c)| c.target.as_str()).collect();
    let programs = &graph.settings().programs;
    let mut out = Vec::new();
    for (_, action) in graph.actions_of(ActionKind::Phony) {
        let Some(&output) = action.outputs.first() else { continue };
        let name = graph.path(output).to_string();
        let kind = if name == "all" {
            GoalKind::All
        } else if configs.contains(&name) {
            GoalKind::Configuration
        } else if targets.contains(&name.as_str()) {
            GoalKind::Target
        } else if name == crate::plan::tests::TEST_GOAL
            || configs.iter().any(|c| name == crate::plan::tests::config_test_goal(c))
        {
            GoalKind::Test
        } else if programs.contains(&name) {
            GoalKind::Program
        } else {
            GoalKind::Module
        };
        out.push((kind, name));
    }
    out
}

/// The text of the goals file: a line `<kind> <name>` per goal.
pub fn goals_text(graph: &BuildGraph) -> String {
    let mut out = String::new();
    for (kind, name) in goals(graph) {
        let _ = writeln!(out, "{} {name}", kind.word());
    }
    out
}

/// Reads a goals file's text back (lines it does not understand are left out).
pub fn parse_goals(text: &str) -> Vec<(GoalKind, String)> {
    text.lines()
        .filter_map(|l| {
            let (kind, name) = l.split_once(' ')?;
            Some((GoalKind::from_word(kind)?, name.to_string()))
        })
        .collect()
}

/// The goals grouped for people: a line per kind, `configurations: native-debug ...`.
pub fn listing(goals: &[(GoalKind, String)]) -> String {
    let mut out = String::new();
    for kind in
        [GoalKind::Configuration, GoalKind::Target, GoalKind::Module, GoalKind::Program, GoalKind::Test, GoalKind::All]
    {
        let names: Vec<&str> = goals.iter().filter(|(k, _)| *k == kind).map(|(_, n)| n.as_str()).collect();
        if !names.is_empty() {
            let _ = writeln!(out, "{}: {}", kind.heading(), names.join(" "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_goals_file_reads_back_as_written_and_lists_by_kind() {
        let goals = vec![
            (GoalKind::Configuration, "wasi-debug".to_string()),
            (GoalKind::Target, "wasi".to_string()),
            (GoalKind::Module, "m".to_string()),
            (GoalKind::Program, "p".to_string()),
            (GoalKind::All, "all".to_string()),
        ];
        let text: String = goals.iter().map(|(k, n)| format!("{} {n}\n", k.word())).collect();
        assert_eq!(parse_goals(&text), goals);
        assert_eq!(
            listing(&goals),
            "configurations: wasi-debug\ntargets: wasi\nmodules: m\nprograms: p\ndefault: all\n"
        );
    }
}
