//! `spygen toolchains`: every target, its tools as resolved on this machine, and what is missing.

use clap::Args;
use serde_json::{Value, json};

use super::print_out;
use crate::error::Result;
use crate::manifest::Project;
use crate::toolchain::launcher::{self, Launcher};
use crate::toolchain::pkg_config::{self, TargetPkgConfig};
use crate::toolchain::requirement::Requirements;
use crate::toolchain::runner::{self, Runner};
use crate::toolchain::{Db, Resolution, Tool, Toolchain, process_env};

/// Options of `spygen toolchains`.
#[derive(Debug, Args)]
#[command(after_help = "EXAMPLES:
  spygen toolchains                     # what is installed, what is missing and how to get it
  spygen toolchains --json | jq '.[] | select(.available) | .target'")]
pub struct ToolchainsArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// One tool's state on this machine.
struct ToolReport {
    role: &'static str,
    resolution: Resolution,
    version: Option<String>,
    /// The project's requirement on the tool's package, and how it stands.
    requirement: Option<RequirementReport>,
}

/// A `[spygen.require]` entry against what is installed.
struct RequirementReport {
    package: String,
    required: String,
    /// The package version of the tool found (the one meeting it, else the first found).
    found: Option<String>,
    met: bool,
    install: String,
}

fn report(tool: &Tool, requirements: &Requirements) -> ToolReport {
    let resolution = tool.resolve_with(&process_env, requirements);
    let version = match &resolution {
        Resolution::Found(r) => r.version(&tool.version_args),
        Resolution::Missing { .. } => None,
    };
    let requirement = tool.package.as_ref().and_then(|package| {
        let required = requirements.get(&package.name)?;
        let (found, met) = match &resolution {
            Resolution::Found(r) => (r.package_version(package), true),
            Resolution::Missing { .. } => match tool.resolve(&process_env) {
                Resolution::Found(r) => (r.package_version(package), false),
                Resolution::Missing { .. } => (None, false),
            },
        };
        Some(RequirementReport {
            package: package.name.clone(),
            required: required.text.clone(),
            found: found.map(|v| v.to_string()),
            met,
            install: package.install.replace("{requirement}", &required.text),
        })
    });
    ToolReport { role: tool.role, resolution, version, requirement }
}

/// How `spygen run` and the tests run the target's programs here, as a line of the text
/// listing: directly, the command (and where it is set, when not by the descriptor), or why
/// none is found and how to install one.
fn runner_line(runner: &Runner) -> String {
    format!("  {:<9} {}\n", "runner", runner.describe())
}

fn runner_json(runner: &Runner) -> Value {
    match runner {
        Runner::Direct => json!({ "available": true, "command": [] }),
        Runner::Command { words, origin } => {
            json!({ "available": true, "command": words, "set_by": origin.to_string() })
        }
        Runner::Missing { why, hint } => json!({ "available": false, "why": why, "install": hint }),
    }
}

/// Each target's runner as `spygen test` run here would use it: from $SPYGEN_RUNNER, else the
/// nearest spy.toml, else the descriptor.
fn runners(db: &Db, project: Option<&Project>) -> Vec<Runner> {
    let args = runner::args_and_env(&[], true);
    if let Err(e) = runner::check_args(db, &args) {
        eprintln!("spygen: warning: {} (ignored)", e.message);
    }
    db.iter().map(|t| runner::for_target(t, project, &args, &process_env)).collect()
}

fn requirement_json(r: &RequirementReport) -> Value {
    json!({ "package": r.package, "required": r.required, "found": r.found, "met": r.met, "install": r.install })
}

fn tool_json(r: &ToolReport) -> Value {
    match &r.resolution {
        Resolution::Found(found) => json!({
            "available": true,
            "command": found.command,
            "program": found.program,
            "origin": found.origin,
            "version": r.version,
        }),
        Resolution::Missing { tried } => json!({ "available": false, "tried": tried }),
    }
}

/// The nearest project (for its launchers and requirements); a project that cannot be read is
/// a warning: the toolchains are shown without its settings.
fn nearby_project() -> Option<Project> {
    Project::nearby(None).unwrap_or_else(|e| {
        eprintln!("spygen: warning: toolchains shown without the project's settings: {e}");
        None
    })
}

/// Each target's compiler launcher as `spygen gen` run here would use it: from
/// $SPYGEN_LAUNCHER, else the nearest spy.toml, else the descriptor.
fn launchers(db: &Db, project: Option<&Project>) -> Vec<Option<Launcher>> {
    let args = launcher::args_and_env(&[], true);
    if let Err(e) = launcher::check_arg_targets(db, &args) {
        eprintln!("spygen: warning: {} (ignored)", e.message);
    }
    db.iter().map(|t| launcher::for_target(t, project, &args)).collect()
}

