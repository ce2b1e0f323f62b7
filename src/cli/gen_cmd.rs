//! `spygen gen`: read the project, plan the graph, write the build files.

use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, Result};
use crate::fsutil::{WriteOutcome, write_if_changed};
use crate::lower;
use crate::manifest::LoadOptions;
use crate::paths;
use crate::plan::{self, GenOptions};
use crate::toolchain::Db;

/// Options of `spygen gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    /// The project directory (holding spy.toml), or spy.toml itself.
    #[arg(default_value = ".", value_name = "PROJECT")]
    project: PathBuf,
    /// Where build files and outputs go (default: `[spygen] build-dir`, else PROJECT/build).
    #[arg(long, value_name = "DIR")]
    build_dir: Option<PathBuf>,
    /// Only this target (repeatable); its toolchain must be installed.
    #[arg(long = "target", value_name = "T")]
    targets: Vec<String>,
    /// Only this build type (repeatable).
    #[arg(long = "build-type", value_name = "B")]
    build_types: Vec<String>,
    /// Add an out-of-tree VM module (repeatable), on top of spy.toml's `extra-vm-modules`.
    #[arg(long = "extra-vm-module", value_name = "PATH")]
    extra_vm_modules: Vec<PathBuf>,
    /// Ignore spy.toml.
    #[arg(long)]
    no_spy_toml: bool,
    /// Treat warnings as errors in every compile (also SPY_WERROR=1 or true).
    #[arg(long)]
    warning_as_error: bool,
    /// Print nothing but warnings and errors.
    #[arg(long, short)]
    quiet: bool,
}

pub fn run(args: &GenArgs, db: &Db, toolchain_dir: Option<&std::path::Path>) -> Result<()> {
    let cwd = paths::current_dir();
    let spygen_exe = std::env::current_exe()
        .map_err(|e| Error::env(format!("cannot find the spygen executable: {e}")))?;
    let options = GenOptions {
        project_dir: args.project.clone(),
        load: LoadOptions {
            no_spy_toml: args.no_spy_toml,
            extra_vm_modules: args
                .extra_vm_modules
                .iter()
                .map(|p| paths::absolute(p, &cwd))
                .collect(),
        },
        build_dir: args.build_dir.clone(),
        targets: args.targets.clone(),
        build_types: args.build_types.clone(),
        warning_as_error: args.warning_as_error || super::flags::werror_from_env(),
        toolchain_dir: toolchain_dir.map(|d| d.to_path_buf()),
        spygen_exe: spygen_exe.clone(),
    };
    let plan = plan::plan(db, &options)?;
    for w in &plan.warnings {
        eprintln!("spygen: warning: {w}");
    }
    let ninja = lower::lower_ninja(&plan, &spygen_exe.to_string_lossy());
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
