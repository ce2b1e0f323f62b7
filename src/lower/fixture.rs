//! Hand-built graphs for the writers' tests: one action kind at a time, in one configuration
//! (`wasi-release`) whose tools are `zig cc` and `zig ar`, so each lowering rule has a small
//! snapshot of its own.

use crate::graph::{
    Action, ActionKind, BuildGraph, ConfigId, Configuration, FileList, FlagPart, FlagSet, FlagSetId, GraphSettings,
    Tool, ToolId, ToolRole,
};

/// A graph with the configuration, tools and settings every test shares, and no action.
pub struct Fixture {
    /// The graph being built.
    pub graph: BuildGraph,
    /// wasi-release.
    pub config: ConfigId,
    /// `zig cc`.
    pub cc: ToolId,
    /// `zig ar`.
    pub ar: ToolId,
    /// The configuration's base compile flags.
    pub base_cflags: FlagSetId,
    /// The configuration's base link flags.
    pub base_ldflags: FlagSetId,
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|w| w.to_string()).collect()
}

impl Fixture {
    /// The shared part; `launcher` adds a compiler launcher (`ccache`).
    pub fn new(launcher: bool) -> Fixture {
        let mut graph = BuildGraph::new();
        graph.set_settings(GraphSettings {
            build_dir: "/p/build".into(),
            project_manifest: "../spy.toml".into(),
            spygen_exe: "/bin/spygen".into(),
            link_jobs: 1,
            ..GraphSettings::default()
        });
        let config =
            graph.add_config(Configuration { target: "wasi".into(), build_type: "release".into(), available: true });
        let tool = |role, command: &[&str]| Tool::new("wasi", role, words(command));
        let cc = graph.add_tool(Tool {
            object_flags: words(&["-frandom-seed={object}"]),
            ..tool(ToolRole::Compiler, &["zig", "cc"])
        });
        let ar = graph.add_tool(tool(ToolRole::Archiver, &["zig", "ar"]));
        if launcher {
            graph.add_tool(tool(ToolRole::Launcher, &["ccache"]));
        }
        let base_cflags = graph.add_flag_set(FlagSet::words("cflags.wasi-release", words(&["-O2", "-DSPY_RELEASE"])));
        let base_ldflags = graph.add_flag_set(FlagSet::words("ldflags.wasi-release", words(&["-flto"])));
        Fixture { graph, config, cc, ar, base_cflags, base_ldflags }
    }

    /// A new action of `kind` of unit `owner` in wasi-release.
    fn action(&self, kind: ActionKind, owner: &str) -> Action {
        let mut action = Action::new(kind);
        action.config = Some(self.config);
        action.owner = Some(owner.into());
        action
    }

    fn files(&mut self, paths: &[&str]) -> FileList {
        paths.iter().map(|p| self.graph.file(p)).collect()
    }

    /// Module `m`'s compiles of `sources` (to `wasi/release/obj/m/<stem>.o`) with its flags:
    /// the base, a define, then its include set (a private dir and a dependency's public one).
    pub fn compiles(&mut self, sources: &[&str]) -> Vec<String> {
        self.compiles_with(sources, &[])
    }

    /// [`Fixture::compiles`], the dependency's public set holding `more` after its own dir.
    pub fn compiles_with(&mut self, sources: &[&str], more: &[String]) -> Vec<String> {
        let mut public_words = words(&["-I../dep/include"]);
        public_words.extend(more.iter().cloned());
        let public = self.graph.add_flag_set(FlagSet::words("public.dep", public_words));
        let includes = self.graph.add_flag_set(FlagSet {
            name: "includes.m".into(),
            parts: vec![FlagPart::Words(words(&["-I../m/src"])), FlagPart::Inline(public)],
        });
        let cflags = self.graph.add_flag_set(FlagSet {
            name: "cflags.m.wasi-release".into(),
            parts: vec![FlagPart::Ref(self.base_cflags), FlagPart::Words(words(&["-DM=1"])), FlagPart::Ref(includes)],
        });
        let mut objects = Vec::new();
        for src in sources {
            let stem = src.rsplit('/').next().unwrap_or(src).trim_end_matches(".c");
            let object = format!("wasi/release/obj/m/{stem}.o");
            let mut action = self.action(ActionKind::Compile, "m");
            action.tool = Some(self.cc);
            action.flags = Some(cflags);
            action.inputs = self.files(&[src]);
            action.outputs = self.files(&[&object]);
            self.graph.add_action(action).unwrap();
            objects.push(object);
        }
        objects
    }

    /// Module `m`'s archive of `objects`.
    pub fn archive(&mut self, objects: &[String]) {
        let mut action = self.action(ActionKind::Archive, "m");
        action.tool = Some(self.ar);
        let objects: Vec<&str> = objects.iter().map(String::as_str).collect();
        action.inputs = self.files(&objects);
        action.outputs = self.files(&["wasi/release/m.a"]);
        self.graph.add_action(action).unwrap();
    }

