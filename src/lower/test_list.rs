//! The tests a build can run, written to `<build>/.spygen-tests` by every generation so that
//! `spygen test` can choose, run and report them without planning again: each test of each
//! configuration with its program, stamp and report, and the configurations whose tests
//! cannot run here, with why.

use serde::{Deserialize, Serialize};

use crate::graph::{ActionKind, BuildGraph, TestSkip};

/// The file in the build directory listing the tests.
pub const TESTS_FILE: &str = ".spygen-tests";

/// One test in one configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestEntry {
    /// The test program's name.
    pub name: String,
    /// The configuration (`wasi-debug`).
    pub config: String,
    /// Its target.
    pub target: String,
    /// Its build type.
    pub build_type: String,
    /// The program, relative to the build directory.
    pub program: String,
    /// The stamp written when it passes (the action's output), relative to the build directory.
    pub stamp: String,
    /// The report `spygen test-one` writes, relative to the build directory.
    pub report: String,
}

/// Tests of a configuration that cannot run here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedEntry {
    /// The configuration.
    pub config: String,
    /// Its target.
    pub target: String,
    /// Its build type.
    pub build_type: String,
    /// The tests, by name.
    pub tests: Vec<String>,
    /// Why, with what to install.
    pub why: String,
}

/// The file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestList {
    /// The tests that can run, in the graph's order (configuration by configuration).
    pub tests: Vec<TestEntry>,
    /// The configurations whose tests cannot.
    pub skipped: Vec<SkippedEntry>,
}

/// The tests of `graph`.
pub fn test_list(graph: &BuildGraph) -> TestList {
    let tests = graph
        .actions_of(ActionKind::Test)
        .filter_map(|(_, a)| {
            let report = crate::plan::tests::report_of(a)?.to_string();
            let config = graph.config(a.config?);
            Some(TestEntry {
                name: a.owner.as_deref()?.to_string(),
                config: config.name(),
                target: config.target.clone(),
                build_type: config.build_type.clone(),
                program: graph.path(*a.inputs.first()?).to_string(),
                stamp: graph.path(*a.outputs.first()?).to_string(),
                report,
            })
        })
        .collect();
    let skipped = graph
        .settings()
        .test_skips
        .iter()
        .filter_map(|TestSkip { config, tests, why }| {
            let (_, c) = graph.configs().find(|(_, c)| c.name() == *config)?;
            Some(SkippedEntry {
                config: config.clone(),
                target: c.target.clone(),
                build_type: c.build_type.clone(),
                tests: tests.clone(),
                why: why.clone(),
            })
        })
        .collect();
    TestList { tests, skipped }
}

/// The file's text.
pub fn test_list_text(graph: &BuildGraph) -> String {
    serde_json::to_string_pretty(&test_list(graph)).unwrap_or_default() + "\n"
}

/// Reads the file's text back; `None` when it is not a list spygen wrote.
pub fn parse_test_list(text: &str) -> Option<TestList> {
    serde_json::from_str(text).ok()
}
