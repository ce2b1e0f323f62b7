//! The actions that make a unit's outputs besides compiles: a vendored library's own make run,
//! program links (executables, reactors) and wasm bundles through `spygen bundle`.

use std::collections::HashMap;
use std::path::Path;

use super::sources::PlannedSources;
use super::{Planner, UnitConfig, UnitId};
use crate::error::{Error, Result};
use crate::graph::{ActionKind, Configuration, FileId, FileList, FlagPart, FlagSet, FlagSetId, ToolId};
use crate::manifest::{ForeignMake, Unit, UnitKind};
use crate::options::FRAGMENT_FILE;
use crate::paths;
use crate::toolchain::Toolchain;

/// The output suffix of `unit` (a program) for `toolchain`: its own per-target `suffix`, else
/// the target's executable suffix.
fn program_suffix<'a>(unit: &'a Unit, toolchain: &'a Toolchain) -> &'a str {
    unit.suffix.get(&toolchain.name).map_or(toolchain.suffixes.executable.as_str(), |s| s.value.as_str())
}

impl Planner<'_> {
    /// Where a program goes, as (stem, suffix): `<target>/<build type>/<name>` and the
    /// target's suffix, or the program's `output` (relative to the build dir) split before the
    /// suffix when it ends with it (side outputs, emscripten's `.wasm`, go beside the stem).
    fn program_output(&self, ctx: &UnitConfig, unit: &Unit) -> (String, String) {
        let suffix = program_suffix(unit, ctx.toolchain).to_string();
        let Some(output) = &unit.output else {
            return (format!("{}/{}", ctx.config.dir(), unit.name), suffix);
        };
        let path = output.value.replace("{target}", &ctx.config.target).replace("{build_type}", &ctx.config.build_type);
        let rel = self.rel(std::path::Path::new(&path));
        match rel.strip_suffix(suffix.as_str()).filter(|_| !suffix.is_empty()) {
            Some(stem) => (stem.to_string(), suffix),
            None => (rel, String::new()),
        }
    }
}

/// `toolchain`'s reactor link flags, or the error that `unit` (a reactor or a wasm bundle)
/// cannot be built for it.
fn reactor_flags<'a>(unit: &Unit, toolchain: &'a Toolchain) -> Result<&'a [String]> {
    toolchain.link.reactor.as_deref().ok_or_else(|| {
        Error::input(format!(
            "program `{}` is a {}, but target `{}` has no reactor modules",
            unit.name,
            unit.kind.as_str(),
            toolchain.name
        ))
        .at(unit.location.clone())
        .help("restrict the program with `targets = [\"wasi\"]`")
    })
}

/// The make variable naming, on a foreign make's command line, the directory its outputs go to.
pub const SPYGEN_OUT: &str = "SPYGEN_OUT";

/// The output directory of foreign make module `module` in `config`, relative to the build dir:
/// `<target>/<build type>/foreign/<module>` (what `{out}` stands for in its `archive`).
pub fn foreign_out_dir(config: &Configuration, module: &str) -> String {
    format!("{}/foreign/{module}", config.dir())
}

