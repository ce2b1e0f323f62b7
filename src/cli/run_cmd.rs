//! `spygen run PROGRAM`: build one program for one configuration (through `spygen build`'s
//! backend, its output on stderr) and run it through its target's runner (native programs run
//! directly; wasi through wasmtime or node's WASI; emscripten's `.js` through node), with the
//! arguments, stdin, stdout, stderr and exit status passed through unchanged. `--call` calls
//! one export of a wasm module (a reactor, a bundle) instead, and prints its results.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Args;

use super::build_cmd::{choose_backend, exit_code, prepare, to_stderr};
use super::project_args::ProjectArgs;
use crate::error::{Error, Result};
use crate::graph::ActionKind;
use crate::toolchain::Db;
use crate::toolchain::runner::{self, Runner};

/// Options of `spygen run`.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES (in examples/out-of-tree/demo):
  spygen run encdemo -- hello           # the first installed native configuration
  spygen run encdemo --target wasi -- hello
  spygen run encdemo --target emscripten --build-type release -- hello
  echo data | spygen run whatis -- /dev/stdin
  spygen run tinyenc_bundle --call spy_str_alloc 5   # call a wasm export, print its result")]
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
    /// Run TARGET's programs through CMD (repeatable; `none`: directly), over $SPYGEN_RUNNER,
    /// spy.toml's `[spygen.runner-for]` and the descriptor's runner.
    #[arg(long = "runner", value_name = "TARGET=CMD")]
    runners: Vec<String>,
    /// Call EXPORT of a wasm module (a reactor, a bundle) with i32/i64/f32/f64 ARGS through
    /// the wasi runner, and print its results (default target: wasi).
    #[arg(long, value_name = "EXPORT ARGS", num_args = 1.., allow_hyphen_values = true)]
    call: Option<Vec<String>>,
    /// The program's arguments, after `--`.
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

pub fn run(args: &RunArgs, db: &Db, toolchain_dir: Option<&Path>) -> Result<i32> {
    let (backend, _) = choose_backend(None)?;
    let project_args = ProjectArgs { runners: args.runners.clone(), ..ProjectArgs::default() };
    let prepared = prepare(&project_args, args.project.as_deref(), db, toolchain_dir, &backend)?;
    let (project, plan) = prepared.plan(db)?;
    let (build_dir, options) = (prepared.generated.build_dir, prepared.options);
    let db = prepared.db.as_ref().unwrap_or(db);
    let graph = &plan.graph;

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
    // A reactor or bundle runs nowhere but in a wasm host: wasi, as an export is called.
    let reactors_only = builds.iter().all(|(_, kind, _)| *kind != ActionKind::Link);
    let default_target = if args.call.is_some() || reactors_only { "wasi" } else { "native" };
    let target = args.target.clone().unwrap_or_else(|| default_target.to_string());
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
    if *kind != ActionKind::Link && args.call.is_none() {
        return Err(Error::usage(format!(
            "program `{}` is a wasm reactor (no main): a host loads it and calls its exports",
            args.program
        ))
        .help(format!(
            "call an export with `spygen run {} --call EXPORT ARGS...`, or load {} from a host (node: WebAssembly.instantiate)",
            args.program,
            build_dir.join(output).display()
        )));
    }
    if args.call.is_some() && !output.ends_with(".wasm") {
        return Err(Error::usage(format!(
            "--call calls an export of a wasm module, and `{}` for {} is {output}",
            args.program,
            config.name()
        ))
        .help("choose a wasm target: --target wasi"));
    }

    // Build just that output; the backend's progress goes to stderr, the program's stdout is
    // its own.
    let status =
        backend.command(&build_dir, None, false, std::slice::from_ref(output)).stdout(to_stderr()).status().map_err(
            |e| Error::env(format!("cannot run the build: {e}")).help("check ninja or make with `spygen build`"),
        )?;
    if !status.success() {
        return Ok(exit_code(status));
    }

    // The runner: --runner, $SPYGEN_RUNNER, spy.toml, then the target's descriptor.
    let toolchain = db.get(&config.target)?;
    let program = build_dir.join(output);
    let runner = runner::for_target(toolchain, Some(&project), &options.runners, &|k| options.env_var(k));
    if runner.uses_wasi_run() {
        runner::write_wasi_run(&build_dir)?;
    }
    let script = build_dir.join(runner::WASI_RUN_FILE);
    let mut words = match (runner.words_with(&script.to_string_lossy()), &runner) {
        (Some(words), _) => words,
        (None, Runner::Missing { why, hint }) => {
            return Err(Error::env(format!("no runner for target `{}` here: {why}", config.target)).help(hint.clone()));
        }
        (None, _) => Vec::new(),
    };
    if let Some((export, values)) = args.call.as_ref().and_then(|c| c.split_first()) {
        let call = crate::wasm_call::prepare(&program, export, values)?;
        let words = crate::wasm_call::command(&call, &program, &words, &build_dir.join(crate::lower::SPYGEN_DIR))?;
        let (first, rest) = words.split_first().expect("the runner is a word");
        let status = Command::new(first).args(rest).status().map_err(|e| {
            Error::env(format!("cannot run {first}: {e}")).help("check the runner with `spygen toolchains`")
        })?;
        return Ok(exit_code(status));
    }
    words.push(program.display().to_string());
    let (first, rest) = words.split_first().expect("the program is a word");
    let status = Command::new(first).args(rest).args(&args.args).status().map_err(|e| {
        Error::env(format!("cannot run {first}: {e}")).help("check the runner with `spygen toolchains`")
    })?;
    Ok(exit_code(status))
}
