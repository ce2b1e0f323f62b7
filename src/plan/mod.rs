//! Planning: the project's units × the wanted configurations become concrete compile, archive
//! and link actions in one `BuildGraph`, with flags propagated along dependencies.

mod aliases;
mod closure;
pub mod launcher;
mod link;
mod sources;
mod syslib;
mod units;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Location, Result};
use crate::fsutil::Stamp;
use crate::graph::{
    Action, ActionKind, BuildGraph, ConfigId, Configuration, FileId, FileList, FlagSet, FlagSetId, Tool, ToolId,
    ToolRole,
};
use crate::lower::make_fragment::FragmentInput;
use crate::manifest::{LoadOptions, Project, Settings, Unit, UnitKind};
use crate::paths;
use crate::toolchain::{Db, FlagOptions, Resolution, Toolchain};

use closure::Closures;
use sources::PlannedSource;
pub use units::Units;

/// The includable make fragment spygen writes in the build directory.
pub const FRAGMENT_FILE: &str = "spygen.mk";

/// What `spygen gen` was asked for.
#[derive(Debug, Clone, Default)]
pub struct GenOptions {
    /// The project directory (holding spy.toml) or the manifest itself.
    pub project_dir: PathBuf,
    /// `--no-spy-toml` and `--extra-vm-module`.
    pub load: LoadOptions,
    /// `--build-dir`, overriding the project's.
    pub build_dir: Option<PathBuf>,
    /// `--target`: only these targets; each must be installed.
    pub targets: Vec<String>,
    /// `--build-type`: only these build types.
    pub build_types: Vec<String>,
    /// Warnings are errors in every compile.
    pub warning_as_error: bool,
    /// The user descriptor directory, passed on to the regeneration command.
    pub toolchain_dir: Option<PathBuf>,
    /// The spygen executable, for the regeneration command.
    pub spygen_exe: PathBuf,
    /// Which build files to write.
    pub format: Format,
    /// Do not write compile_commands.json (`--no-compdb`).
    pub no_compdb: bool,
    /// `--launcher` values (or `$SPYGEN_LAUNCHER`), in order.
    pub launchers: Vec<launcher::LauncherArg>,
    /// `--link-jobs`: the depth of ninja's link pool.
    pub link_jobs: Option<u32>,
    /// Do not check that launcher programs are installed (`spygen graph`, which shows none).
    pub skip_launcher_check: bool,
    /// `--compdb-config`: the configuration compile_commands.json describes.
    pub compdb_config: Option<String>,
    /// The environment variables the generation reads (the tools' overrides the descriptors
    /// name, such as `CC` and `AR`, and pkg-config's), with the values it saw (empty: unset).
    /// Captured once, from the process or, under `--no-env`, from `--env` alone.
    pub env: BTreeMap<String, String>,
}

/// The environment variables pkg-config's answers depend on.
pub const PKG_CONFIG_ENV: [&str; 3] = ["PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR", "PKG_CONFIG_SYSROOT_DIR"];

impl GenOptions {
    /// The value the generation sees for environment variable `name` (`None`: unset or empty).
    pub fn env_var(&self, name: &str) -> Option<String> {
        self.env.get(name).filter(|v| !v.is_empty()).cloned()
    }

