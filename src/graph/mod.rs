//! The build graph: files and the actions that produce them, over every configuration, with
//! the tools, flag sets and settings the writers need. It is the closed IR between planning
//! and lowering: the planner builds it, every writer reads only it. Nothing here knows about
//! ninja or make syntax; what each kind of action runs is data ([`command`]), which writers
//! render in their own syntax.
//!
//! Tables are private and read through accessors (`graph.action(id)`, `graph.path(f)`); ids
//! are made only here, so an id always names an entry of the graph that made it.

pub mod command;
mod dag;
mod flags;
mod foreign;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hashbrown::HashTable;

use crate::error::{Error, Result};

pub use command::{CommandTemplate, PORTABLE_PWD, PORTABLE_PWD_ASSIGNMENT, ResponseFileCommand, Var, Word};
pub use dag::{Dag, DagNode, DependencyPath, EdgeKind, Refs, Step};
pub use flags::{FlagPart, FlagSet, ProjectFlagWords, ProjectFlags};
pub use foreign::{DryRun, ForeignCompile};

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u32);
        impl $name {
            /// The position of its entry in the graph's table (for side tables indexed alike).
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }
    };
}

typed_id!(
    /// A file of the graph (source, object, archive, program, manifest, alias).
    FileId
);
typed_id!(
    /// An action of the graph.
    ActionId
);
typed_id!(
    /// A named list of flags, possibly referring to others.
    FlagSetId
);
typed_id!(
    /// A tool command (a toolchain's compiler, archiver or compiler launcher).
    ToolId
);
typed_id!(
    /// A configuration (target × build type).
    ConfigId
);

/// A (target, build type) pair such as (wasi, release).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    /// The target name.
    pub target: String,
    /// The build type name.
    pub build_type: String,
    /// Whether its toolchain is installed here (else it is left out of the default build).
    pub available: bool,
}

impl Configuration {
    /// `wasi-release`: the alias and variable-name form.
    pub fn name(&self) -> String {
        format!("{}-{}", self.target, self.build_type)
    }

    /// `wasi/release`: the output directory, relative to the build dir.
    pub fn dir(&self) -> String {
        format!("{}/{}", self.target, self.build_type)
    }
}

/// What a tool is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToolRole {
    /// Compiles and links.
    Compiler,
    /// Makes static archives.
    Archiver,
    /// Goes before each compile (ccache, distcc); never before archives or links.
    Launcher,
    /// Runs the target's programs (node, wasmtime); native programs run directly, with none.
    Runner,
}

/// A tool command as it appears in build files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// The toolchain (target) it belongs to.
    pub target: String,
    /// Compiler, archiver or launcher.
    pub role: ToolRole,
    /// The command words.
    pub command: Vec<String>,
    /// Words a compiler gets for each object, `{object}` standing for the object's path
    /// (`-frandom-seed={object}`: GCC's LTO objects differ on every compile without it); empty
    /// for other tools.
    pub object_flags: Vec<String>,
}

/// What stands for an object's path in [`Tool::object_flags`].
pub const OBJECT_PLACEHOLDER: &str = "{object}";

impl Tool {
    /// A tool of `role` for `target` running `command`, with no per-object flags.
    pub fn new(target: impl Into<String>, role: ToolRole, command: Vec<String>) -> Tool {
        Tool { target: target.into(), role, command, object_flags: Vec::new() }
    }

    /// `object_flags` for the object `path`.
    pub fn object_flags_for(&self, path: &str) -> impl Iterator<Item = String> + '_ {
        let path = path.to_string();
        self.object_flags.iter().map(move |w| w.replace(OBJECT_PLACEHOLDER, &path))
    }

    /// The build-file variable holding the command: `cc.wasi`, `ar.native`.
    pub fn variable(&self) -> String {
        let role = match self.role {
            ToolRole::Compiler => "cc",
            ToolRole::Archiver => "ar",
            ToolRole::Launcher => "launcher",
            ToolRole::Runner => "runner",
        };
        format!("{role}.{}", self.target)
    }
}

