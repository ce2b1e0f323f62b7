//! `spygen graph`: plan the project and print its build graph, or one configuration of it, as
//! Graphviz dot, JSON for tools, or a compilation database.

use std::path::Path;

use clap::{Args, ValueEnum};

use super::project_args::ProjectArgs;
use crate::error::Result;
use crate::lower::{compdb, dot, graph_json};
use crate::plan;
use crate::toolchain::Db;

/// What `spygen graph` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz dot: `spygen graph | dot -Tsvg > graph.svg`.
    Dot,
    /// Files and actions as JSON tables, for tools.
    Json,
    /// compile_commands.json (default configuration: the first native one).
    Compdb,
}

/// Options of `spygen graph`.
#[derive(Debug, Args)]
pub struct GraphArgs {
    /// The project and its configurations, as for `spygen gen`.
    #[command(flatten)]
    pub(super) project: ProjectArgs,
    /// The output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
    format: GraphFormat,
    /// Only this configuration, e.g. `wasi-release` (default: all; compdb: the first native).
    #[arg(long, value_name = "C")]
    config: Option<String>,
}

/// Plans the project and prints the graph in the asked format to stdout, warnings to stderr.
pub fn run(args: &GraphArgs, db: &Db, toolchain_dir: Option<&Path>) -> Result<()> {
    // The graph shows no launcher: one that is not installed here does not matter.
    let mut options = args.project.to_options(db, toolchain_dir)?;
    options.skip_launcher_check = true;
    let plan = plan::plan(db, &options, &plan::load_project(&options)?)?;
    for w in &plan.warnings {
        eprintln!("spygen: warning: {w}");
    }
    let config = args.config.as_deref();
    let text = match args.format {
        GraphFormat::Dot => dot::lower_dot(&plan, config)?,
        GraphFormat::Json => graph_json::lower_graph_json(&plan, config)?,
        GraphFormat::Compdb => compdb::lower_compdb(&plan, config)?,
    };
    super::print_out(&text)
}
