//! Planning: the project's units × the wanted configurations become concrete compile, archive
//! and link actions in one `BuildGraph`, with flags propagated along dependencies.

mod aliases;
mod closure;
mod link;
mod module_manifest;
mod prebuilt;
pub mod project_flags;
mod sources;
mod syslib;
pub mod tests;
mod units;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Location, Result};
use crate::fsutil::Stamp;
use crate::graph::{
    Action, ActionKind, BuildGraph, ConfigId, Configuration, FileId, FileList, FlagPart, FlagSet, FlagSetId,
    GraphSettings, Tool, ToolId, ToolRole,
};
use crate::manifest::{Project, Settings, Unit, UnitKind};
use crate::options::GenOptions;
use crate::paths;
use crate::toolchain::{Db, FlagOptions, Resolution, Toolchain, launcher};

use closure::Closures;
pub use link::{SPYGEN_OUT, foreign_out_dir};
use sources::{Listing, PlannedSource};
pub use units::{UnitId, Units};

/// The result of planning: the graph, and what the generation needs besides it.
#[derive(Debug)]
pub struct Plan {
    /// The actions of every configuration, with the settings the writers need.
    pub graph: BuildGraph,
    /// Where the build files go (absolute).
    pub build_dir: PathBuf,
    /// Warnings to print (missing toolchains, pkg-config fallbacks).
    pub warnings: Vec<String>,
    /// Notes to print: what works but could be better (a foreign make building into its
    /// library's tree).
    pub notes: Vec<String>,
    /// The files and directories whose change re-runs spygen (absolute, sorted), each with its
    /// stamp from before it was read: the inputs of the regeneration action.
    pub regen_inputs: Vec<(PathBuf, Option<Stamp>)>,
}

/// Reads the project `options` name (`spy.toml` unless `--no-spy-toml`, plus
/// `--extra-vm-module`), for [`build_dir`] and [`plan`].
pub fn load_project(options: &GenOptions) -> Result<Project> {
    let project = Project::load(&options.project_dir, &options.load)?;
    if project.manifest.is_none() && project.extra_vm_modules.is_empty() {
        return Err(no_project_error(&project.root, false));
    }
    Ok(project)
}

/// The error for a directory that holds no project (no spy.toml, no module given);
/// `and_parents`: its parents were looked in too.
pub fn no_project_error(dir: &Path, and_parents: bool) -> Error {
    let also = if and_parents { " or any parent directory" } else { "" };
    let place = format!("{}{also}", dir.display());
    Error::usage(format!("no spy.toml in {place}: nothing to build"))
        .help("run spygen in a SPy project, or name one (`spygen gen examples/out-of-tree/demo`); a project is a directory with a spy.toml listing its modules, `extra-vm-modules = [\"path/to/module\"]`, each a directory with a spygen.toml; or give modules with --extra-vm-module")
}

/// Plans `project` (read by [`load_project`]) for the wanted configurations.
pub fn plan(db: &Db, options: &GenOptions, project: &Project) -> Result<Plan> {
    let mut timer = crate::generate::Timer::steps("  plan: ");
    let units = Units::load(project, &build_dir(options, project).join(crate::pack::CACHE_DIR))?;
    timer.lap("modules");
    let mut planner = Planner::new(db, options, project, &units);
    if units.all().is_empty() {
        let manifest = project
            .manifest
            .as_ref()
            .map_or_else(|| project.root.display().to_string(), |m| m.path.display().to_string());
        planner.warnings.push(format!(
            "{manifest} names no module and no program: nothing to build (list modules in `extra-vm-modules`, or add a [[spygen.program]])"
        ));
    }
    let (unit_dirs, build_dir) = (planner.unit_dirs.clone(), planner.build_dir.clone());
    let (planned, listed) = Listing::with(&units, &unit_dirs, &build_dir, |listing| {
        planner.check_target_names()?;
        planner.check_include_dirs()?;
        let (flags, notes) =
            project_flags::project_flags(db, Some(project), &options.flag_args, &|k| options.env_var(k))?;
        planner.project_flags = flags;
        planner.warnings.extend(notes);
        let configs = planner.configurations()?;
        let targets: Vec<String> = dedup(configs.iter().map(|(_, t)| t.name.clone()).collect());
        planner.resolve_runners(&targets)?;
        let effective = planner.effective_targets(&targets)?;
        // What listing sources warns of comes before what planning does.
        let listing_warnings_at = planner.warnings.len();
        timer.lap("flags, tools");
        let closures =
            Closures::new(&units, |u| planner.public_includes[u.index()].is_some() || units[u].has_system_libs());
        // Programs link everything they depend on; modules only see their dependencies' interfaces.
        let links: Vec<Vec<UnitId>> = units
            .iter()
            .map(|(u, unit)| if unit.kind == UnitKind::Module { Vec::new() } else { closures.all(&units, u) })
            .collect();
        let mut outputs = vec![Vec::new(); units.len()];
        for (config, toolchain) in configs {
            let unit_inputs = UnitInputs { effective: &effective, listing, closures: &closures, links: &links };
            planner.plan_configuration(config, toolchain, &unit_inputs, &mut outputs)?;
        }
        Ok((outputs, listing_warnings_at))
    })?;
    let (outputs, listing_warnings_at) = planned;
    let mut listing_warnings = Vec::new();
    for found in listed {
        planner.add_inputs(found.dirs);
        listing_warnings.extend(found.warnings);
    }
    let later = planner.warnings.split_off(listing_warnings_at);
    planner.add_warnings(listing_warnings);
    planner.add_warnings(later);
    timer.lap("actions");
    planner.aliases(&outputs)?;
    let regen_inputs = planner.regeneration()?;
    let plan = planner.finish(regen_inputs);
    timer.lap("aliases, inputs, checks");
    plan
}

