//! The build graph: files and the actions that produce them, over every configuration, as a
//! petgraph DAG. Lowerings read it; nothing here knows about ninja or make syntax.

use std::sync::Arc;

use hashbrown::HashTable;
use petgraph::algo::toposort;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::error::{Error, Result};

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub u32);
        impl $name {
            /// The index into the graph's table.
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
    /// A named list of flags, possibly extending another.
    FlagSetId
);
typed_id!(
    /// A tool command (a toolchain's compiler or archiver).
    ToolId
);
typed_id!(
    /// A configuration (target × build type).
    ConfigId
);

/// FNV-1a: paths are short and trusted, so a simple hash beats SipHash for interning them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for &b in bytes {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolRole {
    /// Compiles and links.
    Compiler,
    /// Makes static archives.
    Archiver,
    /// Goes before each compile (ccache, distcc); never before archives or links.
    Launcher,
}

/// A tool command as it appears in build files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tool {
    /// The toolchain (target) it belongs to.
    pub target: String,
    /// Compiler or archiver.
    pub role: ToolRole,
    /// The command words.
    pub command: Vec<String>,
}

impl Tool {
    /// The build-file variable holding the command: `cc.wasi`, `ar.native`.
    pub fn variable(&self) -> String {
        let role = match self.role {
            ToolRole::Compiler => "cc",
            ToolRole::Archiver => "ar",
            ToolRole::Launcher => "launcher",
        };
        format!("{role}.{}", self.target)
    }
}

/// A named list of flags; `parent`'s flags come first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagSet {
    /// Unique name, e.g. `cflags.tinyenc.wasi-release`.
    pub name: String,
    /// Flags this set extends (they come before `words`).
    pub parent: Option<FlagSetId>,
    /// The flags, unquoted.
    pub words: Vec<String>,
    /// Sets whose words follow `words`, spelled out rather than referenced: a unit's include
    /// flags are its dependencies' public ones, each kept once in its own set and copied into
    /// every dependent's when written. They have no parent, suffix or inline sets of their own.
    pub inline: Vec<FlagSetId>,
    /// Flags shared with other sets that come after `words` (a unit's include dirs, the same
    /// in every configuration).
    pub suffix: Option<FlagSetId>,
}

impl FlagSet {
    /// A set of `words` named `name`, extending nothing; struct update syntax adds the rest.
    pub fn new(name: impl Into<String>, words: Vec<String>) -> FlagSet {
        FlagSet { name: name.into(), parent: None, words, inline: Vec::new(), suffix: None }
    }
}

/// What an action does.
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
}

/// A list of files of one action: most actions have one or two, kept inline (no allocation).
pub type FileList = smallvec::SmallVec<[FileId; 4]>;

/// One action: inputs to outputs, as ninja knows edges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// What it does.
    pub kind: ActionKind,
    /// The configuration it belongs to, if any.
    pub config: Option<ConfigId>,
    /// The module or program it builds, if any (shared by all of that unit's actions).
    pub owner: Option<Arc<str>>,
    /// The tool it runs.
    pub tool: Option<ToolId>,
    /// Its flags (cflags for compiles, ldflags for links).
    pub flags: Option<FlagSetId>,
    /// Explicit inputs (`$in`), in order.
    pub inputs: FileList,
    /// Implicit inputs: rebuild when they change, not on the command line.
    pub implicit: FileList,
    /// Order-only inputs: must exist first.
    pub order_only: FileList,
    /// Outputs (`$out`).
    pub outputs: FileList,
    /// Outputs produced as a side effect (emscripten's .wasm next to the .js).
    pub implicit_outputs: FileList,
    /// Arguments of a foreign make (`-C <dir> TARGET=<t> ...`) or of spygen (`bundle ...`);
    /// empty for other actions.
    pub args: Vec<String>,
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
            implicit: FileList::new(),
            order_only: FileList::new(),
            outputs: FileList::new(),
            implicit_outputs: FileList::new(),
            args: Vec::new(),
        }
    }
}

/// A file node. Its path (relative to the build directory, `/`-separated) is in the graph's
/// path arena: [`BuildGraph::path`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Where its path starts in the arena.
    start: usize,
    /// The path's length in bytes.
    len: u32,
    /// The action producing it; `None` for sources.
    pub producer: Option<ActionId>,
}

/// A node of the petgraph view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// A file.
    File(FileId),
    /// An action.
    Action(ActionId),
}