/// What an action does. What it runs is its [`CommandTemplate`] ([`ActionKind::command`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// One source to one object, with a depfile.
    Compile,
    /// Objects to a static archive.
    Archive,
    /// Objects and archives to a program.
    Link,
    /// Objects and archives to a program, every archive member kept (reactors).
    LinkWholeArchive,
    /// A library's own Makefile, run with `make <args>`; restat, so an up-to-date library does
    /// not rebuild what depends on it.
    ForeignMake,
    /// `spygen bundle <args>`: archives to a cached wasi reactor; restat, as the output is
    /// rewritten only when it changes.
    Bundle,
    /// A name for a set of files.
    Phony,
    /// Re-runs spygen when a manifest, descriptor or globbed directory changes.
    Regenerate,
    /// Runs a test program through its target's runner (`spygen test-one`), with a timeout;
    /// its output, a stamp, is written only when the test passes, so a passed test whose
    /// program and command are unchanged does not run again.
    Test,
    /// Writes a module's resolved manifest (`<module>.spymod.json`: include dirs, archives in
    /// link order, flags, exports, the sha256 of every file it names) once its archive and its
    /// dependencies' manifests are built (`spygen spymod`); restat: rewritten only on change.
    ModuleManifest,
}

impl ActionKind {
    /// Every kind, in declaration order.
    pub const ALL: [ActionKind; 10] = [
        ActionKind::Compile,
        ActionKind::Archive,
        ActionKind::Link,
        ActionKind::LinkWholeArchive,
        ActionKind::ForeignMake,
        ActionKind::Bundle,
        ActionKind::Phony,
        ActionKind::Regenerate,
        ActionKind::Test,
        ActionKind::ModuleManifest,
    ];

    /// The kind's name in JSON and in queries: `compile`, `link-whole-archive`...
    pub fn name(self) -> &'static str {
        match self {
            ActionKind::Compile => "compile",
            ActionKind::Archive => "archive",
            ActionKind::Link => "link",
            ActionKind::LinkWholeArchive => "link-whole-archive",
            ActionKind::ForeignMake => "foreign-make",
            ActionKind::Bundle => "bundle",
            ActionKind::Phony => "phony",
            ActionKind::Regenerate => "regenerate",
            ActionKind::Test => "test",
            ActionKind::ModuleManifest => "module-manifest",
        }
    }

    /// What build logs print before the output (`CC wasi/release/obj/m/a.o`).
    pub fn verb(self) -> &'static str {
        match self {
            ActionKind::Compile => "CC",
            ActionKind::Archive => "AR",
            ActionKind::Link | ActionKind::LinkWholeArchive => "LINK",
            ActionKind::ForeignMake => "MAKE",
            ActionKind::Bundle => "BUNDLE",
            ActionKind::Phony => "PHONY",
            ActionKind::Regenerate => "REGEN",
            ActionKind::Test => "TEST",
            ActionKind::ModuleManifest => "SPYMOD",
        }
    }

    /// Whether the action may leave its output untouched when it is already up to date, so
    /// that what depends on it is not rebuilt (ninja's `restat`).
    pub fn restat(self) -> bool {
        matches!(self, ActionKind::ForeignMake | ActionKind::Bundle | ActionKind::ModuleManifest)
    }

    /// The role of the tool actions of this kind run ([`Var::Tool`]), if they run one.
    pub fn tool_role(self) -> Option<ToolRole> {
        match self {
            ActionKind::Compile | ActionKind::Link | ActionKind::LinkWholeArchive => Some(ToolRole::Compiler),
            ActionKind::Archive => Some(ToolRole::Archiver),
            ActionKind::Test => Some(ToolRole::Runner),
            ActionKind::ModuleManifest => Some(ToolRole::Compiler),
            _ => None,
        }
    }

    /// The pool the action runs in: links and bundles take much memory, so they run a few at
    /// a time ([`GraphSettings::link_jobs`]); `None`: any number at once.
    pub fn pool(self) -> Option<&'static str> {
        matches!(self, ActionKind::Link | ActionKind::LinkWholeArchive | ActionKind::Bundle).then_some(LINK_POOL)
    }
}

/// The name of the pool links and bundles run in.
pub const LINK_POOL: &str = "link";

/// A list of files of one action: most actions have one or two, kept inline (no allocation).
pub type FileList = smallvec::SmallVec<[FileId; 4]>;

/// A list of files most actions leave empty (implicit inputs and outputs, order-only inputs):
/// one pointer, no allocation while empty. An action is 128 bytes rather than 192; a large
/// project has 100,000 of them.
pub type RareFileList = thin_vec::ThinVec<FileId>;