/// The build directory `options` ask for: `--build-dir`, else the project's.
pub fn build_dir(options: &GenOptions, project: &Project) -> PathBuf {
    match &options.build_dir {
        Some(d) => paths::absolute(d, &paths::current_dir()),
        None => project.build_dir.clone(),
    }
}

/// What planning one configuration needs to know of every unit, computed once.
struct UnitInputs<'p> {
    /// The targets each unit is built for.
    effective: &'p [BTreeSet<String>],
    /// Each unit's sources.
    listing: &'p Listing<'p>,
    /// Transitive dependencies.
    closures: &'p Closures,
    /// What each program links (nothing for modules), nearest first.
    links: &'p [Vec<UnitId>],
}

/// One unit in one configuration.
struct UnitConfig<'a> {
    unit: UnitId,
    config: &'a Configuration,
    config_id: ConfigId,
    toolchain: &'a Toolchain,
    /// `<target>/<build type>/obj/<unit>/`: where its objects go.
    object_prefix: String,
}

/// A unit's include flag set, made on first use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Includes {
    /// Not made yet.
    Unknown,
    /// The unit has no include flags.
    None,
    /// Its set.
    Set(FlagSetId),
}

struct Planner<'a> {
    db: &'a Db,
    options: &'a GenOptions,
    project: &'a Project,
    units: &'a Units,
    build_dir: PathBuf,
    graph: BuildGraph,
    warnings: Vec<String>,
    /// Notes, each once.
    notes: Vec<String>,
    /// Files and directories whose change must re-run spygen (absolute), each with its stamp
    /// from before it was first read. Unordered: the regeneration sorts what it takes (and
    /// a map ordered by path would compare paths component by component on every insertion).
    inputs: HashMap<PathBuf, Option<Stamp>>,
    /// Each generated target's compiler launcher, checked (targets without one are absent).
    launchers: BTreeMap<String, launcher::Launcher>,
    /// Each generated target's runner, when the project has tests.
    runners: BTreeMap<String, crate::toolchain::runner::Runner>,
    /// The configurations whose tests cannot run here.
    test_skips: Vec<crate::graph::TestSkip>,
    /// The project's flags for every compile and link of some configurations.
    project_flags: crate::graph::ProjectFlags,
    /// Each system library's flags for each target, and where they came from.
    system_lib_uses: BTreeMap<(String, String), (String, syslib::LibFlags)>,
    /// The targets units are left out of (a system library missing there, a pack without
    /// them), with why and what provides it.
    left_out: HashMap<(UnitId, String), LeftOut>,
    /// Whether any unit declares a system library (else no closure is walked for them).
    any_system_libs: bool,
    /// Each target's compiler package version, asked once.
    package_versions: HashMap<String, Option<String>>,
    /// Each unit's manifest file's sha256, read once.
    manifest_hashes: HashMap<UnitId, String>,
    /// The arguments every module manifest of a configuration shares.
    manifest_config_args: HashMap<ConfigId, Vec<String>>,
    syslibs: syslib::Cache,
    /// Each unit's directory relative to the build dir (computed once).
    unit_dirs: Vec<String>,
    /// Each unit's name, shared by its actions.
    owners: Vec<Arc<str>>,
    /// Each unit's `-I` flags for its public include dirs, as a set inlined into its own and
    /// its dependents' include sets (`None`: it has none).
    public_includes: Vec<Option<FlagSetId>>,
    /// Each unit's shared include flag set.
    includes: Vec<Includes>,
    /// Source patterns, each compiled once.
    patterns: crate::manifest::glob::PatternCache,
}

