//! Tests: each program of `kind = "test"`, in each configuration whose toolchain and runner
//! are installed, gets an action running it through the target's runner (`spygen test-one`),
//! whose output is a stamp written when it passes; configurations that cannot run it are
//! recorded as skipped, with why. The `test` and `test-<configuration>` aliases name them.

use super::{Planner, UnitConfig};
use crate::error::Result;
use crate::graph::{Action, ActionKind, FileId, TestSkip, Tool, ToolRole};
use crate::toolchain::runner::{self, Runner};

/// The directory, inside a configuration's output directory, of its tests' stamps and reports
/// (a unit name cannot start with `.`, so no program's output can be in the way).
pub const TEST_DIR: &str = ".test";

/// The goal running every test of every installed configuration.
pub const TEST_GOAL: &str = "test";

/// The goal running the tests of one configuration: `test-wasi-debug`.
pub fn config_test_goal(config: &str) -> String {
    format!("{TEST_GOAL}-{config}")
}

/// The report a test action writes (its `--report` argument), relative to the build directory.
pub fn report_of(action: &Action) -> Option<&str> {
    if action.kind != ActionKind::Test {
        return None;
    }
    action.args.iter().skip_while(|w| *w != "--report").nth(1).map(String::as_str)
}

impl Planner<'_> {
    /// Resolves the runner of every generated target, when the project has tests.
    pub(super) fn resolve_runners(&mut self, targets: &[String]) -> Result<()> {
        if !self.units.iter().any(|(_, u)| u.kind == crate::manifest::UnitKind::Test) {
            return Ok(());
        }
        for target in targets {
            let toolchain = self.db.get(target)?;
            let env = |k: &str| self.options.env_var(k);
            let r = runner::for_target(toolchain, Some(self.project), &self.options.runners, &env);
            self.runners.insert(target.clone(), r);
        }
        Ok(())
    }

    /// Adds the action running test `program` (its output) in `ctx`'s configuration, or records
    /// why the configuration cannot run it.
    pub(super) fn test(&mut self, ctx: &UnitConfig, program: FileId) -> Result<()> {
        let unit = &self.units[ctx.unit];
        let Some(settings) = unit.test.clone() else { return Ok(()) };
        let config = ctx.config.name();
        let why = if !ctx.config.available {
            Some(format!("toolchain `{}` is not installed ({})", ctx.config.target, ctx.toolchain.install_hint))
        } else {
            match self.runners.get(&ctx.config.target) {
                Some(Runner::Missing { why, hint }) => {
                    Some(format!("no runner for `{}`: {why}; {hint}", ctx.config.target))
                }
                _ => None,
            }
        };
        if let Some(why) = why {
            let name = unit.name.clone();
            match self.test_skips.iter_mut().find(|s| s.config == config) {
                Some(skip) => skip.tests.push(name),
                None => self.test_skips.push(TestSkip { config, tests: vec![name], why }),
            }
            return Ok(());
        }
        let runner = self.runners.get(&ctx.config.target).cloned().unwrap_or(Runner::Direct);
        // Relative to the build directory, where test actions run: build files stay the same
        // whatever the checkout's path.
        let words = runner.words_with(runner::WASI_RUN_FILE).unwrap_or_default();
        let tool = (!words.is_empty())
            .then(|| self.graph.add_tool(Tool::new(ctx.config.target.clone(), ToolRole::Runner, words)));
        let dir = format!("{}/{TEST_DIR}", ctx.config.dir());
        let stamp = self.graph.file(&format!("{dir}/{}.passed", unit.name));
        let mut action = self.unit_action(ActionKind::Test, ctx);
        action.tool = tool;
        action.inputs.push(program);
        action.outputs.push(stamp);
        action.args = thin_vec::thin_vec![
            "--name".into(),
            unit.name.clone(),
            "--config".into(),
            config,
            "--timeout".into(),
            settings.timeout.to_string(),
            "--report".into(),
            format!("{dir}/{}.json", unit.name),
        ];
        for arg in &settings.args {
            action.args.push(format!("--arg={arg}"));
        }
        self.graph.add_action(action)?;
        Ok(())
    }

    /// The test aliases: `test` (every installed configuration's tests) and one per
    /// configuration that runs tests.
    pub(super) fn test_aliases(&mut self) -> Result<()> {
        let mut by_config: Vec<Vec<FileId>> = vec![Vec::new(); self.graph.config_count()];
        for (_, action) in self.graph.actions().filter(|(_, a)| a.kind == ActionKind::Test) {
            if let Some(c) = action.config {
                by_config[c.index()].extend(action.outputs.iter().copied());
            }
        }
        if by_config.iter().all(Vec::is_empty) && self.test_skips.is_empty() {
            return Ok(());
        }
        let mut aliases: Vec<(String, Vec<FileId>)> = Vec::new();
        for (id, config) in self.graph.configs() {
            if !by_config[id.index()].is_empty() {
                aliases.push((config_test_goal(&config.name()), by_config[id.index()].clone()));
            }
        }
        aliases.push((TEST_GOAL.to_string(), by_config.concat()));
        for (name, files) in aliases {
            let out = self.graph.file(&name);
            let mut action = Action::new(ActionKind::Phony);
            action.inputs = files.into();
            action.outputs.push(out);
            self.graph.add_action(action)?;
        }
        Ok(())
    }
}
