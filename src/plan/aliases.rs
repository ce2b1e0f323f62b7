//! The graph's named entry points: phony aliases (per configuration, target, unit, and `all`)
//! and the action re-running spygen when an input changes.

use std::collections::HashSet;
use std::path::PathBuf;

use super::Planner;
use crate::error::{Error, Result};
use crate::fsutil::Stamp;
use crate::graph::{Action, ActionKind, ConfigId, FileId, FileList};
use crate::paths;

impl Planner<'_> {
    /// Phony aliases: per configuration, per target, per unit, and `all`; sets the defaults.
    pub(super) fn aliases(&mut self, outputs_by_unit: &[Vec<(ConfigId, FileId)>]) -> Result<()> {
        let mut aliases: Vec<(String, Vec<FileId>)> = Vec::new();
        let mut by_config: Vec<Vec<FileId>> = vec![Vec::new(); self.graph.config_count()];
        for outs in outputs_by_unit {
            for &(c, f) in outs {
                by_config[c.index()].push(f);
            }
        }
        let mut targets: Vec<(String, Vec<FileId>)> = Vec::new();
        for (id, config) in self.graph.configs() {
            let mut files = by_config[id.index()].clone();
            files.sort_by(|a, b| self.graph.path(*a).cmp(self.graph.path(*b)));
            match targets.iter_mut().find(|(t, _)| *t == config.target) {
                Some((_, v)) => v.extend(files.iter().copied()),
                None => targets.push((config.target.clone(), files.clone())),
            }
            aliases.push((config.name(), files));
        }
        aliases.extend(targets);
        let test_goals = self.graph.configs().map(|(_, c)| super::tests::config_test_goal(&c.name()));
        let reserved: HashSet<String> = aliases
            .iter()
            .map(|(n, _)| n.clone())
            .chain(["all", "build.ninja", "clean", "help", super::tests::TEST_GOAL].map(String::from))
            .chain(test_goals)
            .collect();
        for ((_, unit), outs) in self.units.iter().zip(outputs_by_unit) {
            if reserved.contains(&unit.name) {
                return Err(Error::input(format!(
                    "the name `{}` is also a build alias (a target, a configuration or a test goal)",
                    unit.name
                ))
                .at(unit.location.clone())
                .help("rename the module or program"));
            }
            let files: Vec<FileId> =
                outs.iter().filter(|(c, _)| self.graph.config(*c).available).map(|&(_, f)| f).collect();
            aliases.push((unit.name.clone(), files));
        }
        let defaults: Vec<FileId> = self
            .graph
            .configs()
            .filter(|(_, c)| c.available)
            .flat_map(|(id, _)| by_config[id.index()].iter().copied())
            .collect();
        aliases.push(("all".to_string(), defaults));
        for (name, files) in &aliases {
            let out = self.graph.file(name);
            let mut action = Action::new(ActionKind::Phony);
            action.inputs = FileList::from_slice(files);
            action.outputs.push(out);
            self.graph.add_action(action)?;
        }
        self.test_aliases()?;
        let defaults = self
            .graph
            .configs()
            .filter(|(_, c)| c.available)
            .filter_map(|(_, c)| self.graph.find_file(&c.name()))
            .collect();
        self.graph.set_defaults(defaults);
        Ok(())
    }

    /// Adds the action re-running spygen when an input changes; returns its inputs (absolute).
    pub(super) fn regeneration(&mut self) -> Result<Vec<(PathBuf, Option<Stamp>)>> {
        let manifests = self.project.manifest.iter().chain(&self.units.manifests).map(|m| (m.path.clone(), m.stamp));
        let descriptors = self.db.user_files.iter().map(|(p, s)| (paths::absolute(p, &paths::current_dir()), *s));
        let packs = self.units.packs.iter().cloned();
        let manifests: Vec<_> = manifests.chain(descriptors).chain(packs).collect();
        self.add_inputs(manifests);
        let inputs = std::mem::take(&mut self.inputs);
        let mut action = Action::new(ActionKind::Regenerate);
        action.args = self.options.regen_args(&self.project.root, &self.build_dir).into();
        let mut files: Vec<String> = inputs.keys().map(|p| self.rel(p)).collect();
        files.sort();
        files.dedup();
        action.inputs = files.iter().map(|f| self.graph.file(f)).collect();
        let generated = self.options.format.generated_files(!self.options.no_compdb);
        action.outputs = FileList::from_slice(&[self.graph.file(generated[0])]);
        action.implicit_outputs = generated[1..].iter().map(|f| self.graph.file(f)).collect();
        self.graph.add_action(action)?;
        // Listings through `..` (`../shared/*.c`) name their directory lexically folded.
        let mut absolute: Vec<(PathBuf, Option<Stamp>)> =
            inputs.into_iter().map(|(p, s)| (paths::normalize(&p), s)).collect();
        // Normalised, a path has one spelling: its bytes order and compare it. (`Path`'s own
        // order goes component by component: 2 M instructions more at 10,000 sources.)
        absolute.sort_unstable_by(|(a, a_stamp), (b, b_stamp)| {
            a.as_os_str().cmp(b.as_os_str()).then_with(|| a_stamp.cmp(b_stamp))
        });
        absolute.dedup_by(|a, b| a.0.as_os_str() == b.0.as_os_str());
        Ok(absolute)
    }
}
