//! Lowering to JSON for tools (`spygen graph --format json`): the build graph, or one
//! configuration of it, as flat tables that refer to each other by id. Also the selection
//! ([`View`]) the dot output shares.
//!
//! ```text
//! {
//!   "version": 1,
//!   "build_dir": "/abs/project/build",
//!   "configurations": [
//!     {"name": "wasi-release", "target": "wasi", "build_type": "release", "available": true}
//!   ],
//!   "modules": ["runtime", "tinyenc", "spyvm_tinyenc", "encdemo"],
//!   "files": [
//!     {"id": 0, "path": "../../../runtime/src/alloc.c", "producer": null},
//!     {"id": 1, "path": "wasi/release/obj/runtime/src/alloc.o", "producer": 0}
//!   ],
//!   "actions": [
//!     {"id": 0, "kind": "compile", "config": "wasi-release", "owner": "runtime",
//!      "inputs": [0], "implicit": [], "order_only": [], "outputs": [1], "implicit_outputs": [],
//!      "command": ["zig", "cc", "-MMD", "-MF", "wasi/release/obj/runtime/src/alloc.o.d", ...]}
//!   ],
//!   "defaults": [7, 12]
//! }
//! ```
//!
//! - `version` changes when a field changes meaning or goes away (adding fields does not).
//! - Every path (files, command words) is relative to `build_dir`, `/`-separated, as in
//!   `build.ninja`; commands run from `build_dir`.
//! - An `id` is the position of its entry in its array; `producer`, `inputs`, `implicit`,
//!   `order_only`, `outputs`, `implicit_outputs` and `defaults` hold file or action ids.
//! - `producer` is the action writing the file, `null` for a source (or, in a
//!   one-configuration view, a file written outside it).
//! - `kind` is `compile`, `archive`, `link`, `link-whole-archive` (a reactor: every archive
//!   member kept), `foreign-make` (a library's own Makefile), `bundle` (`spygen bundle`,
//!   cached), `test` (a test program run through its target's runner; the output is a stamp
//!   written when it passes), `phony` (an alias: its output is the alias name) or
//!   `regenerate` (re-runs spygen; its inputs are the manifests, descriptors and globbed
//!   directories).
//! - `config` is a configuration name, `null` for aliases and regeneration; `owner` the module
//!   or program the action builds, `null` likewise. `modules` lists owners (modules and
//!   programs) in dependency order.
//! - `command` is every word the action runs, the tool first, unquoted (without a compiler
//!   launcher such as ccache, which ninja and make put before compiles; an archive's is the
//!   `ar` step, after ninja's `rm -f`); `null` for aliases (phony), which run nothing.
//! - `defaults` are the files a bare `ninja` builds (aliases such as `native-debug`).
//! - `system_libs` lists each system library as found for each target: `target`, `package`,
//!   `origin` (pkg-config and the `.pc` file it read, the fallback flags, or the project's
//!   `[spygen.system-lib]` flags), `cflags` and `libs`.
//!
//! With a configuration (`--config wasi-release`), the view holds only that configuration's
//! actions and the files they read or write; `configurations` lists it alone, and `defaults`
//! lists the view's files a bare `ninja` builds (aliases outside the view are replaced by the
//! files they name), so it is empty when the toolchain is not installed.

use serde::Serialize;

use crate::error::Result;
use crate::graph::{ActionId, ActionKind, BuildGraph, ConfigId, FileId};

/// The part of the graph an output shows: everything, or one configuration's actions with
/// the files they read and write.
#[derive(Debug, Clone)]
pub struct View {
    /// The configurations shown, in graph order.
    pub configs: Vec<ConfigId>,
    /// The actions shown, in graph order.
    pub actions: Vec<ActionId>,
    /// The files shown, in graph order.
    pub files: Vec<FileId>,
    /// Whether only one configuration is shown.
    pub filtered: bool,
}

impl View {
    /// The whole graph (`config` is `None`) or the configuration named `config`.
    pub fn new(graph: &BuildGraph, config: Option<&str>) -> Result<View> {
        let Some(name) = config else {
            return Ok(View {
                configs: graph.configs().map(|(id, _)| id).collect(),
                actions: graph.actions().map(|(id, _)| id).collect(),
                files: graph.file_ids().collect(),
                filtered: false,
            });
        };
        let id = graph.find_config(name)?;
        let mut actions = Vec::new();
        let mut shown = vec![false; graph.file_count()];
        for (a, action) in graph.actions() {
            if action.config != Some(id) {
                continue;
            }
            actions.push(a);
            for f in action.all_inputs().chain(action.all_outputs()) {
                shown[f.index()] = true;
            }
        }
        let files = graph.file_ids().filter(|f| shown[f.index()]).collect();
        Ok(View { configs: vec![id], actions, files, filtered: true })
    }

