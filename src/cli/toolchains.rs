//! `spygen toolchains`: every target, its tools as resolved on this machine, and what is missing.

use clap::Args;
use serde_json::{Value, json};

use super::print_out;
use crate::error::Result;
use crate::manifest::Project;
use crate::toolchain::launcher::{self, Launcher};
use crate::toolchain::{Db, Resolution, Tool, Toolchain, process_env};

/// Options of `spygen toolchains`.
#[derive(Debug, Args)]
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
}

fn report(tool: &Tool) -> ToolReport {
    let resolution = tool.resolve(&process_env);
    let version = match &resolution {
        Resolution::Found(r) => r.version(&tool.version_args),
        Resolution::Missing { .. } => None,
    };
    ToolReport { role: tool.role, resolution, version }
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

/// Each target's compiler launcher as `spygen gen` run here would use it: from
/// $SPYGEN_LAUNCHER, else the nearest spy.toml, else the descriptor.
fn launchers(db: &Db) -> Vec<Option<Launcher>> {
    let args = launcher::args_and_env(&[], true);
    if let Err(e) = launcher::check_arg_targets(db, &args) {
        eprintln!("spygen: warning: {} (ignored)", e.message);
    }
    let project = Project::nearby(None).unwrap_or_else(|e| {
        eprintln!("spygen: warning: launchers shown without the project's settings: {e}");
        None
    });
    db.iter().map(|t| launcher::for_target(t, project.as_ref(), &args)).collect()
}

pub fn run(args: &ToolchainsArgs, db: &Db) -> Result<()> {
    let reports: Vec<(&Toolchain, [ToolReport; 2])> =
        db.iter().map(|t| (t, [report(&t.compiler), report(&t.archiver)])).collect();
    let launchers = launchers(db);
    let available = |tools: &[ToolReport; 2]| tools.iter().all(|t| matches!(t.resolution, Resolution::Found(_)));
    let text = if args.json {
        let list: Vec<Value> = reports
            .iter()
            .zip(&launchers)
            .map(|((t, tools), launcher)| {
                json!({
                    "target": t.name,
                    "description": t.description,
                    "triplet": t.triplet,
                    "available": available(tools),
                    "build_types": t.build_type_names(),
                    "compiler": tool_json(&tools[0]),
                    "archiver": tool_json(&tools[1]),
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
        for ((t, tools), launcher) in reports.iter().zip(&launchers) {
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
