//! `spygen graph`: plan the project and print its build graph, or one configuration of it, as
//! Graphviz dot, JSON for tools, or a compilation database; or answer a question about it:
//! why one file depends on another (`--path`), what rebuilds when a file changes (`--refs`).

use std::path::Path;

use clap::{Args, ValueEnum};
use serde_json::json;

use super::project_args::ProjectArgs;
use crate::error::{Error, Result};
use crate::graph::{Action, BuildGraph, ConfigId, FileId, Step};
use crate::lower::{compdb, dot, graph_json};
use crate::paths;
use crate::plan;
use crate::toolchain::Db;

/// What `spygen graph` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz dot: `spygen graph | dot -Tsvg > graph.svg` (the graph's default).
    Dot,
    /// JSON for tools: the graph as tables, or a query's answer.
    Json,
    /// compile_commands.json (default configuration: the first native one).
    Compdb,
    /// Lines of text: a query's answer (the default of --path and --refs).
    Text,
}

/// Options of `spygen graph`.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES (in examples/out-of-tree/demo):
  spygen graph --format dot --config native-debug | dot -Tsvg > graph.svg
  spygen graph --format json | jq '.actions | length'
  spygen graph --path native/debug/encdemo ../../runtime/src/str.c   # why is it rebuilt?
  spygen graph --refs ../../runtime/src/str.c --config wasi-debug   # what uses it?")]
pub struct GraphArgs {
    /// The project and its configurations, as for `spygen gen`.
    #[command(flatten)]
    pub(super) project: ProjectArgs,
    /// The output format (default: dot for the graph, text for --path and --refs).
    #[arg(long, value_enum)]
    format: Option<GraphFormat>,
    /// Only this configuration, e.g. `wasi-release` (default: all; compdb: the first native).
    #[arg(long, value_name = "C")]
    config: Option<String>,
    /// Why FROM depends on TO: the chain of actions from TO to FROM. Files are named as in
    /// build.ninja (relative to the build directory), by alias (`all`, `native-debug`, a module
    /// or program), by a path from here, or by a unique file name (`encode.c`).
    #[arg(long, num_args = 2, value_names = ["FROM", "TO"], conflicts_with_all = ["refs", "config"])]
    path: Option<Vec<String>>,
    /// Everything that rebuilds when FILE changes (the files written again, one per line), like
    /// `gn refs`; with --config, only that configuration's.
    #[arg(long, value_name = "FILE")]
    refs: Option<String>,
}

/// Plans the project and prints the graph or the query's answer to stdout, warnings to stderr.
pub fn run(args: &GraphArgs, db: &Db, toolchain_dir: Option<&Path>) -> Result<()> {
    let query = args.path.is_some() || args.refs.is_some();
    let format = match (args.format, query) {
        (Some(GraphFormat::Text), false) => {
            return Err(Error::usage("--format text answers --path and --refs")
                .help("print the graph as dot, json or compdb, or ask a question with --path or --refs"));
        }
        (Some(GraphFormat::Dot | GraphFormat::Compdb), true) => {
            return Err(Error::usage("--path and --refs answer in text or json")
                .help("pass --format text (the default) or --format json"));
        }
        (Some(format), _) => format,
        (None, false) => GraphFormat::Dot,
        (None, true) => GraphFormat::Text,
    };
    // The graph shows no launcher: one that is not installed here does not matter.
    let mut options = args.project.to_options(db, toolchain_dir)?;
    options.skip_launcher_check = true;
    let mut plan = plan::plan(db, &options, &plan::load_project(&options)?)?;
    let mut warnings = std::mem::take(&mut plan.warnings);
    let compdb_config = match (&args.config, format) {
        (Some(c), GraphFormat::Compdb) => Some(plan.graph.find_config(c)?),
        _ => None,
    };
    if format == GraphFormat::Compdb && !query {
        // The foreign make modules' compiles, from their Makefiles' dry runs, as
        // compile_commands.json has them.
        let config =
            compdb_config.or(plan.graph.settings().compdb_config).or_else(|| plan.graph.default_compdb_config());
        let fragment = crate::lower::make_fragment::lower_make_fragment(db, &plan.graph);
        let wanted = crate::foreign_dry_run::Wanted { compdb: config, outputs: false };
        warnings.extend(crate::foreign_dry_run::capture(&mut plan.graph, &plan.build_dir, &fragment, wanted));
    }
    for w in &warnings {
        eprintln!("spygen: warning: {w}");
    }
    let graph = &plan.graph;
    let json = format == GraphFormat::Json;
    let text = if let Some([from, to]) = args.path.as_deref() {
        let (from, to) = (find_file(graph, from)?, find_file(graph, to)?);
        path_answer(graph, from, to, json)
    } else if let Some(file) = &args.refs {
        let config = args.config.as_deref().map(|c| graph.find_config(c)).transpose()?;
        refs_answer(graph, find_file(graph, file)?, config, json)
    } else {
        let config = args.config.as_deref();
        match format {
            GraphFormat::Json => graph_json::lower_graph_json(graph, config)?,
            GraphFormat::Compdb => compdb::lower_compdb(graph, compdb_config),
            _ => dot::lower_dot(graph, config)?,
        }
    };
    super::print_out(&text)
}