    /// The arguments of `spygen` that repeat this generation when run from `build_dir` for the
    /// project in `root`: every option, spelled out, and every environment value it reads
    /// (`--no-env`, then `--env NAME=VALUE` for each one set), with paths relative to the build
    /// directory. They are both the build files' regeneration command and the key of the no-op
    /// record, so nothing that shapes the output can be in one and missing from the other.
    pub fn regen_args(&self, root: &Path, build_dir: &Path) -> Vec<String> {
        let rel = |p: &Path| paths::to_slash(&paths::relative(p, build_dir));
        let mut cmd = vec!["gen".to_string(), rel(root), "--build-dir".into(), ".".into()];
        if self.load.no_spy_toml {
            cmd.push("--no-spy-toml".into());
        }
        for m in &self.load.extra_vm_modules {
            cmd.push("--extra-vm-module".into());
            cmd.push(rel(m));
        }
        for t in &self.targets {
            cmd.push("--target".into());
            cmd.push(t.clone());
        }
        for b in &self.build_types {
            cmd.push("--build-type".into());
            cmd.push(b.clone());
        }
        if self.warning_as_error {
            cmd.push("--warning-as-error".into());
        }
        if self.no_compdb {
            cmd.push("--no-compdb".into());
        }
        if let Some(c) = &self.compdb_config {
            cmd.push("--compdb-config".into());
            cmd.push(c.clone());
        }
        for l in &self.launchers {
            cmd.push("--launcher".into());
            cmd.push(l.to_arg());
        }
        if let Some(n) = self.link_jobs {
            cmd.push("--link-jobs".into());
            cmd.push(n.to_string());
        }
        if self.format != Format::Ninja {
            cmd.push("--format".into());
            cmd.push(self.format.as_str().into());
        }
        if let Some(d) = &self.toolchain_dir {
            cmd.push("--toolchain-dir".into());
            cmd.push(rel(&paths::absolute(d, &paths::current_dir())));
        }
        // The environment as this generation saw it: ninja and make may run with another.
        cmd.push("--no-env".into());
        for (name, value) in self.env.iter().filter(|(_, v)| !v.is_empty()) {
            cmd.push("--env".into());
            cmd.push(format!("{name}={value}"));
        }
        cmd
    }
}

/// The result of planning: the graph plus what the lowerings need around it.
#[derive(Debug)]
pub struct Plan {
    /// The actions of every configuration.
    pub graph: BuildGraph,
    /// Where the build files go (absolute).
    pub build_dir: PathBuf,
    /// Warnings to print (missing toolchains, pkg-config fallbacks).
    pub warnings: Vec<String>,
    /// The spygen command re-running this generation, run from the build dir.
    pub regen_command: Vec<String>,
    /// The project manifest, relative to the build dir, for the header comment.
    pub project_manifest: String,
    /// What `spygen.mk` is made of.
    pub fragment: FragmentInput,
    /// How many links ninja runs at once (the depth of its `link` pool).
    pub link_jobs: u32,
    /// The files and directories whose change re-runs spygen (absolute, sorted), each with its
    /// stamp from before it was read: the inputs of the regeneration action.
    pub regen_inputs: Vec<(PathBuf, Option<Stamp>)>,
}

/// Which build files `spygen gen` writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// `build.ninja` (the default).
    #[default]
    Ninja,
    /// A GNU `Makefile`.
    Make,
    /// Both.
    All,
}

impl Format {
    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Ninja => "ninja",
            Format::Make => "make",
            Format::All => "all",
        }
    }

    /// Every file a generation writes, build files first; all are outputs of regeneration.
    pub fn generated_files(self, compdb: bool) -> Vec<&'static str> {
        let mut files = match self {
            Format::Ninja => vec![NINJA_FILE],
            Format::Make => vec![MAKEFILE],
            Format::All => vec![NINJA_FILE, MAKEFILE],
        };
        files.push(FRAGMENT_FILE);
        if compdb {
            files.push(COMPDB_FILE);
        }
        files
    }
}

/// The ninja build file's name.
pub const NINJA_FILE: &str = "build.ninja";
/// The Makefile's name.
pub const MAKEFILE: &str = "Makefile";
/// The compilation database's name.
pub const COMPDB_FILE: &str = "compile_commands.json";

/// Reads the project `options` name (`spy.toml` unless `--no-spy-toml`, plus
/// `--extra-vm-module`), for [`build_dir`] and [`plan`].
pub fn load_project(options: &GenOptions) -> Result<Project> {
    Project::load(&options.project_dir, &options.load)
}