/// One action: inputs to outputs, as ninja knows edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// What it does.
    pub kind: ActionKind,
    /// The configuration it belongs to, if any.
    pub config: Option<ConfigId>,
    /// The module or program it builds, if any (shared by all of that unit's actions).
    pub owner: Option<Arc<str>>,
    /// The tool it runs (`Var::Tool`).
    pub tool: Option<ToolId>,
    /// Its flags (`Var::Flags`: cflags for compiles, ldflags for links).
    pub flags: Option<FlagSetId>,
    /// Explicit inputs (`Var::Inputs`, ninja's `$in`), in order.
    pub inputs: FileList,
    /// Implicit inputs: rebuild when they change, not on the command line.
    pub implicit: RareFileList,
    /// Order-only inputs: must exist first.
    pub order_only: RareFileList,
    /// Outputs (`Var::Output` is the first).
    pub outputs: FileList,
    /// Outputs produced as a side effect (emscripten's .wasm next to the .js).
    pub implicit_outputs: RareFileList,
    /// `Var::Args`: the arguments of a foreign make (`-C <dir> TARGET=<t> ...`) or of
    /// `spygen bundle`; empty for other actions.
    pub args: thin_vec::ThinVec<String>,
}

impl Action {
    /// A new action of `kind` with no files.
    pub fn new(kind: ActionKind) -> Action {
        Action {
            kind,
            config: None,
            owner: None,
            tool: None,
            flags: None,
            inputs: FileList::new(),
            implicit: RareFileList::new(),
            order_only: RareFileList::new(),
            outputs: FileList::new(),
            implicit_outputs: RareFileList::new(),
            args: thin_vec::ThinVec::new(),
        }
    }

    /// Every file it reads, explicit, implicit and order-only.
    pub fn all_inputs(&self) -> impl Iterator<Item = FileId> + '_ {
        self.inputs.iter().chain(&self.implicit).chain(&self.order_only).copied()
    }

    /// Every file it writes.
    pub fn all_outputs(&self) -> impl Iterator<Item = FileId> + '_ {
        self.outputs.iter().chain(&self.implicit_outputs).copied()
    }
}

/// A file node. Its path (relative to the build directory, `/`-separated) is in the graph's
/// path arena: [`BuildGraph::path`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct File {
    /// Where its path starts in the arena.
    start: usize,
    /// The path's length in bytes.
    len: u32,
    /// The action producing it; `None` for sources.
    producer: Option<ActionId>,
    /// Whether an action read it while no action produced it (yet).
    read_unproduced: bool,
}

/// What the writers need besides files and actions: how the generation was made and how to
/// repeat it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphSettings {
    /// The build directory (absolute); every path of the graph is relative to it.
    pub build_dir: String,
    /// The project manifest (or directory), relative to the build directory, for headers.
    pub project_manifest: String,
    /// The spygen executable that generated the build files (`Var::Spygen`).
    pub spygen_exe: String,
    /// How many actions of the link pool run at once.
    pub link_jobs: u32,
    /// The configuration compile_commands.json describes (`None`: the first native one).
    pub compdb_config: Option<ConfigId>,
    /// Warnings are errors in every compile (the make fragment's default too).
    pub warning_as_error: bool,
    /// The runtime's public include directories (absolute), for the make fragment; `None`
    /// when the project names no runtime.
    pub runtime_include_dirs: Option<Vec<String>>,
    /// The directory (absolute) holding the runtime archive's `<target>/<build type>/`: the
    /// build dir, or the runtime's own `build/` in SPy's layout.
    pub runtime_lib_root: String,
    /// The environment variables the generation read, with the values it saw (empty: unset).
    pub env: BTreeMap<String, String>,
    /// The tool versions the project requires, by package (`zig`), which the make fragment's
    /// tools meet too.
    pub requirements: crate::toolchain::requirement::Requirements,
    /// The programs' names (their aliases are goals of their own kind; other unit aliases are
    /// modules).
    pub programs: std::collections::BTreeSet<String>,
    /// The configurations whose tests cannot run here, and why.
    pub test_skips: Vec<TestSkip>,
    /// The project's flags for every compile and link of some configurations.
    pub project_flags: ProjectFlags,
    /// Each system library as found for each target, and where its flags came from.
    pub system_libs: Vec<SystemLibUse>,
}