/// The file of the graph `name` names: a path as build files spell it (relative to the build
/// directory) or an alias; else a path from the current directory; else a file name or path
/// tail that only one file of the graph ends with.
fn find_file(graph: &BuildGraph, name: &str) -> Result<FileId> {
    if let Some(f) = graph.find_file(name) {
        return Ok(f);
    }
    let build_dir = Path::new(&graph.settings().build_dir);
    let from_here = paths::absolute(Path::new(name), &paths::current_dir());
    if let Some(f) = graph.find_file(&paths::relative_slash(&from_here, build_dir)) {
        return Ok(f);
    }
    let tail = format!("/{}", name.trim_start_matches("./"));
    let matches: Vec<FileId> = graph.file_ids().filter(|&f| graph.path(f).ends_with(&tail)).collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(Error::usage(format!("no file `{name}` in the build graph")).help(
            "name a file as build.ninja does (relative to the build directory, such as native/debug/demo), an \
             alias (all, native-debug, a module or program), or a path from here; headers are not in the \
             graph (the compiler finds them at build time): ask about a source that includes the header",
        )),
        several => {
            let listed: Vec<&str> = several.iter().take(5).map(|&f| graph.path(f)).collect();
            let more = if several.len() > 5 { format!(" and {} more", several.len() - 5) } else { String::new() };
            Err(Error::usage(format!("`{name}` names {} files: {}{more}", several.len(), listed.join(", ")))
                .help("name one by its path as build.ninja spells it"))
        }
    }
}

/// How an action is shown in answers: `compile (wasi-release, tinyenc)`.
fn action_text(graph: &BuildGraph, action: &Action) -> String {
    let context: Vec<String> =
        graph.config_name(action).into_iter().chain(action.owner.as_deref().map(str::to_string)).collect();
    if context.is_empty() {
        action.kind.name().to_string()
    } else {
        format!("{} ({})", action.kind.name(), context.join(", "))
    }
}

/// An action as JSON: its kind, configuration and owner.
fn action_json(graph: &BuildGraph, action: &Action) -> serde_json::Value {
    json!({
        "kind": action.kind.name(),
        "config": graph.config_name(action),
        "owner": action.owner.as_deref(),
    })
}

/// The answer to `--path FROM TO`: the chain from `to` to `from`, or that there is none.
fn path_answer(graph: &BuildGraph, from: FileId, to: FileId, json: bool) -> String {
    let path = graph.dag().path(from, to);
    let (from_path, to_path) = (graph.path(from), graph.path(to));
    if json {
        let steps: Vec<serde_json::Value> = path
            .iter()
            .flat_map(|p| &p.steps)
            .map(|step| match *step {
                Step::File(f) => json!({ "file": graph.path(f) }),
                Step::Action(a, edge) => {
                    let mut value = action_json(graph, graph.action(a));
                    value["input"] = json!(edge.name());
                    json!({ "action": value })
                }
            })
            .collect();
        let value = json!({ "from": from_path, "to": to_path, "depends": path.is_some(), "steps": steps });
        return format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default());
    }
    let Some(path) = path else {
        return format!("{from_path} does not depend on {to_path}\n");
    };
    let mut out = format!("{from_path} depends on {to_path}:\n");
    for step in &path.steps {
        match *step {
            Step::File(f) => out.push_str(&format!("  {}\n", graph.path(f))),
            Step::Action(a, edge) => {
                let how = match edge {
                    crate::graph::EdgeKind::Explicit => String::new(),
                    other => format!(" [{} input]", other.name()),
                };
                out.push_str(&format!("    -> {}{how}\n", action_text(graph, graph.action(a))));
            }
        }
    }
    out
}

/// The answer to `--refs FILE`: the files written again when `file` changes (of `config`
/// only, when given), one per line, or as JSON with the actions.
fn refs_answer(graph: &BuildGraph, file: FileId, config: Option<ConfigId>, json: bool) -> String {
    let refs = graph.dag().refs(file);
    let in_config = |action: &Action| config.is_none() || action.config == config;
    let actions: Vec<&Action> = refs.actions.iter().map(|&a| graph.action(a)).filter(|a| in_config(a)).collect();
    let files: Vec<&str> = refs
        .files
        .iter()
        .filter(|&&f| graph.producer(f).is_some_and(|p| in_config(graph.action(p))))
        .map(|&f| graph.path(f))
        .collect();
    if json {
        let actions: Vec<serde_json::Value> = actions
            .iter()
            .map(|a| {
                let mut value = action_json(graph, a);
                value["outputs"] = json!(a.all_outputs().map(|f| graph.path(f)).collect::<Vec<_>>());
                value
            })
            .collect();
        let value = json!({ "file": graph.path(file), "actions": actions, "files": files });
        return format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default());
    }
    files.iter().map(|f| format!("{f}\n")).collect()
}