/// Plans `project` (read by [`load_project`]) for the wanted configurations.
pub fn plan(db: &Db, options: &GenOptions, project: &Project) -> Result<Plan> {
    let build_dir = build_dir(options, project);
    let units = Units::load(project)?;
    let mut planner = Planner {
        db,
        options,
        project,
        units: &units,
        build_dir: build_dir.clone(),
        graph: BuildGraph::new(),
        warnings: Vec::new(),
        inputs: BTreeMap::new(),
        tools: HashMap::new(),
        launchers: std::collections::BTreeMap::new(),
        syslibs: syslib::Cache::new(&options.env),
        unit_dirs: Vec::new(),
        owners: units.units.iter().map(|u| Arc::from(u.name.as_str())).collect(),
        public_includes: Vec::new(),
        includes: vec![None; units.units.len()],
        patterns: crate::manifest::glob::PatternCache::default(),
    };
    planner.unit_dirs = units.units.iter().map(|u| planner.rel(&u.dir)).collect();
    for u in &units.units {
        let words: Vec<String> = u.public_include_dirs.iter().map(|d| format!("-I{}", planner.rel(&d.value))).collect();
        let set =
            (!words.is_empty()).then(|| planner.graph.add_flag_set(FlagSet::new(format!("public.{}", u.name), words)));
        planner.public_includes.push(set);
    }
    planner.check_target_names()?;
    planner.check_include_dirs()?;
    let configs = planner.configurations()?;
    let effective = planner.effective_targets()?;
    let sources = planner.expand_all_sources()?;
    let closures =
        Closures::new(&units, |u| planner.public_includes[u].is_some() || !units.units[u].system_libs.is_empty());
    // Programs link everything they depend on; modules only see their dependencies' interfaces.
    let closure: Vec<Vec<usize>> = (0..units.units.len())
        .map(|u| if units.units[u].kind == UnitKind::Module { Vec::new() } else { closures.all(&units, u) })
        .collect();
    let source_count: usize = sources.iter().map(Vec::len).sum();
    // Per configuration: a source, its object and its compile action for each source file.
    planner.graph.reserve(source_count * (1 + configs.len()), source_count * configs.len());
    let mut outputs_by_unit: Vec<Vec<(ConfigId, FileId)>> = vec![Vec::new(); units.units.len()];
    for (config_id, toolchain) in configs {
        let config = planner.graph.configs[config_id.index()].clone();
        let flag_options =
            FlagOptions { build_type: config.build_type.clone(), warning_as_error: options.warning_as_error };
        let base_cflags = planner
            .graph
            .add_flag_set(FlagSet::new(format!("cflags.{}", config.name()), toolchain.flags.cflags(&flag_options)));
        let base_ldflags = planner
            .graph
            .add_flag_set(FlagSet::new(format!("ldflags.{}", config.name()), toolchain.flags.ldflags(&flag_options)));
        let cc = planner.tool(toolchain, ToolRole::Compiler);
        let ar = planner.tool(toolchain, ToolRole::Archiver);
        planner.launcher_tool(toolchain);
        let mut archives: HashMap<usize, FileId> = HashMap::new();
        for &u in &units.topo {
            let unit = &units.units[u];
            if !effective[u].contains(&config.target) {
                continue;
            }
            let object_prefix = format!("{}/obj/{}/", config.dir(), unit.name);
            let ctx = UnitConfig { unit: u, config: &config, config_id, toolchain, object_prefix };
            if let Some(foreign) = &unit.foreign_make {
                let out = planner.foreign_make(&ctx, foreign, &sources[u])?;
                archives.insert(u, out);
                outputs_by_unit[u].push((config_id, out));
                continue;
            }
            let cflags = planner.unit_cflags(&ctx, base_cflags, &closures)?;
            let extra = planner.extra_sources(u, &config)?;
            let mut objects = Vec::with_capacity(sources[u].len() + extra.len());
            for src in sources[u].iter().chain(&extra) {
                objects.push(planner.compile(&ctx, src, cc, cflags)?);
            }
            if unit.kind == UnitKind::Module {
                if objects.is_empty() {
                    continue;
                }
                let out = planner.graph.file(&format!("{}/{}{}", config.dir(), unit.name, toolchain.suffixes.archive));
                let mut action = planner.unit_action(ActionKind::Archive, &ctx);
                action.tool = Some(ar);
                action.inputs = objects.into();
                action.outputs = FileList::from_slice(&[out]);
                planner.graph.add_action(action)?;
                archives.insert(u, out);
                outputs_by_unit[u].push((config_id, out));
            } else if unit.kind == UnitKind::WasmBundle {
                let out = planner.bundle(&ctx, &closure[u], &archives)?;
                outputs_by_unit[u].push((config_id, out));
            } else {
                let out = planner.link(&ctx, objects, &closure[u], &archives, cc, base_ldflags)?;
                outputs_by_unit[u].push((config_id, out));
            }
        }
    }
    planner.aliases(&outputs_by_unit)?;
    let regen_command = options.regen_args(&project.root, &build_dir);
    let regen_inputs = planner.regeneration()?;
    planner.graph.check_acyclic()?;
    planner.graph.check_text()?;
    // Absolute paths written into build files besides the graph's (spygen.mk, the spygen
    // command): the working directory or an install path could hold anything.
    let runtime_includes = units.runtime.iter().flat_map(|&rt| &units.units[rt].public_include_dirs);
    for path in [&build_dir, &options.spygen_exe].into_iter().chain(runtime_includes.map(|d| &d.value)) {
        match path.to_str() {
            Some(text) if text.chars().any(char::is_control) => {
                return Err(crate::graph::control_character_error("the path", text));
            }
            Some(_) => {}
            None => {
                return Err(Error::input(format!("the path {path:?} is not UTF-8: build files are text"))
                    .help("use a directory whose path is UTF-8"));
            }
        }
    }
    let project_manifest =
        project.manifest.as_ref().map(|m| planner.rel(&m.path)).unwrap_or_else(|| planner.rel(&project.root));
    let fragment = FragmentInput {
        source: project_manifest.clone(),
        include_dirs: units
            .runtime
            .map(|rt| units.units[rt].public_include_dirs.iter().map(|d| d.value.clone()).collect())
            .unwrap_or_default(),
        libdir_base: units.runtime.map(|_| build_dir.clone()),
        warning_as_error: options.warning_as_error,
        launchers: planner.launchers.iter().map(|(t, l)| (t.clone(), l.words.clone())).collect(),
        env: options.env.clone(),
    };
    let link_jobs =
        options.link_jobs.or(project.link_jobs.as_ref().map(|j| j.value)).unwrap_or_else(launcher::default_link_jobs);
    Ok(Plan {
        graph: planner.graph,
        build_dir,
        warnings: planner.warnings,
        regen_command,
        project_manifest,
        fragment,
        link_jobs,
        regen_inputs,
    })
}