    /// Program `p`'s link of `inputs`, whole-archive when `reactor`.
    pub fn link(&mut self, inputs: &[&str], reactor: bool) {
        let ldflags = self.graph.add_flag_set(FlagSet {
            name: "ldflags.p.wasi-release".into(),
            parts: vec![FlagPart::Ref(self.base_ldflags), FlagPart::Words(words(&["-Wl,--export=spy_p$f"]))],
        });
        let kind = if reactor { ActionKind::LinkWholeArchive } else { ActionKind::Link };
        let mut action = self.action(kind, "p");
        action.tool = Some(self.cc);
        action.flags = Some(ldflags);
        action.inputs = self.files(inputs);
        action.outputs = self.files(&["wasi/release/p.wasm"]);
        self.graph.add_action(action).unwrap();
    }

    /// Vendored library `lib`'s own make run, reading spygen.mk.
    pub fn foreign_make(&mut self) {
        let mut action = self.action(ActionKind::ForeignMake, "lib");
        action.args =
            words(&["-C", "../vendor/lib", "TARGET=wasi", "BUILD_TYPE=release", "SPYGEN_MK=../../build/spygen.mk"])
                .into();
        action.implicit = self.files(&["../vendor/lib/src/lib.c", "spygen.mk"]).into_iter().collect();
        action.outputs = self.files(&["../vendor/lib/build/wasi/release/liblib.a"]);
        self.graph.add_action(action).unwrap();
    }

    /// What the dry run of the foreign make (added first) found: its object and depfile in
    /// its output directory, and its compile of `src/lib.c` in `/p/vendor/lib`.
    pub fn foreign_dry_run(&mut self) {
        let (id, _) = self.graph.actions().find(|(_, a)| a.kind == ActionKind::ForeignMake).expect("a foreign make");
        let object = "../../build/wasi/release/foreign/lib/obj/lib.o";
        let compile = crate::graph::ForeignCompile {
            directory: "/p/vendor/lib".into(),
            file: "src/lib.c".into(),
            arguments: words(&["zig", "cc", "-O2", "-c", "src/lib.c", "-o", object]),
            output: Some(object.into()),
        };
        let outputs = words(&["wasi/release/foreign/lib/obj/lib.o", "wasi/release/foreign/lib/obj/lib.d"]);
        self.graph.add_dry_run(id, &outputs, vec![compile]);
    }

    /// Program `b`'s wasm bundle of `archives`, exporting `spy_b$f`.
    pub fn bundle(&mut self, archives: &[&str]) {
        let mut action = self.action(ActionKind::Bundle, "b");
        let mut args = words(&["--target", "wasi", "--build-type", "release", "--cache-dir", "wasm-bundles"]);
        args.extend(words(archives));
        args.extend(words(&["--export", "spy_b$f", "-o", "wasi/release/b.wasm"]));
        action.args = args.into();
        action.inputs = self.files(archives);
        action.outputs = self.files(&["wasi/release/b.wasm"]);
        self.graph.add_action(action).unwrap();
    }

    /// Test `t` of program `wasi/release/t.wasm`, run through node's WASI with one argument.
    pub fn test(&mut self) {
        let runner = self.graph.add_tool(Tool::new(
            "wasi",
            ToolRole::Runner,
            words(&["/usr/bin/node", "--no-warnings", ".spygen/wasi-run.mjs"]),
        ));
        let mut action = self.action(ActionKind::Test, "t");
        action.tool = Some(runner);
        action.args = thin_vec::ThinVec::from(words(&[
            "--name",
            "t",
            "--config",
            "wasi-release",
            "--timeout",
            "30",
            "--report",
            "wasi/release/.test/t.json",
            "--arg=a b",
        ]));
        action.inputs = self.files(&["wasi/release/t.wasm"]);
        action.outputs = self.files(&["wasi/release/.test/t.passed"]);
        self.graph.add_action(action).unwrap();
    }

    /// The aliases `wasi-release` and `all` naming `outputs`, the default, and the action
    /// regenerating build.ninja from `../spy.toml`.
    pub fn aliases_and_regeneration(&mut self, outputs: &[&str]) {
        for name in ["wasi-release", "all"] {
            let mut action = Action::new(ActionKind::Phony);
            action.inputs = self.files(outputs);
            action.outputs = self.files(&[name]);
            self.graph.add_action(action).unwrap();
        }
        let default = self.graph.file("wasi-release");
        self.graph.set_defaults(vec![default]);
        let mut action = Action::new(ActionKind::Regenerate);
        action.args = words(&["gen", "..", "--build-dir", ".", "--no-env"]).into();
        action.inputs = self.files(&["../spy.toml"]);
        action.outputs = self.files(&["build.ninja"]);
        action.implicit_outputs = self.files(&["spygen.mk"]).into_iter().collect();
        self.graph.add_action(action).unwrap();
    }
}