/// How a file feeds an action (or an action produces a file).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// On the command line.
    Explicit,
    /// A dependency not on the command line.
    Implicit,
    /// Must exist before, changes do not matter.
    OrderOnly,
    /// The action writes the file.
    Output,
}

/// Every configuration's actions in one DAG.
#[derive(Debug, Default)]
pub struct BuildGraph {
    /// Configurations, in generation order.
    pub configs: Vec<Configuration>,
    /// Tools, by id.
    pub tools: Vec<Tool>,
    /// Flag sets, by id; a parent always has a smaller id than its children.
    pub flag_sets: Vec<FlagSet>,
    /// Files, by id.
    pub files: Vec<File>,
    /// Actions, by id, in the order they were planned.
    pub actions: Vec<Action>,
    /// Files built by default (ninja's `default`, make's `all`).
    pub defaults: Vec<FileId>,
    /// Every file path, back to back (one allocation, not one per file).
    paths: String,
    /// The files by path: each entry is (hash of the path, id); the path itself is the arena's.
    file_ids: HashTable<(u64, FileId)>,
    dag: DiGraph<Node, Edge>,
    file_nodes: Vec<NodeIndex>,
}

impl BuildGraph {
    /// An empty graph.
    pub fn new() -> BuildGraph {
        BuildGraph::default()
    }

    /// Makes room for about `files` files and `actions` actions, sparing rehashing and
    /// regrowth when the size is known up front.
    pub fn reserve(&mut self, files: usize, actions: usize) {
        self.files.reserve(files);
        self.paths.reserve(files * 40);
        self.file_ids.reserve(files, |&(hash, _)| hash);
        self.file_nodes.reserve(files);
        self.actions.reserve(actions);
        self.dag.reserve_nodes(files + actions);
        self.dag.reserve_edges(files + 2 * actions);
    }

    /// Adds a configuration.
    pub fn add_config(&mut self, config: Configuration) -> ConfigId {
        self.configs.push(config);
        ConfigId(self.configs.len() as u32 - 1)
    }

    /// Adds a tool.
    pub fn add_tool(&mut self, tool: Tool) -> ToolId {
        self.tools.push(tool);
        ToolId(self.tools.len() as u32 - 1)
    }

    /// Adds a flag set.
    pub fn add_flag_set(&mut self, set: FlagSet) -> FlagSetId {
        self.flag_sets.push(set);
        FlagSetId(self.flag_sets.len() as u32 - 1)
    }

    /// The file with this path, created on first use.
    pub fn file(&mut self, path: &str) -> FileId {
        let hash = hash_path(path);
        let (files, paths) = (&self.files, &self.paths);
        let entry = self.file_ids.entry(
            hash,
            |&(h, id)| h == hash && arena_path(paths, &files[id.index()]) == path,
            |&(h, _)| h,
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => e.get().1,
            hashbrown::hash_table::Entry::Vacant(e) => {
                let id = FileId(self.files.len() as u32);
                e.insert((hash, id));
                let start = self.paths.len();
                self.paths.push_str(path);
                self.files.push(File { start, len: path.len() as u32, producer: None });
                self.file_nodes.push(self.dag.add_node(Node::File(id)));
                id
            }
        }
    }

    /// Looks a file up by path.
    pub fn find_file(&self, path: &str) -> Option<FileId> {
        let hash = hash_path(path);
        self.file_ids.find(hash, |&(h, id)| h == hash && self.path(id) == path).map(|&(_, id)| id)
    }

    /// Adds an action; a file with two producers is an error naming it.
    pub fn add_action(&mut self, action: Action) -> Result<ActionId> {
        let id = ActionId(self.actions.len() as u32);
        let node = self.dag.add_node(Node::Action(id));
        for (files, edge) in [
            (&action.inputs, Edge::Explicit),
            (&action.implicit, Edge::Implicit),
            (&action.order_only, Edge::OrderOnly),
        ] {
            for f in files {
                self.dag.add_edge(self.file_nodes[f.index()], node, edge);
            }
        }
        for &f in action.outputs.iter().chain(&action.implicit_outputs) {
            let file = &mut self.files[f.index()];
            if file.producer.is_some() {
                return Err(Error::input(format!("two actions produce {}", arena_path(&self.paths, file)))
                    .help("give the modules, programs or sources distinct names"));
            }
            file.producer = Some(id);
            self.dag.add_edge(node, self.file_nodes[f.index()], Edge::Output);
        }
        self.actions.push(action);
        Ok(id)
    }