/// The build directory `options` ask for: `--build-dir`, else the project's.
pub fn build_dir(options: &GenOptions, project: &Project) -> PathBuf {
    match &options.build_dir {
        Some(d) => paths::absolute(d, &paths::current_dir()),
        None => project.build_dir.clone(),
    }
}

/// One unit in one configuration.
struct UnitConfig<'a> {
    unit: usize,
    config: &'a Configuration,
    config_id: ConfigId,
    toolchain: &'a Toolchain,
    /// `<target>/<build type>/obj/<unit>/`: where its objects go.
    object_prefix: String,
}

struct Planner<'a> {
    db: &'a Db,
    options: &'a GenOptions,
    project: &'a Project,
    units: &'a Units,
    build_dir: PathBuf,
    graph: BuildGraph,
    warnings: Vec<String>,
    /// Files and directories whose change must re-run spygen (absolute), each with its stamp
    /// from before it was first read.
    inputs: BTreeMap<PathBuf, Option<Stamp>>,
    tools: HashMap<(String, bool), ToolId>,
    /// Each generated target's compiler launcher, checked (targets without one are absent).
    launchers: std::collections::BTreeMap<String, launcher::Launcher>,
    syslibs: syslib::Cache,
    /// Each unit's directory relative to the build dir (computed once).
    unit_dirs: Vec<String>,
    /// Each unit's name, shared by its actions.
    owners: Vec<Arc<str>>,
    /// Each unit's `-I` flags for its public include dirs, as a set inlined into its own and
    /// its dependents' include sets (`None`: it has none).
    public_includes: Vec<Option<FlagSetId>>,
    /// Each unit's shared include flag set, once made (`Some(None)`: it has none).
    includes: Vec<Option<Option<FlagSetId>>>,
    /// Source patterns, each compiled once.
    patterns: crate::manifest::glob::PatternCache,
}