/// A system library's flags for one target, and where they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemLibUse {
    /// The target.
    pub target: String,
    /// The pkg-config package.
    pub package: String,
    /// Where the flags came from (`the host's pkg-config, PKG_CONFIG_PATH="": /usr/.../x.pc`,
    /// `fallback flags`, `the flags given at spy.toml:9:1`).
    pub origin: String,
    /// Compile flags.
    pub cflags: Vec<String>,
    /// Link flags.
    pub libs: Vec<String>,
}

/// Tests of a configuration that cannot run here: its toolchain or its runner is missing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestSkip {
    /// The configuration (`wasi-debug`).
    pub config: String,
    /// The tests, by name.
    pub tests: Vec<String>,
    /// Why, with what to install.
    pub why: String,
}

/// Every configuration's actions in one graph.
#[derive(Debug, Default)]
pub struct BuildGraph {
    /// Configurations, in generation order.
    configs: Vec<Configuration>,
    /// Tools, by id.
    tools: Vec<Tool>,
    /// Each tool by its target and role.
    tool_ids: HashMap<(String, ToolRole), ToolId>,
    /// Flag sets, by id; a set only refers to sets with smaller ids.
    flag_sets: Vec<FlagSet>,
    /// The length in bytes of each set's expanded words, each followed by a space, by set
    /// (computed as the set is added, from those of the sets it names).
    flag_lengths: Vec<usize>,
    /// Files, by id.
    files: Vec<File>,
    /// Actions, by id, in the order they were planned.
    actions: Vec<Action>,
    /// Each action's kind, by id: the writers look for the few actions of a kind (aliases, the
    /// regeneration) without reading every action (13 MB at 100,000 compiles).
    kinds: Vec<ActionKind>,
    /// How many compile actions use each flag set, by set.
    compiles_by_flags: Vec<u32>,
    /// Files built by default (ninja's `default`, make's `all`).
    defaults: Vec<FileId>,
    /// Every file path, back to back (one allocation, not one per file).
    paths: String,
    /// The files by path: each entry is (hash of the path, id); the path itself is the arena's.
    /// 8 bytes an entry: the table's pages are written as it grows, and each new page costs
    /// (a 10,000-source generation's table is 300 KB rather than 560).
    file_ids: HashTable<(u32, FileId)>,
    /// How the generation was made.
    settings: GraphSettings,
    /// What the dry runs of foreign make actions found, by action (see [`DryRun`]).
    dry_runs: HashMap<ActionId, DryRun>,
    /// The actions with an argument that may hold a control character, for [`Self::check_text`].
    suspect_args: Vec<ActionId>,
    /// Whether an action produces a file an earlier action (or itself) reads: the actions are
    /// not in dependency order, and only sorting them tells whether there is a cycle.
    out_of_order: bool,
}

impl BuildGraph {
    /// An empty graph.
    pub fn new() -> BuildGraph {
        BuildGraph::default()
    }

    // ---- building ----

    /// Adds a configuration.
    pub fn add_config(&mut self, config: Configuration) -> ConfigId {
        self.configs.push(config);
        ConfigId(self.configs.len() as u32 - 1)
    }

    /// Adds a tool; a tool of the same target and role is kept as it was, and its id returned.
    pub fn add_tool(&mut self, tool: Tool) -> ToolId {
        let key = (tool.target.clone(), tool.role);
        if let Some(&id) = self.tool_ids.get(&key) {
            return id;
        }
        self.tools.push(tool);
        let id = ToolId(self.tools.len() as u32 - 1);
        self.tool_ids.insert(key, id);
        id
    }

    /// Adds a flag set; it may only refer to sets already added.
    pub fn add_flag_set(&mut self, set: FlagSet) -> FlagSetId {
        let id = FlagSetId(self.flag_sets.len() as u32);
        debug_assert!(set.referenced().all(|r| r < id), "flag set {} refers to a later set", set.name);
        let length = set.parts.iter().map(|p| self.flag_part_length(p)).sum();
        self.flag_lengths.push(length);
        self.compiles_by_flags.push(0);
        self.flag_sets.push(set);
        id
    }

    /// The file with this path, created on first use.
    pub fn file(&mut self, path: &str) -> FileId {
        self.file_joined(&[path])
    }