impl Planner<'_> {
    /// Adds the action running a vendored library's own Makefile; returns its archive. An
    /// archive in `{out}` is in the configuration's output directory for the module
    /// ([`foreign_out_dir`]), which make gets as `SPYGEN_OUT` (relative to its `-C` directory,
    /// as `SPYGEN_MK` is: build.ninja names no absolute path); any other is in the library's
    /// own tree, as it always was, with a note saying how to move it.
    pub(super) fn foreign_make(
        &mut self,
        ctx: &UnitConfig,
        foreign: &ForeignMake,
        sources: &PlannedSources,
    ) -> Result<FileId> {
        let unit = &self.units[ctx.unit];
        let config =
            |text: &str| text.replace("{target}", &ctx.config.target).replace("{build_type}", &ctx.config.build_type);
        let out_dir = foreign.archive_in_out().map(|file| (foreign_out_dir(ctx.config, &unit.name), file));
        let path = match &out_dir {
            Some((dir, file)) => format!("{dir}/{}", config(file)),
            None => self.rel(&paths::absolute(Path::new(&config(&foreign.archive.value)), &foreign.directory)),
        };
        if let Some(c) = paths::unsupported_character(&path) {
            return Err(super::unsupported_path(&path, c).at(foreign.archive.location.clone()));
        }
        if out_dir.is_none() {
            let note = format!(
                "{}: {}'s Makefile builds into its own tree (archive = {:?}): every build dir shares those \
                 outputs and removing the build dir leaves them; to build it in the build dir, write \
                 archive = \"{{out}}/<file>\" and have the Makefile write its outputs to $(SPYGEN_OUT) \
                 (see spygen.mk)",
                foreign.archive.location, unit.name, foreign.archive.value
            );
            if !self.notes.contains(&note) {
                self.notes.push(note);
            }
        }
        // Its Makefile decides what the dry run at generation finds (compile_commands.json's
        // entries for it, the objects build.ninja names): a change regenerates.
        let makefile =
            ["GNUmakefile", "makefile", "Makefile"].iter().map(|n| foreign.directory.join(n)).find(|p| p.is_file());
        self.add_inputs(makefile.map(|p| {
            let stamp = crate::fsutil::stamp(&p);
            (p, stamp)
        }));
        let out = self.graph.file(&path);
        let fragment = self.build_dir.join(FRAGMENT_FILE);
        let mut action = self.unit_action(ActionKind::ForeignMake, ctx);
        let from_directory = |path: &Path| paths::relative_slash(path, &foreign.directory);
        action.args = thin_vec::thin_vec![
            "-s".into(),
            "--no-print-directory".into(),
            "-C".into(),
            self.rel(&foreign.directory),
            format!("TARGET={}", ctx.config.target),
            format!("BUILD_TYPE={}", ctx.config.build_type),
            format!("SPYGEN_MK={}", from_directory(&fragment)),
        ];
        if let Some((dir, _)) = &out_dir {
            action.args.push(format!("{SPYGEN_OUT}={}", from_directory(&self.build_dir.join(dir))));
        }
        action.args.extend(foreign.args.iter().cloned());
        let mut implicit: FileList = sources.iter().map(|s| self.graph.file(s.path)).collect();
        implicit.push(self.graph.file(FRAGMENT_FILE));
        action.implicit = implicit.into_iter().collect();
        action.outputs.push(out);
        self.graph.add_action(action)?;
        Ok(out)
    }

    /// The exports of a program: its own, then those of every module it links, once each.
    pub(super) fn exports(&self, unit: UnitId, closure: &[UnitId]) -> Vec<String> {
        let mut exports: Vec<String> = Vec::new();
        for &u in std::iter::once(&unit).chain(closure) {
            for e in &self.units[u].exports {
                if !exports.contains(e) {
                    exports.push(e.clone());
                }
            }
        }
        exports
    }

    /// Adds the `spygen bundle` action of a wasm-bundle program: the runtime archive first,
    /// then the modules' (dependents before dependencies); returns the bundle.
    pub(super) fn bundle(
        &mut self,
        ctx: &UnitConfig,
        closure: &[UnitId],
        archives: &HashMap<UnitId, FileList>,
    ) -> Result<FileId> {
        let unit = &self.units[ctx.unit];
        reactor_flags(unit, ctx.toolchain)?;
        let runtime = self.units.runtime().filter(|rt| closure.contains(rt));
        let order: Vec<UnitId> =
            runtime.into_iter().chain(closure.iter().copied().filter(|&d| Some(d) != runtime)).collect();
        let inputs: Vec<FileId> = order.iter().filter_map(|d| archives.get(d)).flatten().copied().collect();
        let (stem, suffix) = self.program_output(ctx, unit);
        let out = self.graph.file(&format!("{stem}{suffix}"));
        let mut args = vec![
            "--target".to_string(),
            ctx.config.target.clone(),
            "--build-type".into(),
            ctx.config.build_type.clone(),
            "--cache-dir".into(),
            crate::bundle::CACHE_DIR.into(),
        ];
        args.extend(inputs.iter().map(|&f| self.graph.path(f).to_string()));
        for e in self.exports(ctx.unit, closure) {
            args.push("--export".into());
            args.push(e);
        }
        args.push("-o".into());
        args.push(self.graph.path(out).to_string());
        let mut action = self.unit_action(ActionKind::Bundle, ctx);
        action.inputs = inputs.into();
        action.outputs.push(out);
        action.args = args.into();
        self.graph.add_action(action)?;
        Ok(out)
    }

    /// Adds the link action of a program; returns its output.
    pub(super) fn link(
        &mut self,
        ctx: &UnitConfig,
        objects: Vec<FileId>,
        closure: &[UnitId],
        archives: &HashMap<UnitId, FileList>,
        cc: ToolId,
        base: FlagSetId,
    ) -> Result<FileId> {
        let unit = &self.units[ctx.unit];
        let toolchain = ctx.toolchain;
        let mut words = Vec::new();
        for s in Self::settings(unit, ctx.config) {
            words.extend(s.ldflags.iter().cloned());
        }
        let mut exports = self.exports(ctx.unit, closure);
        for &d in closure {
            for s in Self::settings(&self.units[d], ctx.config) {
                words.extend(s.ldflags.iter().cloned());
            }
            // A pack's own link flags, and its dependencies', as packed for this configuration.
            if let Some((_, m)) =
                self.units[d].prebuilt.as_ref().and_then(|p| p.config(&ctx.config.target, &ctx.config.build_type))
            {
                words.extend(m.module_ldflags.iter().cloned());
            }
        }
        words.extend(self.system_lib_flags(ctx, closure.iter().copied()).libs);
        if unit.kind.has_main() && !exports.is_empty() {
            for (i, e) in toolchain.link.executable_exports.iter().enumerate() {
                if !exports.contains(e) {
                    exports.insert(i, e.clone());
                }
            }
        }
        let reactor = unit.kind == UnitKind::Reactor;
        if reactor {
            words.extend(reactor_flags(unit, toolchain)?.iter().cloned());
        }
        words.extend(toolchain.link.export_flags(&exports));
        let name = format!("ldflags.{}.{}", unit.name, ctx.config.name());
        // A reactor links with the target's flags, not the build type's: as SPy links
        // libspy.wasm, without `-flto` (on which zig 0.13's wasm-ld aborts; wasm-ld optimises
        // LTO objects across the link all the same).
        let parts = if reactor {
            let project = self.project_flags.ldflags(&ctx.config.target, &ctx.config.build_type);
            vec![FlagPart::Words(toolchain.flags.ldflags.iter().cloned().chain(project).chain(words).collect())]
        } else {
            vec![FlagPart::Ref(base), FlagPart::Words(words)]
        };
        let ldflags = self.graph.add_flag_set(FlagSet { name, parts });
        let (stem, suffix) = self.program_output(ctx, unit);
        let out = self.graph.file(&format!("{stem}{suffix}"));
        let mut action = self.unit_action(if reactor { ActionKind::LinkWholeArchive } else { ActionKind::Link }, ctx);
        action.tool = Some(cc);
        action.flags = Some(ldflags);
        action.inputs = objects.into();
        action.inputs.extend(closure.iter().filter_map(|d| archives.get(d)).flatten().copied());
        action.outputs.push(out);
        for side in &toolchain.link.side_outputs {
            if *side != suffix {
                action.implicit_outputs.push(self.graph.file(&format!("{stem}{side}")));
            }
        }
        self.graph.add_action(action)?;
        Ok(out)
    }
}