impl<'a> Planner<'a> {
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
    fn rel(&self, path: &Path) -> String {
        paths::to_slash(&paths::relative(path, &self.build_dir))
    }

    fn unknown_target(&self, name: &str, at: &Location) -> Error {
        Error::input(format!("unknown target `{name}`; valid targets: {}", self.db.names().join(", ")))
            .at(at.clone())
            .help("use one of those names, or define the target with a descriptor in --toolchain-dir")
    }

    /// Every include directory must be a path build files can carry: the headers found in it
    /// are read back from compilers' depfiles (see [`paths::UNSUPPORTED_PATH_CHARACTERS`]).
    fn check_include_dirs(&self) -> Result<()> {
        for unit in &self.units.units {
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
        for unit in &self.units.units {
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
        launcher::check_arg_targets(self.db, &self.options.launchers)?;
        Ok(())
    }

    /// The configurations to generate, each with its toolchain; adds them to the graph.
    fn configurations(&mut self) -> Result<Vec<(ConfigId, &'a Toolchain)>> {
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
            let project = self.project.manifest.is_some().then_some(self.project);
            if let Some(l) = launcher::for_target(toolchain, project, &self.options.launchers) {
                let l = if self.options.skip_launcher_check { l } else { launcher::resolve(&target, l)? };
                self.launchers.insert(target.clone(), l);
            }
            let missing: Vec<String> = [&toolchain.compiler, &toolchain.archiver]
                .iter()
                .filter_map(|tool| match tool.resolve(&|k| options_env(self.options, k)) {
                    Resolution::Found(_) => None,
                    Resolution::Missing { tried } => Some(format!("{} ({})", tool.role, tried.join("; "))),
                })
                .collect();
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
                        return Err(Error::input(format!(
                            "unknown build type `{}` for target `{target}`; valid build types: {}",
                            bt.value,
                            toolchain.build_type_names().join(", ")
                        ))
                        .at(bt.location.clone()));
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
    /// dependencies) or every target all its dependencies support.
    fn effective_targets(&self) -> Result<Vec<BTreeSet<String>>> {
        let all: BTreeSet<String> = self.db.names().into_iter().map(str::to_string).collect();
        let mut eff: Vec<BTreeSet<String>> = vec![BTreeSet::new(); self.units.units.len()];
        for &u in &self.units.topo {
            let unit = &self.units.units[u];
            let mut supported = all.clone();
            for dep in &self.units.deps[u] {
                supported = supported.intersection(&eff[dep.unit]).cloned().collect();
            }
            if matches!(unit.kind, UnitKind::Reactor | UnitKind::WasmBundle) {
                supported.retain(|t| self.db.get(t).is_ok_and(|tc| tc.link.reactor.is_some()));
            }
            eff[u] = match &unit.targets {
                None => supported,
                Some(list) => {
                    for t in list {
                        if !supported.contains(&t.value) {
                            let dep = self.units.deps[u]
                                .iter()
                                .find(|d| !eff[d.unit].contains(&t.value))
                                .map(|d| &self.units.units[d.unit]);
                            let dep_name = dep.map_or("?", |d| d.name.as_str());
                            return Err(Error::input(format!(
                                "{} `{}` is built for `{}`, but the module `{dep_name}` it depends on does not support `{}`",
                                unit.kind.as_str(),
                                unit.name,
                                t.value,
                                t.value
                            ))
                            .at(t.location.clone())
                            .help(format!("remove `{}` from the targets of `{}`, or add it to `{dep_name}`", t.value, unit.name)));
                        }
                    }
                    list.iter().map(|t| t.value.clone()).collect()
                }
            };
        }
        Ok(eff)
    }

    fn tool(&mut self, toolchain: &Toolchain, role: ToolRole) -> ToolId {
        let key = (toolchain.name.clone(), role == ToolRole::Compiler);
        if let Some(&id) = self.tools.get(&key) {
            return id;
        }
        let tool = if role == ToolRole::Compiler { &toolchain.compiler } else { &toolchain.archiver };
        let command = match tool.resolve(&|k| options_env(self.options, k)) {
            Resolution::Found(r) => r.command,
            Resolution::Missing { .. } => tool.preferred_command(&|k| options_env(self.options, k)),
        };
        let id = self.graph.add_tool(Tool { target: toolchain.name.clone(), role, command });
        self.tools.insert(key, id);
        id
    }

    /// Adds the compiler launcher of `toolchain`'s target as a tool, when it has one.
    fn launcher_tool(&mut self, toolchain: &Toolchain) {
        let Some(l) = self.launchers.get(&toolchain.name) else { return };
        let tool = Tool { target: toolchain.name.clone(), role: ToolRole::Launcher, command: l.words.clone() };
        if !self.graph.tools.contains(&tool) {
            self.graph.add_tool(tool);
        }
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

    fn unit_cflags(&mut self, ctx: &UnitConfig, parent: FlagSetId, closures: &Closures) -> Result<FlagSetId> {
        let unit = &self.units.units[ctx.unit];
        let mut words = Vec::new();
        for s in Self::settings(unit, ctx.config) {
            words.extend(s.defines.iter().map(|d| format!("-D{d}")));
        }
        for s in Self::settings(unit, ctx.config) {
            words.extend(s.cflags.iter().cloned());
        }
        let suffix = self.unit_includes(ctx.unit, closures);
        let name = format!("cflags.{}.{}", unit.name, ctx.config.name());
        Ok(self.graph.add_flag_set(FlagSet { parent: Some(parent), suffix, ..FlagSet::new(name, words) }))
    }

    /// The include flags of a unit, the same in every configuration, so defined once and
    /// shared: its private and public include dirs, those of everything it depends on (nearest
    /// first), and the system libraries' compile flags. `None` when there are none.
    fn unit_includes(&mut self, u: usize, closures: &Closures) -> Option<FlagSetId> {
        if let Some(known) = self.includes[u] {
            return known;
        }
        let closure = closures.interfaces(u);
        let unit = &self.units.units[u];
        let words: Vec<String> = unit.include_dirs.iter().map(|d| format!("-I{}", self.rel(&d.value))).collect();
        let mut inline: Vec<FlagSetId> =
            std::iter::once(&u).chain(&closure).filter_map(|&d| self.public_includes[d]).collect();
        let mut syslib_words = Vec::new();
        for &d in std::iter::once(&u).chain(&closure) {
            for lib in &self.units.units[d].system_libs {
                syslib_words.extend(self.syslibs.flags(lib, &mut self.warnings).cflags);
            }
        }
        if !syslib_words.is_empty() {
            inline.push(self.graph.add_flag_set(FlagSet::new(format!("system-libs.{}", unit.name), syslib_words)));
        }
        let id = (!words.is_empty() || !inline.is_empty()).then(|| {
            self.graph.add_flag_set(FlagSet { inline, ..FlagSet::new(format!("includes.{}", unit.name), words) })
        });
        self.includes[u] = Some(id);
        id
    }

    /// A new action of `kind` building `ctx`'s unit in its configuration.
    fn unit_action(&self, kind: ActionKind, ctx: &UnitConfig) -> Action {
        let mut action = Action::new(kind);
        action.config = Some(ctx.config_id);
        action.owner = Some(self.owners[ctx.unit].clone());
        action
    }

    /// Adds the compile action of `src`; returns the object.
    fn compile(&mut self, ctx: &UnitConfig, src: &PlannedSource, cc: ToolId, cflags: FlagSetId) -> Result<FileId> {
        let suffix = &ctx.toolchain.suffixes.object;
        let mut object = String::with_capacity(ctx.object_prefix.len() + src.stem.len() + suffix.len());
        object.push_str(&ctx.object_prefix);
        object.push_str(&src.stem);
        object.push_str(suffix);
        let src_file = self.graph.file(&src.path);
        let obj_file = self.graph.file(&object);
        let mut action = self.unit_action(ActionKind::Compile, ctx);
        action.tool = Some(cc);
        action.flags = Some(cflags);
        action.inputs.push(src_file);
        action.outputs.push(obj_file);
        self.graph.add_action(action).map_err(|e| {
            let unit = &self.units.units[ctx.unit];
            e.at(unit.location.clone())
                .help(format!("two sources of `{}` map to the object {object}; rename one", unit.name))
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