    /// The file whose path is `parts` joined, created on first use. The path is spelled at the
    /// end of the arena, where a new file keeps it: no string of its own is made (one per
    /// object in a large project) only to be copied and dropped.
    pub fn file_joined(&mut self, parts: &[&str]) -> FileId {
        let start = self.paths.len();
        for part in parts {
            self.paths.push_str(part);
        }
        let path = &self.paths[start..];
        let hash = hash_path(path);
        let files = &self.files;
        let entry = self.file_ids.entry(
            spread(hash),
            |&(h, id)| h == hash && arena_path(&self.paths, &files[id.index()]) == path,
            |&(h, _)| spread(h),
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => {
                let id = e.get().1;
                self.paths.truncate(start);
                id
            }
            hashbrown::hash_table::Entry::Vacant(e) => {
                let id = FileId(self.files.len() as u32);
                e.insert((hash, id));
                let len = (self.paths.len() - start) as u32;
                self.files.push(File { start, len, producer: None, read_unproduced: false });
                id
            }
        }
    }

    /// Adds an action; a file with two producers is an error naming it.
    pub fn add_action(&mut self, action: Action) -> Result<ActionId> {
        let id = ActionId(self.actions.len() as u32);
        for f in action.all_inputs() {
            let file = &mut self.files[f.index()];
            file.read_unproduced |= file.producer.is_none();
        }
        for f in action.all_outputs() {
            let file = &mut self.files[f.index()];
            if file.producer.is_some() {
                return Err(Error::input(format!("two actions produce {}", arena_path(&self.paths, file)))
                    .help("give the modules, programs or sources distinct names"));
            }
            // Read by an earlier action (or this one): the actions are not in dependency order.
            self.out_of_order |= file.read_unproduced;
            file.producer = Some(id);
        }
        if action.args.iter().any(|a| may_hold_control_characters(a)) {
            self.suspect_args.push(id);
        }
        if let (ActionKind::Compile, Some(flags)) = (action.kind, action.flags) {
            self.compiles_by_flags[flags.index()] += 1;
        }
        self.kinds.push(action.kind);
        self.actions.push(action);
        Ok(id)
    }

    /// Records what the dry run of foreign make `action` found: `outputs` (paths relative to
    /// the build dir) become files it produces, except a path another action produces already
    /// or that an action reads (a dry run only adds to the graph, never contradicts it); and
    /// its `compiles`.
    pub fn add_dry_run(&mut self, action: ActionId, outputs: &[String], compiles: Vec<ForeignCompile>) {
        let mut files = Vec::new();
        for path in outputs {
            if self.find_file(path).is_some() {
                continue;
            }
            let f = self.file(path);
            self.files[f.index()].producer = Some(action);
            files.push(f);
        }
        self.dry_runs.insert(action, DryRun { outputs: files, compiles });
    }

    /// Sets the files built by default.
    pub fn set_defaults(&mut self, defaults: Vec<FileId>) {
        self.defaults = defaults;
    }

    /// Sets how the generation was made.
    pub fn set_settings(&mut self, settings: GraphSettings) {
        self.settings = settings;
    }

    // ---- reading ----

    /// The configurations, in generation order.
    pub fn configs(&self) -> impl ExactSizeIterator<Item = (ConfigId, &Configuration)> + Clone {
        self.configs.iter().enumerate().map(|(i, c)| (ConfigId(i as u32), c))
    }

    /// A configuration.
    pub fn config(&self, id: ConfigId) -> &Configuration {
        &self.configs[id.index()]
    }

    /// How many configurations there are.
    pub fn config_count(&self) -> usize {
        self.configs.len()
    }

    /// The configuration called `name` (such as `wasi-debug`); an unknown name is a usage error
    /// listing the valid ones.
    pub fn find_config(&self, name: &str) -> Result<ConfigId> {
        match self.configs().find(|(_, c)| c.name() == name) {
            Some((id, _)) => Ok(id),
            None => {
                let names: Vec<String> = self.configs.iter().map(|c| c.name()).collect();
                Err(Error::usage(format!(
                    "unknown configuration `{name}`; valid configurations: {}{}",
                    if names.is_empty() { "none".to_string() } else { names.join(", ") },
                    crate::suggest::did_you_mean(name, names.iter().map(String::as_str))
                ))
                .help(
                    "use one of those names (target-buildtype); --target and --build-type, or the \
                     project's `targets` and `build-types`, decide which exist",
                ))
            }
        }
    }

