//! `spygen flags`: compiler, archiver and flags of one target and build type.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use serde_json::json;

use super::print_out;
use crate::error::{Error, Result};
use crate::lower::make_syntax;
use crate::manifest::Project;
use crate::runtime::{self, RuntimeLocation, RuntimeLookup};
use crate::shell;
use crate::toolchain::requirement::Requirements;
use crate::toolchain::{ConfigFlags, Db, FlagOptions, Resolution, Tool, Toolchain, launcher, process_env};

/// Options of `spygen flags`, the same as SPy's flags helper plus `--format`.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES (in a project, for the runtime's -I and -L):
  spygen flags --target wasi --cflags
  spygen flags --target native-static --build-type release --ldflags --libdir --cc
  CC=$(spygen flags --cc --target wasi); $CC $(spygen flags --cflags --target wasi) -c x.c
  spygen flags --target wasi --format make > flags.mk
  spygen flags --target wasi --format json
  spygen flags --target native --cflags --project-flags   # with spy.toml's flags and $CFLAGS")]
pub struct FlagsArgs {
    /// The target (see `spygen toolchains`).
    #[arg(long, value_name = "T")]
    target: Option<String>,
    /// The build type.
    #[arg(long, value_name = "B", default_value = "debug")]
    build_type: String,
    /// Print the compile flags.
    #[arg(long)]
    cflags: bool,
    /// Print the link flags.
    #[arg(long)]
    ldflags: bool,
    /// Print `-L<dir>` of the runtime's archives.
    #[arg(long)]
    libdir: bool,
    /// Print the compiler command.
    #[arg(long)]
    cc: bool,
    /// Print the archiver command.
    #[arg(long)]
    ar: bool,
    /// Treat warnings as errors (also SPY_WERROR=1 or true).
    #[arg(long)]
    warning_as_error: bool,
    /// Output format: shell words on one line, JSON with every fact, or make assignments.
    #[arg(long, value_enum, default_value_t = FlagsFormat::Shell)]
    format: FlagsFormat,
    /// The project directory (default: the nearest spy.toml upwards from here).
    #[arg(long, value_name = "DIR")]
    project: Option<PathBuf>,
    /// The runtime's root directory (include/ and build/ inside), outside any project.
    #[arg(long, value_name = "DIR")]
    runtime_root: Option<PathBuf>,
    /// Add the project's flags, as its build files give them to every compile and link:
    /// spy.toml's `[spygen] defines/cflags/ldflags` and, for native, $CPPFLAGS, $CFLAGS and
    /// $LDFLAGS (without it, the output is exactly that of SPy's flags helper).
    #[arg(long)]
    project_flags: bool,
}

/// Output formats of `spygen flags`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FlagsFormat {
    Shell,
    Json,
    Make,
}

pub(super) fn werror_from_env() -> bool {
    // Exactly SPy's helper: `1` or `true`, nothing else.
    std::env::var("SPY_WERROR").is_ok_and(|v| v == "1" || v == "true")
}

pub fn run(args: &FlagsArgs, db: &Db) -> Result<()> {
    let selected = [args.cflags, args.ldflags, args.libdir, args.cc, args.ar];
    let Some(target) = args.target.as_deref() else {
        let what = ["--cflags", "--ldflags", "--libdir", "--cc", "--ar"]
            .iter()
            .zip(selected)
            .find(|(_, on)| *on)
            .map_or("spygen flags", |(name, _)| *name);
        return Err(Error::usage(format!("{what} needs --target (one of {})", db.names().join(", ")))
            .help("pass --target, such as `spygen flags --target wasi --cflags`"));
    };
    let toolchain = db.get(target)?;
    toolchain.check_build_type(&args.build_type)?;
    if args.format == FlagsFormat::Shell && !selected.contains(&true) {
        return Err(Error::usage("nothing to print: pass one or more of --cflags, --ldflags, --libdir, --cc, --ar")
            .help("or --format json (every fact) / --format make (assignments to include)"));
    }
    let needs_runtime = args.format != FlagsFormat::Shell || args.cflags || args.libdir;
    // The project (read once): its runtime, and for `--format make` its launcher.
    // `--cc`/`--ar` and JSON resolve tools, which meet the project's `[spygen.require]`.
    let wants_project = (needs_runtime && args.runtime_root.is_none())
        || args.format != FlagsFormat::Shell
        || args.cc
        || args.ar
        || args.project_flags;
    let project = if wants_project { Project::nearby(args.project.as_deref())? } else { None };
    let runtime = match needs_runtime {
        true => runtime::locate(args.runtime_root.as_deref(), project.as_ref())?,
        false => RuntimeLookup::NotFound(String::new()),
    };
    let runtime = match runtime {
        RuntimeLookup::Found(r) => Some(r),
        RuntimeLookup::NotFound(why) => {
            if needs_runtime {
                eprintln!("spygen: note: runtime -I/-L left out: {why}");
            }
            None
        }
    };
    let options = FlagOptions {
        build_type: args.build_type.clone(),
        warning_as_error: args.warning_as_error || werror_from_env(),
    };
    let include_dirs: Vec<String> =
        runtime.iter().flat_map(|r| &r.include_dirs).map(|d| d.display().to_string()).collect();
    let libdir = runtime.as_ref().map(|r| r.libdir(target, &args.build_type));
    let mut flags = toolchain.config_flags(&options, &include_dirs, libdir);
    if args.project_flags {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let (project_flags, notes) = crate::plan::project_flags::project_flags(db, project.as_ref(), &[], &env)?;
        if target == crate::plan::project_flags::ENV_FLAGS_TARGET {
            notes.iter().for_each(|n| eprintln!("spygen: note: {n}"));
        }
        flags.cflags.extend(project_flags.cflags(target, &args.build_type));
        flags.ldflags.extend(project_flags.ldflags(target, &args.build_type));
    }
    let requirements = project.as_ref().map(Project::requirement_map).unwrap_or_default();
    let text = match args.format {
        FlagsFormat::Shell => shell_text(args, toolchain, &flags, &requirements)?,
        FlagsFormat::Make => make_text(args, db, toolchain, project.as_ref(), &flags, &requirements)?,
        FlagsFormat::Json => json_text(args, toolchain, &options, runtime.as_ref(), &flags, &requirements),
    };
    print_out(&text)
}

