//! `spygen gen`: read the project, plan the graph, write the build files (see
//! [`crate::generate`]), and say what happened.

use std::path::Path;

use clap::{Args, ValueEnum};

use super::project_args::ProjectArgs;
use crate::error::Result;
use crate::generate::generate_reporting;
use crate::options::Format;
use crate::toolchain::Db;

/// Options of `spygen gen`.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  spygen gen                            # the nearest project, into its build dir
  spygen gen examples/out-of-tree/demo && ninja -C examples/out-of-tree/demo/build
  spygen gen --format all --target native --build-type debug
  spygen gen --launcher ccache --link-jobs 2
  spygen gen --build-dir /tmp/out --env CC=clang")]
pub struct GenArgs {
    #[command(flatten)]
    pub(super) project: ProjectArgs,
    /// Which build files to write (spygen.mk and compile_commands.json come with each).
    #[arg(long, value_enum, default_value_t = FormatArg::Ninja)]
    format: FormatArg,
    /// The configuration compile_commands.json describes (default: the first native one).
    #[arg(long, value_name = "C", conflicts_with = "no_compdb")]
    compdb_config: Option<String>,
    /// Do not write compile_commands.json (for very large projects, where a chain of public
    /// include dirs makes every entry long; `spygen graph --format compdb` still prints it).
    #[arg(long)]
    no_compdb: bool,
    /// Generate even if no input changed since the last generation (for example after
    /// installing a toolchain outside the PATH directories, such as `pip install ziglang`).
    #[arg(long)]
    force: bool,
    /// Print nothing but warnings and errors.
    #[arg(long, short)]
    quiet: bool,
    /// How the build files' regeneration rules run spygen (make runs it on every invocation):
    /// nothing is printed when no input changed, one line when build files are rewritten.
    #[arg(long, conflicts_with = "quiet")]
    regen: bool,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FormatArg {
    /// build.ninja
    Ninja,
    /// a GNU Makefile
    Make,
    /// both
    All,
}

impl GenArgs {
    /// The generation these options ask for.
    pub(super) fn options(&self, db: &Db, toolchain_dir: Option<&Path>) -> Result<crate::options::GenOptions> {
        let mut options = self.project.to_options(db, toolchain_dir)?;
        options.no_compdb = self.no_compdb;
        options.compdb_config = self.compdb_config.clone();
        options.format = match self.format {
            FormatArg::Ninja => Format::Ninja,
            FormatArg::Make => Format::Make,
            FormatArg::All => Format::All,
        };
        options.force = self.force;
        Ok(options)
    }
}

pub fn run(args: &GenArgs, db: &Db, toolchain_dir: Option<&Path>) -> Result<()> {
    let options = args.options(db, toolchain_dir)?;
    let quiet = args.quiet || args.regen;
    let waiting = |dir: &Path| {
        if !quiet {
            eprintln!("spygen: waiting for another spygen gen in {}", dir.display());
        }
    };
    let generated = generate_reporting(db, &options, &waiting)?;
    for w in &generated.warnings {
        eprintln!("spygen: warning: {w}");
    }
    if !quiet {
        for note in &generated.notes {
            eprintln!("spygen: note: {note}");
        }
    }
    let dir = generated.build_dir.display();
    match &generated.files {
        None if args.quiet || args.regen => {}
        None => println!("spygen: build files in {dir}: unchanged (no input changed)"),
        Some(files) if args.regen => {
            if !files.written.is_empty() {
                println!("spygen: regenerated {} in {dir}", files.written.join(", "));
            }
        }
        Some(_) if args.quiet => {}
        Some(files) => {
            let what = if files.written.is_empty() {
                "unchanged".to_string()
            } else {
                format!("wrote {}", files.written.join(", "))
            };
            let configs = &files.default_configs;
            println!(
                "spygen: {} in {dir}: {what} ({} actions; default: {})",
                files.names[0],
                files.actions,
                if configs.is_empty() { "nothing".to_string() } else { configs.join(" ") }
            );
        }
    }
    Ok(())
}