    /// The configuration a compilation database describes when none is asked for: the first
    /// whose target is `native`, else the first; `None` when the graph has no configuration.
    pub fn default_compdb_config(&self) -> Option<ConfigId> {
        let index = self.configs.iter().position(|c| c.target == "native").unwrap_or(0);
        (index < self.configs.len()).then_some(ConfigId(index as u32))
    }

    /// The tools, in the order they were added.
    pub fn tools(&self) -> impl Iterator<Item = (ToolId, &Tool)> {
        self.tools.iter().enumerate().map(|(i, t)| (ToolId(i as u32), t))
    }

    /// A tool.
    pub fn tool(&self, id: ToolId) -> &Tool {
        &self.tools[id.index()]
    }

    /// The tool of `target` with `role`, if the graph has one.
    pub fn find_tool(&self, target: &str, role: ToolRole) -> Option<ToolId> {
        self.tool_ids.get(&(target.to_string(), role)).copied()
    }

    /// The compiler launcher of `target`'s compiles, if it has one.
    pub fn launcher(&self, target: &str) -> Option<&Tool> {
        self.find_tool(target, ToolRole::Launcher).map(|id| self.tool(id))
    }

    /// The targets that have tools in the graph, in the order their tools were added.
    pub fn targets(&self) -> Vec<&str> {
        let mut targets: Vec<&str> = Vec::new();
        for tool in &self.tools {
            if !targets.contains(&tool.target.as_str()) {
                targets.push(&tool.target);
            }
        }
        targets
    }

    /// A flag set.
    pub fn flag_set(&self, id: FlagSetId) -> &FlagSet {
        &self.flag_sets[id.index()]
    }

    /// How many flag sets there are (for side tables indexed by [`FlagSetId::index`]).
    pub fn flag_set_count(&self) -> usize {
        self.flag_sets.len()
    }

    /// The flag sets, in the order they were added (each after the sets it refers to).
    pub fn flag_sets(&self) -> impl Iterator<Item = (FlagSetId, &FlagSet)> {
        self.flag_sets.iter().enumerate().map(|(i, s)| (FlagSetId(i as u32), s))
    }

    /// How many files there are (for side tables indexed by [`FileId::index`]).
    pub fn file_count(&self) -> usize {
        self.files.len()
    }

    /// Every file, in the order they were first named.
    pub fn file_ids(&self) -> impl ExactSizeIterator<Item = FileId> + use<> {
        (0..self.files.len() as u32).map(FileId)
    }

    /// The path of a file.
    pub fn path(&self, f: FileId) -> &str {
        arena_path(&self.paths, &self.files[f.index()])
    }

    /// Looks a file up by path.
    pub fn find_file(&self, path: &str) -> Option<FileId> {
        let hash = hash_path(path);
        self.file_ids.find(spread(hash), |&(h, id)| h == hash && self.path(id) == path).map(|&(_, id)| id)
    }

    /// The action writing `f`; `None` for a source.
    pub fn producer(&self, f: FileId) -> Option<ActionId> {
        self.files[f.index()].producer
    }

    /// An action.
    pub fn action(&self, id: ActionId) -> &Action {
        &self.actions[id.index()]
    }

    /// How many actions there are (for side tables indexed by [`ActionId::index`]).
    pub fn action_count(&self) -> usize {
        self.actions.len()
    }

    /// The actions, in the order they were planned.
    pub fn actions(&self) -> impl ExactSizeIterator<Item = (ActionId, &Action)> + Clone {
        self.actions.iter().enumerate().map(|(i, a)| (ActionId(i as u32), a))
    }

    /// The actions of `kind`, in the order they were planned (found without reading the others).
    pub fn actions_of(&self, kind: ActionKind) -> impl Iterator<Item = (ActionId, &Action)> + Clone {
        let ids = self.kinds.iter().enumerate().filter(move |(_, k)| **k == kind);
        ids.map(|(i, _)| (ActionId(i as u32), &self.actions[i]))
    }

    /// How many compile actions use each flag set, by set.
    pub fn compiles_by_flags(&self) -> &[u32] {
        &self.compiles_by_flags
    }