pub fn run(args: &ToolchainsArgs, db: &Db) -> Result<()> {
    let project = nearby_project();
    let requirements = project.as_ref().map(Project::requirement_map).unwrap_or_default();
    let reports: Vec<(&Toolchain, [ToolReport; 2])> =
        db.iter().map(|t| (t, [report(&t.compiler, &requirements), report(&t.archiver, &requirements)])).collect();
    let launchers = launchers(db, project.as_ref());
    let runners = runners(db, project.as_ref());
    let pkg_configs: Vec<Option<TargetPkgConfig>> =
        db.iter().map(|t| pkg_config::for_target(t, project.as_ref(), &[], &process_env)).collect();
    let available = |tools: &[ToolReport; 2]| tools.iter().all(|t| matches!(t.resolution, Resolution::Found(_)));
    let text = if args.json {
        let list: Vec<Value> = reports
            .iter()
            .zip(&launchers)
            .zip(&runners)
            .zip(&pkg_configs)
            .map(|((((t, tools), launcher), runner), pkg)| {
                json!({
                    "target": t.name,
                    "description": t.description,
                    "triplet": t.triplet,
                    "available": available(tools),
                    "build_types": t.build_type_names(),
                    "compiler": tool_json(&tools[0]),
                    "requirement": tools.iter().find_map(|r| r.requirement.as_ref()).map(requirement_json),
                    "archiver": tool_json(&tools[1]),
                    "runner": runner_json(runner),
                    "pkg_config": pkg.as_ref().map(|p| json!({
                        "host": p.host,
                        "path": p.dirs,
                        "sysroot": p.sysroot,
                        "set_by": p.origin,
                    })),
                    "launcher": launcher.as_ref().map(|l| json!({
                        "command": l.words,
                        "set_by": l.origin.to_string(),
                        "available": launcher::resolve(&t.name, l.clone()).is_ok(),
                    })),
                    "install": t.install_hint,
                    "descriptor": t.origin.display_path(),
                })
            })
            .collect();
        format!("{}\n", serde_json::to_string_pretty(&Value::Array(list)).unwrap_or_default())
    } else {
        let mut out = String::new();
        for ((((t, tools), launcher), runner), pkg) in reports.iter().zip(&launchers).zip(&runners).zip(&pkg_configs) {
            let state = if available(tools) { "available" } else { "MISSING" };
            out += &format!("{:<15} {:<27} {state}\n", t.name, t.triplet);
            out += &format!("  {}\n", t.description);
            for r in tools {
                match &r.resolution {
                    Resolution::Found(found) => {
                        out += &format!(
                            "  {:<9} {}  ({}; {})\n",
                            r.role,
                            found.command.join(" "),
                            found.program.display(),
                            r.version.as_deref().unwrap_or("version unknown")
                        );
                    }
                    Resolution::Missing { tried } => {
                        out += &format!("  {:<9} not found; tried: {}\n", r.role, tried.join("; "));
                    }
                }
            }
            for r in tools.iter().filter_map(|r| r.requirement.as_ref()) {
                let found = r.found.as_deref().map_or("none found".to_string(), |v| format!("found {v}"));
                let verdict = if r.met { "met" } else { "NOT MET" };
                out += &format!("  requires  {} {}: {found}, {verdict} (spy.toml)\n", r.package, r.required);
                if !r.met {
                    out += &format!("  install   {}\n", r.install);
                }
            }
            out += &runner_line(runner);
            out += &match pkg {
                Some(p) => format!("  {:<9} {}\n", "pkg-config", p.describe()),
                None => format!(
                    "  {:<9} none: system libraries are not looked up for {} (set {} or [spygen.pkg-config-for.{}])\n",
                    "pkg-config",
                    t.name,
                    pkg_config::path_env(&t.name),
                    t.name
                ),
            };
            if let Some(l) = launcher {
                let state = match launcher::resolve(&t.name, l.clone()) {
                    Ok(_) => "",
                    Err(_) => " NOT INSTALLED",
                };
                out += &format!("  {:<9} {}{state}  (set by {})\n", "launcher", l.words.join(" "), l.origin);
            }
            if !available(tools) {
                out += &format!("  install   {}\n", t.install_hint);
            }
        }
        out
    };
    print_out(&text)
}