    /// The shown files a bare `ninja` builds: the graph's defaults, with each alias outside
    /// the view replaced by the files it names, in order, without repeats.
    pub fn defaults(&self, graph: &BuildGraph) -> Vec<FileId> {
        let mut shown = vec![false; graph.file_count()];
        for f in &self.files {
            shown[f.index()] = true;
        }
        let mut seen = vec![false; graph.file_count()];
        let mut out = Vec::new();
        let mut stack: Vec<FileId> = graph.defaults().iter().rev().copied().collect();
        while let Some(f) = stack.pop() {
            if std::mem::replace(&mut seen[f.index()], true) {
                continue;
            }
            if shown[f.index()] {
                out.push(f);
            } else if let Some(p) = graph.producer(f)
                && graph.action(p).kind == ActionKind::Phony
            {
                stack.extend(graph.action(p).inputs.iter().rev());
            }
        }
        out
    }
}

/// The whole document.
#[derive(Debug, Serialize)]
struct GraphDoc<'a> {
    /// The schema version.
    version: u32,
    /// The absolute build directory every path is relative to.
    build_dir: String,
    /// The configurations shown.
    configurations: Vec<ConfigEntry<'a>>,
    /// Owners of the shown actions, in dependency order.
    modules: Vec<&'a str>,
    /// The shown files.
    files: Vec<FileEntry<'a>>,
    /// The shown actions.
    actions: Vec<ActionEntry<'a>>,
    /// Ids of the files a bare `ninja` builds.
    defaults: Vec<u32>,
    /// Each system library's flags for each shown target, and where they came from.
    system_libs: Vec<SystemLibEntry<'a>>,
}

/// A system library as found for one target.
#[derive(Debug, Serialize)]
struct SystemLibEntry<'a> {
    /// The target.
    target: &'a str,
    /// The pkg-config package.
    package: &'a str,
    /// Where the flags came from: pkg-config and its `.pc` file, the fallback flags, or the
    /// project's `[spygen.system-lib]`.
    origin: &'a str,
    /// Compile flags.
    cflags: &'a [String],
    /// Link flags.
    libs: &'a [String],
}

/// One configuration.
#[derive(Debug, Serialize)]
struct ConfigEntry<'a> {
    /// `target-buildtype`, the alias name.
    name: String,
    /// The target.
    target: &'a str,
    /// The build type.
    build_type: &'a str,
    /// Whether its toolchain is installed here (else it is not built by default).
    available: bool,
}

/// One file.
#[derive(Debug, Serialize)]
struct FileEntry<'a> {
    /// Its position in `files`.
    id: u32,
    /// Its path, relative to the build directory.
    path: &'a str,
    /// The id of the action writing it; `null` for sources.
    producer: Option<u32>,
}

/// One action.
#[derive(Debug, Serialize)]
struct ActionEntry<'a> {
    /// Its position in `actions`.
    id: u32,
    /// What it does (see the module documentation).
    kind: &'static str,
    /// The configuration name, if it belongs to one.
    config: Option<String>,
    /// The module or program it builds, if any.
    owner: Option<&'a str>,
    /// Explicit inputs (on the command line), in order.
    inputs: Vec<u32>,
    /// Inputs not on the command line whose changes rebuild it.
    implicit: Vec<u32>,
    /// Inputs that must exist first; their changes do not matter.
    order_only: Vec<u32>,
    /// The files it writes.
    outputs: Vec<u32>,
    /// Files it writes as a side effect (emscripten's `.wasm` next to the `.js`).
    implicit_outputs: Vec<u32>,
    /// The command words, run from the build directory; `null` for phony.
    command: Option<Vec<String>>,
}