    /// What the dry run of foreign make `action` found, when one ran (at generation).
    pub fn dry_run(&self, action: ActionId) -> Option<&DryRun> {
        self.dry_runs.get(&action)
    }

    /// The files built by default (aliases such as `native-debug`).
    pub fn defaults(&self) -> &[FileId] {
        &self.defaults
    }

    /// How the generation was made.
    pub fn settings(&self) -> &GraphSettings {
        &self.settings
    }

    /// The name of the configuration of `action`, when it has one.
    pub fn config_name(&self, action: &Action) -> Option<String> {
        action.config.map(|c| self.config(c).name())
    }

    /// The target of the tool `action` runs (`""`: it runs none).
    pub fn tool_target(&self, action: &Action) -> &str {
        action.tool.map(|t| self.tool(t).target.as_str()).unwrap_or_default()
    }

    // ---- checks ----

    /// Checks the graph is acyclic. The planner adds actions dependencies first, so every input
    /// is a source or the output of an earlier action: when that holds (noted as actions are
    /// added, see `out_of_order`) there can be no cycle. Otherwise the petgraph index
    /// ([`BuildGraph::dag`]) sorts the graph and names a file or action on the cycle.
    pub fn check_acyclic(&self) -> Result<()> {
        if self.out_of_order { self.dag().check_acyclic(self) } else { Ok(()) }
    }

    /// Checks that no path, flag, tool word or action argument holds a control character:
    /// build files are lines of text, and no escaping makes a line break safe in ninja or make.
    /// Inputs are checked where they are read, with their location; this is the last line of
    /// defence, naming the text at fault.
    pub fn check_text(&self) -> Result<()> {
        // Bytes first (thousands of words), characters only on a hit.
        let bad = |text: &str| may_hold_control_characters(text) && text.chars().any(char::is_control);
        // The arena at once, in bytes (fast at 100,000 paths); the file at fault only on a hit.
        if may_hold_control_characters(&self.paths)
            && let Some(f) = self.file_ids().find(|&f| bad(self.path(f)))
        {
            return Err(control_character_error("the path", self.path(f)));
        }
        let words = self.flag_sets.iter().flat_map(|s| s.own_words());
        let words = words.chain(self.tools.iter().flat_map(|t| &t.command));
        // Only actions whose arguments looked suspect when added (a pass over every action
        // would read 13 MB at 100,000 compiles).
        let words = words.chain(self.suspect_args.iter().flat_map(|a| &self.actions[a.index()].args));
        let settings = &self.settings;
        let mut words = words.chain(settings.runtime_include_dirs.iter().flatten());
        if let Some(w) = words.find(|w| bad(w)) {
            return Err(control_character_error("the command word", w));
        }
        for path in [&settings.build_dir, &settings.spygen_exe] {
            if bad(path) {
                return Err(control_character_error("the path", path));
            }
        }
        Ok(())
    }
}

/// A file's path in the arena.
fn arena_path<'p>(paths: &'p str, file: &File) -> &'p str {
    &paths[file.start..file.start + file.len as usize]
}

/// Whether `text` may hold a control character: a byte below 0x20, DEL, or 0xC2 (which starts
/// the control characters U+0080 to U+009F, and others). Fast on megabytes: blocks of bytes are
/// tested without branching, which the compiler turns into vector instructions.
pub fn may_hold_control_characters(text: &str) -> bool {
    text.as_bytes()
        .chunks(64)
        .any(|block| block.iter().fold(false, |hit, &b| hit | (b < 0x20) | (b == 0x7f) | (b == 0xc2)))
}

/// The error for `text` (a path or a word) holding a control character.
pub fn control_character_error(what: &str, text: &str) -> Error {
    Error::input(format!("{what} {text:?} holds a control character: no build file can carry it"))
        .help("rename the file or fix the flag: a line break or other control character would break or inject lines of build.ninja and the Makefile")
}

/// The hash of a path for interning: foldhash, a word at a time (paths are trusted, so no
/// protection against chosen collisions is needed; with the byte-at-a-time FNV-1a it replaces,
/// generating the 100k benchmark took about 4 ms more, 2%).
fn hash_path(path: &str) -> u32 {
    use std::hash::BuildHasher;
    let hash = foldhash::fast::FixedState::with_seed(0).hash_one(path.as_bytes());
    (hash ^ (hash >> 32)) as u32
}

