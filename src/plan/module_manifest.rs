//! The action writing each module's resolved manifest in each configuration (see
//! [`crate::module_manifest`]): its arguments are the module's own part, known at generation;
//! its dependencies' parts come from their manifests, built first.

use std::collections::HashMap;

use super::{Planner, UnitConfig, UnitId};
use crate::error::Result;
use crate::graph::{ActionKind, FileId, FileList, ToolRole};
use crate::toolchain::{FlagOptions, Resolution};

impl Planner<'_> {
    /// Adds the action writing `ctx`'s module's manifest next to its configuration's outputs,
    /// given its `archive` and the manifests of the modules planned before it; returns the
    /// manifest.
    pub(super) fn module_manifest(
        &mut self,
        ctx: &UnitConfig,
        archive: FileId,
        manifests: &HashMap<UnitId, FileId>,
    ) -> Result<FileId> {
        let units = self.units;
        let unit = &units[ctx.unit];
        let toolchain = ctx.toolchain;
        // Paths relative to the build directory, where the action runs: build files name no
        // path inside the project absolutely, so they are the same in every checkout.
        let build_dir = self.build_dir.clone();
        let rel = |p: &std::path::Path| crate::paths::relative_slash(p, &build_dir);
        let manifest_sha256 = self.manifest_sha256(ctx.unit);
        let mut args = vec![
            "--module".to_string(),
            unit.name.clone(),
            "--target".into(),
            ctx.config.target.clone(),
            "--build-type".into(),
            ctx.config.build_type.clone(),
            "--manifest".into(),
            rel(&unit.manifest),
            format!("--manifest-sha256={manifest_sha256}"),
            "--archive".into(),
            self.graph.path(archive).to_string(),
        ];
        args.extend(self.manifest_config_args(ctx).iter().cloned());
        for s in Self::settings(unit, ctx.config) {
            args.extend(s.ldflags.iter().map(|f| format!("--module-ldflag={f}")));
        }
        args.extend(unit.public_include_dirs.iter().map(|d| format!("--include-dir={}", rel(&d.value))));
        args.extend(unit.public_headers.iter().map(|h| format!("--public-header={}", rel(&h.value))));
        args.extend(unit.exports.iter().map(|e| format!("--export={e}")));
        for lib in self.unit_system_libs(ctx, ctx.unit) {
            args.push(format!("--system-lib={}", serde_json::to_string(&lib).unwrap_or_default()));
        }
        let mut implicit = FileList::from_slice(&[archive]);
        for dep in units.deps(ctx.unit) {
            if let Some(&m) = manifests.get(&dep.unit) {
                args.push(format!("--dep={}", self.graph.path(m)));
                implicit.push(m);
            }
        }
        for h in &unit.public_headers {
            let rel = self.rel(&h.value);
            implicit.push(self.graph.file(&rel));
        }
        let out = self.graph.file(&format!("{}/{}", ctx.config.dir(), crate::module_manifest::file_name(&unit.name)));
        let mut action = self.unit_action(ActionKind::ModuleManifest, ctx);
        // The compiler, as the toolchain's variable: the manifest records what compiled it.
        action.tool = self.graph.find_tool(&toolchain.name, ToolRole::Compiler);
        action.args = args.into();
        action.implicit = implicit.into_iter().collect();
        action.outputs.push(out);
        self.graph.add_action(action)?;
        Ok(out)
    }

    /// The arguments every module manifest of `ctx`'s configuration shares: the project's
    /// manifest and its hash, the compiler's package and version, the configuration's compile and link flags (made once).
    fn manifest_config_args(&mut self, ctx: &UnitConfig) -> &[String] {
        if !self.manifest_config_args.contains_key(&ctx.config_id) {
            let mut args = Vec::new();
            // The project the module was built in (spy.toml), for the manifest's provenance.
            if let Some(m) = &self.project.manifest {
                let path =
                    crate::paths::relative_slash(&crate::paths::absolute(&m.path, &self.project.root), &self.build_dir);
                args.push(format!("--project-manifest={path}"));
                let sha256 = crate::module_manifest::sha256_bytes(m.text.as_bytes());
                args.push(format!("--project-manifest-sha256={sha256}"));
            }
            if let Some((package, version)) = self.package_version(ctx) {
                args.extend(["--package".to_string(), package]);
                args.extend(version.map(|v| format!("--package-version={v}")));
            }
            let (target, build_type) = (&ctx.config.target, &ctx.config.build_type);
            let opts = FlagOptions { build_type: build_type.clone(), warning_as_error: false };
            let mut cflags = ctx.toolchain.flags.cflags(&opts);
            cflags.extend(self.project_flags.cflags(target, build_type));
            let mut ldflags = ctx.toolchain.flags.ldflags(&opts);
            ldflags.extend(self.project_flags.ldflags(target, build_type));
            args.extend(cflags.iter().map(|f| format!("--cflag={f}")));
            args.extend(ldflags.iter().map(|f| format!("--ldflag={f}")));
            self.manifest_config_args.insert(ctx.config_id, args);
        }
        &self.manifest_config_args[&ctx.config_id]
    }

    /// The sha256 of unit `u`'s manifest file (once per unit; empty when it cannot be read),
    /// for the module manifest's provenance: an edit changes the action's command, so the
    /// manifest is written again, while touching the file changes nothing.
    fn manifest_sha256(&mut self, u: UnitId) -> String {
        if let Some(h) = self.manifest_hashes.get(&u) {
            return h.clone();
        }
        // The text the graph was planned from, read once already.
        let hash = match self.units.manifest_source(u) {
            Some(source) => crate::module_manifest::sha256_bytes(source.text.as_bytes()),
            None => crate::module_manifest::sha256(&self.units[u].manifest).unwrap_or_default(),
        };
        self.manifest_hashes.insert(u, hash.clone());
        hash
    }

    /// The package `ctx`'s compiler comes from, with its version when it can be asked (once
    /// per target; the answer is remembered in the tool cache).
    pub(super) fn package_version(&mut self, ctx: &UnitConfig) -> Option<(String, Option<String>)> {
        let toolchain = ctx.toolchain;
        let package = toolchain.compiler.package.as_ref()?;
        if let Some(known) = self.package_versions.get(&toolchain.name) {
            return Some((package.name.clone(), known.clone()));
        }
        let options = self.options;
        let env = |k: &str| options.env_var(k);
        let version = match toolchain.compiler.resolve_with(&env, &self.project.requirement_map()) {
            Resolution::Found(found) => found.package_version(package).map(|v| v.to_string()),
            Resolution::Missing { .. } => None,
        };
        self.package_versions.insert(toolchain.name.clone(), version.clone());
        Some((package.name.clone(), version))
    }
}