/// The asked facts as shell words on one line.
fn shell_text(
    args: &FlagsArgs,
    toolchain: &Toolchain,
    flags: &ConfigFlags,
    requirements: &Requirements,
) -> Result<String> {
    let mut parts = Vec::new();
    if args.cflags {
        parts.push(shell::join(&flags.cflags));
    }
    if args.ldflags {
        parts.push(shell::join(&flags.ldflags));
    }
    if args.libdir {
        parts.push(flags.libdir.as_deref().map(shell::quote).unwrap_or_default());
    }
    // A missing tool is an error saying what was tried and how to install it.
    if args.cc {
        parts.push(shell::join(&toolchain.require_meeting(&toolchain.compiler, requirements)?.command));
    }
    if args.ar {
        parts.push(shell::join(&toolchain.require_meeting(&toolchain.archiver, requirements)?.command));
    }
    parts.retain(|p| !p.is_empty());
    Ok(format!("{}\n", parts.join(" ")))
}

/// Make assignments of every fact (the make fragment's writer, [`make_syntax::config_variables`]).
fn make_text(
    args: &FlagsArgs,
    db: &Db,
    toolchain: &Toolchain,
    project: Option<&Project>,
    flags: &ConfigFlags,
    requirements: &Requirements,
) -> Result<String> {
    let target = &toolchain.name;
    let mut out = format!("# {target}/{} flags, written by `spygen flags --format make`.\n", args.build_type);
    out += &make_syntax::assign("SPY_TARGET", target);
    out += &make_syntax::assign("SPY_BUILD_TYPE", &args.build_type);
    // The launcher `spygen gen` would use (always set, so none from the environment leaks
    // into the vendored Makefile).
    let launchers = launcher::args_and_env(&[], true);
    launcher::check_arg_targets(db, &launchers)?;
    let launcher = match launcher::for_target(toolchain, project, &launchers).map(|l| launcher::resolve(target, l)) {
        Some(Ok(l)) => Ok(Some(l.words)),
        Some(Err(e)) => Err(e.to_string()),
        None => Ok(None),
    };
    out +=
        &make_syntax::config_variables(flags, &toolchain.config_tools(&process_env, requirements), &launcher, &|var| {
            var.to_string()
        });
    Ok(out)
}

/// Every fact as JSON.
fn json_text(
    args: &FlagsArgs,
    toolchain: &Toolchain,
    options: &FlagOptions,
    runtime: Option<&RuntimeLocation>,
    flags: &ConfigFlags,
    requirements: &Requirements,
) -> String {
    let tool_json = |tool: &Tool| match tool.resolve_with(&process_env, requirements) {
        Resolution::Found(r) => json!({
            "command": r.command,
            "program": r.program,
            "origin": r.origin,
            "available": true,
        }),
        Resolution::Missing { tried } => json!({
            "command": null,
            "available": false,
            "tried": tried,
        }),
    };
    let value = json!({
        "target": toolchain.name,
        "build_type": args.build_type,
        "warning_as_error": options.warning_as_error,
        "description": toolchain.description,
        "triplet": toolchain.triplet,
        "descriptor": toolchain.origin.display_path(),
        "cflags": flags.cflags,
        "ldflags": flags.ldflags,
        "libdir": flags.libdir,
        "runtime": runtime.map(|r| json!({
            "include_dirs": r.include_dirs,
            "build_dir": r.build_dir,
            "found_by": r.found_by,
        })),
        "cc": tool_json(&toolchain.compiler),
        "ar": tool_json(&toolchain.archiver),
        "suffixes": {
            "object": flags.obj_suffix,
            "archive": flags.lib_suffix,
            "executable": flags.exe_suffix,
        },
        "install": toolchain.install_hint,
    });
    format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
}