/// The JSON text of the graph (`config` is `None`) or of the configuration named `config`;
/// an unknown name is a usage error listing the valid ones.
pub fn lower_graph_json(graph: &BuildGraph, config: Option<&str>) -> Result<String> {
    let view = View::new(graph, config)?;
    let mut file_ids: Vec<Option<u32>> = vec![None; graph.file_count()];
    for (i, f) in view.files.iter().enumerate() {
        file_ids[f.index()] = Some(i as u32);
    }
    let mut action_ids: Vec<Option<u32>> = vec![None; graph.action_count()];
    for (i, a) in view.actions.iter().enumerate() {
        action_ids[a.index()] = Some(i as u32);
    }
    let ids = |files: &[FileId]| -> Vec<u32> {
        files.iter().map(|f| file_ids[f.index()].expect("a shown action's files are shown")).collect()
    };
    let mut modules: Vec<&str> = Vec::new();
    for a in &view.actions {
        if let Some(owner) = &graph.action(*a).owner
            && !modules.contains(&&**owner)
        {
            modules.push(owner);
        }
    }
    let doc = GraphDoc {
        version: 1,
        build_dir: graph.settings().build_dir.clone(),
        configurations: view
            .configs
            .iter()
            .map(|c| {
                let c = graph.config(*c);
                ConfigEntry { name: c.name(), target: &c.target, build_type: &c.build_type, available: c.available }
            })
            .collect(),
        modules,
        files: view
            .files
            .iter()
            .enumerate()
            .map(|(i, &f)| FileEntry {
                id: i as u32,
                path: graph.path(f),
                producer: graph.producer(f).and_then(|p| action_ids[p.index()]),
            })
            .collect(),
        actions: view
            .actions
            .iter()
            .enumerate()
            .map(|(i, &a)| {
                let action = graph.action(a);
                ActionEntry {
                    id: i as u32,
                    kind: action.kind.name(),
                    config: graph.config_name(action),
                    owner: action.owner.as_deref(),
                    inputs: ids(&action.inputs),
                    implicit: ids(&action.implicit),
                    order_only: ids(&action.order_only),
                    outputs: ids(&action.outputs),
                    implicit_outputs: ids(&action.implicit_outputs),
                    command: graph.action_words(action),
                }
            })
            .collect(),
        defaults: ids(&view.defaults(graph)),
        system_libs: graph
            .settings()
            .system_libs
            .iter()
            .filter(|l| view.configs.iter().any(|c| graph.config(*c).target == l.target))
            .map(|l| SystemLibEntry {
                target: &l.target,
                package: &l.package,
                origin: &l.origin,
                cflags: &l.cflags,
                libs: &l.libs,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("plain data serializes");
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Action, Configuration};

    /// Two configurations, each compiling `a.c`; aliases per configuration and `all`.
    fn graph() -> BuildGraph {
        let mut graph = BuildGraph::new();
        let src = graph.file("../a.c");
        let mut alias_inputs = Vec::new();
        for bt in ["debug", "release"] {
            let config = graph.add_config(Configuration {
                target: "native".into(),
                build_type: bt.into(),
                available: bt == "debug",
            });
            let mut a = Action::new(ActionKind::Compile);
            a.config = Some(config);
            a.owner = Some("m".into());
            a.inputs = smallvec::smallvec![src];
            a.outputs = smallvec::smallvec![graph.file(&format!("native/{bt}/a.o"))];
            alias_inputs.push(a.outputs.clone());
            graph.add_action(a).unwrap();
        }
        for (name, files) in [("native-debug", &alias_inputs[0]), ("all", &alias_inputs[0])] {
            let mut a = Action::new(ActionKind::Phony);
            a.inputs = files.clone();
            a.outputs = smallvec::smallvec![graph.file(name)];
            graph.add_action(a).unwrap();
        }
        graph.set_defaults(vec![graph.find_file("native-debug").unwrap()]);
        graph
    }

    fn lower(config: Option<&str>) -> Result<String> {
        lower_graph_json(&graph(), config)
    }

    #[test]
    fn the_whole_graph_keeps_ids_and_aliases() {
        let v: serde_json::Value = serde_json::from_str(&lower(None).unwrap()).unwrap();
        assert_eq!(v["configurations"].as_array().unwrap().len(), 2);
        assert_eq!(v["files"].as_array().unwrap().len(), 5);
        assert_eq!(v["actions"][2]["kind"], "phony");
        assert_eq!(v["actions"][2]["command"], serde_json::Value::Null);
        assert_eq!(v["actions"][0]["config"], "native-debug");
        assert_eq!(v["defaults"], serde_json::json!([3]));
        assert_eq!(v["files"][3]["path"], "native-debug");
    }

    #[test]
    fn one_configuration_renumbers_and_expands_defaults() {
        let v: serde_json::Value = serde_json::from_str(&lower(Some("native-release")).unwrap()).unwrap();
        assert_eq!(v["modules"], serde_json::json!(["m"]));
        assert_eq!(v["actions"].as_array().unwrap().len(), 1);
        assert_eq!(v["actions"][0]["outputs"], serde_json::json!([1]));
        assert_eq!(v["files"][1]["path"], "native/release/a.o");
        assert_eq!(v["files"][1]["producer"], 0);
        assert_eq!(v["defaults"], serde_json::json!([]), "not available");
        let debug: serde_json::Value = serde_json::from_str(&lower(Some("native-debug")).unwrap()).unwrap();
        assert_eq!(debug["defaults"], serde_json::json!([1]));
    }
}