/// A path's 32-bit hash as the table wants it, 64 bits whose top bits (which pick an entry's
/// tag) depend on all 32: multiplied by 2^64 over the golden ratio.
fn spread(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9e37_79b9_7f4a_7c15)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_producers_of_one_file_is_an_error() {
        let mut g = BuildGraph::new();
        let out = g.file("a.o");
        let mut a = Action::new(ActionKind::Compile);
        a.outputs.push(out);
        g.add_action(a.clone()).unwrap();
        let err = g.add_action(a).unwrap_err();
        assert!(err.message.contains("two actions produce a.o"));
    }

    #[test]
    fn a_dry_run_adds_the_outputs_it_found_but_never_takes_a_file_the_graph_has() {
        let mut g = BuildGraph::new();
        let (source, other) = (g.file("../lib/a.c"), g.file("out/lib.a"));
        let mut make = Action::new(ActionKind::ForeignMake);
        make.implicit.push(source);
        let make = g.add_action(make).unwrap();
        let mut archive = Action::new(ActionKind::Archive);
        archive.outputs.push(other);
        let archive = g.add_action(archive).unwrap();
        g.add_dry_run(make, &["out/a.o".into(), "../lib/a.c".into(), "out/lib.a".into()], Vec::new());
        let found: Vec<&str> = g.dry_run(make).unwrap().outputs.iter().map(|&f| g.path(f)).collect();
        assert_eq!(found, ["out/a.o"]);
        assert_eq!(g.producer(g.find_file("out/a.o").unwrap()), Some(make));
        assert_eq!(g.producer(other), Some(archive));
        assert_eq!(g.producer(source), None);
        assert!(g.dry_run(archive).is_none());
    }

    #[test]
    fn a_control_character_in_a_path_or_word_is_an_error_naming_it() {
        let mut g = BuildGraph::new();
        g.file("ok.c");
        assert!(g.check_text().is_ok());
        g.file("é.c");
        assert!(g.check_text().is_ok(), "non-ASCII text is fine");
        g.file("a\nb.c");
        let err = g.check_text().unwrap_err();
        assert!(err.message.contains(r#""a\nb.c""#), "{err}");
        let mut g = BuildGraph::new();
        g.add_flag_set(FlagSet::words("f", vec!["-DX=\u{85}".into()]));
        assert!(g.check_text().unwrap_err().message.contains("command word"));
        // An action's arguments (a module manifest's), among actions with none.
        let mut g = BuildGraph::new();
        for (i, args) in [vec![], vec!["--module".to_string(), "é".to_string()], vec![]].into_iter().enumerate() {
            let mut action = Action::new(ActionKind::ModuleManifest);
            action.outputs.push(g.file(&format!("m{i}.json")));
            action.args = args.into();
            g.add_action(action).unwrap();
        }
        assert!(g.check_text().is_ok());
        let mut action = Action::new(ActionKind::ModuleManifest);
        action.outputs.push(g.file("bad.json"));
        action.args = vec!["--export=f\u{85}".to_string()].into();
        g.add_action(action).unwrap();
        let err = g.check_text().unwrap_err();
        assert!(err.message.contains(r#"command word "--export=f\u{85}""#), "{err}");
    }

    #[test]
    fn a_tool_is_kept_once_per_target_and_role() {
        let mut g = BuildGraph::new();
        let tool = |command: &str| Tool::new("wasi", ToolRole::Compiler, vec![command.into()]);
        let cc = g.add_tool(tool("zig"));
        assert_eq!(g.add_tool(tool("other")), cc);
        assert_eq!(g.tool(cc).command, ["zig"]);
        assert_eq!(g.find_tool("wasi", ToolRole::Compiler), Some(cc));
        assert_eq!(g.find_tool("wasi", ToolRole::Archiver), None);
    }

    #[test]
    fn an_unknown_configuration_is_a_usage_error_listing_the_valid_ones() {
        let mut g = BuildGraph::new();
        for bt in ["debug", "release"] {
            g.add_config(Configuration { target: "native".into(), build_type: bt.into(), available: true });
        }
        let err = g.find_config("wasi-debug").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.message.contains("valid configurations: native-debug, native-release"), "{err}");
        assert!(err.help.is_some());
        assert_eq!(g.config(g.find_config("native-release").unwrap()).build_type, "release");
    }
}
