//! `spygen gen`: read the project, plan the graph, write the build files.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::project_args::ProjectArgs;
use crate::error::Result;
use crate::fingerprint;
use crate::fsutil::{Stamp, WriteOutcome, stamp, write_parts_if_changed};
use crate::lower;
use crate::plan::{self, COMPDB_FILE, FRAGMENT_FILE, Format, MAKEFILE, NINJA_FILE};
use crate::toolchain::Db;

/// Options of `spygen gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    #[command(flatten)]
    project: ProjectArgs,
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

pub fn run(args: &GenArgs, db: &Db, toolchain_dir: Option<&Path>) -> Result<()> {
    let mut options = args.project.to_options(toolchain_dir)?;
    options.no_compdb = args.no_compdb;
    options.format = match args.format {
        FormatArg::Ninja => Format::Ninja,
        FormatArg::Make => Format::Make,
        FormatArg::All => Format::All,
    };
    // Nothing changed since the last generation: return before reading any module.
    let project = plan::load_project(&options)?;
    let build_dir = plan::build_dir(&options, &project);
    // The link pool's default depth follows the machine's cores: part of the request too.
    let request = format!(
        "{options:?} compdb={:?} cwd={} default-link-jobs={}",
        args.compdb_config,
        crate::paths::current_dir().display(),
        plan::launcher::default_link_jobs()
    );
    let header = fingerprint::header(&request);
    if !args.force && fingerprint::up_to_date(&build_dir, &header) {
        if !args.quiet {
            println!("spygen: build files in {}: unchanged (no input changed)", build_dir.display());
        }
        return Ok(());
    }
    let mut timer = Timer::new();
    // Stamped before planning looks at them: spygen itself and the PATH directories (a missing
    // one is recorded as missing: creating it later, with a compiler in it, is a change).
    let mut inputs: Vec<(PathBuf, Option<Stamp>)> = std::iter::once(options.spygen_exe.clone())
        .chain(fingerprint::path_dirs())
        .map(|p| {
            let s = stamp(&p);
            (p, s)
        })
        .collect();
    let plan = plan::plan(db, &options, &project)?;
    timer.lap("plan");
    for w in &plan.warnings {
        eprintln!("spygen: warning: {w}");
    }
    let exe = options.spygen_exe.to_string_lossy();
    // Everything is computed before anything is written: an error leaves every file as it was.
    let mut files: Vec<(&str, Vec<String>)> = Vec::new();
    if options.format != Format::Make {
        files.push((NINJA_FILE, lower::ninja::lower_ninja_parts(&plan, &exe)));
        timer.lap("lower build.ninja");
    }
    if options.format != Format::Ninja {
        files.push((MAKEFILE, vec![lower::lower_make(&plan, &exe)]));
        timer.lap("lower Makefile");
    }
    files.push((FRAGMENT_FILE, vec![lower::make_fragment::lower_make_fragment(db, &plan.fragment)]));
    timer.lap("lower spygen.mk");
    if options.no_compdb {
        // A database from an earlier generation would now be stale: better none than wrong.
        let _ = std::fs::remove_file(plan.build_dir.join(COMPDB_FILE));
    } else {
        files.push((COMPDB_FILE, lower::compdb::lower_compdb_parts(&plan, args.compdb_config.as_deref())?));
    }
    timer.lap("lower compile_commands.json");
    let mut written = Vec::new();
    for (name, parts) in &files {
        let parts: Vec<&[u8]> = parts.iter().map(|p| p.as_bytes()).collect();
        if write_parts_if_changed(&plan.build_dir.join(name), &parts)? == WriteOutcome::Written {
            written.push(*name);
        }
    }
    inputs.extend(plan.regen_inputs.iter().cloned());
    // A launcher given by path (one found on PATH is covered by the PATH directories).
    for tool in plan.graph.tools.iter().filter(|t| t.role == crate::graph::ToolRole::Launcher) {
        if let Some(program) = tool.command.first().filter(|p| p.contains('/')) {
            inputs.push((PathBuf::from(program), stamp(Path::new(program))));
        }
    }
    inputs.extend(files.iter().map(|(name, _)| {
        let path = plan.build_dir.join(name);
        let s = stamp(&path);
        (path, s)
    }));
    timer.lap("write");
    fingerprint::record(&plan.build_dir, &header, &inputs);
    timer.lap("record inputs");
    if !args.quiet {
        let configs: Vec<String> = plan.graph.configs.iter().filter(|c| c.available).map(|c| c.name()).collect();
        let what = if written.is_empty() { "unchanged".to_string() } else { format!("wrote {}", written.join(", ")) };
        println!(
            "spygen: {} in {}: {what} ({} actions; default: {})",
            files[0].0,
            plan.build_dir.display(),
            plan.graph.actions.len(),
            if configs.is_empty() { "nothing".to_string() } else { configs.join(" ") }
        );
    }
    // The process ends here: freeing a graph of 100,000 actions would only cost time.
    std::mem::forget(plan);
    std::mem::forget(files);
    Ok(())
}

/// Phase timings on stderr when `SPYGEN_TIMINGS=1` (for profiling generation).
struct Timer {
    /// When the current phase started; `None` when timings are off.
    start: Option<std::time::Instant>,
}

impl Timer {
    fn new() -> Timer {
        Timer { start: (std::env::var("SPYGEN_TIMINGS").as_deref() == Ok("1")).then(std::time::Instant::now) }
    }

    fn lap(&mut self, phase: &str) {
        if let Some(start) = self.start {
            eprintln!("spygen: {phase}: {:.1} ms", start.elapsed().as_secs_f64() * 1000.0);
            self.start = Some(std::time::Instant::now());
        }
    }
}
