//! `spygen run PROGRAM`: build one program for one configuration (through `spygen build`'s
//! backend, its output on stderr) and run it through its target's runner (native programs run
//! directly; wasi through wasmtime or node's WASI; emscripten's `.js` through node), with the
//! arguments, stdin, stdout, stderr and exit status passed through unchanged.

use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use clap::Args;

use super::build_cmd::{Backend, choose_backend, default_make_jobs, exit_code, say_waiting};
use super::project_args::ProjectArgs;
use crate::error::{Error, Result};
use crate::generate::generate_reporting;
use crate::graph::ActionKind;
use crate::toolchain::{Db, Resolution, process_env};

/// spygen's node WASI launcher, written beside the build files when a runner names it.
const WASI_RUN: &str = include_str!("../../templates/wasi-run.mjs");

/// Options of `spygen run`.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES (in examples/out-of-tree/demo):
  spygen run encdemo -- hello           # the first installed native configuration
  spygen run encdemo --target wasi -- hello
  spygen run encdemo --target emscripten --build-type release -- hello
  echo data | spygen run whatis -- /dev/stdin")]
pub struct RunArgs {
    /// The program (a `[[spygen.program]]` of the project).
    #[arg(value_name = "PROGRAM")]
    program: String,
    /// The project directory or spy.toml (default: the nearest spy.toml upwards).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// The target to run it on (default: native).
    #[arg(long, value_name = "T")]
    target: Option<String>,
    /// The build type (default: the project's first).
    #[arg(long, value_name = "B")]
    build_type: Option<String>,
    /// The program's arguments, after `--`.
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

pub fn run(args: &RunArgs, db: &Db, toolchain_dir: Option<&Path>) -> Result<i32> {
    let (backend, _) = choose_backend(None)?;
    let project_args = ProjectArgs::default();
    let mut options = project_args.to_options_for(args.project.as_deref(), db, toolchain_dir)?;
    options.format = backend.format();
    let generated = generate_reporting(db, &options, &say_waiting)?;
    let project = crate::plan::load_project(&options)?;
    let plan = crate::plan::plan(db, &options, &project)?;
    let graph = &plan.graph;
    let build_dir = generated.build_dir;

    // The program's output in each configuration.
    let builds: Vec<(&crate::graph::Configuration, ActionKind, String)> = graph
        .actions()
        .filter(|(_, a)| matches!(a.kind, ActionKind::Link | ActionKind::LinkWholeArchive | ActionKind::Bundle))
        .filter(|(_, a)| a.owner.as_deref() == Some(args.program.as_str()))
        .filter_map(|(_, a)| Some((graph.config(a.config?), a.kind, graph.path(*a.outputs.first()?).to_string())))
        .collect();
    if builds.is_empty() {
        let programs: Vec<&String> = graph.settings().programs.iter().collect();
        return Err(Error::usage(format!("no program `{}` in this project", args.program)).help(
            if programs.is_empty() {
                "the project has no program: add a [[spygen.program]] to spy.toml".to_string()
            } else {
                format!("its programs are: {}", programs.iter().map(|p| p.as_str()).collect::<Vec<_>>().join(", "))
            },
        ));
    }
    let target = args.target.clone().unwrap_or_else(|| "native".to_string());
    let chosen = builds.iter().find(|(c, _, _)| {
        c.target == target && args.build_type.as_ref().is_none_or(|b| *b == c.build_type) && c.available
    });
    let Some((config, kind, output)) = chosen else {
        let places: Vec<String> = builds.iter().filter(|(c, _, _)| c.available).map(|(c, _, _)| c.name()).collect();
        return Err(Error::usage(format!(
            "program `{}` is not built for {target}{} here",
            args.program,
            args.build_type.as_ref().map(|b| format!(" {b}")).unwrap_or_default()
        ))
        .help(if places.is_empty() {
            "no installed toolchain builds it: see `spygen toolchains`".to_string()
        } else {
            format!("it is built for: {} (pass --target and --build-type)", places.join(", "))
        }));
    };
    if *kind != ActionKind::Link {
        return Err(Error::usage(format!(
            "program `{}` is a wasm reactor (no main): a host loads it and calls its exports",
            args.program
        ))
        .help(format!(
            "load {} from a host, for example node: WebAssembly.instantiate(fs.readFileSync(path), imports)",
            build_dir.join(output).display()
        )));
    }

    // Build just that output; the backend's progress goes to stderr, the program's stdout is
    // its own.
    let to_stderr = || Stdio::from(std::io::stderr().as_fd().try_clone_to_owned().expect("stderr"));
    let mut build = match &backend {
        Backend::Ninja(ninja) => {
            let mut cmd = Command::new(ninja);
            cmd.arg("-C").arg(&build_dir).arg(output);
            cmd
        }
        Backend::Make(make) => {
            let mut cmd = Command::new(make);
            cmd.arg("-C")
                .arg(&build_dir)
                .arg("--no-print-directory")
                .arg(format!("-j{}", default_make_jobs()))
                .arg(output);
            cmd
        }
    };
    let status = build.stdout(to_stderr()).status().map_err(|e| {
        Error::env(format!("cannot run the build: {e}")).help("check ninja or make with `spygen build`")
    })?;
    if !status.success() {
        return Ok(exit_code(status));
    }

    // The runner, as the target's descriptor says.
    let toolchain = db.get(&config.target)?;
    let program = build_dir.join(output);
    let mut words: Vec<String> = match &toolchain.runner {
        None => Vec::new(),
        Some(runner) => match runner.resolve(&process_env) {
            Resolution::Found(found) => found.command,
            Resolution::Missing { tried } => {
                return Err(Error::env(format!(
                    "no runner for target `{}` here (tried: {})",
                    config.target,
                    tried.join("; ")
                ))
                .help("install node (18 or newer), or wasmtime for wasi"));
            }
        },
    };
    if words.iter().any(|w| w.contains("{wasi-run}")) {
        let script = build_dir.join(crate::lower::SPYGEN_DIR).join("wasi-run.mjs");
        if let Some(dir) = script.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("create directory", dir, e))?;
        }
        crate::fsutil::write_if_changed(&script, WASI_RUN.as_bytes())?;
        let shown = script.display().to_string();
        words = words.into_iter().map(|w| w.replace("{wasi-run}", &shown)).collect();
    }
    words.push(program.display().to_string());
    let (first, rest) = words.split_first().expect("the program is a word");
    let status = Command::new(first).args(rest).args(&args.args).status().map_err(|e| {
        Error::env(format!("cannot run {first}: {e}")).help("check the runner with `spygen toolchains`")
    })?;
    Ok(exit_code(status))
}
