//! Modules named by their pack (`spygen pack`): linked as packed, compiled nowhere. Each
//! configuration takes the pack's archives and manifest for it, once the compiler that packed
//! it is checked against the one this project compiles the configuration with.

use std::collections::BTreeSet;
use std::path::Path;

use super::{Planner, UnitConfig, UnitId};
use crate::error::{Error, Result};
use crate::graph::{ActionKind, FileId, FileList, ToolRole};
use crate::module_manifest::{self, ModuleManifest};
use crate::pack::Prebuilt;

impl Planner<'_> {
    /// The archives (in link order) and the manifest of packed module `ctx.unit` in `ctx`'s
    /// configuration (the packed one, copied next to the configuration's outputs by an action
    /// added here); `None`, with a warning, when the pack holds the target but not this
    /// build type (a target it lacks is left out before: [`Planner::pack_targets`]).
    pub(super) fn prebuilt(&mut self, ctx: &UnitConfig, p: &Prebuilt) -> Result<Option<(FileList, FileId)>> {
        let name = &self.units[ctx.unit].name;
        let Some((manifest_path, m)) = p.config(&ctx.config.target, &ctx.config.build_type) else {
            let packed: Vec<&str> = p
                .index
                .configurations
                .iter()
                .filter(|c| c.target == ctx.config.target)
                .map(|c| c.build_type.as_str())
                .collect();
            let unit = &self.units[ctx.unit];
            self.warnings.push(format!(
                "{}: module `{name}` and what depends on it are left out of `{}`: the pack {} holds {} {} of `{name}` but not {}; to provide it: pack `{name}` with --build-type {} too",
                unit.location,
                ctx.config.name(),
                p.pack.display(),
                ctx.config.target,
                packed.join(", "),
                ctx.config.build_type,
                ctx.config.build_type
            ));
            return Ok(None);
        };
        self.check_pack_toolchain(ctx, p, m)?;
        let files = m
            .archives
            .iter()
            .map(|a| {
                let rel = self.rel(Path::new(a));
                self.graph.file(&rel)
            })
            .collect();
        let rel = self.rel(manifest_path);
        let packed = self.graph.file(&rel);
        // Copied next to the configuration's outputs, where every module's manifest is: what
        // reads `<build>/<t>/<b>/<module>.spymod.json` (SPy's build_info()) finds it there.
        let out = self.graph.file(&format!("{}/{}", ctx.config.dir(), module_manifest::file_name(name)));
        let mut action = self.unit_action(ActionKind::ModuleManifest, ctx);
        action.tool = self.graph.find_tool(&ctx.toolchain.name, ToolRole::Compiler);
        action.args = thin_vec::thin_vec!["--packed".to_string(), rel];
        action.implicit = thin_vec::thin_vec![packed];
        action.outputs.push(out);
        self.graph.add_action(action)?;
        Ok(Some((files, out)))
    }

    /// The targets of `wanted` packed module `u` has no build for, each with a warning: it and
    /// what depends on it are left out of them.
    pub(super) fn pack_targets(&mut self, u: UnitId, wanted: &BTreeSet<String>) -> BTreeSet<String> {
        let unit = &self.units[u];
        let Some(p) = &unit.prebuilt else { return BTreeSet::new() };
        let missing: BTreeSet<String> = wanted.iter().filter(|t| !p.has_target(t)).cloned().collect();
        for t in &missing {
            let why = format!("the pack {} holds no {t} build of `{}`", p.pack.display(), unit.name);
            let fix = format!("pack `{}` with --target {t} too", unit.name);
            self.warnings.push(format!(
                "{}: module `{}` and what depends on it are left out of `{t}`: {why}; to provide it: {fix}",
                unit.location, unit.name
            ));
            self.left_out.insert((u, t.clone()), super::LeftOut { why, fix });
        }
        missing
    }

    /// Checks that the compiler which built `m` (of pack `p`) is the one `ctx`'s configuration
    /// compiles with: the same package and version. Another version is a warning when the
    /// descriptor declares the package's archives compatible across versions (`abi-stable`),
    /// an error naming both otherwise. Nothing to compare when either version is unknown.
    fn check_pack_toolchain(&mut self, ctx: &UnitConfig, p: &Prebuilt, m: &ModuleManifest) -> Result<()> {
        let Some((package, Some(version))) = self.package_version(ctx) else { return Ok(()) };
        let (Some(theirs), Some(their_version)) = (&m.toolchain.package, &m.toolchain.version) else {
            return Ok(());
        };
        if *theirs == package && *their_version == version {
            return Ok(());
        }
        let unit = &self.units[ctx.unit];
        let (built, here, config) =
            (format!("{theirs} {their_version}"), format!("{package} {version}"), ctx.config.name());
        let stable = *theirs == package && ctx.toolchain.compiler.package.as_ref().is_some_and(|s| s.abi_stable);
        if stable {
            let warning = format!(
                "{}: `{}` was packed for {config} with {built}, and this project compiles {config} with {here} (the {} descriptor declares {package}'s archives compatible across versions)",
                p.pack.display(),
                unit.name,
                ctx.config.target
            );
            if !self.warnings.contains(&warning) {
                self.warnings.push(warning);
            }
            return Ok(());
        }
        Err(Error::input(format!(
            "the pack of `{}` ({}) was built for {config} with {built}, but this project compiles {config} with {here}",
            unit.name,
            p.pack.display()
        ))
        .at(unit.location.clone())
        .help(format!(
            "pack `{}` again with {here}, or build with {built} (`[spygen.require] {theirs} = \"=={their_version}\"` in spy.toml checks it)",
            unit.name
        )))
    }
}