/// Why a unit is left out of a target, and what would bring it in.
#[derive(Debug, Clone)]
struct LeftOut {
    why: String,
    fix: String,
}

impl<'a> Planner<'a> {
    fn new(db: &'a Db, options: &'a GenOptions, project: &'a Project, units: &'a Units) -> Planner<'a> {
        let mut planner = Planner {
            db,
            options,
            project,
            units,
            build_dir: build_dir(options, project),
            graph: BuildGraph::new(),
            // The manifest's own warnings first (a top-level key neither SPy nor spygen reads).
            warnings: project.warnings.clone(),
            notes: Vec::new(),
            inputs: HashMap::new(),
            launchers: BTreeMap::new(),
            runners: BTreeMap::new(),
            test_skips: Vec::new(),
            project_flags: crate::graph::ProjectFlags::default(),
            system_lib_uses: BTreeMap::new(),
            left_out: HashMap::new(),
            any_system_libs: units.iter().any(|(_, u)| u.has_system_libs()),
            package_versions: HashMap::new(),
            manifest_hashes: HashMap::new(),
            manifest_config_args: HashMap::new(),
            syslibs: syslib::Cache::new(&options.env),
            unit_dirs: Vec::new(),
            owners: units.iter().map(|(_, u)| Arc::from(u.name.as_str())).collect(),
            public_includes: Vec::new(),
            includes: vec![Includes::Unknown; units.len()],
            patterns: crate::manifest::glob::PatternCache::default(),
        };
        planner.unit_dirs = units.iter().map(|(_, u)| planner.rel(&u.dir)).collect();
        for (_, u) in units.iter() {
            let words: Vec<String> =
                u.public_include_dirs.iter().map(|d| format!("-I{}", planner.rel(&d.value))).collect();
            let set = (!words.is_empty())
                .then(|| planner.graph.add_flag_set(FlagSet::words(format!("public.{}", u.name), words)));
            planner.public_includes.push(set);
        }
        planner
    }

    /// Plans every unit built for configuration `config_id` (of `toolchain`), dependencies
    /// first; records each unit's output in `outputs`.
    fn plan_configuration(
        &mut self,
        config_id: ConfigId,
        toolchain: &Toolchain,
        inputs: &UnitInputs,
        outputs: &mut [Vec<(ConfigId, FileId)>],
    ) -> Result<()> {
        let config = self.graph.config(config_id).clone();
        let flag_options =
            FlagOptions { build_type: config.build_type.clone(), warning_as_error: self.options.warning_as_error };
        let mut cflags = toolchain.flags.cflags(&flag_options);
        cflags.extend(self.path_map_flags(toolchain));
        cflags.extend(self.project_flags.cflags(&config.target, &config.build_type));
        let base_cflags = self.graph.add_flag_set(FlagSet::words(format!("cflags.{}", config.name()), cflags));
        let mut ldflags = toolchain.flags.ldflags(&flag_options);
        ldflags.extend(self.project_flags.ldflags(&config.target, &config.build_type));
        let base_ldflags = self.graph.add_flag_set(FlagSet::words(format!("ldflags.{}", config.name()), ldflags));
        let cc = self.tool(toolchain, ToolRole::Compiler);
        let ar = self.tool(toolchain, ToolRole::Archiver);
        self.launcher_tool(toolchain);
        let mut archives: HashMap<UnitId, FileList> = HashMap::new();
        let mut manifests: HashMap<UnitId, FileId> = HashMap::new();
        // Units left out of this configuration: a pack without it, and what depends on one.
        let mut left_out: HashSet<UnitId> = HashSet::new();
        for &u in self.units.topo() {
            let unit = &self.units[u];
            if !inputs.effective[u.index()].contains(&config.target) {
                continue;
            }
            if self.units.deps(u).iter().any(|d| left_out.contains(&d.unit)) {
                left_out.insert(u);
                continue;
            }
            let object_prefix = format!("{}/obj/{}/", config.dir(), unit.name);
            let ctx = UnitConfig { unit: u, config: &config, config_id, toolchain, object_prefix };
            let sources = inputs.listing.sources(u)?;
            if let Some(prebuilt) = &unit.prebuilt {
                match self.prebuilt(&ctx, prebuilt)? {
                    Some((files, manifest)) => {
                        archives.insert(u, files);
                        manifests.insert(u, manifest);
                        outputs[u.index()].push((config_id, manifest));
                    }
                    None => {
                        left_out.insert(u);
                    }
                }
                continue;
            }
            if let Some(foreign) = &unit.foreign_make {
                let out = self.foreign_make(&ctx, foreign, sources)?;
                archives.insert(u, FileList::from_slice(&[out]));
                outputs[u.index()].push((config_id, out));
                let manifest = self.module_manifest(&ctx, out, &manifests)?;
                manifests.insert(u, manifest);
                outputs[u.index()].push((config_id, manifest));
                continue;
            }
            let cflags = self.unit_cflags(&ctx, base_cflags, inputs.closures)?;
            let extra = self.extra_sources(u, &config)?;
            let mut objects = Vec::with_capacity(sources.len() + extra.len());
            for src in sources.iter().chain(extra.iter()) {
                objects.push(self.compile(&ctx, src, cc, cflags)?);
            }
            let links = &inputs.links[u.index()];
            let out = match unit.kind {
                UnitKind::Module if objects.is_empty() => continue,
                UnitKind::Module => {
                    let out = self.archive(&ctx, objects, ar)?;
                    archives.insert(u, FileList::from_slice(&[out]));
                    let manifest = self.module_manifest(&ctx, out, &manifests)?;
                    manifests.insert(u, manifest);
                    outputs[u.index()].push((config_id, manifest));
                    out
                }
                UnitKind::WasmBundle => self.bundle(&ctx, links, &archives)?,
                _ => self.link(&ctx, objects, links, &archives, cc, base_ldflags)?,
            };
            if unit.kind == UnitKind::Test {
                self.test(&ctx, out)?;
            }
            outputs[u.index()].push((config_id, out));
        }
        Ok(())
    }

    /// Adds the action archiving a module's `objects`; returns the archive.
    fn archive(&mut self, ctx: &UnitConfig, objects: Vec<FileId>, ar: ToolId) -> Result<FileId> {
        let unit = &self.units[ctx.unit];
        let root = self.project.layout.archive_root(&unit.dir, &self.build_dir);
        let dir =
            if root == self.build_dir { ctx.config.dir() } else { format!("{}/{}", self.rel(&root), ctx.config.dir()) };
        let out = self.graph.file(&format!("{dir}/{}{}", unit.name, ctx.toolchain.suffixes.archive));
        let mut action = self.unit_action(ActionKind::Archive, ctx);
        action.tool = Some(ar);
        action.inputs = objects.into();
        action.outputs = FileList::from_slice(&[out]);
        self.graph.add_action(action)?;
        Ok(out)
    }

    /// Checks the graph and adds the settings the writers need; the plan is complete.
    fn finish(mut self, regen_inputs: Vec<(PathBuf, Option<Stamp>)>) -> Result<Plan> {
        let options = self.options;
        // Absolute paths written into build files besides the graph's (spygen.mk, the spygen
        // command): the working directory or an install path could hold anything.
        let utf8 = |path: &Path| -> Result<String> {
            path.to_str().map(str::to_string).ok_or_else(|| {
                Error::input(format!("the path {path:?} is not UTF-8: build files are text"))
                    .help("use a directory whose path is UTF-8")
            })
        };
        let runtime_include_dirs = match self.units.runtime() {
            Some(rt) => Some(
                self.units[rt].public_include_dirs.iter().map(|d| utf8(&d.value)).collect::<Result<Vec<String>>>()?,
            ),
            None => None,
        };
        let project_manifest = match &self.project.manifest {
            Some(m) => self.rel(&m.path),
            None => self.rel(&self.project.root),
        };
        let compdb_config = match &options.compdb_config {
            Some(name) => Some(self.graph.find_config(name)?),
            None => None,
        };
        let link_jobs = options
            .link_jobs
            .or(self.project.link_jobs.as_ref().map(|j| j.value))
            .unwrap_or_else(launcher::default_link_jobs);
        self.graph.set_settings(GraphSettings {
            build_dir: utf8(&self.build_dir)?,
            project_manifest,
            spygen_exe: utf8(&options.spygen_exe)?,
            link_jobs,
            compdb_config,
            warning_as_error: options.warning_as_error,
            runtime_include_dirs,
            runtime_lib_root: match self.units.runtime() {
                Some(rt) => utf8(&self.project.layout.archive_root(&self.units[rt].dir, &self.build_dir))?,
                None => utf8(&self.build_dir)?,
            },
            env: options.env.clone(),
            requirements: self.project.requirement_map(),
            programs: self
                .units
                .iter()
                .filter(|(_, u)| u.kind != UnitKind::Module)
                .map(|(_, u)| u.name.clone())
                .collect(),
            test_skips: std::mem::take(&mut self.test_skips),
            project_flags: std::mem::take(&mut self.project_flags),
            system_libs: std::mem::take(&mut self.system_lib_uses)
                .into_iter()
                .map(|((target, package), (origin, flags))| crate::graph::SystemLibUse {
                    target,
                    package,
                    origin,
                    cflags: flags.cflags,
                    libs: flags.libs,
                })
                .collect(),
        });
        self.graph.check_acyclic()?;
        self.graph.check_text()?;
        Ok(Plan {
            graph: self.graph,
            build_dir: self.build_dir,
            warnings: self.warnings,
            notes: self.notes,
            regen_inputs,
        })
    }

    /// Adds inputs of the generation; a path read twice keeps its first (earlier) stamp.
    fn add_inputs(&mut self, inputs: impl IntoIterator<Item = (PathBuf, Option<Stamp>)>) {
        for (path, stamp) in inputs {
            self.inputs.entry(path).or_insert(stamp);
        }
    }

    /// Adds warnings, each once (a unit's extra sources are expanded per configuration).
    fn add_warnings(&mut self, warnings: Vec<String>) {
        for w in warnings {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
    }

    /// `path` relative to the build dir, as build files spell it.
    /// The flags making compiles record paths as seen from the project, whatever directory the
    /// checkout is in: their working directory, the build dir (as `PWD` spells it, the same in
    /// every checkout), as `.`, and the way up from it to the project as nothing, so
    /// `../runtime/src/str.c` is `runtime/src/str.c` in debug info and `__FILE__`.
    fn path_map_flags(&self, toolchain: &Toolchain) -> Vec<String> {
        // Compiles run with PWD set to this link to their working directory (see
        // `graph::PORTABLE_PWD`): what they record of it is the same in every checkout.
        let mut flags = toolchain.flags.path_map(crate::graph::PORTABLE_PWD, ".");
        let up = self.rel(&self.project.root);
        if up != "." && !up.is_empty() {
            flags.extend(toolchain.flags.path_map(&format!("{up}/"), ""));
        }
        flags
    }

    fn rel(&self, path: &Path) -> String {
        paths::relative_slash(path, &self.build_dir)
    }

    fn unknown_target(&self, name: &str, at: &Location) -> Error {
        self.db.unknown_target(name).in_file(at.clone())
    }

    /// Every include directory must be a path build files can carry: the headers found in it
    /// are read back from compilers' depfiles (see [`paths::UNSUPPORTED_PATH_CHARACTERS`]).
    fn check_include_dirs(&self) -> Result<()> {
        for (_, unit) in self.units.iter() {
            for dir in unit.public_include_dirs.iter().chain(&unit.include_dirs) {
                let rel = self.rel(&dir.value);
                if let Some(c) = paths::unsupported_character(&rel) {
                    return Err(unsupported_path(&rel, c).at(dir.location.clone()));
                }
            }
        }
        Ok(())
    }

    /// Every target name written in a manifest must be known.
    fn check_target_names(&self) -> Result<()> {
        let known: HashSet<&str> = self.db.names().into_iter().collect();
        let check = |name: &str, at: &Location| {
            if known.contains(name) { Ok(()) } else { Err(self.unknown_target(name, at)) }
        };
        for t in self.project.targets.iter().flatten() {
            check(&t.value, &t.location)?;
        }
        for (_, unit) in self.units.iter() {
            for t in unit.targets.iter().flatten() {
                check(&t.value, &t.location)?;
            }
            for (name, (_, at)) in &unit.per_target {
                check(name, at)?;
            }
            for (name, s) in &unit.suffix {
                check(name, &s.location)?;
            }
        }
        for (name, l) in &self.project.launcher_for {
            check(name, &l.location)?;
        }
        for (name, r) in &self.project.runner_for {
            check(name, &r.location)?;
        }
        self.check_scoped_build_types()?;
        launcher::check_arg_targets(self.db, &self.options.launchers)?;
        crate::toolchain::runner::check_args(self.db, &self.options.runners)?;
        Ok(())
    }

    /// Every `[build-type.<name>]` table of a unit must name a build type some target has:
    /// a misspelt one would otherwise never apply, without a word.
    fn check_scoped_build_types(&self) -> Result<()> {
        for (_, unit) in self.units.iter() {
            for (name, (_, at)) in &unit.per_build_type {
                self.db.check_any_build_type(name).map_err(|e| e.at(at.clone()))?;
            }
        }
        Ok(())
    }

    /// The configurations to generate, each with its toolchain; adds them to the graph.
    fn configurations(&mut self) -> Result<Vec<(ConfigId, &'a Toolchain)>> {
        self.check_requirement_names()?;
        let explicit = !self.options.targets.is_empty();
        let targets: Vec<String> = if explicit {
            for t in &self.options.targets {
                self.db.get(t)?;
            }
            self.options.targets.clone()
        } else if let Some(list) = &self.project.targets {
            list.iter().map(|t| t.value.clone()).collect()
        } else {
            self.db.names().into_iter().map(str::to_string).collect()
        };
        let mut out = Vec::new();
        for target in dedup(targets) {
            let toolchain = self.db.get(&target)?;
            // A project without a manifest sets no launcher: it is asked all the same.
            if let Some(l) = launcher::for_target(toolchain, Some(self.project), &self.options.launchers) {
                let l = if self.options.skip_launcher_check { l } else { launcher::resolve(&target, l)? };
                self.launchers.insert(target.clone(), l);
            }
            let mut missing = Vec::new();
            for tool in [&toolchain.compiler, &toolchain.archiver] {
                if let Some(why) = self.missing_tool(toolchain, tool)? {
                    missing.push(why);
                }
            }
            let available = missing.is_empty();
            if !available {
                if explicit {
                    return Err(Error::usage(format!(
                        "target `{target}` was asked for, but its toolchain is not installed: no {}",
                        missing.join(", no ")
                    ))
                    .help(toolchain.install_hint.clone()));
                }
                self.warnings.push(format!(
                    "toolchain `{target}` is not installed (no {}); its configurations are left out of the default build; to install: {}",
                    missing.join(", no "),
                    toolchain.install_hint
                ));
            }
            let build_types: Vec<String> = if !self.options.build_types.is_empty() {
                self.options.build_types.clone()
            } else if let Some(list) = &self.project.build_types {
                for bt in list {
                    if !toolchain.flags.build_types.contains_key(&bt.value) {
                        return Err(toolchain.unknown_build_type(&bt.value).in_file(bt.location.clone()));
                    }
                }
                list.iter().map(|b| b.value.clone()).collect()
            } else {
                toolchain.build_type_names().into_iter().map(str::to_string).collect()
            };
            for build_type in dedup(build_types) {
                toolchain.check_build_type(&build_type)?;
                let id = self.graph.add_config(Configuration { target: target.clone(), build_type, available });
                out.push((id, toolchain));
            }
        }
        Ok(out)
    }

    /// The targets each unit is built for: its declared list (checked against its
    /// dependencies) or every target all its dependencies support; of the `generated` targets,
    /// those where a system library it needs is not found are left out.
    fn effective_targets(&mut self, generated: &[String]) -> Result<Vec<BTreeSet<String>>> {
        let all: BTreeSet<String> = self.db.names().into_iter().map(str::to_string).collect();
        let mut eff: Vec<BTreeSet<String>> = vec![BTreeSet::new(); self.units.len()];
        for &u in self.units.topo() {
            let unit = &self.units[u];
            let mut supported = all.clone();
            for dep in self.units.deps(u) {
                supported = supported.intersection(&eff[dep.unit.index()]).cloned().collect();
            }
            if matches!(unit.kind, UnitKind::Reactor | UnitKind::WasmBundle) {
                supported.retain(|t| self.db.get(t).is_ok_and(|tc| tc.link.reactor.is_some()));
            }
            let wanted: BTreeSet<String> = supported
                .iter()
                .filter(|t| generated.contains(t))
                .filter(|t| unit.targets.as_ref().is_none_or(|list| list.iter().any(|l| l.value == **t)))
                .cloned()
                .collect();
            let without = self.targets_without_system_libs(u, &wanted)?;
            supported.retain(|t| !without.contains(t));
            let unpacked = self.pack_targets(u, &wanted);
            supported.retain(|t| !unpacked.contains(t));
            eff[u.index()] = match &unit.targets {
                None => supported,
                Some(list) => {
                    for t in list {
                        if !supported.contains(&t.value) {
                            let dep = self
                                .units
                                .deps(u)
                                .iter()
                                .find(|d| !eff[d.unit.index()].contains(&t.value))
                                .map(|d| &self.units[d.unit]);
                            let dep_name = dep.map_or("?", |d| d.name.as_str());
                            let reason = self.why_left_out(u, &t.value, &eff);
                            let why = reason.as_ref().map(|w| format!(" ({})", w.why)).unwrap_or_default();
                            let fix = match reason {
                                Some(w) => w.fix,
                                None => format!("add it to `{dep_name}`"),
                            };
                            return Err(Error::input(format!(
                                "{} `{}` is built for `{}`, but the module `{dep_name}` it depends on does not support `{}`{why}",
                                unit.kind.as_str(),
                                unit.name,
                                t.value,
                                t.value
                            ))
                            .at(t.location.clone())
                            .help(format!("remove `{}` from the targets of `{}`, or {fix}", t.value, unit.name)));
                        }
                    }
                    list.iter().map(|t| t.value.clone()).collect()
                }
            };
        }
        Ok(eff)
    }

    /// Why `u`, or a module it depends on, is left out of `target`, when that is for a
    /// missing system library or a pack without it (`eff`: the targets decided so far).
    fn why_left_out(&self, u: UnitId, target: &str, eff: &[BTreeSet<String>]) -> Option<LeftOut> {
        if let Some(why) = self.left_out.get(&(u, target.to_string())) {
            return Some(why.clone());
        }
        let deps = self.units.deps(u);
        deps.iter()
            .filter(|d| !eff[d.unit.index()].contains(target))
            .find_map(|d| self.why_left_out(d.unit, target, eff))
    }

    /// The tool of `toolchain` with `role` (its compiler or archiver), added on first use: the
    /// resolved command, or the preferred one when the toolchain is not installed (its
    /// configurations are left out of the default build).
    fn tool(&mut self, toolchain: &Toolchain, role: ToolRole) -> ToolId {
        if let Some(id) = self.graph.find_tool(&toolchain.name, role) {
            return id;
        }
        let tool = if role == ToolRole::Compiler { &toolchain.compiler } else { &toolchain.archiver };
        let command = match tool.resolve_with(&|k| options_env(self.options, k), &self.project.requirement_map()) {
            Resolution::Found(r) => r.command,
            Resolution::Missing { .. } => tool.preferred_command(&|k| options_env(self.options, k)),
        };
        let object_flags = if role == ToolRole::Compiler { toolchain.flags.per_object.clone() } else { Vec::new() };
        self.graph.add_tool(Tool { object_flags, ..Tool::new(toolchain.name.clone(), role, command) })
    }

    /// Every package `[spygen.require]` names must be one some toolchain's tools come from.
    fn check_requirement_names(&self) -> Result<()> {
        let known: BTreeSet<&str> = self
            .db
            .iter()
            .flat_map(|t| [&t.compiler, &t.archiver])
            .filter_map(|tool| tool.package.as_ref().map(|p| p.name.as_str()))
            .collect();
        for (name, required) in &self.project.requirements {
            if !known.contains(name.as_str()) {
                let list: Vec<&str> = known.iter().copied().collect();
                let suggestion = crate::suggest::did_you_mean(name, list.iter().copied());
                return Err(Error::input(format!(
                    "`{name}` is not a tool package spygen knows a version of{suggestion}"
                ))
                .at(required.location.clone())
                .help(format!("require one of: {}", list.join(", "))));
            }
        }
        Ok(())
    }

    /// Why `tool` of `toolchain` cannot run here (`None` when it can). A tool installed in a
    /// version the project's `[spygen.require]` rules out is an error at the requirement,
    /// with the install command: the project said what it needs.
    fn missing_tool(&self, toolchain: &Toolchain, tool: &crate::toolchain::Tool) -> Result<Option<String>> {
        let env = |k: &str| options_env(self.options, k);
        let requirement = tool.package.as_ref().and_then(|p| Some((p, self.project.requirements.get(&p.name)?)));
        let tried = match tool.resolve_requiring(&env, requirement.map(|(_, r)| &r.value)) {
            Resolution::Found(_) => return Ok(None),
            Resolution::Missing { tried } => tried,
        };
        if let (Some((package, required)), Resolution::Found(found)) = (requirement, tool.resolve(&env)) {
            let version =
                found.package_version(package).map_or_else(|| "of no known version".into(), |v| v.to_string());
            return Err(Error::input(format!(
                "target `{}` needs {} `{}`, but the {} found is {} {version} ({}); tried: {}",
                toolchain.name,
                package.name,
                required.value,
                tool.role,
                package.name,
                found.program.display(),
                tried.join("; ")
            ))
            .at(required.location.clone())
            .help(package.install.replace("{requirement}", &required.value.text)));
        }
        Ok(Some(format!("{} ({})", tool.role, tried.join("; "))))
    }

    /// Adds the compiler launcher of `toolchain`'s target as a tool, when it has one.
    fn launcher_tool(&mut self, toolchain: &Toolchain) {
        let Some(l) = self.launchers.get(&toolchain.name) else { return };
        self.graph.add_tool(Tool::new(toolchain.name.clone(), ToolRole::Launcher, l.words.clone()));
    }

    /// Settings of `unit` that apply in `config`: overall, then target, then build type.
    fn settings<'u>(unit: &'u Unit, config: &Configuration) -> Vec<&'u Settings> {
        let mut out = vec![&unit.settings];
        if let Some((s, _)) = unit.per_target.get(&config.target) {
            out.push(s);
        }
        if let Some((s, _)) = unit.per_build_type.get(&config.build_type) {
            out.push(s);
        }
        out
    }

    /// The compile flags of `ctx`'s unit: the configuration's (`base`), the unit's defines
    /// and cflags (overall, then target, then build type), then its include flags.
    fn unit_cflags(&mut self, ctx: &UnitConfig, base: FlagSetId, closures: &Closures) -> Result<FlagSetId> {
        let unit = &self.units[ctx.unit];
        let mut words = Vec::new();
        for s in Self::settings(unit, ctx.config) {
            words.extend(s.defines.iter().map(|d| format!("-D{d}")));
        }
        for s in Self::settings(unit, ctx.config) {
            words.extend(s.cflags.iter().cloned());
        }
        let mut parts = vec![FlagPart::Ref(base), FlagPart::Words(words)];
        parts.extend(self.unit_includes(ctx.unit, closures).map(FlagPart::Ref));
        // Most projects have no system library: no closure is walked for them.
        if self.any_system_libs {
            let deps = closures.interfaces(ctx.unit);
            let syslib_cflags = self.system_lib_flags(ctx, std::iter::once(ctx.unit).chain(deps)).cflags;
            if !syslib_cflags.is_empty() {
                parts.push(FlagPart::Words(syslib_cflags));
            }
        }
        let name = format!("cflags.{}.{}", unit.name, ctx.config.name());
        Ok(self.graph.add_flag_set(FlagSet { name, parts }))
    }

    /// The include flags of a unit, the same in every configuration, so defined once and
    /// shared: its private and public include dirs, those of everything it depends on (nearest
    /// first). `None` when there are none. (System libraries' flags depend on the target:
    /// [`Planner::system_lib_flags`].)
    fn unit_includes(&mut self, u: UnitId, closures: &Closures) -> Option<FlagSetId> {
        match self.includes[u.index()] {
            Includes::Unknown => {}
            Includes::None => return None,
            Includes::Set(id) => return Some(id),
        }
        let closure = closures.interfaces(u);
        let unit = &self.units[u];
        let words: Vec<String> = unit.include_dirs.iter().map(|d| format!("-I{}", self.rel(&d.value))).collect();
        let inline: Vec<FlagSetId> =
            std::iter::once(&u).chain(&closure).filter_map(|&d| self.public_includes[d.index()]).collect();
        let id = (!words.is_empty() || !inline.is_empty()).then(|| {
            let mut parts = vec![FlagPart::Words(words)];
            parts.extend(inline.into_iter().map(FlagPart::Inline));
            self.graph.add_flag_set(FlagSet { name: format!("includes.{}", unit.name), parts })
        });
        self.includes[u.index()] = id.map_or(Includes::None, Includes::Set);
        id
    }

    /// A new action of `kind` building `ctx`'s unit in its configuration.
    fn unit_action(&self, kind: ActionKind, ctx: &UnitConfig) -> Action {
        let mut action = Action::new(kind);
        action.config = Some(ctx.config_id);
        action.owner = Some(self.owners[ctx.unit.index()].clone());
        action
    }

    /// Adds the compile action of `src`; returns the object.
    fn compile(&mut self, ctx: &UnitConfig, src: PlannedSource, cc: ToolId, cflags: FlagSetId) -> Result<FileId> {
        let src_file = self.graph.file(src.path);
        let obj_file = self.graph.file_joined(&[&ctx.object_prefix, src.stem, &ctx.toolchain.suffixes.object]);
        let mut action = self.unit_action(ActionKind::Compile, ctx);
        action.tool = Some(cc);
        action.flags = Some(cflags);
        action.inputs.push(src_file);
        action.outputs.push(obj_file);
        self.graph.add_action(action).map_err(|e| {
            let unit = &self.units[ctx.unit];
            e.at(unit.location.clone()).help(format!(
                "two sources of `{}` map to the object {}; rename one",
                unit.name,
                self.graph.path(obj_file)
            ))
        })?;
        Ok(obj_file)
    }
}

/// The error for a path holding `c`, which build files cannot carry (see
/// [`paths::UNSUPPORTED_PATH_CHARACTERS`]).
fn unsupported_path(path: &str, c: char) -> Error {
    Error::input(format!(
        "the path {path} holds `{c}`: ninja cannot read it back from a compiler's depfile (it would rebuild every time) and make reads it as syntax"
    ))
    .help(format!("rename the directory or file; paths in build files cannot hold any of {}", paths::UNSUPPORTED_PATH_CHARACTERS))
}

/// `options`' value of environment variable `key`, as tools look it up.
fn options_env(options: &GenOptions, key: &str) -> Option<String> {
    options.env_var(key)
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    items.into_iter().filter(|i| seen.insert(i.clone())).collect()
}
