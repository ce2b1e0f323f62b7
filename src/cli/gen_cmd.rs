//! `spygen gen`: read the project, plan the graph, write the build files.

use clap::Args;

use super::project_args::ProjectArgs;
use crate::error::Result;
use crate::fsutil::{WriteOutcome, write_if_changed};
use crate::lower;
use crate::plan;
use crate::toolchain::Db;

/// Options of `spygen gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    #[command(flatten)]
    project: ProjectArgs,
    /// Print nothing but warnings and errors.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: &GenArgs, db: &Db, toolchain_dir: Option<&std::path::Path>) -> Result<()> {
    let options = args.project.to_options(toolchain_dir)?;
    let plan = plan::plan(db, &options)?;
    for w in &plan.warnings {
        eprintln!("spygen: warning: {w}");
    }
    let ninja = lower::lower_ninja(&plan, &options.spygen_exe.to_string_lossy());
    let path = plan.build_dir.join("build.ninja");
    let outcome = write_if_changed(&path, ninja.as_bytes())?;
    if !args.quiet {
        let state = match outcome {
            WriteOutcome::Written => "wrote",
            WriteOutcome::Unchanged => "unchanged",
        };
        let configs: Vec<String> = plan
            .graph
            .configs
            .iter()
            .filter(|c| c.available)
            .map(|c| c.name())
            .collect();
        println!(
            "spygen: {state} {} ({} actions; default: {})",
            path.display(),
            plan.graph.actions.len(),
            if configs.is_empty() {
                "nothing".to_string()
            } else {
                configs.join(" ")
            }
        );
    }
    Ok(())
}