    /// Checks the graph is acyclic.
    pub fn check_acyclic(&self) -> Result<()> {
        toposort(&self.dag, None).map(|_| ()).map_err(|cycle| {
            let what = match self.dag[cycle.node_id()] {
                Node::File(f) => self.path(f).to_string(),
                Node::Action(a) => format!("an action producing {}", self.action_label(a)),
            };
            Error::input(format!("the build graph has a cycle through {what}"))
        })
    }

    fn action_label(&self, a: ActionId) -> String {
        let action = &self.actions[a.index()];
        action.outputs.first().map(|&f| self.path(f).to_string()).unwrap_or_default()
    }

    /// Checks that no path, flag, tool word or action argument holds a control character:
    /// build files are lines of text, and no escaping makes a line break safe in ninja or make.
    /// Inputs are checked where they are read, with their location; this is the last line of
    /// defence, naming the text at fault.
    pub fn check_text(&self) -> Result<()> {
        let bad = |text: &str| text.chars().any(char::is_control);
        // The arena at once, in bytes (fast at 100,000 paths); the file at fault only on a hit.
        if may_hold_control_characters(&self.paths)
            && let Some(f) = (0..self.files.len()).map(|i| FileId(i as u32)).find(|&f| bad(self.path(f)))
        {
            return Err(control_character_error("the path", self.path(f)));
        }
        let words = self.flag_sets.iter().flat_map(|s| &s.words);
        let words = words.chain(self.tools.iter().flat_map(|t| &t.command));
        let mut words = words.chain(self.actions.iter().flat_map(|a| &a.args));
        match words.find(|w| bad(w)) {
            Some(w) => Err(control_character_error("the command word", w)),
            None => Ok(()),
        }
    }

    /// The petgraph view: file and action nodes, input and output edges.
    pub fn dag(&self) -> &DiGraph<Node, Edge> {
        &self.dag
    }

    /// A flag set's words with its ancestors' first.
    pub fn expand_flags(&self, id: FlagSetId) -> Vec<String> {
        let set = &self.flag_sets[id.index()];
        let mut words = set.parent.map(|p| self.expand_flags(p)).unwrap_or_default();
        words.extend(set.words.iter().cloned());
        for &i in &set.inline {
            words.extend(self.expand_flags(i));
        }
        if let Some(s) = set.suffix {
            words.extend(self.expand_flags(s));
        }
        words
    }

    /// The compiler launcher of `target`'s compiles, if it has one.
    pub fn launcher(&self, target: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.role == ToolRole::Launcher && t.target == target)
    }

    /// The path of a file.
    pub fn path(&self, f: FileId) -> &str {
        arena_path(&self.paths, &self.files[f.index()])
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

fn hash_path(path: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = Fnv::default();
    h.write(path.as_bytes());
    h.finish()
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
    fn a_cycle_is_detected() {
        let mut g = BuildGraph::new();
        let (x, y) = (g.file("x"), g.file("y"));
        let mut a = Action::new(ActionKind::Phony);
        a.inputs.push(x);
        a.outputs.push(y);
        g.add_action(a).unwrap();
        assert!(g.check_acyclic().is_ok());
        let mut b = Action::new(ActionKind::Phony);
        b.inputs.push(y);
        b.outputs.push(x);
        g.add_action(b).unwrap();
        assert!(g.check_acyclic().unwrap_err().message.contains("cycle"));
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
        g.add_flag_set(FlagSet::new("f", vec!["-DX=\u{85}".into()]));
        assert!(g.check_text().unwrap_err().message.contains("command word"));
    }

    #[test]
    fn flag_sets_expand_parents_first() {
        let mut g = BuildGraph::new();
        let set = |name: &str, words: &[&str]| FlagSet::new(name, words.iter().map(|w| w.to_string()).collect());
        let base = g.add_flag_set(set("b", &["-O2"]));
        let public = g.add_flag_set(set("p", &["-Ipub"]));
        let inc = g.add_flag_set(FlagSet { inline: vec![public], ..set("i", &["-Iinc"]) });
        let child = g.add_flag_set(FlagSet { parent: Some(base), suffix: Some(inc), ..set("c", &["-DX"]) });
        assert_eq!(g.expand_flags(child), ["-O2", "-DX", "-Iinc", "-Ipub"]);
    }
}
